#!/bin/sh
# docs/settings.md is generated from the settings tables; it must not
# drift from them.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
tmp=$(mktemp /tmp/sl-settings-doc-XXXXXX)
trap 'rm -f "$tmp"' EXIT
# only the build tree's plugins (make check's SPIKELAB_PLUGIN_PATH)
SPIKELAB_PLUGIN_SYSTEM_PATH= "$top_builddir/core/spikelab" plugins \
    --markdown >"$tmp" || { echo "FAIL: plugins --markdown"; exit 1; }
if ! diff -u "$top_srcdir/docs/settings.md" "$tmp"; then
    echo "FAIL: docs/settings.md differs from the settings tables above."
    echo "Regenerate it with 'make settings-doc' (or: SPIKELAB_PLUGIN_PATH="
    echo "of the build tree's plugins/*/.libs and"
    echo "'spikelab plugins --markdown > docs/settings.md') and commit it."
    exit 1
fi
echo "docs/settings.md: up to date"
