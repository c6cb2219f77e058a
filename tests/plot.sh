#!/bin/sh
# `spikelab plot` (issue 16, done-when 2): a loss curve, a spike raster and
# a membrane trace of a short frozen-noise DynapSim run, each as SVG and
# PNG; the files must be valid (PNG signature and IHDR size; SVG parsed by
# python3's XML parser) and carry their axes' labels with units. Also the
# input raster, the FRR figure, a PDF, several runs overlaid, and the
# refusals (unknown metric or layer, bad extension, the database itself as
# output: exit 2, nothing written). The confusion matrices of accuracy
# evaluations (initial, final, quantised; their counts against the
# recorded accuracies) and the device export's weights (float against
# quantised: against the trained parameters and the exporter's own
# figures), and their refusals for runs that did not record them.
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
# Debian's interpreter when there is one: a version manager's shim in
# front of python3 (pyenv) costs seconds per call on a loaded machine
if [ -x /usr/bin/python3 ]; then python3() { /usr/bin/python3 "$@"; }; fi

"$sl" plot --help | grep -q "Usage: spikelab plot" || fail "plot --help"
for lr in 0.001 0.01; do
    "$sl" run "$exp" train.epochs=300 optimizer.lr=$lr \
        network.layers.dynapsim.record=true evaluate.0.every=100 \
        --db "$db" --quiet >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; fail "run"; }
done
# 3: an accuracy evaluation (before, after, quantised) with the export;
# 4: Yin-Yang (3 classes), no export
"$sl" run "$exp" train.epochs=30 evaluate.0.metric=accuracy --db "$db" \
    --quiet >/dev/null 2>"$tmp/err" || { cat "$tmp/err"; fail "run 3"; }
"$sl" run "$top_srcdir/experiments/peers_yinyang.cfg" data.train.size=256 \
    data.test.size=200 --db "$db" --quiet >/dev/null 2>"$tmp/err" ||
    { cat "$tmp/err"; fail "run 4"; }

# check.py FILE LABEL...: a PNG of 800x500, or an SVG whose <text> holds
# every LABEL
cat >"$tmp/check.py" <<'PY'
import os, struct, sys, xml.etree.ElementTree as ET
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
    least = int(os.environ.get('MINLINES', '20'))
    assert len(lines) > least, 'only %d polylines' % len(lines)
PY
plot() { # WHAT FILE LABEL...   (of run ${run:-1})
    w=$1 f=$2
    shift 2
    "$sl" plot "${run:-1}" "$w" -o "$tmp/$f" --db "$db" >"$tmp/out" 2>"$tmp/err" ||
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

# the device's weights: one mark per connection, the float ones the
# trained parameters bit for bit, the caption's dropped connections and
# error the exporter's own figures (export_dropped, export_weight_mse)
plot quantisation quant.png
plot quantisation quant.svg "float weight (1)" \
    "quantised weight on the device (1)" "dynapsim/w_rec (4)" "input/weight (120)"
"$sl" show 1 --json --db "$db" >"$tmp/show1.json" || fail "show 1"
"$sl" export 1 --artifacts "$tmp/art" --db "$db" >/dev/null || fail "export 1"
python3 - "$tmp/quant.svg" "$tmp/show1.json" "$tmp/art/1" <<'PY' || fail "quantisation figure"
import json, math, re, struct, sys, xml.etree.ElementTree as ET
svg, show, art = sys.argv[1:]
def npy(path):  # (shape, raw payload, header) of a .npy file
    b = open(path, 'rb').read()
    hl = struct.unpack('<H', b[8:10])[0]
    h = b[10:10 + hl].decode()
    shape = tuple(int(x) for x in re.search(r"'shape': \(([^)]*)\)", h).group(1).replace(' ', '').split(',') if x)
    return shape, b[10 + hl:], h
res = json.load(open(show))['results']
total = dropped = 0
se = 0.0
for layer, p, n in (('input', 'weight', 120), ('dynapsim', 'w_rec', 4)):
    shape, q, h = npy('%s/quantisation/%s/%s.npy' % (art, layer, p))
    pshape, w, _ = npy('%s/params/%s/%s.npy' % (art, layer, p))
    assert "'<f4'" in h and shape == (2,) + pshape, (shape, pshape)
    assert q[:len(w)] == w, '%s/%s: the float row is not the trained parameters' % (layer, p)
    f = struct.unpack('<%df' % n, q[:4 * n])
    d = struct.unpack('<%df' % n, q[4 * n:])
    assert f != d, 'nothing was quantised'
    total += n
    dropped += sum(1 for a, b in zip(f, d) if a != 0 and b == 0)
    se += sum((a - b) ** 2 for a, b in zip(f, d))
root = ET.parse(svg).getroot()
ns = '{http://www.w3.org/2000/svg}'
cap = [''.join(t.itertext()) for t in root.iter(ns + 'text') if ' weights, ' in ''.join(t.itertext())][0]
m = re.match(r'(\d+) weights, (\d+) dropped \(0 on the device\), RMS error ([0-9.e+-]+)', cap)
assert m, cap
assert int(m.group(1)) == total == res['export_connections'], (cap, total)
assert int(m.group(2)) == dropped == res['export_dropped'], (cap, dropped, res['export_dropped'])
rms = float(m.group(3))
assert abs(rms - math.sqrt(se / total)) <= 1e-3 * rms, (rms, se)
assert abs(rms ** 2 - res['export_weight_mse']) <= 1e-2 * res['export_weight_mse'], (rms, res)
PY

# confusion matrices: a heat map per evaluation, the counts in the cells;
# their diagonal over their sum is the recorded accuracy
# (a 2 x 2 matrix has few lines: its axes and ticks)
run=3 MINLINES=10
export MINLINES
plot confusion conf.svg "true class (index)" "predicted class (index)" \
    "run 3: confusion matrix of train"
plot confusion:quantised_train conf_q.png
run=4
plot confusion:test conf_yy.svg "true class (index)" \
    "predicted class (index)" "run 4: confusion matrix of test"
"$sl" show 3 --json --db "$db" >"$tmp/show3.json" || fail "show 3"
"$sl" show 4 --json --db "$db" >"$tmp/show4.json" || fail "show 4"
for d in initial_train quantised_train; do
    "$sl" plot 3 "confusion:$d" -o "$tmp/conf-$d.svg" --db "$db" >/dev/null ||
        fail "plot 3 confusion:$d"
done
python3 - "$tmp" <<'PY' || fail "confusion matrices against the accuracies"
import json, re, sys, xml.etree.ElementTree as ET
tmp = sys.argv[1]
for svg, run, data in (('conf.svg', 3, 'train'), ('conf-initial_train.svg', 3, 'initial_train'),
                       ('conf-quantised_train.svg', 3, 'quantised_train'), ('conf_yy.svg', 4, 'test')):
    acc = json.load(open('%s/show%d.json' % (tmp, run)))['results'][data + '_accuracy']
    ns = '{http://www.w3.org/2000/svg}'
    texts = [''.join(t.itertext()) for t in ET.parse(tmp + '/' + svg).getroot().iter(ns + 'text')]
    cap = [t for t in texts if ' on the diagonal' in t][0]
    m = re.match(r'(\d+) samples, (\d+) on the diagonal \(accuracy ([0-9.]+)\)', cap)
    n, k = int(m.group(1)), int(m.group(2))
    assert n == {'train': 2, 'test': 200}[data.split('_')[-1]], (svg, cap)
    assert abs(k / n - acc) < 1e-12, (svg, cap, acc)
    # the cells: side x side counts first (drawn row by row), summing to n
    side = 3 if data == 'test' else 2
    cells = [int(t) for t in texts[:side * side]]
    assert sum(cells) == n and sum(cells[i * side + i] for i in range(side)) == k, (svg, cells)
    # rows are the true classes: frozen noise trains one sample per class
    if side == 2:
        assert cells[0] + cells[1] == 1 and cells[2] + cells[3] == 1, (svg, cells)
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
refuse 'only an accuracy evaluation records one; run the experiment with evaluate = ({ data = "test"; metric = "accuracy"; });' 1 confusion -o "$tmp/x.svg"
refuse "has no confusion matrix of 'nosuch'; recorded: initial_train, quantised_train, train" 3 confusion:nosuch -o "$tmp/x.svg"
refuse 'run 4 has no device export: run an experiment with an export section' 4 quantisation -o "$tmp/x.svg"
[ ! -e "$tmp/x.svg" ] && [ ! -e "$tmp/x.gif" ] || fail "a refused plot wrote a file"
cp "$db" "$tmp/copy.db"
"$sl" plot 1 loss -o "$db" --db "$db" >/dev/null 2>&1
[ $? = 2 ] || fail "plot -o the database itself: expected exit 2"
cmp -s "$db" "$tmp/copy.db" || fail "plot -o the database changed it"
# a run recorded before spikelab kept confusion matrices and the device's
# weights (their artifacts removed from a copy): rerun it
python3 - "$db" "$tmp/old.db" <<'PY' || fail "copy without the new artifacts"
import sqlite3, sys
src = sqlite3.connect(sys.argv[1])
dst = sqlite3.connect(sys.argv[2])
src.backup(dst)
dst.execute("DELETE FROM artifacts WHERE name LIKE 'evaluations/%' OR name LIKE 'quantisation/%'")
dst.commit()
PY
for w in confusion quantisation; do
    "$sl" plot 3 $w -o "$tmp/x.svg" --db "$tmp/old.db" >/dev/null 2>"$tmp/err"
    rc=$?
    [ $rc = 2 ] && grep -q 'recorded before spikelab kept them); `spikelab rerun 3`' "$tmp/err" ||
        { cat "$tmp/err"; fail "plot $w of an older run: exit $rc"; }
done
[ ! -e "$tmp/x.svg" ] || fail "a refused plot wrote a file"
"$sl" plot 99 loss -o "$tmp/x.svg" --db "$db" >/dev/null 2>&1
[ $? = 1 ] || fail "plot of a missing run: expected exit 1"
echo "plot: ok"
