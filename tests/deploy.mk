# Deployment through the public interface (<spikelab/deploy.h>) with an
# exporter the core does not know: tests/plugins/exporter/json_weights.c,
# a real .so in tests/plugins/exporter/.libs (its own directory, so the
# loader's refusal tests in tests/plugins/.libs stay apart), used by
# tests/export_json.sh. And the include rules between core/ and plugins/
# (tests/includes.sh).
check_LTLIBRARIES += tests/plugins/exporter/json_weights.la
tests_plugins_exporter_json_weights_la_SOURCES = \
	tests/plugins/exporter/json_weights.c
tests_plugins_exporter_json_weights_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_exporter_json_weights_la_LIBADD = -lm

TESTS += tests/export_json.sh tests/includes.sh
EXTRA_DIST += tests/export_json.sh tests/includes.sh
