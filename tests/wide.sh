#!/bin/sh
# The AVX2 and the baseline builds of lif.so's hot loops give the same
# bits (plugins/lif/common.h, LIF__WIDE): each experiment is trained with
# SPIKELAB_NO_AVX2=1 (the baseline SSE2 build) and rerun with the AVX2
# build, and rerun must say bit-identical. Covers the fused forward
# variants (peers' neuron: beta, delayed reset, input first; jaxsnn's:
# euler), the recurrent backward through xGemm (SHD-sized), and the
# separate loops (refractory period, exact scheme, smooth forward, tanh
# surrogate). Skipped (77) on a CPU without AVX2: there is one build.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
grep -qw avx2 /proc/cpuinfo 2>/dev/null || { echo "no AVX2 on this CPU"; exit 77; }
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-wide-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db="$tmp/runs.db"

check() { # name, experiment, overrides...
    name=$1
    cfg=$2
    shift 2
    SPIKELAB_NO_AVX2=1 "$sl" run "$top_srcdir/experiments/$cfg" "$@" \
        --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "$name: baseline run"; }
    SPIKELAB_NO_AVX2= "$sl" rerun last --db "$db" --quiet >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "$name: AVX2 rerun"; }
    grep -q "bit-identical" "$tmp/out" || { cat "$tmp/out"; fail "$name: the builds differ"; }
}

check yinyang peers_yinyang.cfg data.train.size=320 data.test.size=100 train.epochs=2
check shd peers_shd.cfg data.train.n_samples=128 train.epochs=1
check frozen frozen_noise_lif.cfg train.epochs=30
check frozen-ref-exact frozen_noise_lif.cfg train.epochs=30 \
    network.layers.lif.t_ref=2e-3 network.layers.lif.scheme=exact \
    network.layers.lif.surrogate=tanh
check frozen-smooth frozen_noise_lif.cfg train.epochs=30 \
    network.layers.lif.forward=smooth network.layers.lif.surrogate=logistic
# nef.so's step loop (plugins/nef/sim.c): both demos, and their probe
# traces (artifacts) compared byte for byte beside the rerun's verdict
checknef() { # name, experiment
    check "$@"
    a=$(sqlite3 "$db" "SELECT group_concat(name || ':' || hex(data)) FROM
        (SELECT name, data FROM artifacts WHERE run_id = (SELECT max(id) - 1 FROM runs)
         ORDER BY name)")
    b=$(sqlite3 "$db" "SELECT group_concat(name || ':' || hex(data)) FROM
        (SELECT name, data FROM artifacts WHERE run_id = (SELECT max(id) FROM runs)
         ORDER BY name)")
    [ -n "$a" ] || fail "$1: no probe traces recorded"
    [ "$a" = "$b" ] || fail "$1: the probe traces differ"
}
checknef nef-channel pes_channel.cfg seed=3
checknef nef-pavlovian pavlovian.cfg seed=2
echo "wide: ok"
