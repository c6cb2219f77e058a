# dynapsim.so: the "dynapsim" neuron component (Dynap-SE2 model of
# Rockpool's DynapSim, with mismatch and BPTT); only spikelab_plugin_init
# is exported.
plugin_LTLIBRARIES += plugins/dynapsim/dynapsim.la
plugins_dynapsim_dynapsim_la_SOURCES = \
	plugins/dynapsim/plugin.c \
	plugins/dynapsim/dynapsim.c \
	plugins/dynapsim/params.c \
	plugins/dynapsim/kernel.c \
	plugins/dynapsim/dynapsim.h \
	plugins/dynapsim/vec.h
plugins_dynapsim_dynapsim_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_dynapsim_dynapsim_la_LIBADD = -lm
