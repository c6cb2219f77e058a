# tests of plugins: optim.so, losses.so, datasets.so, each loaded from
# $top_builddir/plugins/<p>/.libs/<p>.so through the real loader.
check_PROGRAMS += tests/test_optim tests/test_losses tests/test_datasets
TESTS += tests/test_optim tests/test_losses tests/test_datasets

tests_test_optim_SOURCES = tests/test_optim.c
tests_test_optim_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_optim_LDADD = $(SL_TEST_LIBS)

tests_test_losses_SOURCES = tests/test_losses.c
tests_test_losses_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_losses_LDADD = $(SL_TEST_LIBS)

tests_test_datasets_SOURCES = tests/test_datasets.c
tests_test_datasets_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_datasets_LDADD = $(SL_TEST_LIBS)

# the yinyang component of datasets.so
check_PROGRAMS += tests/test_yinyang
TESTS += tests/test_yinyang
tests_test_yinyang_SOURCES = tests/test_yinyang.c
tests_test_yinyang_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_yinyang_LDADD = $(SL_TEST_LIBS) -lm
