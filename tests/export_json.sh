#!/bin/sh
# A second exporter through the same deployment interface, with no core
# code that knows it: tests/plugins/exporter/json_weights.c (component
# "json_weights", weights on a grid as JSON) in the export section of a
# small LIF experiment, then `spikelab export-device` of that run. Checks
# the artifact, the results (figures as export_*, the round trip, the
# quantised evaluations), the report lines, that the JSON holds the run's
# trained weights rounded to the grid, and that export-device writes the
# same file; --type for a run without an export section; errors.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-export-json-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
SPIKELAB_PLUGIN_PATH="$top_builddir/tests/plugins/exporter/.libs:${SPIKELAB_PLUGIN_PATH:-}"
export SPIKELAB_PLUGIN_PATH
exp="$top_srcdir/experiments/frozen_noise_lif.cfg"

# export = { type = "json_weights"; step = 0.125; } given as overrides
"$sl" run "$exp" train.epochs=20 'export={type="json_weights";step=0.125;}' \
    --db "$db" >"$tmp/out" 2>"$tmp/err" \
    || { cat "$tmp/out" "$tmp/err"; fail "run with the json_weights exporter"; }
for l in "export (json_weights):" \
         "  2 weight tensors, 124 values on a grid of 0.125" \
         "  step = 0.125" \
         "  configuration stored as artifact device/json_weights.json" \
         "  re-imported network = quantise(network) bit for bit: yes" \
         "  read back 2 weight tensors" \
         "quantised network (device/json_weights.json re-imported):"; do
    grep -qF "$l" "$tmp/out" || { cat "$tmp/out"; fail "report lacks '$l'"; }
done
grep -q "^  train_frr_0  *float .* quantised " "$tmp/out" \
    || { cat "$tmp/out"; fail "no float/quantised lines"; }

command -v sqlite3 >/dev/null || { echo "export_json: ok (no sqlite3: database checks skipped)"; exit 0; }
q() { sqlite3 "$db" "$1"; }
[ "$(q "select kind||' '||mime from artifacts where run_id=1 and name='device/json_weights.json'")" = \
  "device application/json" ] || fail "artifact device/json_weights.json"
[ "$(q "select value from results where run_id=1 and name='export_tensors'")" = 2.0 ] \
    || fail "result export_tensors"
[ "$(q "select value from results where run_id=1 and name='export_values'")" = 124.0 ] \
    || fail "result export_values"
[ "$(q "select value from results where run_id=1 and name='export_step'")" = 0.125 ] \
    || fail "result export_step"
[ "$(q "select text from results where run_id=1 and name='export_format'")" = \
  "spikelab.test.json_weights" ] || fail "text result export_format"
[ "$(q "select value from results where run_id=1 and name='export_roundtrip_identical'")" = 1.0 ] \
    || fail "export_roundtrip_identical"
n=$(q "select count(*) from results where run_id=1 and name like 'quantised_%'")
m=$(q "select count(*) from results where run_id=1 and name not like 'quantised_%' and name not like 'initial_%' and name not like 'export_%'")
[ "$n" -gt 0 ] && [ "$n" = "$m" ] || fail "$n quantised results for $m float ones"
q "select writefile('$tmp/art.json', data) from artifacts where run_id=1 and name='device/json_weights.json'" >/dev/null

# the JSON: the run's trained weights (params/*.npy), each rounded to the grid
"$sl" export 1 --artifacts "$tmp/a" --db "$db" >/dev/null || fail "export --artifacts"
python3 - "$tmp/art.json" "$tmp/a/1/params" <<'PY' || fail "JSON content"
import json, struct, sys, os, math
doc = json.load(open(sys.argv[1]))
assert doc["format"] == "spikelab.test.json_weights" and doc["step"] == 0.125
layers = doc["layers"]
assert [l["type"] for l in layers] == ["linear", "lif"], layers
def npy(path):
    b = open(path, "rb").read()
    hl = struct.unpack("<H", b[8:10])[0]
    data = b[10 + hl:]
    return list(struct.unpack("<%df" % (len(data) // 4), data))
def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]
for name, layer, tensor in (("input", 0, "weight"), ("lif", 1, "w_rec")):
    w = npy(os.path.join(sys.argv[2], name, tensor + ".npy"))
    got = layers[layer]["weights"][tensor]
    assert len(got) == len(w), (tensor, len(got), len(w))
    for a, b in zip(got, w):
        want = f32(0.125 * round(b / 0.125))
        # round() is half-even like nearbyint's default mode
        assert a == want, (tensor, a, b, want)
    assert any(x != 0 for x in got), tensor
PY

# export-device of the run: the same file, the same report
"$sl" export-device 1 --db "$db" --out "$tmp/ed.json" --evaluate >"$tmp/ed" 2>&1 \
    || { cat "$tmp/ed"; fail "export-device"; }
cmp -s "$tmp/ed.json" "$tmp/art.json" || fail "export-device wrote another file than the run's artifact"
grep -qF "  2 weight tensors, 124 values on a grid of 0.125" "$tmp/ed" || { cat "$tmp/ed"; fail "export-device report"; }
grep -q "^  train_frr_0  *float .* quantised " "$tmp/ed" || { cat "$tmp/ed"; fail "export-device --evaluate"; }
# default file name from the exporter's type and extension
(cd "$tmp" && "$sl" export-device 1 --db "$db" >/dev/null 2>&1) || fail "export-device (default name)"
cmp -s "$tmp/json_weights-run-1.json" "$tmp/art.json" || fail "default file json_weights-run-1.json"
# overrides reach the exporter's settings
"$sl" export-device 1 --db "$db" --out "$tmp/e2.json" export.step=0.5 >"$tmp/o" 2>&1 \
    || { cat "$tmp/o"; fail "export-device export.step=0.5"; }
grep -qF "on a grid of 0.5" "$tmp/o" || fail "override export.step"

# a run without an export section: --type names the exporter
"$sl" run "$exp" train.epochs=2 --quiet --db "$db" >/dev/null 2>&1 || fail "plain run"
"$sl" export-device 2 --db "$db" --out "$tmp/x.json" >"$tmp/o" 2>&1
[ $? = 2 ] || { cat "$tmp/o"; fail "no export section and no --type: exit 2"; }
grep -q -- "--type" "$tmp/o" || fail "the error names --type"
"$sl" export-device 2 --db "$db" --type json_weights --out "$tmp/x.json" >"$tmp/o" 2>&1 \
    || { cat "$tmp/o"; fail "--type json_weights"; }
python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['step']==0" "$tmp/x.json" \
    || fail "--type: default settings"
"$sl" export-device 1 --db "$db" --type other --out "$tmp/y.json" >"$tmp/o" 2>&1
[ $? = 2 ] || fail "--type against the run's export section: exit 2"
"$sl" export-device 2 --db "$db" --type no_such_exporter >"$tmp/o" 2>&1
[ $? != 0 ] || fail "unknown exporter accepted"
# a backend that does not export
"$sl" run "$exp" train.epochs=1 'export={type="sim";}' --db "$db" >"$tmp/o" 2>&1
[ $? = 2 ] && grep -q "does not export" "$tmp/o" || { cat "$tmp/o"; fail "export.type = sim"; }
# a bad exporter setting names the key
"$sl" run "$exp" train.epochs=1 'export={type="json_weights";step=-1.0;}' --db "$db" >"$tmp/o" 2>&1
[ $? = 2 ] && grep -q "step" "$tmp/o" || { cat "$tmp/o"; fail "export.step = -1"; }
echo "export_json: ok"
