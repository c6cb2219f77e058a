# tests of the plugin loader and of ABI stability (owned with
# core/engine/registry.c): refusals of malformed plugins, a plugin built against the
# frozen ABI 1.0 headers, field offsets of every ABI struct, every public
# header compiled alone (C and C++), and an out-of-tree plugin built against
# an installed copy.

# Test plugins: real .so files (-rpath makes libtool build a shared module
# for a check_ library), in tests/plugins/.libs/. Not installed.
SL_TEST_PLUGIN_LDFLAGS = -module -avoid-version -shared -rpath /nowhere

# tests/plugins/bad.c built once per defect; see the file.
SL_BAD_PLUGINS = \
	tests/plugins/bad_abi_major.la \
	tests/plugins/bad_abi_minor.la \
	tests/plugins/bad_no_entry.la \
	tests/plugins/bad_null_desc.la \
	tests/plugins/bad_small_desc.la \
	tests/plugins/bad_no_components.la \
	tests/plugins/bad_kind.la \
	tests/plugins/bad_iface_small.la \
	tests/plugins/bad_dup_within.la \
	tests/plugins/twin_a.la \
	tests/plugins/twin_b.la \
	tests/plugins/shadow_v1.la \
	tests/plugins/shadow_v2.la
check_LTLIBRARIES += $(SL_BAD_PLUGINS) tests/plugins/abi1_good.la

tests_plugins_bad_abi_major_la_SOURCES = tests/plugins/bad.c
tests_plugins_bad_abi_major_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_ABI_MAJOR
tests_plugins_bad_abi_major_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_abi_minor_la_SOURCES = tests/plugins/bad.c
tests_plugins_bad_abi_minor_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_ABI_MINOR
tests_plugins_bad_abi_minor_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_no_entry_la_SOURCES = tests/plugins/bad.c
tests_plugins_bad_no_entry_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_NO_ENTRY
tests_plugins_bad_no_entry_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_null_desc_la_SOURCES = tests/plugins/bad.c
tests_plugins_bad_null_desc_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_NULL_DESC
tests_plugins_bad_null_desc_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_small_desc_la_SOURCES = tests/plugins/bad.c
tests_plugins_bad_small_desc_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_SMALL_DESC
tests_plugins_bad_small_desc_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_no_components_la_SOURCES = tests/plugins/bad.c
tests_plugins_bad_no_components_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_NO_COMPONENTS
tests_plugins_bad_no_components_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_kind_la_SOURCES = tests/plugins/bad.c
tests_plugins_bad_kind_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_KIND
tests_plugins_bad_kind_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_iface_small_la_SOURCES = tests/plugins/bad.c
tests_plugins_bad_iface_small_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_IFACE_SMALL
tests_plugins_bad_iface_small_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_bad_dup_within_la_SOURCES = tests/plugins/bad.c
tests_plugins_bad_dup_within_la_CPPFLAGS = $(AM_CPPFLAGS) -DBAD_DUP_WITHIN
tests_plugins_bad_dup_within_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_twin_a_la_SOURCES = tests/plugins/bad.c
tests_plugins_twin_a_la_CPPFLAGS = $(AM_CPPFLAGS) -DTWIN_A
tests_plugins_twin_a_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_twin_b_la_SOURCES = tests/plugins/bad.c
tests_plugins_twin_b_la_CPPFLAGS = $(AM_CPPFLAGS) -DTWIN_B
tests_plugins_twin_b_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_shadow_v1_la_SOURCES = tests/plugins/bad.c
tests_plugins_shadow_v1_la_CPPFLAGS = $(AM_CPPFLAGS) -DSHADOW_V1
tests_plugins_shadow_v1_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_shadow_v2_la_SOURCES = tests/plugins/bad.c
tests_plugins_shadow_v2_la_CPPFLAGS = $(AM_CPPFLAGS) -DSHADOW_V2
tests_plugins_shadow_v2_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)

# Compiled against the frozen ABI 1.0 headers ONLY: these CPPFLAGS replace
# AM_CPPFLAGS, so include/spikelab is not on the path.
tests_plugins_abi1_good_la_SOURCES = tests/plugins/abi1_good.c
tests_plugins_abi1_good_la_CPPFLAGS = -I$(top_srcdir)/tests/abi1/include
tests_plugins_abi1_good_la_LDFLAGS = $(SL_TEST_PLUGIN_LDFLAGS)
tests_plugins_abi1_good_la_LIBADD = -lm

SL_ABI1_FILES = \
	tests/abi1/README \
	tests/abi1/include/spikelab/spikelab.h \
	tests/abi1/include/spikelab/abi.h \
	tests/abi1/include/spikelab/plugin.h \
	tests/abi1/include/spikelab/neuron.h \
	tests/abi1/include/spikelab/loss.h \
	tests/abi1/include/spikelab/optimizer.h \
	tests/abi1/include/spikelab/dataset.h \
	tests/abi1/include/spikelab/backend.h

check_PROGRAMS += tests/test_loader tests/test_abi_layout
TESTS += tests/test_loader tests/test_abi_layout

tests_test_loader_SOURCES = tests/test_loader.c
tests_test_loader_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_loader_CPPFLAGS = $(AM_CPPFLAGS) \
	-DSL_TEST_PLUGIN_DIR='"$(abs_top_builddir)/tests/plugins/.libs"'
tests_test_loader_LDADD = $(SL_TEST_LIBS)

tests_test_abi_layout_SOURCES = tests/test_abi_layout.c
tests_test_abi_layout_CFLAGS = $(SL_TEST_CFLAGS)
tests_test_abi_layout_LDADD = $(CMOCKA_LIBS)

# Shell tests. They read CC, CXX and MAKE from the environment.
TESTS += tests/headers.sh tests/outoftree.sh
AM_TESTS_ENVIRONMENT += CC='$(CC)'; export CC; MAKE='$(MAKE)'; export MAKE;

SL_EXAMPLES = \
	examples/plugin/README \
	examples/plugin/Makefile \
	examples/plugin/example_relu.c \
	examples/embed/README \
	examples/embed/Makefile \
	examples/embed/embed.c

EXTRA_DIST += tests/headers.sh tests/outoftree.sh $(SL_ABI1_FILES) \
	$(SL_EXAMPLES)
