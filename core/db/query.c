/* core/db/query.c — the read side of the run database (db.h): the
 * listing of `spikelab runs` with its filters, sort keys and the values
 * of those keys (db/filter.h builds the parameterised SQL: no caller text
 * ever becomes SQL text), one run, and one run's rows (metrics, results,
 * params, artifacts, tags, plugins). The schema is the one db.h
 * documents; nothing here writes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "spikelab/abi.h"
#include "db/db.h"
#include "db/filter.h"
#include "db/liveness.h"
#include "util/util.h"

#define MAX_CONDS 64

/* Columns of a run row, in the order of the enum. The tags are the run's
 * sorted tags joined by spaces (sl_run_info.tags). */
#define RUN_COLUMNS                                                           \
    "runs.id, runs.name, runs.status, runs.error, runs.seed,"                \
    " runs.started_at, runs.ended_at, runs.heartbeat_at, runs.config_path,"  \
    " runs.config_text, runs.config_effective, runs.config_hash,"            \
    " runs.overrides, runs.host, runs.pid, runs.core_version,"               \
    " runs.parent_id, runs.reproduced, runs.note,"                           \
    " coalesce((SELECT group_concat(tag, ' ') FROM (SELECT tag FROM tags"    \
    "   WHERE tags.run_id = runs.id ORDER BY tag)), ''), runs.proc_id"
enum {
    C_ID, C_NAME, C_STATUS, C_ERROR, C_SEED, C_STARTED, C_ENDED,
    C_HEARTBEAT, C_CONFIG_PATH, C_CONFIG_TEXT, C_CONFIG_EFFECTIVE,
    C_CONFIG_HASH, C_OVERRIDES, C_HOST, C_PID, C_CORE_VERSION, C_PARENT,
    C_REPRODUCED, C_NOTE, C_TAGS, C_PROC_ID,
    C_KEYS /* first value column of the listing's keys */
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

static int fail(sl__db *db, sl__err *err, const char *what)
{
    sqlite3 *h = sl__db_sqlite(db);
    if (sqlite3_errcode(h) == SQLITE_NOMEM)
        return sl__fail(err, SL_ENOMEM, "%s: out of memory", sl__db_path(db));
    return sl__fail(err, SL_EDB, "%s: %s: %s", sl__db_path(db), what,
                    sqlite3_errmsg(h));
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
    r->process_alive = -1;
    if (r->status && strcmp(r->status, "running") == 0)
        r->process_alive = sl__proc_alive(r->host, r->pid,
                                          col_text(s, C_PROC_ID));
}

/* ---- snapshots ------------------------------------------------------------ */

int sl__db_read_begin(sl__db *db, int *began, sl__err *err)
{
    sqlite3 *h = sl__db_sqlite(db);
    *began = 0;
    if (!sqlite3_get_autocommit(h))
        return SL_OK;
    if (sqlite3_exec(h, "BEGIN", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, err, "starting a read");
    *began = 1;
    return SL_OK;
}

void sl__db_read_end(sl__db *db)
{
    sqlite3 *h = sl__db_sqlite(db);
    if (!sqlite3_get_autocommit(h))
        sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
}

/* ---- the listing ------------------------------------------------------------ */

static const char *const statuses[] = {"running", "finished", "failed",
                                       "interrupted"};

/* Built-in sort keys: name → SQL (constant). */
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

struct sl__db_runs {
    sl__db *db;
    sqlite3_stmt *stmt;
    sl__cond conds[MAX_CONDS];
    size_t n_conds;
    /* the keys looked up (borrowed from conds or the filter's sort) */
    const char *keys[MAX_CONDS + 1];
    sl__ns keys_ns[MAX_CONDS + 1];
    size_t n_keys;
    int own_txn;  /* the listing began the read transaction */
    int has_row;  /* stmt is on a row */
};

/* The filter's members the caller's struct_size covers. */
typedef struct filter_view {
    const char *status, *name, *since, *sort;
    const char *const *tags, *const *where;
    size_t n_tags, n_where;
    int64_t limit;
} filter_view;

static int view_filter(const sl_run_filter *f, filter_view *v, sl__err *err)
{
    memset(v, 0, sizeof *v);
    if (!f)
        return SL_OK;
    if (f->struct_size < sizeof f->struct_size)
        return sl__fail(err, SL_EINVAL, "sl_run_filter: struct_size not set");
#define GET(field)                                                            \
    if (SL_HAS_FIELD(sl_run_filter, f, field))                                \
        v->field = f->field;
    GET(status) GET(name) GET(since) GET(tags) GET(n_tags) GET(where)
    GET(n_where) GET(sort) GET(limit)
#undef GET
    if ((v->n_tags && !v->tags) || (v->n_where && !v->where))
        return sl__fail(err, SL_EINVAL, "sl_run_filter: %s is NULL with a "
                        "count > 0", v->n_tags && !v->tags ? "tags" : "where");
    if (v->n_where > MAX_CONDS)
        return sl__fail(err, SL_EINVAL, "at most %d --where conditions",
                        MAX_CONDS);
    for (size_t i = 0; i < v->n_where; i++)
        if (!v->where[i])
            return sl__fail(err, SL_EINVAL, "sl_run_filter: where[%zu] is "
                            "NULL", i);
    for (size_t i = 0; i < v->n_tags; i++)
        if (!v->tags[i])
            return sl__fail(err, SL_EINVAL, "sl_run_filter: tags[%zu] is "
                            "NULL", i);
    return SL_OK;
}

/* The query of f; the messages are those of `spikelab runs` (the command
 * adds only its name). The parsed conditions go to it->conds, which must
 * outlive the statement's preparation; q NULL: check only. */
static int build_query(sl__db_runs *it, const filter_view *f, sl__sql *q,
                       sl__err *err)
{
    for (size_t i = 0; i < f->n_where; i++) {
        sl__err e;
        sl__err_clear(&e);
        int rc = sl__cond_parse(f->where[i], &it->conds[i], &e);
        if (rc)
            return sl__fail(err, rc, "--where: %s", e.msg);
        it->n_conds = i + 1;
    }
    double since = 0;
    if (f->since) {
        int rc = sl__parse_since(f->since, sl__wall_time(), &since, err);
        if (rc)
            return rc;
    }
    const char *sort_sql = NULL, *sort_key = NULL;
    sl__ns sort_ns = SL__NS_ANY;
    int desc = 0;
    if (f->sort) {
        const char *k = f->sort;
        if (*k == '-') {
            desc = 1;
            k++;
        }
        if (!*k)
            return sl__fail(err, SL_EINVAL, "--sort needs a key");
        for (size_t i = 0; i < sizeof builtin_sort / sizeof *builtin_sort; i++)
            if (strcmp(k, builtin_sort[i].key) == 0)
                sort_sql = builtin_sort[i].sql;
        if (!sort_sql) {
            sl__err e;
            sl__err_clear(&e);
            if (!(sort_key = sl__key_ns(k, &sort_ns, &e)))
                return sl__fail(err, SL_EINVAL, "--sort: %s", e.msg);
            if (!*sort_key)
                return sl__fail(err, SL_EINVAL, "--sort needs a key");
        }
    }
    /* the keys: each distinct --where key, then the sort key */
    it->n_keys = 0;
    for (size_t i = 0; i <= it->n_conds; i++) {
        const char *k = i < it->n_conds ? it->conds[i].key : sort_key;
        sl__ns ns = i < it->n_conds ? it->conds[i].ns : sort_ns;
        int dup = !k;
        for (size_t j = 0; j < it->n_keys && !dup; j++)
            dup = strcmp(it->keys[j], k) == 0 && it->keys_ns[j] == ns;
        if (!dup) {
            it->keys[it->n_keys] = k;
            it->keys_ns[it->n_keys++] = ns;
        }
    }
    if (f->status) {
        const char *p = f->status;
        int n = 0;
        while (*p) {
            size_t len = strcspn(p, ",");
            int known = -1;
            for (int s = 0; s < 4; s++)
                if (strlen(statuses[s]) == len &&
                    strncmp(p, statuses[s], len) == 0)
                    known = s;
            if (known < 0)
                return sl__fail(err, SL_EINVAL, "--status: '%.*s' is not a "
                                "status (running, finished, failed, "
                                "interrupted)", (int)len, p);
            n++;
            p += len + (p[len] == ',');
        }
        if (n == 0)
            return sl__fail(err, SL_EINVAL, "--status needs a status");
    }
    if (!q)
        return SL_OK;

    sl__sql_add(q, "SELECT " RUN_COLUMNS);
    for (size_t i = 0; i < it->n_keys; i++) {
        sl__sql_add(q, ", ");
        sl__key_value_sql(q, it->keys[i], it->keys_ns[i]);
    }
    sl__sql_add(q, " FROM runs WHERE 1");
    if (f->status) {
        sl__sql_add(q, " AND runs.status IN (");
        const char *p = f->status;
        int n = 0;
        while (*p) {
            size_t len = strcspn(p, ",");
            for (int s = 0; s < 4; s++)
                if (strlen(statuses[s]) == len &&
                    strncmp(p, statuses[s], len) == 0) {
                    sl__sql_add(q, n++ ? ", " : "");
                    sl__sql_ref(q, sl__sql_param_text(q, statuses[s]));
                }
            p += len + (p[len] == ',');
        }
        sl__sql_add(q, ")");
    }
    if (f->name) {
        sl__sql_add(q, " AND runs.name GLOB ");
        sl__sql_ref(q, sl__sql_param_text(q, f->name));
    }
    if (f->since) {
        sl__sql_add(q, " AND runs.started_at >= ");
        sl__sql_ref(q, sl__sql_param_double(q, since));
    }
    for (size_t i = 0; i < f->n_tags; i++) {
        sl__sql_add(q, " AND EXISTS (SELECT 1 FROM tags t WHERE"
                       " t.run_id = runs.id AND t.tag = ");
        sl__sql_ref(q, sl__sql_param_text(q, f->tags[i]));
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
    sl__sql_ref(q, sl__sql_param_int(q, f->limit > 0 ? f->limit : -1));
    return SL_OK;
}

static void runs_release(sl__db_runs *it)
{
    sqlite3_finalize(it->stmt);
    it->stmt = NULL;
    it->has_row = 0;
    if (it->own_txn)
        sl__db_read_end(it->db);
    it->own_txn = 0;
}

void sl__db_runs_close(sl__db_runs *it)
{
    if (!it)
        return;
    runs_release(it);
    for (size_t i = 0; i < it->n_conds; i++)
        sl__cond_free(&it->conds[i]);
    free(it);
}

int sl__db_filter_check(const sl_run_filter *f, sl__err *err)
{
    filter_view v;
    int rc = view_filter(f, &v, err);
    if (rc)
        return rc;
    sl__db_runs *it = calloc(1, sizeof *it);
    if (!it)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    rc = build_query(it, &v, NULL, err);
    sl__db_runs_close(it);
    return rc;
}

int sl__db_runs_open(sl__db *db, const sl_run_filter *f, sl__db_runs **out,
                     sl__err *err)
{
    *out = NULL;
    filter_view v;
    int rc = view_filter(f, &v, err);
    if (rc)
        return rc;
    sl__db_runs *it = calloc(1, sizeof *it);
    if (!it)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    it->db = db;
    sl__sql q = {0};
    rc = build_query(it, &v, &q, err);
    if (!rc && q.oom)
        rc = sl__fail(err, SL_ENOMEM, "out of memory");
    /* one snapshot for the whole listing, even while others record */
    if (!rc)
        rc = sl__db_read_begin(db, &it->own_txn, err);
    if (!rc) {
        int src = sl__sql_prepare(&q, sl__db_sqlite(db), &it->stmt);
        if (src == SQLITE_NOMEM)
            rc = sl__fail(err, SL_ENOMEM, "out of memory");
        else if (src != SQLITE_OK)
            rc = fail(db, err, "listing runs");
    }
    sl__sql_free(&q);
    if (rc) {
        sl__db_runs_close(it);
        return rc;
    }
    *out = it;
    return SL_OK;
}

int sl__db_runs_next(sl__db_runs *it, sl_run_info *info, sl__err *err)
{
    if (!it->stmt)
        return 0;
    int src = sqlite3_step(it->stmt);
    if (src == SQLITE_ROW) {
        it->has_row = 1;
        fill_info(info, it->stmt);
        return 1;
    }
    int rc = src == SQLITE_DONE ? 0 : fail(it->db, err, "listing runs");
    runs_release(it);
    return rc;
}

size_t sl__db_runs_n_keys(const sl__db_runs *it)
{
    return it->n_keys;
}

const char *sl__db_runs_key(const sl__db_runs *it, size_t i)
{
    return i < it->n_keys ? it->keys[i] : NULL;
}

int sl__db_runs_value(const sl__db_runs *it, size_t i, double *num,
                      const char **text)
{
    if (num)
        *num = NAN;
    if (text)
        *text = NULL;
    if (i >= it->n_keys || !it->has_row)
        return SL_RUN_VALUE_NONE;
    int col = C_KEYS + (int)i;
    switch (sqlite3_column_type(it->stmt, col)) {
    case SQLITE_NULL:
        return SL_RUN_VALUE_NONE;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
        if (num)
            *num = sqlite3_column_double(it->stmt, col);
        return SL_RUN_VALUE_NUMBER;
    default:
        if (text)
            *text = col_text(it->stmt, col);
        return SL_RUN_VALUE_TEXT;
    }
}

/* ---- one run ---------------------------------------------------------------- */

/* Prepare sql (?1 = the run) after checking that the run exists. */
static int run_query(sl__db *db, int64_t run, const char *sql,
                     sqlite3_stmt **out, sl__err *err)
{
    sqlite3 *h = sl__db_sqlite(db);
    *out = NULL;
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(h, "SELECT 1 FROM runs WHERE id = ?1", -1, &s,
                           NULL) != SQLITE_OK)
        return fail(db, err, "reading a run");
    sqlite3_bind_int64(s, 1, run);
    int src = sqlite3_step(s);
    sqlite3_finalize(s);
    if (src == SQLITE_DONE)
        return sl__fail(err, SL_ENOTFOUND, "%s: no run %lld",
                        sl__db_path(db), (long long)run);
    if (src != SQLITE_ROW)
        return fail(db, err, "reading a run");
    if (sqlite3_prepare_v2(h, sql, -1, out, NULL) != SQLITE_OK)
        return fail(db, err, "reading a run");
    sqlite3_bind_int64(*out, 1, run);
    return SL_OK;
}

/* The end of a row loop: SL_OK at the end, the callback's value, or the
 * database's error. */
static int rows_end(sl__db *db, sqlite3_stmt *s, int src, int cb_rc,
                    sl__err *err)
{
    int rc = cb_rc ? cb_rc
             : src == SQLITE_DONE ? SL_OK
                                  : fail(db, err, "reading a run");
    sqlite3_finalize(s);
    return rc;
}

int sl__db_run_get(sl__db *db, int64_t id,
                   int (*cb)(void *user, const sl_run_info *r), void *user,
                   sl__err *err)
{
    sqlite3_stmt *s;
    int rc = run_query(db, id, "SELECT " RUN_COLUMNS
                       " FROM runs WHERE runs.id = ?1", &s, err);
    if (rc)
        return rc;
    int src = sqlite3_step(s), crc = 0;
    if (src == SQLITE_ROW) {
        sl_run_info r;
        fill_info(&r, s);
        crc = cb(user, &r);
        src = SQLITE_DONE;
    } else if (src == SQLITE_DONE) { /* removed meanwhile */
        sqlite3_finalize(s);
        return sl__fail(err, SL_ENOTFOUND, "%s: no run %lld",
                        sl__db_path(db), (long long)id);
    }
    return rows_end(db, s, src, crc, err);
}

int sl__db_last_run(sl__db *db, int64_t *id, sl__err *err)
{
    sqlite3_stmt *s = NULL;
    *id = 0;
    if (sqlite3_prepare_v2(sl__db_sqlite(db), "SELECT max(id) FROM runs", -1,
                           &s, NULL) != SQLITE_OK)
        return fail(db, err, "finding the last run");
    int rc = SL_OK, src = sqlite3_step(s);
    if (src == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL)
        *id = sqlite3_column_int64(s, 0);
    else if (src == SQLITE_ROW)
        rc = sl__fail(err, SL_ENOTFOUND, "%s: no runs recorded",
                      sl__db_path(db));
    else
        rc = fail(db, err, "finding the last run");
    sqlite3_finalize(s);
    return rc;
}

int sl__db_run_parent(sl__db *db, int64_t run, int64_t *parent,
                      sl__err *err)
{
    sqlite3_stmt *s;
    *parent = 0;
    int rc = run_query(db, run, "SELECT parent_id FROM runs WHERE id = ?1",
                       &s, err);
    if (rc)
        return rc;
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW) {
        *parent = sqlite3_column_int64(s, 0);
        src = SQLITE_DONE;
    }
    return rows_end(db, s, src, 0, err);
}

/* ---- a run's rows ------------------------------------------------------------ */

int sl__db_metrics(sl__db *db, int64_t run, const char *name,
                   int (*cb)(void *user, const char *name, int64_t step,
                             double value, double wall_time),
                   void *user, sl__err *err)
{
    sqlite3_stmt *s;
    int rc = run_query(db, run,
                       "SELECT name, step, value, wall_time FROM metrics"
                       " WHERE run_id = ?1 AND (?2 IS NULL OR name = ?2)"
                       " ORDER BY name, step, rowid", &s, err);
    if (rc)
        return rc;
    if (name)
        sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), sqlite3_column_int64(s, 1),
                 col_double(s, 2), col_double(s, 3));
    return rows_end(db, s, src, crc, err);
}

int sl__db_final_metrics(sl__db *db, int64_t run,
                         int (*cb)(void *user, const char *name,
                                   int64_t step, double value),
                         void *user, sl__err *err)
{
    /* the same choice as a --where on a metric (filter.c): at the highest
     * step, the value recorded last */
    sqlite3_stmt *s;
    int rc = run_query(db, run,
                       "SELECT m.name, m.step, m.value FROM metrics m"
                       " WHERE m.rowid IN (SELECT (SELECT l.rowid"
                       "  FROM metrics l WHERE l.run_id = ?1"
                       "  AND l.name = d.name"
                       "  ORDER BY l.step DESC, l.rowid DESC LIMIT 1)"
                       "  FROM (SELECT DISTINCT name FROM metrics"
                       "   WHERE run_id = ?1) d)"
                       " ORDER BY m.name", &s, err);
    if (rc)
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), sqlite3_column_int64(s, 1),
                 col_double(s, 2));
    return rows_end(db, s, src, crc, err);
}

int sl__db_results(sl__db *db, int64_t run,
                   int (*cb)(void *user, const char *name, double value,
                             const char *text),
                   void *user, sl__err *err)
{
    sqlite3_stmt *s;
    int rc = run_query(db, run,
                       "SELECT name, value, text FROM results"
                       " WHERE run_id = ?1 ORDER BY name", &s, err);
    if (rc)
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), col_double(s, 1), col_text(s, 2));
    return rows_end(db, s, src, crc, err);
}

int sl__db_params(sl__db *db, int64_t run,
                  int (*cb)(void *user, const char *key, const char *alias,
                            const char *type, const char *text, double num),
                  void *user, sl__err *err)
{
    /* rowid: the order they were recorded in, which is the file's */
    sqlite3_stmt *s;
    int rc = run_query(db, run,
                       "SELECT key, alias, type, value_text, value_num"
                       " FROM params WHERE run_id = ?1 ORDER BY rowid", &s,
                       err);
    if (rc)
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), col_text(s, 1), col_text(s, 2),
                 col_text(s, 3), col_double(s, 4));
    return rows_end(db, s, src, crc, err);
}

int sl__db_artifacts(sl__db *db, int64_t run,
                     int (*cb)(void *user, const sl_artifact_info *a),
                     void *user, sl__err *err)
{
    sqlite3_stmt *s;
    int rc = run_query(db, run,
                       "SELECT name, kind, mime,"
                       " coalesce(size, length(data), -1), data IS NOT NULL,"
                       " path, created_at"
                       " FROM artifacts WHERE run_id = ?1 ORDER BY name",
                       &s, err);
    if (rc)
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW) {
        sl_artifact_info a = {
            .struct_size = sizeof a,
            .name = col_text(s, 0),
            .kind = col_text(s, 1),
            .mime = col_text(s, 2),
            .size = sqlite3_column_int64(s, 3),
            .in_db = sqlite3_column_int(s, 4),
            .path = col_text(s, 5),
            .created_at = col_double(s, 6),
        };
        crc = cb(user, &a);
    }
    return rows_end(db, s, src, crc, err);
}

int sl__db_artifact_read(sl__db *db, int64_t run, const char *name,
                         void **data, size_t *size, sl__err *err)
{
    *data = NULL;
    *size = 0;
    sqlite3_stmt *s;
    int rc = run_query(db, run,
                       "SELECT data FROM artifacts"
                       " WHERE run_id = ?1 AND name = ?2", &s, err);
    if (rc)
        return rc;
    sqlite3_bind_text(s, 2, name, -1, SQLITE_TRANSIENT);
    int src = sqlite3_step(s);
    if (src == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        const void *b = sqlite3_column_blob(s, 0);
        size_t n = (size_t)sqlite3_column_bytes(s, 0);
        /* a copy: the statement is finalised before we return */
        if (!(*data = malloc(n ? n : 1))) {
            rc = sl__fail(err, SL_ENOMEM, "out of memory");
        } else {
            if (n)
                memcpy(*data, b, n);
            *size = n;
        }
    } else if (src == SQLITE_ROW || src == SQLITE_DONE) {
        rc = sl__fail(err, SL_ENOTFOUND, "%s: run %lld has no artifact '%s' "
                      "stored in the database%s", sl__db_path(db),
                      (long long)run, name,
                      src == SQLITE_ROW ? " (it is a file path)" : "");
    } else {
        rc = fail(db, err, "reading an artifact");
    }
    sqlite3_finalize(s);
    return rc;
}

int sl__db_tags(sl__db *db, int64_t run,
                int (*cb)(void *user, const char *tag), void *user,
                sl__err *err)
{
    sqlite3_stmt *s;
    int rc = run_query(db, run,
                       "SELECT tag FROM tags WHERE run_id = ?1 ORDER BY tag",
                       &s, err);
    if (rc)
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0));
    return rows_end(db, s, src, crc, err);
}

int sl__db_plugins(sl__db *db, int64_t run,
                   int (*cb)(void *user, const char *name,
                             const char *version, const char *abi,
                             const char *path, const char *sha256),
                   void *user, sl__err *err)
{
    sqlite3_stmt *s;
    int rc = run_query(db, run,
                       "SELECT name, version, abi, path, sha256"
                       " FROM run_plugins WHERE run_id = ?1 ORDER BY rowid",
                       &s, err);
    if (rc)
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), col_text(s, 1), col_text(s, 2),
                 col_text(s, 3), col_text(s, 4));
    return rows_end(db, s, src, crc, err);
}

int sl__db_env(sl__db *db, int64_t run,
               int (*cb)(void *user, const char *key, const char *value),
               void *user, sl__err *err)
{
    sqlite3_stmt *s;
    int rc = run_query(db, run,
                       "SELECT key, value FROM run_env WHERE run_id = ?1"
                       " ORDER BY rowid",
                       &s, err);
    if (rc)
        return rc;
    int src, crc = 0;
    while (!crc && (src = sqlite3_step(s)) == SQLITE_ROW)
        crc = cb(user, col_text(s, 0), col_text(s, 1));
    return rows_end(db, s, src, crc, err);
}
