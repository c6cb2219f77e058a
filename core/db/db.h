/* core/db/db.h — the run database (SQLite). db/ is the only part of
 * spikelab that speaks SQL: db.c writes (and curates), query.c reads.
 *
 * One SQLite file holds every run. PRAGMA application_id = 0x534C4142
 * ("SLAB") marks it as spikelab's; PRAGMA user_version is the schema
 * version, SL__DB_SCHEMA_VERSION (5):
 *
 *   meta(key PRIMARY KEY, value)   format marker, creating version,
 *        "migrated_N_to_M" = "spikelab VERSION at UNIXTIME" per migration
 *   runs(id INTEGER PRIMARY KEY AUTOINCREMENT (never reused), name,
 *        config_path, config_text (file as written), config_effective
 *        (after overrides, @include expanded), config_hash (SHA-256 hex of
 *        config_effective, or of config_text when there is no effective
 *        text), overrides ("k=v" lines, "" if none), seed, status, error,
 *        host, core_version (PACKAGE_VERSION), started_at, ended_at,
 *        heartbeat_at (last flush), pid,
 *        -- added by schema 2:
 *        parent_id (the run this one re-runs, NULL if none; SET NULL when
 *        that run is removed), reproduced (for a re-run: 1 when its
 *        metrics, results and trained parameters are bit-identical to the
 *        parent's, 0 when not, NULL until compared), note (free text),
 *        proc_id (identity of the recording process, see liveness.h),
 *        -- added by schema 5:
 *        uuid (128 random bits as hex, UNIQUE: the run's identity across
 *        databases, what `spikelab db merge` matches runs by))
 *   sweeps(id PRIMARY KEY (12 hex digits of a SHA-256 of the experiment
 *        file's path and text and the points), name, config_path, spec
 *        (the sweep's arguments, one per line), points (one line of
 *        "k=v k=v" overrides per point), n_points, created_at)   schema 5;
 *        a sweep's runs carry the tag "sweep:ID"
 *   params(run_id, key, alias, type, value_text, value_num)   schema 2:
 *        the effective configuration flattened, one row per scalar
 *        setting (see flatten.h); PRIMARY KEY (run_id, key), indexes on
 *        (key, value_num) and alias, so runs filter by any setting
 *   tags(run_id, tag, created_at)  schema 2; PRIMARY KEY (run_id, tag)
 *   run_plugins(run_id, name, version, abi, path, sha256 of the file at
 *        path when it could be read, else NULL)
 *   run_env(run_id, key, value)   schema 3: the numeric environment the
 *        run ran in (engine/numenv.h: BLAS library, build, kernel and
 *        threads, CPU model and vector extensions, compiler and flags),
 *        one row per key, PRIMARY KEY (run_id, key), read in the order
 *        recorded. A table of keys rather than columns of runs: what
 *        decides the bits grows (a portable mode, plugins' compilers)
 *        without another migration; and not params, which are the
 *        configuration a user chose and filters and `compare` treat so.
 *   checkpoints(run_id PRIMARY KEY, epoch, config_hash, data BLOB,
 *        created_at, resumed)   schema 4: the last checkpoint of a run
 *        (train.checkpoint_every; engine/checkpoint.h has the image's
 *        format), replaced by the next; config_hash is the run's when it
 *        was written; resumed counts the `spikelab resume`s from it
 *   metrics(run_id, step, name, value, wall_time)   index (run_id,name,step)
 *   results(run_id, name, value, text)   one row per (run_id, name): a
 *        result written again replaces the earlier one
 *   artifacts(run_id, name, kind, mime, data BLOB, path, size, created_at)
 *        either data (stored in the file) or path (a file elsewhere);
 *        one row per (run_id, name), replaced when written again. Trained
 *        parameters are kind "parameters", name "params/LAYER/PARAM.npy",
 *        recorded traces kind "trace", name "traces/LAYER/NAME.npy", both
 *        as NumPy .npy images (npy.h) inside the database, so a run and its
 *        results stay one file.
 * All child tables reference runs(id) ON DELETE CASCADE.
 * Times are Unix seconds (REAL). status: running|finished|failed|
 * interrupted. NaN values are stored as NULL (SQLite cannot store NaN);
 * infinities are stored as such.
 *
 * Migrations: opening a file of an older schema with write access upgrades
 * it in place, in one transaction (all or nothing): each step N→N+1 runs
 * in order and user_version is set last. Step 1→2 adds the columns and
 * tables marked "schema 2" and fills params from the stored effective
 * configuration of every existing run; step 2→3 adds run_env (runs
 * recorded before have no environment: unknown, not assumed); step 3→4
 * adds checkpoints; step 4→5 adds runs.uuid (filled for existing runs)
 * and sweeps. A new file is created as schema 1
 * and then migrated, so every database takes the same path. A file of a
 * newer schema is refused (SL_EDB) rather than misread, and so is one
 * whose user_version is negative (no spikelab wrote it; the file is not
 * touched). An older file that
 * is read-only is refused too: it has to be opened once with write access.
 *
 * Crash safety: WAL journal with synchronous=NORMAL; every write is one
 * short transaction, so a process killed at any moment (SIGKILL) leaves
 * the file intact and keeps every committed row: the run row (committed
 * before training starts, with its params), and all metrics up to the last
 * flush. Only an operating-system crash or power loss can lose the last
 * transactions (synchronous=NORMAL), never corrupt the file.
 *
 * Interrupted runs: a run whose process died stays 'running' in the file.
 * Every spikelab that opens the database with write access (sl__db_open,
 * so `run`, `runs`, `show`, ...) first checks each 'running' run recorded
 * on its own host: when the recording process is gone, a zombie, or its
 * pid now belongs to another process (the stored proc_id differs), the run
 * is marked 'interrupted', ended_at = its last heartbeat (the last moment
 * it was known alive), with an error naming pid and host. Runs recorded on
 * another host cannot be checked and stay 'running'; readers show how old
 * their heartbeat is. The heartbeat is refreshed by every flush, which the
 * run command does after the first epoch and then at least every 0.25 s
 * while epochs complete (so a kill loses at most the last 0.25 s).
 *
 * Concurrency: WAL mode with a 10 s busy timeout, so several processes may
 * record runs into one file at once, and readers (each command reads in
 * one snapshot transaction) never block writers. No transaction is held
 * open between calls: metrics are buffered in memory and written in one
 * short transaction by sl__db_flush, so one writer never blocks another
 * for longer than a flush.
 *
 * A handle is not thread-safe: use it from one thread at a time.
 */
#ifndef SL_CORE_RECORDER_H
#define SL_CORE_RECORDER_H

#include <stdint.h>
#include <stddef.h>
#include "spikelab/rundb.h" /* the row types the readers fill */
#include "util/err.h"

#define SL__DB_SCHEMA_VERSION 5

typedef struct sl__db sl__db;
struct sqlite3;

typedef struct sl__run_meta {
    const char *name;             /* experiment name (NULL → "") */
    const char *config_path;      /* may be NULL */
    const char *config_text;      /* file as written; may be NULL */
    const char *config_effective; /* after overrides; may be NULL */
    const char *overrides;        /* one "k=v" per line, "" or NULL if none */
    int64_t seed;
    int64_t parent_id;            /* run this one re-runs; 0 = none */
    /* the numeric environment (engine/numenv.h) as key/value pairs:
     * env[2i] a key, env[2i+1] its value, i < n_env; borrowed, may be
     * NULL */
    char *const *env;
    size_t n_env;
    /* the defaults the run applied (sl__config_defaults), recorded as
     * params next to the settings of config_effective, so a filter finds
     * a run by a setting it left at its default; borrowed, may be NULL */
    const struct sl__kv *defaults;
    size_t n_defaults;
} sl__run_meta;

/* Open (creating file and schema if needed) the database at path. WAL
 * journal, synchronous=NORMAL, foreign keys on, 10 s busy timeout. An
 * older schema is migrated in place; dead runs of this host are marked
 * interrupted (see the top of this file).
 * Errors (all name the file): SL_EDB for a file that is not an SQLite
 * database, an SQLite database of another application, a schema newer
 * than SL__DB_SCHEMA_VERSION, or any SQLite failure; SL_EINVAL for bad
 * arguments. On success *out is owned by the caller (sl__db_close). */
int sl__db_open(const char *path, sl__db **out, sl__err *err);

enum {
    SL__DB_MUST_EXIST = 1u << 0, /* do not create: missing → SL_ENOTFOUND */
    SL__DB_NO_REAP = 1u << 1,    /* do not mark dead runs interrupted */
    SL__DB_READONLY = 1u << 2    /* open read-only even when the file is
                                    writable (implies MUST_EXIST) */
};
/* sl__db_open with flags (SL__DB_*). A read-only file opens read-only
 * (schema must exist then; writes fail with SL_EDB). */
int sl__db_open_ex(const char *path, unsigned flags, sl__db **out,
                   sl__err *err);

/* A read-only handle whose file sits in a directory the user may not
 * write cannot create the WAL's -shm file, so SQLite refused to read it
 * ("attempt to write a readonly database"). The open then falls back to
 * reading the file as immutable (no locks, no -shm) and says so here:
 * "read-only: ..." (borrowed, lives with db); "" when the handle opened
 * as asked. The library prints nothing: the command shows it as a note. */
const char *sl__db_notice(const sl__db *db);

/* Flush buffered metrics (best effort: a failure is reported on stderr,
 * since nobody can act on it any more) and close. NULL is a no-op. Runs
 * not ended stay 'running'. */
void sl__db_close(sl__db *db);

/* Resolve the path: explicit (--db) > $SPIKELAB_DB > "spikelab.db".
 * Borrowed: explicit_path itself, the environment's string or a literal. */
const char *sl__db_default_path(const char *explicit_path);

/* The file name the handle was opened with (borrowed, lives with db). */
const char *sl__db_path(const sl__db *db);
/* The underlying SQLite connection, for db/'s own files (query.c).
 * Borrowed; do not close it, do not leave a transaction open on it. */
struct sqlite3 *sl__db_sqlite(sl__db *db);

/* Insert a run (status 'running', started_at = heartbeat_at = now, host,
 * core version, pid, process identity, parent) with its flattened params
 * (from config_effective when it parses as a configuration) and commit it
 * at once, so the run is visible even if the process dies right after.
 * Each of meta->defaults whose key config_effective does not set is
 * stored as a param as well. *run_id receives its id. The run becomes the handle's active run:
 * sl__db_flush refreshes its heartbeat. A parent_id that does not exist:
 * SL_ENOTFOUND. */
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
/* The numeric value of result `name` of run: 1 and *value when it is
 * recorded with a value, 0 when not (absent, or NULL), SL_EDB on a
 * database error. */
int sl__db_result_value(sl__db *db, int64_t run, const char *name,
                        double *value, sl__err *err);
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
 * exist: SL_ENOTFOUND; one already ended: SL_EINVAL. When the buffered
 * metrics cannot be written (a full disk) they are dropped and the run is
 * still ended, as 'failed' with error saying so, and SL_EDB returned;
 * when not even that can be written, SL_EDB says that the run stays
 * 'running' until the next read-write open on this host marks it
 * interrupted. err may be NULL. */
int sl__db_run_end(sl__db *db, int64_t run, const char *status,
                   const char *error, sl__err *err);

/* Mark every 'running' run of this host whose process is gone as
 * 'interrupted' (sl__db_open does it unless SL__DB_NO_REAP). *n_marked
 * (may be NULL) receives how many. A read-only handle does nothing. */
int sl__db_reap(sl__db *db, int *n_marked, sl__err *err);

/* Add (add != 0, no-op when present) or remove (SL_ENOTFOUND when not
 * there) a tag. Tags are 1..200 bytes without control characters
 * (SL_EINVAL otherwise). No such run: SL_ENOTFOUND. */
int sl__db_tag(sl__db *db, int64_t run, const char *tag, int add,
               sl__err *err);
/* Set the run's note (NULL or "" clears it), or with append != 0 add text
 * as a new line after the existing note. No such run: SL_ENOTFOUND. */
int sl__db_note(sl__db *db, int64_t run, const char *text, int append,
                sl__err *err);
/* Delete runs and everything recorded with them, in one transaction (all
 * or none). A run still 'running' whose process may be alive (this host:
 * alive; another host: cannot tell) is refused with SL_EINVAL unless
 * force. A missing run: SL_ENOTFOUND. Runs that re-ran a deleted run
 * keep their record with parent_id NULL. */
int sl__db_run_delete(sl__db *db, const int64_t *runs, size_t n, int force,
                      sl__err *err);

/* Comparison of the recorded outputs of two runs (sl__db_compare). */
typedef struct sl__db_diff {
    int identical;      /* 1 when everything compared is bit-identical */
    int64_t n_metrics;  /* metric values of run a */
    int64_t n_results;  /* results of run a */
    int64_t n_params;   /* parameter artifacts of run a */
    char first[512];    /* the first difference found, "" if identical */
} sl__db_diff;
/* Compare run b with run a bit for bit: every metric (name, step, value;
 * wall times excepted), every result value, and every artifact of kind
 * "parameters" (bytes). NaN equals NaN here (both are stored as NULL).
 * No such run: SL_ENOTFOUND. */
int sl__db_compare(sl__db *db, int64_t a, int64_t b, sl__db_diff *out,
                   sl__err *err);
/* Record the outcome of re-running: reproduced = identical (0/1). */
int sl__db_set_reproduced(sl__db *db, int64_t run, int identical,
                          sl__err *err);

/* ---- checkpoints and resuming (db/checkpoint.c) -------------------------- */

/* Make run the handle's active run (its heartbeat is refreshed by
 * sl__db_flush, its metrics are accepted): after sl__db_run_resume. */
void sl__db_set_active(sl__db *db, int64_t run);
/* Store run's checkpoint after `epoch` (replacing the previous one),
 * committed at once, with the run's config_hash. The run must be
 * 'running' (SL_EINVAL) and exist (SL_ENOTFOUND). */
int sl__db_checkpoint_put(sl__db *db, int64_t run, int64_t epoch,
                          const void *data, size_t size, sl__err *err);
/* run's last checkpoint: *epoch, *data (malloc'd, the caller frees) and
 * *size. SL_ENOTFOUND (message saying so) when the run has none or does
 * not exist; SL_EDATA when its config_hash is not the run's (a
 * checkpoint of another configuration). */
int sl__db_checkpoint_get(sl__db *db, int64_t run, int64_t *epoch,
                          void **data, size_t *size, sl__err *err);
/* Continue an ended run from its checkpoint after `epoch`, in one
 * transaction: everything recorded after that epoch goes (metrics of
 * later steps; results other than the initial_* of the evaluations
 * before training; the parameters, traces and device files of the ended
 * attempt, which the resumed run writes again), the run is 'running'
 * again for this process (host, pid, process identity, heartbeat; error
 * and end cleared) and becomes the handle's active run. Only an
 * 'interrupted' or 'failed' run is resumed: SL_EINVAL naming its status
 * otherwise (a 'running' one may still be alive). */
int sl__db_run_resume(sl__db *db, int64_t run, int64_t epoch, sl__err *err);

/* ---- sweeps and merging (db/sweep.c) ------------------------------------ */

/* Record a sweep unless one with its id is there already (then nothing
 * changes: the same command resumes the same sweep). *created (may be
 * NULL): 1 when this call added it. */
int sl__db_sweep_put(sl__db *db, const sl_sweep_info *sw, int *created,
                     sl__err *err);
/* The sweep `id` (NULL: every sweep, oldest first) to cb, strings
 * borrowed for the call. id given and not there: SL_ENOTFOUND. */
int sl__db_sweeps(sl__db *db, const char *id,
                  int (*cb)(void *user, const sl_sweep_info *sw), void *user,
                  sl__err *err);
/* Copy into db every run of the database at src_path whose uuid db does
 * not hold (with everything recorded with it, under a new id; parent_id
 * mapped by UUID when the parent is in db, else NULL) and every sweep db
 * lacks, in one transaction (all or nothing). src is first opened as a
 * database of its own (so an older schema is upgraded in place, and a
 * file that is not a run database is refused). *n_added: runs copied;
 * *n_present: runs db held already. Merging src into db twice adds
 * nothing the second time. */
int sl__db_merge(sl__db *db, const char *src_path, int64_t *n_added,
                 int64_t *n_present, sl__err *err);

/* ---- reading (db/query.c) ------------------------------------------------
 * Readers fill the public row types of rundb.h; strings are borrowed as
 * said there. Row readers call cb once per row with rows borrowed for the
 * call; a non-zero return of cb stops and is returned as is (no message).
 * A run that is not there: SL_ENOTFOUND before cb is called. */

/* A read transaction, so several reads see one snapshot. *began = 1 when
 * this call began it, 0 when one was open already (then do not end it). */
int sl__db_read_begin(sl__db *db, int *began, sl__err *err);
void sl__db_read_end(sl__db *db);

/* Check a filter of `spikelab runs` without running it (SL_EINVAL with
 * the message sl__db_runs_open would give). */
int sl__db_filter_check(const sl_run_filter *f, sl__err *err);

/* A listing of runs (sl_rundb_runs). It holds a read transaction of its
 * own unless one was open. */
typedef struct sl__db_runs sl__db_runs;
int sl__db_runs_open(sl__db *db, const sl_run_filter *f, sl__db_runs **out,
                     sl__err *err);
/* 1: *info is the next run (borrowed until the next call); 0: the end;
 * < 0: an error. */
int sl__db_runs_next(sl__db_runs *it, sl_run_info *info, sl__err *err);
size_t sl__db_runs_n_keys(const sl__db_runs *it);
const char *sl__db_runs_key(const sl__db_runs *it, size_t i);
/* SL_RUN_VALUE_*, as sl_run_iter_value */
int sl__db_runs_value(const sl__db_runs *it, size_t i, double *num,
                      const char **text);
void sl__db_runs_close(sl__db_runs *it); /* NULL: no-op */

/* One run; cb sees it once (strings borrowed for the call). */
int sl__db_run_get(sl__db *db, int64_t id,
                   int (*cb)(void *user, const sl_run_info *r), void *user,
                   sl__err *err);
/* The newest run's id; SL_ENOTFOUND in an empty database. */
int sl__db_last_run(sl__db *db, int64_t *id, sl__err *err);

int sl__db_metrics(sl__db *db, int64_t run, const char *name,
                   int (*cb)(void *user, const char *name, int64_t step,
                             double value, double wall_time),
                   void *user, sl__err *err);
int sl__db_final_metrics(sl__db *db, int64_t run,
                         int (*cb)(void *user, const char *name,
                                   int64_t step, double value),
                         void *user, sl__err *err);
int sl__db_results(sl__db *db, int64_t run,
                   int (*cb)(void *user, const char *name, double value,
                             const char *text),
                   void *user, sl__err *err);
int sl__db_params(sl__db *db, int64_t run,
                  int (*cb)(void *user, const char *key, const char *alias,
                            const char *type, const char *text, double num),
                  void *user, sl__err *err);
int sl__db_artifacts(sl__db *db, int64_t run,
                     int (*cb)(void *user, const sl_artifact_info *a),
                     void *user, sl__err *err);
/* The bytes of an artifact stored in the database: *data owned by the
 * caller (free). SL_ENOTFOUND: no such run or artifact, or a file path. */
int sl__db_artifact_read(sl__db *db, int64_t run, const char *name,
                         void **data, size_t *size, sl__err *err);
int sl__db_tags(sl__db *db, int64_t run,
                int (*cb)(void *user, const char *tag), void *user,
                sl__err *err);
int sl__db_plugins(sl__db *db, int64_t run,
                   int (*cb)(void *user, const char *name,
                             const char *version, const char *abi,
                             const char *path, const char *sha256),
                   void *user, sl__err *err);
/* The run's numeric environment (run_env), in the order recorded; none
 * for runs recorded before schema 3. */
int sl__db_env(sl__db *db, int64_t run,
               int (*cb)(void *user, const char *key, const char *value),
               void *user, sl__err *err);
/* The run this one re-runs: *parent (0: none). SL_ENOTFOUND: no run. */
int sl__db_run_parent(sl__db *db, int64_t run, int64_t *parent,
                      sl__err *err);

#endif
