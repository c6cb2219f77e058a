plugin_LTLIBRARIES += plugins/datasets/datasets.la
plugins_datasets_datasets_la_SOURCES = plugins/datasets/datasets.c \
	plugins/datasets/yinyang.c plugins/datasets/yinyang.h \
	plugins/datasets/bars.c plugins/datasets/bars.h \
	plugins/datasets/bernoulli.c plugins/datasets/bernoulli.h
plugins_datasets_datasets_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_datasets_datasets_la_LIBADD = -lm
