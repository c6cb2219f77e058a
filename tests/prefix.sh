#!/bin/sh
# The installed plugin directory follows the configured prefix, also when
# ./configure --prefix=P is run again on a built tree: it reaches the code
# through the generated header core/paths.h (rewritten only when it
# changes), which make's dependency tracking follows, never through a -D
# flag (a changed flag rebuilds nothing, so `make install` installed a
# command that searched the old directory).
set -u
: "${top_builddir:?run through make check}"
: "${sl_plugindir:?run through make check}"
fail() { echo "FAIL: $*"; exit 1; }
h="$top_builddir/core/paths.h"
grep -qF "#define SL_PLUGINDIR \"$sl_plugindir\"" "$h" \
    || { cat "$h"; fail "core/paths.h does not name $sl_plugindir"; }
"$top_builddir/core/spikelab" plugins --help | grep -qF "$sl_plugindir" \
    || fail "spikelab plugins --help does not name $sl_plugindir"
# the object that uses it depends on the header (automake's depfiles)
dep=$(ls "$top_builddir"/core/engine/.deps/*registry.P* 2>/dev/null | head -n 1)
[ -n "$dep" ] || fail "no dependency file for core/engine/registry.c"
grep -q 'paths\.h' "$dep" || fail "registry.c does not depend on core/paths.h"
if grep -rn 'SL_PLUGINDIR' "$top_builddir/Makefile" | grep -q -- '-DSL_PLUGINDIR'; then
    fail "SL_PLUGINDIR passed as a -D flag again"
fi
echo "prefix: ok"
