#!/bin/sh
# Run both NEF demos (experiments/pes_channel.cfg, pavlovian.cfg) for
# seeds 1 to N (default 10) into a run database and print, per run, the
# spec §9 criteria the run recorded as results (criterion_*, criteria_met)
# and the figures behind them. Exit 1 unless every run met every
# criterion.
#
#   scripts/nef_seeds.sh [N] [DB]     (default 10, /tmp/nef_seeds.db)
# In a build tree it runs ./core/spikelab with the tree's plugins;
# otherwise `spikelab` on PATH (or $SPIKELAB).
set -eu
n=${1:-10}
db=${2:-/tmp/nef_seeds.db}
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${SPIKELAB:-}" ] && [ -x "$here/core/spikelab" ]; then
    SPIKELAB="$here/core/spikelab"
    SPIKELAB_PLUGIN_PATH=$(for d in "$here"/plugins/*/.libs; do printf '%s:' "$d"; done)
    export SPIKELAB_PLUGIN_PATH
fi
export OPENBLAS_NUM_THREADS=1
sl=${SPIKELAB:-spikelab}
fail=0
for demo in pes_channel pavlovian; do
    for seed in $(seq 1 "$n"); do
        out=$("$sl" run "$here/experiments/$demo.cfg" "seed=$seed" \
              --db "$db" --quiet) || { echo "$demo seed $seed: run failed"; fail=1; continue; }
        met=$(printf '%s\n' "$out" | awk '$1 == "criteria_met" { print $3 }')
        figs=$(printf '%s\n' "$out" | awk '$1 ~ /^(criterion_|ratio_|error_max|cr_max|ur_min|simulate_run)/ { printf "%s=%s ", $1, $3 }')
        echo "$demo seed $seed: criteria_met=$met $figs"
        [ "$met" = 1 ] || fail=1
    done
done
[ $fail = 0 ] && echo "all runs met all criteria" || echo "SOME RUNS FAILED A CRITERION"
exit $fail
