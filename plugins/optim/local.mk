plugin_LTLIBRARIES += plugins/optim/optim.la
plugins_optim_optim_la_SOURCES = plugins/optim/optim.c
plugins_optim_optim_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_optim_optim_la_LIBADD = -lm
