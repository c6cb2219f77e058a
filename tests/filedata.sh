#!/bin/sh
# The file datasets through the spikelab command: an npy data set with a
# seeded validation split, a limit and per-epoch shuffling; the same run
# streamed (store = "stream") gives the same bits; the files' identity
# (absolute path, size, SHA-256) in the run's record; experiments/
# shd_rsnn.cfg end to end on an SHD-layout file written here; and bad
# data files: exit 2 naming the file, before training, nothing recorded.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
mk="$top_builddir/tests/mkdata"
tmp=$(mktemp -d /tmp/sl-filedata-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
db="$tmp/runs.db"
fail() { echo "FAIL: $*"; exit 1; }
q() { sqlite3 "$db" "$1"; }
command -v sqlite3 >/dev/null || { echo "skip: no sqlite3"; exit 77; }

"$mk" npy "$tmp" 40 10 8 ok || fail "mkdata npy"
cat >"$tmp/npy.cfg" <<EOF
name = "npy_test";
seed = 3;
data = {
  train = { type = "npy"; inputs = "$tmp/x.npy"; targets = "$tmp/y.npy";
            n_classes = 4; validation = { fraction = 0.25; seed = 7; }; };
  test = { type = "npy"; inputs = "$tmp/x.npy"; targets = "$tmp/y.npy";
           n_classes = 4; limit = 12; };
};
network = { dt = 1e-3; layers = ( { type = "linear"; n_out = 4; },
                                  { type = "li"; } ); };
loss = { type = "cross_entropy"; };
optimizer = { type = "adam"; lr = 1e-2; };
train = { epochs = 3; batch_size = 8; shuffle = true; };
evaluate = ( { data = "train_val"; metric = "accuracy"; },
             { data = "test"; metric = "accuracy"; } );
EOF
"$sl" run "$tmp/npy.cfg" --db "$db" >"$tmp/out1" 2>&1 \
    || { cat "$tmp/out1"; fail "npy run: exit $?"; }
grep -q "train_val accuracy = .*/10)" "$tmp/out1" \
    || { cat "$tmp/out1"; fail "validation split is not 10 of 40"; }
grep -q "test accuracy = .*/12)" "$tmp/out1" || fail "limit 12 not applied"
env() { q "select value from run_env where run_id = $1 and key = '$2'"; }
[ "$(env 1 data.train.samples)" = "30 of 40" ] || fail "train samples: $(env 1 data.train.samples)"
[ "$(env 1 data.train_val.samples)" = "10 of 40" ] || fail "val samples"
[ "$(env 1 data.train_val.split_of)" = "train" ] || fail "split_of"
[ "$(env 1 data.test.samples)" = "12 of 40" ] || fail "test samples"
sum=$(sha256sum "$tmp/x.npy" | cut -d' ' -f1)
[ "$(env 1 data.train.inputs.sha256)" = "$sum" ] || fail "inputs sha256"
[ "$(env 1 data.train.inputs.size)" = "$(wc -c <"$tmp/x.npy" | tr -d ' ')" ] \
    || fail "inputs size"
[ "$(env 1 data.train.inputs.path)" = "$(cd "$tmp" && pwd -P)/x.npy" ] \
    || fail "inputs path: $(env 1 data.train.inputs.path)"

# the same run streamed, and with the shuffle: bit-identical results; a
# different validation seed holds out other samples
"$sl" run "$tmp/npy.cfg" data.train.store=stream data.test.store=stream \
    --db "$db" >"$tmp/out2" 2>&1 || { cat "$tmp/out2"; fail "streamed run"; }
res() { q "select name, quote(value) from results where run_id = $1 order by name; select step, name, quote(value) from metrics where run_id = $1 order by step, name"; }
[ "$(res 1)" = "$(res 2)" ] || { res 1; res 2; fail "streamed run differs"; }
"$sl" run "$tmp/npy.cfg" data.train.validation.seed=8 train.epochs=0 \
    --db "$db" >/dev/null 2>&1 || fail "run with another split seed"

# SHD layout end to end: experiments/shd_rsnn.cfg on a file written here
"$mk" shd "$tmp/shd.h5" 40 || fail "mkdata shd"
(cd "$tmp" && "$sl" run "$top_srcdir/experiments/shd_rsnn.cfg" \
    data.train.file="$tmp/shd.h5" data.test.file="$tmp/shd.h5" \
    data.train.missing=error data.test.missing=error train.epochs=2 \
    --db "$db") >"$tmp/out3" 2>&1 || { cat "$tmp/out3"; fail "shd_rsnn run"; }
grep -q "GENERATED" "$tmp/out3" && fail "shd_rsnn generated data despite a file"
id=$(q "select max(id) from runs")
[ "$(q "select status from runs where id = $id")" = finished ] || fail "shd run status"
# every sample has two events past 1 s
[ "$(env "$id" data.train.events_dropped)" = 80 ] || fail "events_dropped: $(env "$id" data.train.events_dropped)"
q "select value from results where run_id = $id and name = 'test_accuracy'" | grep -q . \
    || fail "shd run has no test accuracy"
# and without the files it says it generated stand-ins
(cd "$tmp" && "$sl" run "$top_srcdir/experiments/shd_rsnn.cfg" train.epochs=1 \
    data.train.generate_samples=40 data.test.generate_samples=20 \
    --db "$db") >"$tmp/out4" 2>&1 || { cat "$tmp/out4"; fail "shd_rsnn generated"; }
grep -q "shd_train.h5 is absent: using a GENERATED" "$tmp/out4" \
    || fail "no word of the generated stand-in"

# bad files: exit 2 naming the file and what is wrong, nothing recorded
n0=$(q "select count(*) from runs")
bad() { # expected-text file-to-name overrides...
    want=$1 file=$2
    shift 2
    "$sl" run "$tmp/npy.cfg" "$@" --db "$db" >"$tmp/bo" 2>"$tmp/be"
    rc=$?
    [ "$rc" = 2 ] || { cat "$tmp/bo" "$tmp/be"; fail "$want: exit $rc, not 2"; }
    grep -q "$file" "$tmp/be" || { cat "$tmp/be"; fail "$want: file not named"; }
    grep -q "$want" "$tmp/be" || { cat "$tmp/be"; fail "'$want' not said"; }
}
mkdir "$tmp/nan" "$tmp/lab" "$tmp/idx"
"$mk" npy "$tmp/nan" 8 10 8 nan && "$mk" npy "$tmp/lab" 8 10 8 label || fail mkdata
bad "sample 7 has NaN" nan/x.npy data.train.inputs="$tmp/nan/x.npy" \
    data.train.targets="$tmp/nan/y.npy"
bad "label 9 of sample 7 is out of range" lab/y.npy \
    data.train.inputs="$tmp/lab/x.npy" data.train.targets="$tmp/lab/y.npy"
bad "cannot open" nothere.npy data.test.inputs="$tmp/nothere.npy"
printf 'junk' >"$tmp/junk.npy"
bad "not a .npy file" junk.npy data.test.targets="$tmp/junk.npy"
# a shape that does not fit the network: 5 classes, 4 outputs
bad "targets have 5 channels" npy.cfg data.train.n_classes=5 data.test.n_classes=5
"$mk" idx "$tmp/idx" 20 magic || fail "mkdata idx"
cat >"$tmp/idx.cfg" <<EOF
data = { train = { type = "idx"; images = "$tmp/idx/img.gz";
                   labels = "$tmp/idx/lab.gz"; n_steps = 5; }; };
network = { layers = ( { type = "linear"; n_out = 10; }, { type = "li"; } ); };
loss = { type = "cross_entropy"; };
optimizer = { type = "adam"; };
EOF
"$sl" run "$tmp/idx.cfg" --db "$db" >/dev/null 2>"$tmp/be"
[ $? = 2 ] && grep -q "img.gz: not an IDX file" "$tmp/be" || { cat "$tmp/be"; fail "idx wrong magic"; }
"$mk" idx "$tmp/idx" 20 trunc || fail "mkdata idx"
"$sl" run "$tmp/idx.cfg" --db "$db" >/dev/null 2>"$tmp/be"
[ $? = 2 ] && grep -q "img.gz: truncated" "$tmp/be" || { cat "$tmp/be"; fail "idx truncated"; }
"$mk" shd "$tmp/unit.h5" 4 unit || fail "mkdata shd unit"
"$sl" run "$top_srcdir/experiments/shd_rsnn.cfg" data.train.file="$tmp/unit.h5" \
    --db "$db" >/dev/null 2>"$tmp/be"
[ $? = 2 ] && grep -q "unit.h5: sample 3, event 5: unit 700 is out of range" "$tmp/be" \
    || { cat "$tmp/be"; fail "shd unit out of range"; }
"$mk" shd "$tmp/nolab.h5" 4 nolabels || fail "mkdata shd nolabels"
"$sl" run "$top_srcdir/experiments/shd_rsnn.cfg" data.train.file="$tmp/nolab.h5" \
    --db "$db" >/dev/null 2>"$tmp/be"
[ $? = 2 ] && grep -q "nolab.h5: not in the SHD layout" "$tmp/be" \
    || { cat "$tmp/be"; fail "shd without labels"; }
# files on which libhdf5 itself loops forever or corrupts memory (kept in
# tests/fuzz/crashes/fuzz_events): read first in a guarded child, refused
# with a message, in seconds
for f in libhdf5-global-heap-hang libhdf5-global-heap-memcpy-overlap \
         libhdf5-global-heap-negative-size; do
    "$sl" run "$top_srcdir/experiments/shd_rsnn.cfg" \
        data.train.file="$top_srcdir/tests/fuzz/crashes/fuzz_events/$f" \
        --db "$db" >/dev/null 2>"$tmp/be"
    [ $? = 2 ] && grep -q "$f: libhdf5 .* reading it .*: a damaged HDF5 file" "$tmp/be" \
        || { cat "$tmp/be"; fail "libhdf5 guard: $f"; }
done
[ "$(q "select count(*) from runs")" = "$n0" ] || fail "a refused run was recorded"
echo "filedata: ok"
