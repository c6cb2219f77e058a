#!/bin/sh
# Workload 1 at sizes Brian2 is not run at: spikelab alone, one process
# per N (default 100,000 and 1,000,000; K = 100 as in the workload),
# 1 s of biological time, wall time and peak memory from
# /usr/bin/time -v, the loop's time and the rate from the run.
#
#   bench/sparse_big.sh [-N "100000 1000000"] [-t THREADS]
#
# Every spike is recorded (record.budget_mb raised: the budget counts the
# worst case of one spike per refractory period; the memory is only
# touched by the spikes that happen). Last line: the largest N's figures.
set -eu
Ns="100000 1000000"
threads=1
while getopts N:t: o; do
    case $o in
    N) Ns=$OPTARG ;;
    t) threads=$OPTARG ;;
    *) echo "usage: $0 [-N \"100000 1000000\"] [-t THREADS]" >&2; exit 2 ;;
    esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
SPIKELAB_PLUGIN_PATH=$(for d in "$top"/plugins/*/.libs; do printf '%s:' "$d"; done)
export SPIKELAB_PLUGIN_PATH
db=$(mktemp /tmp/sparse-big-XXXXXX.db)
tv=$(mktemp /tmp/sparse-big-XXXXXX.txt)
trap 'rm -f "$db" "$db"-* "$tv"' EXIT
last=""
for N in $Ns; do
    NE=$(( (8 * N + 5) / 10 ))
    echo "load before N = $N: $(cut -d' ' -f1-3 /proc/loadavg)"
    /usr/bin/time -v -o "$tv" "$top/core/spikelab" run "$top/experiments/balanced_lif.cfg" \
        "model.n=$N" "model.populations.E.to=$NE" "model.populations.I.from=$NE" \
        "model.populations.I.to=$N" "model.threads=$threads" \
        model.record.budget_mb=65536 --db "$db" --quiet >"$tv.out"
    cat "$tv.out"
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { print $2 }' "$tv")
    rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tv")
    run=$(awk '$1 == "simulate_run_wall_s" { print $3 }' "$tv.out")
    build=$(awk '$1 == "simulate_build_wall_s" { print $3 }' "$tv.out")
    rate=$(awk '$1 == "rate_hz" { print $3 }' "$tv.out")
    rm -f "$tv.out" "$db" "$db"-*
    last="N = $N, $threads thread(s): process wall $wall, peak RSS $rss MiB, build $build s, loop $run s, rate $rate Hz (load $(cut -d' ' -f1-3 /proc/loadavg))"
    echo "$last"
done
echo "$last"
