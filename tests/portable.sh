#!/bin/sh
# Issue 12, portable numerics: with numerics = "portable" the same
# configuration and seed give bit-identical metrics, results and trained
# parameters whichever BLAS kernel OpenBLAS picks (OPENBLAS_CORETYPE) and
# whichever libm variant glibc picks (GLIBC_TUNABLES without FMA/AVX2),
# for experiments/frozen_noise_lif.cfg and frozen_noise_dynapsim.cfg.
# Each experiment runs once in the first environment; `rerun` in every
# other environment must say "bit-identical" (it compares bit for bit).
#
# The control, so that this test can fail: in the default mode (BLAS) the
# same frozen_noise_lif run does NOT reproduce across Haswell and SkylakeX
# kernels (needs a CPU with AVX-512 and a DYNAMIC_ARCH OpenBLAS).
#
# Kept short for make check (dynapsim: 2000 epochs); `make
# check-portable-long` (SL_PORTABLE_LONG=1) runs the issue's 50,000
# epochs and the control on that run too.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-portable-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db="$tmp/runs.db"
dyn_epochs=2000
[ "${SL_PORTABLE_LONG:-0}" = 1 ] && dyn_epochs=50000

# The environments (assignments for env(1); '-': as the test runs) ...
envs="OPENBLAS_CORETYPE=Haswell OPENBLAS_CORETYPE=SkylakeX -"
envs="$envs GLIBC_TUNABLES=glibc.cpu.hwcaps=-AVX2,-FMA,-FMA4"
# ... and the training threads, 1 and 2 (parallel.c: the bits do not
# depend on the count)
threads="1 2"

# SkylakeX's kernel needs AVX-512 (elsewhere that environment is left out)
multi_kernel=0
grep -qw avx512f /proc/cpuinfo 2>/dev/null && multi_kernel=1

# run_in ENV THREADS CMD...: CMD with ENV set and the threads override
run_in() {
    e=$1 t=$2
    shift 2
    set -- "$@" $( [ "$t" = - ] || echo "threads=$t" )
    if [ "$e" = - ]; then "$@"; else env "$e" "$@"; fi
}

n=0 # runs recorded so far
check_experiment() { # LABEL FILE OVERRIDES...
    label=$1 file=$2
    shift 2
    first_env=${envs%% *} first_t=${threads%% *}
    run_in "$first_env" "$first_t" "$sl" run "$file" --db "$db" --quiet \
        numerics=portable "$@" >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "$label: first run"; }
    n=$((n + 1))
    parent=$n
    for e in $envs; do
        for t in $threads; do
            [ "$e" = "$first_env" ] && [ "$t" = "$first_t" ] && continue
            case "$e" in *SkylakeX*) [ $multi_kernel = 1 ] || continue ;; esac
            run_in "$e" "$t" "$sl" rerun $parent --db "$db" --quiet >"$tmp/out" 2>&1
            rc=$?
            n=$((n + 1))
            grep -q "^run $n reproduces run $parent: bit-identical" "$tmp/out" ||
                { cat "$tmp/out"; fail "$label: not bit-identical with $e, threads $t (exit $rc)"; }
            [ $rc = 0 ] || { cat "$tmp/out"; fail "$label: rerun exited $rc"; }
        done
    done
    echo "portable: $label bit-identical in: $envs (threads: $threads)"
}

check_experiment frozen_noise_lif "$top_srcdir/experiments/frozen_noise_lif.cfg"
check_experiment "frozen_noise_dynapsim ($dyn_epochs epochs)" \
    "$top_srcdir/experiments/frozen_noise_dynapsim.cfg" "train.epochs=$dyn_epochs"

# the control: BLAS's bits do depend on the kernel (only a DYNAMIC_ARCH
# OpenBLAS switches kernels at all)
control() { # LABEL FILE OVERRIDES...
    label=$1 file=$2
    shift 2
    OPENBLAS_CORETYPE=Haswell "$sl" run "$file" --db "$db" --quiet "$@" \
        >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "$label: control run"; }
    n=$((n + 1))
    OPENBLAS_CORETYPE=SkylakeX "$sl" rerun $n --db "$db" --quiet numerics=blas >"$tmp/out" 2>&1
    rc=$?
    grep -q "^run $((n + 1)) does NOT reproduce run $n: " "$tmp/out" ||
        { cat "$tmp/out"; fail "$label: control: BLAS mode gave the same bits on Haswell and SkylakeX kernels (this test could not fail)"; }
    [ $rc = 1 ] || { cat "$tmp/out"; fail "$label: control: rerun numerics=blas (as recorded) exited $rc, not 1"; }
    n=$((n + 1))
    echo "portable: control ok, $label with numerics=blas differs between Haswell and SkylakeX: $(grep -o 'metric .*differs' "$tmp/out")"
}
if [ $multi_kernel = 1 ] && "$sl" show 1 --db "$db" | grep -q '^  blas.build .*DYNAMIC_ARCH'; then
    control frozen_noise_lif "$top_srcdir/experiments/frozen_noise_lif.cfg"
    [ "${SL_PORTABLE_LONG:-0}" = 1 ] &&
        control "frozen_noise_dynapsim ($dyn_epochs epochs)" \
            "$top_srcdir/experiments/frozen_noise_dynapsim.cfg" "train.epochs=$dyn_epochs"
else
    echo "portable: no control (needs AVX-512 and a DYNAMIC_ARCH OpenBLAS)"
fi
exit 0
