#!/bin/sh
# lifevent.so in whole runs:
#  - experiments/yinyang_ttfs.cfg and yinyang_eventprop.cfg, shortened
#    (2,000 training samples, 15 epochs), learn: test accuracy from chance
#    to at least 0.85 with either gradient; the same seed gives the same
#    bits again and with 2 threads (shards summed in order);
#  - a dense layer and an event layer follow each other where the
#    conversion is defined (lif → lif_event input = "dense" → lif_event
#    output = "dense" → lif), and a network that puts an event sequence
#    into a dense layer is refused at load (exit 2) naming both layers;
#  - a layer whose spikes overflow max_spikes fails the run with a
#    message naming the setting.
# The full runs (100 epochs, 5 seeds) are in README.md.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-lifevent-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

short="data.train.size=2000 train.epochs=15"
for m in ttfs eventprop; do
    exp="$top_srcdir/experiments/yinyang_$m.cfg"
    for t in 1 2; do
        "$sl" run "$exp" $short --threads $t --quiet --db "$tmp/runs.db" \
            >"$tmp/out" 2>"$tmp/err" ||
            { cat "$tmp/out" "$tmp/err"; fail "$m, $t threads: exit $?"; }
        id=$(sed -n 's/^run \([0-9]*\) finished.*/\1/p' "$tmp/out")
        [ -n "$id" ] || { cat "$tmp/out"; fail "$m: no run id"; }
        # metrics, results and settings without wall times and threads
        "$sl" export "$id" --db "$tmp/runs.db" | cut -d, -f2-5 |
            grep -v '^param,threads,' >"$tmp/$m.$t.csv" || fail "export"
        grep -q '^metric,loss,' "$tmp/$m.$t.csv" || fail "$m: no loss"
    done
    cmp -s "$tmp/$m.1.csv" "$tmp/$m.2.csv" ||
        { diff "$tmp/$m.1.csv" "$tmp/$m.2.csv" | head; fail "$m: 2 threads differ"; }
    a=$(sed -n 's/^  test accuracy = \([0-9.]*\).*/\1/p' "$tmp/out")
    [ -n "$a" ] || { cat "$tmp/out"; fail "$m: no accuracy"; }
    awk -v a="$a" 'BEGIN { exit !(a >= 0.85) }' ||
        fail "$m: test accuracy $a after 15 epochs (want >= 0.85)"
    echo "$m: test accuracy $a, the same bits with 1 and 2 threads"
done

cat >"$tmp/mixed.cfg" <<'CFG'
name = "mixed"; seed = 0;
data = { test = { type = "yinyang"; size = 50; seed = 40;
                  encoding = "spike_time"; t_early = 0.0; t_late = 1e-2;
                  t_bias = 0.0; t_sim = 3e-2; dt = 1e-3; }; };
network = { dt = 1e-3; layers = (
  { name = "dense_in"; type = "lif"; v_th = 1e-3; },
  { name = "ev1"; type = "lif_event"; n = 20; input = "dense";
    v_reset = -1000.0; mean = 3.0; std = 1.6; },
  { name = "ev2"; type = "lif_event"; n = 3; output = "dense";
    v_reset = -1000.0; mean = 1.5; std = 0.8; },
  { name = "dense_out"; type = "lif"; v_th = 1e-3; } ); };
loss = { type = "mse"; };
optimizer = { type = "adam"; };
train = { data = "test"; epochs = 0; batch_size = 10; };
evaluate = ( { data = "test"; metric = "accuracy"; } );
CFG
"$sl" run "$tmp/mixed.cfg" --db "$tmp/runs.db" >"$tmp/out" 2>&1 ||
    { cat "$tmp/out"; fail "dense → events → dense: exit $?"; }
grep -q "test accuracy" "$tmp/out" || fail "mixed network: no accuracy"

"$sl" run "$tmp/mixed.cfg" 'network.layers.[2].output="events"' \
    --db "$tmp/runs.db" >"$tmp/out" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$tmp/out"; fail "events into lif: exit $rc"; }
grep -q "layer ev2 gives an event sequence but layer dense_out takes a dense" \
    "$tmp/out" || { cat "$tmp/out"; fail "mismatch message"; }

"$sl" run "$top_srcdir/experiments/yinyang_ttfs.cfg" train.epochs=1 \
    'network.layers.[0].max_spikes=5' --db "$tmp/runs.db" >"$tmp/out" 2>&1 &&
    fail "max_spikes overflow accepted"
grep -q "max_spikes = 5 times" "$tmp/out" ||
    { cat "$tmp/out"; fail "overflow message"; }
echo "ok"
