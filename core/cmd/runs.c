/* core/cmd_runs.c — `spikelab runs` (list and filter the recorded runs)
 * and `spikelab show ID` (everything about one run), as text or JSON.
 *
 * JSON shapes (stable: scripts read them):
 *
 * runs --json: an array, in the listing order (newest first unless
 * --sort), of
 *   {"id", "name", "status", "process_alive", "seed", "started_at",
 *    "ended_at", "duration_s", "heartbeat_at", "host", "pid",
 *    "core_version", "config_path", "config_hash", "overrides", "error",
 *    "reproduces", "reproduced_identical", "tags", "note",
 *    "final_metrics": {NAME: value at the highest step, ...},
 *    "results": {NAME: value, ...},
 *    "values": {KEY: value, ...}}   only with --where/--sort keys: the
 *                                   value each such key has for the run
 *
 * show --json: one object with the fields above (without final_metrics
 * and values) plus
 *   "plugins":   [{"name", "version", "abi", "path", "sha256"}, ...]
 *   "config":    the effective config text (after overrides)
 *   "config_original": the config file's text as written
 *   "params":    {KEY: value, ...} the flattened effective config, typed
 *   "metrics":   {NAME: [{"step", "value", "wall_time"}, ...], ...}
 *                every recorded value, names sorted, steps ascending
 *   "results":   {NAME: value, ...}
 *   "result_texts": {NAME: text, ...}  only results that carry a text
 *   "artifacts": [{"name", "kind", "mime", "size", "path",
 *                  "created_at"}, ...]  (bytes are not printed; see
 *                  `spikelab export --artifacts`)
 *
 * Conventions: times are Unix seconds (numbers); "overrides" is an array
 * of "key=value" strings; absent values are null; numbers that JSON cannot
 * hold are strings: "inf", "-inf", "nan" (a NaN metric is stored as NULL
 * and comes back as "nan"). "process_alive" is true/false for a run
 * recorded as running on this host, null otherwise. "reproduces" is the
 * id of the run a re-run repeats, "reproduced_identical" whether its
 * outputs were bit-identical (null: not a re-run, or not compared).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "cmd/cmd.h"
#include "cmd/out.h"
#include "db/filter.h"
#include "cmd/textplot.h"

#define MAX_WHERE 16
#define MAX_EXTRA 6 /* value columns shown for --where/--sort keys */

static const char runs_usage[] =
    "Usage: spikelab runs [--db PATH] [--json] [filters] [--sort KEY]\n"
    "                     [--limit N]\n"
    "List the recorded runs, newest first.\n"
    "\n"
    "filters (all must hold):\n"
    "  --status LIST    running, finished, failed, interrupted; comma-separated\n"
    "  --name PATTERN   experiment name; * ? [..] match like file names\n"
    "  --where 'KEY OP VALUE'   (repeatable) a configuration parameter, a final\n"
    "                   result or a final metric value; OP one of\n"
    "                   = != < <= > >= ~ (glob). Examples:\n"
    "                     --where 'optimizer.lr>=0.01'\n"
    "                     --where 'network.layers.lif.tau_mem=0.02'\n"
    "                     --where 'loss<0.01' --where 'optimizer.type=adam'\n"
    "                   KEY is looked up as a parameter, then a result, then\n"
    "                   a metric (its value at the last step); prefix it with\n"
    "                   param:, result: or metric: to pick one. A number\n"
    "                   compares as a number, other values (or quoted ones)\n"
    "                   as text. Runs without KEY never match.\n"
    "  --since TIME     started at or after TIME: 30m, 2h, 3d, 1w ago,\n"
    "                   YYYY-MM-DD, 'YYYY-MM-DD HH:MM[:SS]', @UNIXSECONDS\n"
    "  --tag TAG        (repeatable) runs carrying TAG\n"
    "\n"
    "  --sort KEY       id, started, ended, duration, name, status, seed or any\n"
    "                   --where KEY (e.g. loss); -KEY sorts descending; runs\n"
    "                   without KEY come last\n"
    "  --limit N        at most N runs\n"
    "  --json           a JSON array with every field of each run, its final\n"
    "                   metric values and its results\n"
    "  --db PATH        run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help           this text\n"
    "\n"
    "The keys used by --where and --sort are shown as extra columns.\n"
    "A run whose process died (killed, crashed, machine rebooted) is marked\n"
    "'interrupted' by the next spikelab that opens the database on the same\n"
    "host; its metrics up to the last flush are kept. Bad filters: exit 2.\n";

static const char show_usage[] =
    "Usage: spikelab show ID [--db PATH] [--json | --config]\n"
    "Show everything recorded about run ID (a number, or 'last'): status,\n"
    "times, host, versions, plugins with their file hashes, tags and note,\n"
    "the parameters (the effective configuration, flattened), metrics with a\n"
    "text plot of the loss, results and stored artifacts.\n"
    "\n"
    "  --json      everything as one JSON object, every metric value included\n"
    "  --config    print only the effective configuration (to re-run it by\n"
    "              hand; `spikelab rerun ID` does it for you)\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help      this text\n";

/* ---- options ----------------------------------------------------------- */

typedef struct opts {
    const char *db;
    int json, config;
    long long limit;              /* -1 = all */
    const char *id;               /* show */
    const char *status, *name, *since, *sort;
    const char *where[MAX_WHERE];
    int n_where;
    const char *tag[MAX_WHERE];
    int n_tag;
} opts;

/* 0: parsed; 1: --help printed; 2: usage error (reported). */
static int parse(int argc, char **argv, int is_show, opts *o)
{
    const char *cmd = is_show ? "show" : "runs";
    memset(o, 0, sizeof *o);
    o->limit = -1;
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (!only_positional && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) {
                only_positional = 1;
            } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
                fputs(is_show ? show_usage : runs_usage, stdout);
                return 1;
            } else if (strcmp(a, "--json") == 0) {
                o->json = 1;
            } else if (is_show && strcmp(a, "--config") == 0) {
                o->config = 1;
            } else if ((v = sl__cli_opt_value(argc, argv, &i, "--db",
                                              &missing))) {
                if (!*v)
                    return sl__cli_usage_error(cmd, "--db needs a path");
                o->db = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--limit",
                                                          &missing))) {
                char *end;
                errno = 0;
                long long n = strtoll(v, &end, 10);
                if (!*v || *end || errno || n < 0)
                    return sl__cli_usage_error(
                        cmd, "--limit needs a number >= 0, not '%s'", v);
                o->limit = n;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--status",
                                                          &missing))) {
                o->status = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--name",
                                                          &missing))) {
                o->name = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--since",
                                                          &missing))) {
                o->since = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--sort",
                                                          &missing))) {
                o->sort = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--where",
                                                          &missing))) {
                if (o->n_where == MAX_WHERE)
                    return sl__cli_usage_error(cmd, "at most %d --where",
                                               MAX_WHERE);
                o->where[o->n_where++] = v;
            } else if (!is_show && (v = sl__cli_opt_value(argc, argv, &i,
                                                          "--tag",
                                                          &missing))) {
                if (o->n_tag == MAX_WHERE)
                    return sl__cli_usage_error(cmd, "at most %d --tag",
                                               MAX_WHERE);
                o->tag[o->n_tag++] = v;
            } else if (missing) {
                return sl__cli_usage_error(cmd, "%s needs a value", a);
            } else {
                return sl__cli_usage_error(cmd, "unknown option '%s'", a);
            }
        } else if (is_show && !o->id) {
            o->id = a;
        } else {
            return sl__cli_usage_error(cmd, "unexpected argument '%s'", a);
        }
    }
    if (is_show && !o->id)
        return sl__cli_usage_error(cmd, "which run? give its ID (see "
                                        "'spikelab runs')");
    if (o->json && o->config)
        return sl__cli_usage_error(cmd, "--json and --config exclude each "
                                        "other");
    return 0;
}

/* ---- spikelab runs ------------------------------------------------------ */

/* {"name": value, ...} of the results of run; texts too when with_texts
 * (as a second object "result_texts"). Returns 0 or -1 on a query error. */
static int json_results(sl__json *w, sqlite3 *h, int64_t run, int with_texts)
{
    sqlite3_stmt *s = sl__cli_prepare(h, "SELECT name, value, text FROM"
                                         " results WHERE run_id = ?1"
                                         " ORDER BY name");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, run);
    int rc;
    sl__json_key(w, "results");
    sl__json_object_begin(w);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sl__json_key(w, sl__cli_col_text(s, 0));
        sl__json_number(w, sl__cli_col_double(s, 1));
    }
    sl__json_object_end(w);
    if (rc == SQLITE_DONE && with_texts) {
        sqlite3_reset(s);
        sl__json_key(w, "result_texts");
        sl__json_object_begin(w);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
                sl__json_key(w, sl__cli_col_text(s, 0));
                sl__json_string(w, sl__cli_col_text(s, 2));
            }
        sl__json_object_end(w);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Name of the metric shown as LOSS in `runs`: the first of these the run
 * recorded. */
static const char *const loss_names[] = {"loss", "train_loss", "train.loss"};

static const char *const statuses[] = {"running", "finished", "failed",
                                       "interrupted"};

/* Builtin sort keys: name → SQL (constant). */
static const struct {
    const char *key, *sql;
} builtin_sort[] = {
    {"id", "runs.id"},
    {"started", "runs.started_at"},
    {"ended", "runs.ended_at"},
    {"duration", "coalesce(runs.ended_at, runs.heartbeat_at) - runs.started_at"},
    {"name", "runs.name"},
    {"status", "runs.status"},
    {"seed", "runs.seed"},
};

/* The query (filters, extra value columns, order, limit) from the options.
 * conds and the option strings must outlive the statement's preparation.
 * Returns 0, or 2 after reporting a usage error. */
static int build_query(const opts *o, sl__cond *conds, const char **extra,
                       sl__ns *extra_ns, int *n_extra, sl__sql *q)
{
    sl__err err;
    sl__err_clear(&err);
    for (int i = 0; i < o->n_where; i++)
        if (sl__cond_parse(o->where[i], &conds[i], &err) != SL_OK)
            return sl__cli_usage_error("runs", "--where: %s", err.msg);
    double since = 0;
    if (o->since && sl__parse_since(o->since, sl__cli_now(), &since, &err))
        return sl__cli_usage_error("runs", "%s", err.msg);
    const char *sort_sql = NULL, *sort_key = NULL;
    sl__ns sort_ns = SL__NS_ANY;
    int desc = 0;
    if (o->sort) {
        const char *k = o->sort;
        if (*k == '-') {
            desc = 1;
            k++;
        }
        if (!*k)
            return sl__cli_usage_error("runs", "--sort needs a key");
        for (size_t i = 0; i < sizeof builtin_sort / sizeof *builtin_sort; i++)
            if (strcmp(k, builtin_sort[i].key) == 0)
                sort_sql = builtin_sort[i].sql;
        if (!sort_sql && !(sort_key = sl__key_ns(k, &sort_ns, &err)))
            return sl__cli_usage_error("runs", "--sort: %s", err.msg);
        if (sort_key && !*sort_key)
            return sl__cli_usage_error("runs", "--sort needs a key");
    }

    /* extra columns: each distinct --where key, then the sort key */
    *n_extra = 0;
    for (int i = 0; i <= o->n_where && *n_extra < MAX_EXTRA; i++) {
        const char *k = i < o->n_where ? conds[i].key : sort_key;
        sl__ns ns = i < o->n_where ? conds[i].ns : sort_ns;
        int dup = !k;
        for (int j = 0; j < *n_extra && !dup; j++)
            dup = strcmp(extra[j], k) == 0 && extra_ns[j] == ns;
        if (!dup) {
            extra[*n_extra] = k;
            extra_ns[(*n_extra)++] = ns;
        }
    }

    sl__sql_add(q, "SELECT " SL__RUN_COLUMNS);
    for (int i = 0; i < *n_extra; i++) {
        sl__sql_add(q, ", ");
        sl__key_value_sql(q, extra[i], extra_ns[i]);
    }
    sl__sql_add(q, " FROM runs WHERE 1");
    if (o->status) {
        /* a comma-separated list of known statuses */
        sl__sql_add(q, " AND runs.status IN (");
        const char *p = o->status;
        int n = 0;
        while (*p) {
            size_t len = strcspn(p, ",");
            int known = -1;
            for (int s = 0; s < 4; s++)
                if (strlen(statuses[s]) == len &&
                    strncmp(p, statuses[s], len) == 0)
                    known = s;
            if (known < 0)
                return sl__cli_usage_error(
                    "runs", "--status: '%.*s' is not a status (running, "
                            "finished, failed, interrupted)",
                    (int)len, p);
            sl__sql_add(q, n++ ? ", " : "");
            sl__sql_ref(q, sl__sql_param_text(q, statuses[known]));
            p += len + (p[len] == ',');
        }
        if (n == 0)
            return sl__cli_usage_error("runs", "--status needs a status");
        sl__sql_add(q, ")");
    }
    if (o->name) {
        sl__sql_add(q, " AND runs.name GLOB ");
        sl__sql_ref(q, sl__sql_param_text(q, o->name));
    }
    if (o->since) {
        sl__sql_add(q, " AND runs.started_at >= ");
        sl__sql_ref(q, sl__sql_param_double(q, since));
    }
    for (int i = 0; i < o->n_tag; i++) {
        sl__sql_add(q, " AND EXISTS (SELECT 1 FROM tags t WHERE"
                       " t.run_id = runs.id AND t.tag = ");
        sl__sql_ref(q, sl__sql_param_text(q, o->tag[i]));
        sl__sql_add(q, ")");
    }
    for (int i = 0; i < o->n_where; i++) {
        sl__sql_add(q, " AND ");
        sl__cond_sql(q, &conds[i]);
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
    sl__sql_ref(q, sl__sql_param_int(q, o->limit));
    return 0;
}

/* A value column as text: number, text, or "-". */
static void value_cell(sqlite3_stmt *r, int col, char *buf, size_t len)
{
    switch (sqlite3_column_type(r, col)) {
    case SQLITE_NULL:
        snprintf(buf, len, "-");
        break;
    case SQLITE_INTEGER:
    case SQLITE_FLOAT:
        sl__cli_fmt_num(sqlite3_column_double(r, col), buf, len);
        break;
    default:
        snprintf(buf, len, "%s", sl__cli_col_text(r, col));
    }
}

/* "a, b" from the 0x1f-joined tags column (in place into buf). */
static const char *tags_cell(sqlite3_stmt *r, char *buf, size_t len)
{
    const char *t = sl__cli_col_text(r, SL__C_TAGS);
    size_t j = 0;
    for (; t && *t && j + 3 < len; t++) {
        if (*t == '\x1f') {
            buf[j++] = ',';
            buf[j++] = ' ';
        } else {
            buf[j++] = *t;
        }
    }
    buf[j] = '\0';
    return buf;
}

/* List the runs; returns the exit status. */
static int runs_query(sl__db *db, const opts *o)
{
    sqlite3 *h = sl__db_sqlite(db);
    sl__cond conds[MAX_WHERE];
    memset(conds, 0, sizeof conds);
    const char *extra[MAX_EXTRA];
    sl__ns extra_ns[MAX_EXTRA];
    int n_extra = 0, status = 0;
    sl__sql q = {0};
    sqlite3_stmt *r = NULL, *fm = NULL, *ls = NULL;
    sl__table t = {.ncol = 8,
                   .head = {"ID", "STATUS", "NAME", "STARTED", "DURATION",
                            "SEED", "LOSS"},
                   .align = {'r', 'l', 'l', 'l', 'r', 'r', 'r'},
                   .maxw = {0, 0, 32, 0, 0, 0, 0}};
    sl__json w;
    sl__json_init(&w, stdout, 2);
    int rc = SQLITE_ERROR;

    if ((status = build_query(o, conds, extra, extra_ns, &n_extra, &q)))
        goto out;
    for (int i = 0; i < n_extra; i++) {
        t.head[7 + i] = extra[i];
        t.align[7 + i] = 'r';
        t.maxw[7 + i] = 24;
    }
    t.ncol = 8 + n_extra;
    t.head[t.ncol - 1] = "TAGS";
    t.align[t.ncol - 1] = 'l';
    t.maxw[t.ncol - 1] = 40;

    if ((rc = sl__sql_prepare(&q, h, &r)) != SQLITE_OK)
        goto done;
    fm = sl__cli_prepare(h, "SELECT name, value, max(step) FROM metrics"
                            " WHERE run_id = ?1 GROUP BY name ORDER BY name");
    ls = sl__cli_prepare(h, "SELECT value FROM metrics"
                            " WHERE run_id = ?1 AND name = ?2"
                            " ORDER BY step DESC, rowid DESC LIMIT 1");
    rc = SQLITE_ERROR;
    if (!fm || !ls)
        goto done;
    if (o->json)
        sl__json_array_begin(&w);
    int any_died = 0;
    const int base = SL__C_TAGS + 1; /* first extra value column */
    while ((rc = sqlite3_step(r)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(r, SL__C_ID);
        if (o->json) {
            sl__json_object_begin(&w);
            sl__cli_json_run_fields(&w, r);
            sl__json_key(&w, "final_metrics");
            sl__json_object_begin(&w);
            sqlite3_bind_int64(fm, 1, id);
            while ((rc = sqlite3_step(fm)) == SQLITE_ROW) {
                sl__json_key(&w, sl__cli_col_text(fm, 0));
                sl__json_number(&w, sl__cli_col_double(fm, 1));
            }
            sqlite3_reset(fm);
            sl__json_object_end(&w);
            if (rc != SQLITE_DONE || json_results(&w, h, id, 0) != 0)
                goto done;
            if (n_extra) {
                sl__json_key(&w, "values");
                sl__json_object_begin(&w);
                for (int i = 0; i < n_extra; i++) {
                    sl__json_key(&w, extra[i]);
                    int ty = sqlite3_column_type(r, base + i);
                    if (ty == SQLITE_TEXT)
                        sl__json_string(&w, sl__cli_col_text(r, base + i));
                    else
                        sl__cli_json_col_number(&w, r, base + i);
                }
                sl__json_object_end(&w);
            }
            sl__json_object_end(&w);
            continue;
        }
        char idb[24], started[32], dur[32], seed[24], loss[32] = "-";
        char vals[MAX_EXTRA][64], tags[256];
        const char *cells[SL__TABLE_MAXCOL];
        const char *st = sl__cli_col_text(r, SL__C_STATUS);
        snprintf(idb, sizeof idb, "%lld", (long long)id);
        snprintf(seed, sizeof seed, "%lld",
                 (long long)sqlite3_column_int64(r, SL__C_SEED));
        sl__cli_fmt_time(sl__cli_col_double(r, SL__C_STARTED), started,
                         sizeof started);
        sl__cli_fmt_duration(sl__cli_run_duration(r), dur, sizeof dur);
        if (sl__cli_run_alive(r) == 0) { /* read-only file: not reaped */
            st = "died";
            any_died = 1;
        }
        for (size_t k = 0; k < sizeof loss_names / sizeof *loss_names; k++) {
            sqlite3_bind_int64(ls, 1, id);
            sqlite3_bind_text(ls, 2, loss_names[k], -1, SQLITE_STATIC);
            int lrc = sqlite3_step(ls);
            if (lrc == SQLITE_ROW)
                sl__cli_fmt_num(sl__cli_col_double(ls, 0), loss, sizeof loss);
            sqlite3_reset(ls);
            if (lrc == SQLITE_ROW)
                break;
        }
        cells[0] = idb;
        cells[1] = st;
        cells[2] = sl__cli_col_text(r, SL__C_NAME);
        cells[3] = started;
        cells[4] = dur;
        cells[5] = seed;
        cells[6] = loss;
        for (int i = 0; i < n_extra; i++) {
            value_cell(r, base + i, vals[i], sizeof vals[i]);
            cells[7 + i] = vals[i];
        }
        cells[t.ncol - 1] = tags_cell(r, tags, sizeof tags);
        sl__table_rowv(&t, cells);
    }
    if (rc != SQLITE_DONE)
        goto done;
    if (o->json) {
        sl__json_array_end(&w);
        if (sl__json_finish(&w) != 0)
            rc = SQLITE_IOERR;
    } else if (t.oom) {
        rc = SQLITE_NOMEM;
    } else if (t.nrows == 0) {
        if (o->status || o->name || o->since || o->n_where || o->n_tag)
            printf("no run matches in %s\n", sl__db_path(db));
        else
            printf("no runs recorded in %s\n", sl__db_path(db));
    } else {
        sl__table_print(&t, stdout, "");
        if (any_died)
            printf("(died: recorded as running, but its process is gone)\n");
    }
done:
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "spikelab runs: %s: %s\n", sl__db_path(db),
                rc == SQLITE_IOERR ? "cannot write the output"
                : rc == SQLITE_NOMEM ? "out of memory"
                                     : sqlite3_errmsg(h));
        status = 1;
    }
out:
    sl__table_free(&t);
    sqlite3_finalize(r);
    sqlite3_finalize(fm);
    sqlite3_finalize(ls);
    sl__sql_free(&q);
    for (int i = 0; i < o->n_where; i++)
        sl__cond_free(&conds[i]);
    return status;
}

int sl__cmd_runs(int argc, char **argv)
{
    opts o;
    int p = parse(argc, argv, 0, &o);
    if (p)
        return p == 1 ? sl__cli_finish("runs", 0) : 2;
    /* check the filters before touching the file */
    for (int i = 0; i < o.n_where; i++) {
        sl__cond c;
        sl__err err;
        if (sl__cond_parse(o.where[i], &c, &err) != SL_OK)
            return sl__cli_usage_error("runs", "--where: %s", err.msg);
        sl__cond_free(&c);
    }
    sl__db *db;
    if (sl__cli_open_db("runs", o.db, &db))
        return 1;
    sqlite3 *h = sl__db_sqlite(db);
    /* one read transaction: a consistent snapshot while runs write */
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    int status = runs_query(db, &o);
    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    sl__db_close(db);
    return sl__cli_finish("runs", status);
}

/* ---- spikelab show ------------------------------------------------------ */

static int json_params(sl__json *w, sqlite3 *h, int64_t id)
{
    sqlite3_stmt *s = sl__cli_prepare(h, "SELECT key, type, value_text,"
                                         " value_num FROM params"
                                         " WHERE run_id = ?1 ORDER BY rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    int rc;
    sl__json_key(w, "params");
    sl__json_object_begin(w);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sl__json_key(w, sl__cli_col_text(s, 0));
        sl__cli_json_param(w, sl__cli_col_text(s, 1), sl__cli_col_text(s, 2),
                           s, 3);
    }
    sl__json_object_end(w);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

static int show_json(sqlite3 *h, sqlite3_stmt *r, int64_t id)
{
    sl__json w;
    sl__json_init(&w, stdout, 3);
    sqlite3_stmt *s = NULL;
    int rc = SQLITE_DONE;
    sl__json_object_begin(&w);
    sl__cli_json_run_fields(&w, r);

    sl__json_key(&w, "plugins");
    sl__json_array_begin(&w);
    s = sl__cli_prepare(h, "SELECT name, version, abi, path, sha256 FROM"
                           " run_plugins WHERE run_id = ?1 ORDER BY rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        static const char *const k[] = {"name", "version", "abi", "path",
                                        "sha256"};
        sl__json_object_begin(&w);
        for (int i = 0; i < 5; i++) {
            sl__json_key(&w, k[i]);
            sl__json_string(&w, sl__cli_col_text(s, i));
        }
        sl__json_object_end(&w);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    sl__json_array_end(&w);

    sl__json_key(&w, "config");
    sl__json_string(&w, sl__cli_col_text(r, SL__C_CONFIG_EFFECTIVE));
    sl__json_key(&w, "config_original");
    sl__json_string(&w, sl__cli_col_text(r, SL__C_CONFIG_TEXT));
    if (json_params(&w, h, id) != 0)
        return -1;

    sl__json_key(&w, "metrics");
    sl__json_object_begin(&w);
    s = sl__cli_prepare(h, "SELECT name, step, value, wall_time FROM metrics"
                           " WHERE run_id = ?1 ORDER BY name, step, rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    char *cur = NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = sl__cli_col_text(s, 0);
        if (!name)
            name = "";
        if (!cur || strcmp(cur, name) != 0) {
            if (cur)
                sl__json_array_end(&w);
            free(cur);
            if (!(cur = strdup(name))) {
                rc = SQLITE_NOMEM;
                break;
            }
            sl__json_key(&w, name);
            sl__json_array_begin(&w);
        }
        sl__json_object_begin(&w);
        sl__json_key(&w, "step");
        sl__json_int(&w, sqlite3_column_int64(s, 1));
        sl__json_key(&w, "value");
        sl__json_number(&w, sl__cli_col_double(s, 2));
        sl__json_key(&w, "wall_time");
        sl__json_number(&w, sl__cli_col_double(s, 3));
        sl__json_object_end(&w);
    }
    if (cur)
        sl__json_array_end(&w);
    free(cur);
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    sl__json_object_end(&w);

    if (json_results(&w, h, id, 1) != 0)
        return -1;

    sl__json_key(&w, "artifacts");
    sl__json_array_begin(&w);
    s = sl__cli_prepare(h, "SELECT name, kind, mime, size, path, created_at"
                           " FROM artifacts WHERE run_id = ?1 ORDER BY name");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sl__json_object_begin(&w);
        sl__json_key(&w, "name");
        sl__json_string(&w, sl__cli_col_text(s, 0));
        sl__json_key(&w, "kind");
        sl__json_string(&w, sl__cli_col_text(s, 1));
        sl__json_key(&w, "mime");
        sl__json_string(&w, sl__cli_col_text(s, 2));
        sl__json_key(&w, "size");
        if (sqlite3_column_type(s, 3) == SQLITE_NULL)
            sl__json_null(&w);
        else
            sl__json_int(&w, sqlite3_column_int64(s, 3));
        sl__json_key(&w, "path");
        sl__json_string(&w, sl__cli_col_text(s, 4));
        sl__json_key(&w, "created_at");
        sl__json_number(&w, sl__cli_col_double(s, 5));
        sl__json_object_end(&w);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    sl__json_array_end(&w);
    sl__json_object_end(&w);
    return sl__json_finish(&w) == 0 ? 0 : -2;
}

/* "label      value" lines; a multi-line value continues indented. */
static void field(const char *label, const char *value)
{
    if (!value || !*value)
        return;
    printf("%-10s ", label);
    for (const char *p = value; *p;) {
        size_t n = strcspn(p, "\n");
        char *line = strndup(p, n);
        sl__cli_put_clean(stdout, line);
        free(line);
        p += n;
        if (*p == '\n' && *++p)
            printf("\n%-10s ", "");
    }
    putchar('\n');
}

/* Per-metric count, first/last (by step) and min/max, from the ordered
 * rows of the metrics query. */
static int show_text_metrics(sqlite3 *h, int64_t id)
{
    sqlite3_stmt *s = sl__cli_prepare(h, "SELECT name, step, value FROM"
                                         " metrics WHERE run_id = ?1"
                                         " ORDER BY name, step, rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    sl__table t = {.ncol = 6,
                   .head = {"NAME", "COUNT", "FIRST (step)", "LAST (step)",
                            "MIN", "MAX"},
                   .align = {'l', 'r', 'r', 'r', 'r', 'r'},
                   .maxw = {40, 0, 0, 0, 0, 0}};
    char *cur = NULL, first[64] = "", last[64] = "";
    long long count = 0;
    double mn = INFINITY, mx = -INFINITY;
    int rc, total = 0;
    for (;;) {
        rc = sqlite3_step(s);
        const char *name = rc == SQLITE_ROW ? sl__cli_col_text(s, 0) : NULL;
        if (rc == SQLITE_ROW && !name)
            name = "";
        if (cur && (!name || strcmp(cur, name) != 0)) {
            char c[24], a[32], b[32];
            snprintf(c, sizeof c, "%lld", count);
            sl__cli_fmt_num(mn, a, sizeof a);
            sl__cli_fmt_num(mx, b, sizeof b);
            sl__table_row(&t, cur, c, first, last, count ? a : "-",
                          count ? b : "-");
            free(cur);
            cur = NULL;
        }
        if (rc != SQLITE_ROW)
            break;
        char v[32];
        double x = sl__cli_col_double(s, 2);
        sl__cli_fmt_num(x, v, sizeof v);
        if (!cur) {
            if (!(cur = strdup(name))) {
                rc = SQLITE_NOMEM;
                break;
            }
            count = 0;
            mn = INFINITY;
            mx = -INFINITY;
            snprintf(first, sizeof first, "%s (%lld)", v,
                     (long long)sqlite3_column_int64(s, 1));
        }
        snprintf(last, sizeof last, "%s (%lld)", v,
                 (long long)sqlite3_column_int64(s, 1));
        count++;
        total++;
        if (x < mn)
            mn = x;
        if (x > mx)
            mx = x;
    }
    free(cur);
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE && !t.oom && t.nrows) {
        printf("\nmetrics (%d values; --json gives all of them)\n", total);
        sl__table_print(&t, stdout, "  ");
    }
    int bad = rc != SQLITE_DONE || t.oom;
    sl__table_free(&t);
    return bad ? -1 : 0;
}

/* The text plot of the loss (the first of loss_names recorded). */
static int show_loss_plot(sqlite3 *h, int64_t id)
{
    sqlite3_stmt *s = sl__cli_prepare(h, "SELECT step, value FROM metrics"
                                         " WHERE run_id = ?1 AND name = ?2"
                                         " ORDER BY step, rowid");
    if (!s)
        return -1;
    int ret = 0;
    for (size_t k = 0; k < sizeof loss_names / sizeof *loss_names; k++) {
        int64_t *x = NULL;
        double *y = NULL;
        size_t n = 0, cap = 0;
        int rc;
        sqlite3_reset(s);
        sqlite3_bind_int64(s, 1, id);
        sqlite3_bind_text(s, 2, loss_names[k], -1, SQLITE_STATIC);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
            if (n == cap) {
                cap = cap ? 2 * cap : 256;
                int64_t *nx = realloc(x, cap * sizeof *x);
                if (nx)
                    x = nx;
                double *ny = realloc(y, cap * sizeof *y);
                if (ny)
                    y = ny;
                if (!nx || !ny) {
                    rc = SQLITE_NOMEM;
                    break;
                }
            }
            x[n] = sqlite3_column_int64(s, 0);
            y[n++] = sl__cli_col_double(s, 1);
        }
        if (rc == SQLITE_DONE && n > 0) {
            putchar('\n');
            if (sl__text_plot(stdout, "", loss_names[k], x, y, n, 60, 8) != 0)
                rc = SQLITE_NOMEM;
        }
        free(x);
        free(y);
        if (rc != SQLITE_DONE) {
            ret = -1;
            break;
        }
        if (n > 0)
            break;
    }
    sqlite3_finalize(s);
    return ret;
}

/* The flattened parameters, KEY = VALUE, in file order. */
static int show_text_params(sqlite3 *h, int64_t id)
{
    sqlite3_stmt *s = sl__cli_prepare(h, "SELECT key, value_text FROM params"
                                         " WHERE run_id = ?1 ORDER BY rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    sl__table t = {.ncol = 2, .head = {"KEY", "VALUE"},
                   .align = {'l', 'l'}, .maxw = {60, 60}};
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        sl__table_row(&t, sl__cli_col_text(s, 0), sl__cli_col_text(s, 1));
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE && !t.oom && t.nrows) {
        printf("\nparameters (%zu; `show --config` prints the config)\n",
               t.nrows);
        sl__table_print(&t, stdout, "  ");
    }
    int bad = rc != SQLITE_DONE || t.oom;
    sl__table_free(&t);
    return bad ? -1 : 0;
}

static int show_text(sqlite3 *h, sqlite3_stmt *r, int64_t id)
{
    char a[64], b[64], line[512];
    const char *status = sl__cli_col_text(r, SL__C_STATUS);
    int alive = sl__cli_run_alive(r);
    printf("run %lld: ", (long long)id);
    sl__cli_put_clean(stdout, sl__cli_col_text(r, SL__C_NAME));
    putchar('\n');
    if (alive == 0) {
        field("status", "died (recorded as running, but its process is gone: "
                        "killed or crashed)");
    } else if (status && strcmp(status, "running") == 0 &&
               sqlite3_column_type(r, SL__C_HEARTBEAT) != SQLITE_NULL) {
        sl__cli_fmt_duration(sl__cli_now() -
                                 sl__cli_col_double(r, SL__C_HEARTBEAT),
                             a, sizeof a);
        snprintf(line, sizeof line, "running (last heartbeat %s ago)", a);
        field("status", line);
    } else {
        field("status", status);
    }
    field("error", sl__cli_col_text(r, SL__C_ERROR));
    sl__cli_fmt_time(sl__cli_col_double(r, SL__C_STARTED), a, sizeof a);
    field("started", a);
    sl__cli_fmt_time(sl__cli_col_double(r, SL__C_ENDED), a, sizeof a);
    sl__cli_fmt_duration(sl__cli_run_duration(r), b, sizeof b);
    snprintf(line, sizeof line, "%s (duration %s)",
             sqlite3_column_type(r, SL__C_ENDED) == SQLITE_NULL ? "-" : a, b);
    field("ended", line);
    snprintf(a, sizeof a, "%lld",
             (long long)sqlite3_column_int64(r, SL__C_SEED));
    field("seed", a);
    snprintf(line, sizeof line, "%s (pid %lld)",
             sl__cli_col_text(r, SL__C_HOST) ? sl__cli_col_text(r, SL__C_HOST)
                                              : "?",
             (long long)sqlite3_column_int64(r, SL__C_PID));
    field("host", line);
    field("spikelab", sl__cli_col_text(r, SL__C_CORE_VERSION));
    field("config", sl__cli_col_text(r, SL__C_CONFIG_PATH));
    field("sha256", sl__cli_col_text(r, SL__C_CONFIG_HASH));
    field("overrides", sl__cli_col_text(r, SL__C_OVERRIDES));
    if (sqlite3_column_type(r, SL__C_PARENT) != SQLITE_NULL) {
        int t = sqlite3_column_type(r, SL__C_REPRODUCED);
        snprintf(line, sizeof line, "run %lld%s",
                 (long long)sqlite3_column_int64(r, SL__C_PARENT),
                 t == SQLITE_NULL ? ""
                 : sqlite3_column_int64(r, SL__C_REPRODUCED)
                     ? " (bit-identical metrics, results and parameters)"
                     : " (outputs differ)");
        field("reproduces", line);
    }
    char tags[512];
    {
        const char *tg = sl__cli_col_text(r, SL__C_TAGS);
        size_t j = 0;
        for (; tg && *tg && j + 3 < sizeof tags; tg++) {
            if (*tg == '\x1f') {
                tags[j++] = ',';
                tags[j++] = ' ';
            } else {
                tags[j++] = *tg;
            }
        }
        tags[j] = '\0';
    }
    field("tags", tags);
    field("note", sl__cli_col_text(r, SL__C_NOTE));

    sqlite3_stmt *s = sl__cli_prepare(h, "SELECT name, version, abi, path"
                                         " FROM run_plugins WHERE run_id = ?1"
                                         " ORDER BY rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    sl__table t = {.ncol = 4, .head = {"NAME", "VERSION", "ABI", "PATH"},
                   .align = {'l', 'l', 'l', 'l'}};
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        sl__table_row(&t, sl__cli_col_text(s, 0), sl__cli_col_text(s, 1),
                      sl__cli_col_text(s, 2),
                      sl__cli_col_text(s, 3) ? sl__cli_col_text(s, 3)
                                             : "(built in)");
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE && t.nrows) {
        printf("\nplugins\n");
        sl__table_print(&t, stdout, "  ");
    }
    sl__table_free(&t);
    if (rc != SQLITE_DONE || show_text_params(h, id) != 0 ||
        show_text_metrics(h, id) != 0 || show_loss_plot(h, id) != 0)
        return -1;

    s = sl__cli_prepare(h, "SELECT name, value, text FROM results"
                           " WHERE run_id = ?1 ORDER BY name");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    sl__table rt = {.ncol = 3, .head = {"NAME", "VALUE", "TEXT"},
                    .align = {'l', 'r', 'l'}, .maxw = {40, 0, 60}};
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sl__cli_fmt_num(sl__cli_col_double(s, 1), a, sizeof a);
        sl__table_row(&rt, sl__cli_col_text(s, 0), a,
                      sl__cli_col_text(s, 2) ? sl__cli_col_text(s, 2) : "");
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE && rt.nrows) {
        printf("\nresults\n");
        sl__table_print(&rt, stdout, "  ");
    }
    sl__table_free(&rt);
    if (rc != SQLITE_DONE)
        return -1;

    s = sl__cli_prepare(h, "SELECT name, kind, size, path FROM artifacts"
                           " WHERE run_id = ?1 ORDER BY name");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    sl__table at = {.ncol = 4, .head = {"NAME", "KIND", "SIZE", "WHERE"},
                    .align = {'l', 'l', 'r', 'l'}};
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 2) == SQLITE_NULL)
            snprintf(a, sizeof a, "-");
        else
            snprintf(a, sizeof a, "%lld",
                     (long long)sqlite3_column_int64(s, 2));
        sl__table_row(&at, sl__cli_col_text(s, 0), sl__cli_col_text(s, 1), a,
                      sl__cli_col_text(s, 3) ? sl__cli_col_text(s, 3)
                                             : "(in the database)");
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE && at.nrows) {
        printf("\nartifacts (`spikelab export %lld --artifacts DIR` writes "
               "them out)\n", (long long)id);
        sl__table_print(&at, stdout, "  ");
    }
    sl__table_free(&at);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sl__cmd_show(int argc, char **argv)
{
    opts o;
    int p = parse(argc, argv, 1, &o);
    if (p)
        return p == 1 ? sl__cli_finish("show", 0) : 2;
    int64_t id;
    if (sl__cli_parse_id("show", o.id, &id))
        return 2;
    sl__db *db;
    if (sl__cli_open_db("show", o.db, &db))
        return 1;
    sqlite3 *h = sl__db_sqlite(db);
    int status = 0;
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    if (sl__cli_resolve_id("show", db, &id)) {
        sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
        sl__db_close(db);
        return 1;
    }
    sqlite3_stmt *r = sl__cli_prepare(h, "SELECT " SL__RUN_COLUMNS
                                         " FROM runs WHERE id = ?1");
    int rc = SQLITE_ERROR;
    if (r) {
        sqlite3_bind_int64(r, 1, id);
        rc = sqlite3_step(r);
    }
    if (rc == SQLITE_DONE) {
        fprintf(stderr, "spikelab show: no run %lld in %s\n", (long long)id,
                sl__db_path(db));
        status = 1;
    } else if (rc != SQLITE_ROW) {
        fprintf(stderr, "spikelab show: %s: %s\n", sl__db_path(db),
                sqlite3_errmsg(h));
        status = 1;
    } else if (o.config) {
        const char *cfg = sl__cli_col_text(r, SL__C_CONFIG_EFFECTIVE);
        if (!cfg)
            cfg = sl__cli_col_text(r, SL__C_CONFIG_TEXT);
        if (!cfg) {
            fprintf(stderr, "spikelab show: run %lld has no stored config\n",
                    (long long)id);
            status = 1;
        } else {
            fputs(cfg, stdout);
            if (*cfg && cfg[strlen(cfg) - 1] != '\n')
                putchar('\n');
        }
    } else {
        int ret = o.json ? show_json(h, r, id) : show_text(h, r, id);
        if (ret == -1) {
            fprintf(stderr, "spikelab show: %s: %s\n", sl__db_path(db),
                    sqlite3_errmsg(h));
            status = 1;
        } else if (ret == -2) {
            fprintf(stderr, "spikelab show: cannot write the output\n");
            status = 1;
        }
    }
    sqlite3_finalize(r);
    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    sl__db_close(db);
    return sl__cli_finish("show", status);
}
