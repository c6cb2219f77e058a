/* core/db/checkpoint.c — the checkpoints table (schema 4) and resuming a
 * run into its own record (db.h, "checkpoints and resuming"). */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "db/db.h"
#include "db/liveness.h"

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

/* The run's status into buf; SL_ENOTFOUND when there is no such run. */
static int status_of(sl__db *db, int64_t run, char *buf, size_t len,
                     sl__err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(sl__db_sqlite(db),
                           "SELECT status FROM runs WHERE id = ?1", -1, &s,
                           NULL) != SQLITE_OK)
        return fail(db, err, "reading a run's status");
    sqlite3_bind_int64(s, 1, run);
    int rc = sqlite3_step(s), ret = SL_OK;
    if (rc == SQLITE_ROW)
        snprintf(buf, len, "%s", (const char *)sqlite3_column_text(s, 0));
    else if (rc == SQLITE_DONE)
        ret = sl__fail(err, SL_ENOTFOUND, "%s: no run %lld",
                       sl__db_path(db), (long long)run);
    else
        ret = fail(db, err, "reading a run's status");
    sqlite3_finalize(s);
    return ret;
}

int sl__db_checkpoint_put(sl__db *db, int64_t run, int64_t epoch,
                          const void *data, size_t size, sl__err *err)
{
    char status[32];
    int ret = status_of(db, run, status, sizeof status, err);
    if (ret)
        return ret;
    if (strcmp(status, "running") != 0)
        return sl__fail(err, SL_EINVAL, "%s: run %lld is %s, not running: "
                        "no checkpoint stored", sl__db_path(db),
                        (long long)run, status);
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(sl__db_sqlite(db),
                           "INSERT INTO checkpoints(run_id, epoch,"
                           " config_hash, data, created_at)"
                           " SELECT id, ?2, config_hash, ?3, ?4 FROM runs"
                           " WHERE id = ?1 ON CONFLICT(run_id) DO UPDATE SET"
                           " epoch = excluded.epoch, config_hash ="
                           " excluded.config_hash, data = excluded.data,"
                           " created_at = excluded.created_at", -1, &s,
                           NULL) != SQLITE_OK)
        return fail(db, err, "storing a checkpoint");
    sqlite3_bind_int64(s, 1, run);
    sqlite3_bind_int64(s, 2, epoch);
    sqlite3_bind_blob64(s, 3, data, (sqlite3_uint64)size, SQLITE_STATIC);
    sqlite3_bind_double(s, 4, now_unix());
    int rc = sqlite3_step(s);
    ret = rc == SQLITE_DONE ? SL_OK : fail(db, err, "storing a checkpoint");
    sqlite3_finalize(s);
    return ret;
}

int sl__db_checkpoint_get(sl__db *db, int64_t run, int64_t *epoch,
                          void **data, size_t *size, sl__err *err)
{
    *data = NULL;
    *size = 0;
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(sl__db_sqlite(db),
                           "SELECT c.epoch, c.data, c.config_hash IS"
                           " r.config_hash FROM runs r LEFT JOIN checkpoints"
                           " c ON c.run_id = r.id WHERE r.id = ?1", -1, &s,
                           NULL) != SQLITE_OK)
        return fail(db, err, "reading a checkpoint");
    sqlite3_bind_int64(s, 1, run);
    int rc = sqlite3_step(s), ret = SL_OK;
    if (rc == SQLITE_DONE) {
        ret = sl__fail(err, SL_ENOTFOUND, "%s: no run %lld", sl__db_path(db),
                       (long long)run);
    } else if (rc != SQLITE_ROW) {
        ret = fail(db, err, "reading a checkpoint");
    } else if (sqlite3_column_type(s, 0) == SQLITE_NULL) {
        ret = sl__fail(err, SL_ENOTFOUND, "run %lld has no checkpoint (it "
                       "ran without train.checkpoint_every, or stopped "
                       "before its first one)", (long long)run);
    } else if (!sqlite3_column_int(s, 2)) {
        ret = sl__fail(err, SL_EDATA, "the checkpoint of run %lld was "
                       "written for another configuration than the run "
                       "records (its config_hash differs): not resumed",
                       (long long)run);
    } else {
        *epoch = sqlite3_column_int64(s, 0);
        const void *b = sqlite3_column_blob(s, 1);
        int n = sqlite3_column_bytes(s, 1);
        *data = malloc(n > 0 ? (size_t)n : 1);
        if (!*data)
            ret = sl__fail(err, SL_ENOMEM, "out of memory for a checkpoint");
        else {
            if (n > 0)
                memcpy(*data, b, (size_t)n);
            *size = (size_t)n;
        }
    }
    sqlite3_finalize(s);
    return ret;
}

/* Constant SQL over one run (?1), inside the caller's transaction. */
static int run_sql(sl__db *db, const char *sql, int64_t run, int64_t epoch,
                   sl__err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(sl__db_sqlite(db), sql, -1, &s, NULL) !=
        SQLITE_OK)
        return fail(db, err, "resuming a run");
    sqlite3_bind_int64(s, 1, run);
    if (sqlite3_bind_parameter_count(s) >= 2)
        sqlite3_bind_int64(s, 2, epoch);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SL_OK : fail(db, err, "resuming a run");
}

int sl__db_run_resume(sl__db *db, int64_t run, int64_t epoch, sl__err *err)
{
    sqlite3 *h = sl__db_sqlite(db);
    if (sqlite3_exec(h, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
        return fail(db, err, "resuming a run");
    char status[32];
    int ret = status_of(db, run, status, sizeof status, err);
    if (!ret && strcmp(status, "interrupted") != 0 &&
        strcmp(status, "failed") != 0)
        ret = sl__fail(err, SL_EINVAL, "run %lld is %s: only an interrupted "
                       "or failed run is resumed%s", (long long)run, status,
                       strcmp(status, "running") == 0
                           ? " (its process may still be alive, or runs on "
                             "another host)"
                           : "");
    char host[256], proc_id[SL__PROC_ID_LEN];
    int have_host = sl__hostname(host, sizeof host) == 0;
    int have_id = sl__proc_identity((int64_t)getpid(), proc_id,
                                    sizeof proc_id) == 0;
    if (!ret)
        ret = run_sql(db, "DELETE FROM metrics WHERE run_id = ?1 AND"
                      " step > ?2", run, epoch, err);
    if (!ret)
        ret = run_sql(db, "DELETE FROM results WHERE run_id = ?1 AND"
                      " substr(name, 1, 8) != 'initial_'", run, 0, err);
    if (!ret)
        ret = run_sql(db, "DELETE FROM artifacts WHERE run_id = ?1 AND kind"
                      " IN ('parameters', 'trace', 'device')", run, 0, err);
    if (!ret)
        ret = run_sql(db, "UPDATE checkpoints SET resumed = resumed + 1"
                      " WHERE run_id = ?1", run, 0, err);
    if (!ret) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(h, "UPDATE runs SET status = 'running', error"
                               " = NULL, ended_at = NULL, heartbeat_at = ?2,"
                               " pid = ?3, proc_id = ?4, host = ?5 WHERE id"
                               " = ?1", -1, &s, NULL) != SQLITE_OK)
            ret = fail(db, err, "resuming a run");
        else {
            sqlite3_bind_int64(s, 1, run);
            sqlite3_bind_double(s, 2, now_unix());
            sqlite3_bind_int64(s, 3, (int64_t)getpid());
            if (have_id)
                sqlite3_bind_text(s, 4, proc_id, -1, SQLITE_TRANSIENT);
            if (have_host)
                sqlite3_bind_text(s, 5, host, -1, SQLITE_TRANSIENT);
            if (sqlite3_step(s) != SQLITE_DONE)
                ret = fail(db, err, "resuming a run");
            sqlite3_finalize(s);
        }
    }
    if (!ret && sqlite3_exec(h, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
        ret = fail(db, err, "resuming a run");
    if (ret) {
        sqlite3_exec(h, "ROLLBACK", NULL, NULL, NULL);
        return ret;
    }
    sl__db_set_active(db, run);
    return SL_OK;
}
