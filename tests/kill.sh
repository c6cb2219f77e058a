#!/bin/sh
# Crash safety of the run database: start a long training run, kill it
# with SIGKILL after a varying delay (24 times, from before the run is
# recorded to deep into training), and after each kill check that
#  - the file passes PRAGMA integrity_check (sqlite3 CLI) and
#    foreign_key_check,
#  - the next `spikelab runs` shows the killed run as interrupted (marked
#    by that very invocation: the recording process is gone),
#  - the loss metric is present for every epoch from 1 to the last one
#    committed (no gaps, no duplicates),
# and that most kills landed mid-training (metrics written), so the test
# does exercise the interesting case.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/frozen_noise_lif.cfg"
command -v sqlite3 >/dev/null || { echo "kill: sqlite3 CLI missing: SKIP"; exit 77; }
tmp=$(mktemp -d /tmp/sl-kill-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }
# the newest run's id; 0 also when a kill came before the schema was
# committed (then the file exists, empty: the creating transaction died)
last_id() {
    v=$(sqlite3 "$db" "SELECT coalesce(max(id), 0) FROM runs" 2>/dev/null)
    echo "${v:-0}"
}

# How long a run takes to start here (a slow machine, a sanitizer build):
# 60 % of the time a one-epoch run takes beyond a plain build's ~0.15 s
# (the part before training starts) is added to every delay, so the
# spread below lands at about the same phases everywhere.
ms() { date +%s%N | cut -b1-13; }
c0=$(ms)
"$sl" run "$exp" train.epochs=1 --quiet --db "$tmp/calibrate.db" >/dev/null 2>&1 \
    || fail "a one-epoch run fails"
c1=$(ms)
offset=$(awk -v t=$((c1 - c0)) 'BEGIN { o = 0.6 * (t / 1000 - 0.15); printf "%.2f", (o > 0 ? o : 0) }')

# delays in seconds: a spread from "still starting" to "well into training"
delays="0.02 0.9 0.15 0.6 0.3 1.2 0.05 0.45 0.75 0.35 1.0 0.4 0.5 0.1 0.8 \
0.55 0.65 0.4 1.1 0.5 0.7 0.3 0.95 0.6"
n=0 mid=0 early=0 nometric=0 max_epochs=0 topup=0
t0=$(date +%s)
# one kill: start a long run, wait (a fixed delay, or "until it has
# committed metrics" when $2 = 1), SIGKILL it, check the file and the run
kill_one() { # $1 delay in s after the wait; $2 1 = wait for metrics first
    d=$1
    n=$((n + 1))
    before=0
    [ -f "$db" ] && before=$(last_id)
    "$sl" run "$exp" train.epochs=100000000 --quiet --db "$db" \
        >"$tmp/out" 2>"$tmp/err" &
    pid=$!
    if [ "$2" = 1 ]; then
        k=0
        while [ $k -lt 600 ]; do
            k=$((k + 1))
            sleep 0.05
            [ -f "$db" ] || continue
            r=$(last_id)
            [ "$r" -gt "$before" ] || continue
            c=$(sqlite3 "$db" "SELECT count(*) FROM metrics WHERE run_id = $r" 2>/dev/null)
            [ "${c:-0}" -gt 0 ] && break
        done
        sleep "$d"
    else
        sleep "$(awk -v d="$d" -v o="$offset" 'BEGIN { print d + o }')"
    fi
    kill -9 "$pid" 2>/dev/null || fail "kill $n: the run ended by itself: $(cat "$tmp/err")"
    wait "$pid" 2>/dev/null
    [ -f "$db" ] || { early=$((early + 1)); return; }

    ic=$(q "PRAGMA integrity_check") || fail "kill $n (after ${d}s): sqlite3 cannot read the file"
    [ "$ic" = ok ] || fail "kill $n (after ${d}s): integrity_check: $ic"
    fk=$(q "PRAGMA foreign_key_check")
    [ -z "$fk" ] || fail "kill $n: foreign_key_check: $fk"
    after=$(last_id)
    if [ "$after" -le "$before" ]; then
        early=$((early + 1)) # killed before the run was recorded
        return
    fi
    run=$after
    # the next invocation marks it interrupted and lists it so
    "$sl" runs --db "$db" --limit 1 >"$tmp/runs" 2>&1 || fail "kill $n: spikelab runs failed: $(cat "$tmp/runs")"
    set -- $(sed -n 2p "$tmp/runs")
    [ "${1:-}" = "$run" ] && [ "${2:-}" = interrupted ] \
        || { cat "$tmp/runs"; fail "kill $n (after ${d}s): run $run not shown as interrupted"; }
    st=$(q "SELECT status FROM runs WHERE id = $run")
    [ "$st" = interrupted ] || fail "kill $n: stored status of run $run is '$st'"
    q "SELECT error FROM runs WHERE id = $run" | grep -q "pid $pid" \
        || fail "kill $n: the error of run $run does not name pid $pid"
    set -- $(q "SELECT count(*), coalesce(min(step), 0), coalesce(max(step), 0),
                       count(DISTINCT step)
                FROM metrics WHERE run_id = $run AND name = 'loss'" | tr '|' ' ')
    cnt=$1 lo=$2 hi=$3 distinct=$4
    [ "$cnt" = "$hi" ] && [ "$cnt" = "$distinct" ] && { [ "$cnt" = 0 ] || [ "$lo" = 1 ]; } \
        || fail "kill $n (after ${d}s): run $run has $cnt loss values for steps $lo..$hi ($distinct distinct): not contiguous from 1"
    if [ "$cnt" -gt 0 ]; then
        mid=$((mid + 1))
        [ "$cnt" -gt "$max_epochs" ] && max_epochs=$cnt
    else
        nometric=$((nometric + 1)) # recorded, killed before the first flush
    fi
}
for d in $delays; do
    kill_one "$d" 0
done
# On a loaded machine the fixed delays may land too early: top up with
# kills that first wait for the run's first committed metrics, so the
# interesting case (killed mid-training) is always exercised 12 times.
for d in 0.0 0.07 0.2 0.03 0.35 0.1 0.5 0.15 0.25 0.05 0.4 0.3; do
    [ "$mid" -ge 12 ] && break
    topup=$((topup + 1))
    kill_one "$d" 1
done
t1=$(date +%s)
# every recorded run is interrupted; none left 'running'
left=$(q "SELECT count(*) FROM runs WHERE status != 'interrupted'")
[ "$left" = 0 ] || fail "$left runs not marked interrupted"
echo "kill: $n kills (delays + ${offset}s start-up offset; $topup after waiting for metrics) in $((t1 - t0))s: $mid mid-training (up to $max_epochs epochs committed), $nometric recorded before any metric, $early before the run was recorded"
[ "$mid" -ge 12 ] || fail "only $mid of $n kills landed mid-training (even after waiting for metrics)"
echo "kill: ok"
