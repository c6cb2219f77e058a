# issue 15: threads give the same bits (tests/threads.sh); the peers'
# benchmarks run (tests/bench_smoke.sh covers bench/)
TESTS += tests/threads.sh tests/wide.sh
EXTRA_DIST += tests/threads.sh tests/wide.sh
