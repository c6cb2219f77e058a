# conv.so: the "conv2d", "conv1d", "sumpool2d", "avgpool2d" and "flatten"
# layer components; only spikelab_plugin_init is exported.
plugin_LTLIBRARIES += plugins/conv/conv.la
plugins_conv_conv_la_SOURCES = \
	plugins/conv/plugin.c \
	plugins/conv/conv.c \
	plugins/conv/pool.c \
	plugins/conv/shape.c plugins/conv/conv.h
plugins_conv_conv_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_conv_conv_la_LIBADD = -lm
