#!/bin/sh
# Run history end to end with the real command on the frozen-noise LIF
# experiment: rerun (bit-identical, and a detected difference), runs
# filters (--where on a parameter, an alias, a result and a final metric;
# malformed filters; injection attempts), compare, export (CSV read back by
# Python's csv module and sqlite3's .import, JSON, .npy artifacts), tag,
# note, rm, and the migration of a schema-1 database; --help of every
# command and its place in the README.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
exp="$top_srcdir/experiments/frozen_noise_lif.cfg"
command -v sqlite3 >/dev/null || { echo "history: sqlite3 CLI missing: SKIP"; exit 77; }
command -v python3 >/dev/null || { echo "history: python3 missing: SKIP"; exit 77; }
tmp=$(mktemp -d /tmp/sl-hist-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }
# ids listed by `runs ARGS...`, space-separated, in listing order (from
# the text table: python3 starts too slowly to parse JSON for each query)
ids() {
    "$sl" runs --db "$db" "$@" >"$tmp/ids.txt" 2>"$tmp/ids.err" \
        || { cat "$tmp/ids.err"; fail "runs $* exit $?"; }
    awk 'NR > 1 && $1 ~ /^[0-9]+$/ { printf "%s%s", sep, $1; sep = " " }' "$tmp/ids.txt"
}
# exit status 2, empty stdout, and stderr matching a pattern
usage_err() {
    pat=$1
    shift
    "$sl" "$@" >"$tmp/o" 2>"$tmp/e"
    st=$?
    [ $st = 2 ] || { cat "$tmp/o" "$tmp/e"; fail "'$*': exit $st, expected 2"; }
    [ ! -s "$tmp/o" ] || fail "'$*': wrote to stdout"
    grep -q -- "$pat" "$tmp/e" || { cat "$tmp/e"; fail "'$*': message lacks '$pat'"; }
}

# ---- --help everywhere, and the README tour ---------------------------------
for c in run runs show compare export rerun tag note rm; do
    "$sl" "$c" --help >"$tmp/help" 2>&1 || fail "$c --help exit $?"
    grep -qi "usage: spikelab $c" "$tmp/help" || fail "$c --help text"
    "$sl" --help | grep -q "^  $c " || fail "top-level --help lacks $c"
    grep -q "spikelab $c" "$top_srcdir/README.md" || fail "README lacks 'spikelab $c'"
done

# ---- two runs, then re-runs ---------------------------------------------------------
E=60
"$sl" run "$exp" train.epochs=$E --quiet --db "$db" >/dev/null 2>&1 || fail "run 1"
"$sl" run "$exp" train.epochs=$E optimizer.lr=0.02 --quiet --db "$db" >/dev/null 2>&1 || fail "run 2"

"$sl" rerun 1 --quiet --db "$db" >"$tmp/rerun" 2>&1 || { cat "$tmp/rerun"; fail "rerun 1 exit $?"; }
grep -q "run 3 reproduces run 1: bit-identical" "$tmp/rerun" || { cat "$tmp/rerun"; fail "rerun did not say bit-identical"; }
a=$(q "SELECT group_concat(quote(value)) FROM (SELECT value FROM metrics WHERE run_id = 1 ORDER BY name, step)")
b=$(q "SELECT group_concat(quote(value)) FROM (SELECT value FROM metrics WHERE run_id = 3 ORDER BY name, step)")
[ -n "$a" ] && [ "$a" = "$b" ] || fail "rerun metrics not bit-identical"
[ "$(q 'SELECT count(*) FROM metrics WHERE run_id = 3')" = $E ] || fail "rerun metric count"
[ "$(q 'SELECT parent_id, reproduced FROM runs WHERE id = 3')" = "1|1" ] || fail "rerun not recorded as reproducing run 1"
[ "$(q 'SELECT config_hash FROM runs WHERE id = 1')" = "$(q 'SELECT config_hash FROM runs WHERE id = 3')" ] \
    || fail "the rerun's effective config differs from the original's"
[ "$(q 'SELECT overrides FROM runs WHERE id = 3')" = "train.epochs=$E" ] || fail "rerun overrides not recorded"
"$sl" show 3 --db "$db" | grep -q "reproduces  *run 1 (bit-identical" || fail "show lacks the reproduction"

# a changed stored value is caught (and the exit status says so)
q "UPDATE metrics SET value = value * (1 + 1e-15) WHERE run_id = 1 AND step = 17"
"$sl" rerun last --quiet --db "$db" >"$tmp/rerun" 2>&1 || fail "rerun last exit $?"
grep -q "run 4 reproduces run 3: bit-identical" "$tmp/rerun" || { cat "$tmp/rerun"; fail "rerun of run 3 (last)"; }
"$sl" rerun 1 --quiet --db "$db" >"$tmp/rerun" 2>&1 && fail "difference not reported by the exit status"
grep -q "does NOT reproduce run 1: metric 'loss' step 17 differs" "$tmp/rerun" || { cat "$tmp/rerun"; fail "difference not named"; }
[ "$(q 'SELECT reproduced FROM runs WHERE id = 5')" = 0 ] || fail "failed reproduction not stored"
# overrides make a different run: reported, not an error
"$sl" rerun 2 train.epochs=7 --quiet --db "$db" >"$tmp/rerun" 2>&1 || { cat "$tmp/rerun"; fail "rerun with override exit $?"; }
grep -q "run 6 does NOT reproduce run 2" "$tmp/rerun" || fail "rerun with override"
[ "$(q "SELECT count(*) FROM metrics WHERE run_id = 6")" = 7 ] || fail "rerun override not applied"
usage_err "not a run ID" rerun abc --db "$db"
"$sl" rerun 99 --db "$db" >/dev/null 2>"$tmp/e" && fail "rerun 99 succeeded"
grep -q "no run 99" "$tmp/e" || fail "rerun 99 message"
# runs now: 1 lr .01 (tampered), 2 lr .02, 3/4/5 = 1, 6 = 2 with 7 epochs

# ---- --where ----------------------------------------------------------------------------
"$sl" runs --db "$db" --json --where 'optimizer.lr>=0.015' | python3 -c '
import json, sys
r = json.load(sys.stdin)
assert [x["id"] for x in r] == [6, 2] and r[0]["values"] == {"optimizer.lr": 0.02}, r
' || fail "runs --json --where"
[ "$(ids --where 'optimizer.lr>=0.015')" = "6 2" ] || fail "where on a parameter: $(ids --where 'optimizer.lr>=0.015')"
[ "$(ids --where 'param:optimizer.lr=0.01' --sort id)" = "1 3 4 5" ] || fail "where param: prefix, sort"
[ "$(ids --where 'network.layers.lif.tau_mem=0.02' --where 'train.epochs<10')" = 6 ] || fail "where on an alias"
[ "$(ids --where 'network.layers.1.tau_mem>0.5')" = "" ] || fail "where excludes"
[ "$(ids --where 'optimizer.type=adam' --limit 2)" = "6 5" ] || fail "where on a text"
[ "$(ids --where 'optimizer.type~ad*' --where 'optimizer.type!=sgd' --limit 1)" = 6 ] || fail "where glob / !="
l1=$(q "SELECT value FROM metrics WHERE run_id = 3 AND name = 'loss' AND step = $E")
l2=$(q "SELECT value FROM metrics WHERE run_id = 2 AND name = 'loss' AND step = $E")
mid=$(q "SELECT ($l1 + $l2) / 2")
if [ "$(q "SELECT $l2 < $l1")" = 1 ]; then
    want="2" # lr 0.02 ends lower
else
    want="5 4 3 1"
fi
[ "$(ids --where "loss<$mid" --where 'train.epochs=60')" = "$want" ] || fail "where on a final metric (loss<$mid): $(ids --where "loss<$mid")"
[ "$(ids --where "metric:loss<$mid" --where 'train.epochs=60')" = "$want" ] || fail "where metric: prefix"
r=$(q "SELECT quote(value) FROM results WHERE run_id = 2 AND name = 'test_frr_min'")
[ "$(ids --where "test_frr_min=$r" --where 'optimizer.lr=0.02' --where 'train.epochs>=60')" = 2 ] || fail "where on a result"
"$sl" runs --db "$db" --where 'optimizer.lr>=0.015' >"$tmp/o" || fail "where text output"
grep -q "optimizer.lr" "$tmp/o" || fail "runs --where shows no value column"
# sort by a final metric, descending: the biggest loss first
first=$(ids --sort -loss --limit 1)
[ "$first" = "$(q "SELECT run_id FROM metrics m WHERE step = (SELECT max(step) FROM metrics WHERE run_id = m.run_id) ORDER BY value DESC, run_id DESC LIMIT 1")" ] \
    || fail "sort -loss gave $first"
# malformed filters: exit 2, naming the problem
usage_err "no comparison" runs --db "$db" --where 'optimizer.lr'
usage_err "no value after" runs --db "$db" --where 'optimizer.lr>='
usage_err "no key before" runs --db "$db" --where '>=0.1'
usage_err "is not an operator" runs --db "$db" --where 'optimizer.lr=<0.1'
usage_err "is not a number" runs --db "$db" --where 'optimizer.type<adam'
usage_err "unknown prefix" runs --db "$db" --where 'foo:bar=1'
usage_err "must be followed by" runs --db "$db" --where 'a!1'
usage_err "not a status" runs --db "$db" --status finished,bogus
usage_err "since" runs --db "$db" --since yesterday
# injection attempts are values like any other: nothing matches, nothing breaks
[ "$(ids --where "optimizer.type=adam' OR 1=1 --")" = "" ] || fail "injection via --where matched"
[ "$(ids --name "x' OR '1'='1")" = "" ] || fail "injection via --name matched"
[ "$(ids --where 'name=x); DROP TABLE runs; --')" = "" ] || fail "injection 3"
[ "$(q 'SELECT count(*) FROM runs')" = 6 ] || fail "runs table damaged"
# other filters
[ "$(ids --status finished --since 1h --name 'frozen*' --limit 3)" = "6 5 4" ] || fail "status/since/name"
[ "$(ids --since @9999999999)" = "" ] || fail "since in the future"
[ "$(ids --since 2000-01-01 --limit 1)" = 6 ] || fail "since a date"
[ "$(ids --status interrupted,failed)" = "" ] || fail "status filter"

# ---- compare ----------------------------------------------------------------------------
"$sl" compare 1 2 --db "$db" >"$tmp/cmp" || fail "compare exit $?"
grep -q "1 of [0-9]* keys differ" "$tmp/cmp" || { cat "$tmp/cmp"; fail "compare: count of differing keys"; }
grep -q "optimizer.lr  *0.01  *0.02" "$tmp/cmp" || { cat "$tmp/cmp"; fail "compare: differing key not listed"; }
grep -q "train.epochs" "$tmp/cmp" && fail "compare lists a key that does not differ"
grep -q "test_frr_median" "$tmp/cmp" || fail "compare: results missing"
"$sl" compare 2 6 1 --json --db "$db" >"$tmp/cmp.json" || fail "compare --json"
python3 - "$tmp/cmp.json" <<'PY' || fail "compare --json content"
import json, sys
c = json.load(open(sys.argv[1]))
assert [r["id"] for r in c["runs"]] == [2, 6, 1], c["runs"]
assert c["config_differences"] == ["optimizer.lr", "train.epochs"], c["config_differences"]
lr = [e for e in c["config"] if e["key"] == "optimizer.lr"][0]
assert lr["values"] == [0.02, 0.02, 0.01] and lr["differs"], lr
ep = [e for e in c["config"] if e["key"] == "train.epochs"][0]
assert ep["values"] == [60, 7, 60], ep
loss = [e for e in c["final_metrics"] if e["name"] == "loss"][0]
assert len(loss["values"]) == 3 and all(isinstance(v, float) for v in loss["values"])
PY
usage_err "at least two" compare 1 --db "$db"
usage_err "given twice" compare 1 1 --db "$db"

# ---- export -------------------------------------------------------------------------------
"$sl" export 1 2 --format csv -o "$tmp/runs.csv" --db "$db" || fail "export csv"
n_metrics=$(q "SELECT count(*) FROM metrics WHERE run_id IN (1, 2)")
n_params=$(q "SELECT count(*) FROM params WHERE run_id IN (1, 2)")
n_results=$(q "SELECT count(*) FROM results WHERE run_id IN (1, 2)")
q "SELECT run_id || ' ' || name || ' ' || step || ' ' || quote(value) FROM metrics WHERE run_id IN (1, 2)" >"$tmp/hex"
python3 - "$tmp/runs.csv" "$n_metrics" "$n_params" "$n_results" "$tmp/hex" <<'PY' || fail "CSV does not read back"
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1], newline="")))
kinds = {}
for r in rows:
    kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
assert kinds == {"metric": int(sys.argv[2]), "param": int(sys.argv[3]),
                 "result": int(sys.argv[4])}, kinds
assert set(rows[0]) == {"run_id", "kind", "name", "step", "value", "wall_time"}
got = {(r["run_id"], r["name"], r["step"]): float(r["value"])
       for r in rows if r["kind"] == "metric"}
for line in open(sys.argv[5]):
    run, name, step, v = line.split()   # quote(): digits that read back exactly
    assert got[(run, name, step)] == float(v), (run, name, step)   # bit-exact
p = {(r["run_id"], r["name"]): r["value"] for r in rows if r["kind"] == "param"}
assert p[("2", "optimizer.lr")] == "0.02" and p[("1", "name")] == "frozen_noise_lif"
assert p[("1", "network.layers.1.v_th")] == "0.6"
PY
rm -f "$tmp/import.db"
sqlite3 "$tmp/import.db" ".import --csv $tmp/runs.csv t" || fail "sqlite3 .import"
[ "$(sqlite3 "$tmp/import.db" 'SELECT count(*) FROM t')" = $((n_metrics + n_params + n_results)) ] \
    || fail "sqlite3 .import row count"
[ "$(sqlite3 "$tmp/import.db" "SELECT value FROM t WHERE kind = 'param' AND name = 'optimizer.lr' AND run_id = '2'")" = 0.02 ] \
    || fail "sqlite3 .import content"
"$sl" export 2 --format json --db "$db" >"$tmp/exp.json" || fail "export json"
python3 - "$tmp/exp.json" "$E" <<'PY' || fail "JSON export content"
import json, sys
d = json.load(open(sys.argv[1]))
(r,) = d["runs"]
assert r["id"] == 2 and r["status"] == "finished"
assert len(r["metrics"]["loss"]) == int(sys.argv[2])
assert r["params"]["optimizer.lr"] == 0.02 and r["params"]["train.epochs"] == 60
assert r["params"]["network.layers.0.bias"] is False
assert "test_frr_median" in r["results"]
PY
"$sl" export 2 --artifacts "$tmp/art" --db "$db" >"$tmp/o" || fail "export --artifacts"
python3 - "$tmp/art/2/params/input/weight.npy" 60 2 "$tmp/art/2/params/lif/w_rec.npy" 2 2 <<'PY' || fail ".npy artifacts"
import ast, struct, sys
a = sys.argv[1:]
for path, r, c in zip(a[0::3], a[1::3], a[2::3]):
    b = open(path, "rb").read()
    assert b[:8] == b"\x93NUMPY\x01\x00", b[:8]
    hl = struct.unpack("<H", b[8:10])[0]
    assert (10 + hl) % 64 == 0
    h = ast.literal_eval(b[10:10 + hl].decode("latin1"))
    assert h["descr"] in ("<f4", ">f4") and h["fortran_order"] is False
    assert h["shape"] == (int(r), int(c)), h
    assert len(b) == 10 + hl + 4 * int(r) * int(c)
PY

# ---- tag, note, rm ----------------------------------------------------------------------
"$sl" tag 2 baseline "two words" --db "$db" >/dev/null || fail "tag"
"$sl" tag 2 baseline --db "$db" >/dev/null || fail "tag twice"
[ "$(ids --tag baseline)" = 2 ] || fail "runs --tag"
[ "$(ids --tag baseline --tag 'two words')" = 2 ] || fail "runs --tag --tag"
"$sl" tag 2 --json --db "$db" | python3 -c 'import json,sys; assert json.load(sys.stdin) == ["baseline", "two words"]' \
    || fail "tag --json"
"$sl" tag 2 --remove "two words" --db "$db" >/dev/null || fail "tag --remove"
"$sl" tag 2 --remove "two words" --db "$db" >/dev/null 2>&1 && fail "removing a missing tag succeeded"
"$sl" runs --db "$db" --json --tag baseline | grep -q '"tags": \["baseline"\]' || fail "tags in runs --json"
"$sl" note 2 "first line" --db "$db" >/dev/null || fail "note"
"$sl" note 2 --append "second line" --db "$db" >/dev/null || fail "note --append"
[ "$("$sl" note 2 --db "$db")" = "first line
second line" ] || fail "note read back"
"$sl" show 2 --db "$db" | grep -q "^note  *first line" || fail "show lacks the note"
"$sl" note 2 --clear --db "$db" >/dev/null || fail "note --clear"
[ "$(q 'SELECT note IS NULL FROM runs WHERE id = 2')" = 1 ] || fail "note not cleared"
"$sl" tag 99 x --db "$db" >/dev/null 2>&1 && fail "tag of a missing run succeeded"
usage_err "control characters" tag 2 "$(printf 'a\tb')" --db "$db"
"$sl" rm 2 6 --db "$db" >"$tmp/o" || fail "rm"
[ "$(ids --sort id)" = "1 3 4 5" ] || fail "rm did not remove"
[ "$(q 'SELECT count(*) FROM params WHERE run_id IN (2, 6)')" = 0 ] || fail "rm left params"
[ "$(q 'SELECT count(*) FROM metrics WHERE run_id IN (2, 6)')" = 0 ] || fail "rm left metrics"
[ "$(q 'SELECT count(*) FROM tags')" = 0 ] || fail "rm left tags"
"$sl" rm 1 99 --db "$db" >/dev/null 2>&1 && fail "rm 1 99 succeeded"
[ "$(ids --sort id)" = "1 3 4 5" ] || fail "a failed rm removed something"
"$sl" rm 1 --db "$db" >/dev/null || fail "rm 1"
[ "$(q 'SELECT parent_id IS NULL FROM runs WHERE id = 3')" = 1 ] || fail "a re-run keeps a link to a removed run"
[ "$(q 'PRAGMA integrity_check')" = ok ] || fail "integrity after rm"
[ -z "$(q 'PRAGMA foreign_key_check')" ] || fail "foreign keys after rm"

# ---- a schema-1 database opens and is migrated in place --------------------------------------
old="$tmp/old.db"
sqlite3 "$old" <"$top_srcdir/tests/data/schema1.sql" || fail "building the schema-1 database"
[ "$(sqlite3 "$old" 'PRAGMA user_version')" = 1 ] || fail "fixture is not schema 1"
"$sl" runs --db "$old" >"$tmp/o" 2>&1 || { cat "$tmp/o"; fail "runs on a schema-1 database"; }
[ "$(sqlite3 "$old" 'PRAGMA user_version')" = 5 ] || fail "not migrated"
# schema 5: every run has a UUID, the sweeps table is there
[ "$(sqlite3 "$old" "SELECT count(*) FROM runs WHERE length(uuid) = 32")" = 2 ] || fail "migrated runs without a uuid"
sqlite3 "$old" "SELECT key FROM meta" | grep -q "^migrated_4_to_5$" || fail "migration 4 to 5 not recorded in meta"
# schema 4: the checkpoints table, empty, and the step recorded
[ "$(sqlite3 "$old" 'SELECT count(*) FROM checkpoints')" = 0 ] || fail "no checkpoints table after migrating"
sqlite3 "$old" "SELECT key FROM meta" | grep -q '^migrated_3_to_4$' || fail "migration 3 to 4 not recorded in meta"
[ "$(sqlite3 "$old" 'PRAGMA integrity_check')" = ok ] || fail "migrated file damaged"
[ "$(db=$old ids --where 'optimizer.lr=0.02')" = 2 ] || fail "old runs not filterable by parameter"
"$sl" show 1 --db "$old" --json | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["params"]["train.epochs"] == 5 and len(r["metrics"]["loss"]) == 5' \
    || fail "show of a migrated run"
"$sl" run "$exp" train.epochs=3 --quiet --db "$old" >/dev/null 2>&1 || fail "a new run into a migrated database"
[ "$(sqlite3 "$old" 'SELECT max(id), count(*) FROM runs')" = "3|3" ] || fail "new run in migrated database"
# and a run with checkpoints records them in the migrated file
"$sl" run "$exp" train.epochs=4 train.checkpoint_every=2 --quiet --db "$old" >/dev/null 2>&1 || fail "a run with checkpoints into a migrated database"
[ "$(sqlite3 "$old" 'SELECT run_id, epoch FROM checkpoints')" = "4|2" ] || fail "checkpoint in the migrated database"
echo "history: ok"
