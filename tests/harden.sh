#!/bin/sh
# Issue 12: inputs that once crashed, hung or silently lost data, each run
# through the command as a user would, each now refused with a message
# naming the file (and line) and the right exit status, with nothing
# recorded. Every command runs under `timeout`, so a hang fails the test
# instead of stalling make check.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-harden-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
hp="$top_builddir/tests/plugins/harden/.libs"
data="$top_srcdir/experiments/common/frozen_noise_data.cfg"

# run EXPECTED_STATUS ARGS...: `spikelab ARGS` with a time limit; its
# stderr in $tmp/err, stdout in $tmp/out
run() {
    want=$1
    shift
    timeout 60 "$sl" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" = "$want" ] || {
        cat "$tmp/out" "$tmp/err"
        fail "spikelab $* exited $got, expected $want"
    }
}
# expect TEXT: stderr contains TEXT
expect() {
    grep -qF -- "$1" "$tmp/err" || { cat "$tmp/err"; fail "stderr lacks '$1'"; }
}
# a small experiment: the frozen-noise data, LAYERS, adam
experiment() {
    cat >"$1" <<CFG
name = "harden";
@include "$data"
network = { dt = 1e-3; layers = ( $2 ); };
loss = { type = "mse"; };
optimizer = { type = "adam"; lr = 1e-2; };
train = { epochs = 2; };
CFG
}

# --- finding 2: a layer without xBackward --------------------------------
# trained through by a gradient optimizer: refused at load, naming the
# layer, its component and its plugin file, at the layer's line
experiment "$tmp/nb.cfg" '{ type = "linear"; n_out = 2; },
    { name = "pt"; type = "passthrough"; }'
SPIKELAB_PLUGIN_PATH="$hp:${SPIKELAB_PLUGIN_PATH:-}" \
    run 2 run "$tmp/nb.cfg" --db "$tmp/nb.db"
expect "nb.cfg:4: network.layers.[1]: layer 'pt' (component 'passthrough' of $hp/nobackward.so) has no backward pass"
[ -e "$tmp/nb.db" ] && fail "a refused experiment created its database"
# without training it runs (the layer's forward pass is fine)
SPIKELAB_PLUGIN_PATH="$hp:${SPIKELAB_PLUGIN_PATH:-}" \
    run 0 run "$tmp/nb.cfg" train.epochs=0 --db "$tmp/nb.db"

# --- finding 8: a plugin whose entry symbol is a data object ------------
# `spikelab plugins` crashed calling it; now it is refused and listed
SPIKELAB_PLUGIN_PATH="$hp" run 0 plugins
expect "data_entry.so: entry symbol 'spikelab_plugin_init' is a data object"
grep -q "passthrough" "$tmp/out" || fail "the good plugin beside it is not listed"

# --- finding 3 (and 10): layer names ------------------------------------
# two layers of one name overwrote each other's stored weights: refused,
# naming both lines
experiment "$tmp/dup.cfg" '{ name = "a"; type = "linear"; n_out = 4; },
    { name = "a"; type = "linear"; n_out = 2; }'
run 2 run "$tmp/dup.cfg" --db "$tmp/dup.db"
expect "dup.cfg:4: network.layers.[1].name: layer 1 is named 'a', as layer 0 is ($tmp/dup.cfg:3)"
[ -e "$tmp/dup.db" ] && fail "a refused experiment created its database"
# a name that is another layer's default name (type#index)
experiment "$tmp/dup2.cfg" '{ type = "linear"; n_out = 4; },
    { name = "linear#0"; type = "linear"; n_out = 2; }'
run 2 run "$tmp/dup2.cfg" --db "$tmp/dup.db"
expect "layer 1 is named 'linear#0', as layer 0 is ($tmp/dup2.cfg:3, its default name)"
# an empty name (its parameters were then skipped by export --artifacts)
experiment "$tmp/empty.cfg" '{ name = ""; type = "linear"; n_out = 2; }'
run 2 run "$tmp/empty.cfg" --db "$tmp/dup.db"
expect "empty.cfg:3: network.layers.[0].name: a layer name must not be empty"
# names that agree in their first 150 characters are two layers, and
# both layers' weights are stored
long=$(printf 'n%.0s' $(seq 150))
experiment "$tmp/long.cfg" "{ name = \"${long}x\"; type = \"linear\"; n_out = 4; },
    { name = \"${long}y\"; type = \"linear\"; n_out = 2; }"
run 0 run "$tmp/long.cfg" train.epochs=1 --db "$tmp/long.db"
run 0 export 1 --artifacts "$tmp/art" --db "$tmp/long.db"
[ -f "$tmp/art/1/params/${long}x/weight.npy" ] &&
    [ -f "$tmp/art/1/params/${long}y/weight.npy" ] ||
    { find "$tmp/art" | cut -c1-80; fail "the two long-named layers' weights"; }

# --- finding 6: files that are not regular files --------------------------
# a FIFO named x.so in a plugin directory blocked `plugins` and `run` in
# dlopen: refused, and the rest loads
mkdir "$tmp/pl"
mkfifo "$tmp/pl/x.so"
SPIKELAB_PLUGIN_PATH="$tmp/pl:${SPIKELAB_PLUGIN_PATH:-}" run 0 plugins
expect "$tmp/pl/x.so: cannot load: not a regular file (a FIFO)"
experiment "$tmp/ok.cfg" '{ type = "linear"; n_out = 2; }'
SPIKELAB_PLUGIN_PATH="$tmp/pl:${SPIKELAB_PLUGIN_PATH:-}" \
    run 0 run "$tmp/ok.cfg" --db "$tmp/ok.db"
# export.paramgen_table naming a FIFO blocked; a directory or a file that
# is no table exited 1: configuration errors now (2), naming setting and file
run 2 run "$tmp/ok.cfg" 'export={type="dynapse2";}' \
    "export.paramgen_table=$tmp/pl/x.so" --db "$tmp/no.db"
expect "command line 'export.paramgen_table=$tmp/pl/x.so': export.paramgen_table: '$tmp/pl/x.so' is not a regular file"
run 2 run "$tmp/ok.cfg" 'export={type="dynapse2";}' \
    "export.paramgen_table=$tmp/ok.cfg" --db "$tmp/no.db"
expect "export.paramgen_table: $tmp/ok.cfg:1: expected \"N 0 0 CURRENT\""
[ -e "$tmp/no.db" ] && fail "a refused experiment created its database"
# /dev/zero as the experiment grew until the OOM killer; a directory; a
# file beyond the documented 16 MiB
run 2 run /dev/zero --db "$tmp/no.db"
expect "/dev/zero: not a regular file (a character device)"
run 2 run "$tmp" --db "$tmp/no.db"
expect "$tmp: not a regular file (a directory)"
truncate -s 17M "$tmp/big.cfg"
run 2 run "$tmp/big.cfg" --db "$tmp/no.db"
expect "$tmp/big.cfg: larger than 16 MiB"
[ -e "$tmp/no.db" ] && fail "a refused experiment created its database"
# an experiment read from a pipe (what `spikelab run <(cat exp.cfg)` gives)
# was read twice and failed: read once, and the text read is recorded
mkfifo "$tmp/pipe"
cat "$tmp/ok.cfg" >"$tmp/pipe" &
run 0 run "$tmp/pipe" --db "$tmp/pipe.db"
wait
run 0 show 1 --json --db "$tmp/pipe.db"
grep -qF '@include \"'"$data"'\"' "$tmp/out" ||
    { cat "$tmp/out"; fail "the piped experiment's text is not recorded"; }
# @include of a directory made libconfig exit the process ("input in flex
# scanner failed", no file or line); of a FIFO it blocked
printf 'name = "x";\n@include "%s"\n' "$tmp" >"$tmp/incdir.cfg"
run 2 run "$tmp/incdir.cfg" --db "$tmp/no.db"
expect "incdir.cfg:2: @include \"$tmp\": $tmp: not a regular file (a directory)"
printf 'name = "x";\n\n@include "pl/x.so"\n' >"$tmp/incfifo.cfg"
run 2 run "$tmp/incfifo.cfg" --db "$tmp/no.db"
expect "incfifo.cfg:3: @include \"pl/x.so\": $tmp/pl/x.so: not a regular file (a FIFO)"

# --- finding 10: literals, overrides, sizes -------------------------------
# 64-bit literals beyond range were saturated (INT64_MAX) or wrapped (-1)
for lit in 99999999999999999999L 0x1FFFFFFFFFFFFFFFFL -9223372036854775809L; do
    { echo "seed = 1;"; cat "$tmp/ok.cfg"; echo "seed = $lit;"; } |
        sed '1d' >"$tmp/lit.cfg"
    run 2 run "$tmp/lit.cfg" --db "$tmp/no.db"
    expect "lit.cfg:7: integer $lit does not fit in 64 bits"
done
run 2 run "$tmp/ok.cfg" seed=99999999999999999999 --db "$tmp/no.db"
expect "command line 'seed=99999999999999999999': integer 99999999999999999999L does not fit in 64 bits"
run 2 run "$tmp/ok.cfg" seed=0x1FFFFFFFFFFFFFFFFL --db "$tmp/no.db"
expect "command line 'seed=0x1FFFFFFFFFFFFFFFFL': integer 0x1FFFFFFFFFFFFFFFFL does not fit in 64 bits"
# the widest ones still fit
run 0 run "$tmp/ok.cfg" seed=9223372036854775807 train.epochs=0 --db "$tmp/lit.db"
# everything after ';' was dropped silently
run 2 run "$tmp/ok.cfg" 'train.epochs=5; foo = 1' --db "$tmp/no.db"
expect "command line 'train.epochs=5; foo = 1': more than one value after '='"
run 2 run "$tmp/ok.cfg" 'train.epochs=5 /* 7 */' --db "$tmp/no.db"
expect "command line 'train.epochs=5 /* 7 */': more than one value"
# sizes: a billion samples drew for hours, dt = 1e-9 allocated for 100 s
# before anything was said; now refused at once with the figure
run 2 run "$tmp/ok.cfg" data.train.n_samples=1000000000 --db "$tmp/no.db"
expect "data.train: needs 1.23e+05 GB for 1000000000 samples x 500 steps"
run 2 run "$tmp/ok.cfg" data.train.dt=1e-9 data.train.n_channels=6000 \
    --db "$tmp/no.db"
expect "data.train: needs 2.4e+04 GB for 2 samples x 500000000 steps (0.5 s / dt 1e-09 s) x 6000 channels"
[ -e "$tmp/no.db" ] && fail "a refused experiment created its database"

echo "harden: ok"
