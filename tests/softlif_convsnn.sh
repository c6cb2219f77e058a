#!/bin/sh
# experiments/fashion_mnist_convsnn.cfg shortened (1000 training images in
# batches of 20, 1 epoch; the first 200 test images; about 20 s of CPU):
# train with rates, run with spikes. The run records the rate network's
# and the spiking network's test accuracy, before training (about chance:
# measured 0.115 and 0.105) and after (measured 0.77 and 0.76 on these
# 200 images, chance 0.10; the file's lr decay barely acts in these 50
# steps), and the spiking network stays close to the rate network (1
# point below it here; the test allows 8; with the
# pixels scaled to [0, 1] instead of NengoDL's raw 0..255 it fell 13
# points short: 0.605 and 0.475). The spiking evaluation's settings are
# recorded among the run's parameters. The full run's figures are in the
# experiment's comments. Skipped without Debian's dataset-fashion-mnist.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
d=/usr/share/datasets/fashion-mnist
[ -r "$d/t10k-images-idx3-ubyte.gz" ] || { echo "skip: apt-get install dataset-fashion-mnist"; exit 77; }
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
tmp=$(mktemp -d /tmp/sl-convsnn-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$sl" run "$top_srcdir/experiments/fashion_mnist_convsnn.cfg" data.train.limit=1000 \
    data.test.limit=200 train.epochs=1 train.batch_size=20 \
    --db "$tmp/runs.db" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "exit $?"; }
cat "$tmp/out"
res() { sqlite3 "$tmp/runs.db" "select value from results where name = '$1'"; }
for r in initial_test_accuracy initial_test_spiking_accuracy test_accuracy \
         test_spiking_accuracy; do
    v=$(res "$r")
    [ -n "$v" ] || fail "result $r not recorded"
    echo "$r = $v"
done
awk -v a="$(res initial_test_accuracy)" -v b="$(res initial_test_spiking_accuracy)" \
    'BEGIN { exit !(a < 0.25 && b < 0.25) }' || fail "accuracy before training is not about chance"
awk -v a="$(res test_accuracy)" 'BEGIN { exit !(a >= 0.65) }' || fail "the rate network did not learn"
awk -v a="$(res test_spiking_accuracy)" 'BEGIN { exit !(a >= 0.6) }' || fail "the spiking network does not classify"
awk -v a="$(res test_accuracy)" -v b="$(res test_spiking_accuracy)" \
    'BEGIN { exit !(b >= a - 0.08) }' || fail "the spiking network falls more than 8 points below the rate network"
grep -q "test spiking accuracy = .*30 steps, synapse 0.1 s" "$tmp/out" || fail "no spiking report"
[ "$(sqlite3 "$tmp/runs.db" "select value_text from params where key = 'evaluate.1.n_steps'")" = 30 ] \
    || fail "evaluate.1.n_steps not recorded"
# impossible spiking evaluations stop before anything runs (exit 2)
bad() {
    "$sl" run "$1" --db "$tmp/bad.db" "$2" "$3" >"$tmp/bad" 2>&1
    rc=$?
    [ "$rc" = 2 ] || { cat "$tmp/bad"; fail "$2 $3: exit $rc, want 2"; }
    grep -q "$4" "$tmp/bad" || { cat "$tmp/bad"; fail "$2 $3: no '$4'"; }
}
cfg="$top_srcdir/experiments/fashion_mnist_convsnn.cfg"
bad "$cfg" evaluate.1.metric=loss evaluate.1.n_steps=30 'measures metric = "accuracy"'
bad "$cfg" data.test.n_steps=5 evaluate.1.n_steps=30 'has 5 steps per sample'
bad "$cfg" evaluate.0.n_steps=5 evaluate.1.n_steps=30 'evaluate.\[0\].n_steps: set but not used'
bad "$cfg" evaluate.1.synapse=-1 evaluate.1.n_steps=30 'synapse'
bad "$top_srcdir/experiments/frozen_noise_lif.cfg" evaluate.0.spiking=true \
    evaluate.0.metric=accuracy 'no layer of the network has a spiking twin'
echo "softlif_convsnn: ok"
