#!/bin/sh
# bench/sweep_jobs.sh — what `spikelab sweep --jobs 2` gains over --jobs 1
# (issue 19, Done-when 4): a sweep of 40 short runs (frozen_noise_lif,
# seeds 0..39, 300 epochs each, threads=1) into a fresh database, PAIRS
# pairs of processes interleaved (jobs 1, jobs 2, jobs 1, ...) so a change
# of the machine's load hits both alike. Each sweep reports its points/s
# (points run / wall time of the sweep, from its last line); per pair the
# ratio jobs2/jobs1, then the median [min-max] of the ratios. The load
# average is printed before and after: on a shared machine the figure
# says little, re-measure it on a quiet one.
#
#   bench/sweep_jobs.sh [PAIRS] [key=value ...]    (from the build tree)
#   default 5 pairs; e.g. bench/sweep_jobs.sh 5 train.epochs=1000
set -u
pairs=${1:-5}
[ $# -gt 0 ] && shift
dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/.." && pwd)
sl="$top/core/spikelab"
src=${SL_SRCDIR:-$top}
exp="$src/experiments/frozen_noise_lif.cfg"
[ -x "$sl" ] || { echo "no $sl: build first" >&2; exit 1; }
[ -f "$exp" ] || { echo "no $exp: set SL_SRCDIR to the source tree" >&2; exit 1; }
SPIKELAB_PLUGIN_PATH=$(for d in "$top"/plugins/*/.libs; do printf '%s:' "$d"; done)
export SPIKELAB_PLUGIN_PATH
unset SPIKELAB_DB
tmp=$(mktemp -d /tmp/sl-sweepbench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg); CPUs: $(nproc)"
one() { # jobs -> points/s
    rm -f "$tmp/b.db" "$tmp/b.db-wal" "$tmp/b.db-shm"
    "$sl" sweep "$exp" 'seed=range(0,40)' "$@" --db "$tmp/b.db" \
        >"$tmp/out" 2>"$tmp/err" || { cat "$tmp/out" "$tmp/err" >&2; exit 1; }
    n=$(sqlite3 "$tmp/b.db" "SELECT count(*) FROM runs WHERE status = 'finished'" 2>/dev/null || echo 40)
    [ "$n" = 40 ] || { echo "only $n of 40 points finished" >&2; exit 1; }
    grep -Eo '\([0-9.e+]+ points/s\)' "$tmp/err" | tr -d '(' | cut -d' ' -f1
}
ratios=""
for i in $(seq "$pairs"); do
    a=$(one --jobs 1 "$@") || exit 1
    b=$(one --jobs 2 "$@") || exit 1
    r=$(echo "$a $b" | awk '{ print $2 / $1 }')
    echo "pair $i: --jobs 1 $a points/s, --jobs 2 $b points/s, x$r (load $(cut -d' ' -f1 /proc/loadavg))"
    ratios="$ratios $r"
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average after: $load"
echo "$ratios" | tr ' ' '\n' | grep . | sort -g | awk -v p="$pairs" -v load="$load" '
    { v[NR] = $1 }
    END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
          printf "sweep of 40 runs: --jobs 2 gives %.2fx the points/s of --jobs 1, median [%.2f-%.2f] over %d interleaved pairs (load %s)\n",
                 m, v[1], v[NR], NR, load }'
