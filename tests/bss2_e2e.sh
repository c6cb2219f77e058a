#!/bin/sh
# End-to-end on the emulated BrainScaleS-2 chip through `spikelab run`:
#  - experiments/superspike_bss2.cfg (SuperSpike rule, van Rossum loss,
#    teacher target, temporal noise on): recorded with 100 per-epoch losses
#    and the spike-time results; the loss of the last epochs is at most
#    half the first; a re-run with the same seed is bit-identical (the
#    temporal noise depends on the seed only) and another seed differs;
#  - hardware-in-the-loop BPTT (experiments/yinyang_hil_bss2.cfg on a
#    smaller set): learns well above chance (1/3) and is recorded;
#  - a network too large for the chip is refused naming the limit, exit 2,
#    nothing recorded.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-bss2-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 77; }

ss="$top_srcdir/experiments/superspike_bss2.cfg"
"$sl" run "$ss" --db "$db" >"$tmp/ss1" 2>&1 || { cat "$tmp/ss1"; fail "superspike run"; }
cat "$tmp/ss1" | grep -v "^  epoch"
grep -q "teacher: syn.weight" "$tmp/ss1" || fail "teacher line missing"
grep -q "target spikes:" "$tmp/ss1" || fail "target spike times not printed"
grep -q "output spikes:" "$tmp/ss1" || fail "output spike times not printed"
n=$(q "select count(*) from metrics where run_id=1 and name='loss'")
[ "$n" = 100 ] || fail "expected 100 per-epoch losses, got $n"
ratio=$(q "select (select avg(value) from metrics where run_id=1 and name='loss' and step>90) / (select value from metrics where run_id=1 and name='loss' and step=1)")
echo "loss (mean of epochs 91-100) / loss (epoch 1) = $ratio"
awk -v r="$ratio" 'BEGIN { exit !(r <= 0.5) }' || fail "loss did not fall by half ($ratio)"
tgt=$(q "select value from results where run_id=1 and name='train_spikes_target'")
awk -v t="$tgt" 'BEGIN { exit !(t >= 2 && t <= 5) }' || fail "teacher made $tgt spikes, expected about 3-4"
q "select value from results where run_id=1 and name='train_spikes_matched'" | grep -q . \
    || fail "no spikes_matched result"

"$sl" rerun 1 --db "$db" >"$tmp/rr" 2>&1 || { cat "$tmp/rr"; fail "rerun with temporal noise on does not reproduce"; }
grep -q "bit-identical" "$tmp/rr" || fail "rerun not bit-identical"
"$sl" run "$ss" seed=1 --db "$db" >/dev/null 2>&1 || fail "seed 1 run"
same=$(q "select count(*) from metrics a join metrics b on a.step=b.step and a.name=b.name where a.run_id=1 and b.run_id=3 and a.value=b.value")
[ "$same" -lt 100 ] || fail "a different seed gave identical losses"

yy="$top_srcdir/experiments/yinyang_hil_bss2.cfg"
"$sl" run "$yy" data.train.size=1500 data.test.size=300 train.epochs=4 \
    --db "$db" >"$tmp/yy" 2>&1 || { cat "$tmp/yy"; fail "HIL run"; }
grep -v "^  epoch" "$tmp/yy"
id=$(q "select max(id) from runs")
acc=$(q "select value from results where run_id=$id and name='test_accuracy'")
st=$(q "select status from runs where id=$id")
[ "$st" = finished ] || fail "HIL run status $st"
awk -v a="$acc" 'BEGIN { exit !(a >= 0.6) }' || fail "HIL test accuracy $acc, not well above chance"

before=$(q "select count(*) from runs")
"$sl" run "$yy" network.layers.hidden_syn.n_out=600 --db "$db" >"$tmp/big" 2>&1
rc=$?
[ $rc = 2 ] || { cat "$tmp/big"; fail "too-large network: exit $rc, expected 2"; }
grep -q "512" "$tmp/big" || { cat "$tmp/big"; fail "error does not name the 512-neuron limit"; }
after=$(q "select count(*) from runs")
[ "$before" = "$after" ] || fail "a refused network was recorded"
echo "PASS"
