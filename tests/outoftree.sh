#!/bin/sh
# tests/outoftree.sh — a plugin author's and an embedder's path, end to
# end: install the build tree into a scratch DESTDIR, build
# examples/plugin/ against that installation with nothing but
# `pkg-config --cflags spikelab`, and check that the installed spikelab
# lists the plugin it never saw at build time; then build examples/embed/
# with `pkg-config --cflags --libs spikelab`, run an experiment through
# the embedding API (session.h, rundb.h) with the installed plugins, and
# check that it records bit for bit what the installed `spikelab run`
# records for the same file and overrides. One install serves both (two
# concurrent installs of one build tree would race on its relinking).
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

# ---- an embedder's path ----------------------------------------------------
fail() { echo "FAIL: $*"; exit 1; }
# pkgconf prefixes variables with the sysroot too, pkg-config does not
plugindir=$(pkg-config --variable=plugindir spikelab)
case "$plugindir" in "$dest"/*) ;; *) plugindir=$dest$plugindir ;; esac
[ -d "$plugindir" ] || fail "no installed plugin directory $plugindir"
exp=$(find "$dest" -path '*/experiments/frozen_noise_lif.cfg' | head -n 1)
[ -n "$exp" ] || fail "experiments/frozen_noise_lif.cfg not installed"
libs=$(pkg-config --libs spikelab) || fail "pkg-config --libs spikelab"
case " $libs " in
*" -lspikelab "*) ;;
*) fail "pkg-config --libs spikelab = '$libs' lacks -lspikelab" ;;
esac
mkdir "$tmp/embed"
cp "$top_srcdir"/examples/embed/* "$tmp/embed/" || exit 99
chmod -R u+w "$tmp/embed"
# A sanitizer build's library needs its runtime loaded before anything
# else: the program is then built with the same sanitizers.
san=
if command -v readelf >/dev/null 2>&1; then
    dyn=$(readelf -d "$libdir/libspikelab.so" 2>/dev/null)
    case "$dyn" in *libasan*) san="-fsanitize=address" ;; esac
    case "$dyn" in *libubsan*) san="$san -fsanitize=undefined" ;; esac
fi
if ! env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL -u CFLAGS \
        $make_ -C "$tmp/embed" CC="$cc" CFLAGS="-O2 -Werror $san" \
        > "$tmp/embed.log" 2>&1; then
    echo "FAIL: building examples/embed against the installed library"
    cat "$tmp/embed.log"
    exit 1
fi

# Only the installed plugins, found through the session's plugin path
# (the embedder's) and through the environment (the command's).
ov=train.epochs=20
"$tmp/embed/embed" --plugin-path "$plugindir" "$exp" "$tmp/embed.db" "$ov" \
    > "$tmp/embed.out" 2> "$tmp/embed.err" || {
    cat "$tmp/embed.err"; fail "embed exited with $?"; }
grep -q '^metric loss 20 ' "$tmp/embed.out" || {
    cat "$tmp/embed.out"; fail "embed read no loss at epoch 20 back"; }
grep -q '^result test_frr_median ' "$tmp/embed.out" ||
    fail "embed read no test_frr_median back"
grep -q 'test FRR: median' "$tmp/embed.err" ||
    fail "the report did not reach the FILE* the program gave"
# stdout holds the program's own lines only: the library printed nothing
if grep -v -E '^(run|metric|result) ' "$tmp/embed.out"; then
    fail "the library wrote the lines above to stdout"
fi
SPIKELAB_PLUGIN_PATH=$plugindir "$bin" run "$exp" "$ov" --db "$tmp/cmd.db" \
    > "$tmp/cmd.out" 2>&1 || { cat "$tmp/cmd.out"; fail "spikelab run"; }
"$bin" export last --format json --db "$tmp/cmd.db" > "$tmp/cmd.json" ||
    fail "spikelab export last --format json"
if command -v python3 >/dev/null 2>&1; then
    # numbers kept as the text %.17g made of them, so equal text is
    # equal bits (both sides print with %.17g)
    python3 - "$tmp/cmd.json" "$tmp/embed.out" <<'PY' || exit 1
import json, sys
doc = json.load(open(sys.argv[1]), parse_float=str, parse_int=str)
r = doc["runs"][0]
want = ["run %s %s" % (r["id"], r["status"])]
for name in sorted(r["metrics"]):
    for m in r["metrics"][name]:
        want.append("metric %s %s %s" % (name, m["step"], m["value"]))
for name in sorted(r["results"]):
    want.append("result %s %s" % (name, r["results"][name]))
got = open(sys.argv[2]).read().splitlines()
assert want[0] == got[0], (want[0], got[0])
assert sorted(want) == sorted(got), \
    "\n".join(sorted(set(want) ^ set(got))[:20])
print("ok: the embedded run recorded what spikelab run records "
      "(%d lines, bit for bit)" % len(got))
PY
else
    echo "no python3: embed ran, the bit-for-bit comparison is skipped"
fi
exit 0
