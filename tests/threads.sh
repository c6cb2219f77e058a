#!/bin/sh
# Issue 15: training and evaluation run on threads, and the results are
# the same bits for any thread count (core/engine/parallel.c: a batch of
# more than 16 samples runs in shards of 16, each on its own replica of the
# layers; gradients are summed in shard order). The same experiments with
# --threads 1, 2 and 3 must give identical metrics, results and trained
# parameters: the Yin-Yang MLP of the peers' benchmark (batches of 32 = 2
# shards, an evaluation of 100 samples = 7 shards) and the SHD-sized
# recurrent network (batches of 64 = 4 shards through the batched
# recurrent backward), both cut down to a few batches.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-threads-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*"; exit 1; }
db="$tmp/runs.db"

check() { # name, experiment, overrides...
    name=$1
    cfg=$2
    shift 2
    id0=
    for t in 1 2 3; do
        "$sl" run "$top_srcdir/experiments/$cfg" "$@" --threads $t \
            --db "$db" --quiet >"$tmp/out" 2>&1 || { cat "$tmp/out"; fail "$name, $t threads"; }
        id=$(sed -n 's/^run \([0-9]*\) finished.*/\1/p' "$tmp/out")
        [ -n "$id" ] || { cat "$tmp/out"; fail "$name: no run id"; }
        # metrics and results without their wall times, and the settings
        # but the thread count
        "$sl" export "$id" --db "$db" | cut -d, -f2-5 | grep -v '^param,threads,' \
            >"$tmp/$name.$t.csv" || fail "export $id"
        "$sl" export "$id" --artifacts "$tmp/art" --db "$db" >/dev/null || fail "artifacts $id"
        grep -q '^metric,loss,' "$tmp/$name.$t.csv" || fail "$name: no loss recorded"
        if [ -z "$id0" ]; then
            id0=$id
            continue
        fi
        cmp "$tmp/$name.1.csv" "$tmp/$name.$t.csv" >/dev/null ||
            { diff "$tmp/$name.1.csv" "$tmp/$name.$t.csv" | head; fail "$name: $t threads give other metrics than 1"; }
        n=0
        for f in $(cd "$tmp/art/$id0" && find . -name '*.npy'); do
            cmp "$tmp/art/$id0/$f" "$tmp/art/$id/$f" || fail "$name: $f differs with $t threads"
            n=$((n + 1))
        done
        [ "$n" -ge 2 ] || fail "$name: only $n parameter files"
    done
    echo "ok: $name, 1, 2 and 3 threads: identical"
}

check yinyang peers_yinyang.cfg data.train.size=320 data.test.size=100 train.epochs=2
check shd peers_shd.cfg data.train.n_samples=128 train.epochs=2
exit 0
