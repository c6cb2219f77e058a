# run database and the run-history commands (owned with core/recorder.c):
# `spikelab runs/show` (cmd_runs.c), compare/export/tag/note/rm
# (cmd_history.c), rerun (cmd_rerun.c), their shared helpers (cmdutil.c),
# --where/--since/--sort parsing into parameterised SQL (filter.c), the
# loss plot of `show` (textplot.c). json.c is the small JSON writer of
# command output, sha256.c hashes configs and plugin files, flatten.c turns
# a config into params rows, liveness.c tells whether a run's process is
# alive, npy.c writes the .npy artifacts.
core_libslcore_la_SOURCES += core/recorder.c core/cmd_runs.c \
	core/cmd_history.c core/cmd_rerun.c core/cmdutil.c core/cmdutil.h \
	core/filter.c core/filter.h core/textplot.c core/textplot.h \
	core/json.c core/json.h core/sha256.c core/sha256.h \
	core/flatten.c core/flatten.h core/liveness.c core/liveness.h \
	core/npy.c core/npy.h
