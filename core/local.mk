# core: libslcore (convenience library with everything), libspikelab (the
# installed shared library), and the spikelab command.
noinst_LTLIBRARIES += core/libslcore.la
core_libslcore_la_SOURCES = \
	core/err.c core/err.h \
	core/rng.c core/rng.h \
	core/config.c core/config.h \
	core/host.c core/host.h \
	core/registry.h \
	core/recorder.h \
	core/network.c core/network.h \
	core/builtin.c \
	core/experiment.c core/experiment.h \
	core/train.c core/train.h \
	core/engine.c core/engine.h \
	core/metrics.c core/metrics.h \
	core/cmd_run.c core/cmd.h \
	core/export.c core/export.h core/cmd_export_device.c \
	core/util.c core/util.h
core_libslcore_la_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(SQLITE_CFLAGS) $(BLAS_CFLAGS)
core_libslcore_la_LIBADD = $(LIBCONFIG_LIBS) $(SQLITE_LIBS) $(BLAS_LIBS)

include $(srcdir)/core/registry.mk
include $(srcdir)/core/recorder.mk

lib_LTLIBRARIES += core/libspikelab.la
core_libspikelab_la_SOURCES =
core_libspikelab_la_LIBADD = core/libslcore.la
core_libspikelab_la_LDFLAGS = -version-info $(SL_LT_VERSION) -no-undefined

bin_PROGRAMS += core/spikelab
core_spikelab_SOURCES = core/main.c
core_spikelab_CFLAGS = $(AM_CFLAGS)
core_spikelab_LDADD = core/libslcore.la
