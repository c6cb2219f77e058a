# NIR graphs in and out (core/nir, engine/nirmap.c, cmd/nir.c):
# tests/nir_roundtrip.sh with its helpers in tests/nir/ (graphs written
# with h5py in NIR's layout, the layout check of every file written).
TESTS += tests/nir_roundtrip.sh
EXTRA_DIST += tests/nir_roundtrip.sh tests/nir/make_graphs.py \
	tests/nir/check_layout.py tests/nir/reference.py
