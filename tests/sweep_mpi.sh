#!/bin/sh
# spikelab sweep under mpirun (issue 19): 3 ranks, rank 0 the only one to
# open the run database (each rank runs in its own directory and --db is
# relative, so a worker that opened it would leave a file in its own);
# every point recorded once, tagged; then one worker's point process
# killed (-9) mid-sweep: the point is recorded interrupted, handed out
# again, and every point finishes exactly once. Skipped without MPI.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
[ -n "${MPIRUN:-}" ] || { echo "sweep_mpi: built without MPI: SKIP"; exit 77; }
command -v sqlite3 >/dev/null || { echo "sweep_mpi: sqlite3 CLI missing: SKIP"; exit 77; }
sl="$(cd "$top_builddir" && pwd)/core/spikelab"
exp="$(cd "$top_srcdir" && pwd)/experiments/frozen_noise_lif.cfg"
tmp=$(mktemp -d /tmp/sl-sweep-mpi-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() {
    [ -s "$tmp/hung" ] && cat "$tmp/hung"
    echo "FAIL: $*"
    exit 1
}
# each_once DB N SUFFIX OUT ERR: the sweep's N points each finished exactly
# once in DB (distinct overrides and run UUIDs), and no other run in it
each_once() {
    [ "$(sqlite3 "$1" "SELECT count(*), count(DISTINCT overrides),
         count(DISTINCT uuid) FROM runs WHERE status = 'finished'")" = "$2|$2|$2" ] \
        || { cat "$4" "$5"; sqlite3 "$1" "SELECT id, status, overrides FROM runs"; fail "not every point finished exactly once$3"; }
    [ "$(sqlite3 "$1" "SELECT count(*) FROM runs")" = "$2" ] \
        || { sqlite3 "$1" "SELECT id, status, overrides FROM runs"; fail "extra runs$3"; }
}
cd "$tmp" || exit 99
unset SPIKELAB_DB
mkdir r0 r1 r2 priv
# each rank in its own directory, its private files under priv/
cat >rank.sh <<EOS
#!/bin/sh
cd "$tmp/r\$OMPI_COMM_WORLD_RANK" || exit 99
TMPDIR="$tmp/priv"; export TMPDIR
exec "$sl" "\$@"
EOS
chmod +x rank.sh
# root in a container: Open MPI wants this said; shared memory between
# the ranks without a check of /dev/shm's size
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none
# libmpi keeps its allocations to the end: not our leaks
export ASAN_OPTIONS="${ASAN_OPTIONS:-}${ASAN_OPTIONS:+:}detect_leaks=0"
# Every mpirun bounded: a hang fails the test (naming it) instead of
# holding make check. A run takes seconds (under ASan at load 6: < 20 s).
lim=${SL_TEST_MPI_TIMEOUT:-120}
bounded() {
    timeout -k 10 "$lim" "$@"
    rc=$?
    if [ $rc = 124 ] || [ $rc = 137 ]; then
        echo "sweep_mpi: HANG: mpirun did not end in $lim s: $*" >>"$tmp/hung"
    fi
    return $rc
}
mpi() { bounded "$MPIRUN" --oversubscribe -n 3 "$tmp/rank.sh" sweep "$exp" "$@"; }

# ---- 2 x 2 points over 2 worker ranks --------------------------------------
mpi optimizer.lr=1e-3,1e-2 'seed=range(0,2)' train.epochs=30 --db s.db \
    >out 2>err || { cat out err; fail "the MPI sweep failed"; }
id=$(sed -n 's/^sweep \([0-9a-f]\{12\}\):.*/\1/p' out | head -1)
[ -n "$id" ] || { cat out; fail "no sweep id printed"; }
grep -q '2 worker ranks' out || { cat out; fail "not run across ranks"; }
[ -z "$(find r1 r2 priv -mindepth 1)" ] \
    || { ls -R r1 r2 priv; fail "a worker wrote the database or left files"; }
db=r0/s.db
[ "$(sqlite3 "$db" "SELECT count(*), count(DISTINCT overrides),
     count(DISTINCT uuid) FROM runs r JOIN tags t ON t.run_id = r.id
     WHERE t.tag = 'sweep:$id' AND r.status = 'finished'")" = "4|4|4" ] \
    || { sqlite3 "$db" "SELECT id, status, overrides FROM runs"; fail "not 4 points recorded once"; }
[ "$(sqlite3 "$db" "SELECT count(*) FROM runs")" = 4 ] || fail "extra runs"
grep -c 'finished on rank [12]$' out | grep -q '^4$' || { cat out; fail "progress lines"; }
# a malformed argument: said once (by rank 0), not once per rank
mpi 'seed=range(0' --db bad.db >bout 2>berr && fail "a malformed argument ran"
[ -s "$tmp/hung" ] && fail "the malformed argument's run hung"
[ "$(grep -c "^spikelab sweep: 'seed=range(0'" berr)" = 1 ] || { cat berr; fail "the error not said once"; }
grep -q '^rank [12]:' berr && { cat berr; fail "a worker repeated the error"; }
# again: nothing to run, nothing added
mpi optimizer.lr=1e-3,1e-2 'seed=range(0,2)' train.epochs=30 --db s.db \
    >out2 2>&1 || { cat out2; fail "the repeated MPI sweep failed"; }
grep -q '4 finished before' out2 || { cat out2; fail "resume count"; }
[ "$(sqlite3 "$db" "SELECT count(*) FROM runs")" = 4 ] || fail "a repeat added runs"
"$sl" sweep-summary "$id" --db "$db" >sum 2>&1 || { cat sum; fail "sweep-summary"; }

# ---- one worker's point process killed mid-sweep ---------------------------
# A point's process in the middle of its run: its run recorded running in
# a worker's private database (its pid in the run's row), stopped
# (SIGSTOP) and seen still running, so that it cannot finish between the
# look and the kill (a point takes about a second; a kill that came after
# its end was a point finished twice, or a rank killed in its send).
# Prints its pid.
frozen_point() {
    k=0
    while [ $k -lt 600 ]; do
        for f in priv/spikelab-rank*/point.db; do
            [ -f "$f" ] || continue
            p=$(sqlite3 "$f" "SELECT pid FROM runs WHERE status = 'running'
                LIMIT 1" 2>/dev/null)
            [ -n "$p" ] && kill -STOP "$p" 2>/dev/null || continue
            if [ "$(sqlite3 "$f" "SELECT status FROM runs WHERE pid = $p" \
                    2>/dev/null)" = running ]; then
                echo "$p"
                return 0
            fi
            kill -CONT "$p"
        done
        k=$((k + 1))
        sleep 0.05
    done
    return 1
}
mpi 'seed=range(0,3)' train.epochs=3000 --db k.db >kout 2>kerr &
mp=$!
victim=$(frozen_point) || { kill $mp; fail "no point process seen"; }
kill -9 "$victim"
wait $mp || { cat kout kerr; fail "the sweep did not finish after a killed point"; }
grep -q 'killed by signal 9.*handed out again' kout \
    || { cat kout; fail "the killed point not reported and handed out again"; }
kdb=r0/k.db
[ "$(sqlite3 "$kdb" "SELECT count(*), count(DISTINCT overrides) FROM runs
     WHERE status = 'finished'")" = "3|3" ] \
    || { cat kout; sqlite3 "$kdb" "SELECT id, status, overrides FROM runs"; fail "not every point finished exactly once"; }
[ "$(sqlite3 "$kdb" "SELECT count(*) FROM runs WHERE status = 'interrupted'")" = 1 ] \
    || { sqlite3 "$kdb" "SELECT id, status, overrides FROM runs"; fail "the killed run not recorded interrupted"; }
[ -z "$(find r1 r2 priv -mindepth 1)" ] \
    || { ls -R r1 r2 priv; fail "worker files left"; }

# ---- a whole worker rank killed mid-sweep ----------------------------------
# Under --enable-recovery the other ranks live on; rank 0 hears nothing
# from the dead one for --rank-timeout seconds, gives up on it and hands
# its point to the other worker. The dead rank's point process dies with
# it (PR_SET_PDEATHSIG), its record never reaches rank 0. mpirun's exit
# status is 0 under --enable-recovery whatever rank 0 returns (Open MPI
# 4.1.4), so the outcome is read from rank 0's output and the database.
# --rank-timeout 5: heartbeats every 0.8 s, so a rank starved by a loaded
# machine (ASan, make check -j2) is not given up on wrongly.
rm -rf priv/* r1/* r2/*
mpirec() { bounded "$MPIRUN" --enable-recovery --oversubscribe -n 3 \
    "$tmp/rank.sh" sweep "$exp" 'seed=range(0,4)' train.epochs=3000 \
    --db d.db --rank-timeout 5 "$@"; }
mpirec >dout 2>derr &
mp=$!
# the victim: the worker rank whose point is in its run, stopped (the
# parent of the point's process): the rank waits for it, beating
point=$(frozen_point) || { kill $mp; fail "no worker rank's point seen"; }
rankpid=$(awk '{print $4}' "/proc/$point/stat" 2>/dev/null)
tr '\0' '\n' <"/proc/$rankpid/environ" | grep -q '^OMPI_COMM_WORLD_RANK=[12]$' \
    || { kill $mp; fail "pid $rankpid is not a worker rank"; }
kill -9 "$rankpid"
wait $mp
[ -s "$tmp/hung" ] && { cat dout derr; fail "the sweep hung after a rank died"; }
kill -0 "$point" 2>/dev/null && fail "the dead rank's point process lives on"
grep -q '^rank [12]: no word for [0-9]* s; given up on, its point [0-9]* (.*) handed out again$' dout \
    || { cat dout derr; fail "the dead rank not given up on"; }
grep -q '1 rank given up on' derr || { cat dout derr; fail "summary"; }
ddb=r0/d.db
# nothing of the dead rank's half-run point: 4 runs in all
each_once "$ddb" 4 "" dout derr
# again: nothing to run, nothing added, the ranks end normally
mpirec >dout2 2>&1 || { cat dout2; fail "the repeated sweep failed"; }
grep -q '4 finished before' dout2 || { cat dout2; fail "resume count"; }
grep -q 'given up on' dout2 && { cat dout2; fail "a rank given up on in a quiet run"; }
[ "$(sqlite3 "$ddb" "SELECT count(*) FROM runs")" = 4 ] || fail "a repeat added runs"

# ---- a worker rank killed in the send of its record ------------------------
# The kill above lands mid-training, or (just after a point's end) while
# the rank sends its record: then rank 0 holds a receive of the database
# bytes that can neither complete nor be cancelled (rank 0 hung so, once
# in CI). mpi_diesend.so, preloaded, makes rank 1 die there every time:
# rank 0 gives up on it and runs its point elsewhere, each point once.
diesend="$(cd "$top_builddir" && pwd)/tests/.libs/mpi_diesend.so"
[ -f "$diesend" ] || fail "$diesend missing (make check builds it)"
rm -rf priv/* r1/* r2/*
cat >rank_die.sh <<EOS
#!/bin/sh
LD_PRELOAD="$diesend\${LD_PRELOAD:+:}\${LD_PRELOAD:-}"
SL_TEST_DIE_RANK=1
# ASan wants its runtime first; the preloaded library is not instrumented
ASAN_OPTIONS="\${ASAN_OPTIONS:-}\${ASAN_OPTIONS:+:}verify_asan_link_order=0"
export LD_PRELOAD SL_TEST_DIE_RANK ASAN_OPTIONS
exec "$tmp/rank.sh" "\$@"
EOS
chmod +x rank_die.sh
bounded "$MPIRUN" --enable-recovery --oversubscribe -n 3 "$tmp/rank_die.sh" \
    sweep "$exp" 'seed=range(0,2)' train.epochs=30 --db e.db \
    --rank-timeout 3 >eout 2>eerr
[ -s "$tmp/hung" ] && { cat eout eerr; fail "the sweep hung after a rank died in a send"; }
grep -q '^rank 1: sent part of a result; given up on, its point [0-9]* (.*) handed out again$' eout \
    || { cat eout eerr; fail "rank 1 not given up on in its send"; }
grep -q '1 rank given up on' eerr || { cat eout eerr; fail "summary after the send"; }
edb=r0/e.db
each_once "$edb" 2 " after the send" eout eerr
echo "sweep_mpi: ok"
