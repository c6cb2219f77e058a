#!/bin/sh
# scripts/dendrites_table.sh — issue 22's table (Done-when 4): the
# winner-take-all frozen-noise task (experiments/frozen_noise_wta_dynapsim.cfg)
# over seeds, in three columns groups per seed:
#   D   trained and simulated with synapses = "dendrites" (negative w_rec
#       are GABA_B inhibition): float results, and the quantised
#       re-evaluation of its exported Dynap-SE2 configuration (Dq), which
#       simulates the dendrite model, i.e. what the chip would do;
#   DM  the same trained network evaluated in the merged model (Rockpool's
#       simulator: negative weights only cancel positive drive in a step),
#       i.e. what a merged simulation would say about that chip network;
#   M   the task trained with synapses = "merged" (float, quantised Mq).
# Per group: train FRR of both samples and the test-FRR median.
#
#   scripts/dendrites_table.sh [-s "SEEDS"] [key=value ...]
#
# Runs one job at a time, niced, from $SPIKELAB (default the build tree's
# spikelab-uninstalled), into a temporary database; prints the load
# average and the wall and CPU time of every run, and at the end the
# summaries: |log(Dq/D)| and |log(DM/D)| medians of the train FRRs (how
# far the quantised dendrite network and the merged view are from the
# dendrite simulation), and per column how many train samples are decided
# right (the target neuron fires more: FRR > 1).
set -u
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
exp="$here/experiments/frozen_noise_wta_dynapsim.cfg"
tmp=$(mktemp -d /tmp/sl-dend-table-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"

# results of the last run: train_frr_0 train_frr_1 test_frr_median, with
# prefix $1 ("" or "quantised_")
res() {
    "$sl" show last --db "$db" | awk -v p="$1" '
        /^results/ { on = 1; next }
        on && NF == 0 { exit }
        on { v[$1] = $2 }
        END { printf "%s %s %s", v[p "train_frr_0"], v[p "train_frr_1"],
              v[p "test_frr_median"] }'
}
# run "$@" niced; append "label wall cpu" to $tmp/times
timed() {
    label=$1
    shift
    /usr/bin/time -f "$label %e %U" -a -o "$tmp/times" nice -n 10 "$@" \
        >"$tmp/out" 2>&1 || { cat "$tmp/out" >&2; echo "$0: $label failed" >&2; exit 1; }
}
echo "# $exp${*:+, $*}"
echo "# load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-4s | %-22s | %-22s | %-22s | %-22s | %-22s\n' seed \
    "D tr0 tr1 test" "Dq tr0 tr1 test" "DM tr0 tr1 test" \
    "M tr0 tr1 test" "Mq tr0 tr1 test"
: >"$tmp/rows"
for s in $seeds; do
    timed "D$s" "$sl" run "$exp" --db "$db" --quiet "seed=$s" "$@"
    id=$("$sl" runs --db "$db" | awk 'NR > 1 && $1 ~ /^[0-9]+$/ { if ($1 > m) m = $1 } END { print m }')
    d=$(res "")
    dq=$(res quantised_)
    timed "DM$s" "$sl" evaluate "$id" --db "$db" --quiet \
        network.layers.dynapsim.synapses=merged
    dm=$(res "")
    timed "M$s" "$sl" run "$exp" --db "$db" --quiet "seed=$s" \
        network.layers.dynapsim.synapses=merged "$@"
    m=$(res "")
    mq=$(res quantised_)
    echo "$s $d $dq $dm $m $mq" >>"$tmp/rows"
    echo "$s $d $dq $dm $m $mq" | awk '{ printf "%-4s | %6s %6s %6s | %6s %6s %6s | %6s %6s %6s | %6s %6s %6s | %6s %6s %6s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16 }'
done
echo "# load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '{ w[substr($1, 1, 2) ~ /^DM/ ? "DM" : substr($1, 1, 1)] += $2; c[substr($1, 1, 2) ~ /^DM/ ? "DM" : substr($1, 1, 1)] += $3 }
     END { printf "# wall / CPU seconds: D %.0f / %.0f, DM %.0f / %.0f, M %.0f / %.0f\n", w["D"], c["D"], w["DM"], c["DM"], w["M"], c["M"] }' "$tmp/times"
awk '
    function v(x) { return x == "inf" ? 1e3 : (x + 0 < 1e-3 ? 1e-3 : x + 0) }
    function d(a, b) { x = log(v(a) / v(b)); return x < 0 ? -x : x }
    function med(a, n,   i, j, x) {
        for (i = 2; i <= n; i++) { x = a[i]; for (j = i - 1; j > 0 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
        return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2 }
    { for (k = 0; k < 2; k++) { q[++n] = d($(5 + k), $(2 + k)); m[n] = d($(8 + k), $(2 + k)) }
      sq += ($2 == $5 && $3 == $6); sm += ($2 == $8 && $3 == $9); s++ }
    END {
        printf "train FRRs (both samples, %d seeds; inf counted as 1000):\n", s
        printf "  quantised dendrites vs float dendrites: median |ln ratio| %.3g, identical in %d/%d seeds\n", med(q, n), sq, s
        printf "  same network in the merged model vs dendrites: median |ln ratio| %.3g, identical in %d/%d seeds\n", med(m, n), sm, s
    }' "$tmp/rows"
# the decision: a train sample is classified right when its target neuron
# fires more than the other (FRR > 1; a tie, both silent included, is not)
awk '
    function ok(x) { return x == "inf" || x + 0 > 1 }
    { for (g = 0; g < 5; g++) { k = ok($(2 + 3 * g)) + ok($(3 + 3 * g)); c[g] += k; a[g] += (k == 2) } s++ }
    END {
        split("D Dq DM M Mq", nm, " ")
        printf "train samples decided right (FRR > 1), of %d; seeds with both right:\n ", 2 * s
        for (g = 0; g < 5; g++) printf " %s %d (%d/%d)", nm[g + 1], c[g], a[g], s
        printf "\n"
    }' "$tmp/rows"
