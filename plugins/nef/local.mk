# nef.so: the "nef" model component (Neural Engineering Framework as Nengo
# runs it: ensembles, decoded connections, nodes, synapses, probes, PES),
# run by the core's simulate mode through sl.simulate.v1; only
# spikelab_plugin_init is exported. Lua 5.4 for user functions, LAPACKE
# for decoders (Cholesky) and the random rotations (SVD).
plugin_LTLIBRARIES += plugins/nef/nef.la
plugins_nef_nef_la_SOURCES = \
	plugins/nef/plugin.c \
	plugins/nef/dist.c \
	plugins/nef/ens.c \
	plugins/nef/fn.c \
	plugins/nef/sim.c \
	plugins/nef/nef.h
plugins_nef_nef_la_CFLAGS = $(AM_CFLAGS) $(SL_VEC_CFLAGS) $(LUA_CFLAGS) $(LAPACKE_CFLAGS) \
	$(BLAS_CFLAGS)
plugins_nef_nef_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_nef_nef_la_LIBADD = $(LUA_LIBS) $(LAPACKE_LIBS) $(BLAS_LIBS) -lm
