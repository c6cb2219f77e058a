#!/bin/sh
# tests/outoftree.sh — a plugin author's path, end to end: install the
# build tree into a scratch DESTDIR, build examples/plugin/ against that
# installation with nothing but `pkg-config --cflags spikelab`, and check
# that the installed spikelab lists the plugin it never saw at build time.
# Environment: top_builddir, top_srcdir (set by the test harness), MAKE, CC.
set -u
: "${top_builddir:?run me through make check}"
: "${top_srcdir:?run me through make check}"
make_=${MAKE:-make}
cc=${CC:-cc}
for tool in pkg-config; do
    command -v "$tool" >/dev/null 2>&1 || { echo "SKIP: no $tool"; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/sl-outoftree.XXXXXX") || exit 99
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
dest=$tmp/root

# The install must not inherit this make's job server or flags (we are
# running inside `make check`); its own output goes to a log.
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL \
        $make_ -C "$top_builddir" install DESTDIR="$dest" \
        > "$tmp/install.log" 2>&1; then
    echo "FAIL: make install DESTDIR=$dest"
    tail -n 40 "$tmp/install.log"
    exit 1
fi

# Find what got installed: the prefix is whatever configure said (under
# distcheck a directory of its own), so look for the .pc file.
pc=$(find "$dest" -name spikelab.pc | head -n 1)
bin=$(find "$dest" -path '*/bin/spikelab' | head -n 1)
[ -n "$pc" ] || { echo "FAIL: no spikelab.pc installed"; exit 1; }
[ -n "$bin" ] || { echo "FAIL: no bin/spikelab installed"; exit 1; }
pcdir=$(dirname "$pc")
libdir=$(dirname "$pcdir")

# pkg-config with the sysroot prepends $dest to -I/-L paths
PKG_CONFIG_PATH=$pcdir
PKG_CONFIG_LIBDIR=$pcdir
PKG_CONFIG_SYSROOT_DIR=$dest
# keep -I<prefix>/include even when the prefix is /usr
PKG_CONFIG_ALLOW_SYSTEM_CFLAGS=1
export PKG_CONFIG_PATH PKG_CONFIG_LIBDIR PKG_CONFIG_SYSROOT_DIR \
    PKG_CONFIG_ALLOW_SYSTEM_CFLAGS
cflags=$(pkg-config --cflags spikelab) || { echo "FAIL: pkg-config"; exit 1; }
found=
for w in $cflags; do
    case "$w" in
    -I"$dest"*) [ -f "${w#-I}/spikelab/spikelab.h" ] && found=${w#-I} ;;
    esac
done
[ -n "$found" ] || {
    echo "FAIL: pkg-config --cflags spikelab = '$cflags' names no installed"
    echo "      spikelab/spikelab.h under $dest"
    exit 1
}

# A copy, as an author would have it: the source tree may be read-only
# (distcheck) and must stay clean.
mkdir "$tmp/example" "$tmp/plugins"
cp "$top_srcdir"/examples/plugin/* "$tmp/example/" || exit 99
chmod -R u+w "$tmp/example"
# CFLAGS are not passed on: the example must build with its own flags
# (a sanitizer build's CFLAGS would make the .so need the sanitizer).
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS \
        $make_ -C "$tmp/example" CC="$cc" CFLAGS="-O2 -Werror" \
        > "$tmp/example.log" 2>&1; then
    echo "FAIL: building examples/plugin against the installed headers"
    cat "$tmp/example.log"
    exit 1
fi
cp "$tmp/example/example_relu.so" "$tmp/plugins/" || exit 1

# The installed command, with the installed library, sees only the
# directory we name (no build-tree plugins, no machine-wide ones).
LD_LIBRARY_PATH=$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH
unset SPIKELAB_PLUGIN_PATH
SPIKELAB_PLUGIN_SYSTEM_PATH=
export SPIKELAB_PLUGIN_SYSTEM_PATH
if ! "$bin" plugins --json --plugin-path "$tmp/plugins" \
        > "$tmp/out.json" 2> "$tmp/err"; then
    echo "FAIL: $bin plugins --json exited with an error"
    cat "$tmp/err"
    exit 1
fi
cat "$tmp/out.json"
if command -v python3 >/dev/null 2>&1; then
    python3 - "$tmp/out.json" "$tmp/plugins/example_relu.so" <<'PY' || exit 1
import json, sys
doc = json.load(open(sys.argv[1]))
want = sys.argv[2]
mine = [p for p in doc["plugins"] if p["file"] == want]
assert mine, "example plugin not listed"
p = mine[0]
assert p["name"] == "example_relu" and p["abi"] == doc["abi"], p
assert [c["name"] for c in p["components"]] == ["example_relu"], p
assert p["components"][0]["kind"] == "neuron", p
assert doc["refused"] == [], doc["refused"]
print("ok: example_relu listed by the installed spikelab")
PY
else
    grep -q '"name": *"example_relu"' "$tmp/out.json" || {
        echo "FAIL: example_relu not listed"; exit 1; }
    grep -q '"refused": *\[ *\]' "$tmp/out.json" || {
        echo "FAIL: something was refused"; exit 1; }
fi
exit 0
