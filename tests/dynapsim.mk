# tests of dynapsim: the dynapsim.so plugin ("dynapsim" neuron component),
# loaded from the build tree through the real loader.
check_PROGRAMS += tests/test_dynapsim
TESTS += tests/test_dynapsim
tests_test_dynapsim_SOURCES = tests/test_dynapsim.c
tests_test_dynapsim_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_dynapsim_LDADD = $(SL_TEST_LIBS) -lm

# synapses = "dendrites" with AMPA only = merged, bit for bit, on the
# frozen-noise experiment (shortened)
TESTS += tests/dynapsim_dendrites.sh
EXTRA_DIST += tests/dynapsim_dendrites.sh
