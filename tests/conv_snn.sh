#!/bin/sh
# The small convolutional SNNs of experiments/conv_snn_*.cfg (conv2d →
# lif → sumpool2d → flatten → linear → li) learn, shortened:
#  - frozen noise, 40 epochs, three seeds (weights, shuffling and noise
#    patterns each differ): the training loss at least halves and the
#    accuracy on the 16 patterns rises from chance to at least 14/16;
#  - bars, 20 epochs, two seeds (and data seeds): the training loss at
#    least halves and the accuracy on 128 unseen images rises from chance
#    to at least 0.85.
# The full runs (8 seeds each) are in the experiments' headers.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/conv_snn_frozen_noise.cfg"
tmp=$(mktemp -d /tmp/sl-conv-snn-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

for s in 0 3 4; do
    "$sl" run "$exp" seed=$s data.train.seed=$((s + 7)) train.epochs=40 \
        --quiet --db "$tmp/runs.db" >"$tmp/out" 2>"$tmp/err" ||
        { cat "$tmp/out" "$tmp/err"; fail "seed $s: exit $?"; }
    l0=$(sed -n 's/^  initial_train loss = //p' "$tmp/out")
    a0=$(sed -n 's/^  initial_train accuracy = \([0-9.]*\).*/\1/p' "$tmp/out")
    l1=$(sed -n 's/^  train loss = //p' "$tmp/out")
    a1=$(sed -n 's/^  train accuracy = \([0-9.]*\).*/\1/p' "$tmp/out")
    [ -n "$l0" ] && [ -n "$a0" ] && [ -n "$l1" ] && [ -n "$a1" ] ||
        { cat "$tmp/out"; fail "seed $s: evaluations missing"; }
    echo "seed $s: loss $l0 -> $l1, accuracy $a0 -> $a1"
    awk -v l0="$l0" -v l1="$l1" -v a0="$a0" -v a1="$a1" \
        'BEGIN { exit !(l1 < 0.5 * l0 && a1 >= 0.875 && a1 > a0) }' ||
        fail "seed $s: did not learn (loss $l0 -> $l1, accuracy $a0 -> $a1)"
done

bars="$top_srcdir/experiments/conv_snn_bars.cfg"
for s in 0 1; do
    "$sl" run "$bars" seed=$s data.train.seed=$((2 * s + 1)) \
        data.test.seed=$((2 * s + 2)) train.epochs=20 \
        --quiet --db "$tmp/runs.db" >"$tmp/out" 2>"$tmp/err" ||
        { cat "$tmp/out" "$tmp/err"; fail "bars seed $s: exit $?"; }
    l0=$(sed -n 's/^  initial_train loss = //p' "$tmp/out")
    a0=$(sed -n 's/^  initial_test accuracy = \([0-9.]*\).*/\1/p' "$tmp/out")
    l1=$(sed -n 's/^  train loss = //p' "$tmp/out")
    a1=$(sed -n 's/^  test accuracy = \([0-9.]*\).*/\1/p' "$tmp/out")
    [ -n "$l0" ] && [ -n "$a0" ] && [ -n "$l1" ] && [ -n "$a1" ] ||
        { cat "$tmp/out"; fail "bars seed $s: evaluations missing"; }
    echo "bars seed $s: train loss $l0 -> $l1, test accuracy $a0 -> $a1"
    awk -v l0="$l0" -v l1="$l1" -v a0="$a0" -v a1="$a1" \
        'BEGIN { exit !(l1 < 0.5 * l0 && a1 >= 0.85 && a0 <= 0.65) }' ||
        fail "bars seed $s: did not learn (loss $l0 -> $l1, accuracy $a0 -> $a1)"
done

# in_shape comes from the layer before (sl_layer_info, ABI 1.2): writing
# the same shapes out changes nothing, bit for bit
"$sl" run "$exp" train.epochs=5 --quiet --db "$tmp/runs.db" >"$tmp/a" 2>&1 ||
    { cat "$tmp/a"; fail "propagated shapes: exit $?"; }
"$sl" run "$exp" train.epochs=5 'network.layers.[2].in_shape=[4,8,8]' \
    'network.layers.[3].in_shape=[4,4,4]' --quiet --db "$tmp/runs.db" \
    >"$tmp/b" 2>&1 || { cat "$tmp/b"; fail "explicit shapes: exit $?"; }
grep '^  ' "$tmp/a" >"$tmp/a2"
grep '^  ' "$tmp/b" >"$tmp/b2"
[ -s "$tmp/a2" ] && cmp -s "$tmp/a2" "$tmp/b2" ||
    { diff "$tmp/a2" "$tmp/b2"; fail "explicit in_shape changes the run"; }
# a flat input where a shape is needed: exit 2, naming the key and line
"$sl" run "$exp" 'network.layers.[4].type="conv1d"' --quiet \
    --db "$tmp/runs.db" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] || { cat "$tmp/out" "$tmp/err"; fail "flat input to conv1d: exit $rc"; }
grep -q 'conv_snn_frozen_noise.cfg:[0-9]*: network.layers.\[4\].in_shape' \
    "$tmp/err" || { cat "$tmp/err"; fail "error does not name in_shape"; }
# a linear layer's output is flat even when its width is unchanged: the
# shape of the conv before it does not pass through (a neuron's does)
cat >"$tmp/lin.cfg" <<'CFG'
data = { train = { type = "frozen_noise"; n_samples = 2; n_channels = 16;
                   duration = 0.01; n_out = 4; }; };
network = { layers = (
  { type = "conv2d"; in_shape = [1, 4, 4]; out_channels = 1; kernel = 1; },
  { type = "linear"; n_out = 16; },
  { type = "sumpool2d"; kernel = 2; }
); };
loss = { type = "mse"; };
optimizer = { type = "adam"; };
train = { data = "train"; epochs = 1; };
CFG
"$sl" run "$tmp/lin.cfg" --quiet --db "$tmp/runs.db" >"$tmp/out" 2>"$tmp/err"
rc=$?
[ $rc -eq 2 ] && grep -q 'in_shape.*\[16\]' "$tmp/err" ||
    { cat "$tmp/out" "$tmp/err"; fail "linear passed a shape on (exit $rc)"; }
sed 's/type = "linear"; n_out = 16;/type = "lif";/' "$tmp/lin.cfg" >"$tmp/lif.cfg"
"$sl" run "$tmp/lif.cfg" --quiet --db "$tmp/runs.db" >"$tmp/out" 2>"$tmp/err" ||
    { cat "$tmp/out" "$tmp/err"; fail "lif did not pass the shape on"; }
echo "conv_snn: ok"
