# The embedding API (session.h, rundb.h): what libspikelab.so exports, and
# the command that is its client. The out-of-tree embedding example runs in
# tests/outoftree.sh (one staged install for both examples).
TESTS += tests/symbols.sh tests/output_order.sh
EXTRA_DIST += tests/symbols.sh tests/output_order.sh

# the public functions through a real run (tests/test_api.c)
check_PROGRAMS += tests/test_api
TESTS += tests/test_api
tests_test_api_SOURCES = tests/test_api.c
tests_test_api_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_api_LDADD = $(SL_TEST_LIBS)
