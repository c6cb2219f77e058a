#!/bin/sh
# tests/output_order.sh — `spikelab run ... >file 2>&1` keeps the order in
# which things happened: the report on stdout (block-buffered in a file)
# and the progress on stderr (unbuffered) must not overtake each other.
# Environment: top_builddir, top_srcdir (set by the test harness).
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/frozen_noise_lif.cfg"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sl-order.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "FAIL: $*"; cat "$tmp/all"; exit 1; }

"$sl" run "$exp" train.epochs=20 --db "$tmp/runs.db" > "$tmp/all" 2>&1 ||
    fail "run exit status $?"
# the line number of the first line matching $1
at() { grep -n -m 1 -e "$1" "$tmp/all" | cut -d: -f1; }
prev=0
for pat in '^run 1: frozen_noise_lif' '^before training:' \
           'initial_test FRR: median' '^  epoch 1/20 ' '^  epoch 20/20 ' \
           '^trained 20 epochs' '^evaluation:' '^  test FRR: median' \
           '^run 1 finished'; do
    n=$(at "$pat")
    [ -n "$n" ] || fail "no line matching '$pat'"
    [ "$n" -gt "$prev" ] || fail "'$pat' (line $n) comes before what precedes it (line $prev)"
    prev=$n
done
# `spikelab evaluate` trains nothing, and without evaluations before
# training it has no such section: no empty heading, no "trained 0 epochs"
"$sl" evaluate 1 --db "$tmp/runs.db" evaluate.0.before=false \
    evaluate.1.before=false > "$tmp/all" 2>&1 ||
    fail "evaluate exit status $?"
grep -q '^  test FRR: median' "$tmp/all" || fail "evaluate: no evaluation"
grep -q '^run 2: frozen_noise_lif (seed 0), no training, evaluation only' \
    "$tmp/all" || fail "evaluate: its header does not say it only evaluates"
! grep -q -e '^before training:' -e '^trained ' "$tmp/all" ||
    fail "evaluate: an empty 'before training:' or a 'trained' line"
echo "ok: stdout and stderr in order in one file; evaluate's report"
