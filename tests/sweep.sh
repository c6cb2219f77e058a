#!/bin/sh
# spikelab sweep (issue 19): a grid run N at a time, recorded and tagged,
# resumed by running the same command again; sweep-summary's statistics
# checked against the recorded values; a point equal to the same plain
# run; bad arguments refused before anything runs; one point's process
# killed (-9) and the whole sweep stopped (SIGTERM) lose only their
# points; --shard databases merged give the runs of the unsharded sweep,
# and merging again adds nothing.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/frozen_noise_lif.cfg"
command -v sqlite3 >/dev/null || { echo "sweep: sqlite3 CLI missing: SKIP"; exit 77; }
tmp=$(mktemp -d /tmp/sl-sweep-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
cd "$tmp" || exit 99
unset SPIKELAB_DB

# ---- a grid of 2 x 4 points, 2 at a time ------------------------------------
db="$tmp/s.db"
grid="optimizer.lr=1e-3,1e-2 seed=range(0,4) train.epochs=30"
# shellcheck disable=SC2086
"$sl" sweep "$exp" $grid --jobs 2 --db "$db" >out 2>err \
    || { cat out err; fail "the sweep failed"; }
id=$(sed -n 's/^sweep \([0-9a-f]\{12\}\):.*/\1/p' out | head -1)
[ -n "$id" ] || { cat out; fail "no sweep id printed"; }
[ "$(sqlite3 "$db" "SELECT count(*) FROM runs r JOIN tags t ON t.run_id = r.id
     WHERE t.tag = 'sweep:$id' AND r.status = 'finished'")" = 8 ] \
    || fail "not 8 finished runs tagged sweep:$id"
# every point once: 8 distinct override sets, the point's keys first
[ "$(sqlite3 "$db" "SELECT count(DISTINCT overrides) FROM runs")" = 8 ] \
    || fail "points not distinct"
sqlite3 "$db" "SELECT overrides FROM runs WHERE id = 1" | head -1 \
    | grep -q '^optimizer.lr=1e-3$' || fail "overrides of point 0"
[ "$(sqlite3 "$db" "SELECT n_points FROM sweeps WHERE id = '$id'")" = 8 ] \
    || fail "the sweep is not recorded"
# the same command again runs nothing
# shellcheck disable=SC2086
"$sl" sweep "$exp" $grid --jobs 2 --db "$db" >out2 2>err2 \
    || { cat out2 err2; fail "the resumed sweep failed"; }
grep -q '8 finished before' out2 || { cat out2; fail "resume did not see 8 finished"; }
[ "$(sqlite3 "$db" "SELECT count(*) FROM runs")" = 8 ] || fail "resume ran points again"
"$sl" runs --sweep "$id" --db "$db" --json | grep -c '"id"' | grep -qx 8 \
    || fail "runs --sweep"
"$sl" compare "sweep:$id" --db "$db" >cmp || fail "compare sweep:ID"
grep -q 'optimizer.lr' cmp || fail "compare sweep:ID shows no lr difference"

# ---- the summary: mean, std, median, min, max per lr, checked against the
# values recorded (the loss metric's last value)
"$sl" sweep-summary "$id" --db "$db" --json >sum.json || fail "summary --json"
"$sl" sweep-summary "$id" --db "$db" --csv >sum.csv || fail "summary --csv"
"$sl" sweep-summary "$id" --db "$db" --best test_frr_median >sum.txt \
    || fail "summary"
grep -q '^optimizer.lr=1e-3  (4 runs' sum.txt || { cat sum.txt; fail "group of lr 1e-3"; }
grep -q '^best run: ' sum.txt || fail "no best run"
for lr in 1e-3 1e-2; do
    sqlite3 "$db" "SELECT m.value FROM metrics m JOIN runs r ON r.id = m.run_id
        WHERE m.name = 'loss' AND r.overrides LIKE 'optimizer.lr=$lr%'
        AND m.step = 30" >loss.$lr
    [ "$(wc -l <loss.$lr)" = 4 ] || fail "4 losses for lr $lr"
    want=$(sort -g loss.$lr | awk '{v[NR]=$1; s+=$1} END {m=s/NR;
        for (i=1;i<=NR;i++) q+=(v[i]-m)^2;
        printf "%.6g %.6g %.6g %.6g %.6g", m, sqrt(q/(NR-1)), (v[2]+v[3])/2, v[1], v[4]}')
    got=$(awk -F, -v lr="$lr" '$1==lr && $2=="loss" {
        printf "%.6g %.6g %.6g %.6g %.6g", $4, $5, $6, $7, $8}' sum.csv)
    [ "$got" = "$want" ] || fail "lr $lr loss stats: got '$got', recorded '$want'"
done
# --count: runs of a group meeting a condition, against the recorded results
for lr in 1e-3 1e-2; do
    want=$(sqlite3 "$db" "SELECT count(*) FROM runs r JOIN results res ON
        res.run_id = r.id WHERE res.name = 'test_frr_median' AND res.value > 2
        AND r.overrides LIKE 'optimizer.lr=$lr%'")
    got=$("$sl" sweep-summary "$id" --db "$db" --csv --count 'test_frr_median>2' \
        | awk -F, -v lr="$lr" '$1==lr && $2=="count:test_frr_median>2" { print $4 }')
    [ "$got" = "$want" ] || fail "lr $lr: --count gives '$got', recorded $want"
done
"$sl" sweep-summary "$id" --db "$db" --count 'test_frr_median 2' 2>e; [ $? = 2 ] \
    && grep -q "'test_frr_median 2' is not NAME OP NUMBER" e || fail "bad --count"
grep -q '"group_by": \[' sum.json && grep -q '"optimizer.lr": "1e-2"' sum.json \
    || fail "summary JSON"
"$sl" sweep-summary --db "$db" | grep -q "^$id " || fail "sweep list"
"$sl" sweep-summary "$id" --group-by nosuch --db "$db" 2>e; [ $? = 2 ] \
    && grep -q "'nosuch' is not a key" e || fail "--group-by of an unknown key"

# ---- a point is the plain run with the same settings (bit for bit)
"$sl" run "$exp" optimizer.lr=1e-2 seed=2 train.epochs=30 --threads 1 \
    --quiet --db plain.db >/dev/null 2>&1 || fail "plain run"
a=$(sqlite3 plain.db "SELECT group_concat(name || '=' || quote(value), ' ')
    FROM (SELECT * FROM results ORDER BY name)")
b=$(sqlite3 "$db" "SELECT group_concat(name || '=' || quote(value), ' ')
    FROM (SELECT * FROM results WHERE run_id = (SELECT id FROM runs WHERE
    overrides LIKE 'optimizer.lr=1e-2' || char(10) || 'seed=2' || char(10) || '%')
    ORDER BY name)")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "point differs from the plain run: $a / $b"

# ---- bad input: refused before anything runs, naming the argument
"$sl" sweep "$exp" 'optimizer.lr=1e-3,,1e-2' --db bad.db 2>e; [ $? = 2 ] \
    || fail "empty value: exit 2"
grep -q "'optimizer.lr=1e-3,,1e-2': empty value" e || { cat e; fail "message"; }
"$sl" sweep "$exp" 'seed=range(0,4' --db bad.db 2>e; [ $? = 2 ] \
    && grep -q "'seed=range(0,4'" e || fail "unbalanced range"
"$sl" sweep "$exp" 'optimizer.lrr=1e-3,1e-2' --db bad.db 2>e; [ $? = 2 ] \
    && grep -q "optimizer.lrr" e || fail "unknown key"
"$sl" sweep "$exp" 'optimizer.lr=1e-3,-1' --db bad.db 2>e; [ $? = 2 ] \
    && grep -q "optimizer.lr=-1" e || fail "bad value of the second point"
"$sl" sweep "$exp" 'seed=range(0,1001)' --db bad.db 2>e; [ $? = 2 ] \
    && grep -q -- "--yes" e || fail "a large sweep must ask for --yes"
[ ! -e bad.db ] || fail "a refused sweep created its database"

# ---- one point's process killed: the others finish; resumed, every point
# finishes exactly once (points of 6000 epochs, about 0.8 s: a 1500-epoch
# point, 0.2 s since points are forks, could end before the kill)
kdb="$tmp/k.db"
"$sl" sweep "$exp" 'seed=range(0,3)' train.epochs=6000 --jobs 2 --db "$kdb" \
    >kout 2>kerr &
sp=$!
# the victim: a point whose run is recorded and training (its pid is in
# the run's row)
victim=""
k=0
while [ -z "$victim" ] && [ $k -lt 400 ]; do
    [ -f "$kdb" ] && victim=$(sqlite3 "$kdb" "SELECT pid FROM runs WHERE
        status = 'running' AND heartbeat_at > started_at LIMIT 1" 2>/dev/null)
    k=$((k + 1))
    [ -n "$victim" ] || sleep 0.05
done
[ -n "$victim" ] || fail "no point process seen"
kill -9 "$victim"
wait $sp
[ $? = 1 ] || { cat kout kerr; fail "a killed point must make the sweep exit 1"; }
grep -q 'killed by signal 9' kout || { cat kout; fail "the killed point not reported"; }
[ "$(sqlite3 "$kdb" "SELECT count(*) FROM runs WHERE status = 'finished'")" = 2 ] \
    || { cat kout; fail "the other 2 points did not finish"; }
"$sl" sweep "$exp" 'seed=range(0,3)' train.epochs=6000 --jobs 2 --db "$kdb" \
    >kout2 2>&1 || { cat kout2; fail "resuming after a killed point"; }
grep -q '2 finished before' kout2 || { cat kout2; fail "resume count"; }
[ "$(sqlite3 "$kdb" "SELECT count(*), count(DISTINCT overrides) FROM runs
     WHERE status = 'finished'")" = "3|3" ] || fail "every point once"
[ "$(sqlite3 "$kdb" "SELECT status FROM runs WHERE status != 'finished'")" = interrupted ] \
    || fail "the killed point's run is not marked interrupted"

# ---- the whole sweep stopped (SIGTERM): database intact, resumable
tdb="$tmp/t.db"
"$sl" sweep "$exp" 'seed=range(0,2)' train.epochs=6000 --jobs 2 --db "$tdb" \
    >tout 2>&1 &
sp=$!
k=0
while [ -z "$(pgrep -P $sp)" ] && [ $k -lt 200 ]; do sleep 0.05; k=$((k + 1)); done
sleep 0.3
kill -TERM $sp
wait $sp
[ $? = 130 ] || { cat tout; fail "a stopped sweep exits 130"; }
[ "$(sqlite3 "$tdb" 'PRAGMA integrity_check')" = ok ] || fail "integrity"
# a point SIGTERM'd before its run installed its handler dies with the
# row still 'running'; the next command that opens the database marks it
# interrupted (its pid is gone): that is the record to check
"$sl" runs --db "$tdb" >/dev/null 2>&1
[ "$(sqlite3 "$tdb" "SELECT count(*) FROM runs WHERE status = 'running'")" = 0 ] \
    || fail "runs left running"
"$sl" sweep "$exp" 'seed=range(0,2)' train.epochs=6000 --jobs 2 --db "$tdb" \
    >tout2 2>&1 || { cat tout2; fail "resuming a stopped sweep"; }
[ "$(sqlite3 "$tdb" "SELECT count(DISTINCT overrides) FROM runs
     WHERE status = 'finished'")" = 2 ] || fail "stopped sweep: every point"

# ---- shards merged = the unsharded sweep; merging again adds nothing
for i in 0 1 2; do
    # shellcheck disable=SC2086
    "$sl" sweep "$exp" $grid --jobs 2 --shard $i/3 --db "sh$i.db" >shout 2>&1 \
        || { cat shout; fail "shard $i"; }
done
[ "$(sqlite3 sh0.db 'SELECT count(*) FROM runs')" = 3 ] || fail "shard 0 has not 3 points"
"$sl" db merge sh0.db sh1.db sh2.db -o all.db >m1 || { cat m1; fail "merge"; }
"$sl" db merge sh0.db sh1.db sh2.db -o all.db >m2 || fail "merge again"
grep -q 'all.db: 0 runs added' m2 || { cat m2; fail "merging again added runs"; }
set_of() {
    sqlite3 "$1" "SELECT r.overrides || ' ' || res.name || '=' || quote(res.value)
        FROM runs r JOIN results res ON res.run_id = r.id ORDER BY 1"
}
set_of "$db" >one
set_of all.db >merged
[ -s one ] && cmp -s one merged || fail "merged shards differ from the unsharded sweep"
for t in runs params metrics artifacts tags; do
    [ "$(sqlite3 all.db "SELECT count(*) FROM $t")" = "$(sqlite3 "$db" "SELECT count(*) FROM $t")" ] \
        || fail "merged $t count differs"
done
[ "$(sqlite3 all.db "SELECT count(*) FROM sweeps WHERE id = '$id'")" = 1 ] \
    || fail "the shards' sweep is not the unsharded one's"
"$sl" sweep-summary "$id" --db all.db --csv >sum2.csv || fail "summary of the merge"
cmp -s sum.csv sum2.csv || fail "summary of the merged shards differs"
# a re-run merged later keeps its parent, found by UUID under its new id
"$sl" rerun 1 --db sh0.db >/dev/null 2>&1 || fail "rerun in a shard"
"$sl" db merge sh0.db -o all.db >m3 || fail "merge after the rerun"
grep -q '1 run added, 3 already' m3 || { cat m3; fail "merging the rerun"; }
want=$(sqlite3 sh0.db "SELECT p.uuid FROM runs c JOIN runs p ON p.id = c.parent_id")
got=$(sqlite3 all.db "SELECT p.uuid FROM runs c JOIN runs p ON p.id = c.parent_id")
[ -n "$want" ] && [ "$got" = "$want" ] || fail "the merged rerun's parent: '$got', want '$want'"
"$sl" db merge all.db -o all.db >/dev/null 2>e; [ $? = 1 ] \
    && grep -q 'into itself' e || fail "merging a file into itself"
"$sl" db merge nosuch.db -o all.db >/dev/null 2>&1; [ $? = 1 ] || fail "missing input"
for c in sweep sweep-summary db; do
    "$sl" $c --help >/dev/null || fail "$c --help"
done
echo "sweep: ok"
