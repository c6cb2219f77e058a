# The embedding API (session.h, rundb.h): what libspikelab.so exports, and
# the command that is its client. The out-of-tree embedding example runs in
# tests/outoftree.sh (one staged install for both examples).
TESTS += tests/symbols.sh tests/output_order.sh
EXTRA_DIST += tests/symbols.sh tests/output_order.sh
