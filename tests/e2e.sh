#!/bin/sh
# End-to-end: the spikelab command on the frozen-noise LIF experiment —
# a short run twice (identical metrics), the records it leaves, config
# errors (exit 2 with file:line, nothing recorded) and --help everywhere.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/frozen_noise_lif.cfg"
tmp=$(mktemp -d /tmp/sl-e2e-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }

for c in run runs show plugins; do
    "$sl" "$c" --help >"$tmp/help" 2>&1 || fail "$c --help exit $?"
    grep -qi "usage: spikelab $c" "$tmp/help" || fail "$c --help text"
done
"$sl" --help | grep -q "commands:" || fail "top-level --help"

# two identical short runs
for i in 1 2; do
    "$sl" run "$exp" train.epochs=20 --db "$db" >"$tmp/out$i" 2>"$tmp/err$i" \
        || { cat "$tmp/out$i" "$tmp/err$i"; fail "run $i exit status"; }
done
grep -q "train sample 0" "$tmp/out1" || fail "no per-sample train FRR printed"
grep -q "test FRR: median" "$tmp/out1" || fail "no test FRR summary printed"

"$sl" runs --json --db "$db" >"$tmp/runs.json" || fail "runs --json"
"$sl" show 2 --json --db "$db" >"$tmp/show.json" || fail "show --json"
for k in '"status"' '"finished"' '"seed"' '"train_frr_0"' '"train_frr_1"' \
         '"test_frr_median"' '"loss"' '"config"'; do
    grep -q "$k" "$tmp/show.json" || fail "show --json lacks $k"
done
grep -q '"finished"' "$tmp/runs.json" || fail "runs --json lacks finished"
if command -v python3 >/dev/null; then
    python3 - "$tmp/show.json" "$tmp/runs.json" <<'PY' || fail "JSON does not parse or lacks fields"
import json, sys
show = json.load(open(sys.argv[1]))
runs = json.load(open(sys.argv[2]))
assert len(runs) == 2, runs
s = json.dumps(show)
assert "train_frr_0" in s and "test_frr_median" in s
PY
fi
# identical metrics, bit for bit (values stored as REAL; compare as hex)
if command -v sqlite3 >/dev/null; then
    a=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from metrics where run_id=1 order by step, name)")
    b=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from metrics where run_id=2 order by step, name)")
    [ -n "$a" ] || fail "no metrics recorded"
    [ "$a" = "$b" ] || fail "same config and seed gave different metrics"
    n=$(sqlite3 "$db" "select count(*) from metrics where run_id=1 and name='loss'")
    [ "$n" = 20 ] || fail "expected 20 loss metrics, got $n"
    ra=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from results where run_id=1 order by name)")
    rb=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from results where run_id=2 order by name)")
    [ "$ra" = "$rb" ] || fail "results differ between identical runs"
fi

# weight mismatch re-drawn during training: effective (the loss differs
# from the clean run 1) and deterministic (two runs agree)
for i in 3 4; do
    "$sl" run "$exp" train.epochs=20 train.mismatch.every=5 \
        train.mismatch.deviation=0.3 --db "$db" >/dev/null 2>&1 || fail "mismatch run $i"
done
if command -v sqlite3 >/dev/null; then
    m3=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from metrics where run_id=3 order by step, name)")
    m4=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from metrics where run_id=4 order by step, name)")
    [ "$m3" = "$m4" ] || fail "mismatch runs with one seed differ"
    [ "$m3" != "$a" ] || fail "mismatch re-draw had no effect"
fi
"$sl" run "$exp" train.mismatch.deviation=-1 --db "$db" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "negative mismatch deviation: expected exit 2"

# record = true on a layer stores its observables as run artifacts
"$sl" run "$exp" train.epochs=2 network.layers.lif.record=true --db "$db" \
    >/dev/null 2>&1 || fail "record run"
if command -v sqlite3 >/dev/null; then
    n=$(sqlite3 "$db" "select count(*) from artifacts where run_id=5 and name in ('traces/lif/v_mem.npy','traces/lif/i_syn.npy')")
    [ "$n" = 2 ] || fail "record = true stored $n of 2 traces"
    n=$(sqlite3 "$db" "select count(*) from artifacts where run_id=5 and name like 'traces/input/%'")
    [ "$n" = 0 ] || fail "a layer without record stored traces"
fi

# evaluations during training (`every`, with mismatch re-draws on): metrics
# at those epochs, the same final results as run 3, and the final value of
# the periodic series equals the final evaluation
"$sl" run "$exp" train.epochs=20 train.mismatch.every=5 \
    train.mismatch.deviation=0.3 evaluate.0.every=8 evaluate.1.every=10 \
    --db "$db" >/dev/null 2>"$tmp/err6" || fail "periodic evaluation run"
grep -q "epoch 8: train_frr_0 = " "$tmp/err6" || fail "no progress line for a periodic evaluation"
if command -v sqlite3 >/dev/null; then
    s=$(sqlite3 "$db" "select group_concat(step) from (select step from metrics where run_id=6 and name='train_frr_0' order by step)")
    [ "$s" = "8,16" ] || fail "train_frr_0 recorded at steps '$s', expected 8,16"
    s=$(sqlite3 "$db" "select group_concat(step) from (select step from metrics where run_id=6 and name='test_frr_median' order by step)")
    [ "$s" = "10,20" ] || fail "test_frr_median recorded at steps '$s', expected 10,20"
    r3=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from results where run_id=3 order by name)")
    r6=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from results where run_id=6 order by name)")
    [ "$r3" = "$r6" ] || fail "periodic evaluations changed the training"
    l3=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from metrics where run_id=3 and name='loss' order by step)")
    l6=$(sqlite3 "$db" "select group_concat(quote(value)) from (select value from metrics where run_id=6 and name='loss' order by step)")
    [ "$l3" = "$l6" ] || fail "periodic evaluations changed the losses"
    a=$(sqlite3 "$db" "select quote(value) from metrics where run_id=6 and name='test_frr_median' and step=20")
    b=$(sqlite3 "$db" "select quote(value) from results where run_id=6 and name='test_frr_median'")
    [ "$a" = "$b" ] || fail "periodic test_frr_median at the last epoch ($a) differs from the final one ($b)"
fi
"$sl" run "$exp" evaluate.0.every=-1 --db "$db" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "negative every: expected exit 2"
grep -q "every" "$tmp/err" || { cat "$tmp/err"; fail "negative every not named"; }

# configuration errors: exit 2, file and line, nothing recorded
cat >"$tmp/typo.cfg" <<CFG
@include "$top_srcdir/experiments/common/frozen_noise_data.cfg"
network = { dt = 1e-3; layers = (
  { type = "linear"; n_out = 2; },
  { type = "lif"; tau_mem = 2e-2; v_thresh = 1.0; } ); };
loss = { type = "mse"; };
optimizer = { type = "adam"; };
CFG
"$sl" run "$tmp/typo.cfg" --db "$db" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "typo: expected exit 2"
grep -q "typo.cfg:4" "$tmp/err" || { cat "$tmp/err"; fail "typo: no file:line"; }
grep -q "v_thresh" "$tmp/err" || fail "typo: key not named"
"$sl" run "$exp" train.epochs=abc --db "$db" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "bad override: expected exit 2"
grep -q "train.epochs=abc" "$tmp/err" || { cat "$tmp/err"; fail "bad override not named"; }
"$sl" run "$exp" network.layers.lif.tau_mem=-1 --db "$db" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "impossible value: expected exit 2"
grep -q "tau_mem" "$tmp/err" || { cat "$tmp/err"; fail "impossible value not named"; }
"$sl" run "$exp" train.batch_size=3 --db "$db" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "batch larger than the data set: expected exit 2"
grep -q "batch_size 3 is larger than the training set (2 samples)" "$tmp/err" \
    || { cat "$tmp/err"; fail "batch larger than the data set not explained"; }
printf 'a = ;\n' >"$tmp/syntax.cfg"
"$sl" run "$tmp/syntax.cfg" --db "$db" >/dev/null 2>"$tmp/err"
[ $? = 2 ] || fail "syntax error: expected exit 2"
grep -q "syntax.cfg:1" "$tmp/err" || { cat "$tmp/err"; fail "syntax error: no file:line"; }
"$sl" run "$tmp/missing.cfg" --db "$db" >/dev/null 2>&1
[ $? = 2 ] || fail "missing file: expected exit 2"
"$sl" runs --json --db "$db" | python3 -c 'import json,sys; assert len(json.load(sys.stdin)) == 6' \
    || fail "a refused configuration was recorded as a run"
echo "e2e: ok"
