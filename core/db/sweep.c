/* core/db/sweep.c — the sweeps table (schema 5) and merging run
 * databases by run UUID (db.h, "sweeps and merging"). */
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db/db.h"

static double now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int fail(sl__db *db, sl__err *err, const char *what)
{
    return sl__fail(err, SL_EDB, "%s: %s: %s", sl__db_path(db), what,
                    sqlite3_errmsg(sl__db_sqlite(db)));
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

int sl__db_sweep_put(sl__db *db, const sl_sweep_info *sw, int *created,
                     sl__err *err)
{
    sqlite3 *h = sl__db_sqlite(db);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(h,
                           "INSERT OR IGNORE INTO sweeps(id, name, "
                           "config_path, spec, points, n_points, created_at)"
                           " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                           -1, &s, NULL) != SQLITE_OK)
        return fail(db, err, "recording the sweep");
    sqlite3_bind_text(s, 1, sw->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, sw->name, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 3, sw->config_path, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, sw->spec, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 5, sw->points, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 6, sw->n_points);
    sqlite3_bind_double(s, 7, now_unix());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return fail(db, err, "recording the sweep");
    if (created)
        *created = sqlite3_changes(h) > 0;
    return SL_OK;
}

int sl__db_sweeps(sl__db *db, const char *id,
                  int (*cb)(void *user, const sl_sweep_info *sw), void *user,
                  sl__err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(sl__db_sqlite(db),
                           "SELECT id, name, config_path, spec, points, "
                           "n_points, created_at FROM sweeps"
                           " WHERE ?1 IS NULL OR id = ?1 ORDER BY created_at",
                           -1, &s, NULL) != SQLITE_OK)
        return fail(db, err, "reading sweeps");
    sqlite3_bind_text(s, 1, id, -1, SQLITE_STATIC);
    int rc, ret = SL_OK, n = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sl_sweep_info sw = {
            .struct_size = sizeof sw,
            .id = col_text(s, 0),
            .name = col_text(s, 1),
            .config_path = col_text(s, 2),
            .spec = col_text(s, 3),
            .points = col_text(s, 4),
            .n_points = sqlite3_column_int64(s, 5),
            .created_at = sqlite3_column_double(s, 6),
        };
        n++;
        if ((ret = cb(user, &sw)) != 0)
            break;
    }
    if (ret == SL_OK && rc != SQLITE_DONE)
        ret = fail(db, err, "reading sweeps");
    else if (ret == SL_OK && id && n == 0)
        ret = sl__fail(err, SL_ENOTFOUND, "%s: no sweep %s", sl__db_path(db),
                       id);
    sqlite3_finalize(s);
    return ret;
}

/* ---- merging ------------------------------------------------------------- */

/* A growing string. */
typedef struct buf {
    char *p;
    size_t n, cap;
    int oom;
} buf;

static void put(buf *b, const char *s)
{
    size_t l = strlen(s);
    if (b->oom)
        return;
    if (b->n + l + 1 > b->cap) {
        size_t cap = (b->n + l + 1) * 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p;
        b->cap = cap;
    }
    memcpy(b->p + b->n, s, l + 1);
    b->n += l;
}

/* A column name as a quoted SQL identifier. */
static void put_ident(buf *b, const char *name)
{
    put(b, "\"");
    for (const char *c = name; *c; c++) {
        char one[3] = {*c, *c == '"' ? '"' : 0, 0};
        put(b, one);
    }
    put(b, "\"");
}

/* The columns of main.table as two lists: into `cols` "a","b",... and
 * into `sel` the same with run_id replaced by m.new and `nulled` by NULL
 * (sources prefixed "t."), skipping `skip` (may be NULL). *has_run_id: the
 * table has a run_id column. */
static int columns(sl__db *db, const char *table, const char *skip,
                   const char *nulled, buf *cols, buf *sel, int *has_run_id,
                   sl__err *err)
{
    sqlite3_stmt *s;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT name FROM pragma_table_info(?1, 'main')");
    if (sqlite3_prepare_v2(sl__db_sqlite(db), sql, -1, &s, NULL) != SQLITE_OK)
        return fail(db, err, "merging: reading a table's columns");
    sqlite3_bind_text(s, 1, table, -1, SQLITE_STATIC);
    int rc, first = 1;
    *has_run_id = 0;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *c = col_text(s, 0);
        if (skip && strcmp(c, skip) == 0)
            continue;
        if (!first) {
            put(cols, ", ");
            put(sel, ", ");
        }
        first = 0;
        put_ident(cols, c);
        if (strcmp(c, "run_id") == 0) {
            *has_run_id = 1;
            put(sel, "m.new");
        } else if (nulled && strcmp(c, nulled) == 0) {
            put(sel, "NULL");
        } else {
            put(sel, "t.");
            put_ident(sel, c);
        }
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return fail(db, err, "merging: reading a table's columns");
    if (cols->oom || sel->oom)
        return sl__fail(err, SL_ENOMEM, "%s: merging: out of memory",
                        sl__db_path(db));
    return SL_OK;
}

static int run_sql(sl__db *db, const char *sql, sl__err *err, const char *what)
{
    if (sqlite3_exec(sl__db_sqlite(db), sql, NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, err, what);
    return SL_OK;
}

/* The body of a merge, inside the transaction, with src attached. */
static int merge_body(sl__db *db, int64_t *n_added, int64_t *n_present,
                      sl__err *err)
{
    sqlite3 *h = sl__db_sqlite(db);
    buf cols = {0}, sel = {0}, sql = {0};
    sqlite3_stmt *list = NULL, *ins = NULL, *map = NULL, *par = NULL;
    int ret, has_run_id, rc;
    if ((ret = run_sql(db, "CREATE TEMP TABLE IF NOT EXISTS merge_map("
                           "old INTEGER PRIMARY KEY, new INTEGER NOT NULL);"
                           "DELETE FROM temp.merge_map;",
                       err, "merging")))
        return ret;
    /* every run column but id; parent_id is fixed up below by UUID (the
     * parent's id differs here, and may not be here at all) */
    if ((ret = columns(db, "runs", "id", "parent_id", &cols, &sel,
                       &has_run_id, err)))
        goto out;
    put(&sql, "INSERT INTO main.runs(");
    put(&sql, cols.p);
    put(&sql, ") SELECT ");
    put(&sql, sel.p);
    put(&sql, " FROM src.runs t WHERE t.id = ?1");
    if (sql.oom) {
        ret = sl__fail(err, SL_ENOMEM, "%s: merging: out of memory",
                       sl__db_path(db));
        goto out;
    }
    if (sqlite3_prepare_v2(h,
                           "SELECT t.id, EXISTS(SELECT 1 FROM main.runs r"
                           " WHERE r.uuid = t.uuid) FROM src.runs t"
                           " ORDER BY t.id",
                           -1, &list, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h, sql.p, -1, &ins, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(h, "INSERT INTO temp.merge_map(old, new)"
                              " VALUES(?1, ?2)", -1, &map, NULL) != SQLITE_OK) {
        ret = fail(db, err, "merging runs");
        goto out;
    }
    while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
        int64_t old = sqlite3_column_int64(list, 0);
        if (sqlite3_column_int(list, 1)) {
            (*n_present)++;
            continue;
        }
        sqlite3_bind_int64(ins, 1, old);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            ret = fail(db, err, "merging runs");
            goto out;
        }
        sqlite3_reset(ins);
        sqlite3_bind_int64(map, 1, old);
        sqlite3_bind_int64(map, 2, sqlite3_last_insert_rowid(h));
        if (sqlite3_step(map) != SQLITE_DONE) {
            ret = fail(db, err, "merging runs");
            goto out;
        }
        sqlite3_reset(map);
        (*n_added)++;
    }
    if (rc != SQLITE_DONE) {
        ret = fail(db, err, "merging runs");
        goto out;
    }
    /* the re-runs: parent by UUID, when the parent is here */
    if (sqlite3_prepare_v2(h,
                           "UPDATE main.runs SET parent_id ="
                           " (SELECT r.id FROM src.runs c"
                           "  JOIN src.runs p ON p.id = c.parent_id"
                           "  JOIN main.runs r ON r.uuid = p.uuid"
                           "  WHERE c.id = m.old)"
                           " FROM temp.merge_map m WHERE main.runs.id = m.new",
                           -1, &par, NULL) != SQLITE_OK ||
        sqlite3_step(par) != SQLITE_DONE) {
        ret = fail(db, err, "merging runs' parents");
        goto out;
    }
    /* every table that holds rows of runs, whatever it is (so a table a
     * later schema adds is merged too) */
    sqlite3_finalize(list);
    if (sqlite3_prepare_v2(h,
                           "SELECT name FROM main.sqlite_master WHERE type ="
                           " 'table' AND name NOT IN ('runs', 'sqlite_sequence')"
                           " ORDER BY name",
                           -1, &list, NULL) != SQLITE_OK) {
        ret = fail(db, err, "merging");
        goto out;
    }
    while ((rc = sqlite3_step(list)) == SQLITE_ROW) {
        const char *table = col_text(list, 0);
        cols.n = sel.n = sql.n = 0;
        if (cols.p)
            cols.p[0] = 0;
        if (sel.p)
            sel.p[0] = 0;
        if ((ret = columns(db, table, NULL, NULL, &cols, &sel, &has_run_id,
                           err)))
            goto out;
        if (!has_run_id && strcmp(table, "sweeps") != 0)
            continue; /* meta: the target's own */
        put(&sql, has_run_id ? "INSERT INTO main." : "INSERT OR IGNORE INTO main.");
        put_ident(&sql, table);
        put(&sql, "(");
        put(&sql, cols.p);
        put(&sql, ") SELECT ");
        put(&sql, sel.p);
        put(&sql, " FROM src.");
        put_ident(&sql, table);
        put(&sql, has_run_id ? " t JOIN temp.merge_map m ON t.run_id = m.old"
                             : " t");
        if (sql.oom) {
            ret = sl__fail(err, SL_ENOMEM, "%s: merging: out of memory",
                           sl__db_path(db));
            goto out;
        }
        if (sqlite3_exec(h, sql.p, NULL, NULL, NULL) != SQLITE_OK) {
            char what[128];
            snprintf(what, sizeof what, "merging table %.60s", table);
            ret = fail(db, err, what);
            goto out;
        }
    }
    if (rc != SQLITE_DONE)
        ret = fail(db, err, "merging");
out:
    sqlite3_finalize(list);
    sqlite3_finalize(ins);
    sqlite3_finalize(map);
    sqlite3_finalize(par);
    free(cols.p);
    free(sel.p);
    free(sql.p);
    return ret;
}

int sl__db_merge(sl__db *db, const char *src_path, int64_t *n_added,
                 int64_t *n_present, sl__err *err)
{
    *n_added = *n_present = 0;
    /* open it once as a database of its own: that checks it is a
     * spikelab run database and brings an older schema to this one, so
     * both files have the same tables and columns */
    sl__db *src;
    int ret = sl__db_open_ex(src_path, SL__DB_MUST_EXIST | SL__DB_NO_REAP,
                             &src, err);
    sl__db_close(src);
    if (ret)
        return ret;
    char *a = realpath(src_path, NULL), *b = realpath(sl__db_path(db), NULL);
    int same = a && b && strcmp(a, b) == 0;
    free(a);
    free(b);
    if (same)
        return sl__fail(err, SL_EINVAL, "%s: cannot merge a database into "
                        "itself", src_path);
    sqlite3 *h = sl__db_sqlite(db);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(h, "ATTACH DATABASE ?1 AS src", -1, &s, NULL) !=
        SQLITE_OK)
        return fail(db, err, "attaching the database to merge");
    sqlite3_bind_text(s, 1, src_path, -1, SQLITE_STATIC);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return sl__fail(err, SL_EDB, "%s: attaching %s to merge it: %s",
                        sl__db_path(db), src_path, sqlite3_errmsg(h));
    /* all or nothing: a merge killed half-way leaves the target as it was */
    if ((ret = run_sql(db, "BEGIN IMMEDIATE", err, "merging")) == SL_OK) {
        ret = merge_body(db, n_added, n_present, err);
        if (ret == SL_OK)
            ret = run_sql(db, "COMMIT", err, "merging: commit");
        if (ret)
            sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
    }
    if (ret) {
        *n_added = 0;
        *n_present = 0;
    }
    sqlite3_exec(h, "DETACH DATABASE src", NULL, NULL, NULL);
    return ret;
}
