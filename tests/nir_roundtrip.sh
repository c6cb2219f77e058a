#!/bin/sh
# NIR in and out (README.md, "NIR"):
#  1. round trip: a trained feed-forward and a trained recurrent LIF
#     network (Euler, and exact with input_order "start"), exported with `nir export`, used again through
#     `network = { nir = ...; }` and through `nir import`'s experiment,
#     give bit-identical layer outputs on the same input; every file
#     written passes the h5py layout check (tests/nir/check_layout.py);
#  2. graphs in the layout other tools write (tests/nir/make_graphs.py:
#     CubaLIF with a recurrent Affine and an LI readout, a nested graph)
#     import and run; the CubaLIF one gives the spikes and readout of
#     NIR's equations simulated independently (tests/nir/reference.py);
#  3. an unmappable graph and broken files are refused naming file, node
#     and problem, exit 2.
# The conv/sumpool/flatten/IF graph is mapped to the conv plugin's
# layers; it runs, and a trained conv SNN makes the round trip, only where
# that plugin is built (else the generated configuration is checked).
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
py=/usr/bin/python3
[ -x "$py" ] && "$py" -c "import h5py" 2>/dev/null \
    || { echo "nir_roundtrip: no python3-h5py: skipped"; exit 77; }
tmp=$(mktemp -d /tmp/sl-nir-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
check() { "$py" "$top_srcdir/tests/nir/check_layout.py" "$@" >"$tmp/check" \
    || { cat "$tmp/check"; fail "layout check of $*"; }; }
same() { # run A, run B, layer: the recorded output traces are equal bits
    cmp -s "$tmp/art/$1/traces/$3/output.npy" "$tmp/art/$2/traces/$3/output.npy" \
        || fail "runs $1 and $2: layer $3's outputs differ"
}

data='data = { train = { type = "frozen_noise"; n_channels = 8; n_out = 3;
  n_samples = 2; duration = 0.05; dt = 0.001; rate = 100.0; }; };'
tail='loss = { type = "mse"; };
optimizer = { type = "adam"; lr = 1e-2; };
evaluate = ( { data = "train"; metric = "loss"; } );'

for kind in ff rec exact; do
    rec=false; [ $kind = ff ] || rec=true
    # exact: the discretisation travels in the file's metadata
    lifx=; [ $kind = exact ] && lifx='scheme = "exact"; input_order = "start";'

    cat >"$tmp/$kind.cfg" <<CFG
name = "nir_$kind"; seed = 3;
$data
network = { dt = 1e-3; layers = (
  { name = "fc1"; type = "linear"; n_out = 10; bias = true; gain = 3.0; },
  { name = "lif1"; type = "lif"; tau_mem = 2e-2; tau_syn = 5e-3; v_th = 0.3;
    recurrent = $rec; $lifx },
  { name = "fc2"; type = "linear"; n_out = 3; },
  { name = "out"; type = "li"; tau_mem = 1e-2; tau_syn = 5e-3; } ); };
train = { epochs = 15; };
$tail
CFG
    "$sl" run "$tmp/$kind.cfg" --db "$db" --traces >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "training $kind"; }
    a=$(sed -n 's/^run \([0-9]*\) finished.*/\1/p' "$tmp/out")
    "$sl" nir export "$a" -o "$tmp/$kind.nir" --db "$db" >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "nir export $kind"; }
    check "$tmp/$kind.nir"
    # the exported file as the network of the same experiment, untrained
    sed -e 's/train = { epochs = 15; };/train = { epochs = 0; };/' \
        -e "/^network = /,/ ); };\$/c\\
network = { dt = 1e-3; nir = \"$kind.nir\"; };" "$tmp/$kind.cfg" >"$tmp/${kind}_b.cfg"
    grep -q 'nir = ' "$tmp/${kind}_b.cfg" || fail "sed"
    "$sl" run "$tmp/${kind}_b.cfg" --db "$db" --traces >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "running $kind.nir"; }
    b=$(sed -n 's/^run \([0-9]*\) finished.*/\1/p' "$tmp/out")
    # and through nir import's experiment (.npy files, network.load)
    "$sl" nir import "$tmp/$kind.nir" -o "$tmp/${kind}_c.cfg" >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "nir import $kind"; }
    "$sl" run "$tmp/${kind}_c.cfg" --db "$db" --traces >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "running the imported $kind"; }
    c=$(sed -n 's/^run \([0-9]*\) finished.*/\1/p' "$tmp/out")
    "$sl" export "$a" "$b" "$c" --db "$db" --artifacts "$tmp/art" >/dev/null \
        || fail "export artifacts"
    for l in fc1 lif1 fc2 out; do same "$a" "$b" $l; same "$a" "$c" $l; done
    "$py" -c "
import numpy as np, sys
z = np.load('$tmp/art/$a/traces/lif1/output.npy')
sys.exit(0 if 0 < z.sum() < z.size else 1)" \
        || fail "$kind: the LIF layer never or always spikes: a weak test"
    # exported again from the imported run: the same file content
    "$sl" nir export "$b" -o "$tmp/${kind}2.nir" --db "$db" >/dev/null 2>&1 \
        || fail "export of the re-imported $kind"
    check "$tmp/${kind}2.nir"
done

# graphs as other tools write them
"$py" "$top_srcdir/tests/nir/make_graphs.py" "$tmp" || fail "make_graphs.py"
check "$tmp/cubalif_rec.nir" "$tmp/conv.nir" "$tmp/nested.nir"
for g in cubalif_rec nested; do
    "$sl" nir import "$tmp/$g.nir" --dt 1e-3 -o "$tmp/$g.cfg" >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "import $g"; }
    "$sl" run "$tmp/$g.cfg" --db "$db" --traces >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "running imported $g"; }
done
grep -q 'recurrent = true' "$tmp/cubalif_rec.cfg" || fail "no recurrence mapped"
# and what it computes: NIR's equations simulated independently
# (tests/nir/reference.py) give the same spikes and readout
"$sl" nir import "$tmp/cubalif_ref.nir" --dt 1e-3 -o "$tmp/ref.cfg" >"$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "import cubalif_ref"; }
"$sl" run "$tmp/ref.cfg" --db "$db" --traces >"$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "running cubalif_ref"; }
r=$(sed -n 's/^run \([0-9]*\) finished.*/\1/p' "$tmp/out")
"$sl" export "$r" --db "$db" --artifacts "$tmp/art" >/dev/null || fail "artifacts"
"$py" "$top_srcdir/tests/nir/reference.py" "$tmp/cubalif_ref.nir" \
    "$tmp/art/$r/traces" 1e-3 || fail "the imported CubaLIF graph differs from NIR's equations"
grep -q 'type = "li"; tau_mem = 0.0199.*synapse = false' "$tmp/cubalif_rec.cfg" \
    || fail "LI readout not mapped to li without synapse"
"$sl" nir import "$tmp/conv.nir" --dt 1e-3 -o "$tmp/conv.cfg" >"$tmp/out" 2>&1 \
    || { cat "$tmp/out"; fail "import conv"; }
for l in 'type = "conv2d"; in_shape = \[1, 6, 6\]; out_channels = 2; kernel = \[3, 3\]; stride = \[1, 1\]; padding = \[1, 1\]' \
         'name = "if1"; type = "lif"; tau_mem = 1.0; synapse = false; v_leak = 0.0; leak = false' \
         'type = "sumpool2d"; in_shape = \[2, 6, 6\]; kernel = \[2, 2\]' \
         'type = "flatten"; in_shape = \[2, 3, 3\]' \
         'name = "if2"; type = "lif"; tau_mem = 2.0;'; do
    grep -q "$l" "$tmp/conv.cfg" || { cat "$tmp/conv.cfg"; fail "conv.cfg lacks $l"; }
done
if "$sl" plugins conv2d >/dev/null 2>&1; then
    "$sl" run "$tmp/conv.cfg" --db "$db" >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "running the conv graph"; }
    # round trip of a trained conv SNN (conv2d, lif, sumpool2d, flatten,
    # linear, li): exported, used again, the same outputs bit for bit
    cat >"$tmp/cnn.cfg" <<CFG
name = "nir_cnn"; seed = 1;
data = { train = { type = "frozen_noise"; n_samples = 2; n_channels = 64;
  duration = 0.03; rate = 100.0; dt = 1e-3; n_out = 2; }; };
network = { dt = 1e-3; layers = (
  { name = "conv"; type = "conv2d"; in_shape = [1, 8, 8]; out_channels = 4;
    kernel = 3; padding = 1; stride = 1; bias = true; },
  { name = "conv_lif"; type = "lif"; tau_mem = 2e-2; tau_syn = 1e-2; v_th = 0.3; },
  { name = "pool"; type = "sumpool2d"; in_shape = [4, 8, 8]; kernel = 2; },
  { name = "flat"; type = "flatten"; in_shape = [4, 4, 4]; },
  { name = "out_syn"; type = "linear"; n_out = 2; bias = false; },
  { name = "readout"; type = "li"; tau_mem = 2e-2; tau_syn = 1e-2; } ); };
train = { epochs = 5; };
$tail
CFG
    "$sl" run "$tmp/cnn.cfg" --db "$db" --traces >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "training the conv SNN"; }
    a=$(sed -n 's/^run \([0-9]*\) finished.*/\1/p' "$tmp/out")
    "$sl" nir export "$a" -o "$tmp/cnn.nir" --db "$db" >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "nir export of the conv SNN"; }
    check "$tmp/cnn.nir"
    sed -e 's/train = { epochs = 5; };/train = { epochs = 0; };/' \
        -e "/^network = /,/ ); };\$/c\\
network = { dt = 1e-3; nir = \"cnn.nir\"; };" "$tmp/cnn.cfg" >"$tmp/cnn_b.cfg"
    "$sl" run "$tmp/cnn_b.cfg" --db "$db" --traces >"$tmp/out" 2>&1 \
        || { cat "$tmp/out"; fail "running cnn.nir"; }
    b=$(sed -n 's/^run \([0-9]*\) finished.*/\1/p' "$tmp/out")
    "$sl" export "$a" "$b" --db "$db" --artifacts "$tmp/art" >/dev/null \
        || fail "export artifacts"
    for l in conv conv_lif pool flat out_syn readout; do same "$a" "$b" $l; done
else
    echo "nir_roundtrip: no conv plugin: conv graph checked as configuration"
fi

# refused, exit 2, naming file, node and problem
refuse() { # file, expected message part
    "$sl" nir import "$tmp/$1.nir" --dt 1e-3 -o "$tmp/x.cfg" >"$tmp/out" 2>&1
    rc=$?
    [ $rc = 2 ] || { cat "$tmp/out"; fail "$1: exit $rc, not 2"; }
    grep -qF "$2" "$tmp/out" || { cat "$tmp/out"; fail "$1: no '$2'"; }
}
refuse branch "branch.nir: node input (Input): it feeds both a and b"
refuse pertau "pertau.nir: node lif (CubaLIF): tau_mem differs across neurons"
refuse negtau "negtau.nir: node lif (CubaLIF): tau_syn[0] = -0.005: a time constant must be > 0"
refuse nan "nan.nir: node lif (CubaLIF): tau_syn[0] is nan"
refuse missing "missing.nir: node lif (CubaLIF): missing dataset 'v_threshold'"
refuse unknown "unknown.nir: node li (Spiker): unknown node type 'Spiker'"
refuse dangling "names 'nowhere', which is no node of the graph"
refuse wrongshape "wrongshape.nir: node fc (Affine): bias has 7 values but weight has 4 rows"
refuse truncated "truncated.nir: a damaged or truncated HDF5 file"
refuse corrupt "corrupt.nir: a damaged or truncated HDF5 file"
refuse text "text.nir: not an HDF5 file"
# the same through an experiment: the key's file:line first
sed 's/nir = "ff.nir"/nir = "negtau.nir"/' "$tmp/ff_b.cfg" >"$tmp/neg.cfg"
"$sl" run "$tmp/neg.cfg" --db "$db" >"$tmp/out" 2>&1
[ $? = 2 ] || fail "an experiment naming a broken NIR file: not exit 2"
grep -q 'neg.cfg:[0-9]*: .*negtau.nir: node lif (CubaLIF): tau_syn' "$tmp/out" \
    || { cat "$tmp/out"; fail "no file:line and node for a broken NIR file"; }
"$sl" nir --help | grep -q 'spikelab nir import FILE.nir' || fail "--help"
echo "nir_roundtrip: ok"
