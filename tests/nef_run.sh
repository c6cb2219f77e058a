#!/bin/sh
# The nef model through `spikelab run` (simulate mode):
#  - the channel with spec §10's fixed seeds (ensembles 1/2/3, WhiteSignal
#    7, function (sin(1000x)+1)/2 in Lua) reproduces Nengo's probe values
#    at t = 0.1, 1 and 10 s; traces and summaries are recorded;
#  - experiments/pes_channel.cfg (seed 1, full 10 s) meets its criteria,
#    recorded as results; experiments/pavlovian.cfg shortened to 3 s runs
#    and records its probes (the full 10-seed check: scripts/nef_seeds.sh);
#  - bad input (unknown names, slices out of range, sizes, Lua errors,
#    a runaway Lua function, io/os) is refused naming the object and line,
#    exit 2, nothing run.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-nef-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 missing"; exit 77; }
q() { sqlite3 "$db" "$1"; }

cat >"$tmp/ref.cfg" <<'CFG'
name = "ref"; seed = 0;
simulate = { duration = 10.0; };
model = { type = "nef";
  ensembles = ( { name = "pre"; n_neurons = 60; seed = 1; },
                { name = "post"; n_neurons = 60; seed = 2; },
                { name = "error"; n_neurons = 60; seed = 3; } );
  nodes = ( { name = "stim"; output = "white_signal"; period = 10.0;
              high = 5.0; rms = 0.5; seed = 7; } );
  connections = ( { from = "stim"; to = "pre"; },
    { name = "conn"; from = "pre"; to = "post";
      function = "function(x) return (math.sin(1000*x[1])+1)/2 end";
      pes = { learning_rate = 1e-4; }; },
    { from = "post"; to = "error"; },
    { from = "pre"; to = "error"; transform = -1.0; },
    { from = "error"; to = "conn.learning_rule"; } );
  probes = ( { name = "stim"; target = "stim"; },
             { name = "pre"; target = "pre"; synapse = 0.01; },
             { name = "post"; target = "post"; synapse = 0.01; },
             { name = "error"; target = "error"; synapse = 0.03; } );
  results = "function() return { s01 = at('stim', 0.1), p01 = at('pre', 0.1),"
    " q01 = at('post', 0.1), e01 = at('error', 0.1), q1 = at('post', 1.0),"
    " s10 = at('stim', 10), p10 = at('pre', 10), q10 = at('post', 10),"
    " e10 = at('error', 10) } end";
};
CFG
"$sl" run "$tmp/ref.cfg" --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "reference run"; }
# spec §10 values (Nengo), to 1e-9
check() {
    v=$(q "select value from results where run_id=$1 and name='$2'")
    awk -v v="$v" -v w="$3" -v n="$2" 'BEGIN { d = v - w; if (d < 0) d = -d;
        if (v == "" || d > 1e-9) { printf "FAIL: %s = %s, Nengo %s\n", n, v, w; exit 1 } }' || exit 1
}
check 1 s01 1.08370588877
check 1 p01 0.948241289408
check 1 q01 0.470617297328
check 1 e01 -0.248481493275
check 1 q1 0.114558679199
check 1 s10 0.267093594136
check 1 p10 0.253653859
check 1 q10 0.288284484451
check 1 e10 0.0290378678208
n=$(q "select count(*) from artifacts where run_id=1 and name like 'probes/%'")
[ "$n" = 4 ] || fail "expected 4 probe traces, got $n"
n=$(q "select count(*) from results where run_id=1 and name like 'probe_post_%'")
[ "$n" = 4 ] || fail "expected 4 summaries of probe post, got $n"

"$sl" run "$top_srcdir/experiments/pes_channel.cfg" --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "pes_channel"; }
[ "$(q "select value from results where run_id=2 and name='criteria_met'")" = 1.0 ] || { cat "$tmp/out"; fail "pes_channel seed 1 misses a criterion"; }

# conditioning, shortened (criteria need 15 s; this checks it runs)
"$sl" run "$top_srcdir/experiments/pavlovian.cfg" simulate.duration=3.0 \
    'model.results="function() return { cr_max_before = max_abs(\"cr\", 0, 2), err_max = max_abs(\"error\", 0.2, 2) } end"' \
    --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "pavlovian short"; }
awk '$1 == "cr_max_before" { ok = ($3 < 0.03) } END { exit !ok }' "$tmp/out" || { cat "$tmp/out"; fail "cr before learning"; }
awk '$1 == "err_max" { ok = ($3 < 1e-6) } END { exit !ok }' "$tmp/out" || { cat "$tmp/out"; fail "inhibited error"; }
# rerun reproduces it bit for bit: its timings (results *_wall_s, *_cpu_s)
# differ from run to run and are not part of the verdict
grep -q '^  simulate_run_wall_s = ' "$tmp/out" || { cat "$tmp/out"; fail "no run time"; }
"$sl" rerun last --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "rerun pavlovian"; }
grep -q "bit-identical" "$tmp/out" || { cat "$tmp/out"; fail "rerun of pavlovian not bit-identical"; }

# bad input: exit 2 and a message naming the object (and line)
bad() { # expected-substring override...
    want=$1; shift
    "$sl" run "$tmp/ref.cfg" "$@" --db "$db" --quiet >"$tmp/bad" 2>&1
    rc=$?
    [ $rc = 2 ] || { cat "$tmp/bad"; fail "exit $rc for $*"; }
    grep -q -- "$want" "$tmp/bad" || { cat "$tmp/bad"; fail "no '$want' for $*"; }
}
before=$(q "select count(*) from runs")
bad "no ensemble, node or named connection called 'psot'" 'model.connections.[2].from="psot"'
bad "slice \[0:2\] of 'post'" 'model.connections.[2].from="post[0:2]"'
bad "give transform or fill, not both" 'model.connections.[3].fill=2.0'
bad "'pre' gives 2 dimensions (the function's output) but 'post' takes 1" 'model.connections.[1].function="function(x) return {1, 2} end"'
bad "not a connection with a learning rule" 'model.connections.[4].to="stim.learning_rule"'
bad "instruction budget" 'model.connections.[1].function="function(x) while true do end end"'
bad "connection conn: function at x = 0: Lua error" 'model.connections.[1].function="function(x) return nil + 1 end"'
bad "attempt to index a nil value (global 'io')" 'model.connections.[1].function="function(x) return io.open(\"/etc/passwd\") end"'
bad "global 'os'" 'model.connections.[1].function="function(x) os.exit(1) end"'
bad "node 'stim': output function at t = 0" 'model.nodes.[0].output="function(t) error(\"nope\") end"'
bad "unknown output 'whitesignal'" 'model.nodes.[0].output="whitesignal"'
bad "n_nuerons" 'model.ensembles.[0].n_nuerons=5'
# a message from the file names its line
sed 's/{ from = "post"; to = "error"; }/{ from = "psot"; to = "error"; }/' "$tmp/ref.cfg" >"$tmp/bad.cfg"
"$sl" run "$tmp/bad.cfg" --db "$db" --quiet >"$tmp/bad" 2>&1; rc=$?
[ $rc = 2 ] || fail "bad.cfg: exit $rc"
grep -q "bad.cfg:13: model.connections.\[2\].from: no ensemble" "$tmp/bad" || { cat "$tmp/bad"; fail "line not named"; }
after=$(q "select count(*) from runs")
[ "$before" = "$after" ] || fail "a refused experiment was recorded"
echo "nef_run: ok"
