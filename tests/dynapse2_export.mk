# tests of dynapse2_export.so: the "dynapse2" exporter, loaded from the
# build tree through the real loader (with dynapsim.so for the output-spike
# comparison). The quantiser and the JSON reader are compiled in as well,
# to test them directly. The bias-generator checks against the measured
# table need $SPIKELAB_DATA_DIR/dynapse2_paramgen.txt (skipped without).
check_PROGRAMS += tests/test_dynapse2_export
TESTS += tests/test_dynapse2_export
tests_test_dynapse2_export_SOURCES = tests/test_dynapse2_export.c \
	plugins/dynapse2_export/quantise.c plugins/dynapse2_export/json.c
tests_test_dynapse2_export_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_dynapse2_export_LDADD = $(SL_TEST_LIBS) -lm

# typed input and an explicit type map trained, exported, re-imported and
# re-evaluated end to end (shortened runs)
TESTS += tests/dynapse2_typed_export.sh
EXTRA_DIST += tests/dynapse2_typed_export.sh
