#!/bin/sh
# tests/symbols.sh — libspikelab.so exports exactly the public API: every
# function a public header declares SL_EXPORT (session.h, rundb.h and
# sl_strerror of abi.h), and nothing else. An internal sl__ function or a
# helper that lost its `static` fails here instead of becoming ABI by
# accident; a declared function that is not exported fails too.
# Environment: top_builddir, top_srcdir (set by the test harness).
set -u
: "${top_builddir:?run me through make check}"
: "${top_srcdir:?run me through make check}"
command -v nm >/dev/null 2>&1 || { echo "SKIP: no nm"; exit 77; }
lib=$top_builddir/core/.libs/libspikelab.so
[ -f "$lib" ] || { echo "FAIL: $lib not built"; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/sl-symbols.XXXXXX") || exit 99
trap 'rm -rf "$tmp"' EXIT INT TERM

# The API: "SL_EXPORT <type> <name>(" in the headers an embedder links
# against (plugin.h's SL_EXPORT is the plugin's own entry, not ours).
inc=$top_srcdir/include/spikelab
grep -h '^SL_EXPORT ' "$inc/abi.h" "$inc/session.h" "$inc/rundb.h" |
    sed 's/(.*//' | awk '{ print $NF }' | tr -d '*' | sort -u > "$tmp/api"
[ -s "$tmp/api" ] || { echo "FAIL: no SL_EXPORT declarations found"; exit 1; }
grep -q '^sl_run$' "$tmp/api" || { echo "FAIL: header scan broken"; exit 1; }

# Defined dynamic symbols, without the linker's own section markers.
if ! nm -D --defined-only "$lib" > "$tmp/nm"; then
    echo "FAIL: nm -D $lib"
    exit 1
fi
awk '{ print $NF }' "$tmp/nm" |
    grep -v -E '^(_init|_fini|_edata|_end|__bss_start)$' | sort -u \
    > "$tmp/exported"

fail=0
extra=$(comm -13 "$tmp/api" "$tmp/exported")
if [ -n "$extra" ]; then
    echo "FAIL: libspikelab.so exports symbols outside the public API:"
    echo "$extra" | sed 's/^/  /'
    fail=1
fi
missing=$(comm -23 "$tmp/api" "$tmp/exported")
if [ -n "$missing" ]; then
    echo "FAIL: declared SL_EXPORT but not exported by libspikelab.so:"
    echo "$missing" | sed 's/^/  /'
    fail=1
fi
[ $fail = 0 ] && echo "ok: libspikelab.so exports exactly the $(wc -l < "$tmp/api") functions of the public API"
exit $fail
