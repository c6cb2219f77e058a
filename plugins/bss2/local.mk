# bss2.so: the "bss2" backend, an emulated BrainScaleS-2 chip that runs
# linear+lif/li networks; only spikelab_plugin_init is exported.
plugin_LTLIBRARIES += plugins/bss2/bss2.la
plugins_bss2_bss2_la_SOURCES = \
	plugins/bss2/plugin.c \
	plugins/bss2/place.c \
	plugins/bss2/run.c \
	plugins/bss2/evrun.c \
	plugins/bss2/bss2.h
plugins_bss2_bss2_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_bss2_bss2_la_LIBADD = -lm
