#!/bin/sh
# experiments/tuning_curve.cfg: the chapter's two tuning curves recorded
# as probes and drawn by `spikelab plot ID probe:...@current`. The rate at
# I = 3 is 1/(0.01 + 0.005·log(1.5)) = 83.1440 Hz for both curves; at
# I = 0 the LIF curve is 0 and the soft-LIF curve
# 1/(0.01 + 0.005·log(1 + 1/(0.05·log(1 + e^−20)))) = 8.0014 Hz.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }
tmp=$(mktemp -d /tmp/sl-tuning-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
"$sl" run "$top_srcdir/experiments/tuning_curve.cfg" --quiet --db "$tmp/runs.db" \
    >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "exit $?"; }
res() { sqlite3 "$tmp/runs.db" "select value from results where name = '$1'"; }
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; exit !(d < 1e-3 && d > -1e-3) }'; }
near "$(res probe_rate_lif_max)" 83.1440 || fail "rate_lif at I = 3: $(res probe_rate_lif_max)"
near "$(res probe_rate_softlif_max)" 83.1440 || fail "rate_softlif at I = 3"
near "$(res probe_rate_lif_min)" 0 || fail "rate_lif at I = 0: $(res probe_rate_lif_min)"
near "$(res probe_rate_softlif_min)" 8.0014 || fail "rate_softlif at I = 0: $(res probe_rate_softlif_min)"
[ "$(sqlite3 "$tmp/runs.db" "select count(*) from artifacts where name like 'probes/%'")" = 3 ] \
    || fail "the three probes are not recorded"
"$sl" plot 1 probe:rate_lif,rate_softlif@current --db "$tmp/runs.db" -o "$tmp/t.svg" \
    >"$tmp/plot" 2>&1 || { cat "$tmp/plot"; fail "plot exit $?"; }
python3 - "$tmp/t.svg" <<'PY' || fail "the figure lacks its axis and legend labels"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
texts = [''.join(t.itertext()) for t in root.iter('{http://www.w3.org/2000/svg}text')]
for l in ('current', 'rate_lif', 'rate_softlif', 'rate_lif, rate_softlif'):
    assert l in texts, (l, texts)
PY
"$sl" plot 1 probe:nothing --db "$tmp/runs.db" -o "$tmp/u.svg" >"$tmp/plot" 2>&1
[ $? = 2 ] || fail "an unknown probe is not exit 2"
grep -q "recorded: current, rate_lif, rate_softlif" "$tmp/plot" || { cat "$tmp/plot"; fail "no list of probes"; }
echo "tuning_curve: ok"
