#!/bin/sh
# The benchmarks in bench/ still start on their default workloads and end
# with their headline figure (a few epochs only: this checks that they
# run, not how fast).
set -u
: "${top_builddir:?run through make check}"
fail() { echo "FAIL: $*"; exit 1; }
for b in bench_lif bench_dynapsim bench_superspike; do
    out=$("$top_builddir/bench/$b" --epochs 3 --repeat 1 2>&1) ||
        { echo "$out"; fail "$b: exit status $?"; }
    last=$(printf '%s\n' "$out" | tail -n 1)
    printf '%s\n' "$last" | grep -Eq '[0-9]+(\.[0-9]+)? (epochs/s|us wall)' ||
        { echo "$out"; fail "$b: last line has no headline figure: $last"; }
    echo "ok: $b: $last"
done
