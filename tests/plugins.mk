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

# filedata.so: npy, idx and events on files the test writes (datafiles.c)
check_PROGRAMS += tests/test_filedata tests/mkdata
TESTS += tests/test_filedata
tests_test_filedata_SOURCES = tests/test_filedata.c tests/datafiles.c \
	tests/datafiles.h
tests_test_filedata_CFLAGS = $(SL_TEST_CFLAGS) $(HDF5_CFLAGS) $(ZLIB_CFLAGS)
tests_test_filedata_LDADD = $(SL_TEST_LIBS) $(HDF5_LIBS) $(ZLIB_LIBS) -lm
# writes data files for tests/filedata.sh
tests_mkdata_SOURCES = tests/mkdata.c tests/datafiles.c tests/datafiles.h
tests_mkdata_CFLAGS = $(AM_CFLAGS) $(HDF5_CFLAGS) $(ZLIB_CFLAGS)
tests_mkdata_LDADD = $(HDF5_LIBS) $(ZLIB_LIBS)
TESTS += tests/filedata.sh
EXTRA_DIST += tests/filedata.sh
TESTS += tests/fashion_mnist.sh
EXTRA_DIST += tests/fashion_mnist.sh
