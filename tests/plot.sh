#!/bin/sh
# `spikelab plot` (issue 16, done-when 2): a loss curve, a spike raster and
# a membrane trace of a short frozen-noise DynapSim run, each as SVG and
# PNG; the files must be valid (PNG signature and IHDR size; SVG parsed by
# python3's XML parser) and carry their axes' labels with units. Also the
# input raster, the FRR figure, a PDF, several runs overlaid, and the
# refusals (unknown metric or layer, bad extension, the database itself as
# output: exit 2, nothing written).
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
# the sanitizer build: fontconfig's and libltdl's own allocations that
# PLplot's cairo drivers keep (tests/plplot_lsan.supp)
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$top_srcdir/tests/plplot_lsan.supp:print_suppressions=0}
export LSAN_OPTIONS
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/frozen_noise_dynapsim.cfg"
tmp=$(mktemp -d /tmp/sl-plot-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
command -v python3 >/dev/null || { echo "SKIP: python3 missing (checks the files)"; exit 77; }

"$sl" plot --help | grep -q "Usage: spikelab plot" || fail "plot --help"
for lr in 0.001 0.01; do
    "$sl" run "$exp" train.epochs=300 optimizer.lr=$lr \
        network.layers.dynapsim.record=true evaluate.0.every=100 \
        --db "$db" --quiet >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; fail "run"; }
done

# check.py FILE LABEL...: a PNG of 800x500, or an SVG whose <text> holds
# every LABEL
cat >"$tmp/check.py" <<'PY'
import struct, sys, xml.etree.ElementTree as ET
path, labels = sys.argv[1], sys.argv[2:]
data = open(path, 'rb').read()
if path.endswith('.png'):
    assert data[:8] == b'\x89PNG\r\n\x1a\n', 'no PNG signature'
    assert data[12:16] == b'IHDR', 'no IHDR chunk'
    w, h = struct.unpack('>II', data[16:24])
    assert (w, h) == (800, 500), 'PNG is %dx%d' % (w, h)
    assert data[-8:-4] == b'IEND', 'no IEND chunk at the end'
    assert len(data) > 2000, 'PNG too small: %d bytes' % len(data)
elif path.endswith('.pdf'):
    assert data[:5] == b'%PDF-' and b'%%EOF' in data[-64:], 'not a PDF'
else:
    root = ET.fromstring(data)
    assert root.tag == '{http://www.w3.org/2000/svg}svg', root.tag
    texts = [''.join(t.itertext()) for t in root.iter('{http://www.w3.org/2000/svg}text')]
    for l in labels:
        assert l in texts, 'label %r not among %r' % (l, texts[-12:])
    lines = list(root.iter('{http://www.w3.org/2000/svg}polyline'))
    assert len(lines) > 20, 'only %d polylines' % len(lines)
PY
plot() { # WHAT FILE LABEL...
    w=$1 f=$2
    shift 2
    "$sl" plot 1 "$w" -o "$tmp/$f" --db "$db" >"$tmp/out" 2>"$tmp/err" ||
        { cat "$tmp/err"; fail "plot $w -o $f"; }
    grep -q "wrote $tmp/$f" "$tmp/out" || fail "plot $w: no 'wrote' line"
    python3 "$tmp/check.py" "$tmp/$f" "$@" 2>"$tmp/py" ||
        { cat "$tmp/py"; fail "$f is not a valid figure of $w"; }
}
for ext in svg png; do
    plot loss "loss.$ext" "epoch" "loss (1)"
    plot raster:dynapsim "raster.$ext" "time (ms)" "neuron (index)"
    plot trace:dynapsim/vmem "vmem.$ext" "time (ms)" "vmem (V)" "neuron 0" "neuron 1"
done
plot trace:dynapsim/imem imem.svg "imem (A)"
plot input input.svg "time (ms)" "input channel (index)"
plot frr frr.svg "FRR (ratio)" "train final" "test initial"
plot train_frr_median frr_curve.svg "epoch" "train_frr_median (ratio)"
plot trace:dynapsim/vmem vmem.pdf
# the raster has as many strokes as the recorded spikes
python3 - "$tmp/raster.svg" <<'PY' || fail "raster: strokes != spikes in the caption"
import re, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
ns = '{http://www.w3.org/2000/svg}'
cap = [''.join(t.itertext()) for t in root.iter(ns + 'text') if 'spikes,' in ''.join(t.itertext())]
n = int(re.match(r'(\d+) spikes', cap[0]).group(1))
assert n > 0, 'no spikes'
# strokes: two-point vertical polylines
strokes = 0
for p in root.iter(ns + 'polyline'):
    pts = p.get('points').split()
    if len(pts) == 2 and pts[0].split(',')[0] == pts[1].split(',')[0]:
        strokes += 1
assert strokes >= n, (strokes, n)
PY

# several runs overlaid, with a legend naming both
"$sl" plot 1 2 loss -o "$tmp/both.svg" --db "$db" >/dev/null || fail "plot 1 2 loss"
python3 "$tmp/check.py" "$tmp/both.svg" "1 frozen_noise_dynapsim" "2 frozen_noise_dynapsim" ||
    fail "overlay legend"
# --neurons picks the neurons
"$sl" plot 1 trace:dynapsim/isyn --neurons 1 -o "$tmp/n1.svg" --db "$db" >/dev/null || fail "--neurons 1"
python3 "$tmp/check.py" "$tmp/n1.svg" "neuron 1" || fail "--neurons 1 legend"
! python3 "$tmp/check.py" "$tmp/n1.svg" "neuron 0" 2>/dev/null || fail "--neurons 1 drew neuron 0"

# refusals: exit 2, a message naming the choices, nothing written
refuse() { # EXPECTED-MESSAGE ARGS...
    m=$1
    shift
    "$sl" plot "$@" --db "$db" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] || { cat "$tmp/err"; fail "plot $*: exit $rc, expected 2"; }
    grep -q "$m" "$tmp/err" || { cat "$tmp/err"; fail "plot $*: message"; }
}
refuse "it has: loss" 1 nosuchmetric -o "$tmp/x.svg"
refuse "recorded layers: dynapsim" 1 raster:nosuch -o "$tmp/x.svg"
refuse "recorded: dynapsim/iahp" 1 trace:dynapsim/nosuch -o "$tmp/x.svg"
refuse "svg, .png or .pdf" 1 loss -o "$tmp/x.gif"
refuse "neuron 7, but the layer has 2" 1 trace:dynapsim/vmem --neurons 7 -o "$tmp/x.svg"
refuse "overlay only" 1 2 raster:dynapsim -o "$tmp/x.svg"
[ ! -e "$tmp/x.svg" ] && [ ! -e "$tmp/x.gif" ] || fail "a refused plot wrote a file"
cp "$db" "$tmp/copy.db"
"$sl" plot 1 loss -o "$db" --db "$db" >/dev/null 2>&1
[ $? = 2 ] || fail "plot -o the database itself: expected exit 2"
cmp -s "$db" "$tmp/copy.db" || fail "plot -o the database changed it"
"$sl" plot 99 loss -o "$tmp/x.svg" --db "$db" >/dev/null 2>&1
[ $? = 1 ] || fail "plot of a missing run: expected exit 1"
echo "plot: ok"
