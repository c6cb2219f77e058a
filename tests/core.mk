# tests of the core modules and end-to-end command runs
check_PROGRAMS += tests/test_config tests/test_rng tests/test_network \
	tests/test_settings
TESTS += tests/test_config tests/test_rng tests/test_network tests/e2e.sh \
	tests/experiments.sh tests/bench_smoke.sh tests/prefix.sh \
	tests/test_settings tests/settings.sh tests/settings_doc.sh
EXTRA_DIST += tests/e2e.sh tests/experiments.sh tests/bench_smoke.sh \
	tests/prefix.sh tests/settings.sh tests/settings_doc.sh
AM_TESTS_ENVIRONMENT += sl_plugindir='$(plugindir)'; export sl_plugindir;

tests_test_config_SOURCES = tests/test_config.c
tests_test_config_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_config_LDADD = $(SL_TEST_LIBS)
tests_test_rng_SOURCES = tests/test_rng.c
tests_test_rng_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_rng_LDADD = $(SL_TEST_LIBS)
tests_test_network_SOURCES = tests/test_network.c
tests_test_network_CFLAGS = $(SL_TEST_CFLAGS) $(BLAS_CFLAGS)
tests_test_network_LDADD = $(SL_TEST_LIBS)
tests_test_settings_SOURCES = tests/test_settings.c
tests_test_settings_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_settings_LDADD = $(SL_TEST_LIBS)

# issue 13, models: checkpoints and `spikelab resume` (a SIGKILLed run
# resumed is bit-identical), init_from / evaluate / parameters from .npy
# files, traces of chosen samples
TESTS += tests/resume.sh tests/models.sh
EXTRA_DIST += tests/resume.sh tests/models.sh
