#!/bin/sh
# bench/convsnn_epoch.sh — one training epoch of
# experiments/fashion_mnist_convsnn.cfg (the ch. 13 conv SNN trained with
# rates: 60,000 Fashion-MNIST images, batches of 200, RMSprop), timed per
# process: RUNS processes one after the other, each `spikelab run` of one
# epoch (the evaluations cut to one test image, so the process is the
# epoch plus loading the IDX files, about 1 s). Prints each process's wall
# and CPU time (user + system) with the load average before it, then the
# median [min–max] and what 10 epochs (the experiment) would take.
#
#   bench/convsnn_epoch.sh [-n RUNS] [-l IMAGES] [-t THREADS]   (build tree)
#   defaults: 3 runs, all 60,000 images, threads 0 (one per CPU)
# On a shared machine the wall time depends on the load; the CPU time
# much less so. Needs Debian's dataset-fashion-mnist and GNU time.
set -u
runs=3 limit=0 threads=0
while getopts n:l:t: o; do
    case $o in
    n) runs=$OPTARG ;;
    l) limit=$OPTARG ;;
    t) threads=$OPTARG ;;
    *) echo "usage: $0 [-n RUNS] [-l IMAGES] [-t THREADS]" >&2; exit 2 ;;
    esac
done
dir=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$dir/.." && pwd)
sl="$top/spikelab-uninstalled"
[ -x "$sl" ] || { echo "run from a built tree ($sl missing)" >&2; exit 2; }
[ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ] || {
    echo "needs: apt-get install dataset-fashion-mnist" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (apt-get install time)" >&2; exit 2; }
src=$(sed -n 's/^srcdir = //p' "$top/Makefile")
case $src in /*) ;; *) src="$top/$src" ;; esac
cfg="$src/experiments/fashion_mnist_convsnn.cfg"
tmp=$(mktemp -d /tmp/sl-convsnn-bench-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
images=$limit
[ "$limit" -gt 0 ] || images=60000
for i in $(seq "$runs"); do
    load=$(cut -d' ' -f1-3 /proc/loadavg)
    /usr/bin/time -f "%e %U %S" -o "$tmp/time" "$sl" run "$cfg" --quiet \
        --db "$tmp/runs.db" train.epochs=1 "data.train.limit=$limit" \
        data.test.limit=1 evaluate.0.before=false evaluate.1.before=false \
        "threads=$threads" >"$tmp/out" 2>&1 || { cat "$tmp/out"; exit 1; }
    set -- $(cat "$tmp/time")
    cpu=$(echo "$2 $3" | awk '{ printf "%.1f", $1 + $2 }')
    echo "process $i: $images images, wall $1 s, CPU $cpu s (load average before: $load)"
    echo "$1 $cpu" >>"$tmp/all"
done
med() { sort -g | awk '{ v[NR] = $1 } END { m = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2; printf "%.1f %.1f %.1f", m, v[1], v[NR] }'; }
set -- $(cut -d' ' -f1 "$tmp/all" | med) $(cut -d' ' -f2 "$tmp/all" | med)
echo "$1 $2 $3 $4 $5 $6" | awk -v n="$images" -v r="$runs" -v t="$threads" -v l="$(cut -d' ' -f1-3 /proc/loadavg)" '
    { s = 60000 / n
      printf "CPU per process: median %.1f s [%.1f-%.1f] (scaled to 60,000 images: %.0f s)\n", $4, $5, $6, $4 * s
      printf "fashion_mnist_convsnn: one epoch of %d images: median %.1f s wall [%.1f-%.1f] over %d processes, threads %s, load average after %s; 10 epochs of 60,000 images = %.1f min wall\n",
             n, $1, $2, $3, r, t, l, $1 * s * 10 / 60 }'
