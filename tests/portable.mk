# portable numerics (issue 12): the engine's fixed-order matrix kernel,
# and whole experiments bit-identical across OpenBLAS kernels
check_PROGRAMS += tests/test_kernels
TESTS += tests/test_kernels tests/portable.sh
EXTRA_DIST += tests/portable.sh
tests_test_kernels_SOURCES = tests/test_kernels.c
tests_test_kernels_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_kernels_LDADD = $(SL_TEST_LIBS) -lm

# The issue's full-length check (not in make check: about four 50,000-epoch
# DynapSim runs and a BLAS control pair, ~30 s of CPU)
check-portable-long: all
	@$(AM_TESTS_ENVIRONMENT) SL_PORTABLE_LONG=1 $(SHELL) $(srcdir)/tests/portable.sh
