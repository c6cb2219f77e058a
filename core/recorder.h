/* core/recorder.h — the run database (SQLite).
 *
 * One SQLite file holds every run. Schema version 1
 * (PRAGMA user_version = 1, PRAGMA application_id = 0x534C4142 "SLAB"):
 *
 *   meta(key PRIMARY KEY, value)        format marker, creating version
 *   runs(id INTEGER PRIMARY KEY AUTOINCREMENT (never reused), name,
 *        config_path, config_text (file as written), config_effective
 *        (after overrides), config_hash (SHA-256 hex of config_effective,
 *        or of config_text when there is no effective text), overrides
 *        ("k=v" lines, "" if none), seed, status, error, host,
 *        core_version (PACKAGE_VERSION), started_at, ended_at,
 *        heartbeat_at (last flush), pid)
 *   run_plugins(run_id, name, version, abi, path, sha256 of the file at
 *        path when it could be read, else NULL)
 *   metrics(run_id, step, name, value, wall_time)   index (run_id,name,step)
 *   results(run_id, name, value, text)   one row per (run_id, name): a
 *        result written again replaces the earlier one
 *   artifacts(run_id, name, kind, mime, data BLOB, path, size, created_at)
 *        either data (stored in the file) or path (a file elsewhere);
 *        one row per (run_id, name), replaced when written again
 * All child tables reference runs(id) ON DELETE CASCADE.
 * Times are Unix seconds (REAL). status: running|finished|failed|
 * interrupted. A run whose process died keeps status 'running' with every
 * metric flushed so far; readers recognise it by its pid/heartbeat.
 * NaN values are stored as NULL (SQLite cannot store NaN); infinities are
 * stored as such.
 *
 * Concurrency: the file is in WAL mode with a 10 s busy timeout, so several
 * processes may record runs into it at once. No transaction is held open
 * between calls: metrics are buffered in memory and written in one short
 * transaction by sl__db_flush, so one writer never blocks another for
 * longer than a flush.
 *
 * A handle is not thread-safe: use it from one thread at a time.
 */
#ifndef SL_CORE_RECORDER_H
#define SL_CORE_RECORDER_H

#include <stdint.h>
#include <stddef.h>
#include "err.h"

#define SL__DB_SCHEMA_VERSION 1

typedef struct sl__db sl__db;
struct sqlite3;

typedef struct sl__run_meta {
    const char *name;             /* experiment name (NULL → "") */
    const char *config_path;      /* may be NULL */
    const char *config_text;      /* file as written; may be NULL */
    const char *config_effective; /* after overrides; may be NULL */
    const char *overrides;        /* one "k=v" per line, "" or NULL if none */
    int64_t seed;
} sl__run_meta;

/* Open (creating file and schema if needed) the database at path. WAL
 * journal, synchronous=NORMAL, foreign keys on, 10 s busy timeout.
 * Errors (all name the file): SL_EDB for a file that is not an SQLite
 * database, an SQLite database of another application, a schema newer
 * than SL__DB_SCHEMA_VERSION, or any SQLite failure; SL_EINVAL for bad
 * arguments. On success *out is owned by the caller (sl__db_close). */
int sl__db_open(const char *path, sl__db **out, sl__err *err);

enum {
    SL__DB_MUST_EXIST = 1u << 0 /* do not create: missing → SL_ENOTFOUND */
};
/* sl__db_open with flags (SL__DB_*). A read-only file opens read-only
 * (schema must exist then; writes fail with SL_EDB). */
int sl__db_open_ex(const char *path, unsigned flags, sl__db **out,
                   sl__err *err);

/* Flush buffered metrics (best effort: a failure is reported on stderr,
 * since nobody can act on it any more) and close. NULL is a no-op. Runs
 * not ended stay 'running'. */
void sl__db_close(sl__db *db);

/* Resolve the path: explicit (--db) > $SPIKELAB_DB > "spikelab.db".
 * Borrowed: explicit_path itself, the environment's string or a literal. */
const char *sl__db_default_path(const char *explicit_path);

/* The file name the handle was opened with (borrowed, lives with db). */
const char *sl__db_path(const sl__db *db);
/* The underlying SQLite connection, for read queries (`spikelab runs`,
 * `show`, comparisons). Borrowed; do not close it, do not leave a
 * transaction open on it. */
struct sqlite3 *sl__db_sqlite(sl__db *db);

/* Insert a run (status 'running', started_at = heartbeat_at = now, host,
 * core version, pid) and commit it at once, so the run is visible even if
 * the process dies right after. *run_id receives its id. The run becomes
 * the handle's active run: sl__db_flush refreshes its heartbeat. */
int sl__db_run_begin(sl__db *db, const sl__run_meta *meta, int64_t *run_id,
                     sl__err *err);
/* Record a plugin used by the run (committed at once). version, abi and
 * path may be NULL (path NULL for components built into the core); the
 * SHA-256 of the file at path is stored when it can be read. */
int sl__db_run_plugin(sl__db *db, int64_t run, const char *name,
                      const char *version, const char *abi, const char *path,
                      sl__err *err);
/* Buffer one metric value (wall_time = now) in memory; written by
 * sl__db_flush (call it often: at most every few hundred ms) and at run
 * end. The run must exist and be 'running' (SL_ENOTFOUND / SL_EINVAL).
 * The buffer flushes itself when it grows past a few thousand values or
 * its oldest value is more than 2 s old; an error of that flush is
 * returned here. */
int sl__db_metric(sl__db *db, int64_t run, int64_t step, const char *name,
                  double value, sl__err *err);
/* Write buffered metrics and the active run's heartbeat in one
 * transaction. On a busy timeout (SL_EDB) the metrics stay buffered for
 * the next flush; on any other failure they are dropped. */
int sl__db_flush(sl__db *db, sl__err *err);
/* Store a final result (committed at once). text may be NULL. */
int sl__db_result(sl__db *db, int64_t run, const char *name, double value,
                  const char *text, sl__err *err);
/* Store an artifact's bytes in the database (committed at once). data is
 * borrowed for the call; it may be NULL only when size is 0. */
int sl__db_artifact(sl__db *db, int64_t run, const char *name,
                    const char *kind, const char *mime, const void *data,
                    size_t size, sl__err *err);
/* Record an artifact kept in a file instead (path stored, size taken from
 * the file when it exists, else NULL). */
int sl__db_artifact_path(sl__db *db, int64_t run, const char *name,
                         const char *kind, const char *mime,
                         const char *path, sl__err *err);
/* End a running run: write its buffered metrics, then set status, ended_at
 * and error, in one transaction. status: "finished", "failed",
 * "interrupted" (else SL_EINVAL); error may be NULL. A run that does not
 * exist: SL_ENOTFOUND; one already ended: SL_EINVAL. */
int sl__db_run_end(sl__db *db, int64_t run, const char *status,
                   const char *error, sl__err *err);

/* Command implementations (argv after the subcommand name). */
int sl__cmd_runs(int argc, char **argv);
int sl__cmd_show(int argc, char **argv);

#endif
