/* core/cmd/out_db.c — the SQL helpers `export-device` still uses (see
 * the end of out.h). Every other command reads and writes the run
 * database through <spikelab/rundb.h>; these go once export_device.c
 * does too. */
#include <stdio.h>

#include "spikelab/abi.h"
#include "cmd/out.h"

int sl__cli_resolve_id(const char *cmd, sl__db *db, int64_t *id)
{
    if (*id > 0)
        return 0;
    sqlite3_stmt *s = sl__cli_prepare(sl__db_sqlite(db),
                                      "SELECT max(id) FROM runs");
    int ok = s && sqlite3_step(s) == SQLITE_ROW &&
             sqlite3_column_type(s, 0) != SQLITE_NULL;
    if (ok)
        *id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    if (!ok) {
        fprintf(stderr, "spikelab %s: no runs recorded in %s\n", cmd,
                sl__db_path(db));
        return 1;
    }
    return 0;
}

int sl__cli_run_exists(const char *cmd, sl__db *db, int64_t id)
{
    sqlite3 *h = sl__db_sqlite(db);
    sqlite3_stmt *s = sl__cli_prepare(h, "SELECT 1 FROM runs WHERE id = ?1");
    int rc = SQLITE_ERROR;
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        rc = sqlite3_step(s);
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_ROW)
        return 1;
    if (rc == SQLITE_DONE) {
        fprintf(stderr, "spikelab %s: no run %lld in %s\n", cmd,
                (long long)id, sl__db_path(db));
        return 0;
    }
    fprintf(stderr, "spikelab %s: %s: %s\n", cmd, sl__db_path(db),
            sqlite3_errmsg(h));
    return -1;
}

int sl__cli_open_db(const char *cmd, const char *dbpath, sl__db **db)
{
    sl__err err;
    sl__err_clear(&err);
    const char *path = sl__db_default_path(dbpath);
    int rc = sl__db_open_ex(path, SL__DB_MUST_EXIST, db, &err);
    if (rc == SL_ENOTFOUND) {
        fprintf(stderr,
                "spikelab %s: no run database at %s (give --db PATH or set "
                "SPIKELAB_DB)\n",
                cmd, path);
        return 1;
    }
    if (rc != SL_OK) {
        fprintf(stderr, "spikelab %s: %s\n", cmd, err.msg);
        return 1;
    }
    return 0;
}

const char *sl__cli_col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i);
}

sqlite3_stmt *sl__cli_prepare(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}
