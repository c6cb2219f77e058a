#!/bin/sh
# Every shipped experiment in experiments/ is accepted and runs: one epoch
# each (with all its evaluations, exports and records; a simulate
# experiment for 0.5 s of simulated time), exit 0, and the
# run is recorded as finished. Guards the files against drifting from the
# settings the core and the plugins accept.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-experiments-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

n=0
for f in "$top_srcdir"/experiments/*.cfg; do
    n=$((n + 1))
    name=$(basename "$f")
    short=train.epochs=1
    res=
    if grep -q '^simulate' "$f"; then
        short=simulate.duration=0.5
        # its results read the full run's windows
        grep -q '^  results = ' "$f" && res='model.results="function() return {} end"'
    fi
    "$sl" run "$f" "$short" ${res:+"$res"} --quiet --db "$tmp/runs.db" \
        >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/out" "$tmp/err"; fail "$name: exit $?"; }
    grep -q "finished" "$tmp/out" || { cat "$tmp/out"; fail "$name: no 'finished'"; }
    echo "ok: $name"
done
[ "$n" -ge 4 ] || fail "expected at least 4 experiments, found $n"
if command -v sqlite3 >/dev/null; then
    k=$(sqlite3 "$tmp/runs.db" "select count(*) from runs where status='finished'")
    [ "$k" = "$n" ] || fail "$k of $n runs recorded as finished"
fi
echo "experiments: ok ($n files)"
