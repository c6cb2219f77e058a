#!/bin/sh
# scripts/frozen_noise_table.sh — the figures the frozen-noise experiment
# files quote, over seeds and in portable numerics (numerics=portable: the
# same bits on any x86-64 machine, ARCHITECTURE.md), so that a quoted
# table does not rest on one machine's BLAS kernel.
#
#   scripts/frozen_noise_table.sh EXPERIMENT.cfg [-s "SEEDS"] [key=value ...]
#
# SEEDS default "0 1 2 3 4 5 6 7 8 9"; key=value overrides go to every run
# (e.g. train.epochs=500000 train.mismatch.every=0). Runs `spikelab` from
# $SPIKELAB (default: the build tree's spikelab-uninstalled, else
# `spikelab` on PATH) into a temporary run database, one run per seed, and
# prints per seed the train FRR of both samples and the test-FRR median
# and quartiles, then the counts the dynapsim table gives: train FRR > 2
# for both samples / test-FRR median <= 1.3 / both, and the test-FRR
# medians over the seeds (min..max, median).
set -u
[ $# -ge 1 ] || { echo "usage: $0 EXPERIMENT.cfg [-s \"SEEDS\"] [key=value ...]" >&2; exit 2; }
exp=$1
shift
seeds="0 1 2 3 4 5 6 7 8 9"
if [ "${1:-}" = -s ]; then
    seeds=$2
    shift 2
fi
here=$(cd "$(dirname "$0")/.." && pwd)
sl=${SPIKELAB:-}
if [ -z "$sl" ]; then
    if [ -x "$here/spikelab-uninstalled" ]; then sl="$here/spikelab-uninstalled"; else sl=spikelab; fi
fi
tmp=$(mktemp -d /tmp/sl-fn-table-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
echo "# $exp, numerics=portable${*:+, $*}"
printf '%-5s %10s %10s %10s %10s %10s\n' seed train_0 train_1 test_med test_q25 test_q75
: >"$tmp/rows"
for s in $seeds; do
    "$sl" run "$exp" --db "$db" --quiet numerics=portable "seed=$s" "$@" >"$tmp/out" 2>&1 ||
        { cat "$tmp/out" >&2; echo "$0: seed $s failed" >&2; exit 1; }
    "$sl" show last --db "$db" | awk -v s="$s" '
        /^results/ { on = 1; next }
        on && NF == 0 { exit }
        on { v[$1] = $2 }
        END { printf "%-5s %10s %10s %10s %10s %10s\n", s, v["train_frr_0"],
              v["train_frr_1"], v["test_frr_median"], v["test_frr_q25"],
              v["test_frr_q75"] }' | tee -a "$tmp/rows"
done
awk '
    function big(x) { return x == "inf" || x + 0 > 2 }
    { n++; tr = big($2) && big($3); te = ($4 != "inf" && $4 + 0 <= 1.3)
      a += tr; b += te; c += tr && te; m[n] = ($4 == "inf" ? 1e300 : $4 + 0) }
    END {
        # sort the medians (few values: insertion sort)
        for (i = 2; i <= n; i++) { x = m[i]; for (j = i - 1; j > 0 && m[j] > x; j--) m[j + 1] = m[j]; m[j + 1] = x }
        med = n % 2 ? m[(n + 1) / 2] : (m[n / 2] + m[n / 2 + 1]) / 2
        printf "train FRR > 2 (both samples) %d/%d, test-FRR median <= 1.3 %d/%d, both %d/%d\n", a, n, b, n, c, n
        printf "test-FRR medians over the seeds: %.3g..%.3g (median %.3g)\n", m[1], m[n], med
    }' "$tmp/rows"
