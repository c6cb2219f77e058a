# Issue 12 (hardening): inputs a careless or hostile user gives, each of
# which once crashed, hung or silently lost data; tests/harden.sh runs them
# through the command. Its test plugins live in their own directory
# (tests/plugins/harden/.libs) so the loader's directory tests do not see
# them.
check_LTLIBRARIES += tests/plugins/harden/nobackward.la \
	tests/plugins/harden/data_entry.la
tests_plugins_harden_nobackward_la_SOURCES = \
	tests/plugins/harden/nobackward.c
tests_plugins_harden_nobackward_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_harden_data_entry_la_SOURCES = \
	tests/plugins/harden/nobackward.c
tests_plugins_harden_data_entry_la_CPPFLAGS = $(AM_CPPFLAGS) -DDATA_ENTRY
tests_plugins_harden_data_entry_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)

TESTS += tests/harden.sh
EXTRA_DIST += tests/harden.sh

check_PROGRAMS += tests/test_host
TESTS += tests/test_host
tests_test_host_SOURCES = tests/test_host.c
tests_test_host_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_host_LDADD = $(SL_TEST_LIBS)

# findings 1, 4, 5, 7, 9 (the run database and the files the commands
# write) and the numeric environment (tests/numenv.sh)
TESTS += tests/harden_db.sh tests/numenv.sh
EXTRA_DIST += tests/harden_db.sh tests/numenv.sh
