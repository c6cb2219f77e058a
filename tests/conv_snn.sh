#!/bin/sh
# The small convolutional SNN of experiments/conv_snn_frozen_noise.cfg
# (conv2d → lif → sumpool2d → flatten → linear → li) learns, shortened to
# 40 epochs: for three seeds (weights, shuffling and noise patterns each
# differ) the training loss at least halves and the accuracy on the 16
# patterns rises from chance to at least 14/16. The full run (100 epochs,
# 8 seeds) is in the experiment's header.
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
echo "conv_snn: ok"
