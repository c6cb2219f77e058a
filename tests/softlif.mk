# tests of softlif.so (the "softlif" rate neuron and its spiking twin),
# loaded from the build tree through the real loader; and the spiking
# evaluation of a small conv network on Fashion-MNIST.
check_PROGRAMS += tests/test_softlif
TESTS += tests/test_softlif
tests_test_softlif_SOURCES = tests/test_softlif.c
tests_test_softlif_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_softlif_LDADD = $(SL_TEST_LIBS) -lm
# the conv SNN on Fashion-MNIST, shortened (about 13 s of CPU)
TESTS += tests/softlif_convsnn.sh
EXTRA_DIST += tests/softlif_convsnn.sh
# experiments/tuning_curve.cfg and `plot probe:...@current`
TESTS += tests/tuning_curve.sh
EXTRA_DIST += tests/tuning_curve.sh
