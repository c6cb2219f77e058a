plugin_LTLIBRARIES += plugins/losses/losses.la
plugins_losses_losses_la_SOURCES = plugins/losses/losses.c
plugins_losses_losses_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_losses_losses_la_LIBADD = -lm
