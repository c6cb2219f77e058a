#!/bin/sh
# bench/numerics_cost.sh — what portable numerics costs against the default
# (BLAS) on each benchmark: N pairs of processes, interleaved (blas,
# portable, blas, portable, ...) so that a change in the machine's load
# hits both modes alike; each process prints its own best-of-3 figure,
# timed by its CPU time (--cpu: the machine may be shared).
# Prints, per benchmark, the figures of both modes and the cost ratio
# (portable time / blas time per epoch) of each pair, then its median
# [min–max].
#
#   bench/numerics_cost.sh [PAIRS] [BENCH ...]     (from the build tree)
#   defaults: 7 pairs; bench_lif bench_dynapsim bench_superspike;
#   BENCH_ARGS="..." replaces each benchmark's arguments
set -u
pairs=${1:-7}
[ $# -gt 0 ] && shift
benches=${*:-bench_lif bench_dynapsim bench_superspike}
dir=$(dirname "$0")
for b in $benches; do
    case $b in
    bench_lif) args="--epochs 2000 --repeat 3 --cpu" ;;
    bench_dynapsim) args="--epochs 20000 --repeat 3 --cpu" ;;
    bench_superspike) args="--epochs 1000 --repeat 3 --cpu" ;;
    *) args="" ;;
    esac
    args=${BENCH_ARGS:-$args} # e.g. BENCH_ARGS="--epochs 5000 --repeat 1 --cpu"
    ratios=""
    for i in $(seq "$pairs"); do
        fb=$("$dir/$b" $args numerics=blas | tail -n 1) || exit 1
        fp=$("$dir/$b" $args numerics=portable | tail -n 1) || exit 1
        # the headline, the first "N epochs/s" (higher is faster) or
        # "N us wall" (lower is faster) of the last line
        xb=$(printf '%s\n' "$fb" | grep -Eo '[0-9.]+ (epochs/s|us wall)' | head -n 1)
        xp=$(printf '%s\n' "$fp" | grep -Eo '[0-9.]+ (epochs/s|us wall)' | head -n 1)
        r=$(echo "${xb%% *} ${xp%% *} ${xb#* }" | awk '{ if ($3 == "epochs/s") print $1 / $2; else print $2 / $1 }')
        echo "$b pair $i: blas $xb, portable $xp, cost x$r"
        ratios="$ratios $r"
    done
    echo "$ratios" | tr ' ' '\n' | grep . | sort -g | awk -v b="$b" '
        { v[NR] = $1 }
        END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
              printf "%s: portable/blas time per epoch, median %.3f [%.3f-%.3f] over %d interleaved pairs\n",
                     b, m, v[1], v[NR], NR }'
done
