# dynapse2_export.so: the "dynapse2" backend (exporter) — DynapSim network
# → Dynap-SE2 configuration (JSON) and back; only spikelab_plugin_init is
# exported. fit_paramgen.py documents the bias-generator fit (not built).
plugin_LTLIBRARIES += plugins/dynapse2_export/dynapse2_export.la
plugins_dynapse2_export_dynapse2_export_la_SOURCES = \
	plugins/dynapse2_export/plugin.c \
	plugins/dynapse2_export/paramgen.c \
	plugins/dynapse2_export/quantise.c \
	plugins/dynapse2_export/place.c \
	plugins/dynapse2_export/config.c \
	plugins/dynapse2_export/json.c \
	plugins/dynapse2_export/json.h \
	plugins/dynapse2_export/d2.h \
	plugins/dynapse2_export/dynapse2.h
plugins_dynapse2_export_dynapse2_export_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_dynapse2_export_dynapse2_export_la_LIBADD = -lm
EXTRA_DIST += plugins/dynapse2_export/fit_paramgen.py
