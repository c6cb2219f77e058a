#!/bin/sh
# Concurrency of the run database: 8 `spikelab run` processes start at once
# on one new database file (so they also race to create its schema) while a
# reader lists the runs in a loop. All 8 must finish, each with every
# epoch's loss and all its results, and the file must pass integrity_check.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/frozen_noise_lif.cfg"
command -v sqlite3 >/dev/null || { echo "concurrent: sqlite3 CLI missing: SKIP"; exit 77; }
tmp=$(mktemp -d /tmp/sl-conc-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }
N=8
EPOCHS=2000

t0=$(date +%s)
pids=""
i=0
while [ $i -lt $N ]; do
    i=$((i + 1))
    # different learning rates: eight distinct runs, told apart by params
    "$sl" run "$exp" train.epochs=$EPOCHS optimizer.lr=0.00$i --quiet \
        --db "$db" >"$tmp/out$i" 2>"$tmp/err$i" &
    pids="$pids $!"
done
# a reader in the meantime: it must never fail, and never stop the writers
(
    k=0
    while [ ! -f "$tmp/done" ] && [ $k -lt 400 ]; do
        k=$((k + 1))
        if [ -f "$db" ]; then
            "$sl" runs --db "$db" --json >/dev/null 2>"$tmp/reader_err" \
                || { echo "reader failed: $(cat "$tmp/reader_err")" >"$tmp/reader_fail"; }
        fi
        sleep 0.02
    done
    echo "$k" >"$tmp/reads"
) &
reader=$!
i=0
for p in $pids; do
    i=$((i + 1))
    wait "$p" || { touch "$tmp/done"; cat "$tmp/out$i" "$tmp/err$i"; fail "run $i exited with $?"; }
done
t1=$(date +%s)
touch "$tmp/done"
wait "$reader"
[ -f "$tmp/reader_fail" ] && fail "$(cat "$tmp/reader_fail")"

[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "integrity_check"
[ "$(q 'SELECT count(*) FROM runs')" = $N ] || fail "expected $N runs: $(q 'SELECT id, status FROM runs')"
[ "$(q "SELECT count(*) FROM runs WHERE status = 'finished'")" = $N ] \
    || fail "not all finished: $(q 'SELECT id, status, error FROM runs')"
# every run: loss at every epoch 1..EPOCHS exactly once, and all results
bad=$(q "SELECT r.id FROM runs r WHERE
           (SELECT count(*) FROM metrics m WHERE m.run_id = r.id AND m.name = 'loss') != $EPOCHS
        OR (SELECT count(DISTINCT step) FROM metrics m WHERE m.run_id = r.id AND m.name = 'loss') != $EPOCHS
        OR (SELECT min(step) FROM metrics m WHERE m.run_id = r.id) != 1
        OR (SELECT max(step) FROM metrics m WHERE m.run_id = r.id) != $EPOCHS")
[ -z "$bad" ] || fail "runs with incomplete metrics: $bad"
nres=$(q "SELECT count(DISTINCT n) FROM (SELECT count(*) AS n FROM results GROUP BY run_id)")
[ "$nres" = 1 ] || fail "runs differ in their number of results"
[ "$(q 'SELECT count(*) FROM results')" -ge $((N * 10)) ] || fail "results missing"
[ "$(q "SELECT count(DISTINCT value_text) FROM params WHERE key = 'optimizer.lr'")" = $N ] \
    || fail "params of the $N runs not recorded"
[ "$(q "SELECT count(*) FROM artifacts WHERE kind = 'parameters'")" = $((N * 2)) ] \
    || fail "trained parameters not stored for every run"
# they did run at the same time: the most runs alive at one moment
overlap=$(q "SELECT max(c) FROM (SELECT (SELECT count(*) FROM runs b
               WHERE b.started_at <= a.started_at AND b.ended_at > a.started_at) AS c
             FROM runs a)")
"$sl" runs --db "$db" --status finished --limit 100 >/dev/null || fail "runs after the test"
echo "concurrent: $N runs x $EPOCHS epochs in $((t1 - t0))s, up to $overlap at once, all finished, metrics complete; $(cat "$tmp/reads") listings read meanwhile"
[ "$overlap" -ge 3 ] || fail "the runs hardly overlapped ($overlap at once): not a concurrency test"
echo "concurrent: ok"
