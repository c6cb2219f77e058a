#!/bin/sh
# tests/fuzz/replay.sh — every file of the checked-in corpus
# (tests/fuzz/corpus/NAME/) once through its harness: the libFuzzer build
# of --enable-fuzzing, or the plain one (replay.c) otherwise. A crash
# found by fuzzing has its input added to the corpus, so this is its
# regression test; tests/fuzz/crashes/ holds inputs that still crash and
# is not replayed (README).
set -u
b=${top_builddir:-.}/tests/fuzz
s=${top_srcdir:-.}/tests/fuzz/corpus
names=${FUZZ_NAMES:-fuzz_config fuzz_npy fuzz_device_json fuzz_filter fuzz_paramgen fuzz_nir fuzz_nef_model fuzz_npy_param fuzz_checkpoint fuzz_npydata fuzz_idx fuzz_events fuzz_form}
# libconfig's own leaks on syntax errors (lsan.supp says which)
LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$(cd "${top_srcdir:-.}" && pwd)/tests/fuzz/lsan.supp:print_suppressions=0}
export LSAN_OPTIONS
status=0
for h in $names; do
    if [ ! -x "$b/$h" ]; then
        echo "FAIL: $b/$h is not built"
        status=1
        continue
    fi
    n=$(find "$s/$h" -type f | wc -l)
    if [ "$n" -eq 0 ]; then
        echo "FAIL: no corpus in $s/$h"
        status=1
        continue
    fi
    log=$b/$h.replay.log
    # file arguments: libFuzzer runs each once, as replay.c does
    # libhdf5 is built without frame pointers: the fast unwinder stops at
    # its first frame, so lsan.supp's libhdf5 entries need the slow one
    a=${ASAN_OPTIONS:-}
    case $h in fuzz_nir | fuzz_events) a="${a:+$a:}fast_unwind_on_malloc=0" ;; esac
    if find "$s/$h" -type f | sort | tr '\n' '\0' |
        ASAN_OPTIONS=$a xargs -0 "$b/$h" >"$log" 2>&1; then
        echo "ok: $h ($n inputs)"
    else
        echo "FAIL: $h crashed on its corpus:"
        tail -n 40 "$log"
        status=1
    fi
done
exit $status
