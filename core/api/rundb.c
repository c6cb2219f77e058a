/* core/api/rundb.c — the run database for embedders and for the
 * `spikelab` history commands (include/spikelab/rundb.h): argument
 * checks, the handle's message and the lifetimes of what it hands out.
 * Every query and write is db/'s (db/query.c reads, db/db.c writes): no
 * SQL here, so the rules of db/db.h (format, schema version, migration,
 * reaping of dead runs on read-write opens) hold for every caller. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/rundb.h"
#include "db/db.h"

struct sl_rundb {
    sl__db *db;        /* NULL when the open failed */
    char *path;
    int readonly;      /* opened SL_RUNDB_READONLY */
    int in_read;       /* sl_rundb_read_begin began a transaction */
    sl__err err;
    sl_run_info run;   /* sl_rundb_run's answer; its strings are copies
                          owned here (no statement, hence no read
                          transaction, stays open between calls) */
    void *blob;        /* sl_rundb_artifact's answer */
    char diff[512];    /* sl_run_diff.first */
};

struct sl_run_iter {
    sl_rundb *db;
    sl__db_runs *rows;
    sl_run_info info;
    int status;        /* SL_OK, or the error that ended the listing */
};

/* The string members of sl_run_info, for copying and freeing. */
#define INFO_STRINGS(X)                                                       \
    X(name) X(status) X(error) X(config_path) X(config_text)                  \
    X(config_effective) X(config_hash) X(overrides) X(host) X(core_version)   \
    X(note) X(tags)

static void free_info_strings(sl_run_info *r)
{
#define FREE_ONE(f) free((char *)r->f);
    INFO_STRINGS(FREE_ONE)
#undef FREE_ONE
    memset(r, 0, sizeof *r);
}

/* ---- open / close ------------------------------------------------------- */

int sl_rundb_open(const char *path, unsigned flags, sl_rundb **out)
{
    if (!out)
        return SL_EINVAL;
    sl_rundb *db = calloc(1, sizeof *db);
    *out = db;
    if (!db)
        return SL_ENOMEM;
    sl__err_clear(&db->err);
    if (!path || !*path) {
        db->path = strdup("(no path)");
        return sl__fail(&db->err, SL_EINVAL, "run database: empty path");
    }
    if (!(db->path = strdup(path)))
        return sl__fail(&db->err, SL_ENOMEM, "%s: out of memory", path);
    if (flags & ~(unsigned)(SL_RUNDB_READONLY | SL_RUNDB_CREATE))
        return sl__fail(&db->err, SL_EINVAL, "%s: unknown flags 0x%x", path,
                        flags);
    if ((flags & SL_RUNDB_READONLY) && (flags & SL_RUNDB_CREATE))
        return sl__fail(&db->err, SL_EINVAL, "%s: SL_RUNDB_READONLY and "
                        "SL_RUNDB_CREATE exclude each other", path);
    db->readonly = (flags & SL_RUNDB_READONLY) != 0;
    unsigned f = (flags & SL_RUNDB_READONLY) ? SL__DB_READONLY
                 : (flags & SL_RUNDB_CREATE) ? 0u : SL__DB_MUST_EXIST;
    return sl__db_open_ex(path, f, &db->db, &db->err);
}

void sl_rundb_close(sl_rundb *db)
{
    if (!db)
        return;
    if (db->in_read)
        sl__db_read_end(db->db);
    free_info_strings(&db->run);
    free(db->blob);
    sl__db_close(db->db);
    free(db->path);
    free(db);
}

const char *sl_rundb_errmsg(const sl_rundb *db)
{
    return db ? db->err.msg : "out of memory";
}

const char *sl_rundb_notice(const sl_rundb *db)
{
    return db && db->db ? sl__db_notice(db->db) : "";
}

const char *sl_rundb_path(const sl_rundb *db)
{
    return db ? db->path : NULL;
}

const char *sl_rundb_default_path(const char *explicit_path)
{
    return sl__db_default_path(explicit_path);
}

/* Every call starts here: a usable handle, the message cleared. */
static int ready(sl_rundb *db)
{
    if (!db)
        return SL_EINVAL;
    sl__err_clear(&db->err);
    if (!db->db)
        return sl__fail(&db->err, SL_EINVAL, "%s: the run database is not "
                        "open (sl_rundb_open failed)", db->path);
    return SL_OK;
}

/* ready() for a write. */
static int writable(sl_rundb *db, const char *fn)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (db->readonly)
        return sl__fail(&db->err, SL_EINVAL, "%s: %s: the database is "
                        "opened read-only (SL_RUNDB_READONLY)", db->path, fn);
    if (db->in_read)
        return sl__fail(&db->err, SL_EINVAL, "%s: %s: inside "
                        "sl_rundb_read_begin (end the read first)", db->path,
                        fn);
    return SL_OK;
}

int sl_rundb_read_begin(sl_rundb *db)
{
    int rc = ready(db);
    if (rc)
        return rc;
    int began = 0;
    if ((rc = sl__db_read_begin(db->db, &began, &db->err)))
        return rc;
    if (!began)
        return sl__fail(&db->err, SL_EINVAL, "%s: a read is already under "
                        "way", db->path);
    db->in_read = 1;
    return SL_OK;
}

int sl_rundb_read_end(sl_rundb *db)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!db->in_read)
        return sl__fail(&db->err, SL_EINVAL, "%s: sl_rundb_read_end without "
                        "sl_rundb_read_begin", db->path);
    sl__db_read_end(db->db);
    db->in_read = 0;
    return SL_OK;
}

/* ---- listing ------------------------------------------------------------ */

int sl_run_filter_check(const sl_run_filter *f, char *msg, size_t size)
{
    sl__err err;
    sl__err_clear(&err);
    int rc = sl__db_filter_check(f, &err);
    if (msg && size)
        snprintf(msg, size, "%s", rc ? err.msg : "");
    return rc;
}

int sl_rundb_runs(sl_rundb *db, const sl_run_filter *f, sl_run_iter **out)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!out)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_runs: no output "
                        "handle");
    *out = NULL;
    sl_run_iter *it = calloc(1, sizeof *it);
    if (!it)
        return sl__fail(&db->err, SL_ENOMEM, "out of memory");
    it->db = db;
    if ((rc = sl__db_runs_open(db->db, f, &it->rows, &db->err))) {
        free(it);
        return rc;
    }
    *out = it;
    return SL_OK;
}

const sl_run_info *sl_run_next(sl_run_iter *it)
{
    if (!it || it->status)
        return NULL;
    int rc = sl__db_runs_next(it->rows, &it->info, &it->db->err);
    if (rc == 1)
        return &it->info;
    it->status = rc;
    return NULL;
}

int sl_run_iter_free(sl_run_iter *it)
{
    if (!it)
        return SL_OK;
    int rc = it->status;
    sl__db_runs_close(it->rows);
    free(it);
    return rc;
}

size_t sl_run_iter_n_keys(const sl_run_iter *it)
{
    return it ? sl__db_runs_n_keys(it->rows) : 0;
}

const char *sl_run_iter_key(const sl_run_iter *it, size_t i)
{
    return it ? sl__db_runs_key(it->rows, i) : NULL;
}

int sl_run_iter_value(const sl_run_iter *it, size_t i, double *num,
                      const char **text)
{
    if (!it) {
        if (text)
            *text = NULL;
        return SL_RUN_VALUE_NONE;
    }
    return sl__db_runs_value(it->rows, i, num, text);
}

/* ---- one run ------------------------------------------------------------ */

/* Keep a copy of the run in db->run. */
static int keep_run(void *user, const sl_run_info *r)
{
    sl_rundb *db = user;
    sl_run_info c = *r;
    memset(&db->run, 0, sizeof db->run);
    int oom = 0;
#define DUP_ONE(f)                                                            \
    if (r->f && !(c.f = strdup(r->f)))                                        \
        oom = 1;                                                              \
    else if (!r->f)                                                           \
        c.f = NULL;
    INFO_STRINGS(DUP_ONE)
#undef DUP_ONE
    if (oom) {
        /* free what was copied, forget the borrowed rest */
#define UNDO_ONE(f)                                                           \
    if (c.f != r->f)                                                          \
        free((char *)c.f);
        INFO_STRINGS(UNDO_ONE)
#undef UNDO_ONE
        return sl__fail(&db->err, SL_ENOMEM, "out of memory");
    }
    db->run = c;
    return SL_OK;
}

int sl_rundb_run(sl_rundb *db, int64_t id, const sl_run_info **out)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!out)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_run: no output");
    *out = NULL;
    free_info_strings(&db->run);
    if ((rc = sl__db_run_get(db->db, id, keep_run, db, &db->err)))
        return rc;
    *out = &db->run;
    return SL_OK;
}

int sl_rundb_last(sl_rundb *db, int64_t *id)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!id)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_last: no output");
    return sl__db_last_run(db->db, id, &db->err);
}

/* ---- a run's rows ----------------------------------------------------------- */

/* ready() and a callback. */
#define READER(fn)                                                            \
    int rc = ready(db);                                                       \
    if (rc)                                                                   \
        return rc;                                                            \
    if (!cb)                                                                  \
        return sl__fail(&db->err, SL_EINVAL, fn ": no callback");

int sl_rundb_metrics(sl_rundb *db, int64_t run, const char *name,
                     int (*cb)(void *user, const char *name, int64_t step,
                               double value, double wall_time),
                     void *user)
{
    READER("sl_rundb_metrics")
    return sl__db_metrics(db->db, run, name, cb, user, &db->err);
}

int sl_rundb_final_metrics(sl_rundb *db, int64_t run,
                           int (*cb)(void *user, const char *name,
                                     int64_t step, double value),
                           void *user)
{
    READER("sl_rundb_final_metrics")
    return sl__db_final_metrics(db->db, run, cb, user, &db->err);
}

int sl_rundb_results(sl_rundb *db, int64_t run,
                     int (*cb)(void *user, const char *name, double value,
                               const char *text),
                     void *user)
{
    READER("sl_rundb_results")
    return sl__db_results(db->db, run, cb, user, &db->err);
}

int sl_rundb_params(sl_rundb *db, int64_t run,
                    int (*cb)(void *user, const char *key, const char *alias,
                              const char *type, const char *text, double num),
                    void *user)
{
    READER("sl_rundb_params")
    return sl__db_params(db->db, run, cb, user, &db->err);
}

int sl_rundb_artifacts(sl_rundb *db, int64_t run,
                       int (*cb)(void *user, const sl_artifact_info *a),
                       void *user)
{
    READER("sl_rundb_artifacts")
    return sl__db_artifacts(db->db, run, cb, user, &db->err);
}

int sl_rundb_tags(sl_rundb *db, int64_t run,
                  int (*cb)(void *user, const char *tag), void *user)
{
    READER("sl_rundb_tags")
    return sl__db_tags(db->db, run, cb, user, &db->err);
}

int sl_rundb_plugins(sl_rundb *db, int64_t run,
                     int (*cb)(void *user, const char *name,
                               const char *version, const char *abi,
                               const char *path, const char *sha256),
                     void *user)
{
    READER("sl_rundb_plugins")
    return sl__db_plugins(db->db, run, cb, user, &db->err);
}

int sl_rundb_env(sl_rundb *db, int64_t run,
                 int (*cb)(void *user, const char *key, const char *value),
                 void *user)
{
    READER("sl_rundb_env")
    return sl__db_env(db->db, run, cb, user, &db->err);
}

int sl_rundb_artifact(sl_rundb *db, int64_t run, const char *name,
                      const void **data, size_t *size)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!name || !data || !size)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_artifact: NULL "
                        "argument");
    *data = NULL;
    *size = 0;
    free(db->blob);
    db->blob = NULL;
    if ((rc = sl__db_artifact_read(db->db, run, name, &db->blob, size,
                                   &db->err)))
        return rc;
    *data = db->blob;
    return SL_OK;
}

/* ---- sweeps and merging ---------------------------------------------------- */

int sl_rundb_sweep_record(sl_rundb *db, const sl_sweep_info *sw, int *created)
{
    int rc = writable(db, "sl_rundb_sweep_record");
    if (rc)
        return rc;
    if (!sw || sw->struct_size < sizeof *sw || !sw->id || !*sw->id ||
        !sw->spec || !sw->points)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_sweep_record: NULL "
                        "or incomplete sweep");
    return sl__db_sweep_put(db->db, sw, created, &db->err);
}

int sl_rundb_sweeps(sl_rundb *db, const char *id,
                    int (*cb)(void *user, const sl_sweep_info *sw),
                    void *user)
{
    READER("sl_rundb_sweeps")
    return sl__db_sweeps(db->db, id, cb, user, &db->err);
}

int sl_rundb_merge(sl_rundb *db, const char *src_path, int64_t *n_added,
                   int64_t *n_present)
{
    int64_t a, p;
    int rc = writable(db, "sl_rundb_merge");
    if (rc)
        return rc;
    if (!src_path || !*src_path)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_merge: no file");
    rc = sl__db_merge(db->db, src_path, &a, &p, &db->err);
    if (n_added)
        *n_added = a;
    if (n_present)
        *n_present = p;
    return rc;
}

/* ---- curating ------------------------------------------------------------- */

int sl_rundb_tag(sl_rundb *db, int64_t run, const char *tag)
{
    int rc = writable(db, "sl_rundb_tag");
    return rc ? rc : sl__db_tag(db->db, run, tag, 1, &db->err);
}

int sl_rundb_untag(sl_rundb *db, int64_t run, const char *tag)
{
    int rc = writable(db, "sl_rundb_untag");
    return rc ? rc : sl__db_tag(db->db, run, tag, 0, &db->err);
}

int sl_rundb_set_note(sl_rundb *db, int64_t run, const char *text)
{
    int rc = writable(db, "sl_rundb_set_note");
    return rc ? rc : sl__db_note(db->db, run, text, 0, &db->err);
}

int sl_rundb_append_note(sl_rundb *db, int64_t run, const char *text)
{
    int rc = writable(db, "sl_rundb_append_note");
    return rc ? rc : sl__db_note(db->db, run, text, 1, &db->err);
}

int sl_rundb_remove(sl_rundb *db, const int64_t *runs, size_t n,
                    unsigned flags)
{
    int rc = writable(db, "sl_rundb_remove");
    if (rc)
        return rc;
    if (flags & ~(unsigned)SL_RUNDB_REMOVE_RUNNING)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_remove: unknown "
                        "flags 0x%x", flags);
    return sl__db_run_delete(db->db, runs, n,
                             (flags & SL_RUNDB_REMOVE_RUNNING) != 0,
                             &db->err);
}

/* Copy what the caller's struct_size covers. */
static void give_diff(sl_rundb *db, const sl__db_diff *d, sl_run_diff *out)
{
    snprintf(db->diff, sizeof db->diff, "%s", d->first);
    sl_run_diff r = {
        .struct_size = sizeof r,
        .identical = d->identical,
        .n_metrics = d->n_metrics,
        .n_results = d->n_results,
        .n_params = d->n_params,
        .first = db->diff,
    };
    uint32_t n = out->struct_size < sizeof r ? out->struct_size
                                             : (uint32_t)sizeof r;
    memcpy(out, &r, n);
    out->struct_size = n;
}

static int diff_args(sl_rundb *db, const sl_run_diff *out, const char *fn)
{
    if (!out || out->struct_size < sizeof out->struct_size)
        return sl__fail(&db->err, SL_EINVAL, "%s: no sl_run_diff, or its "
                        "struct_size is not set", fn);
    return SL_OK;
}

int sl_rundb_diff(sl_rundb *db, int64_t a, int64_t b, sl_run_diff *out)
{
    int rc = ready(db);
    if (rc || (rc = diff_args(db, out, "sl_rundb_diff")))
        return rc;
    sl__db_diff d;
    if ((rc = sl__db_compare(db->db, a, b, &d, &db->err)))
        return rc;
    give_diff(db, &d, out);
    return SL_OK;
}

int sl_rundb_verify_rerun(sl_rundb *db, int64_t run, sl_run_diff *out)
{
    int rc = writable(db, "sl_rundb_verify_rerun");
    if (rc || (rc = diff_args(db, out, "sl_rundb_verify_rerun")))
        return rc;
    int64_t parent = 0;
    if ((rc = sl__db_run_parent(db->db, run, &parent, &db->err)))
        return rc;
    if (parent <= 0)
        return sl__fail(&db->err, SL_EINVAL, "%s: run %lld re-runs no "
                        "recorded run", db->path, (long long)run);
    sl__db_diff d;
    if ((rc = sl__db_compare(db->db, parent, run, &d, &db->err)) ||
        (rc = sl__db_set_reproduced(db->db, run, d.identical, &db->err)))
        return rc;
    give_diff(db, &d, out);
    return SL_OK;
}
