# tests of conv.so ("conv2d", "conv1d", "sumpool2d", "avgpool2d",
# "flatten"), loaded from the build tree through the real loader.
check_PROGRAMS += tests/test_conv
TESTS += tests/test_conv
tests_test_conv_SOURCES = tests/test_conv.c
tests_test_conv_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_conv_LDADD = $(SL_TEST_LIBS) -lm
# the conv SNN experiment learns (40 epochs, 3 seeds, a few seconds)
TESTS += tests/conv_snn.sh
EXTRA_DIST += tests/conv_snn.sh
# the "bars" dataset of datasets.so (the conv SNN's image task)
check_PROGRAMS += tests/test_bars
TESTS += tests/test_bars
tests_test_bars_SOURCES = tests/test_bars.c
tests_test_bars_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_bars_LDADD = $(SL_TEST_LIBS) -lm
