# lif.so: the "lif" (spiking LIF) and "li" (leaky-integrator readout)
# neuron components; only spikelab_plugin_init is exported.
plugin_LTLIBRARIES += plugins/lif/lif.la
plugins_lif_lif_la_SOURCES = \
	plugins/lif/plugin.c \
	plugins/lif/lif.c \
	plugins/lif/li.c \
	plugins/lif/common.c plugins/lif/common.h
plugins_lif_lif_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_lif_lif_la_LIBADD = -lm
plugins_lif_lif_la_CFLAGS = $(AM_CFLAGS) $(SL_VEC_CFLAGS)
