#!/bin/sh
# tests/headers.sh — every public header compiles on its own, as C11 and
# (when a C++ compiler is around) as C++, warning-free. A header that
# forgets an include, an extern "C" or a C++-hostile construct fails here
# rather than in a plugin author's build.
# Environment: top_srcdir (set by the test harness), CC, CXX (optional).
set -u
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}
inc="$srcdir/include"
cc=${CC:-cc}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sl-headers.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

cxx=${CXX:-}
if [ -z "$cxx" ]; then
    for c in g++ c++ clang++; do
        if command -v "$c" >/dev/null 2>&1; then cxx=$c; break; fi
    done
fi

fail=0
n=0
for h in "$inc"/spikelab/*.h; do
    name=spikelab/$(basename "$h")
    n=$((n + 1))
    # included twice: the include guard must hold
    printf '#include <%s>\n#include <%s>\n' "$name" "$name" > "$tmp/t.c"
    # $cc is word-split on purpose: CC may carry flags (e.g. "gcc -m32")
    if ! $cc -std=c11 -Wall -Wextra -Wpedantic -Werror -fsyntax-only \
            -I"$inc" "$tmp/t.c" 2> "$tmp/err"; then
        echo "FAIL: $name does not compile alone as C11:"
        cat "$tmp/err"
        fail=1
    fi
    if [ -n "$cxx" ]; then
        cp "$tmp/t.c" "$tmp/t.cpp"
        if ! $cxx -std=c++11 -Wall -Wextra -Werror -fsyntax-only \
                -I"$inc" "$tmp/t.cpp" 2> "$tmp/err"; then
            echo "FAIL: $name does not compile alone as C++11:"
            cat "$tmp/err"
            fail=1
        fi
    fi
done
# extern "C": a C++ caller must reach the C symbol, not a mangled one
if [ -n "$cxx" ] && command -v nm >/dev/null 2>&1; then
    # the embedding API (session.h, rundb.h) is called from C++ programs
    cat > "$tmp/link.cpp" <<'EOF'
#include <spikelab/spikelab.h>
#include <spikelab/session.h>
#include <spikelab/rundb.h>
const char *f() { return sl_strerror(0); }
int g(sl_session *s, sl_experiment *e) { return sl_run(s, e, 0, 0, 0); }
int h(sl_rundb **db) { return sl_rundb_open("x", SL_RUNDB_READONLY, db); }
EOF
    if $cxx -std=c++11 -c -I"$inc" "$tmp/link.cpp" -o "$tmp/link.o" 2> "$tmp/err"; then
        for sym in sl_strerror sl_run sl_rundb_open; do
            if ! nm -u "$tmp/link.o" | grep -q " $sym\$"; then
                echo "FAIL: $sym has C++ linkage (missing extern \"C\"):"
                nm -u "$tmp/link.o"
                fail=1
            fi
        done
    else
        cat "$tmp/err"
        fail=1
    fi
fi
[ "$n" -gt 0 ] || { echo "no headers found in $inc/spikelab"; exit 99; }
if [ -n "$cxx" ]; then
    echo "checked $n headers as C11 ($cc) and C++11 ($cxx)"
else
    echo "checked $n headers as C11 ($cc); no C++ compiler found, C++ part skipped"
fi
exit $fail
