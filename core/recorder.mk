# run database and `spikelab runs/show` (owned with core/recorder.c)
core_libslcore_la_SOURCES += core/recorder.c core/cmd_runs.c \
	core/json.c core/json.h core/sha256.c core/sha256.h
