# plugin loader and `spikelab plugins` (owned with core/registry.c)
core_libslcore_la_SOURCES += core/registry.c core/cmd_plugins.c
