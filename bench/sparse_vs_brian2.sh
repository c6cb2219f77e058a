#!/bin/sh
# Workload 1 of ../shared/peers/README.md (the balanced E/I LIF network,
# experiments/balanced_lif.cfg) in spikelab (sparse.so) and in Brian2
# (../shared/peers/brian2_lif_net.py, Debian's python3-brian), one
# process per measurement, interleaved: for every round and N, each
# Brian2 target, each followed by a spikelab run (B S B S ...).
#
#   bench/sparse_vs_brian2.sh [-n ROUNDS] [-N "1000 10000"] [-t THREADS]
#                             [-T "cython cpp_standalone"] [-s SEED]
#
# run_s = the simulation loop only: Brian2's device._last_run_time (after
# code generation / compilation, which it reports apart), spikelab's
# simulate_run_wall_s (after the network is built; simulate_build_wall_s apart);
# both record every spike in memory. THREADS (default 1) goes to
# spikelab's model.threads and to Brian2's standalone OpenMP (--threads);
# the runtime targets (cython) always run one thread. Prints every run,
# then per N and side the median [min-max] of run_s, the CPU time of the
# loop (spikelab's simulate_run_cpu_s; Brian2 cython's thread CPU time of
# the Network.run call, measured by wrapping it: on a loaded machine the
# wall times of both are inflated by waiting, the CPU times much less),
# the mean rates, and the ratio spikelab / fastest Brian2 target; the
# load average before and after. Last line: the
# headline ratio at the largest N. The first cython run compiles (its
# cache is ~/.cython; prep_s, not counted in run_s).
set -eu
rounds=5
Ns="1000 10000"
threads=1
targets="cython cpp_standalone"
seed=12345
while getopts n:N:t:T:s: o; do
    case $o in
    n) rounds=$OPTARG ;;
    N) Ns=$OPTARG ;;
    t) threads=$OPTARG ;;
    T) targets=$OPTARG ;;
    s) seed=$OPTARG ;;
    *) echo "usage: $0 [-n ROUNDS] [-N \"1000 10000\"] [-t THREADS] [-T TARGETS] [-s SEED]" >&2; exit 2 ;;
    esac
done
top=$(cd "$(dirname "$0")/.." && pwd)
py=${PYTHON:-/usr/bin/python3}
peer=${PEER:-$top/../shared/peers/brian2_lif_net.py}
[ -f "$peer" ] || peer=/work/shared/peers/brian2_lif_net.py
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=$threads
SPIKELAB_PLUGIN_PATH=$(for d in "$top"/plugins/*/.libs; do printf '%s:' "$d"; done)
export SPIKELAB_PLUGIN_PATH
sl="$top/core/spikelab"
db=$(mktemp /tmp/sparse-bench-XXXXXX.db)
out=$(mktemp /tmp/sparse-bench-XXXXXX.txt)
trap 'rm -f "$db" "$db"-* "$out"' EXIT
# the peer's script as it is, with Network.run wrapped to also measure
# the CPU time of the calling thread during the 1 s run (the runtime
# targets run the loop in this thread; standalone runs it in its own
# process, so its CPU figure is not the loop's and is printed as nan)
wrap='import io, json, runpy, sys, time
import brian2
orig = brian2.Network.run
cpu = {}
def run(self, *a, **k):
    k["level"] = k.get("level", 0) + 1  # names resolve in the caller
    t0 = time.thread_time()
    r = orig(self, *a, **k)
    cpu["last"] = time.thread_time() - t0
    return r
brian2.Network.run = run
peer = sys.argv[1]
sys.argv = sys.argv[1:]
keep, sys.stdout = sys.stdout, io.StringIO()
try:
    runpy.run_path(peer, run_name="__main__")
finally:
    out, sys.stdout = sys.stdout.getvalue(), keep
res = json.loads(out.strip().splitlines()[-1])
res["run_cpu_s"] = cpu.get("last", float("nan")) if res["target"] != "cpp_standalone" else float("nan")
print(json.dumps(res))'
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for i in $(seq 1 "$rounds"); do
    for N in $Ns; do
        NE=$(( (8 * N + 5) / 10 ))
        for tg in $targets; do
            bt=1
            [ "$tg" = cpp_standalone ] && bt=$threads
            "$py" -c "$wrap" "$peer" --N "$N" --target "$tg" --threads "$bt" --seed "$seed" 2>/dev/null |
                "$py" -c 'import json, sys
r = json.loads(sys.stdin.read().strip().splitlines()[-1])
print("brian2-%s N %d threads %d run_s %.4f rate %.3f cv %.3f cpu_s %.4f" % (r["target"], r["N"], r["threads"], r["run_s"], r["mean_rate_hz"], r["cv_isi_mean"], r["run_cpu_s"]))' |
                tee -a "$out"
            "$sl" run "$top/experiments/balanced_lif.cfg" "seed=$seed" "model.n=$N" \
                "model.populations.E.to=$NE" "model.populations.I.from=$NE" \
                "model.populations.I.to=$N" "model.threads=$threads" \
                --db "$db" --quiet |
                awk -v N="$N" -v t="$threads" '$1 == "simulate_run_wall_s" { r = $3 }
                    $1 == "simulate_run_cpu_s" { c = $3 } $1 == "rate_hz" { h = $3 }
                    $1 == "cv_isi_mean" { v = $3 }
                    END { printf "spikelab N %d threads %d run_s %.4f rate %.3f cv %.3f cpu_s %.4f\n", N, t, r, h, v, c }' |
                tee -a "$out"
        done
    done
done
load=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load after: $load"
# median [min-max] of field f of the lines of `who` at N
stat() {
    awk -v w="$1" -v N="$2" -v f="$3" '$1 == w && $3 == N {
        for (i = 1; i < NF; i++) if ($i == f) v[n++] = $(i + 1) }
        END { if (!n) exit; for (i = 0; i < n; i++) for (j = i + 1; j < n; j++)
                  if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
              m = n % 2 ? v[(n - 1) / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
              printf "%.4f [%.4f-%.4f] (%d runs)", m, v[0], v[n - 1], n }' "$out"
}
med() { stat "$@" | cut -d' ' -f1; }
last=""
for N in $Ns; do
    echo "N = $N, $threads thread(s), run_s median [min-max]:"
    best=""; bestw=""
    for tg in $targets; do
        echo "  brian2-$tg: $(stat "brian2-$tg" "$N" run_s), loop CPU $(stat "brian2-$tg" "$N" cpu_s), rate $(med "brian2-$tg" "$N" rate) Hz, cv $(med "brian2-$tg" "$N" cv)"
        m=$(med "brian2-$tg" "$N" run_s)
        if [ -n "$m" ] && { [ -z "$best" ] || awk -v a="$m" -v b="$best" 'BEGIN { exit !(a < b) }'; }; then
            best=$m; bestw=$tg
        fi
    done
    s=$(med spikelab "$N" run_s)
    echo "  spikelab: $(stat spikelab "$N" run_s), loop CPU $(stat spikelab "$N" cpu_s), rate $(med spikelab "$N" rate) Hz, cv $(med spikelab "$N" cv)"
    cs=$(med spikelab "$N" cpu_s)
    cb=$(med brian2-cython "$N" cpu_s)
    [ -n "$cb" ] && echo "  loop CPU time, spikelab / Brian2 cython: $(awk -v a="$cs" -v b="$cb" 'BEGIN { if (b + 0 > 0) printf "%.3f (%.4f s / %.4f s)", a / b, a, b; else print "n/a" }')"
    last=$(awk -v s="$s" -v b="$best" -v w="$bestw" -v N="$N" -v t="$threads" -v l="$load" 'BEGIN {
        printf "N = %d, %d thread(s): spikelab run_s / Brian2 %s run_s = %.3f (%.4f s / %.4f s; medians; load %s)", N, t, w, s / b, s, b, l }')
    echo "  $last"
done
echo "$last"
