#!/bin/sh
# Checkpoints and `spikelab resume` (issue 13, "Done when" 3): a run
# killed with SIGKILL after its third checkpoint and resumed ends with
# metrics (every step, name and value), results and trained parameters
# bit-identical to the same run never stopped — on the frozen-noise task
# (LIF, Adam) and on the Yin-Yang task on the emulated BrainScaleS-2 chip
# (hardware in the loop: Adam's moments and the chip's noise generator
# are part of the state), both shortened to stay a few seconds. Then the
# refusals: resuming a finished run, a run without checkpoints, an
# unknown run, a checkpoint of another configuration or of another
# network (exit 2, nothing recorded changed); and a learning rule, which
# keeps no state, checkpoints.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
command -v sqlite3 >/dev/null || { echo "resume: sqlite3 CLI missing: SKIP"; exit 77; }
tmp=$(mktemp -d /tmp/sl-resume-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

# bit for bit: values compared with 17 significant digits (exact for a
# double), parameters as bytes
same() { # DB A B
    for q in "SELECT step, name, printf('%.17g', value) FROM metrics WHERE run_id = ?" \
             "SELECT name, printf('%.17g', value) FROM results WHERE run_id = ?" \
             "SELECT name, hex(data) FROM artifacts WHERE kind = 'parameters' AND run_id = ?"; do
        qa=$(echo "$q" | sed "s/?/$2/") qb=$(echo "$q" | sed "s/?/$3/")
        n=$(sqlite3 "$1" "SELECT count(*) FROM ($qa EXCEPT $qb)")
        m=$(sqlite3 "$1" "SELECT count(*) FROM ($qb EXCEPT $qa)")
        [ "$n" = 0 ] && [ "$m" = 0 ] || { echo "differs: $q ($n, $m rows)"; return 1; }
    done
    return 0
}

# kill_after DB EXP N OVERRIDES...: start a run, SIGKILL it once its
# checkpoint is at epoch >= N, then resume it
kill_resume() {
    db=$1 exp=$2 at=$3
    shift 3
    "$sl" run "$exp" --db "$db" --quiet "$@" >"$tmp/full.out" 2>&1 ||
        fail "$exp: the uninterrupted run fails: $(cat "$tmp/full.out")"
    full=$(sqlite3 "$db" "SELECT max(id) FROM runs")
    "$sl" run "$exp" --db "$db" --quiet "$@" >"$tmp/killed.out" 2>&1 &
    pid=$!
    id=$((full + 1)) e=0 tries=0
    while [ "$e" -lt "$at" ]; do
        kill -0 $pid 2>/dev/null || fail "$exp: the run ended before its checkpoint at epoch $at"
        e=$(sqlite3 "$db" "SELECT coalesce(max(epoch), 0) FROM checkpoints WHERE run_id = $id" 2>/dev/null)
        e=${e:-0}
        tries=$((tries + 1))
        [ $tries -lt 3000 ] || fail "$exp: no checkpoint at epoch $at after 60 s"
        sleep 0.02
    done
    kill -9 $pid
    wait $pid 2>/dev/null
    [ "$(sqlite3 "$db" "SELECT status FROM runs WHERE id = $id")" = running ] ||
        [ "$(sqlite3 "$db" "SELECT status FROM runs WHERE id = $id")" = interrupted ] ||
        fail "$exp: the killed run is not running/interrupted"
    last=$(sqlite3 "$db" "SELECT max(step) FROM metrics WHERE run_id = $id")
    ck=$(sqlite3 "$db" "SELECT epoch FROM checkpoints WHERE run_id = $id")
    total=$(sqlite3 "$db" "SELECT max(step) FROM metrics WHERE run_id = $full")
    [ "$last" -lt "$total" ] || fail "$exp: the kill came after the last epoch"
    "$sl" resume "$id" --db "$db" --quiet >"$tmp/resume.out" 2>&1 ||
        fail "$exp: resume fails: $(cat "$tmp/resume.out")"
    [ "$(sqlite3 "$db" "SELECT status FROM runs WHERE id = $id")" = finished ] ||
        fail "$exp: the resumed run is not finished"
    same "$db" "$full" "$id" || fail "$exp: run $id (killed after the checkpoint at epoch $ck, metrics to $last, resumed) differs from run $full"
    [ "$(sqlite3 "$db" "SELECT resumed FROM checkpoints WHERE run_id = $id")" = 1 ] ||
        fail "$exp: the resume is not counted"
    echo "ok: $(basename "$exp"): killed after the checkpoint at epoch $ck (metrics up to $last), resumed: bit-identical to run $full"
}

kill_resume "$tmp/fn.db" "$top_srcdir/experiments/frozen_noise_lif.cfg" 300 \
    train.epochs=3000 train.checkpoint_every=100
kill_resume "$tmp/yy.db" "$top_srcdir/experiments/yinyang_hil_bss2.cfg" 3 \
    train.epochs=20 data.train.size=400 data.test.size=100 \
    train.checkpoint_every=1

# refusals: exit 2, and the record as it was
db="$tmp/fn.db"
before=$(sqlite3 "$db" "SELECT group_concat(id || status || coalesce(ended_at, ''), ',') FROM runs")
"$sl" resume 1 --db "$db" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "finished" "$tmp/err" || fail "resume of a finished run: rc $rc, $(cat "$tmp/err")"
"$sl" resume 99 --db "$db" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "no run 99" "$tmp/err" || fail "resume of an unknown run: rc $rc"
"$sl" resume 2 extra=1 --db "$db" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] || fail "resume with an override: rc $rc"
# a run without checkpoints, interrupted
"$sl" run "$top_srcdir/experiments/frozen_noise_lif.cfg" --db "$db" --quiet train.epochs=100000 >/dev/null 2>&1 &
pid=$!
n=0
until [ "$(sqlite3 "$db" "SELECT count(*) FROM metrics m JOIN runs r ON r.id = m.run_id WHERE r.id = 3")" -gt 0 ]; do
    n=$((n + 1)); [ $n -lt 3000 ] || fail "run 3 never trains"; sleep 0.02
done
kill -9 $pid; wait $pid 2>/dev/null
"$sl" resume 3 --db "$db" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "has no checkpoint" "$tmp/err" || fail "resume without a checkpoint: rc $rc, $(cat "$tmp/err")"
# a checkpoint of another configuration (moved over by hand)
sqlite3 "$db" "INSERT INTO checkpoints(run_id, epoch, config_hash, data, created_at) SELECT 3, epoch, 'x', data, 0 FROM checkpoints WHERE run_id = 2"
"$sl" resume 3 --db "$db" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "another configuration" "$tmp/err" || fail "resume from a foreign checkpoint: rc $rc, $(cat "$tmp/err")"
# the right hash but another network's tensors (the Yin-Yang run's)
sqlite3 "$db" "UPDATE checkpoints SET config_hash = (SELECT config_hash FROM runs WHERE id = 3) WHERE run_id = 3"
cp "$db" "$tmp/other.db"
sqlite3 "$tmp/other.db" "ATTACH '$tmp/yy.db' AS y; UPDATE checkpoints SET data = (SELECT data FROM y.checkpoints WHERE run_id = 2) WHERE run_id = 3"
"$sl" resume 3 --db "$tmp/other.db" >/dev/null 2>"$tmp/err"; rc=$?
[ $rc = 2 ] && grep -q "another network" "$tmp/err" || fail "resume from another network's checkpoint: rc $rc, $(cat "$tmp/err")"
[ "$(sqlite3 "$tmp/other.db" "SELECT status FROM runs WHERE id = 3")" = interrupted ] || fail "a refused resume changed the run"
after=$(sqlite3 "$db" "SELECT group_concat(id || status || coalesce(ended_at, ''), ',') FROM runs WHERE id < 3")
[ "$before" = "$after" ] || fail "refusals changed the record: $before vs $after"
# a learning rule (SuperSpike on the chip) says it keeps no state
"$sl" run "$top_srcdir/experiments/superspike_bss2.cfg" --db "$tmp/ss.db" --quiet train.checkpoint_every=10 train.epochs=30 >/dev/null 2>"$tmp/err" ||
    fail "superspike with checkpoints: $(cat "$tmp/err")"
echo "ok: refusals (finished, unknown, no checkpoint, another configuration, another network)"
"$sl" resume --help | grep -q "Usage: spikelab resume" || fail "resume --help"
exit 0
