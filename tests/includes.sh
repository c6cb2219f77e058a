#!/bin/sh
# tests/includes.sh — who may include whom, checked on every #include "..."
# of core/ and plugins/ (resolved against the including file's folder,
# then core/ and include/, the folders on the compiler's path):
#   - core/ never includes anything in plugins/ (the core knows plugins
#     only through the ABI in include/spikelab/);
#   - a plugin folder never includes a file of another plugin folder
#     (shared code lives in one place: include/spikelab/);
#   - core/engine, core/config and core/util never include core/db or
#     core/cmd (the engine does not know the run database or the command);
#   - core/db never includes core/engine or core/cmd;
#   - core/nir (the NIR file format) includes only core/util: what the
#     nodes mean for layers is the engine's (engine/nirmap.c);
#   - outside its folder, the engine is reached only through
#     core/engine/engine.h and the database only through core/db/db.h
#     (each part's one contract header);
#   - core/db is the only part that speaks SQL: no other file includes
#     <sqlite3.h>, and core/cmd never includes core/db (the command is a
#     client of <spikelab/rundb.h> and session.h, like any embedder).
# Usage: includes.sh [SRCDIR] (default: $top_srcdir). Exit 1 with every
# offending line listed.
set -u
src=${1:-${top_srcdir:-$(cd "$(dirname "$0")/.." && pwd)}}
src=$(cd "$src" && pwd -P) || exit 99
[ -d "$src/core" ] && [ -d "$src/plugins" ] || { echo "no core/ and plugins/ in $src"; exit 99; }
command -v realpath >/dev/null 2>&1 || { echo "realpath missing"; exit 77; }

bad=0
n=0
# the file an include names: first existing candidate, else the name as
# written relative to the including folder (a missing file still counts)
resolve() { # $1 folder of the including file, $2 included name
    for base in "$1" "$src/core" "$src/include"; do
        if [ -e "$base/$2" ]; then realpath -m "$base/$2"; return; fi
    done
    realpath -m "$1/$2"
}
violation() {
    echo "$1: includes \"$2\" ($3)"
    bad=1
}

files=$(find "$src/core" "$src/plugins" -name '*.[ch]' | sort)
for f in $files; do
    rel=${f#"$src"/}
    dir=$(dirname "$f")
    case "$rel" in
    core/db/*) ;;
    core/*)
        if grep -q '^[[:space:]]*#[[:space:]]*include[[:space:]]*<sqlite3\.h>' "$f"; then
            violation "$rel" "<sqlite3.h>" "only core/db speaks SQL"
        fi ;;
    esac
    # "#  include" with any spacing; the quoted name only
    names=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
    for name in $names; do
        n=$((n + 1))
        target=$(resolve "$dir" "$name")
        to=${target#"$src"/}
        case "$rel" in
        core/*)
            case "$to/$name" in plugins/*|*/plugins/*)
                violation "$rel" "$name" "core/ must not include plugins/" ;; esac
            ;;
        plugins/*)
            own=$(echo "$rel" | cut -d/ -f1-2)
            case "$to" in
            "$own"/*) ;;
            plugins/*) violation "$rel" "$name" "another plugin's file" ;;
            core/*) violation "$rel" "$name" "plugins see only include/spikelab" ;;
            esac
            ;;
        esac
        case "$rel" in
        core/engine/*|core/config/*|core/util/*)
            case "$to" in core/db/*|core/cmd/*)
                violation "$rel" "$name" "engine, config and util never include db/ or cmd/" ;; esac
            ;;
        core/db/*)
            case "$to" in core/engine/*|core/cmd/*)
                violation "$rel" "$name" "db never includes engine/ or cmd/" ;; esac
            ;;
        core/nir/*)
            case "$to" in core/engine/*|core/config/*|core/db/*|core/cmd/*|core/api/*)
                violation "$rel" "$name" "nir/ is the file format only: it includes util/" ;; esac
            ;;
        core/cmd/*)
            case "$to" in core/db/*)
                violation "$rel" "$name" "the command uses <spikelab/rundb.h>, not db/" ;;
            esac
            ;;
        esac
        # each part has one contract header for the others
        case "$rel" in core/engine/*) ;; *)
            case "$to" in core/engine/engine.h) ;; core/engine/*)
                violation "$rel" "$name" "outside engine/, include only engine/engine.h" ;;
            esac ;;
        esac
        case "$rel" in core/db/*) ;; *)
            case "$to" in core/db/db.h) ;; core/db/*)
                violation "$rel" "$name" "outside db/, include only db/db.h" ;;
            esac ;;
        esac
    done
done
[ "$n" -gt 50 ] || { echo "only $n includes found under $src: wrong tree?"; exit 99; }
[ "$bad" = 0 ] && echo "includes: ok ($n includes checked)"
exit $bad
