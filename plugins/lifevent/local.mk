# lifevent.so: the "lif_event" layer (event-based LIF, exact spike times,
# EventProp / analytic TTFS gradients) and the spike-time losses
# "ttfs_mse", "ttfs_ce"; only spikelab_plugin_init is exported.
plugin_LTLIBRARIES += plugins/lifevent/lifevent.la
plugins_lifevent_lifevent_la_SOURCES = \
	plugins/lifevent/plugin.c \
	plugins/lifevent/layer.c \
	plugins/lifevent/loss.c \
	plugins/lifevent/event.h \
	plugins/lifevent/lifevent.h
plugins_lifevent_lifevent_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_lifevent_lifevent_la_LIBADD = -lm
