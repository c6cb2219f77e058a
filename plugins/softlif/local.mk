# softlif.so: the "softlif" neuron component (LIF rate / soft-LIF for
# training, Nengo's spiking LIF as its twin); only spikelab_plugin_init is
# exported.
plugin_LTLIBRARIES += plugins/softlif/softlif.la
plugins_softlif_softlif_la_SOURCES = plugins/softlif/softlif.c
plugins_softlif_softlif_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_softlif_softlif_la_LIBADD = -lm
plugins_softlif_softlif_la_CFLAGS = $(AM_CFLAGS) $(SL_VEC_CFLAGS)
