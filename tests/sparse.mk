# tests of sparse.so: bit-identical threads, exact decay, index files and
# bad input through `spikelab run` (sparse_run.sh)
TESTS += tests/sparse_run.sh
EXTRA_DIST += tests/sparse_run.sh
