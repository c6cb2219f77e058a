/* core/db/db.c — the run database's writes, schema and migrations (see
 * db.h for the schema and the concurrency contract).
 *
 * Every value reaches SQLite as a bound parameter; the only SQL text built
 * here is constant. Statements are prepared once per handle and reset
 * after each use. */
#ifndef PACKAGE_VERSION
#error "PACKAGE_VERSION missing: configure passes it with -D"
#endif

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "spikelab/abi.h"
#include "config/flatten.h"
#include "db/liveness.h"
#include "db/db.h"
#include "util/sha256.h"

#define SL__DB_APP_ID 0x534C4142 /* "SLAB" */
#define BUSY_TIMEOUT_MS 10000
#define BUF_MAX 4096         /* buffered metrics before a forced flush */
#define BUF_MAX_AGE 2.0      /* seconds a metric may wait in the buffer */

enum {
    ST_RUN_INSERT,
    ST_PLUGIN_INSERT,
    ST_METRIC_INSERT,
    ST_HEARTBEAT,
    ST_RESULT,
    ST_ARTIFACT,
    ST_RUN_END,
    ST_RUN_STATUS,
    ST_PARAM_INSERT,
    ST_ENV_INSERT,
    ST_COUNT
};

static const char *const st_sql[ST_COUNT] = {
    [ST_RUN_INSERT] =
        "INSERT INTO runs(name, config_path, config_text, config_effective,"
        " config_hash, overrides, seed, status, host, core_version,"
        " started_at, heartbeat_at, pid, proc_id, parent_id, uuid)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, 'running', ?8, ?9, ?10, ?10, ?11,"
        " ?12, ?13, lower(hex(randomblob(16))))",
    [ST_PLUGIN_INSERT] =
        "INSERT INTO run_plugins(run_id, name, version, abi, path, sha256)"
        " VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_METRIC_INSERT] =
        "INSERT INTO metrics(run_id, step, name, value, wall_time)"
        " VALUES(?1, ?2, ?3, ?4, ?5)",
    [ST_HEARTBEAT] =
        "UPDATE runs SET heartbeat_at = ?1 WHERE id = ?2 AND status = 'running'",
    [ST_RESULT] = "INSERT OR REPLACE INTO results(run_id, name, value, text)"
                  " VALUES(?1, ?2, ?3, ?4)",
    [ST_ARTIFACT] =
        "INSERT OR REPLACE INTO artifacts(run_id, name, kind, mime, data,"
        " path, size, created_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [ST_RUN_END] = "UPDATE runs SET status = ?1, error = ?2, ended_at = ?3,"
                   " heartbeat_at = ?3 WHERE id = ?4 AND status = 'running'",
    [ST_RUN_STATUS] = "SELECT status FROM runs WHERE id = ?1",
    [ST_PARAM_INSERT] =
        "INSERT OR REPLACE INTO params(run_id, key, alias, type, value_text,"
        " value_num) VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
    [ST_ENV_INSERT] =
        "INSERT OR REPLACE INTO run_env(run_id, key, value) VALUES(?1, ?2, ?3)",
};

/* Schema 1 exactly as spikelab 0.1.0 created it. Never change it: a new
 * file is created from it and then migrated, like any old file. */
static const char schema1_sql[] =
    "CREATE TABLE IF NOT EXISTS meta ("
    " key TEXT PRIMARY KEY, value TEXT);"
    "CREATE TABLE IF NOT EXISTS runs ("
    " id INTEGER PRIMARY KEY AUTOINCREMENT,"
    " name TEXT NOT NULL,"
    " config_path TEXT,"
    " config_text TEXT,"
    " config_effective TEXT,"
    " config_hash TEXT,"
    " overrides TEXT NOT NULL DEFAULT '',"
    " seed INTEGER NOT NULL,"
    " status TEXT NOT NULL CHECK (status IN"
    "  ('running', 'finished', 'failed', 'interrupted')),"
    " error TEXT,"
    " host TEXT,"
    " core_version TEXT,"
    " started_at REAL NOT NULL,"
    " ended_at REAL,"
    " heartbeat_at REAL,"
    " pid INTEGER);"
    "CREATE TABLE IF NOT EXISTS run_plugins ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, version TEXT, abi TEXT, path TEXT, sha256 TEXT);"
    "CREATE INDEX IF NOT EXISTS run_plugins_run ON run_plugins(run_id);"
    "CREATE TABLE IF NOT EXISTS metrics ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " step INTEGER NOT NULL, name TEXT NOT NULL, value REAL,"
    " wall_time REAL NOT NULL);"
    "CREATE INDEX IF NOT EXISTS metrics_run_name_step"
    " ON metrics(run_id, name, step);"
    "CREATE TABLE IF NOT EXISTS results ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, value REAL, text TEXT,"
    " PRIMARY KEY (run_id, name));"
    "CREATE TABLE IF NOT EXISTS artifacts ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " name TEXT NOT NULL, kind TEXT, mime TEXT, data BLOB, path TEXT,"
    " size INTEGER, created_at REAL NOT NULL,"
    " PRIMARY KEY (run_id, name));";

/* Schema 1 → 2: run history (see db.h). ALTER TABLE ADD COLUMN
 * keeps every existing row; the new columns start NULL. */
static const char migrate_1_2_sql[] =
    "ALTER TABLE runs ADD COLUMN parent_id INTEGER"
    " REFERENCES runs(id) ON DELETE SET NULL;"
    "ALTER TABLE runs ADD COLUMN reproduced INTEGER;"
    "ALTER TABLE runs ADD COLUMN note TEXT;"
    "ALTER TABLE runs ADD COLUMN proc_id TEXT;"
    "CREATE INDEX runs_parent ON runs(parent_id);"
    "CREATE INDEX runs_status ON runs(status);"
    "CREATE TABLE params ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " key TEXT NOT NULL, alias TEXT,"
    " type TEXT NOT NULL CHECK (type IN ('int', 'float', 'bool', 'string')),"
    " value_text TEXT, value_num REAL,"
    " PRIMARY KEY (run_id, key));"
    "CREATE INDEX params_key ON params(key, value_num);"
    "CREATE INDEX params_alias ON params(alias) WHERE alias IS NOT NULL;"
    "CREATE TABLE tags ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " tag TEXT NOT NULL, created_at REAL NOT NULL,"
    " PRIMARY KEY (run_id, tag));"
    "CREATE INDEX tags_tag ON tags(tag);";

/* Schema 2 → 3: the numeric environment of each run (see db.h). */
static const char migrate_2_3_sql[] =
    "CREATE TABLE run_env ("
    " run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    " key TEXT NOT NULL, value TEXT NOT NULL,"
    " PRIMARY KEY (run_id, key));";

/* Schema 3 → 4: the last checkpoint of each run (train.checkpoint_every;
 * db/checkpoint.c): one row per run, replaced by the next. config_hash is
 * the run's at the time of writing, so a checkpoint that does not belong
 * to its run's configuration is refused on resume. */
static const char migrate_3_4_sql[] =
    "CREATE TABLE checkpoints ("
    " run_id INTEGER PRIMARY KEY REFERENCES runs(id) ON DELETE CASCADE,"
    " epoch INTEGER NOT NULL, config_hash TEXT, data BLOB NOT NULL,"
    " created_at REAL NOT NULL, resumed INTEGER NOT NULL DEFAULT 0);";

/* Schema 4 → 5: sweeps and run identity across databases. uuid: 128
 * random bits (hex) given to every run when it is recorded, so `spikelab
 * db merge` tells a run it already holds from a new one whatever its id;
 * runs of older files get theirs here. sweeps: one row per `spikelab
 * sweep` (id: a hash of the file, its text and the points, so the same
 * command names the same sweep in every shard's database); its points
 * are runs tagged "sweep:ID" (see core/cmd/sweep.c). */
static const char migrate_4_5_sql[] =
    "ALTER TABLE runs ADD COLUMN uuid TEXT;"
    "UPDATE runs SET uuid = lower(hex(randomblob(16))) WHERE uuid IS NULL;"
    "CREATE UNIQUE INDEX runs_uuid ON runs(uuid);"
    "CREATE TABLE sweeps ("
    " id TEXT PRIMARY KEY, name TEXT, config_path TEXT, spec TEXT NOT NULL,"
    " points TEXT NOT NULL, n_points INTEGER NOT NULL,"
    " created_at REAL NOT NULL);";

/* One buffered metric; the name is an index into the handle's interned
 * names so buffering costs no allocation per value. */
typedef struct metric_rec {
    int64_t run, step;
    double value, wall;
    size_t name;
} metric_rec;

struct sl__db {
    sqlite3 *h;
    char *path;
    int readonly;
    int64_t active_run;   /* begun on this handle, not ended; 0 = none */
    int64_t checked_run;  /* last run verified 'running' for metrics */
    sqlite3_stmt *st[ST_COUNT];
    metric_rec *buf;
    size_t n_buf, cap_buf;
    double buf_since;     /* wall time of the oldest buffered metric */
    char **names;
    size_t n_names, cap_names, last_name;
    char notice[512];     /* how it was opened when not as asked, or "" */
};

static double now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* SL_EDB with "PATH: what: sqlite's message". */
static int db_fail(sl__db *db, sl__err *err, const char *what)
{
    return sl__fail(err, SL_EDB, "%s: %s: %s", db->path, what,
                    sqlite3_errmsg(db->h));
}

/* Run constant SQL (no user data). */
static int exec(sl__db *db, const char *sql, sl__err *err)
{
    if (sqlite3_exec(db->h, sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(db, err, sql);
    return SL_OK;
}

/* The cached statement for id, reset and with cleared bindings. */
static sqlite3_stmt *stmt(sl__db *db, int id, sl__err *err)
{
    if (!db->st[id]) {
        if (sqlite3_prepare_v3(db->h, st_sql[id], -1, SQLITE_PREPARE_PERSISTENT,
                               &db->st[id], NULL) != SQLITE_OK) {
            db_fail(db, err, "preparing a statement");
            return NULL;
        }
    } else {
        sqlite3_reset(db->st[id]);
        sqlite3_clear_bindings(db->st[id]);
    }
    return db->st[id];
}

/* Bind a possibly NULL text (copied by SQLite). */
static void bind_text(sqlite3_stmt *s, int i, const char *t)
{
    if (t)
        sqlite3_bind_text(s, i, t, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

/* Step a statement that returns no row; resets it. */
static int step_done(sl__db *db, sqlite3_stmt *s, sl__err *err,
                     const char *what)
{
    int rc = sqlite3_step(s);
    int ret = SL_OK;
    if (rc != SQLITE_DONE) {
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            ret = sl__fail(err, SL_ENOTFOUND, "%s: %s: no such run",
                           db->path, what);
        else
            ret = db_fail(db, err, what);
    }
    sqlite3_reset(s);
    return ret;
}

/* Single-integer pragma query. */
static int pragma_int(sl__db *db, const char *sql, int64_t *out, sl__err *err)
{
    sqlite3_stmt *s;
    int rc = sqlite3_prepare_v2(db->h, sql, -1, &s, NULL);
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(s);
        if (rc == SQLITE_ROW) {
            *out = sqlite3_column_int64(s, 0);
            rc = SQLITE_OK;
        }
    }
    if (rc != SQLITE_OK) {
        int ecode = sqlite3_extended_errcode(db->h);
        if ((ecode & 0xff) == SQLITE_NOTADB)
            sl__fail(err, SL_EDB, "%s: not an SQLite database (%s)", db->path,
                     sqlite3_errmsg(db->h));
        else
            sl__fail(err, SL_EDB, "%s: cannot read the run database: %s",
                     db->path, sqlite3_errmsg(db->h));
        sqlite3_finalize(s);
        return SL_EDB;
    }
    sqlite3_finalize(s);
    return SL_OK;
}

static int check_version(sl__db *db, int64_t version, int64_t app_id,
                         sl__err *err)
{
    if (app_id != 0 && app_id != SL__DB_APP_ID)
        return sl__fail(err, SL_EDB,
                        "%s: an SQLite database of another application "
                        "(application_id 0x%llx), not a spikelab run database",
                        db->path, (unsigned long long)app_id);
    /* user_version is any 32-bit integer a file claims; it indexes the
     * migrations below, so everything outside 0..SL__DB_SCHEMA_VERSION is
     * refused here, before anything reads or writes by it (a negative one
     * once indexed migrations[] out of bounds: issue 12, finding 1) */
    if (version < 0)
        return sl__fail(err, SL_EDB,
                        "%s: run database schema version %lld: not a "
                        "version spikelab ever wrote (1 to %d); the file is "
                        "damaged or not a spikelab run database, and is left "
                        "as it is",
                        db->path, (long long)version, SL__DB_SCHEMA_VERSION);
    if (version > SL__DB_SCHEMA_VERSION)
        return sl__fail(err, SL_EDB,
                        "%s: run database schema version %lld was written by "
                        "a newer spikelab: this one (%s) understands "
                        "versions up to %d; use a newer spikelab to read it",
                        db->path, (long long)version, PACKAGE_VERSION,
                        SL__DB_SCHEMA_VERSION);
    if (version > 0 && app_id != SL__DB_APP_ID)
        return sl__fail(err, SL_EDB,
                        "%s: an SQLite database with user_version %lld but "
                        "no spikelab marker: not a spikelab run database",
                        db->path, (long long)version);
    return SL_OK;
}

static int store_params(sl__db *db, int64_t run, const sl__kv *kv, size_t n,
                        sl__err *err)
{
    for (size_t i = 0; i < n; i++) {
        sqlite3_stmt *s = stmt(db, ST_PARAM_INSERT, err);
        if (!s)
            return SL_EDB;
        sqlite3_bind_int64(s, 1, run);
        bind_text(s, 2, kv[i].key);
        bind_text(s, 3, kv[i].alias);
        bind_text(s, 4, kv[i].type);
        bind_text(s, 5, kv[i].text);
        if (kv[i].has_num)
            sqlite3_bind_double(s, 6, kv[i].num);
        else
            sqlite3_bind_null(s, 6);
        int ret = step_done(db, s, err, "recording the parameters");
        if (ret)
            return ret;
    }
    return SL_OK;
}

/* The numeric environment: n key/value pairs. */
static int store_env(sl__db *db, int64_t run, char *const *env, size_t n,
                     sl__err *err)
{
    for (size_t i = 0; env && i < n; i++) {
        sqlite3_stmt *s = stmt(db, ST_ENV_INSERT, err);
        if (!s)
            return SL_EDB;
        sqlite3_bind_int64(s, 1, run);
        bind_text(s, 2, env[2 * i]);
        bind_text(s, 3, env[2 * i + 1]);
        int ret = step_done(db, s, err, "recording the numeric environment");
        if (ret)
            return ret;
    }
    return SL_OK;
}

/* The defaults a run applied, except keys its configuration sets. */
static int store_defaults(sl__db *db, int64_t run, const sl__kv *kv,
                          size_t n, const sl__kv *dflt, size_t n_dflt,
                          sl__err *err)
{
    for (size_t i = 0; i < n_dflt; i++) {
        size_t k = 0;
        while (k < n && strcmp(kv[k].key, dflt[i].key) != 0)
            k++;
        int rc;
        if (k == n && (rc = store_params(db, run, &dflt[i], 1, err)))
            return rc;
    }
    return SL_OK;
}

/* Migration 1 → 2, after its SQL: params of every recorded run, from its
 * stored effective configuration (a run whose text does not parse keeps
 * no params; there is nothing better to do with it). */
static int fill_params_1_2(sl__db *db, sl__err *err)
{
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT id, config_effective FROM runs"
                           " WHERE config_effective IS NOT NULL ORDER BY id",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(db, err, "reading runs to migrate");
    int rc, ret = SL_OK;
    while (ret == SL_OK && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        sl__kv *kv;
        size_t n;
        sl__err perr;
        const char *text = (const char *)sqlite3_column_text(q, 1);
        int prc = sl__config_flatten_text(text ? text : "", &kv, &n, &perr);
        if (prc == SL_ENOMEM)
            ret = sl__fail(err, SL_ENOMEM, "%s: migrating: %s", db->path,
                           perr.msg);
        else if (prc == SL_OK)
            ret = store_params(db, sqlite3_column_int64(q, 0), kv, n, err);
        if (prc == SL_OK)
            sl__kv_free(kv, n);
    }
    if (ret == SL_OK && rc != SQLITE_DONE)
        ret = db_fail(db, err, "reading runs to migrate");
    sqlite3_finalize(q);
    return ret;
}

/* Migrations in order: migrations[i] takes schema i+1 to i+2. */
typedef struct migration {
    const char *sql;
    int (*fill)(sl__db *db, sl__err *err); /* data step after sql, or NULL */
} migration;
static const migration migrations[] = {
    {migrate_1_2_sql, fill_params_1_2},
    {migrate_2_3_sql, NULL},
    {migrate_3_4_sql, NULL},
    {migrate_4_5_sql, NULL},
};
_Static_assert(sizeof migrations / sizeof *migrations ==
                   SL__DB_SCHEMA_VERSION - 1,
               "one migration per schema version step");

static int put_meta(sl__db *db, const char *key, const char *value,
                    sl__err *err)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->h,
                           "INSERT OR REPLACE INTO meta(key, value)"
                           " VALUES(?1, ?2)",
                           -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, "writing meta");
    sqlite3_bind_text(s, 1, key, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(s, 2, value, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? SL_OK : db_fail(db, err, "writing meta");
}

/* Bring the file to SL__DB_SCHEMA_VERSION in one write transaction:
 * create schema 1 in an empty file, then run every migration from the
 * file's version on. Re-checks inside the transaction, since another
 * process may have done it meanwhile (or the file may be somebody else's
 * with tables of its own). */
static int upgrade_schema(sl__db *db, sl__err *err)
{
    int64_t version = 0, app_id = 0, n_objects = 0;
    char sql[128], what[64], stamp[32], when[96];
    int ret = exec(db, "BEGIN IMMEDIATE", err);
    if (ret)
        return ret;
    if ((ret = pragma_int(db, "PRAGMA user_version", &version, err)) ||
        (ret = pragma_int(db, "PRAGMA application_id", &app_id, err)) ||
        (ret = check_version(db, version, app_id, err)))
        goto fail;
    if (version == SL__DB_SCHEMA_VERSION)
        return exec(db, "COMMIT", err);
    snprintf(stamp, sizeof stamp, "%.3f", now_unix());
    snprintf(when, sizeof when, "spikelab " PACKAGE_VERSION " at %s", stamp);
    if (version == 0) {
        if ((ret = pragma_int(db, "SELECT count(*) FROM sqlite_master",
                              &n_objects, err)))
            goto fail;
        if (n_objects > 0) {
            ret = sl__fail(err, SL_EDB,
                           "%s: an SQLite database with tables of its own, "
                           "not a spikelab run database",
                           db->path);
            goto fail;
        }
        /* pragmas cannot take parameters; these values are constants */
        snprintf(sql, sizeof sql, "PRAGMA application_id = %d",
                 SL__DB_APP_ID);
        if ((ret = exec(db, schema1_sql, err)) || (ret = exec(db, sql, err)) ||
            (ret = put_meta(db, "format", "spikelab run database", err)) ||
            (ret = put_meta(db, "created_by", "spikelab " PACKAGE_VERSION,
                            err)) ||
            (ret = put_meta(db, "created_at", stamp, err)))
            goto fail;
        version = 1;
    } else {
        /* an old file: its metadata records each migration */
        for (int64_t v = version; v < SL__DB_SCHEMA_VERSION; v++) {
            snprintf(what, sizeof what, "migrated_%lld_to_%lld",
                     (long long)v, (long long)v + 1);
            if ((ret = put_meta(db, what, when, err)))
                goto fail;
        }
    }
    for (; version < SL__DB_SCHEMA_VERSION; version++) {
        /* check_version bounded it; never index by an unchecked number */
        if (version < 1) {
            ret = sl__fail(err, SL_EDB, "%s: no migration from schema "
                           "version %lld", db->path, (long long)version);
            goto fail;
        }
        const migration *m = &migrations[version - 1];
        if ((ret = exec(db, m->sql, err)) || (m->fill && (ret = m->fill(db, err))))
            goto fail;
    }
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d",
             SL__DB_SCHEMA_VERSION);
    if ((ret = exec(db, sql, err)))
        goto fail;
    return exec(db, "COMMIT", err);
fail:
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    /* statements prepared inside the rolled-back transaction refer to
     * tables that no longer exist */
    for (int i = 0; i < ST_COUNT; i++) {
        sqlite3_finalize(db->st[i]);
        db->st[i] = NULL;
    }
    return ret;
}

/* TEST ONLY: SPIKELAB_TEST_DB_MAX_PAGES=N lets this connection grow the
 * file by at most N pages beyond its size now (PRAGMA max_page_count,
 * which holds for this connection only), so writes past that fail with
 * SQLITE_FULL, the code a full disk gives, and tests/harden_db.sh can
 * fill "the disk" without root or a small file system (issue 12, finding
 * 5). Unset, as in every real use, it does nothing. */
static int test_full_disk(sl__db *db, sl__err *err)
{
    const char *env = getenv("SPIKELAB_TEST_DB_MAX_PAGES");
    if (!env || !*env)
        return SL_OK;
    int64_t pages = 0;
    int ret = pragma_int(db, "PRAGMA page_count", &pages, err);
    if (ret)
        return ret;
    char sql[96];
    snprintf(sql, sizeof sql, "PRAGMA max_page_count = %lld",
             (long long)pages + strtoll(env, NULL, 10));
    return exec(db, sql, err);
}

/* Did the first read fail because SQLite could not
 * create or write the WAL's shared-memory file (-shm) beside the
 * database: a directory the user may not write (READONLY_DIRECTORY), or a
 * -shm that cannot be opened (READONLY_CANTINIT, CANTOPEN)? */
static int cannot_share(sl__db *db)
{
    int code = sqlite3_extended_errcode(db->h) & 0xff;
    return code == SQLITE_READONLY || code == SQLITE_CANTOPEN;
}

/* Reopen the file immutable (URI ?immutable=1): SQLite then takes no
 * locks and needs no -shm, so a database in a directory nobody may write
 * can still be read (issue 12, finding 9). Immutable means nothing else
 * may write the file meanwhile, which holds where nobody may write; a
 * -wal file left beside it (a writer killed before the directory became
 * read-only) is not read, and the notice says so. */
static int open_immutable(sl__db *db, sl__err *err)
{
    /* the path percent-encoded for the URI (RFC 3986 unreserved and '/'
     * kept) */
    size_t n = strlen(db->path);
    char *uri = malloc(3 * n + 32);
    if (!uri)
        return sl__fail(err, SL_ENOMEM, "%s: out of memory", db->path);
    char *u = uri + sprintf(uri, "file:");
    for (const unsigned char *p = (const unsigned char *)db->path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
            (*p >= '0' && *p <= '9') || strchr("/-._~", *p))
            *u++ = (char)*p;
        else
            u += sprintf(u, "%%%02X", *p);
    }
    strcpy(u, "?immutable=1");
    sqlite3_close(db->h);
    db->h = NULL;
    int rc = sqlite3_open_v2(uri, &db->h,
                             SQLITE_OPEN_READONLY | SQLITE_OPEN_URI |
                                 SQLITE_OPEN_NOMUTEX,
                             NULL);
    free(uri);
    if (rc != SQLITE_OK)
        return sl__fail(err, SL_EDB, "%s: cannot open the run database "
                        "read-only: %s", db->path,
                        db->h ? sqlite3_errmsg(db->h) : "out of memory");
    sqlite3_extended_result_codes(db->h, 1);
    db->readonly = 1;
    char wal[4200];
    struct stat st;
    snprintf(wal, sizeof wal, "%s-wal", db->path);
    int stale = stat(wal, &st) == 0 && st.st_size > 0;
    snprintf(db->notice, sizeof db->notice,
             "read-only: %s is in a directory this user may not write (no "
             "room for SQLite's -shm file), so it is read as an unchanging "
             "file, without locks%s",
             db->path,
             stale ? "; the changes in its -wal file, not yet in the "
                     "database file, are not seen"
                   : "");
    return SL_OK;
}

const char *sl__db_notice(const sl__db *db)
{
    return db ? db->notice : "";
}

static void db_free(sl__db *db)
{
    for (int i = 0; i < ST_COUNT; i++)
        sqlite3_finalize(db->st[i]);
    if (db->h)
        sqlite3_close(db->h);
    for (size_t i = 0; i < db->n_names; i++)
        free(db->names[i]);
    free(db->names);
    free(db->buf);
    free(db->path);
    free(db);
}

int sl__db_open_ex(const char *path, unsigned flags, sl__db **out,
                   sl__err *err)
{
    if (!out)
        return sl__fail(err, SL_EINVAL, "sl__db_open: no output handle");
    *out = NULL;
    if (!path || !*path)
        return sl__fail(err, SL_EINVAL, "run database: empty path");
    struct stat sb;
    if ((flags & (SL__DB_MUST_EXIST | SL__DB_READONLY)) &&
        stat(path, &sb) != 0)
        return sl__fail(err, SL_ENOTFOUND, "%s: no run database here (%s)",
                        path, strerror(errno));

    sl__db *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        return sl__fail(err, SL_ENOMEM, "%s: out of memory", path);
    }
    int oflags = SQLITE_OPEN_NOMUTEX;
    if (flags & SL__DB_READONLY)
        oflags |= SQLITE_OPEN_READONLY;
    else if (flags & SL__DB_MUST_EXIST)
        oflags |= SQLITE_OPEN_READWRITE;
    else
        oflags |= SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    int ret = SL_OK;
    if (sqlite3_open_v2(path, &db->h, oflags, NULL) != SQLITE_OK) {
        ret = sl__fail(err, SL_EDB, "%s: cannot open the run database: %s",
                       path, db->h ? sqlite3_errmsg(db->h) : "out of memory");
        goto fail;
    }
    sqlite3_extended_result_codes(db->h, 1);
    sqlite3_busy_timeout(db->h, BUSY_TIMEOUT_MS);
    db->readonly = sqlite3_db_readonly(db->h, "main") == 1;

    /* The first read: a file that is not SQLite fails here. */
    int64_t version = 0, app_id = 0;
    ret = pragma_int(db, "PRAGMA user_version", &version, err);
    /* not for a writer that may create the file (`run`): it needs write
     * access and is better told at once */
    if (ret && (flags & (SL__DB_MUST_EXIST | SL__DB_READONLY)) &&
        cannot_share(db) &&
        (ret = open_immutable(db, err)) == SL_OK) {
        sl__err_clear(err); /* the first read's failure is handled */
        ret = pragma_int(db, "PRAGMA user_version", &version, err);
    }
    if (ret || (ret = pragma_int(db, "PRAGMA application_id", &app_id, err)) ||
        (ret = check_version(db, version, app_id, err)))
        goto fail;

    if (db->readonly) {
        if (version < SL__DB_SCHEMA_VERSION) {
            ret = version == 0
                      ? sl__fail(err, SL_EDB,
                                 "%s: read-only and not a spikelab run "
                                 "database",
                                 path)
                      : sl__fail(err, SL_EDB,
                                 "%s: run database schema version %lld needs "
                                 "an upgrade to %d, which needs write access: "
                                 "open it once with a spikelab that may "
                                 "write it",
                                 path, (long long)version,
                                 SL__DB_SCHEMA_VERSION);
            goto fail;
        }
    } else {
        /* journal_mode answers with the mode it got; a file system
         * without shared memory keeps the old mode, which still works,
         * only without concurrent readers during writes. */
        if ((ret = exec(db, "PRAGMA journal_mode = WAL", err)) ||
            (ret = exec(db, "PRAGMA synchronous = NORMAL", err)))
            goto fail;
        if (version < SL__DB_SCHEMA_VERSION &&
            (ret = upgrade_schema(db, err)))
            goto fail;
    }
    if ((ret = exec(db, "PRAGMA foreign_keys = ON", err)))
        goto fail;
    if (!db->readonly && (ret = test_full_disk(db, err)))
        goto fail;
    /* best effort: a busy file must not stop a run from being recorded,
     * and the next invocation will try again */
    if (!db->readonly && !(flags & SL__DB_NO_REAP))
        sl__db_reap(db, NULL, NULL);
    *out = db;
    return SL_OK;
fail:
    db_free(db);
    return ret;
}

int sl__db_open(const char *path, sl__db **out, sl__err *err)
{
    return sl__db_open_ex(path, 0, out, err);
}

void sl__db_close(sl__db *db)
{
    if (!db)
        return;
    if (db->n_buf) {
        sl__err e;
        size_t n = db->n_buf; /* a failed flush may drop the buffer */
        sl__err_clear(&e);
        if (sl__db_flush(db, &e) != SL_OK)
            fprintf(stderr, "spikelab: warning: %zu metric values lost: %s\n",
                    n, e.msg);
    }
    db_free(db);
}

const char *sl__db_default_path(const char *explicit_path)
{
    if (explicit_path && *explicit_path)
        return explicit_path;
    const char *env = getenv("SPIKELAB_DB");
    if (env && *env)
        return env;
    return "spikelab.db";
}

const char *sl__db_path(const sl__db *db) { return db ? db->path : NULL; }

struct sqlite3 *sl__db_sqlite(sl__db *db) { return db ? db->h : NULL; }

int sl__db_run_begin(sl__db *db, const sl__run_meta *meta, int64_t *run_id,
                     sl__err *err)
{
    if (!db || !meta || !run_id)
        return sl__fail(err, SL_EINVAL, "sl__db_run_begin: NULL argument");
    char hash[SL__SHA256_HEX_LEN + 1];
    const char *hashed = meta->config_effective ? meta->config_effective
                                                : meta->config_text;
    if (hashed)
        sl__sha256_hex(hashed, strlen(hashed), hash);
    char host[256], proc_id[SL__PROC_ID_LEN];
    int have_host = sl__hostname(host, sizeof host) == 0;
    int have_id = sl__proc_identity((int64_t)getpid(), proc_id,
                                    sizeof proc_id) == 0;
    /* parsed before the transaction: no lock held meanwhile */
    sl__kv *kv = NULL;
    size_t n_kv = 0;
    if (meta->config_effective) {
        sl__err perr;
        int prc = sl__config_flatten_text(meta->config_effective, &kv, &n_kv,
                                          &perr);
        if (prc == SL_ENOMEM)
            return sl__fail(err, prc, "%s", perr.msg);
        if (prc != SL_OK) { /* not a configuration: recorded without params */
            kv = NULL;
            n_kv = 0;
        }
    }

    int ret = exec(db, "BEGIN IMMEDIATE", err);
    if (ret) {
        sl__kv_free(kv, n_kv);
        return ret;
    }
    sqlite3_stmt *s = stmt(db, ST_RUN_INSERT, err);
    if (!s) {
        ret = SL_EDB;
        goto fail;
    }
    bind_text(s, 1, meta->name ? meta->name : "");
    bind_text(s, 2, meta->config_path);
    bind_text(s, 3, meta->config_text);
    bind_text(s, 4, meta->config_effective);
    bind_text(s, 5, hashed ? hash : NULL);
    bind_text(s, 6, meta->overrides ? meta->overrides : "");
    sqlite3_bind_int64(s, 7, meta->seed);
    bind_text(s, 8, have_host ? host : NULL);
    bind_text(s, 9, PACKAGE_VERSION);
    sqlite3_bind_double(s, 10, now_unix());
    sqlite3_bind_int64(s, 11, (int64_t)getpid());
    bind_text(s, 12, have_id ? proc_id : NULL);
    if (meta->parent_id > 0)
        sqlite3_bind_int64(s, 13, meta->parent_id);
    else
        sqlite3_bind_null(s, 13);
    if ((ret = step_done(db, s, err, "recording the run")))
        goto fail;
    int64_t id = sqlite3_last_insert_rowid(db->h);
    if ((ret = store_params(db, id, kv, n_kv, err)) ||
        (ret = store_defaults(db, id, kv, n_kv, meta->defaults,
                              meta->n_defaults, err)) ||
        (ret = store_env(db, id, meta->env, meta->n_env, err)) ||
        (ret = exec(db, "COMMIT", err)))
        goto fail;
    sl__kv_free(kv, n_kv);
    *run_id = id;
    db->active_run = id;
    db->checked_run = id;
    return SL_OK;
fail:
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    sl__kv_free(kv, n_kv);
    if (ret == SL_ENOTFOUND)
        return sl__fail(err, ret, "%s: no run %lld to re-run", db->path,
                        (long long)meta->parent_id);
    return ret;
}

void sl__db_set_active(sl__db *db, int64_t run)
{
    db->active_run = run;
    db->checked_run = run;
}

int sl__db_run_plugin(sl__db *db, int64_t run, const char *name,
                      const char *version, const char *abi, const char *path,
                      sl__err *err)
{
    if (!db || !name)
        return sl__fail(err, SL_EINVAL, "sl__db_run_plugin: NULL argument");
    char hash[SL__SHA256_HEX_LEN + 1];
    int have_hash = path && sl__sha256_file(path, hash, NULL) == SL_OK;
    sqlite3_stmt *s = stmt(db, ST_PLUGIN_INSERT, err);
    if (!s)
        return SL_EDB;
    sqlite3_bind_int64(s, 1, run);
    bind_text(s, 2, name);
    bind_text(s, 3, version);
    bind_text(s, 4, abi);
    bind_text(s, 5, path);
    bind_text(s, 6, have_hash ? hash : NULL);
    return step_done(db, s, err, "recording a plugin");
}

/* Status of a run: 1 running, 0 exists but ended, SL_ENOTFOUND missing,
 * SL_EDB on error. The ended status text goes to buf when given. */
static int run_status(sl__db *db, int64_t run, char *buf, size_t len,
                      sl__err *err)
{
    sqlite3_stmt *s = stmt(db, ST_RUN_STATUS, err);
    if (!s)
        return SL_EDB;
    sqlite3_bind_int64(s, 1, run);
    int rc = sqlite3_step(s);
    int ret;
    if (rc == SQLITE_ROW) {
        const char *st = (const char *)sqlite3_column_text(s, 0);
        ret = st && strcmp(st, "running") == 0;
        if (buf)
            snprintf(buf, len, "%s", st ? st : "?");
    } else if (rc == SQLITE_DONE) {
        ret = sl__fail(err, SL_ENOTFOUND, "%s: no run %lld", db->path,
                       (long long)run);
    } else {
        ret = db_fail(db, err, "reading a run's status");
    }
    sqlite3_reset(s);
    return ret;
}

static int intern_name(sl__db *db, const char *name, size_t *idx)
{
    if (db->last_name < db->n_names &&
        strcmp(db->names[db->last_name], name) == 0) {
        *idx = db->last_name;
        return SL_OK;
    }
    for (size_t i = 0; i < db->n_names; i++)
        if (strcmp(db->names[i], name) == 0) {
            *idx = db->last_name = i;
            return SL_OK;
        }
    if (db->n_names == db->cap_names) {
        size_t cap = db->cap_names ? 2 * db->cap_names : 16;
        char **p = realloc(db->names, cap * sizeof *p);
        if (!p)
            return SL_ENOMEM;
        db->names = p;
        db->cap_names = cap;
    }
    char *copy = strdup(name);
    if (!copy)
        return SL_ENOMEM;
    db->names[db->n_names] = copy;
    *idx = db->last_name = db->n_names++;
    return SL_OK;
}

int sl__db_metric(sl__db *db, int64_t run, int64_t step, const char *name,
                  double value, sl__err *err)
{
    if (!db || !name)
        return sl__fail(err, SL_EINVAL, "sl__db_metric: NULL argument");
    if (run != db->checked_run) {
        char st[32];
        int r = run_status(db, run, st, sizeof st, err);
        if (r < 0)
            return r;
        if (r == 0)
            return sl__fail(err, SL_EINVAL,
                            "%s: run %lld has already ended (%s): no more "
                            "metrics",
                            db->path, (long long)run, st);
        db->checked_run = run;
    }
    size_t idx;
    if (intern_name(db, name, &idx) != SL_OK)
        return sl__fail(err, SL_ENOMEM, "metric buffer: out of memory");
    if (db->n_buf == db->cap_buf) {
        size_t cap = db->cap_buf ? 2 * db->cap_buf : 256;
        metric_rec *p = realloc(db->buf, cap * sizeof *p);
        if (!p)
            return sl__fail(err, SL_ENOMEM, "metric buffer: out of memory");
        db->buf = p;
        db->cap_buf = cap;
    }
    double t = now_unix();
    if (db->n_buf == 0)
        db->buf_since = t;
    db->buf[db->n_buf++] = (metric_rec){run, step, value, t, idx};
    if (db->n_buf >= BUF_MAX || t - db->buf_since > BUF_MAX_AGE)
        return sl__db_flush(db, err);
    return SL_OK;
}

/* Write the buffer and heartbeat and, when end_run is non-zero, end that
 * run; all in one transaction. */
static int commit_pending(sl__db *db, int64_t end_run, const char *status,
                          const char *error, sl__err *err)
{
    if (db->n_buf == 0 && db->active_run == 0 && end_run == 0)
        return SL_OK;
    double t = now_unix();
    int busy;
    sqlite3_stmt *s;
    int ret = exec(db, "BEGIN IMMEDIATE", err);
    if (ret) /* busy past the timeout: keep the buffer for the next try */
        return ret;
    for (size_t i = 0; i < db->n_buf; i++) {
        const metric_rec *m = &db->buf[i];
        if (!(s = stmt(db, ST_METRIC_INSERT, err))) {
            ret = SL_EDB;
            goto fail;
        }
        sqlite3_bind_int64(s, 1, m->run);
        sqlite3_bind_int64(s, 2, m->step);
        sqlite3_bind_text(s, 3, db->names[m->name], -1, SQLITE_STATIC);
        sqlite3_bind_double(s, 4, m->value); /* NaN becomes NULL */
        sqlite3_bind_double(s, 5, m->wall);
        if ((ret = step_done(db, s, err, "writing metrics")))
            goto fail;
    }
    if (db->active_run) {
        if (!(s = stmt(db, ST_HEARTBEAT, err))) {
            ret = SL_EDB;
            goto fail;
        }
        sqlite3_bind_double(s, 1, t);
        sqlite3_bind_int64(s, 2, db->active_run);
        if ((ret = step_done(db, s, err, "updating the heartbeat")))
            goto fail;
    }
    if (end_run) {
        if (!(s = stmt(db, ST_RUN_END, err))) {
            ret = SL_EDB;
            goto fail;
        }
        bind_text(s, 1, status);
        bind_text(s, 2, error);
        sqlite3_bind_double(s, 3, t);
        sqlite3_bind_int64(s, 4, end_run);
        if ((ret = step_done(db, s, err, "ending the run")))
            goto fail;
        if (sqlite3_changes(db->h) != 1) { /* ended elsewhere meanwhile */
            ret = sl__fail(err, SL_EINVAL, "%s: run %lld is not running",
                           db->path, (long long)end_run);
            goto fail;
        }
    }
    if ((ret = exec(db, "COMMIT", err)))
        goto fail;
    db->n_buf = 0;
    return SL_OK;
fail:
    /* Only a lock timeout is worth retrying; anything else would fail the
     * same way at every flush. (Read the code before ROLLBACK resets it.) */
    busy = (sqlite3_extended_errcode(db->h) & 0xff) == SQLITE_BUSY;
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    if (!busy && ret != SL_EINVAL)
        db->n_buf = 0;
    return ret;
}

int sl__db_flush(sl__db *db, sl__err *err)
{
    if (!db)
        return sl__fail(err, SL_EINVAL, "sl__db_flush: NULL handle");
    return commit_pending(db, 0, NULL, NULL, err);
}

int sl__db_result(sl__db *db, int64_t run, const char *name, double value,
                  const char *text, sl__err *err)
{
    if (!db || !name)
        return sl__fail(err, SL_EINVAL, "sl__db_result: NULL argument");
    sqlite3_stmt *s = stmt(db, ST_RESULT, err);
    if (!s)
        return SL_EDB;
    sqlite3_bind_int64(s, 1, run);
    bind_text(s, 2, name);
    sqlite3_bind_double(s, 3, value);
    bind_text(s, 4, text);
    return step_done(db, s, err, "recording a result");
}

int sl__db_result_value(sl__db *db, int64_t run, const char *name,
                        double *value, sl__err *err)
{
    if (!db || !name || !value)
        return sl__fail(err, SL_EINVAL, "sl__db_result_value: NULL argument");
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(db->h, "SELECT value FROM results WHERE run_id = "
                           "?1 AND name = ?2", -1, &s, NULL) != SQLITE_OK)
        return sl__fail(err, SL_EDB, "%s: reading a result: %s", db->path,
                        sqlite3_errmsg(db->h));
    sqlite3_bind_int64(s, 1, run);
    bind_text(s, 2, name);
    int rc = sqlite3_step(s), found = 0;
    if (rc == SQLITE_ROW && sqlite3_column_type(s, 0) != SQLITE_NULL) {
        *value = sqlite3_column_double(s, 0);
        found = 1;
    } else if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        found = sl__fail(err, SL_EDB, "%s: reading a result: %s", db->path,
                         sqlite3_errmsg(db->h));
    }
    sqlite3_finalize(s);
    return found;
}

static int artifact(sl__db *db, int64_t run, const char *name,
                    const char *kind, const char *mime, const void *data,
                    size_t size, const char *path, sl__err *err)
{
    sqlite3_stmt *s = stmt(db, ST_ARTIFACT, err);
    if (!s)
        return SL_EDB;
    sqlite3_bind_int64(s, 1, run);
    bind_text(s, 2, name);
    bind_text(s, 3, kind);
    bind_text(s, 4, mime);
    if (path) {
        struct stat sb;
        sqlite3_bind_null(s, 5);
        bind_text(s, 6, path);
        if (stat(path, &sb) == 0)
            sqlite3_bind_int64(s, 7, (int64_t)sb.st_size);
        else
            sqlite3_bind_null(s, 7);
    } else {
        /* an empty artifact is an empty blob, not NULL */
        if (size == 0)
            sqlite3_bind_zeroblob(s, 5, 0);
        else if (sqlite3_bind_blob64(s, 5, data, (sqlite3_uint64)size,
                                     SQLITE_STATIC) != SQLITE_OK)
            return db_fail(db, err, "storing an artifact");
        sqlite3_bind_null(s, 6);
        sqlite3_bind_int64(s, 7, (int64_t)size);
    }
    sqlite3_bind_double(s, 8, now_unix());
    int ret = step_done(db, s, err, "storing an artifact");
    sqlite3_clear_bindings(s); /* drop the borrowed blob pointer */
    return ret;
}

int sl__db_artifact(sl__db *db, int64_t run, const char *name,
                    const char *kind, const char *mime, const void *data,
                    size_t size, sl__err *err)
{
    if (!db || !name || (!data && size))
        return sl__fail(err, SL_EINVAL, "sl__db_artifact: NULL argument");
    return artifact(db, run, name, kind, mime, data, size, NULL, err);
}

int sl__db_artifact_path(sl__db *db, int64_t run, const char *name,
                         const char *kind, const char *mime,
                         const char *path, sl__err *err)
{
    if (!db || !name || !path)
        return sl__fail(err, SL_EINVAL, "sl__db_artifact_path: NULL argument");
    return artifact(db, run, name, kind, mime, NULL, 0, path, err);
}

int sl__db_run_end(sl__db *db, int64_t run, const char *status,
                   const char *error, sl__err *err)
{
    if (!db || !status)
        return sl__fail(err, SL_EINVAL, "sl__db_run_end: NULL argument");
    if (strcmp(status, "finished") != 0 && strcmp(status, "failed") != 0 &&
        strcmp(status, "interrupted") != 0)
        return sl__fail(err, SL_EINVAL,
                        "sl__db_run_end: status '%s' is not one of finished, "
                        "failed, interrupted",
                        status);
    char st[32];
    int r = run_status(db, run, st, sizeof st, err);
    if (r < 0)
        return r;
    if (r == 0)
        return sl__fail(err, SL_EINVAL, "%s: run %lld has already ended (%s)",
                        db->path, (long long)run, st);
    sl__err local;
    if (!err)
        err = &local;
    size_t n_buf = db->n_buf;
    int ret = commit_pending(db, run, status, error, err);
    if (ret == SL_EDB && n_buf > 0 && db->n_buf == 0) {
        /* The buffered metrics could not be written and were dropped (a
         * full disk: SQLITE_FULL). End the run without them, as failed
         * and saying why, rather than leave it 'running': the end is one
         * small update that may still fit (issue 12, finding 5). */
        size_t len = strlen(err->msg) + (error ? strlen(error) : 0) + 128;
        char *why = malloc(len);
        char first[sizeof err->msg];
        snprintf(first, sizeof first, "%s", err->msg);
        if (why) {
            snprintf(why, len, "%s%sthe last %zu metric values could not "
                     "be written: %s", error ? error : "", error ? "; " : "",
                     n_buf, first);
            sl__err e2;
            if (commit_pending(db, run, "failed", why, &e2) == SL_OK) {
                db->active_run = db->active_run == run ? 0 : db->active_run;
                db->checked_run = db->checked_run == run ? 0
                                                         : db->checked_run;
                free(why);
                return sl__fail(err, SL_EDB, "%s; the last %zu metric values "
                                "are lost and run %lld is marked failed",
                                first, n_buf, (long long)run);
            }
            free(why);
        }
        ret = SL_EDB;
    }
    if (ret == SL_EDB) {
        /* not even the end could be written: a process on this host that
         * opens the file later sees this one gone and marks the run
         * interrupted (sl__db_reap) */
        char first[sizeof err->msg];
        snprintf(first, sizeof first, "%s", err->msg);
        return sl__fail(err, SL_EDB, "%s; run %lld stays 'running' in the "
                        "file until the next spikelab on this host opens it "
                        "and marks it interrupted", first, (long long)run);
    }
    if (ret == SL_OK) {
        if (db->active_run == run)
            db->active_run = 0;
        if (db->checked_run == run)
            db->checked_run = 0;
    }
    return ret;
}

/* ---- run history: liveness, tags, notes, removal, comparison ---------- */

int sl__db_reap(sl__db *db, int *n_marked, sl__err *err)
{
    if (n_marked)
        *n_marked = 0;
    if (!db)
        return sl__fail(err, SL_EINVAL, "sl__db_reap: NULL handle");
    char me[256];
    if (db->readonly || sl__hostname(me, sizeof me) != 0)
        return SL_OK;
    sqlite3_stmt *q;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT id, pid, proc_id FROM runs"
                           " WHERE status = 'running' AND host = ?1",
                           -1, &q, NULL) != SQLITE_OK)
        return db_fail(db, err, "looking for runs whose process died");
    sqlite3_bind_text(q, 1, me, -1, SQLITE_STATIC);
    int64_t dead[64], dead_pid[64];
    size_t n = 0;
    int rc;
    /* a batch of at most 64 per call is plenty: dead runs pile up only
     * between invocations */
    while (n < 64 && (rc = sqlite3_step(q)) == SQLITE_ROW) {
        int64_t pid = sqlite3_column_int64(q, 1);
        const char *pid_id = (const char *)sqlite3_column_text(q, 2);
        if (sl__proc_alive(me, pid, pid_id) == 0) {
            dead[n] = sqlite3_column_int64(q, 0);
            dead_pid[n++] = pid;
        }
    }
    sqlite3_finalize(q);
    if (n == 0)
        return SL_OK;
    sqlite3_stmt *u;
    if (sqlite3_prepare_v2(db->h,
                           "UPDATE runs SET status = 'interrupted',"
                           " ended_at = coalesce(heartbeat_at, started_at),"
                           " error = ?1 WHERE id = ?2 AND status = 'running'",
                           -1, &u, NULL) != SQLITE_OK)
        return db_fail(db, err, "marking runs interrupted");
    int ret = SL_OK;
    for (size_t i = 0; i < n && ret == SL_OK; i++) {
        char msg[400];
        snprintf(msg, sizeof msg,
                 "the process (pid %lld on %s) ended without finishing the "
                 "run: killed or crashed; the metrics it had written up to "
                 "its last heartbeat are kept",
                 (long long)dead_pid[i], me);
        sqlite3_reset(u);
        sqlite3_bind_text(u, 1, msg, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(u, 2, dead[i]);
        if (sqlite3_step(u) != SQLITE_DONE)
            ret = db_fail(db, err, "marking a run interrupted");
        else if (n_marked)
            *n_marked += sqlite3_changes(db->h);
    }
    sqlite3_finalize(u);
    return ret;
}

/* Run one constant statement with an int64 ?1 and an optional text ?2;
 * *changes receives the rows changed. */
static int exec_run(sl__db *db, const char *sql, int64_t run, const char *t,
                    int *changes, sl__err *err, const char *what)
{
    sqlite3_stmt *s;
    if (sqlite3_prepare_v2(db->h, sql, -1, &s, NULL) != SQLITE_OK)
        return db_fail(db, err, what);
    sqlite3_bind_int64(s, 1, run);
    if (sqlite3_bind_parameter_count(s) >= 2)
        bind_text(s, 2, t);
    if (sqlite3_bind_parameter_count(s) >= 3)
        sqlite3_bind_double(s, 3, now_unix());
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return db_fail(db, err, what);
    if (changes)
        *changes = sqlite3_changes(db->h);
    return SL_OK;
}

int sl__db_tag(sl__db *db, int64_t run, const char *tag, int add,
               sl__err *err)
{
    if (!db || !tag)
        return sl__fail(err, SL_EINVAL, "sl__db_tag: NULL argument");
    size_t len = strlen(tag);
    if (len == 0 || len > 200)
        return sl__fail(err, SL_EINVAL, "a tag must have 1 to 200 bytes, "
                        "not %zu", len);
    for (const char *p = tag; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            return sl__fail(err, SL_EINVAL,
                            "a tag must not hold control characters");
    int r = run_status(db, run, NULL, 0, err);
    if (r < 0)
        return r;
    int changes = 0;
    int ret = add ? exec_run(db, "INSERT OR IGNORE INTO tags(run_id, tag,"
                                 " created_at) VALUES(?1, ?2, ?3)",
                             run, tag, NULL, err, "adding a tag")
                  : exec_run(db, "DELETE FROM tags WHERE run_id = ?1"
                                 " AND tag = ?2",
                             run, tag, &changes, err, "removing a tag");
    if (ret == SL_OK && !add && changes == 0)
        return sl__fail(err, SL_ENOTFOUND, "run %lld has no tag '%s'",
                        (long long)run, tag);
    return ret;
}

int sl__db_note(sl__db *db, int64_t run, const char *text, int append,
                sl__err *err)
{
    if (!db)
        return sl__fail(err, SL_EINVAL, "sl__db_note: NULL handle");
    int r = run_status(db, run, NULL, 0, err);
    if (r < 0)
        return r;
    if (append && (!text || !*text))
        return SL_OK;
    return exec_run(db,
                    append ? "UPDATE runs SET note = CASE WHEN note IS NULL"
                             " OR note = '' THEN ?2 ELSE note || char(10)"
                             " || ?2 END WHERE id = ?1"
                           : "UPDATE runs SET note = NULLIF(?2, '')"
                             " WHERE id = ?1",
                    run, text, NULL, err, "writing the note");
}

int sl__db_run_delete(sl__db *db, const int64_t *runs, size_t n, int force,
                      sl__err *err)
{
    if (!db || (!runs && n))
        return sl__fail(err, SL_EINVAL, "sl__db_run_delete: NULL argument");
    int ret = exec(db, "BEGIN IMMEDIATE", err);
    if (ret)
        return ret;
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(db->h,
                           "SELECT status, host, pid, proc_id FROM runs"
                           " WHERE id = ?1",
                           -1, &q, NULL) != SQLITE_OK) {
        ret = db_fail(db, err, "removing runs");
        goto fail;
    }
    for (size_t i = 0; i < n; i++) {
        int dup = 0; /* "rm 3 3" removes run 3 once */
        for (size_t j = 0; j < i && !dup; j++)
            dup = runs[j] == runs[i];
        if (dup)
            continue;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, runs[i]);
        int rc = sqlite3_step(q);
        if (rc == SQLITE_DONE) {
            ret = sl__fail(err, SL_ENOTFOUND, "%s: no run %lld", db->path,
                           (long long)runs[i]);
            goto fail;
        }
        if (rc != SQLITE_ROW) {
            ret = db_fail(db, err, "removing runs");
            goto fail;
        }
        const char *st = (const char *)sqlite3_column_text(q, 0);
        if (!force && st && strcmp(st, "running") == 0) {
            const char *host = (const char *)sqlite3_column_text(q, 1);
            int alive = sl__proc_alive(host, sqlite3_column_int64(q, 2),
                                       (const char *)sqlite3_column_text(q, 3));
            if (alive != 0) {
                ret = sl__fail(err, SL_EINVAL,
                               "run %lld is still running%s (pid %lld on "
                               "%s); stop it first, or force the removal",
                               (long long)runs[i],
                               alive < 0 ? " as far as can be told" : "",
                               (long long)sqlite3_column_int64(q, 2),
                               host ? host : "?");
                goto fail;
            }
        }
        if ((ret = exec_run(db, "DELETE FROM runs WHERE id = ?1", runs[i],
                            NULL, NULL, err, "removing a run")))
            goto fail;
    }
    sqlite3_finalize(q);
    return exec(db, "COMMIT", err);
fail:
    sqlite3_finalize(q);
    sqlite3_exec(db->h, "ROLLBACK", NULL, NULL, NULL);
    return ret;
}

/* Two ordered row streams compared in step; see sl__db_compare. kind:
 * 0 metrics (name, step, value), 1 results (name, value), 2 parameter
 * artifacts (name, data). Returns SL_OK and sets out->first at the first
 * difference (leaving the rest unread). */
static int compare_rows(sl__db *db, int kind, int64_t a, int64_t b,
                        sl__db_diff *out, int64_t *count, sl__err *err)
{
    static const char *const sql[3] = {
        "SELECT name, step, value FROM metrics WHERE run_id = ?1"
        " ORDER BY name, step, rowid",
        /* timings (names ending _wall_s or _cpu_s, e.g. the simulate
         * mode's; simulate_{build,run}_s as the first version recorded
         * them) measure the run, not its outcome: not compared */
        "SELECT name, 0, value FROM results WHERE run_id = ?1"
        " AND name NOT GLOB '*_wall_s' AND name NOT GLOB '*_cpu_s'"
        " AND name NOT IN ('simulate_build_s', 'simulate_run_s')"
        " ORDER BY name",
        "SELECT name, 0, data FROM artifacts WHERE run_id = ?1"
        " AND kind = 'parameters' ORDER BY name",
    };
    static const char *const what[3] = {"metric", "result",
                                        "trained parameter"};
    sqlite3_stmt *s[2] = {NULL, NULL};
    int ret = SL_OK;
    *count = 0;
    for (int k = 0; k < 2; k++) {
        if (sqlite3_prepare_v2(db->h, sql[kind], -1, &s[k], NULL) !=
            SQLITE_OK) {
            ret = db_fail(db, err, "comparing runs");
            goto out;
        }
        sqlite3_bind_int64(s[k], 1, k ? b : a);
    }
    int done[2] = {0, 0};
    for (;;) {
        /* never step a finished statement again: it would start over */
        int ra = done[0] ? SQLITE_DONE : sqlite3_step(s[0]);
        int rb = done[1] ? SQLITE_DONE : sqlite3_step(s[1]);
        if ((ra != SQLITE_ROW && ra != SQLITE_DONE) ||
            (rb != SQLITE_ROW && rb != SQLITE_DONE)) {
            ret = db_fail(db, err, "comparing runs");
            goto out;
        }
        done[0] = ra == SQLITE_DONE;
        done[1] = rb == SQLITE_DONE;
        if (ra == SQLITE_DONE && rb == SQLITE_DONE)
            break;
        if (ra == SQLITE_ROW)
            ++*count;
        if (!out->identical)
            continue; /* still counting run a's rows */
        if (ra != rb) {
            sqlite3_stmt *has = ra == SQLITE_ROW ? s[0] : s[1];
            char step[40] = "";
            if (kind == 0)
                snprintf(step, sizeof step, " step %lld",
                         (long long)sqlite3_column_int64(has, 1));
            snprintf(out->first, sizeof out->first,
                     "%s '%s'%s is only in run %lld", what[kind],
                     (const char *)sqlite3_column_text(has, 0), step,
                     (long long)(ra == SQLITE_ROW ? a : b));
            out->identical = 0;
            continue;
        }
        const char *na = (const char *)sqlite3_column_text(s[0], 0);
        const char *nb = (const char *)sqlite3_column_text(s[1], 0);
        int64_t sa = sqlite3_column_int64(s[0], 1);
        int64_t sb = sqlite3_column_int64(s[1], 1);
        int order = strcmp(na ? na : "", nb ? nb : "");
        if (order == 0)
            order = (sa > sb) - (sa < sb);
        if (order != 0) {
            /* both streams are sorted: the smaller key is the one the other
             * run lacks */
            char step[40] = "";
            if (kind == 0)
                snprintf(step, sizeof step, " step %lld",
                         (long long)(order < 0 ? sa : sb));
            snprintf(out->first, sizeof out->first,
                     "%s '%s'%s is only in run %lld", what[kind],
                     order < 0 ? (na ? na : "") : (nb ? nb : ""), step,
                     (long long)(order < 0 ? a : b));
            out->identical = 0;
            continue;
        }
        int ta = sqlite3_column_type(s[0], 2), tb = sqlite3_column_type(s[1], 2);
        int same;
        if (kind == 2) {
            int la = sqlite3_column_bytes(s[0], 2);
            int lb = sqlite3_column_bytes(s[1], 2);
            const void *da = sqlite3_column_blob(s[0], 2);
            const void *db_ = sqlite3_column_blob(s[1], 2);
            same = la == lb && (la == 0 || memcmp(da, db_, (size_t)la) == 0);
        } else if (ta == SQLITE_NULL || tb == SQLITE_NULL) {
            same = ta == tb;
        } else {
            double va = sqlite3_column_double(s[0], 2);
            double vb = sqlite3_column_double(s[1], 2);
            same = memcmp(&va, &vb, sizeof va) == 0;
        }
        if (!same) {
            char step[40] = "", va[40] = "", vb[40] = "";
            if (kind == 0)
                snprintf(step, sizeof step, " step %lld", (long long)sa);
            if (kind != 2) {
                snprintf(va, sizeof va, ": %.17g", sqlite3_column_double(s[0], 2));
                snprintf(vb, sizeof vb, " vs %.17g", sqlite3_column_double(s[1], 2));
            }
            snprintf(out->first, sizeof out->first, "%s '%s'%s differs%s%s",
                     what[kind], na, step, va, vb);
            out->identical = 0;
        }
    }
out:
    sqlite3_finalize(s[0]);
    sqlite3_finalize(s[1]);
    return ret;
}

int sl__db_compare(sl__db *db, int64_t a, int64_t b, sl__db_diff *out,
                   sl__err *err)
{
    if (!db || !out)
        return sl__fail(err, SL_EINVAL, "sl__db_compare: NULL argument");
    memset(out, 0, sizeof *out);
    out->identical = 1;
    int r;
    if ((r = run_status(db, a, NULL, 0, err)) < 0 ||
        (r = run_status(db, b, NULL, 0, err)) < 0)
        return r;
    /* one snapshot for all three comparisons */
    int own = sqlite3_get_autocommit(db->h);
    if (own && (r = exec(db, "BEGIN", err)))
        return r;
    r = compare_rows(db, 0, a, b, out, &out->n_metrics, err);
    if (!r)
        r = compare_rows(db, 1, a, b, out, &out->n_results, err);
    if (!r)
        r = compare_rows(db, 2, a, b, out, &out->n_params, err);
    if (own)
        sqlite3_exec(db->h, "COMMIT", NULL, NULL, NULL);
    return r;
}

int sl__db_set_reproduced(sl__db *db, int64_t run, int identical,
                          sl__err *err)
{
    if (!db)
        return sl__fail(err, SL_EINVAL, "sl__db_set_reproduced: NULL handle");
    int changes = 0;
    int ret = exec_run(db,
                       identical ? "UPDATE runs SET reproduced = 1 WHERE id = ?1"
                                 : "UPDATE runs SET reproduced = 0 WHERE id = ?1",
                       run, NULL, &changes, err, "recording the reproduction");
    if (ret == SL_OK && changes == 0)
        return sl__fail(err, SL_ENOTFOUND, "%s: no run %lld", db->path,
                        (long long)run);
    return ret;
}
