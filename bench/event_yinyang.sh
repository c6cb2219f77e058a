#!/bin/sh
# bench/event_yinyang.sh — event-based Yin-Yang training speed: the
# analytic TTFS gradient (experiments/yinyang_ttfs.cfg) and EventProp
# (experiments/yinyang_eventprop.cfg), one epoch of 4,992 samples each
# after one warm-up epoch, on one thread, alternating A B A B, RUNS
# processes each (default 5). Prints every figure with the load average
# at that moment, then median [min-max] per method; the last line is the
# headline (TTFS samples/s). No peer runs this workload here (jaxsnn is
# not installed); the figures must be re-measured on a quiet machine.
#
#   bench/event_yinyang.sh [-n RUNS]
set -u
runs=5
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift 2 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "event_yinyang.sh: unknown argument $1" >&2; exit 2 ;;
    esac
done
here=$(cd "$(dirname "$0")" && pwd)
bin=$here/bench_yinyang_event
src=$(cd "$here/.." && pwd)
[ -x "$bin" ] || { echo "event_yinyang.sh: build first (make)" >&2; exit 2; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sl-evbench.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
i=0
while [ $i -lt "$runs" ]; do
    for m in ttfs eventprop; do
        out=$("$bin" "$src/experiments/yinyang_$m.cfg" --threads 1) || exit 1
        v=$(printf '%s\n' "$out" | tail -1 | sed 's/.*: \([0-9.]*\) samples.*/\1/')
        cpu=$(printf '%s\n' "$out" | sed -n 's/.*(\([0-9]*\) samples per CPU second).*/\1/p')
        echo "$m run $((i + 1)): $v samples/s wall, $cpu samples per CPU s, load $(cut -d' ' -f1-3 /proc/loadavg)"
        echo "$v" >> "$tmp/$m"
    done
    i=$((i + 1))
done
stat() {
    sort -g "$1" | awk '{a[NR]=$1} END {m = NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2;
        printf "%.1f [%.1f-%.1f]", m, a[1], a[NR]}'
}
echo "eventprop: $(stat "$tmp/eventprop") samples/s (median [min-max] of $runs)"
echo "event Yin-Yang training, analytic TTFS, 1 thread: $(stat "$tmp/ttfs") samples/s (median [min-max] of $runs, load $(cut -d' ' -f1-3 /proc/loadavg))"
