#!/bin/sh
# bench/side_by_side.sh — spikelab against PyTorch on the peers' BPTT
# workloads (../shared/peers/README.md, workload 2), both sides in one run,
# interleaved A B A B so that both see the same machine.
#
#   bench/side_by_side.sh [-n RUNS] [-t THREADS] [WORKLOAD ...]
#
# WORKLOAD: 2a (frozen noise: bench_lif, epochs/s; the LIF there is the
# jaxsnn one, not the peers' neuron), 2b (Yin-Yang: bench_yinyang,
# samples/s), 2c (SHD-sized: bench_shd, samples/s); default 2b 2c.
# RUNS processes per side (default 5), THREADS for both sides (default 1;
# spikelab --threads N, torch_bptt.py --threads N: torch.set_num_threads
# and OMP/OPENBLAS_NUM_THREADS). Run from the build tree (make first).
# PEERS: the directory of torch_bptt.py (default ../shared/peers beside
# the source tree); PYTHON: the interpreter with Debian's torch
# (default /usr/bin/python3).
#
# Prints every process's figure, then per workload the median [min–max]
# of each side and the ratio of the medians.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
runs=5
threads=1
while [ $# -gt 0 ]; do
    case $1 in
    -n) runs=$2; shift 2 ;;
    -t) threads=$2; shift 2 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) break ;;
    esac
done
[ $# -gt 0 ] || set -- 2b 2c
peers=${PEERS:-$top/../shared/peers}
py=${PYTHON:-/usr/bin/python3}
[ -f "$peers/torch_bptt.py" ] || { echo "no $peers/torch_bptt.py: set PEERS" >&2; exit 2; }
tmp=$(mktemp -d /tmp/sl-sbs-XXXXXX)
trap 'rm -rf "$tmp"' EXIT

stats() { # file of numbers -> "median [min–max]"
    sort -g "$1" | awk '{ v[NR] = $1 } END {
        m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2;
        printf "%.1f [%.1f-%.1f]", m, v[1], v[NR] }'
}
median() { sort -g "$1" | awk '{ v[NR] = $1 } END {
        print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
for w in "$@"; do
    case $w in
    2a) sl_cmd="$here/bench_lif --repeat 1 --epochs 2000"; task=frozen; unit=epochs/s
        sl_pat='s/.* \([0-9.]*\) epochs\/s.*/\1/p'; py_key=iters_per_s ;;
    2b) sl_cmd="$here/bench_yinyang --threads $threads"; task=yinyang; unit=samples/s
        sl_pat='s/.* \([0-9.]*\) samples\/s.*/\1/p'; py_key=samples_per_s ;;
    2c) sl_cmd="$here/bench_shd --threads $threads"; task=shd; unit=samples/s
        sl_pat='s/.* \([0-9.]*\) samples\/s.*/\1/p'; py_key=samples_per_s ;;
    *) echo "unknown workload $w (2a, 2b, 2c)" >&2; exit 2 ;;
    esac
    : >"$tmp/sl.$w"
    : >"$tmp/py.$w"
    for i in $(seq 1 "$runs"); do
        v=$($sl_cmd 2>&1 | tail -n 1 | sed -n "$sl_pat")
        [ -n "$v" ] || { echo "spikelab $w failed" >&2; exit 1; }
        echo "$v" >>"$tmp/sl.$w"
        p=$("$py" "$peers/torch_bptt.py" --task $task --impl torch --threads "$threads" 2>/dev/null |
            tail -n 1 | sed -n "s/.*\"$py_key\": \([0-9.e+-]*\).*/\1/p")
        [ -n "$p" ] || { echo "torch_bptt.py $task failed" >&2; exit 1; }
        echo "$p" >>"$tmp/py.$w"
        echo "$w run $i: spikelab $v, PyTorch $p $unit"
    done
    s=$(median "$tmp/sl.$w")
    p=$(median "$tmp/py.$w")
    echo "$w, $threads thread(s), $runs processes each: spikelab $(stats "$tmp/sl.$w"), PyTorch $(stats "$tmp/py.$w") $unit; ratio $(awk -v a="$s" -v b="$p" 'BEGIN { printf "%.2f", a / b }')"
done
