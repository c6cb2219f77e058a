# tests of nef.so: its numerics against specs/nef.md §10 and the Lua
# sandbox (test_nef.c, the plugin's sources compiled in), and both demos
# run through `spikelab run` (nef_run.sh: the §10 fixed-seed channel, a
# shortened conditioning run, errors naming the object and line).
check_PROGRAMS += tests/test_nef
TESTS += tests/test_nef tests/nef_run.sh
EXTRA_DIST += tests/nef_run.sh
tests_test_nef_SOURCES = tests/test_nef.c plugins/nef/dist.c \
	plugins/nef/ens.c plugins/nef/fn.c plugins/nef/nef.h
tests_test_nef_CFLAGS = $(SL_TEST_CFLAGS) -I$(top_srcdir)/include \
	$(LUA_CFLAGS) $(LAPACKE_CFLAGS) $(BLAS_CFLAGS)
tests_test_nef_LDADD = $(CMOCKA_LIBS) $(LUA_LIBS) $(LAPACKE_LIBS) \
	$(BLAS_LIBS) -lm
