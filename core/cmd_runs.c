/* core/cmd_runs.c — `spikelab runs` (list the recorded runs) and
 * `spikelab show ID` (everything about one run), as text or JSON.
 *
 * JSON shapes (stable: scripts read them):
 *
 * runs --json: an array, newest first, of
 *   {"id", "name", "status", "process_alive", "seed", "started_at",
 *    "ended_at", "duration_s", "heartbeat_at", "host", "pid",
 *    "core_version", "config_path", "config_hash", "overrides", "error",
 *    "final_metrics": {NAME: value at the highest step, ...},
 *    "results": {NAME: value, ...}}
 *
 * show --json: one object with the fields above (without final_metrics)
 * plus
 *   "plugins":   [{"name", "version", "abi", "path", "sha256"}, ...]
 *   "config":    the effective config text (after overrides)
 *   "config_original": the config file's text as written
 *   "metrics":   {NAME: [{"step", "value", "wall_time"}, ...], ...}
 *                every recorded value, names sorted, steps ascending
 *   "results":   {NAME: value, ...}
 *   "result_texts": {NAME: text, ...}  only results that carry a text
 *   "artifacts": [{"name", "kind", "mime", "size", "path",
 *                  "created_at"}, ...]  (bytes are not printed)
 *
 * Conventions: times are Unix seconds (numbers); "overrides" is an array
 * of "key=value" strings; absent values are null; numbers that JSON cannot
 * hold are strings: "inf", "-inf", "nan" (a NaN metric is stored as NULL
 * and comes back as "nan"). "process_alive" is true/false for a run
 * recorded as running on this host (false: its process died — killed or
 * crashed — and the run will never end), null otherwise.
 */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "spikelab/abi.h"
#include "cmd.h"
#include "json.h"
#include "recorder.h"

/* ---- options ---------------------------------------------------------- */

typedef struct opts {
    const char *db;     /* --db PATH, NULL = default */
    int json;           /* --json */
    int config;         /* show --config: print the effective config only */
    long long limit;    /* runs --limit N, -1 = all */
    const char *id;     /* show: the positional ID */
} opts;

static const char runs_usage[] =
    "Usage: spikelab runs [--db PATH] [--json] [--limit N]\n"
    "List the recorded runs, newest first.\n"
    "\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --json      a JSON array with every field of each run, its final\n"
    "              metric values and its results\n"
    "  --limit N   only the N newest runs\n"
    "  --help      this text\n"
    "\n"
    "A run shown as 'died' is recorded as running but its process no longer\n"
    "exists on this host: it was killed or crashed; its metrics up to the\n"
    "last flush are kept.\n";

static const char show_usage[] =
    "Usage: spikelab show ID [--db PATH] [--json | --config]\n"
    "Show everything recorded about run ID.\n"
    "\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --json      everything as one JSON object, every metric value included\n"
    "  --config    print only the effective configuration (to re-run it)\n"
    "  --help      this text\n";

static int usage_error(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "spikelab %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'spikelab %s --help'.\n", cmd);
    return 2;
}

/* Option with a value: "--opt V" or "--opt=V". Returns the value (and
 * advances *i) when argv[*i] is that option, NULL otherwise; *missing is
 * set when the option is there without a value. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt,
                             int *missing)
{
    size_t n = strlen(opt);
    const char *a = argv[*i];
    if (strncmp(a, opt, n) != 0)
        return NULL;
    if (a[n] == '=')
        return a + n + 1;
    if (a[n] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

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
            } else if ((v = opt_value(argc, argv, &i, "--db", &missing))) {
                if (!*v)
                    return usage_error(cmd, "--db needs a path");
                o->db = v;
            } else if (!is_show &&
                       (v = opt_value(argc, argv, &i, "--limit", &missing))) {
                char *end;
                errno = 0;
                long long n = strtoll(v, &end, 10);
                if (!*v || *end || errno || n < 0)
                    return usage_error(cmd, "--limit needs a number >= 0, "
                                            "not '%s'", v);
                o->limit = n;
            } else if (missing) {
                return usage_error(cmd, "%s needs a value", a);
            } else {
                return usage_error(cmd, "unknown option '%s'", a);
            }
        } else if (is_show && !o->id) {
            o->id = a;
        } else {
            return usage_error(cmd, "unexpected argument '%s'", a);
        }
    }
    if (is_show && !o->id)
        return usage_error(cmd, "which run? give its ID (see 'spikelab runs')");
    if (o->json && o->config)
        return usage_error(cmd, "--json and --config exclude each other");
    return 0;
}

/* ---- small formatting helpers ------------------------------------------ */

static double col_double(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN
                                                    : sqlite3_column_double(s, i);
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    return (const char *)sqlite3_column_text(s, i); /* NULL for NULL */
}

static void fmt_num(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "nan");
    else if (isinf(v))
        snprintf(buf, len, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, len, "%.6g", v);
}

static void fmt_time(double t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (isnan(t) || !localtime_r(&tt, &tm) ||
        !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, len, "-");
}

static void fmt_duration(double s, char *buf, size_t len)
{
    if (isnan(s) || s < 0) {
        snprintf(buf, len, "-");
        return;
    }
    long long t = (long long)s;
    if (s < 60)
        snprintf(buf, len, "%.1fs", s);
    else if (t < 3600)
        snprintf(buf, len, "%lldm%02llds", t / 60, t % 60);
    else if (t < 86400)
        snprintf(buf, len, "%lldh%02lldm", t / 3600, t % 3600 / 60);
    else
        snprintf(buf, len, "%lldd%02lldh", t / 86400, t % 86400 / 3600);
}

static double now_unix(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Is the process of a run recorded as running still there? 1 yes, 0 no,
 * -1 unknown (another host, no pid, or not running). */
static int process_alive(const char *status, const char *host, int64_t pid)
{
    char me[256];
    if (!status || strcmp(status, "running") != 0 || !host || pid <= 0 ||
        gethostname(me, sizeof me) != 0)
        return -1;
    me[sizeof me - 1] = '\0';
    if (strcmp(me, host) != 0)
        return -1;
    if (kill((pid_t)pid, 0) == 0 || errno == EPERM)
        return 1;
    return errno == ESRCH ? 0 : -1;
}

/* Print s with control characters replaced, so a name cannot garble the
 * terminal. */
static void put_clean(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

/* ---- text tables -------------------------------------------------------- */

#define TABLE_MAXCOL 8

/* Rows of cells printed with aligned columns. Cells are copied, cleaned
 * of control characters and cut to maxw code points (0 = no cap). */
typedef struct table {
    int ncol;
    const char *head[TABLE_MAXCOL];
    char align[TABLE_MAXCOL]; /* 'l' or 'r' */
    int maxw[TABLE_MAXCOL];
    char **cells;
    size_t nrows, cap;
    int oom;
} table;

/* Display width: UTF-8 code points (continuation bytes do not count). */
static int text_width(const char *s)
{
    int w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static char *cell_copy(const char *s, int maxw)
{
    if (!s)
        s = "-";
    size_t n = strlen(s);
    char *c = malloc(n + 4);
    if (!c)
        return NULL;
    int w = 0;
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if ((b & 0xC0) != 0x80) {
            if (maxw > 0 && w == maxw - 1 && text_width(s + i) > 1) {
                c[j++] = '~'; /* marks a cut */
                break;
            }
            w++;
        }
        c[j++] = b < 0x20 || b == 0x7f ? '?' : (char)b;
    }
    c[j] = '\0';
    return c;
}

static void table_row(table *t, ...)
{
    if (t->oom)
        return;
    if (t->nrows == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 16;
        char **p = realloc(t->cells, cap * (size_t)t->ncol * sizeof *p);
        if (!p) {
            t->oom = 1;
            return;
        }
        t->cells = p;
        t->cap = cap;
    }
    va_list ap;
    va_start(ap, t);
    char **row = t->cells + t->nrows * (size_t)t->ncol;
    for (int c = 0; c < t->ncol; c++) {
        row[c] = cell_copy(va_arg(ap, const char *), t->maxw[c]);
        if (!row[c])
            t->oom = 1;
    }
    va_end(ap);
    t->nrows++;
}

static void table_print(const table *t, FILE *f, const char *indent)
{
    int w[TABLE_MAXCOL];
    for (int c = 0; c < t->ncol; c++) {
        w[c] = text_width(t->head[c]);
        for (size_t r = 0; r < t->nrows; r++) {
            const char *cell = t->cells[r * (size_t)t->ncol + c];
            int cw = cell ? text_width(cell) : 0;
            if (cw > w[c])
                w[c] = cw;
        }
    }
    for (size_t r = 0; r <= t->nrows; r++) {
        char *const *row = r ? t->cells + (r - 1) * (size_t)t->ncol : NULL;
        int ncol = t->ncol; /* drop empty trailing cells: no trailing blanks */
        while (ncol > 1 && row && (!row[ncol - 1] || !*row[ncol - 1]))
            ncol--;
        fputs(indent, f);
        for (int c = 0; c < ncol; c++) {
            const char *cell = row ? row[c] : t->head[c];
            if (!cell)
                cell = "";
            int pad = w[c] - text_width(cell);
            int last = c == ncol - 1;
            if (t->align[c] == 'r')
                fprintf(f, "%*s", pad, "");
            fputs(cell, f);
            if (t->align[c] != 'r' && !last)
                fprintf(f, "%*s", pad, "");
            if (!last)
                fputs("  ", f);
        }
        fputc('\n', f);
    }
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncol; i++)
        free(t->cells[i]);
    free(t->cells);
}

/* ---- database access ---------------------------------------------------- */

/* Open the database for reading commands; never creates it. Returns 0 or
 * the exit status (1) after printing the reason. */
static int open_db(const char *cmd, const opts *o, sl__db **db)
{
    sl__err err;
    sl__err_clear(&err);
    const char *path = sl__db_default_path(o->db);
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

static sqlite3_stmt *prepare(sqlite3 *h, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) != SQLITE_OK) {
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

/* Columns of the runs row, shared by both commands. */
#define RUN_COLUMNS                                                            \
    "id, name, status, seed, started_at, ended_at, heartbeat_at, host, pid,"  \
    " core_version, config_path, config_hash, overrides, error,"             \
    " config_effective, config_text"
enum {
    C_ID, C_NAME, C_STATUS, C_SEED, C_STARTED, C_ENDED, C_HEARTBEAT, C_HOST,
    C_PID, C_CORE_VERSION, C_CONFIG_PATH, C_CONFIG_HASH, C_OVERRIDES, C_ERROR,
    C_CONFIG_EFFECTIVE, C_CONFIG_TEXT
};

/* Duration of a run: until its end, or until now while it runs. */
static double run_duration(sqlite3_stmt *r)
{
    double start = col_double(r, C_STARTED), end = col_double(r, C_ENDED);
    if (isnan(end)) {
        const char *st = col_text(r, C_STATUS);
        if (!st || strcmp(st, "running") != 0)
            return NAN;
        end = now_unix();
    }
    return end - start;
}

/* The common fields of a run object (the caller opened the object). */
static void json_run_fields(sl__json *w, sqlite3_stmt *r)
{
    int alive = process_alive(col_text(r, C_STATUS), col_text(r, C_HOST),
                              sqlite3_column_int64(r, C_PID));
    sl__json_key(w, "id");
    sl__json_int(w, sqlite3_column_int64(r, C_ID));
    sl__json_key(w, "name");
    sl__json_string(w, col_text(r, C_NAME));
    sl__json_key(w, "status");
    sl__json_string(w, col_text(r, C_STATUS));
    sl__json_key(w, "process_alive");
    if (alive < 0)
        sl__json_null(w);
    else
        sl__json_bool(w, alive);
    sl__json_key(w, "seed");
    sl__json_int(w, sqlite3_column_int64(r, C_SEED));
    sl__json_key(w, "started_at");
    sl__json_number(w, col_double(r, C_STARTED));
    sl__json_key(w, "ended_at");
    if (sqlite3_column_type(r, C_ENDED) == SQLITE_NULL)
        sl__json_null(w);
    else
        sl__json_number(w, col_double(r, C_ENDED));
    sl__json_key(w, "duration_s");
    double d = run_duration(r);
    if (isnan(d))
        sl__json_null(w);
    else
        sl__json_number(w, d);
    sl__json_key(w, "heartbeat_at");
    if (sqlite3_column_type(r, C_HEARTBEAT) == SQLITE_NULL)
        sl__json_null(w);
    else
        sl__json_number(w, col_double(r, C_HEARTBEAT));
    sl__json_key(w, "host");
    sl__json_string(w, col_text(r, C_HOST));
    sl__json_key(w, "pid");
    if (sqlite3_column_type(r, C_PID) == SQLITE_NULL)
        sl__json_null(w);
    else
        sl__json_int(w, sqlite3_column_int64(r, C_PID));
    sl__json_key(w, "core_version");
    sl__json_string(w, col_text(r, C_CORE_VERSION));
    sl__json_key(w, "config_path");
    sl__json_string(w, col_text(r, C_CONFIG_PATH));
    sl__json_key(w, "config_hash");
    sl__json_string(w, col_text(r, C_CONFIG_HASH));
    sl__json_key(w, "overrides");
    sl__json_array_begin(w);
    const char *ov = col_text(r, C_OVERRIDES);
    while (ov && *ov) {
        size_t n = strcspn(ov, "\n");
        if (n)
            sl__json_string_n(w, ov, n);
        ov += n + (ov[n] == '\n');
    }
    sl__json_array_end(w);
    sl__json_key(w, "error");
    sl__json_string(w, col_text(r, C_ERROR));
}

/* {"name": value, ...} of the results of run; texts too when with_texts
 * (as a second object "result_texts"). Returns 0 or -1 on a query error. */
static int json_results(sl__json *w, sqlite3 *h, int64_t run, int with_texts)
{
    sqlite3_stmt *s = prepare(h, "SELECT name, value, text FROM results"
                                 " WHERE run_id = ?1 ORDER BY name");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, run);
    int rc;
    sl__json_key(w, "results");
    sl__json_object_begin(w);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sl__json_key(w, col_text(s, 0));
        sl__json_number(w, col_double(s, 1));
    }
    sl__json_object_end(w);
    if (rc == SQLITE_DONE && with_texts) {
        sqlite3_reset(s);
        sl__json_key(w, "result_texts");
        sl__json_object_begin(w);
        while ((rc = sqlite3_step(s)) == SQLITE_ROW)
            if (sqlite3_column_type(s, 2) != SQLITE_NULL) {
                sl__json_key(w, col_text(s, 0));
                sl__json_string(w, col_text(s, 2));
            }
        sl__json_object_end(w);
    }
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? 0 : -1;
}

/* Name of the metric shown as LOSS in `runs`: the first of these the run
 * recorded. */
static const char *const loss_names[] = {"loss", "train_loss", "train.loss"};

/* ---- spikelab runs ------------------------------------------------------ */

/* List the runs; returns the exit status (1 after reporting an error). */
static int runs_query(sl__db *db, const opts *o)
{
    sqlite3 *h = sl__db_sqlite(db);
    sqlite3_stmt *r = prepare(h, "SELECT " RUN_COLUMNS
                                 " FROM runs ORDER BY id DESC LIMIT ?1");
    sqlite3_stmt *fm = prepare(h, "SELECT name, value, max(step) FROM metrics"
                                  " WHERE run_id = ?1 GROUP BY name"
                                  " ORDER BY name");
    sqlite3_stmt *ls = prepare(h, "SELECT value FROM metrics"
                                  " WHERE run_id = ?1 AND name = ?2"
                                  " ORDER BY step DESC, rowid DESC LIMIT 1");
    int rc = SQLITE_ERROR;
    table t = {.ncol = 7,
               .head = {"ID", "STATUS", "NAME", "STARTED", "DURATION", "SEED",
                        "LOSS"},
               .align = {'r', 'l', 'l', 'l', 'r', 'r', 'r'},
               .maxw = {0, 0, 32, 0, 0, 0, 0}};
    sl__json w;
    sl__json_init(&w, stdout, 2);
    if (!r || !fm || !ls)
        goto done;
    sqlite3_bind_int64(r, 1, o->limit);
    if (o->json)
        sl__json_array_begin(&w);
    int any_died = 0;
    while ((rc = sqlite3_step(r)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(r, C_ID);
        if (o->json) {
            sl__json_object_begin(&w);
            json_run_fields(&w, r);
            sl__json_key(&w, "final_metrics");
            sl__json_object_begin(&w);
            sqlite3_bind_int64(fm, 1, id);
            while ((rc = sqlite3_step(fm)) == SQLITE_ROW) {
                sl__json_key(&w, col_text(fm, 0));
                sl__json_number(&w, col_double(fm, 1));
            }
            sqlite3_reset(fm);
            sl__json_object_end(&w);
            if (rc != SQLITE_DONE || json_results(&w, h, id, 0) != 0)
                goto done;
            sl__json_object_end(&w);
            continue;
        }
        char idb[24], started[32], dur[32], seed[24], loss[32] = "-";
        const char *status = col_text(r, C_STATUS);
        snprintf(idb, sizeof idb, "%lld", (long long)id);
        snprintf(seed, sizeof seed, "%lld",
                 (long long)sqlite3_column_int64(r, C_SEED));
        fmt_time(col_double(r, C_STARTED), started, sizeof started);
        fmt_duration(run_duration(r), dur, sizeof dur);
        if (process_alive(status, col_text(r, C_HOST),
                          sqlite3_column_int64(r, C_PID)) == 0) {
            status = "died";
            any_died = 1;
        }
        for (size_t k = 0; k < sizeof loss_names / sizeof *loss_names; k++) {
            sqlite3_bind_int64(ls, 1, id);
            sqlite3_bind_text(ls, 2, loss_names[k], -1, SQLITE_STATIC);
            int lrc = sqlite3_step(ls);
            if (lrc == SQLITE_ROW)
                fmt_num(col_double(ls, 0), loss, sizeof loss);
            sqlite3_reset(ls);
            if (lrc == SQLITE_ROW)
                break;
        }
        table_row(&t, idb, status, col_text(r, C_NAME), started, dur, seed,
                  loss);
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
        printf("no runs recorded in %s\n", sl__db_path(db));
    } else {
        table_print(&t, stdout, "");
        if (any_died)
            printf("(died: recorded as running, but its process is gone)\n");
    }
done:
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "spikelab runs: %s: %s\n", sl__db_path(db),
                rc == SQLITE_IOERR ? "cannot write the output"
                                   : sqlite3_errmsg(h));
    }
    table_free(&t);
    sqlite3_finalize(r);
    sqlite3_finalize(fm);
    sqlite3_finalize(ls);
    return rc != SQLITE_DONE;
}

/* Flush stdout and turn a write error into exit status 1. */
static int finish_output(const char *cmd, int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "spikelab %s: cannot write the output\n", cmd);
        return 1;
    }
    return status;
}

int sl__cmd_runs(int argc, char **argv)
{
    opts o;
    int p = parse(argc, argv, 0, &o);
    if (p)
        return p == 1 ? finish_output("runs", 0) : 2;
    sl__db *db;
    if (open_db("runs", &o, &db))
        return 1;
    sqlite3 *h = sl__db_sqlite(db);
    /* one read transaction: a consistent snapshot while runs write */
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    int failed = runs_query(db, &o);
    sqlite3_exec(h, "COMMIT", NULL, NULL, NULL);
    sl__db_close(db);
    return finish_output("runs", failed);
}

/* ---- spikelab show ------------------------------------------------------ */

static int show_json(sqlite3 *h, sqlite3_stmt *r, int64_t id)
{
    sl__json w;
    sl__json_init(&w, stdout, 3);
    sqlite3_stmt *s = NULL;
    int rc = SQLITE_DONE;
    sl__json_object_begin(&w);
    json_run_fields(&w, r);

    sl__json_key(&w, "plugins");
    sl__json_array_begin(&w);
    s = prepare(h, "SELECT name, version, abi, path, sha256 FROM run_plugins"
                   " WHERE run_id = ?1 ORDER BY rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        static const char *const k[] = {"name", "version", "abi", "path",
                                        "sha256"};
        sl__json_object_begin(&w);
        for (int i = 0; i < 5; i++) {
            sl__json_key(&w, k[i]);
            sl__json_string(&w, col_text(s, i));
        }
        sl__json_object_end(&w);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return -1;
    sl__json_array_end(&w);

    sl__json_key(&w, "config");
    sl__json_string(&w, col_text(r, C_CONFIG_EFFECTIVE));
    sl__json_key(&w, "config_original");
    sl__json_string(&w, col_text(r, C_CONFIG_TEXT));

    sl__json_key(&w, "metrics");
    sl__json_object_begin(&w);
    s = prepare(h, "SELECT name, step, value, wall_time FROM metrics"
                   " WHERE run_id = ?1 ORDER BY name, step, rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    char *cur = NULL;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        const char *name = col_text(s, 0);
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
        sl__json_number(&w, col_double(s, 2));
        sl__json_key(&w, "wall_time");
        sl__json_number(&w, col_double(s, 3));
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
    s = prepare(h, "SELECT name, kind, mime, size, path, created_at"
                   " FROM artifacts WHERE run_id = ?1 ORDER BY name");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        sl__json_object_begin(&w);
        sl__json_key(&w, "name");
        sl__json_string(&w, col_text(s, 0));
        sl__json_key(&w, "kind");
        sl__json_string(&w, col_text(s, 1));
        sl__json_key(&w, "mime");
        sl__json_string(&w, col_text(s, 2));
        sl__json_key(&w, "size");
        if (sqlite3_column_type(s, 3) == SQLITE_NULL)
            sl__json_null(&w);
        else
            sl__json_int(&w, sqlite3_column_int64(s, 3));
        sl__json_key(&w, "path");
        sl__json_string(&w, col_text(s, 4));
        sl__json_key(&w, "created_at");
        sl__json_number(&w, col_double(s, 5));
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
        put_clean(stdout, line);
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
    sqlite3_stmt *s = prepare(h, "SELECT name, step, value FROM metrics"
                                 " WHERE run_id = ?1 ORDER BY name, step, rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    table t = {.ncol = 6,
               .head = {"NAME", "COUNT", "FIRST (step)", "LAST (step)", "MIN",
                        "MAX"},
               .align = {'l', 'r', 'r', 'r', 'r', 'r'},
               .maxw = {40, 0, 0, 0, 0, 0}};
    char *cur = NULL, first[64] = "", last[64] = "";
    long long count = 0;
    double mn = INFINITY, mx = -INFINITY;
    int rc, total = 0;
    for (;;) {
        rc = sqlite3_step(s);
        const char *name = rc == SQLITE_ROW ? col_text(s, 0) : NULL;
        if (rc == SQLITE_ROW && !name)
            name = "";
        if (cur && (!name || strcmp(cur, name) != 0)) {
            char c[24], a[32], b[32];
            snprintf(c, sizeof c, "%lld", count);
            fmt_num(mn, a, sizeof a);
            fmt_num(mx, b, sizeof b);
            table_row(&t, cur, c, first, last, count ? a : "-",
                      count ? b : "-");
            free(cur);
            cur = NULL;
        }
        if (rc != SQLITE_ROW)
            break;
        char v[32];
        double x = col_double(s, 2);
        fmt_num(x, v, sizeof v);
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
        table_print(&t, stdout, "  ");
    }
    int bad = rc != SQLITE_DONE || t.oom;
    table_free(&t);
    return bad ? -1 : 0;
}

static int show_text(sqlite3 *h, sqlite3_stmt *r, int64_t id)
{
    char a[64], b[64], line[256];
    const char *status = col_text(r, C_STATUS);
    int alive = process_alive(status, col_text(r, C_HOST),
                              sqlite3_column_int64(r, C_PID));
    printf("run %lld: ", (long long)id);
    put_clean(stdout, col_text(r, C_NAME));
    putchar('\n');
    if (alive == 0)
        field("status", "died (recorded as running, but its process is gone: "
                        "killed or crashed)");
    else
        field("status", status);
    field("error", col_text(r, C_ERROR));
    fmt_time(col_double(r, C_STARTED), a, sizeof a);
    field("started", a);
    fmt_time(col_double(r, C_ENDED), a, sizeof a);
    fmt_duration(run_duration(r), b, sizeof b);
    snprintf(line, sizeof line, "%s (duration %s)",
             sqlite3_column_type(r, C_ENDED) == SQLITE_NULL ? "-" : a, b);
    field("ended", line);
    snprintf(a, sizeof a, "%lld", (long long)sqlite3_column_int64(r, C_SEED));
    field("seed", a);
    snprintf(line, sizeof line, "%s (pid %lld)",
             col_text(r, C_HOST) ? col_text(r, C_HOST) : "?",
             (long long)sqlite3_column_int64(r, C_PID));
    field("host", line);
    field("spikelab", col_text(r, C_CORE_VERSION));
    field("config", col_text(r, C_CONFIG_PATH));
    field("sha256", col_text(r, C_CONFIG_HASH));
    field("overrides", col_text(r, C_OVERRIDES));

    sqlite3_stmt *s = prepare(h, "SELECT name, version, abi, path"
                                 " FROM run_plugins WHERE run_id = ?1"
                                 " ORDER BY rowid");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    table t = {.ncol = 4, .head = {"NAME", "VERSION", "ABI", "PATH"},
               .align = {'l', 'l', 'l', 'l'}};
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        table_row(&t, col_text(s, 0), col_text(s, 1), col_text(s, 2),
                  col_text(s, 3) ? col_text(s, 3) : "(built in)");
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE && t.nrows) {
        printf("\nplugins\n");
        table_print(&t, stdout, "  ");
    }
    table_free(&t);
    if (rc != SQLITE_DONE || show_text_metrics(h, id) != 0)
        return -1;

    s = prepare(h, "SELECT name, value, text FROM results WHERE run_id = ?1"
                   " ORDER BY name");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    table rt = {.ncol = 3, .head = {"NAME", "VALUE", "TEXT"},
                .align = {'l', 'r', 'l'}, .maxw = {40, 0, 60}};
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        fmt_num(col_double(s, 1), a, sizeof a);
        table_row(&rt, col_text(s, 0), a,
                  col_text(s, 2) ? col_text(s, 2) : "");
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE && rt.nrows) {
        printf("\nresults\n");
        table_print(&rt, stdout, "  ");
    }
    table_free(&rt);
    if (rc != SQLITE_DONE)
        return -1;

    s = prepare(h, "SELECT name, kind, size, path FROM artifacts"
                   " WHERE run_id = ?1 ORDER BY name");
    if (!s)
        return -1;
    sqlite3_bind_int64(s, 1, id);
    table at = {.ncol = 4, .head = {"NAME", "KIND", "SIZE", "WHERE"},
                .align = {'l', 'l', 'r', 'l'}};
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (sqlite3_column_type(s, 2) == SQLITE_NULL)
            snprintf(a, sizeof a, "-");
        else
            snprintf(a, sizeof a, "%lld",
                     (long long)sqlite3_column_int64(s, 2));
        table_row(&at, col_text(s, 0), col_text(s, 1), a,
                  col_text(s, 3) ? col_text(s, 3) : "(in the database)");
    }
    sqlite3_finalize(s);
    if (rc == SQLITE_DONE && at.nrows) {
        printf("\nartifacts\n");
        table_print(&at, stdout, "  ");
    }
    table_free(&at);
    return rc == SQLITE_DONE ? 0 : -1;
}

int sl__cmd_show(int argc, char **argv)
{
    opts o;
    int p = parse(argc, argv, 1, &o);
    if (p)
        return p == 1 ? finish_output("show", 0) : 2;
    char *end;
    errno = 0;
    long long id = strtoll(o.id, &end, 10);
    if (!*o.id || *end || errno || id <= 0)
        return usage_error("show", "'%s' is not a run ID (a number >= 1)",
                           o.id);
    sl__db *db;
    if (open_db("show", &o, &db))
        return 1;
    sqlite3 *h = sl__db_sqlite(db);
    int status = 0;
    sqlite3_exec(h, "BEGIN", NULL, NULL, NULL);
    sqlite3_stmt *r = prepare(h, "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?1");
    int rc = SQLITE_ERROR;
    if (r) {
        sqlite3_bind_int64(r, 1, id);
        rc = sqlite3_step(r);
    }
    if (rc == SQLITE_DONE) {
        fprintf(stderr, "spikelab show: no run %lld in %s\n", id,
                sl__db_path(db));
        status = 1;
    } else if (rc != SQLITE_ROW) {
        fprintf(stderr, "spikelab show: %s: %s\n", sl__db_path(db),
                sqlite3_errmsg(h));
        status = 1;
    } else if (o.config) {
        const char *cfg = col_text(r, C_CONFIG_EFFECTIVE);
        if (!cfg)
            cfg = col_text(r, C_CONFIG_TEXT);
        if (!cfg) {
            fprintf(stderr, "spikelab show: run %lld has no stored config\n",
                    id);
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
    return finish_output("show", status);
}
