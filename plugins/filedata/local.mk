# filedata.so: datasets read from files — "npy" (NumPy .npy/.npz), "idx"
# (MNIST-format IDX, gzip through zlib), "events" (HDF5 spike-event
# recordings in the SHD layout, through libhdf5); only
# spikelab_plugin_init is exported.
plugin_LTLIBRARIES += plugins/filedata/filedata.la
plugins_filedata_filedata_la_SOURCES = \
	plugins/filedata/filedata.c plugins/filedata/filedata.h \
	plugins/filedata/npy.c \
	plugins/filedata/idx.c \
	plugins/filedata/events.c
plugins_filedata_filedata_la_CFLAGS = $(AM_CFLAGS) $(ZLIB_CFLAGS) \
	$(HDF5_CFLAGS)
plugins_filedata_filedata_la_LDFLAGS = $(SL_PLUGIN_LDFLAGS)
plugins_filedata_filedata_la_LIBADD = $(ZLIB_LIBS) $(HDF5_LIBS) -lm
