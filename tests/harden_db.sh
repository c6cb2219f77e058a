#!/bin/sh
# Issue 12, findings 1, 4, 5, 7 and 9: the run database and the files the
# commands write, abused as a careless or hostile user would (a damaged
# schema version, output onto the database, a full disk, a killed or
# failing writer, a database in a directory nobody may write). Each case
# runs through the command under `timeout`, so a hang fails the test.
set -u
: "${top_builddir:?run through make check}"
: "${top_srcdir:?run through make check}"
sl="$top_builddir/core/spikelab"
tmp=$(mktemp -d /tmp/sl-harden-db-XXXXXX)
cleanup() {
    [ -n "${mnt:-}" ] && umount "$mnt" 2>/dev/null
    chmod -R u+w "$tmp" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 CLI missing: SKIP"; exit 77; }
data="$top_srcdir/experiments/common/frozen_noise_data.cfg"

# run EXPECTED_STATUS ARGS...: `spikelab ARGS` with a time limit; stderr
# in $tmp/err, stdout in $tmp/out
run() {
    want=$1
    shift
    timeout 120 "$sl" "$@" >"$tmp/out" 2>"$tmp/err"
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
# a small experiment of EPOCHS epochs
experiment() {
    cat >"$1" <<CFG
name = "harden_db";
@include "$data"
network = { dt = 1e-3; layers = ( { type = "linear"; n_out = 2; } ); };
loss = { type = "mse"; };
optimizer = { type = "adam"; lr = 1e-2; };
train = { epochs = $2; };
CFG
}
experiment "$tmp/e.cfg" 2

# --- finding 1: a schema version no spikelab wrote -----------------------
# a negative user_version indexed the migrations out of bounds (segfault,
# SIGBUS, unrelated SQL run, a WAL grown without end); refused now, file
# named with its version, exit 1 as for any file that is not a run
# database, the file untouched; a newer one is "written by a newer
# spikelab"
run 0 run "$tmp/e.cfg" --db "$tmp/v.db"
for v in -100000 -1000 -7 -2147483648 99 2147483647; do
    for kind in empty spikelab; do
        f="$tmp/v_$kind.db"
        rm -f "$f"
        if [ $kind = spikelab ]; then cp "$tmp/v.db" "$f"; fi
        sqlite3 "$f" "PRAGMA user_version = $v" || fail "sqlite3"
        sum=$(cksum <"$f")
        cmds="runs"
        [ $kind = spikelab ] && cmds="runs|show 1|export 1|compare 1 2|run"
        IFS='|'
        for cmd in $cmds; do
            unset IFS
            [ "$cmd" = run ] && cmd="run $tmp/e.cfg"
            # shellcheck disable=SC2086
            run 1 $cmd --db "$f"
            case $v in
            -*) expect "$f: run database schema version $v: not a version spikelab ever wrote" ;;
            *) expect "$f: run database schema version $v was written by a newer spikelab" ;;
            esac
        done
        unset IFS
        [ "$(cksum <"$f")" = "$sum" ] || fail "user_version $v: the file changed"
        [ "$(sqlite3 "$f" 'PRAGMA user_version')" = "$v" ] || fail "version changed"
    done
done
echo "finding 1: ok"
