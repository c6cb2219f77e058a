# sparse.so: the "sparse_lif" model component (large sparse LIF networks:
# random or explicit connectivity as CSR by source, event-driven
# propagation, on-the-fly Poisson input, spike monitors, threads),
# run by the core's simulate mode through sl.simulate.v2; only
# spikelab_plugin_init is exported.
plugin_LTLIBRARIES += plugins/sparse/sparse.la
plugins_sparse_sparse_la_SOURCES = \
	plugins/sparse/plugin.c \
	plugins/sparse/kernel.c plugins/sparse/kernel.h \
	plugins/sparse/step.h \
	plugins/sparse/connect.c plugins/sparse/sparse.h
plugins_sparse_sparse_la_CFLAGS = $(AM_CFLAGS) $(SL_VEC_CFLAGS) -pthread
plugins_sparse_sparse_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_sparse_sparse_la_LIBADD = -lpthread -lm
