#!/bin/sh
# Settings tables through the command: an unknown key gets the nearest
# declared name (exit 2); range, choice and type errors name the key, its
# place and what is allowed; every default a run applies is recorded, so
# `runs --where` finds an Adam run by a beta1 it never set; `plugins lif`
# prints lif's table (text and JSON).
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/frozen_noise_lif.cfg"
tmp=$(mktemp -d /tmp/sl-settings-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }

# bad settings: each exits 2 with these words in the message, records nothing
bad() {
    want=$1
    shift
    "$sl" run "$exp" "$@" --db "$db" >"$tmp/out" 2>"$tmp/err"
    rc=$?
    [ "$rc" -eq 2 ] || { cat "$tmp/err"; fail "$* exit $rc, want 2"; }
    for w in $want; do
        grep -q -- "$w" "$tmp/err" || { cat "$tmp/err"; fail "$*: no '$w'"; }
    done
}
# the issue's example, exactly
"$sl" run "$exp" network.layers.1.tau_mme=0.02 --db "$db" >"$tmp/out" \
    2>"$tmp/err"
rc=$?
[ "$rc" -eq 2 ] || fail "tau_mme: exit $rc, want 2"
grep -q "tau_mme: unknown setting; did you mean tau_mem?" "$tmp/err" \
    || { cat "$tmp/err"; fail "tau_mme: no suggestion"; }
"$sl" run "$exp" trian.epochs=3 --db "$db" >"$tmp/out" 2>"$tmp/err"
grep -q "did you mean train?" "$tmp/err" || { cat "$tmp/err"; fail "trian"; }
bad "optimizer.lrr did you mean lr" optimizer.lrr=0.1
bad "tau_mem out.of.range > 0 s" network.layers.lif.tau_mem=-0.01
bad "beta1 >= 0 and < 1" optimizer.beta1=1.5
bad "forward one.of: step, smooth" network.layers.lif.forward=wobbly
bad "epochs >= 0" train.epochs=-3
bad "metric one.of: frr, accuracy, loss, spike_times" evaluate.0.metric=rate
bad "n_out expects.an.integer" network.layers.0.n_out=two
[ ! -f "$db" ] || [ "$("$sl" runs --db "$db" --json | grep -c '"id"')" -eq 0 ] \
    || fail "a refused experiment was recorded"

# defaults recorded: the file sets no beta1, the run records Adam's 0.9
grep -q beta1 "$exp" && fail "the experiment sets beta1 (test assumes not)"
"$sl" run "$exp" train.epochs=2 --db "$db" >"$tmp/out" 2>"$tmp/err" \
    || { cat "$tmp/err"; fail "run"; }
"$sl" runs --db "$db" --where 'optimizer.beta1=0.9' --json >"$tmp/w.json" \
    || fail "runs --where beta1"
grep -q '"frozen_noise_lif"' "$tmp/w.json" \
    || { cat "$tmp/w.json"; fail "--where optimizer.beta1=0.9 finds no run"; }
"$sl" runs --db "$db" --where 'optimizer.beta1=0.8' --json >"$tmp/w.json"
grep -q '"frozen_noise_lif"' "$tmp/w.json" && fail "beta1=0.8 matches"
# by layer name too, and an absent optional group stays absent
"$sl" runs --db "$db" --where 'network.layers.lif.detach_reset=false' \
    --json | grep -q '"frozen_noise_lif"' || fail "detach_reset default"
"$sl" show last --db "$db" --config >"$tmp/cfg" || fail "show --config"
grep -q "beta1" "$tmp/cfg" && fail "a default was written into the config"
if "$sl" runs --db "$db" --where 'train.mismatch.every=100' --json \
    | grep -q '"frozen_noise_lif"'; then
    # frozen_noise_lif sets train.mismatch itself; only then may it appear
    grep -q "mismatch" "$exp" || fail "absent train.mismatch was recorded"
fi

# plugins lif: its table with defaults and units
"$sl" plugins lif >"$tmp/lif" 2>"$tmp/err" || fail "plugins lif"
for w in "alpha  *number  *100.0" "detach_reset  *boolean  *false" \
         "w_rec_scale  *number  *1.0  *>= 0  *1" "tau_mem  *number  *1e-2  *> 0  *s"; do
    grep -q "$w" "$tmp/lif" || { cat "$tmp/lif"; fail "plugins lif: no '$w'"; }
done
"$sl" plugins lif --json >"$tmp/lif.json" || fail "plugins lif --json"
if command -v python3 >/dev/null; then
    python3 - "$tmp/lif.json" <<'PY' || fail "plugins lif --json content"
import json, sys
doc = json.load(open(sys.argv[1]))
lif = [c for c in doc["components"] if c["name"] == "lif"][0]
s = {x["name"]: x for x in lif["settings"]}
assert s["alpha"]["default"] == "100.0" and s["alpha"]["min"] == 0
assert s["alpha"]["min_exclusive"] is True
assert s["tau_mem"]["unit"] == "s"
assert s["detach_reset"]["type"] == "boolean"
assert s["forward"]["choices"] == ["step", "smooth"]
assert [c["name"] for c in lif["common"]] == ["type", "name", "record", "params"]
PY
fi
"$sl" plugins no_such_thing >/dev/null 2>&1
[ $? -eq 2 ] || fail "plugins no_such_thing: want exit 2"
echo "settings: ok"
