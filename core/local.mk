# core: three parts, each in its own folder with one contract header
# (ARCHITECTURE.md has the picture and the include rules):
#   the engine library   util/ config/ engine/    (engine/engine.h)
#   the run database     db/                      (db/db.h)
#   the command          cmd/                     (cmd/cmd.h)
# and api/, the public embedding API (include/spikelab/session.h, rundb.h)
# over the engine and the database. libslcore is the convenience library
# of all but the command; libspikelab.so installs it with only the public
# API visible; the spikelab command and the unit tests link libslcore.
SL_CORE_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/core

noinst_LTLIBRARIES += core/libslcore.la
core_libslcore_la_SOURCES = \
	core/util/err.c core/util/err.h \
	core/util/util.c core/util/util.h \
	core/util/sha256.c core/util/sha256.h \
	core/util/npy.c core/util/npy.h \
	core/util/suggest.c core/util/suggest.h \
	core/config/config.c core/config/config.h \
	core/config/flatten.c core/config/flatten.h \
	core/config/decl.c core/config/decl.h \
	core/engine/rng.c core/engine/rng.h \
	core/engine/host.c core/engine/host.h \
	core/engine/registry.c core/engine/registry.h \
	core/engine/builtin.c \
	core/engine/settings.c core/engine/settings.h \
	core/engine/network.c core/engine/network.h \
	core/engine/experiment.c core/engine/experiment.h \
	core/engine/forward.c core/engine/forward.h \
	core/engine/train.c core/engine/train.h \
	core/engine/metrics.c core/engine/metrics.h \
	core/engine/deploy.c core/engine/deploy.h \
	core/db/db.c core/db/db.h \
	core/db/filter.c core/db/filter.h \
	core/db/liveness.c core/db/liveness.h
core_libslcore_la_CPPFLAGS = $(SL_CORE_CPPFLAGS)
core_libslcore_la_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(SQLITE_CFLAGS) $(BLAS_CFLAGS)
core_libslcore_la_LIBADD = $(LIBCONFIG_LIBS) $(SQLITE_LIBS) $(BLAS_LIBS)

# the command: one file per subcommand (history.c holds the small
# run-curation ones), output helpers in out.c, json.c, textplot.c
noinst_LTLIBRARIES += core/libslcmd.la
core_libslcmd_la_SOURCES = \
	core/cmd/cmd.h \
	core/cmd/run.c core/cmd/rerun.c core/cmd/plugins.c \
	core/cmd/runs.c core/cmd/history.c core/cmd/export_device.c \
	core/cmd/out.c core/cmd/out.h \
	core/cmd/json.c core/cmd/json.h \
	core/cmd/textplot.c core/cmd/textplot.h
core_libslcmd_la_CPPFLAGS = $(SL_CORE_CPPFLAGS)
core_libslcmd_la_CFLAGS = $(AM_CFLAGS) $(LIBCONFIG_CFLAGS) $(SQLITE_CFLAGS)
core_libslcmd_la_LIBADD = core/libslcore.la

lib_LTLIBRARIES += core/libspikelab.la
core_libspikelab_la_SOURCES =
core_libspikelab_la_LIBADD = core/libslcore.la
core_libspikelab_la_LDFLAGS = -version-info $(SL_LT_VERSION) -no-undefined

bin_PROGRAMS += core/spikelab
core_spikelab_SOURCES = core/cmd/main.c
core_spikelab_CPPFLAGS = $(SL_CORE_CPPFLAGS)
core_spikelab_CFLAGS = $(AM_CFLAGS)
core_spikelab_LDADD = core/libslcmd.la
