# tests of bss2: the bss2.so backend (emulated BrainScaleS-2) and the
# SL_EXT_SUBSTITUTE extension of lif.so, both loaded from the build tree
# through the real loader.
check_PROGRAMS += tests/test_bss2
TESTS += tests/test_bss2
tests_test_bss2_SOURCES = tests/test_bss2.c
tests_test_bss2_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_bss2_LDADD = $(SL_TEST_LIBS) -lm

# the spikelab command on the emulated chip: SuperSpike, hardware-in-the-loop
TESTS += tests/bss2_e2e.sh
EXTRA_DIST += tests/bss2_e2e.sh
# bss2's event mode (lif_event networks on the chip) and lif_event's
# measured-spike substitution
check_PROGRAMS += tests/test_bss2_events
TESTS += tests/test_bss2_events
tests_test_bss2_events_SOURCES = tests/test_bss2_events.c
tests_test_bss2_events_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_bss2_events_LDADD = $(SL_TEST_LIBS) -lm
TESTS += tests/bss2_events.sh
EXTRA_DIST += tests/bss2_events.sh
