#!/bin/sh
# sparse.so (the "sparse_lif" model) through `spikelab run`:
#  - the same seed gives bit-identical spikes, counts and state probes
#    with 1, 2 and 3 threads (N = 2,000, 0.3 s of workload 1), also with
#    per-synapse weights, the out-degree rule and float32 state;
#  - a neuron without input decays exactly: v(n) = v0 exp(-n dt/tau_mem);
#  - an explicit index file is used as given (one synapse 0 -> 1: neuron
#    1's I jumps by the weight in the step neuron 0 spikes);
#  - bad input is refused naming the key (exit 2): an in-degree larger
#    than the sources, overlapping, out-of-range or incomplete
#    populations, index files with out-of-range or duplicate entries, a
#    recording over the budget (with its size).
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-sparse-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 77; }
q() { sqlite3 "$db" "$1"; }
exp="$top_srcdir/experiments/balanced_lif.cfg"
small="model.n=2000 model.populations.E.to=1600 model.populations.I.from=1600 model.populations.I.to=2000 simulate.duration=0.3"

# --- threads: bit-identical ------------------------------------------
sed 's/record = { spikes = -1; };/record = { spikes = -1; state = [0, 17, 1999]; };/' \
    "$exp" >"$tmp/state.cfg"
for t in 1 2 3; do
    "$sl" run "$tmp/state.cfg" $small model.threads=$t --db "$db" --quiet \
        >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "run with $t threads"; }
done
[ "$(q "select count(*) from runs where status='finished'")" = 3 ] || fail "3 runs"
for a in spikes/events.npy spikes/count.npy spikes/per_step.npy probes/v probes/I; do
    n=$(q "select count(distinct data) from artifacts where name='$a'")
    c=$(q "select count(*) from artifacts where name='$a'")
    [ "$n" = 1 ] && [ "$c" = 3 ] || fail "$a differs between 1, 2 and 3 threads ($n versions of $c)"
done
# per-synapse weights (a spread), out-degree rule, float32: 1 and 3 threads
for t in 1 3; do
    "$sl" run "$tmp/state.cfg" $small model.threads=$t 'model.connect.rule="fixed_outdegree"' \
        model.populations.E.weight_sd=0.1 'model.precision="float32"' --db "$db" --quiet \
        >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "float32 run with $t threads"; }
done
for a in spikes/events.npy probes/I; do
    n=$(q "select count(distinct data) from artifacts where name='$a' and run_id in (4, 5)")
    [ "$n" = 1 ] || fail "$a differs between 1 and 3 threads (float32, per-synapse weights)"
done
n=$(q "select count(distinct data) from artifacts where name='probes/I' and run_id in (1, 4)")
[ "$n" = 2 ] || fail "the float32 out-degree run gave the same currents as the float64 in-degree one"
sp=$(q "select value from results where run_id=1 and name='n_spikes'")
awk -v s="$sp" 'BEGIN { exit !(s > 1000) }' || fail "too few spikes ($sp)"
# the event list holds n_spikes (neuron, step) int32 pairs after the header
len=$(q "select length(data) from artifacts where run_id=1 and name='spikes/events.npy'")
awk -v l="$len" -v s="$sp" 'BEGIN { exit !(l - 128 == 8 * s) }' || fail "events.npy: $len bytes for $sp spikes"

# --- a neuron without input decays exactly ---------------------------
cat >"$tmp/decay.cfg" <<'CFG'
name = "decay"; seed = 1;
simulate = { duration = 0.01; dt = 1e-4; };
model = { type = "sparse_lif"; n = 2; v_init_min = 0.5; v_init_max = 0.5;
  connect = { k = 0; };
  populations = ( { from = 0; to = 2; weight = 0.5; } );
  record = { state = [1]; }; };
CFG
"$sl" run "$tmp/decay.cfg" --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "decay run"; }
id=$(q "select max(id) from runs")
v=$(q "select value from results where run_id=$id and name='probe_v_min'")
awk -v v="$v" 'BEGIN { w = 0.5 * exp(-100 * 1e-4 / 0.02); d = v - w;
    if (d < 0) d = -d; if (v == "" || d > 1e-12) { printf "v = %s, expected %.15g\n", v, w; exit 1 } }' \
    || fail "decay"

# --- explicit index files --------------------------------------------
# npy FILE DESCR N VALUES...: a 1-d array as a .npy file (128-byte header)
npy() {
    f=$1 descr=$2 n=$3; shift 3
    dict="{'descr': '$descr', 'fortran_order': False, 'shape': ($n,), }"
    pad=$((128 - 10 - ${#dict} - 1))
    { printf '\223NUMPY\001\000%b\000' "\\0$(printf '%03o' $((${#dict} + pad + 1)))"
      printf "%s%${pad}s\n" "$dict" ''
      for x in "$@"; do printf "%b" "$(printf '\\0%03o\\0%03o\\0%03o\\0%03o' \
          $((x & 255)) $((x >> 8 & 255)) $((x >> 16 & 255)) $((x >> 24 & 255)))"; done
    } >"$f"
}
npy "$tmp/ptr.npy" '<i4' 4 0 0 1 1      # target 1 has source 0
npy "$tmp/idx.npy" '<i4' 1 0
cat >"$tmp/file.cfg" <<CFG
name = "file"; seed = 1;
simulate = { duration = 0.002; dt = 1e-4; };
model = { type = "sparse_lif"; n = 3; v_init_min = 2.0; v_init_max = 2.0;
  t_ref = 0.01;
  connect = { rule = "file"; indptr = "$tmp/ptr.npy"; indices = "$tmp/idx.npy"; };
  populations = ( { from = 0; to = 3; weight = 0.25; } );
  record = { state = [0, 1, 2]; }; };
CFG
"$sl" run "$tmp/file.cfg" --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "file run"; }
id=$(q "select max(id) from runs")
# all three spike in step 0; only neuron 1 has a synapse (from 0): its I
# is 0.25 a_s^n afterwards, the others' stays 0
i1=$(q "select value from results where run_id=$id and name='probe_I_max_d1'")
i0=$(q "select value from results where run_id=$id and name='probe_I_max_d0'")
i2=$(q "select value from results where run_id=$id and name='probe_I_max_d2'")
awk -v a="$i1" -v b="$i0" -v c="$i2" 'BEGIN { exit !(a == 0.25 && b == 0 && c == 0) }' \
    || fail "index file: I maxima $i0 $i1 $i2, expected 0 0.25 0"

# --- bad input -------------------------------------------------------
bad() { # expected-substring config overrides...
    want=$1; cfg=$2; shift 2
    "$sl" run "$cfg" "$@" --db "$db" --quiet >"$tmp/bad" 2>&1
    rc=$?
    [ $rc = 2 ] || { cat "$tmp/bad"; fail "exit $rc for $*"; }
    grep -q -- "$want" "$tmp/bad" || { cat "$tmp/bad"; fail "no '$want' for $*"; }
}
before=$(q "select count(*) from runs")
bad "model.connect.k: 2000 distinct sources per neuron, but there are only 1999" "$exp" $small model.connect.k=2000
bad "population I \[1500, 2000) overlaps population E \[0, 1600)" "$exp" $small model.populations.I.from=1500
bad "model.populations.\[1\].to.*\[1600, 2001) must be a non-empty range of the 2000 neurons" "$exp" $small model.populations.I.to=2001
bad "cover 1900 of the 2000 neurons: neuron 1600 has no population" "$exp" $small model.populations.I.from=1700
npy "$tmp/idx_oor.npy" '<i4' 1 7
bad "source 7 of target 1 is out of range" "$tmp/file.cfg" model.connect.indices="\"$tmp/idx_oor.npy\""
npy "$tmp/ptr2.npy" '<i4' 4 0 0 2 2
npy "$tmp/idx_dup.npy" '<i4' 2 0 0
bad "source 0 appears twice for target 1" "$tmp/file.cfg" model.connect.indptr="\"$tmp/ptr2.npy\"" model.connect.indices="\"$tmp/idx_dup.npy\""
bad "model.connect.indices: .*balanced_lif.cfg: not a .npy file" "$tmp/file.cfg" model.connect.indices="\"$exp\""
bad "ptr.npy: 4 offsets, the network of 4 neurons needs 5" "$tmp/file.cfg" model.n=4 'model.populations.[0].to=4'
bad "model.record.budget_mb: the recording may need up to 38 MiB.*record.budget_mb = 10" "$exp" model.record.budget_mb=10
[ "$(q "select count(*) from runs")" = "$before" ] || fail "a refused experiment was recorded"
echo "sparse_run: ok"
