/*
 * spikelab/rundb.h — the run database: the runs `spikelab run` (or
 * sl_run, session.h) recorded, with their configuration, metrics,
 * results, parameters and artifacts; and its curation (tags, notes,
 * removal, the verdict of a re-run). The `spikelab` history commands
 * (runs, show, compare, export, tag, note, rm, rerun) are clients of
 * exactly these functions; `spikelab runs` filters with the same
 * expressions (sl_run_filter.where = its --where).
 *
 *     sl_rundb *db;
 *     if (sl_rundb_open("runs.db", SL_RUNDB_READONLY, &db) < 0) {
 *         fprintf(stderr, "%s\n", sl_rundb_errmsg(db));
 *         sl_rundb_close(db);  ...
 *     }
 *     const char *where[] = {"optimizer.lr>=0.01"};
 *     sl_run_filter f = {.struct_size = sizeof f, .status = "finished",
 *                        .where = where, .n_where = 1};
 *     sl_run_iter *it;
 *     if (sl_rundb_runs(db, &f, &it) == 0) {
 *         for (const sl_run_info *r; (r = sl_run_next(it)) != NULL;)
 *             printf("%lld %s\n", (long long)r->id, r->name);
 *         if (sl_run_iter_free(it) < 0) ... sl_rundb_errmsg(db) ...;
 *     }
 *     sl_rundb_close(db);
 *
 * Errors: functions returning int give 0 (SL_OK) or a negative sl_status
 * (abi.h); the message is sl_rundb_errmsg(db) and names the file. A run
 * that is not in the database: SL_ENOTFOUND. A malformed filter:
 * SL_EINVAL, the message says what is wrong in the words of `spikelab
 * runs` ("--where: ..."). Database failures: SL_EDB. A write through a
 * handle opened SL_RUNDB_READONLY: SL_EINVAL.
 *
 * Values: times are Unix seconds; a value recorded as NaN (stored as
 * NULL) and an absent time read back as NaN; infinities as such.
 *
 * Threads: one handle MUST be used from one thread at a time. Several
 * handles (and processes) may read and record at once (WAL journal).
 */
#ifndef SPIKELAB_RUNDB_H
#define SPIKELAB_RUNDB_H

#include <stddef.h>
#include <stdint.h>

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* An open run database. Opaque; sl_rundb_open / sl_rundb_close. */
typedef struct sl_rundb sl_rundb;
/* A running query over the runs table. Opaque; sl_rundb_runs /
 * sl_run_iter_free. */
typedef struct sl_run_iter sl_run_iter;

/* Flags of sl_rundb_open. 0: read-write, the file must exist. */
enum {
    SL_RUNDB_READONLY = 1u << 0, /* never write (the file must exist) */
    SL_RUNDB_CREATE = 1u << 1    /* read-write; create a missing file */
};

/* Open the run database at path. Read-write opens (flags 0 or
 * SL_RUNDB_CREATE; a file the process may not write opens read-only
 * then, and writes fail with SL_EDB; one in a directory it may not write
 * is read as immutable, see sl_rundb_notice) upgrade an older schema
 * in place and mark runs of this host whose process is gone as
 * interrupted; read-only opens change nothing (a schema older than this
 * library's is then refused). *out always receives a handle unless memory
 * ran out (then NULL): on failure it carries only the message, so
 * sl_rundb_errmsg(*out) explains it; close it in every case.
 * Errors: SL_EINVAL (NULL or empty path, NULL out, unknown flags),
 * SL_ENOTFOUND (no file and no SL_RUNDB_CREATE), SL_EDB (not an SQLite
 * file, another application's database, a newer schema, SQLite failures),
 * SL_ENOMEM. */
SL_EXPORT int sl_rundb_open(const char *path, unsigned flags,
                            sl_rundb **out);

/* Close the handle (every iterator of it MUST be freed first). NULL is a
 * no-op. */
SL_EXPORT void sl_rundb_close(sl_rundb *db);

/* The message of the last error on db: borrowed, valid until the next
 * call on db; "" after success. NULL db: "out of memory" (what a failed
 * sl_rundb_open leaves only then). */
SL_EXPORT const char *sl_rundb_errmsg(const sl_rundb *db);

/* How the handle was opened when that differs from what was asked, for
 * the caller to show (the library prints nothing), or "" (NULL db: "").
 * Today one case: a database in a directory this user may not write
 * cannot be read the usual way (SQLite's WAL needs its -shm file beside
 * it: "attempt to write a readonly database"), so an open without
 * SL_RUNDB_CREATE falls back to reading the file as immutable, without
 * locks, and this says "read-only: ..." (and whether a -wal file beside
 * it holds changes that are not seen). Writes through such a handle fail
 * with SL_EDB (or SL_EINVAL when opened SL_RUNDB_READONLY). Borrowed,
 * lives with db. */
SL_EXPORT const char *sl_rundb_notice(const sl_rundb *db);

/* The path the handle was opened with (borrowed, lives with db). */
SL_EXPORT const char *sl_rundb_path(const sl_rundb *db);

/* The command's choice of database: explicit_path when non-NULL, else
 * $SPIKELAB_DB when set and non-empty, else "spikelab.db". Borrowed
 * (explicit_path itself, the environment's string or a literal). */
SL_EXPORT const char *sl_rundb_default_path(const char *explicit_path);

/* Which runs sl_rundb_runs lists; every member optional (zero/NULL: no
 * condition). All conditions must hold. Strings are borrowed until
 * sl_rundb_runs returns. */
typedef struct sl_run_filter {
    uint32_t struct_size; /* sizeof(sl_run_filter) */
    /* --- ABI 1.0 --- */
    const char *status;  /* comma-separated: running, finished, failed,
                            interrupted */
    const char *name;    /* experiment name, a glob (* ? [..]) */
    const char *since;   /* started at or after: "30m", "2d", "1w" ago,
                            "YYYY-MM-DD[ HH:MM[:SS]]" local, "@UNIXSECONDS" */
    const char *const *tags; /* runs carrying every one of these tags */
    size_t n_tags;
    /* "KEY OP VALUE" as `spikelab runs --where` (OP: = != < <= > >= ~):
     * KEY a parameter (optimizer.lr, network.layers.lif.tau_mem), else a
     * result, else a metric's last value; param:/result:/metric: pick one */
    const char *const *where;
    size_t n_where;
    /* "id", "started", "ended", "duration", "name", "status", "seed" or a
     * --where KEY; a leading '-' sorts descending; runs without the key
     * come last. NULL: newest first. Ties: newest first. */
    const char *sort;
    int64_t limit;       /* > 0: at most this many runs; 0: all */
} sl_run_filter;

/* One run. Strings are NULL when not recorded. Borrowed: valid until the
 * next sl_run_next on the iterator or, from sl_rundb_run, the next
 * sl_rundb_run (or sl_rundb_close) on db; the other calls on db leave it
 * alone, so a run's rows can be read while looking at it. */
typedef struct sl_run_info {
    uint32_t struct_size; /* as the library filled it */
    /* --- ABI 1.0 --- */
    int64_t id;
    const char *name;
    const char *status;   /* running | finished | failed | interrupted */
    const char *error;    /* why it failed or was interrupted */
    int64_t seed;
    double started_at, ended_at; /* ended_at NaN while running */
    double heartbeat_at;  /* last flush of a running run */
    const char *config_path;      /* absolute path of the file run */
    const char *config_text;      /* the file as written */
    const char *config_effective; /* as run: overrides applied, @include
                                     expanded (what `rerun` runs) */
    const char *config_hash;      /* SHA-256 hex */
    const char *overrides;        /* "key=value" lines, "" if none */
    const char *host;
    int64_t pid;          /* of the recording process; 0: not recorded */
    const char *core_version;
    int64_t parent_id;    /* the run this one re-runs; 0: none */
    int reproduced;       /* re-runs: 1 bit-identical, 0 not; -1 unknown */
    const char *note;
    const char *tags;     /* space-separated, sorted; "" if none (a tag
                             may hold spaces: sl_rundb_tags splits exactly) */
    /* status "running" only: 1 its process is alive, 0 it is gone (killed
     * or crashed: the next read-write open on its host marks the run
     * interrupted); -1 when that cannot be told (recorded on another
     * host) and for every other status */
    int process_alive;
} sl_run_info;

/* Start listing the runs that pass f (NULL: all), in f's order. On
 * success *out is owned by the caller (sl_run_iter_free). The query runs
 * in one read transaction, so it sees one snapshot. Errors: SL_EINVAL for
 * a malformed filter (message names the expression), SL_EDB, SL_ENOMEM. */
SL_EXPORT int sl_rundb_runs(sl_rundb *db, const sl_run_filter *f,
                            sl_run_iter **out);
/* The next run, or NULL at the end or on an error (sl_run_iter_free then
 * returns it). Borrowed until the next call on it. */
SL_EXPORT const sl_run_info *sl_run_next(sl_run_iter *it);
/* Free the iterator; returns SL_OK, or the error that ended the listing
 * early (message on the database handle). NULL: SL_OK. */
SL_EXPORT int sl_run_iter_free(sl_run_iter *it);

/* Check f without a database, e.g. a user's input before anything else
 * happens: SL_OK, or SL_EINVAL (SL_ENOMEM) with the message
 * sl_rundb_runs would give, cut to fit msg[size] (msg may be NULL when
 * size is 0). A `since` relative to now is checked against now. */
SL_EXPORT int sl_run_filter_check(const sl_run_filter *f, char *msg,
                                  size_t size);

/* The keys the listing's filter looks up, in order: each distinct `where`
 * KEY, then the `sort` key unless it is one of the built-in ones. Names
 * are without their param:/result:/metric: prefix (keys that differ only
 * in it are listed once each). `spikelab runs` shows them as extra
 * columns. Borrowed, valid while it lives; NULL for i out of range. */
SL_EXPORT size_t sl_run_iter_n_keys(const sl_run_iter *it);
SL_EXPORT const char *sl_run_iter_key(const sl_run_iter *it, size_t i);

/* What sl_run_iter_value found. */
enum {
    SL_RUN_VALUE_NONE = 0,   /* the run lacks the key (or it is NaN) */
    SL_RUN_VALUE_NUMBER = 1, /* *num */
    SL_RUN_VALUE_TEXT = 2    /* *text: a text parameter */
};
/* The value key i has for the run sl_run_next returned last, as `where`
 * compares it: a number where there is one (parameter, else result, else
 * the metric's last value), else the parameter's text. num and text may
 * be NULL; *text is borrowed until the next sl_run_next. Returns one of
 * SL_RUN_VALUE_* (NONE also for i out of range or no current run). */
SL_EXPORT int sl_run_iter_value(const sl_run_iter *it, size_t i,
                                double *num, const char **text);

/* One run by id; *out borrowed until the next sl_rundb_run on db (see
 * sl_run_info). The newest run: sl_rundb_last. Errors: SL_ENOTFOUND,
 * SL_EDB, SL_ENOMEM. */
SL_EXPORT int sl_rundb_run(sl_rundb *db, int64_t id, const sl_run_info **out);
/* The id of the newest run. SL_ENOTFOUND when there is none. */
SL_EXPORT int sl_rundb_last(sl_rundb *db, int64_t *id);

/* One snapshot for several reads: between sl_rundb_read_begin and
 * sl_rundb_read_end every reader of db sees the database as it was at
 * the first read, while other processes go on recording (a listing does
 * this by itself). Writes on db MUST NOT happen in between (they fail).
 * Errors: SL_EINVAL (already begun / not begun), SL_EDB. */
SL_EXPORT int sl_rundb_read_begin(sl_rundb *db);
SL_EXPORT int sl_rundb_read_end(sl_rundb *db);

/* The readers below call cb once per row, in the order given, with
 * strings borrowed for the call. A non-zero return from cb stops the
 * listing and is returned as is (use a positive value to tell it from
 * errors). A run that is not there: SL_ENOTFOUND (cb never called). */

/* Metrics, by name, then step, then the order they were recorded in;
 * name non-NULL: only that metric. A value recorded as NaN comes back
 * NaN; wall_time in Unix seconds. */
SL_EXPORT int sl_rundb_metrics(sl_rundb *db, int64_t run, const char *name,
                               int (*cb)(void *user, const char *name,
                                         int64_t step, double value,
                                         double wall_time),
                               void *user);
/* The final value of each metric, by name: the one recorded last at its
 * highest step (what `where` compares a metric with). */
SL_EXPORT int sl_rundb_final_metrics(sl_rundb *db, int64_t run,
                                     int (*cb)(void *user, const char *name,
                                               int64_t step, double value),
                                     void *user);
/* Final results, by name; text is NULL unless the result carries one. */
SL_EXPORT int sl_rundb_results(sl_rundb *db, int64_t run,
                               int (*cb)(void *user, const char *name,
                                         double value, const char *text),
                               void *user);
/* The effective settings flattened, in the order of the configuration:
 * key ("network.layers.1.tau_mem"),
 * alias (by layer name, "network.layers.lif.tau_mem", or NULL), type
 * ("int", "float", "bool", "string"), the value as text and, for the
 * numeric types and bools, as a number (NaN otherwise). */
SL_EXPORT int sl_rundb_params(sl_rundb *db, int64_t run,
                              int (*cb)(void *user, const char *key,
                                        const char *alias, const char *type,
                                        const char *text, double num),
                              void *user);
/* An artifact as listed by sl_rundb_artifacts (strings NULL when not
 * recorded). Borrowed for the callback. */
typedef struct sl_artifact_info {
    uint32_t struct_size; /* as the library filled it */
    /* --- ABI 1.0 --- */
    const char *name;     /* "params/lif/w_rec.npy" */
    const char *kind;     /* "parameters", "trace", "device", ... */
    const char *mime;
    int64_t size;         /* bytes; -1 when unknown (a file that was not
                             there when it was recorded) */
    int in_db;            /* 1: the bytes are in the database
                             (sl_rundb_artifact reads them); 0: not */
    const char *path;     /* the file it names instead, or NULL */
    double created_at;    /* Unix seconds */
} sl_artifact_info;

/* Artifacts, by name. */
SL_EXPORT int sl_rundb_artifacts(sl_rundb *db, int64_t run,
                                 int (*cb)(void *user,
                                           const sl_artifact_info *a),
                                 void *user);
/* The bytes of the artifact stored in the database under name; *data and
 * *size borrowed until the next sl_rundb_artifact (or sl_rundb_close). Errors: SL_ENOTFOUND (no such
 * run or artifact, or its bytes live in a file), SL_EDB, SL_ENOMEM. */
SL_EXPORT int sl_rundb_artifact(sl_rundb *db, int64_t run, const char *name,
                                const void **data, size_t *size);
/* The run's tags, sorted (byte order). */
SL_EXPORT int sl_rundb_tags(sl_rundb *db, int64_t run,
                            int (*cb)(void *user, const char *tag),
                            void *user);
/* The plugins the run used, in the order they were recorded: name,
 * version, abi ("MAJOR.MINOR"), path of the file (NULL: built into the
 * core) and the SHA-256 hex of that file when it could be read (else
 * NULL). */
SL_EXPORT int sl_rundb_plugins(sl_rundb *db, int64_t run,
                               int (*cb)(void *user, const char *name,
                                         const char *version,
                                         const char *abi, const char *path,
                                         const char *sha256),
                               void *user);

/* The numeric environment the run ran in, in the order recorded: what
 * decides its bits besides configuration and seed. Keys: blas.library
 * ("OpenBLAS 0.3.21"), blas.build, blas.kernel (the kernel OpenBLAS chose
 * for the CPU: "Haswell"), blas.threads, cpu.model, cpu.simd (vector
 * extensions), cpu.flags_sha256, compiler, compiler.flags, libc ("glibc
 * 2.36"), libc.tunables ($GLIBC_TUNABLES when set); a key is
 * missing when the recording process could not tell it, and runs
 * recorded before spikelab kept it have none. */
SL_EXPORT int sl_rundb_env(sl_rundb *db, int64_t run,
                           int (*cb)(void *user, const char *key,
                                     const char *value),
                           void *user);

/* ---- curating: each call is one short write transaction ---------------- */

/* Add a tag (already there: SL_OK) / remove one (not there:
 * SL_ENOTFOUND). A tag is 1 to 200 bytes without control characters
 * (SL_EINVAL otherwise). */
SL_EXPORT int sl_rundb_tag(sl_rundb *db, int64_t run, const char *tag);
SL_EXPORT int sl_rundb_untag(sl_rundb *db, int64_t run, const char *tag);
/* Replace the run's note by text (NULL or "": no note), or add text as a
 * new line after it ("" or NULL: no change). */
SL_EXPORT int sl_rundb_set_note(sl_rundb *db, int64_t run,
                                const char *text);
SL_EXPORT int sl_rundb_append_note(sl_rundb *db, int64_t run,
                                   const char *text);

/* Flags of sl_rundb_remove. */
enum {
    SL_RUNDB_REMOVE_RUNNING = 1u << 0 /* also runs that may still run */
};
/* Remove runs and everything recorded with them, all or none (a
 * duplicate id counts once). A run still 'running' whose process may be
 * alive (this host: it is; another host: cannot tell) is refused with
 * SL_EINVAL unless SL_RUNDB_REMOVE_RUNNING. A missing run: SL_ENOTFOUND,
 * nothing removed. Runs that re-ran a removed run keep their records with
 * parent_id 0. */
SL_EXPORT int sl_rundb_remove(sl_rundb *db, const int64_t *runs, size_t n,
                              unsigned flags);

/* ---- sweeps and merging (schema 5) --------------------------------------- */

/* A sweep (`spikelab sweep`): a grid of override sets run as one. Its
 * points are the runs tagged "sweep:ID". Strings borrowed as the call
 * that passes it says. */
typedef struct sl_sweep_info {
    uint32_t struct_size; /* sizeof(sl_sweep_info) (by whoever fills it) */
    const char *id;       /* 12 lowercase hex digits */
    const char *name;     /* the user's label, or NULL */
    const char *config_path; /* the experiment file */
    const char *spec;     /* the sweep's arguments, one per line */
    const char *points;   /* one line per point: its overrides, "k=v" and
                             space-separated, in point order */
    int64_t n_points;
    double created_at;    /* Unix seconds (ignored by sl_rundb_sweep_record) */
} sl_sweep_info;

/* Record sweep sw (borrowed for the call) unless a sweep with its id is
 * there already; *created (may be NULL) says whether this call added it.
 * Errors: SL_EINVAL (NULL arguments, no id or points, read-only), SL_EDB. */
SL_EXPORT int sl_rundb_sweep_record(sl_rundb *db, const sl_sweep_info *sw,
                                    int *created);
/* The sweep `id` (NULL: every sweep, oldest first) to cb; the info and
 * its strings are borrowed for the call; a non-zero return of cb stops
 * and is returned. An id that is not there: SL_ENOTFOUND. */
SL_EXPORT int sl_rundb_sweeps(sl_rundb *db, const char *id,
                              int (*cb)(void *user, const sl_sweep_info *sw),
                              void *user);
/* Copy into db every run of the database file src_path that db does not
 * hold yet (runs are told apart by the UUID each gets when recorded),
 * with everything recorded with it, under new ids, and every sweep db
 * lacks; all or nothing. src_path is opened read-write first, like any
 * open (an older schema is upgraded in place). *n_added and *n_present
 * (may be NULL): runs copied, runs db held already. Merging the same file
 * again adds nothing. Errors: SL_EINVAL (NULL arguments, read-only handle,
 * src_path the same file as db), SL_ENOTFOUND (no file), SL_EDB (not a
 * run database, a newer schema, SQLite failures). */
SL_EXPORT int sl_rundb_merge(sl_rundb *db, const char *src_path,
                             int64_t *n_added, int64_t *n_present);

/* Outcome of comparing two runs' recorded outputs. */
typedef struct sl_run_diff {
    uint32_t struct_size; /* set by the caller: sizeof(sl_run_diff) */
    /* --- ABI 1.0 --- */
    int identical;        /* 1: everything compared is bit-identical */
    int64_t n_metrics;    /* metric values of run a */
    int64_t n_results;    /* results of run a */
    int64_t n_params;     /* parameter artifacts of run a */
    const char *first;    /* the first difference found, "" if identical;
                             borrowed until the next call on db */
} sl_run_diff;

/* Compare run b with run a bit for bit: every metric (name, step, value;
 * wall times excepted), every result value, and the bytes of every
 * artifact of kind "parameters". NaN equals NaN here. Reads only.
 * Errors: SL_ENOTFOUND (either run), SL_EINVAL (struct_size), SL_EDB. */
SL_EXPORT int sl_rundb_diff(sl_rundb *db, int64_t a, int64_t b,
                            sl_run_diff *out);
/* The verdict of a re-run: compare run with the run it re-runs
 * (sl_run_info.parent_id) as sl_rundb_diff does, and record the outcome
 * (sl_run_info.reproduced). A run that re-runs no run (or one removed
 * since): SL_EINVAL. */
SL_EXPORT int sl_rundb_verify_rerun(sl_rundb *db, int64_t run,
                                    sl_run_diff *out);

#ifdef __cplusplus
}
#endif

#endif
