# tests of lifevent: the event-based LIF (reference values of lif.md
# §6.3/§6.4, finite-difference checks of EventProp and the analytic TTFS
# gradient) and the lifevent.so plugin through the real loader.
check_PROGRAMS += tests/test_lifevent
TESTS += tests/test_lifevent
tests_test_lifevent_SOURCES = tests/test_lifevent.c
tests_test_lifevent_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_lifevent_LDADD = $(SL_TEST_LIBS) -lm
TESTS += tests/lifevent.sh
EXTRA_DIST += tests/lifevent.sh
