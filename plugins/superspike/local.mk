# superspike.so: the "superspike" learning rule (SL_KIND_OPTIMIZER, traces),
# the "superspike_input" dataset and the "van_rossum" loss; only
# spikelab_plugin_init is exported. The tests include ss_kernels.h too.
plugin_LTLIBRARIES += plugins/superspike/superspike.la
plugins_superspike_superspike_la_SOURCES = \
	plugins/superspike/plugin.c \
	plugins/superspike/rule.c \
	plugins/superspike/input.c \
	plugins/superspike/van_rossum.c \
	plugins/superspike/superspike.h \
	plugins/superspike/ss_kernels.h
plugins_superspike_superspike_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_superspike_superspike_la_LIBADD = -lm
