# tests: cmocka unit tests per core module and plugin, and command runs.
# The environment points the loader at the build tree's plugins.
AM_TESTS_ENVIRONMENT = \
	top_builddir='$(abs_top_builddir)'; top_srcdir='$(abs_top_srcdir)'; \
	export top_builddir top_srcdir; \
	SPIKELAB_PLUGIN_PATH=`for d in $(abs_top_builddir)/plugins/*/.libs; do printf '%s:' "$$d"; done`; \
	export SPIKELAB_PLUGIN_PATH; \
	SPIKELAB_DATA_DIR='$(abs_top_srcdir)/../shared/data'; export SPIKELAB_DATA_DIR; \
	OPENBLAS_NUM_THREADS=1; export OPENBLAS_NUM_THREADS; \
	MPIRUN='$(MPIRUN)'; export MPIRUN;
SL_TEST_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core $(CMOCKA_CFLAGS) $(LIBCONFIG_CFLAGS) $(SQLITE_CFLAGS)
SL_TEST_LIBS = tests/libsltest.la core/libslcmd.la $(CMOCKA_LIBS)

include $(srcdir)/tests/fuzz/local.mk

if HAVE_CMOCKA
check_LTLIBRARIES += tests/libsltest.la
tests_libsltest_la_SOURCES = tests/testutil.c tests/testutil.h
tests_libsltest_la_CFLAGS = $(AM_CFLAGS) -I$(top_srcdir)/core
include $(srcdir)/tests/core.mk
include $(srcdir)/tests/loader.mk
include $(srcdir)/tests/recorder.mk
include $(srcdir)/tests/lif.mk
include $(srcdir)/tests/lifevent.mk
include $(srcdir)/tests/conv.mk
include $(srcdir)/tests/softlif.mk
include $(srcdir)/tests/plugins.mk
include $(srcdir)/tests/dynapsim.mk
include $(srcdir)/tests/bss2.mk
include $(srcdir)/tests/superspike.mk
include $(srcdir)/tests/dynapse2_export.mk
include $(srcdir)/tests/api.mk
include $(srcdir)/tests/deploy.mk
include $(srcdir)/tests/harden.mk
include $(srcdir)/tests/portable.mk
include $(srcdir)/tests/nir.mk
include $(srcdir)/tests/nef.mk
include $(srcdir)/tests/sparse.mk
include $(srcdir)/tests/ui.mk
include $(srcdir)/tests/speed.mk
endif
