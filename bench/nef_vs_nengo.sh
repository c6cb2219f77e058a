#!/bin/sh
# Both NEF demos in spikelab (nef.so, simulate mode) and in Nengo's
# reference simulator run from source, one thread each, interleaved
# (Nengo channel, spikelab channel, Nengo conditioning, spikelab
# conditioning) R times (default 5); prints build and run time of every
# run and the medians, and the run-time ratio Nengo / spikelab.
#
#   bench/nef_vs_nengo.sh [R] [SEED]
# NENGO_DECODER_CACHE=0 turns Nengo's decoder cache off (it is on by
# default, so every Nengo build after the first of a seed reads its
# decoders from ~/.cache/nengo instead of solving them).
# Needs: a build tree (run from its top), Debian's python3-numpy, and a
# Nengo checkout at $NENGO_SRC (default /tmp/nengo-src), e.g.
#   git clone https://github.com/nengo/nengo /tmp/nengo-src
# Run time = sim.run(T) in Nengo, simulate_run_wall_s in spikelab (the step
# loop, without recording); build = nengo.Simulator(model), and
# simulate_build_wall_s (ensembles, decoders, node tables). Process start and
# imports are in neither. Wall time, and the CPU time of the running
# thread beside it (on a busy machine the wall time of both is inflated
# by waiting; the CPU time much less).
set -eu
r=${1:-5}
seed=${2:-1}
top=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
export NENGO_SRC=${NENGO_SRC:-/tmp/nengo-src}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
SPIKELAB_PLUGIN_PATH=$(for d in "$top"/plugins/*/.libs; do printf '%s:' "$d"; done)
export SPIKELAB_PLUGIN_PATH
sl="$top/core/spikelab"
db=$(mktemp /tmp/nef-bench-XXXXXX.db)
out=$(mktemp /tmp/nef-bench-XXXXXX.txt)
trap 'rm -f "$db" "$db"-* "$out"' EXIT
"$py" -c "import sys; sys.path.insert(0, '$NENGO_SRC'); import nengo" ||
    { echo "Nengo does not import from $NENGO_SRC"; exit 77; }
for i in $(seq 1 "$r"); do
    for demo in pes_channel pavlovian; do
        "$py" "$top/bench/nengo_demos.py" "$demo" "$seed" | tee -a "$out"
        "$sl" run "$top/experiments/$demo.cfg" "seed=$seed" simulate.record=false \
            --db "$db" --quiet |
            awk -v d="$demo" -v s="$seed" '$1 == "simulate_build_wall_s" { b = $3 }
                $1 == "simulate_run_wall_s" { r = $3 }
                $1 == "simulate_build_cpu_s" { cb = $3 }
                $1 == "simulate_run_cpu_s" { cr = $3 }
                END { printf "spikelab %s seed %s build %.4f run %.4f cpu_build %.4f cpu_run %.4f\n", d, s, b, r, cb, cr }' |
            tee -a "$out"
    done
done
echo "medians of $r (s):"
for demo in pes_channel pavlovian; do
    for who in nengo spikelab; do
        for f in build run cpu_build cpu_run; do
            awk -v w="$who" -v d="$demo" -v f="$f" '$1 == w && $2 == d {
                for (i = 1; i <= NF; i++) if ($i == f) print $(i + 1) }' "$out" |
                sort -g | awk '{ v[NR] = $1 } END { m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%s %s %s\n", m, v[1], v[NR] }' >"$out.$who.$f"
        done
        # median [min-max]
        mm() { awk '{ printf "%.4f [%.4f-%.4f]", $1, $2, $3 }' "$1"; }
        printf '  %-9s %-12s build %s  run %s   (CPU: build %s  run %s)\n' \
            "$who" "$demo" "$(mm "$out.$who.build")" "$(mm "$out.$who.run")" \
            "$(mm "$out.$who.cpu_build")" "$(mm "$out.$who.cpu_run")"
    done
    awk -v a="$(cut -d' ' -f1 "$out.nengo.run")" -v b="$(cut -d' ' -f1 "$out.spikelab.run")" \
        -v ca="$(cut -d' ' -f1 "$out.nengo.cpu_run")" -v cb="$(cut -d' ' -f1 "$out.spikelab.cpu_run")" -v d="$demo" \
        'BEGIN { printf "  %s: spikelab runs %.1fx faster than Nengo (wall), %.1fx (CPU)\n", d, a / b, ca / cb }'
    rm -f "$out".*.*
done
