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

# --- finding 4: output onto the database ----------------------------------
# `export -o runs.db` truncated the database and `export-device --out
# runs.db` replaced it by JSON; any output that is the database or one of
# its -wal/-shm/-journal files is refused now, compared by inode (a ./
# path, another spelling of the directory, a symbolic link), exit 2,
# nothing written
SPIKELAB_PLUGIN_PATH="$top_builddir/tests/plugins/exporter/.libs:${SPIKELAB_PLUGIN_PATH:-}"
export SPIKELAB_PLUGIN_PATH
db="$tmp/w.db"
run 0 run "$tmp/e.cfg" --db "$db"
sum=$(cksum <"$db")
ln -s w.db "$tmp/link.db"
mkdir "$tmp/sub"
refused() { # OUTPUT WHAT: the refusal, the database intact
    expect "refusing to write $1: it is the $2run database"
    [ "$(cksum <"$db")" = "$sum" ] || fail "$1: the database changed"
    [ "$(sqlite3 "$db" 'PRAGMA integrity_check')" = ok ] || fail "integrity"
}
for out in "$db" "$tmp/./w.db" "$tmp/sub/../w.db" "$tmp/link.db"; do
    run 2 export 1 -o "$out" --db "$db"
    refused "$out" ""
    run 2 export 1 --format json --output="$out" --db "$tmp/link.db"
    refused "$out" ""
    run 2 export-device 1 --type json_weights --out "$out" --db "$db"
    refused "$out" ""
done
# the files beside it, whether they exist now or not
for sfx in -wal -shm -journal; do
    run 2 export 1 -o "$tmp/sub/../w.db$sfx" --db "$db"
    refused "$tmp/sub/../w.db$sfx" "$sfx file of the "
    run 2 export-device 1 --type json_weights --out "$tmp/w.db$sfx" --db "$db"
    refused "$tmp/w.db$sfx" "$sfx file of the "
    [ -e "$tmp/w.db$sfx" ] && fail "w.db$sfx was created"
done
# a link to a -wal that is not there yet would create it
ln -s w.db-wal "$tmp/wal.link"
run 2 export 1 -o "$tmp/wal.link" --db "$db"
refused "$tmp/wal.link" "-wal file of the "
[ -e "$tmp/w.db-wal" ] && fail "w.db-wal was created through a link"
# relative to the working directory, the database given by name
(cd "$tmp" && timeout 60 "$sl" export 1 -o ./w.db --db w.db) 2>"$tmp/err" \
    && fail "export -o ./w.db --db w.db succeeded"
refused ./w.db ""
# export --artifacts: a database that happens to sit where an artifact
# goes is not overwritten either
mkdir -p "$tmp/art/1/params/linear#0"
cp "$db" "$tmp/art/1/params/linear#0/weight.npy"
adb="$tmp/art/1/params/linear#0/weight.npy"
run 2 export 1 --artifacts "$tmp/art" --db "$adb"
expect "refusing to write $adb: it is the run database"
# other outputs still work
run 0 export 1 -o "$tmp/sub/out.csv" --db "$db"
run 0 export-device 1 --type json_weights --out "$tmp/sub/dev.json" --db "$db"
echo "finding 4: ok"

# --- finding 7: a writer killed or failing mid-write -----------------------
# the file is written beside its name and renamed when complete: with a
# file size limit (the write fails with EFBIG, or SIGXFSZ kills the
# process mid-write) the previous file stays as it was
big="$tmp/big.db"
run 0 run "$tmp/e.cfg" train.epochs=3000 --db "$big"
# wide enough that the exporter's JSON is far above the limit
run 0 run "$tmp/e.cfg" 'network.layers=({type="linear";n_out=500;},{type="linear";n_out=2;})' --db "$big"
for f in prev.json prev.csv dev.json; do echo "the previous $f" >"$tmp/sub/$f"; done
chmod 640 "$tmp/sub/prev.csv"
limited() { # KILL|FAIL ARGS...: spikelab under a 100 KiB file size limit
    mode=$1
    shift
    (
        ulimit -f 100 || exit 77
        [ "$mode" = FAIL ] && trap '' XFSZ
        exec timeout 60 "$sl" "$@"
    ) >"$tmp/out" 2>"$tmp/err"
}
for mode in FAIL KILL; do
    limited $mode export 1 --format json -o "$tmp/sub/prev.json" --db "$big"
    st=$?
    limited $mode export 1 -o "$tmp/sub/prev.csv" --db "$big"
    st="$st $?"
    limited $mode export-device 2 --type json_weights --out "$tmp/sub/dev.json" --db "$big"
    st="$st $?"
    [ "$st" = "77 77 77" ] && { echo "no file size limit: finding 7 not tested"; break; }
    for f in prev.json prev.csv dev.json; do
        [ "$(cat "$tmp/sub/$f")" = "the previous $f" ] || fail "$mode: $f was replaced"
    done
    case $mode in
    FAIL)
        [ "$st" = "1 1 1" ] || fail "exit statuses $st under a file size limit"
        expect "$tmp/sub/dev.json is left as it was"
        # a failure cleans up after itself
        ls -A "$tmp/sub" | grep -q '^\.spikelab-' && fail "temporary file left"
        ;;
    KILL)
        case $st in *0*) fail "killed writers exited $st" ;; esac ;;
    esac
done
[ "$(stat -c %a "$tmp/sub/prev.csv")" = 640 ] || fail "mode of prev.csv"
# the same commands without the limit replace the files whole, keeping
# the mode of the file they replace
rm -f "$tmp"/sub/.spikelab-*
run 0 export 1 --format json -o "$tmp/sub/prev.json" --db "$big"
run 0 export 1 -o "$tmp/sub/prev.csv" --db "$big"
run 0 export-device 2 --type json_weights --out "$tmp/sub/dev.json" --db "$big"
"$sl" export 1 --format json --db "$big" | cmp -s - "$tmp/sub/prev.json" || fail "prev.json"
[ "$(stat -c %a "$tmp/sub/prev.csv")" = 640 ] || fail "mode of prev.csv kept"
python3 -c "import json,sys; json.load(open(sys.argv[1]))" "$tmp/sub/dev.json" 2>/dev/null \
    || [ ! -x "$(command -v python3)" ] || fail "dev.json is not whole JSON"
ls -A "$tmp/sub" | grep -q '^\.spikelab-' && fail "temporary file left"
# a symbolic link is written through, to its target, and stays a link
ln -s prev.csv "$tmp/sub/prev.link"
ln -s new.csv "$tmp/sub/new.link"
run 0 export 2 -o "$tmp/sub/prev.link" --db "$big"
run 0 export 2 -o "$tmp/sub/new.link" --db "$big"
[ -L "$tmp/sub/prev.link" ] && [ -L "$tmp/sub/new.link" ] || fail "a link was replaced"
cmp -s "$tmp/sub/prev.csv" "$tmp/sub/new.csv" || fail "links not written through"
[ "$(stat -c %a "$tmp/sub/prev.csv")" = 640 ] || fail "mode of prev.csv kept through a link"
# --artifacts: each file the same way
run 0 export 1 --artifacts "$tmp/arts" --db "$big"
[ -s "$tmp/arts/1/params/linear#0/weight.npy" ] || fail "artifact not written"
echo "finding 7: ok"

# --- finding 5: a full disk -------------------------------------------------
# was reported as "stopped at epoch N" (SQLite's "database or disk is
# full" replaced by the engine's words) and could leave the run
# 'running'; now the cause comes first, the run is marked failed with it
# and what was committed before stays. The disk fills two ways: a real
# small tmpfs when this test may mount one (root with unshare -m), and
# always SPIKELAB_TEST_DB_MAX_PAGES, a test-only hook of core/db/db.c that
# caps the recorder's connection with PRAGMA max_page_count, so SQLite
# fails with SQLITE_FULL exactly as on a full disk.
full_checks() { # DB STATUS: run 2 of DB stopped by the full disk
    [ "$2" = 1 ] || { cat "$tmp/err"; fail "exit $2 on a full disk"; }
    expect "database or disk is full (stopped at epoch"
    # On a really full file system even marking the run failed can fail
    # (the WAL has no room for that commit either, depending on where the
    # disk filled): then the command says the run stays 'running' until
    # the next spikelab on this host opens the file, and that one marks it
    # interrupted (its process is gone).
    if [ "$(sqlite3 "$1" "select status from runs where id = 2")" = running ]; then
        expect "stays 'running' in the file until the next spikelab"
        "$sl" runs --db "$1" >/dev/null 2>&1
        [ "$(sqlite3 "$1" "select status from runs where id = 2")" = interrupted ] \
            || fail "the run left running was not marked interrupted"
    else
        [ "$(sqlite3 "$1" "select status from runs where id = 2")" = failed ] \
            || fail "the run is not marked failed"
        sqlite3 "$1" "select error from runs where id = 2" | grep -q "database or disk is full" \
            || fail "the run's error lacks the cause"
    fi
    [ "$(sqlite3 "$1" "select count(*) from metrics where run_id = 1")" = 2 ] \
        || fail "the earlier run lost metrics"
    [ "$(sqlite3 "$1" 'PRAGMA integrity_check')" = ok ] || fail "integrity"
}
fdb="$tmp/full.db"
run 0 run "$tmp/e.cfg" --db "$fdb"
SPIKELAB_TEST_DB_MAX_PAGES=100 timeout 120 "$sl" run "$tmp/e.cfg" \
    train.epochs=1000000 --db "$fdb" >"$tmp/out" 2>"$tmp/err"
full_checks "$fdb" $?
# what was committed before the disk filled stays
[ "$(sqlite3 "$fdb" "select count(*) from metrics where run_id = 2")" -gt 1 ] \
    || fail "the committed metrics of the full run are gone"
if [ "$(id -u)" = 0 ] && command -v unshare >/dev/null &&
    unshare -m sh -c "mount -t tmpfs -o size=1m tmpfs '$tmp/sub'" 2>/dev/null; then
    # shellcheck disable=SC2016
    unshare -m sh -c '
        mount -t tmpfs -o size=1m tmpfs "$1/sub" || exit 99
        "$2" run "$1/e.cfg" --db "$1/sub/t.db" >/dev/null 2>&1 || exit 98
        timeout 120 "$2" run "$1/e.cfg" train.epochs=1000000 --db "$1/sub/t.db" \
            >"$1/out" 2>"$1/err"
        echo $? >"$1/status"
        cd "$1/sub" && for f in t.db*; do cp "$f" "$1/tmpfs${f#t}"; done' \
        sh "$tmp" "$sl"
    [ -s "$tmp/status" ] || fail "the tmpfs test did not run"
    full_checks "$tmp/tmpfs.db" "$(cat "$tmp/status")"
    echo "finding 5: ok (SQLITE_FULL injected, and a full tmpfs)"
else
    echo "finding 5: ok (SQLITE_FULL injected; no tmpfs: not root or cannot mount)"
fi

# --- finding 9: a read-only database in a directory nobody may write ------
# SQLite's WAL needs its -shm file beside the database, so reading failed
# ("attempt to write a readonly database"); readers now fall back to
# reading the file as immutable and say so. As root, permissions do not
# bind, so the commands run as nobody (setpriv); as another user, the
# directory's mode is enough.
rodb="$tmp/ro/r.db"
mkdir "$tmp/ro"
run 0 run "$tmp/e.cfg" --db "$rodb"
run 0 run "$tmp/e.cfg" seed=1 --db "$rodb"
"$sl" runs --db "$rodb" >"$tmp/runs.want" 2>/dev/null
chmod 444 "$rodb"
chmod 555 "$tmp/ro"
as_user=""
if [ "$(id -u)" = 0 ]; then
    if command -v setpriv >/dev/null && setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
        as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
        chmod 755 "$tmp"
        chmod 644 "$tmp/e.cfg"
    else
        echo "finding 9: not tested (root without setpriv)"
        exit 0
    fi
fi
ro() { # EXPECTED_STATUS ARGS...: spikelab ARGS as a user who may not write
    want=$1
    shift
    # shellcheck disable=SC2086
    timeout 60 $as_user "$sl" "$@" >"$tmp/out" 2>"$tmp/err"
    got=$?
    [ "$got" = "$want" ] || { cat "$tmp/out" "$tmp/err"; fail "(read-only) spikelab $* exited $got, expected $want"; }
}
for cmd in "runs" "show 1" "show 2 --json" "export 1 2" "compare 1 2"; do
    # shellcheck disable=SC2086
    ro 0 $cmd --db "$rodb"
    expect "note: read-only: $rodb is in a directory this user may not write"
done
ro 0 runs --db "$rodb"
cmp -s "$tmp/out" "$tmp/runs.want" || { diff "$tmp/out" "$tmp/runs.want"; fail "runs read read-only differs"; }
# writers are refused with SQLite's reason, and nothing appears beside it
ro 1 tag 1 x --db "$rodb"
expect "attempt to write a readonly database"
[ "$(ls -A "$tmp/ro")" = r.db ] || fail "files appeared beside the read-only database"
echo "finding 9: ok${as_user:+ (as nobody, via setpriv)}"
