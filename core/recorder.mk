# run database and `spikelab runs/show` (owned with core/recorder.c);
# json.c is the small JSON writer of command output, sha256.c hashes
# configs and plugin files.
core_libslcore_la_SOURCES += core/recorder.c core/cmd_runs.c \
	core/json.c core/json.h core/sha256.c core/sha256.h
