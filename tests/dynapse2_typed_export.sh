#!/bin/sh
# Export of the dendrite model's typed input and explicit type maps
# (specs/dynapse2_synapses.md §5, issue 22's Done-when 3) end to end:
# trained, exported, re-imported and every evaluation repeated on the
# quantised network. The re-import must equal quantise(network) bit for
# bit (export_roundtrip_identical), and the stored configuration must
# carry each type on its own dendrite: a type map of NMDA and GABA_A only
# puts every recurrent connection on the NMDA (256) or SHUNT (128)
# dendrite, typed input uses all four. Shortened runs (the CAM has 64 entries per neuron, so the
# typed-input run uses 12 input channels: 12 x 4 + 2 fits).
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$(cd "$top_builddir" && pwd)/core/spikelab"
exp="$(cd "$top_srcdir/experiments" && pwd)/frozen_noise_wta_dynapsim.cfg"
tmp=$(mktemp -d /tmp/sl-typed-export-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db="$tmp/runs.db"
L=network.layers

# 1: a type map over the two neurons (self GABA_A, mutual NMDA)
"$sl" run "$exp" train.epochs=500 \
    "$L.dynapsim.rec_synapses=[\"gaba_a\",\"nmda\",\"nmda\",\"gaba_a\"]" \
    --quiet --db "$db" >"$tmp/o1" 2>&1 || { cat "$tmp/o1"; fail "type-map run"; }
# 2: typed input (4 channels per neuron), non-negative initial weights
"$sl" run "$exp" train.epochs=300 data.train.n_channels=12 \
    data.test.n_channels=12 "$L.input.n_out=8" "$L.input.init=uniform" \
    "$L.input.low=0.0" "$L.input.high=0.5" "$L.dynapsim.input_synapses=typed" \
    --quiet --db "$db" >"$tmp/o2" 2>&1 || { cat "$tmp/o2"; fail "typed run"; }

for id in 1 2; do
    "$sl" export "$id" --format csv --db "$db" |
        awk -F, '$2 == "result" { print $3, $5 }' >"$tmp/r$id" ||
        fail "export $id"
    grep -q '^export_roundtrip_identical 1$' "$tmp/r$id" ||
        { cat "$tmp/r$id"; fail "run $id: re-import is not quantise(network)"; }
    grep -q '^quantised_train_frr_0 ' "$tmp/r$id" ||
        fail "run $id: no quantised evaluation"
    "$sl" export "$id" --artifacts "$tmp/a" --db "$db" || fail "artifacts $id"
done
# the dendrite codes of a configuration's CAM entries, sorted: of the
# inputs (tag < 60 or 12) or of the recurrent connections (tag above)
dendrites() { # file first-recurrent-tag rec(1)/in(0)
    grep -o '"dendrite": [0-9]*,.*"tag": [0-9]*' "$1" |
        awk -v t="$2" -v r="$3" '{ d = $2 + 0; g = $NF + 0 }
            d != 0 && (g >= t) == r { print d }' | sort -un | tr '\n' ' '
}
f1=$(find "$tmp/a/1" -name '*.json' | head -1)
f2=$(find "$tmp/a/2" -name '*.json' | head -1)
[ -n "$f1" ] && [ -n "$f2" ] || { ls -R "$tmp/a"; fail "no configuration artifact"; }
r1=$(dendrites "$f1" 60 1)
i1=$(dendrites "$f1" 60 0)
i2=$(dendrites "$f2" 12 0)
case "$r1" in "128 " | "256 " | "128 256 ") ;;
    *) fail "type map: recurrent dendrites '$r1' (want SHUNT, NMDA)" ;; esac
case "$i1" in "1024 " | "512 1024 ") ;;
    *) fail "type map: input dendrites '$i1' (want AMPA, GABA)" ;; esac
[ "$i2" = "128 256 512 1024 " ] || fail "typed input: dendrites '$i2'"
echo "dynapse2_typed_export: ok (type map: recurrent $r1; typed input: $i2)"
