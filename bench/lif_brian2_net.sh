#!/bin/sh
# Workload 1 on Brian2's own network: the connectivity brian2_lif_net.py
# draws for SEED (bench/brian2_connectivity.py, numpy) read by spikelab
# through connect.rule = "file", then R spikelab runs (run seeds 1..R:
# their own v(0) and Poisson input). At N = 1,000 one network's rate
# depends mostly on its connectivity (the rate varies by about 25 %
# between networks, on both sides), so this compares the dynamics on the
# same network: the mean of the R rates against Brian2's rate for SEED
# (given as BRIAN2_RATE, e.g. 10.058 at N = 1,000 and 14.684 at 10,000
# for seed 12345, peers/README.md).
#
#   bench/lif_brian2_net.sh N [SEED] [R] [BRIAN2_RATE]
set -eu
N=$1
seed=${2:-12345}
r=${3:-5}
ref=${4:-}
top=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
SPIKELAB_PLUGIN_PATH=$(for d in "$top"/plugins/*/.libs; do printf '%s:' "$d"; done)
export SPIKELAB_PLUGIN_PATH
d=$(mktemp -d /tmp/lif-b2net-XXXXXX)
trap 'rm -rf "$d"' EXIT
"$py" "$top/bench/brian2_connectivity.py" "$N" "$seed" "$d"
NE=$(( (8 * N + 5) / 10 ))
for s in $(seq 1 "$r"); do
    "$top/core/spikelab" run "$top/experiments/balanced_lif.cfg" "seed=$s" \
        "model.n=$N" "model.populations.E.to=$NE" "model.populations.I.from=$NE" \
        "model.populations.I.to=$N" 'model.connect.rule="file"' \
        "model.connect.indptr=\"$d/indptr.npy\"" \
        "model.connect.indices=\"$d/indices.npy\"" model.record.spikes=0 \
        --db "$d/runs.db" --quiet |
        awk -v s="$s" '$1 == "rate_hz" { r = $3 } $1 == "cv_isi_mean" { c = $3 }
            END { printf "run seed %d: rate %.3f Hz, cv %.3f\n", s, r, c }'
done | tee "$d/out"
awk -v N="$N" -v seed="$seed" -v ref="$ref" '{ r += $5; c += $8; n++ }
    END { m = r / n; printf "N = %d, Brian2 network of seed %d, %d runs: mean rate %.3f Hz, cv %.3f", N, seed, n, m, c / n
          if (ref != "") printf "; Brian2 %.3f Hz (%+.1f %%)", ref, 100 * (m / ref - 1); printf "\n" }' "$d/out"
