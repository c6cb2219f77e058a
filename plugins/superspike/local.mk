# superspike.so: the "superspike" learning rule (SL_KIND_OPTIMIZER, traces)
# and the "superspike_input" dataset; only spikelab_plugin_init is exported.
# ss_kernels.h is also compiled into losses.so (van_rossum) and the tests.
plugin_LTLIBRARIES += plugins/superspike/superspike.la
plugins_superspike_superspike_la_SOURCES = \
	plugins/superspike/plugin.c \
	plugins/superspike/rule.c \
	plugins/superspike/input.c \
	plugins/superspike/superspike.h \
	plugins/superspike/ss_kernels.h \
	plugins/superspike/ss_mt19937.h
plugins_superspike_superspike_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_superspike_superspike_la_LIBADD = -lm
