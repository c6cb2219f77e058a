#!/bin/sh
# Parameters from a recorded run and from files (issue 13, "Done when" 4):
#  - init_from a finished run with train.epochs = 0 gives exactly that
#    run's final results (every non-initial result, bit for bit), and
#    `spikelab evaluate ID` does the same from the command line, naming
#    its source (init_from.run among the new run's parameters);
#  - a layer's tensors from .npy files (the trained run's exported
#    parameters) give the same results again;
#  - bad input is exit 2 with nothing recorded: an unknown run, a run of
#    another network (each mismatch named), a missing, truncated, wrongly
#    shaped or integer .npy, a parameter the layer does not have;
#  - record = { samples = [...] } stores the traces of those samples with
#    the input they got.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/frozen_noise_lif.cfg"
command -v sqlite3 >/dev/null || { echo "models: sqlite3 CLI missing: SKIP"; exit 77; }
tmp=$(mktemp -d /tmp/sl-models-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }
# final results of B equal A's (17 digits: exact for a double)
same_final() {
    r="SELECT name, printf('%.17g', value) FROM results WHERE substr(name, 1, 8) != 'initial_' AND run_id ="
    n=$(q "SELECT count(*) FROM ($r $1 EXCEPT $r $2)")
    m=$(q "SELECT count(*) FROM ($r $2 EXCEPT $r $1)")
    k=$(q "SELECT count(*) FROM results WHERE substr(name, 1, 8) != 'initial_' AND run_id = $1")
    [ "$n" = 0 ] && [ "$m" = 0 ] && [ "$k" -gt 10 ]
}
runs() { q "SELECT count(*) FROM runs"; }

"$sl" run "$exp" --db "$db" --quiet train.epochs=200 >/dev/null 2>&1 || fail "training run"
"$sl" run "$exp" --db "$db" --quiet train.epochs=0 init_from.run=1 >/dev/null 2>&1 || fail "init_from run"
same_final 1 2 || fail "init_from with epochs = 0 does not give run 1's final results"
[ "$(q "SELECT value_num FROM params WHERE run_id = 2 AND key = 'init_from.run'")" = 1.0 ] || fail "init_from.run not recorded"
"$sl" evaluate 1 --db "$db" --quiet >"$tmp/ev.out" 2>&1 || fail "evaluate: $(cat "$tmp/ev.out")"
same_final 1 3 || fail "evaluate 1 does not give run 1's final results"
[ "$(q "SELECT value_num FROM params WHERE run_id = 3 AND key = 'init_from.run'")" = 1.0 ] || fail "evaluate does not name its source"
"$sl" evaluate 1 --data test --db "$db" --quiet >/dev/null 2>&1 || fail "evaluate --data test"
[ "$(q "SELECT count(*) FROM results WHERE run_id = 4 AND name LIKE 'train_%'")" = 0 ] &&
    [ "$(q "SELECT count(*) FROM results WHERE run_id = 4 AND name LIKE 'test_frr_median'")" = 1 ] || fail "evaluate --data: evaluations not moved to test"
# a dataset of another file: the test set's settings as test2.cfg
cat >"$tmp/test2.cfg" <<'CFG'
# the frozen-noise test set, under another name
type = "frozen_noise";  // NumPy-exact samples
n_samples = 100; n_channels = 60; duration = 0.5; /* s */ rate = 50.0;
dt = 1e-3; n_out = 2; numpy_seed = 2023;
CFG
"$sl" evaluate 1 --data "$tmp/test2.cfg" --db "$db" --quiet >/dev/null 2>&1 || fail "evaluate --data FILE.cfg"
[ "$(q "SELECT printf('%.17g', value) FROM results WHERE run_id = 5 AND name = 'test2_frr_median'")" = \
  "$(q "SELECT printf('%.17g', value) FROM results WHERE run_id = 1 AND name = 'test_frr_median'")" ] || fail "evaluate --data FILE.cfg: not run 1's test result"
"$sl" evaluate 1 --data "$tmp/none.cfg" --db "$db" --quiet >/dev/null 2>&1; [ $? = 2 ] || fail "evaluate --data of a missing file"
echo "ok: init_from / evaluate reproduce run 1's final results"

# parameters from files: run 1's own, exported
"$sl" export 1 --db "$db" --artifacts "$tmp/art" >/dev/null || fail "export artifacts"
w="$tmp/art/1/params/input/weight.npy" wr="$tmp/art/1/params/lif/w_rec.npy"
[ -f "$w" ] && [ -f "$wr" ] || fail "no exported parameters"
"$sl" run "$exp" --db "$db" --quiet train.epochs=0 \
    "network.layers.input.params.weight=\"$w\"" \
    "network.layers.lif.params.w_rec=\"$wr\"" >/dev/null 2>&1 || fail "params from files"
same_final 1 6 || fail "parameters from .npy files do not give run 1's results"
echo "ok: parameters from .npy files"

n0=$(runs)
bad() { # WHAT EXPECTED-TEXT OVERRIDES...
    what=$1 want=$2
    shift 2
    "$sl" run "$exp" --db "$db" --quiet train.epochs=1 "$@" >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] || fail "$what: exit $rc, not 2: $(cat "$tmp/err")"
    grep -q -- "$want" "$tmp/err" || fail "$what: message lacks '$want': $(cat "$tmp/err")"
}
bad "unknown run" "no run 99" init_from.run=99
bad "missing database" "no run database" init_from.run=1 "init_from.db=\"$tmp/none.db\""
"$sl" run "$top_srcdir/experiments/yinyang_hil_bss2.cfg" --db "$db" --quiet train.epochs=0 init_from.run=1 >/dev/null 2>"$tmp/err"
[ $? = 2 ] && grep -q "missing: hidden_syn/weight" "$tmp/err" && grep -q "extra: lif/w_rec" "$tmp/err" || fail "another network: $(cat "$tmp/err")"
bad "missing file" "cannot read" "network.layers.input.params.weight=\"$tmp/none.npy\""
head -c 100 "$w" >"$tmp/trunc.npy"
bad "truncated file" "truncated" "network.layers.input.params.weight=\"$tmp/trunc.npy\""
bad "wrong shape" "has shape (2, 2), but parameter 'weight'" "network.layers.input.params.weight=\"$wr\""
# an int32 array of the right shape: header written by hand
h="{'descr': '<i4', 'fortran_order': False, 'shape': (60, 2), }"
{ printf '\223NUMPY\001\000'; printf "\\$(printf %03o $(( (${#h} + 1) % 256 )))\\000"; printf '%s\n' "$h"; head -c 480 /dev/zero; } >"$tmp/int.npy"
bad "integer dtype" "dtype '<i4'" "network.layers.input.params.weight=\"$tmp/int.npy\""
bad "unknown parameter" "has no parameter 'bias'" "network.layers.input.params.bias=\"$w\""
[ "$(runs)" = "$n0" ] || fail "a refused run was recorded"
echo "ok: bad input refused with exit 2, nothing recorded"

# traces of chosen samples, with their input
"$sl" run "$exp" --db "$db" --quiet train.epochs=1 network.layers.lif.record=true \
    'record.data="test"' 'record.samples=[3, 7]' >/dev/null 2>&1 ||
    "$sl" run "$exp" --db "$db" --quiet train.epochs=1 network.layers.lif.record=true \
    'record={data="test";samples=[3,7];}' >/dev/null 2>"$tmp/err" || fail "record samples: $(cat "$tmp/err")"
id=$(q "SELECT max(id) FROM runs")
"$sl" export "$id" --db "$db" --artifacts "$tmp/tr" >/dev/null || fail "export traces"
for f in input.npy samples.npy lif/output.npy; do
    [ -f "$tmp/tr/$id/traces/$f" ] || fail "no trace $f"
done
grep -q "(2, 500, 60)" "$tmp/tr/$id/traces/input.npy" || fail "input trace shape"
grep -q "(2, 500, 2)" "$tmp/tr/$id/traces/lif/output.npy" || fail "output trace shape"
"$sl" evaluate --help | grep -q "Usage: spikelab evaluate" || fail "evaluate --help"
echo "ok: traces of samples 3 and 7 of 'test' with their input"
exit 0
