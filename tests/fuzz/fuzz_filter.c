/*
 * tests/fuzz/fuzz_filter.c — the filters of `spikelab runs` (and of
 * rundb.h's sl_rundb_runs): --where, --since and --sort, parsed by
 * core/db/filter.c and turned into bound SQL.
 *
 * The input is text, one option per line, as on the command line:
 *   KEY OP VALUE          a --where condition (at most 8 are used)
 *   --since TIME
 *   --sort [-]KEY
 * Every condition that parses must become SQL that SQLite prepares and
 * runs over a small in-memory database, with every value bound, never
 * spliced in: a statement that does not prepare is a broken invariant.
 * The tables hold only the columns filter.c's SQL names (runs.id, params,
 * results, metrics), so the harness does not depend on the rest of the
 * schema in core/db/db.c; should filter.c start naming another column,
 * the seed corpus stops preparing and make check says so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "fuzz.h"
#include "spikelab/abi.h"
#include "db/filter.h"

#define MAX_WHERE 8

static sqlite3 *db;

static const char schema[] =
    "CREATE TABLE runs (id INTEGER PRIMARY KEY, started_at REAL);"
    "CREATE TABLE params (run_id INTEGER, key TEXT, alias TEXT,"
    " value_num REAL, value_text TEXT);"
    "CREATE TABLE results (run_id INTEGER, name TEXT, value REAL);"
    "CREATE TABLE metrics (run_id INTEGER, name TEXT, step INTEGER,"
    " value REAL);"
    "INSERT INTO runs VALUES (1, 1.7e9), (2, 1.7e9 + 3600);"
    "INSERT INTO params VALUES"
    " (1, 'optimizer.lr', NULL, 0.01, '0.01'),"
    " (1, 'network.layers.1.tau_mem', 'network.layers.lif.tau_mem', 0.02,"
    "  '0.02'),"
    " (2, 'optimizer.type', NULL, NULL, 'adam'),"
    " (2, 'train.shuffle', NULL, 1, 'true');"
    "INSERT INTO results VALUES (1, 'test_frr_median', 1.5),"
    " (2, 'test_frr_median', 2.5);"
    "INSERT INTO metrics VALUES (1, 'loss', 0, 1.0), (1, 'loss', 1, 0.5),"
    " (2, 'loss', 0, 0.25);";

static void close_db(void)
{
    sqlite3_close(db);
}

static sqlite3 *open_db(void)
{
    if (db)
        return db;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK ||
        sqlite3_exec(db, schema, NULL, NULL, NULL) != SQLITE_OK) {
        fprintf(stderr, "fuzz_filter: cannot set up the database: %s\n",
                sqlite3_errmsg(db));
        abort();
    }
    atexit(close_db);
    return db;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';

    sl__cond conds[MAX_WHERE];
    int n_conds = 0;
    const char *sort = NULL;
    sl__ns sort_ns = SL__NS_ANY;
    int desc = 0, has_since = 0;
    double since = 0;
    sl__err err;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next)
            *next++ = '\0';
        if (strncmp(line, "--since ", 8) == 0) {
            /* a fixed "now": the result depends on the input only */
            has_since = sl__parse_since(line + 8, 1.7e9, &since, &err) ==
                        SL_OK;
            FUZZ_CHECK(has_since || err.msg[0],
                       "--since refused without a message");
        } else if (strncmp(line, "--sort ", 7) == 0) {
            const char *k = line + 7;
            desc = *k == '-';
            k += desc;
            sort = sl__key_ns(k, &sort_ns, &err);
        } else if (n_conds < MAX_WHERE) {
            int rc = sl__cond_parse(line, &conds[n_conds], &err);
            if (rc == SL_OK)
                n_conds++;
            else
                FUZZ_CHECK(rc == SL_EINVAL && err.msg[0],
                           "--where refused with status %d, message '%s'",
                           rc, err.msg);
        }
    }

    /* the query `spikelab runs` builds: value columns, filters, order */
    sl__sql q;
    memset(&q, 0, sizeof q);
    sl__sql_add(&q, "SELECT runs.id");
    for (int i = 0; i < n_conds; i++) {
        sl__sql_add(&q, ", ");
        sl__key_value_sql(&q, conds[i].key, conds[i].ns);
    }
    sl__sql_add(&q, " FROM runs WHERE 1");
    for (int i = 0; i < n_conds; i++) {
        sl__sql_add(&q, " AND ");
        sl__cond_sql(&q, &conds[i]);
    }
    if (has_since) {
        sl__sql_add(&q, " AND runs.started_at >= ");
        sl__sql_ref(&q, sl__sql_param_double(&q, since));
    }
    /* ordered and limited as both callers (cmd/runs.c, api/rundb.c) do:
     * they end with a bound LIMIT, which the harness must too, since
     * sl__cond_sql registers the key's parameter even where it compares
     * nothing (text against result: or metric:), and a statement whose
     * highest parameter is unused does not bind (SQLITE_RANGE) */
    sl__sql_add(&q, " ORDER BY ");
    if (sort && *sort) {
        sl__key_value_sql(&q, sort, sort_ns);
        sl__sql_add(&q, desc ? " DESC, " : " ASC, ");
    }
    sl__sql_add(&q, "runs.id DESC LIMIT ");
    sl__sql_ref(&q, sl__sql_param_int(&q, 100));
    sqlite3_stmt *st = NULL;
    int rc = sl__sql_prepare(&q, open_db(), &st);
    FUZZ_CHECK(rc == SQLITE_OK || rc == SQLITE_NOMEM,
               "the filter's SQL does not prepare: %s", sqlite3_errmsg(db));
    if (st) {
        while ((rc = sqlite3_step(st)) == SQLITE_ROW)
            ;
        FUZZ_CHECK(rc == SQLITE_DONE, "the filter's query fails: %s",
                   sqlite3_errmsg(db));
        sqlite3_finalize(st);
    }
    sl__sql_free(&q);
    for (int i = 0; i < n_conds; i++)
        sl__cond_free(&conds[i]);
    free(text);
    return 0;
}
