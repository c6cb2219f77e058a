#!/bin/sh
# Issue 12, "reproducibility across machines": every run records the
# numeric environment that decides its bits (BLAS library, build, kernel
# and threads, CPU model and vector extensions, compiler and flags);
# `show` and `show --json` give it; `rerun` names what changed when the
# results differ. A different machine is faked by editing the stored
# BLAS kernel (and, where the results must differ, a stored metric) with
# the sqlite3 shell; where this CPU has AVX-512 and OpenBLAS is built for
# several kernels, also for real with OPENBLAS_CORETYPE.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-numenv-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing: SKIP"; exit 77; }
db="$tmp/runs.db"
q() { sqlite3 "$db" "$1"; }
cat >"$tmp/e.cfg" <<CFG
name = "numenv";
@include "$top_srcdir/experiments/common/frozen_noise_data.cfg"
network = { dt = 1e-3; layers = ( { type = "linear"; n_out = 2; } ); };
loss = { type = "mse"; };
optimizer = { type = "adam"; lr = 1e-2; };
train = { epochs = 3; };
CFG
"$sl" run "$tmp/e.cfg" --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "run"; }

# recorded with the run
kernel=$(q "select value from run_env where run_id = 1 and key = 'blas.kernel'")
for k in blas.library compiler compiler.flags; do
    [ -n "$(q "select value from run_env where run_id = 1 and key = '$k'")" ] || fail "no $k recorded"
done
if [ -n "$kernel" ]; then # OpenBLAS
    [ "$(q "select value from run_env where run_id = 1 and key = 'blas.threads'")" = 1 ] \
        || fail "the command runs OpenBLAS on one thread"
    q "select value from run_env where run_id = 1 and key = 'blas.library'" | grep -q '^OpenBLAS ' \
        || fail "blas.library"
fi
if grep -q '^model name' /proc/cpuinfo 2>/dev/null; then
    [ -n "$(q "select value from run_env where run_id = 1 and key = 'cpu.model'")" ] || fail "cpu.model"
    [ "$(q "select length(value) from run_env where run_id = 1 and key = 'cpu.flags_sha256'")" = 64 ] \
        || fail "cpu.flags_sha256"
fi

# show and show --json
"$sl" show 1 --db "$db" >"$tmp/show" || fail "show"
grep -q '^numeric environment' "$tmp/show" || { cat "$tmp/show"; fail "show: no numeric environment"; }
grep -q "^  blas.library  *$(q "select value from run_env where run_id = 1 and key = 'blas.library'")\$" "$tmp/show" \
    || { cat "$tmp/show"; fail "show: blas.library"; }
"$sl" show 1 --db "$db" --json >"$tmp/json" || fail "show --json"
if command -v python3 >/dev/null; then
    python3 - "$tmp/json" "$db" <<'PY' || fail "show --json: env"
import json, sqlite3, sys
env = json.load(open(sys.argv[1]))["env"]
rows = sqlite3.connect(sys.argv[2]).execute(
    "select key, value from run_env where run_id = 1 order by rowid").fetchall()
assert list(env.items()) == rows, (env, rows)
PY
fi

[ -n "$kernel" ] || { echo "numenv: ok (no OpenBLAS kernel to fake)"; exit 0; }

# a re-run on "another machine": the stored kernel faked, and a stored
# metric changed as that machine's different bits would have it
q "update run_env set value = 'FakeCore' where run_id = 1 and key = 'blas.kernel';
   update metrics set value = value + 1e-9 where run_id = 1 and step = 2 and name = 'loss'"
# (numerics=blas: re-run as recorded, not in portable numerics, which
# rerun would choose in another environment; see below)
"$sl" rerun 1 --db "$db" --quiet numerics=blas >"$tmp/out" 2>&1
[ $? = 1 ] || { cat "$tmp/out"; fail "rerun of a different result exited $?"; }
grep -q "^run 2 does NOT reproduce run 1: metric 'loss' step 2 differs" "$tmp/out" \
    || { cat "$tmp/out"; fail "rerun: no verdict"; }
grep -q "^the numeric environment changed since run 1" "$tmp/out" || { cat "$tmp/out"; fail "rerun: no change named"; }
grep -qx "  BLAS kernel: FakeCore (recorded) vs $kernel (now)" "$tmp/out" \
    || { cat "$tmp/out"; fail "rerun does not name the BLAS kernel"; }
[ "$(grep -c ' (recorded) vs ' "$tmp/out")" = 1 ] || { cat "$tmp/out"; fail "rerun names more than the kernel"; }

# the same environment, different results: another cause, said so
q "update run_env set value = '$kernel' where run_id = 1 and key = 'blas.kernel'"
"$sl" rerun 1 --db "$db" --quiet >"$tmp/out" 2>&1
[ $? = 1 ] || { cat "$tmp/out"; fail "rerun exited $?"; }
grep -q "^the numeric environment is as run 1 recorded it .*: the difference has another cause" "$tmp/out" \
    || { cat "$tmp/out"; fail "rerun: same environment not said"; }

# identical results although the kernel differs: reproduced, with a note
"$sl" run "$tmp/e.cfg" --db "$db" --quiet >/dev/null 2>&1 || fail "run 4"
q "update run_env set value = 'FakeCore' where run_id = 4 and key = 'blas.kernel'"
"$sl" rerun 4 --db "$db" --quiet numerics=blas >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "rerun 4"; }
grep -q "^run 5 reproduces run 4: bit-identical" "$tmp/out" || { cat "$tmp/out"; fail "rerun 4 verdict"; }
grep -qx "  BLAS kernel: FakeCore (recorded) vs $kernel (now)" "$tmp/out" || { cat "$tmp/out"; fail "rerun 4 note"; }

# without numerics=...: a BLAS run from another environment is re-run in
# portable numerics, said before it runs and recorded as an override; the
# verdict (a portable run against a BLAS one) says the difference is
# expected, exit 0
"$sl" rerun 4 --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "rerun 4 (portable) exited $?"; }
grep -q '^run 4 multiplied its matrices with BLAS (numerics = "blas") in another numeric environment:$' "$tmp/out" \
    || { cat "$tmp/out"; fail "rerun 4 (portable): not said"; }
grep -qx "  BLAS kernel: FakeCore (recorded) vs $kernel (now)" "$tmp/out" || { cat "$tmp/out"; fail "rerun 4 (portable): kernel"; }
grep -q '^its bits cannot be reproduced here: re-running with numerics = "portable"' "$tmp/out" \
    || { cat "$tmp/out"; fail "rerun 4 (portable): switch not said"; }
grep -q '^run 6 does NOT reproduce run 4: ' "$tmp/out" || { cat "$tmp/out"; fail "rerun 4 (portable): verdict"; }
grep -q '^(expected: run 4 multiplied its matrices with BLAS' "$tmp/out" || { cat "$tmp/out"; fail "rerun 4 (portable): not expected"; }
[ "$(q "select overrides from runs where id = 6")" = "numerics=portable" ] || fail "rerun 4 (portable): override not recorded"
[ "$(q "select value_text from params where run_id = 6 and key = 'numerics'")" = portable ] || fail "rerun 4 (portable): not run portable"
# a portable run re-run where only the BLAS kernel differs: bit-identical,
# and the kernel named as not used
q "update run_env set value = 'FakeCore' where run_id = 6 and key = 'blas.kernel'"
"$sl" rerun 6 --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "rerun 6 exited $?"; }
grep -q "^run 7 reproduces run 6: bit-identical" "$tmp/out" || { cat "$tmp/out"; fail "rerun 6 verdict"; }
grep -qx "  BLAS kernel: FakeCore (recorded) vs $kernel (now), not used in portable mode" "$tmp/out" \
    || { cat "$tmp/out"; fail "rerun 6: kernel not named as unused"; }

# for real: another OpenBLAS kernel on this machine (AVX-512 needed to
# run SkylakeX's; a DYNAMIC_ARCH build needed to switch at all)
if grep -qw avx512f /proc/cpuinfo 2>/dev/null &&
    q "select value from run_env where run_id = 1 and key = 'blas.build'" | grep -qw DYNAMIC_ARCH; then
    OPENBLAS_CORETYPE=Haswell "$sl" run "$tmp/e.cfg" --db "$db" --quiet >/dev/null 2>&1 || fail "Haswell run"
    OPENBLAS_CORETYPE=SkylakeX "$sl" rerun 8 --db "$db" --quiet >"$tmp/out" 2>&1
    grep -qx "  BLAS kernel: Haswell (recorded) vs SkylakeX (now)" "$tmp/out" \
        || { cat "$tmp/out"; fail "Haswell vs SkylakeX not named"; }
    echo "numenv: ok (with a real kernel change: Haswell vs SkylakeX)"
else
    echo "numenv: ok"
fi
