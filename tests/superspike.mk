# tests of superspike.so (rule, dataset; also loads lif.so) and of its
# "van_rossum" loss, through the real loader.
check_PROGRAMS += tests/test_superspike tests/test_van_rossum
TESTS += tests/test_superspike tests/test_van_rossum
tests_test_superspike_SOURCES = tests/test_superspike.c
tests_test_superspike_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_superspike_LDADD = $(SL_TEST_LIBS) -lm
tests_test_van_rossum_SOURCES = tests/test_van_rossum.c
tests_test_van_rossum_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_van_rossum_LDADD = $(SL_TEST_LIBS) -lm
