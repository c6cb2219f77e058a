/* core/api/rundb.c — the read side of the run database for embedders
 * (include/spikelab/rundb.h): open, list runs through the filters of
 * `spikelab runs` (db/filter.h builds the parameterised SQL: no caller
 * text ever becomes SQL text), read one run's rows.
 *
 * The schema is the one db/db.h documents; this file only reads it, over
 * the connection sl__db_open_ex made (so the same checks apply: format,
 * schema version, migration, reaping of dead runs on read-write opens). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "spikelab/rundb.h"
#include "db/db.h"
#include "db/filter.h"
#include "util/util.h"

struct sl_rundb {
    sl__db *db;        /* NULL when the open failed */
    sqlite3 *h;
    char *path;
    sl__err err;
    sl_run_info run;   /* sl_rundb_run's answer; its strings are copies
                          owned here (no statement, hence no read
                          transaction, stays open between calls) */
    void *blob;        /* sl_rundb_artifact's answer */
};

struct sl_run_iter {
    sl_rundb *db;
    sqlite3_stmt *stmt;
    sl__cond conds[64];
    size_t n_conds;
    sl_run_info info;
    int status;        /* SL_OK, or the error that ended the listing */
    int in_txn;        /* a read transaction for one snapshot */
};

/* Columns of a run row, in the order of the enum. The tags are the run's
 * sorted tags joined by spaces (tags hold no control characters, but may
 * hold spaces: use the tags table for exact splits). */
#define RUN_COLUMNS                                                           \
    "runs.id, runs.name, runs.status, runs.error, runs.seed,"                \
    " runs.started_at, runs.ended_at, runs.heartbeat_at, runs.config_path,"  \
    " runs.config_text, runs.config_effective, runs.config_hash,"            \
    " runs.overrides, runs.host, runs.pid, runs.core_version,"               \
    " runs.parent_id, runs.reproduced, runs.note,"                           \
    " coalesce((SELECT group_concat(tag, ' ') FROM (SELECT tag FROM tags"    \
    "   WHERE tags.run_id = runs.id ORDER BY tag)), '')"
enum {
    C_ID, C_NAME, C_STATUS, C_ERROR, C_SEED, C_STARTED, C_ENDED,
    C_HEARTBEAT, C_CONFIG_PATH, C_CONFIG_TEXT, C_CONFIG_EFFECTIVE,
    C_CONFIG_HASH, C_OVERRIDES, C_HOST, C_PID, C_CORE_VERSION, C_PARENT,
    C_REPRODUCED, C_NOTE, C_TAGS
};

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

/* NULL (no value, or a NaN stored as NULL) reads as NaN */
static double col_double(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL
               ? NAN : sqlite3_column_double(s, i);
}

static void fill_info(sl_run_info *r, sqlite3_stmt *s)
{
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    r->id = sqlite3_column_int64(s, C_ID);
    r->name = col_text(s, C_NAME);
    r->status = col_text(s, C_STATUS);
    r->error = col_text(s, C_ERROR);
    r->seed = sqlite3_column_int64(s, C_SEED);
    r->started_at = col_double(s, C_STARTED);
    r->ended_at = col_double(s, C_ENDED);
    r->heartbeat_at = col_double(s, C_HEARTBEAT);
    r->config_path = col_text(s, C_CONFIG_PATH);
    r->config_text = col_text(s, C_CONFIG_TEXT);
    r->config_effective = col_text(s, C_CONFIG_EFFECTIVE);
    r->config_hash = col_text(s, C_CONFIG_HASH);
    r->overrides = col_text(s, C_OVERRIDES);
    r->host = col_text(s, C_HOST);
    r->pid = sqlite3_column_int64(s, C_PID);
    r->core_version = col_text(s, C_CORE_VERSION);
    r->parent_id = sqlite3_column_int64(s, C_PARENT);
    r->reproduced = sqlite3_column_type(s, C_REPRODUCED) == SQLITE_NULL
                        ? -1 : sqlite3_column_int(s, C_REPRODUCED) != 0;
    r->note = col_text(s, C_NOTE);
    r->tags = col_text(s, C_TAGS);
}

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

/* Replace every string of r by an owned copy; SL_ENOMEM leaves r empty. */
static int own_info_strings(sl_run_info *r)
{
    int oom = 0;
#define DUP_ONE(f)                                                            \
    if (r->f && !(r->f = strdup(r->f)))                                       \
        oom = 1;
    INFO_STRINGS(DUP_ONE)
#undef DUP_ONE
    if (oom) /* the fields not copied are NULL now or still borrowed: */
        return SL_ENOMEM; /* the caller frees only after a full copy */
    return SL_OK;
}

static int db_fail(sl_rundb *db, int code, const char *what)
{
    return sl__fail(&db->err, code, "%s: %s: %s", db->path, what,
                    sqlite3_errmsg(db->h));
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
    unsigned f = (flags & SL_RUNDB_READONLY) ? SL__DB_READONLY
                 : (flags & SL_RUNDB_CREATE) ? 0u : SL__DB_MUST_EXIST;
    int rc = sl__db_open_ex(path, f, &db->db, &db->err);
    if (rc)
        return rc;
    db->h = sl__db_sqlite(db->db);
    return SL_OK;
}

void sl_rundb_close(sl_rundb *db)
{
    if (!db)
        return;
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

const char *sl_rundb_path(const sl_rundb *db)
{
    return db ? db->path : NULL;
}

const char *sl_rundb_default_path(const char *explicit_path)
{
    return sl__db_default_path(explicit_path);
}

/* Every reader starts here: a usable handle, the message cleared. */
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

/* ---- listing ------------------------------------------------------------ */

static const char *const statuses[] = {"running", "finished", "failed",
                                       "interrupted"};

/* Builtin sort keys: name → SQL (constant). */
static const struct {
    const char *key, *sql;
} builtin_sort[] = {
    {"id", "runs.id"},
    {"started", "runs.started_at"},
    {"ended", "runs.ended_at"},
    {"duration",
     "coalesce(runs.ended_at, runs.heartbeat_at) - runs.started_at"},
    {"name", "runs.name"},
    {"status", "runs.status"},
    {"seed", "runs.seed"},
};

/* The query of f (conditions parsed into it->conds, which must outlive the
 * statement's preparation). SL_OK or SL_EINVAL with the message. */
static int build_query(sl_run_iter *it, const sl_run_filter *f, sl__sql *q,
                       sl__err *err)
{
    const char *status = NULL, *name = NULL, *since_text = NULL,
               *sort = NULL;
    const char *const *tags = NULL, *const *where = NULL;
    size_t n_tags = 0, n_where = 0;
    int64_t limit = 0;
    if (f) {
        if (f->struct_size < sizeof f->struct_size)
            return sl__fail(err, SL_EINVAL, "sl_run_filter: struct_size not "
                            "set");
#define GET(field, var)                                                       \
    if (SL_HAS_FIELD(sl_run_filter, f, field))                                \
        var = f->field;
        GET(status, status) GET(name, name) GET(since, since_text)
        GET(tags, tags) GET(n_tags, n_tags) GET(where, where)
        GET(n_where, n_where) GET(sort, sort) GET(limit, limit)
#undef GET
    }
    if ((n_tags && !tags) || (n_where && !where))
        return sl__fail(err, SL_EINVAL, "sl_run_filter: %s is NULL with a "
                        "count > 0", n_tags && !tags ? "tags" : "where");
    if (n_where > sizeof it->conds / sizeof *it->conds)
        return sl__fail(err, SL_EINVAL, "at most %zu where conditions",
                        sizeof it->conds / sizeof *it->conds);
    for (size_t i = 0; i < n_where; i++) {
        if (!where[i])
            return sl__fail(err, SL_EINVAL, "where[%zu] is NULL", i);
        int rc = sl__cond_parse(where[i], &it->conds[i], err);
        if (rc)
            return rc;
        it->n_conds = i + 1;
    }
    double since = 0;
    if (since_text) {
        int rc = sl__parse_since(since_text, sl__wall_time(), &since, err);
        if (rc)
            return rc;
    }
    const char *sort_sql = NULL, *sort_key = NULL;
    sl__ns sort_ns = SL__NS_ANY;
    int desc = 0;
    if (sort) {
        const char *k = sort;
        if (*k == '-') {
            desc = 1;
            k++;
        }
        for (size_t i = 0; i < sizeof builtin_sort / sizeof *builtin_sort; i++)
            if (strcmp(k, builtin_sort[i].key) == 0)
                sort_sql = builtin_sort[i].sql;
        if (!sort_sql && *k && !(sort_key = sl__key_ns(k, &sort_ns, err)))
            return err->code ? err->code : SL_EINVAL;
        if (!sort_sql && (!sort_key || !*sort_key))
            return sl__fail(err, SL_EINVAL, "sort needs a key");
    }

    sl__sql_add(q, "SELECT " RUN_COLUMNS " FROM runs WHERE 1");
    if (status) {
        sl__sql_add(q, " AND runs.status IN (");
        const char *p = status;
        int n = 0;
        while (*p) {
            size_t len = strcspn(p, ",");
            int known = -1;
            for (int s = 0; s < 4; s++)
                if (strlen(statuses[s]) == len &&
                    strncmp(p, statuses[s], len) == 0)
                    known = s;
            if (known < 0)
                return sl__fail(err, SL_EINVAL, "status: '%.*s' is not a "
                                "status (running, finished, failed, "
                                "interrupted)", (int)len, p);
            sl__sql_add(q, n++ ? ", " : "");
            sl__sql_ref(q, sl__sql_param_text(q, statuses[known]));
            p += len + (p[len] == ',');
        }
        if (n == 0)
            return sl__fail(err, SL_EINVAL, "status: empty list");
        sl__sql_add(q, ")");
    }
    if (name) {
        sl__sql_add(q, " AND runs.name GLOB ");
        sl__sql_ref(q, sl__sql_param_text(q, name));
    }
    if (since_text) {
        sl__sql_add(q, " AND runs.started_at >= ");
        sl__sql_ref(q, sl__sql_param_double(q, since));
    }
    for (size_t i = 0; i < n_tags; i++) {
        if (!tags[i])
            return sl__fail(err, SL_EINVAL, "tags[%zu] is NULL", i);
        sl__sql_add(q, " AND EXISTS (SELECT 1 FROM tags t WHERE"
                       " t.run_id = runs.id AND t.tag = ");
        sl__sql_ref(q, sl__sql_param_text(q, tags[i]));
        sl__sql_add(q, ")");
    }
    for (size_t i = 0; i < it->n_conds; i++) {
        sl__sql_add(q, " AND ");
        sl__cond_sql(q, &it->conds[i]);
    }
    sl__sql_add(q, " ORDER BY ");
    if (sort_sql || sort_key) {
        /* runs without the key last, whatever the direction */
        for (int pass = 0; pass < 2; pass++) {
            sl__sql_add(q, pass ? ", " : "(");
            if (sort_sql)
                sl__sql_add(q, sort_sql);
            else
                sl__key_value_sql(q, sort_key, sort_ns);
            sl__sql_add(q, pass ? (desc ? " DESC" : " ASC") : ") IS NULL");
        }
        sl__sql_add(q, ", ");
    }
    sl__sql_add(q, "runs.id DESC LIMIT ");
    sl__sql_ref(q, sl__sql_param_int(q, limit > 0 ? limit : -1));
    return SL_OK;
}

static void iter_release(sl_run_iter *it)
{
    sqlite3_finalize(it->stmt);
    it->stmt = NULL;
    if (it->in_txn)
        sqlite3_exec(it->db->h, "COMMIT", NULL, NULL, NULL);
    it->in_txn = 0;
    for (size_t i = 0; i < it->n_conds; i++)
        sl__cond_free(&it->conds[i]);
    it->n_conds = 0;
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
    sl__sql q = {0};
    rc = build_query(it, f, &q, &db->err);
    if (!rc && q.oom)
        rc = sl__fail(&db->err, SL_ENOMEM, "out of memory");
    /* one snapshot for the whole listing, even while others record;
     * a handle already inside a transaction (none of ours) keeps it */
    if (!rc && sqlite3_get_autocommit(db->h) &&
        sqlite3_exec(db->h, "BEGIN", NULL, NULL, NULL) == SQLITE_OK)
        it->in_txn = 1;
    if (!rc) {
        int src = sl__sql_prepare(&q, db->h, &it->stmt);
        if (src == SQLITE_NOMEM)
            rc = sl__fail(&db->err, SL_ENOMEM, "out of memory");
        else if (src != SQLITE_OK)
            rc = db_fail(db, SL_EDB, "listing runs");
    }
    sl__sql_free(&q);
    if (rc) {
        iter_release(it);
        free(it);
        return rc;
    }
    *out = it;
    return SL_OK;
}

const sl_run_info *sl_run_next(sl_run_iter *it)
{
    if (!it || !it->stmt)
        return NULL;
    int src = sqlite3_step(it->stmt);
    if (src == SQLITE_ROW) {
        fill_info(&it->info, it->stmt);
        return &it->info;
    }
    if (src != SQLITE_DONE)
        it->status = db_fail(it->db, SL_EDB, "listing runs");
    iter_release(it);
    return NULL;
}

int sl_run_iter_free(sl_run_iter *it)
{
    if (!it)
        return SL_OK;
    int rc = it->status;
    iter_release(it);
    free(it);
    return rc;
}

/* ---- one run ------------------------------------------------------------ */

int sl_rundb_run(sl_rundb *db, int64_t id, const sl_run_info **out)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!out)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_run: no output");
    *out = NULL;
    free_info_strings(&db->run);
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->h, "SELECT " RUN_COLUMNS
                           " FROM runs WHERE runs.id = ?1", -1, &s,
                           NULL) != SQLITE_OK)
        return db_fail(db, SL_EDB, "reading a run");
    sqlite3_bind_int64(s, 1, id);
    int src = sqlite3_step(s);
    if (src == SQLITE_DONE) {
        rc = sl__fail(&db->err, SL_ENOTFOUND, "%s: no run %lld", db->path,
                      (long long)id);
    } else if (src != SQLITE_ROW) {
        rc = db_fail(db, SL_EDB, "reading a run");
    } else {
        sl_run_info tmp;
        fill_info(&tmp, s);
        db->run = tmp;
        if (own_info_strings(&db->run)) {
            /* free what was copied, forget what was not */
#define UNDO_ONE(f)                                                           \
    if (db->run.f != tmp.f)                                                   \
        free((char *)db->run.f);
            INFO_STRINGS(UNDO_ONE)
#undef UNDO_ONE
            memset(&db->run, 0, sizeof db->run);
            rc = sl__fail(&db->err, SL_ENOMEM, "out of memory");
        } else {
            *out = &db->run;
        }
    }
    sqlite3_finalize(s);
    return rc;
}

int sl_rundb_last(sl_rundb *db, int64_t *id)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!id)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_last: no output");
    *id = 0;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->h, "SELECT max(id) FROM runs", -1, &s,
                           NULL) != SQLITE_OK)
        return db_fail(db, SL_EDB, "finding the last run");
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        *id = sqlite3_column_int64(s, 0);
    else if (src == SQLITE_ROW)
        rc = sl__fail(&db->err, SL_ENOTFOUND, "%s: no runs recorded",
                      db->path);
    else
        rc = db_fail(db, SL_EDB, "finding the last run");
    sqlite3_finalize(s);
    return rc;
}

/* Prepare sql (whose ?1 is the run) after checking that the run exists. */
static int run_query(sl_rundb *db, int64_t run, const char *sql,
                     sqlite3_stmt **out)
{
    *out = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->h, "SELECT 1 FROM runs WHERE id = ?1", -1, &s,
                           NULL) != SQLITE_OK)
        return db_fail(db, SL_EDB, "reading a run");
    sqlite3_bind_int64(s, 1, run);
    int src = sqlite3_step(s);
    sqlite3_finalize(s);
    if (src == SQLITE_DONE)
        return sl__fail(&db->err, SL_ENOTFOUND, "%s: no run %lld", db->path,
                        (long long)run);
    if (src != SQLITE_ROW)
        return db_fail(db, SL_EDB, "reading a run");
    if (sqlite3_prepare_v2(db->h, sql, -1, out, NULL) != SQLITE_OK)
        return db_fail(db, SL_EDB, "reading a run");
    sqlite3_bind_int64(*out, 1, run);
    return SL_OK;
}

/* The end of a row loop: SL_OK at the end, the callback's value, or the
 * database's error. */
static int rows_end(sl_rundb *db, sqlite3_stmt *s, int src, int cb_rc)
{
    int rc = cb_rc ? cb_rc
             : src == SQLITE_DONE ? SL_OK
                                  : db_fail(db, SL_EDB, "reading a run");
    sqlite3_finalize(s);
    return rc;
}

int sl_rundb_metrics(sl_rundb *db, int64_t run, const char *name,
                     int (*cb)(void *user, const char *name, int64_t step,
                               double value, double wall_time),
                     void *user)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!cb)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_metrics: no callback");
    sqlite3_stmt *s;
    if ((rc = run_query(db, run,
                        "SELECT name, step, value, wall_time FROM metrics"
                        " WHERE run_id = ?1 AND (?2 IS NULL OR name = ?2)"
                        " ORDER BY name, step", &s)))
        return rc;
    if (name)
        sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), sqlite3_column_int64(s, 1),
                 col_double(s, 2), col_double(s, 3));
    return rows_end(db, s, src, crc);
}

int sl_rundb_results(sl_rundb *db, int64_t run,
                     int (*cb)(void *user, const char *name, double value,
                               const char *text),
                     void *user)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!cb)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_results: no callback");
    sqlite3_stmt *s;
    if ((rc = run_query(db, run,
                        "SELECT name, value, text FROM results"
                        " WHERE run_id = ?1 ORDER BY name", &s)))
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), col_double(s, 1), col_text(s, 2));
    return rows_end(db, s, src, crc);
}

int sl_rundb_params(sl_rundb *db, int64_t run,
                    int (*cb)(void *user, const char *key, const char *alias,
                              const char *type, const char *text, double num),
                    void *user)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!cb)
        return sl__fail(&db->err, SL_EINVAL, "sl_rundb_params: no callback");
    sqlite3_stmt *s;
    if ((rc = run_query(db, run,
                        "SELECT key, alias, type, value_text, value_num"
                        " FROM params WHERE run_id = ?1 ORDER BY key", &s)))
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), col_text(s, 1), col_text(s, 2),
                 col_text(s, 3), col_double(s, 4));
    return rows_end(db, s, src, crc);
}

int sl_rundb_artifacts(sl_rundb *db, int64_t run,
                       int (*cb)(void *user, const char *name,
                                 const char *kind, const char *mime,
                                 int64_t size, int in_db),
                       void *user)
{
    int rc = ready(db);
    if (rc)
        return rc;
    if (!cb)
        return sl__fail(&db->err, SL_EINVAL,
                        "sl_rundb_artifacts: no callback");
    sqlite3_stmt *s;
    if ((rc = run_query(db, run,
                        "SELECT name, kind, mime,"
                        " coalesce(size, length(data), -1), data IS NOT NULL"
                        " FROM artifacts WHERE run_id = ?1 ORDER BY name",
                        &s)))
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), col_text(s, 1), col_text(s, 2),
                 sqlite3_column_int64(s, 3), sqlite3_column_int(s, 4));
    return rows_end(db, s, src, crc);
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
    sqlite3_stmt *s;
    if ((rc = run_query(db, run,
                        "SELECT data FROM artifacts"
                        " WHERE run_id = ?1 AND name = ?2", &s)))
        return rc;
    sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        const void *b = sqlite3_column_blob(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        /* a copy: the statement is finalised before we return */
        if (!(db->blob = malloc(n ? n : 1)))
            rc = sl__fail(&db->err, SL_ENOMEM, "out of memory");
        else {
            if (n)
                memcpy(db->blob, b, n);
            *data = db->blob;
            *size = n;
        }
    } else if (src == SQLITE_ROW || src == SQLITE_DONE) {
        rc = sl__fail(&db->err, SL_ENOTFOUND, "%s: run %lld has no "
                      "artifact '%s' stored in the database%s", db->path,
                      (long long)run, name,
                      src == SQLITE_ROW ? " (it is a file path)" : "");
    } else {
        rc = db_fail(db, SL_EDB, "reading an artifact");
    }
    sqlite3_finalize(s);
    return rc;
}
