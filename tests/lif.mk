# tests of lif: the lif.so plugin ("lif" and "li" neuron components),
# loaded from the build tree through the real loader.
check_PROGRAMS += tests/test_lif
TESTS += tests/test_lif
tests_test_lif_SOURCES = tests/test_lif.c
tests_test_lif_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_lif_LDADD = $(SL_TEST_LIBS) -lm
