#!/bin/sh
# The chip-in-the-loop event experiment in whole runs
# (experiments/yinyang_event_bss2.cfg, shortened: 2 epochs, 500 test
# samples):
#  - it learns: test accuracy measured on the emulated chip from chance
#    to at least 0.8 (the full run: README.md);
#  - the same seed gives the same bits again (chip fixed pattern, trial
#    noise, jitter, training: all seeded);
#  - the mock settings (ideal chip with spike-time noise and bias, the
#    weight range after every step) run;
#  - a bad backend setting stops at load with exit 2 naming the key.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-bss2ev-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

exp="$top_srcdir/experiments/yinyang_event_bss2.cfg"
short="data.test.size=500 train.epochs=2"
for t in 1 2; do
    "$sl" run "$exp" $short --quiet --db "$tmp/runs.db" \
        >"$tmp/out" 2>"$tmp/err" ||
        { cat "$tmp/out" "$tmp/err"; fail "run $t: exit $?"; }
    id=$(sed -n 's/^run \([0-9]*\) finished.*/\1/p' "$tmp/out")
    [ -n "$id" ] || { cat "$tmp/out"; fail "no run id"; }
    "$sl" export "$id" --db "$tmp/runs.db" | cut -d, -f2-5 |
        grep -v '^param,threads,' | grep -v '_s,' >"$tmp/$t.csv" ||
        fail "export"
    grep -q '^metric,loss,' "$tmp/$t.csv" || fail "no loss"
done
cmp -s "$tmp/1.csv" "$tmp/2.csv" ||
    { diff "$tmp/1.csv" "$tmp/2.csv" | head; fail "the same seed differs"; }
a=$(sed -n 's/^  test accuracy = \([0-9.]*\).*/\1/p' "$tmp/out")
[ -n "$a" ] || { cat "$tmp/out"; fail "no accuracy"; }
awk -v a="$a" 'BEGIN { exit !(a >= 0.8) }' ||
    fail "test accuracy $a after 2 epochs (want >= 0.8)"
echo "chip in the loop: test accuracy $a, the same bits again"

# jaxsnn's mock: an ideal chip, Gaussian spike-time noise with bias, the
# weight range clipped after every step
"$sl" run "$exp" $short train.epochs=1 backend.ideal=true \
    backend.jitter=1e-7 backend.jitter_bias=4e-7 \
    optimizer.weight_bound=1.0862 --quiet --db "$tmp/runs.db" \
    >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/out" "$tmp/err"; fail "mock"; }
grep -q '^  test accuracy = ' "$tmp/out" || { cat "$tmp/out"; fail "mock"; }

"$sl" run "$exp" backend.jitter=-1e-7 --db "$tmp/runs.db" \
    >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || { cat "$tmp/err"; fail "bad jitter: exit $rc, want 2"; }
grep -q 'jitter' "$tmp/err" || { cat "$tmp/err"; fail "key not named"; }
echo "mock runs; a bad setting is refused naming it"
