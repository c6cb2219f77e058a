/* core/cmdutil.c — helpers of the run-history commands (see cmdutil.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spikelab/abi.h"
#include "cmd/out.h"
#include "db/liveness.h"

/* ---- options ----------------------------------------------------------- */

int sl__cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "spikelab %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'spikelab %s --help'.\n", cmd);
    return 2;
}

const char *sl__cli_opt_value(int argc, char **argv, int *i, const char *opt,
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

int sl__cli_parse_id(const char *cmd, const char *text, int64_t *id)
{
    if (strcmp(text, "last") == 0) {
        *id = 0;
        return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(text, &end, 10);
    if (!*text || *end || errno || v <= 0)
        return sl__cli_usage_error(cmd, "'%s' is not a run ID (a number >= 1, "
                                        "or 'last')", text);
    *id = v;
    return 0;
}

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

int sl__cli_finish(const char *cmd, int status)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "spikelab %s: cannot write the output\n", cmd);
        return 1;
    }
    return status;
}

/* ---- formatting ---------------------------------------------------------- */

double sl__cli_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void sl__cli_fmt_num(double v, char *buf, size_t len)
{
    if (isnan(v))
        snprintf(buf, len, "nan");
    else if (isinf(v))
        snprintf(buf, len, v > 0 ? "inf" : "-inf");
    else
        snprintf(buf, len, "%.6g", v);
}

void sl__cli_fmt_time(double t, char *buf, size_t len)
{
    struct tm tm;
    time_t tt = (time_t)t;
    if (isnan(t) || !localtime_r(&tt, &tm) ||
        !strftime(buf, len, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, len, "-");
}

void sl__cli_fmt_duration(double s, char *buf, size_t len)
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

void sl__cli_put_clean(FILE *f, const char *s)
{
    for (; s && *s; s++)
        fputc((unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s, f);
}

double sl__cli_col_double(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL
               ? NAN
               : sqlite3_column_double(s, i);
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

/* ---- text tables ------------------------------------------------------------ */

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

void sl__table_rowv(sl__table *t, const char *const *cells)
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
    char **row = t->cells + t->nrows * (size_t)t->ncol;
    for (int c = 0; c < t->ncol; c++) {
        row[c] = cell_copy(cells[c], t->maxw[c]);
        if (!row[c])
            t->oom = 1;
    }
    t->nrows++;
}

void sl__table_row(sl__table *t, ...)
{
    const char *cells[SL__TABLE_MAXCOL];
    va_list ap;
    va_start(ap, t);
    for (int c = 0; c < t->ncol && c < SL__TABLE_MAXCOL; c++)
        cells[c] = va_arg(ap, const char *);
    va_end(ap);
    sl__table_rowv(t, cells);
}

void sl__table_print(const sl__table *t, FILE *f, const char *indent)
{
    int w[SL__TABLE_MAXCOL];
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

void sl__table_free(sl__table *t)
{
    for (size_t i = 0; i < t->nrows * (size_t)t->ncol; i++)
        free(t->cells[i]);
    free(t->cells);
    t->cells = NULL;
    t->nrows = t->cap = 0;
}

/* ---- the run row --------------------------------------------------------------- */

int sl__cli_run_alive(sqlite3_stmt *r)
{
    const char *st = sl__cli_col_text(r, SL__C_STATUS);
    if (!st || strcmp(st, "running") != 0)
        return -1;
    return sl__proc_alive(sl__cli_col_text(r, SL__C_HOST),
                          sqlite3_column_int64(r, SL__C_PID),
                          sl__cli_col_text(r, SL__C_PROC_ID));
}

double sl__cli_run_duration(sqlite3_stmt *r)
{
    double start = sl__cli_col_double(r, SL__C_STARTED);
    double end = sl__cli_col_double(r, SL__C_ENDED);
    if (isnan(end)) {
        const char *st = sl__cli_col_text(r, SL__C_STATUS);
        if (!st || strcmp(st, "running") != 0)
            return NAN;
        end = sl__cli_now();
    }
    return end - start;
}

void sl__cli_json_col_number(sl__json *w, sqlite3_stmt *s, int i)
{
    if (sqlite3_column_type(s, i) == SQLITE_NULL)
        sl__json_null(w);
    else
        sl__json_number(w, sqlite3_column_double(s, i));
}

void sl__cli_json_param(sl__json *w, const char *type, const char *text,
                        sqlite3_stmt *s, int num_col)
{
    if (!type || !text) {
        sl__json_null(w);
    } else if (strcmp(type, "int") == 0) {
        sl__json_int(w, strtoll(text, NULL, 10)); /* exact, unlike REAL */
    } else if (strcmp(type, "float") == 0) {
        sl__cli_json_col_number(w, s, num_col);
    } else if (strcmp(type, "bool") == 0) {
        sl__json_bool(w, strcmp(text, "true") == 0);
    } else {
        sl__json_string(w, text);
    }
}

void sl__cli_json_run_fields(sl__json *w, sqlite3_stmt *r)
{
    int alive = sl__cli_run_alive(r);
    sl__json_key(w, "id");
    sl__json_int(w, sqlite3_column_int64(r, SL__C_ID));
    sl__json_key(w, "name");
    sl__json_string(w, sl__cli_col_text(r, SL__C_NAME));
    sl__json_key(w, "status");
    sl__json_string(w, sl__cli_col_text(r, SL__C_STATUS));
    sl__json_key(w, "process_alive");
    if (alive < 0)
        sl__json_null(w);
    else
        sl__json_bool(w, alive);
    sl__json_key(w, "seed");
    sl__json_int(w, sqlite3_column_int64(r, SL__C_SEED));
    sl__json_key(w, "started_at");
    sl__json_number(w, sl__cli_col_double(r, SL__C_STARTED));
    sl__json_key(w, "ended_at");
    sl__cli_json_col_number(w, r, SL__C_ENDED);
    sl__json_key(w, "duration_s");
    double d = sl__cli_run_duration(r);
    if (isnan(d))
        sl__json_null(w);
    else
        sl__json_number(w, d);
    sl__json_key(w, "heartbeat_at");
    sl__cli_json_col_number(w, r, SL__C_HEARTBEAT);
    sl__json_key(w, "host");
    sl__json_string(w, sl__cli_col_text(r, SL__C_HOST));
    sl__json_key(w, "pid");
    if (sqlite3_column_type(r, SL__C_PID) == SQLITE_NULL)
        sl__json_null(w);
    else
        sl__json_int(w, sqlite3_column_int64(r, SL__C_PID));
    sl__json_key(w, "core_version");
    sl__json_string(w, sl__cli_col_text(r, SL__C_CORE_VERSION));
    sl__json_key(w, "config_path");
    sl__json_string(w, sl__cli_col_text(r, SL__C_CONFIG_PATH));
    sl__json_key(w, "config_hash");
    sl__json_string(w, sl__cli_col_text(r, SL__C_CONFIG_HASH));
    sl__json_key(w, "overrides");
    sl__json_array_begin(w);
    const char *ov = sl__cli_col_text(r, SL__C_OVERRIDES);
    while (ov && *ov) {
        size_t n = strcspn(ov, "\n");
        if (n)
            sl__json_string_n(w, ov, n);
        ov += n + (ov[n] == '\n');
    }
    sl__json_array_end(w);
    sl__json_key(w, "error");
    sl__json_string(w, sl__cli_col_text(r, SL__C_ERROR));
    sl__json_key(w, "reproduces");
    if (sqlite3_column_type(r, SL__C_PARENT) == SQLITE_NULL)
        sl__json_null(w);
    else
        sl__json_int(w, sqlite3_column_int64(r, SL__C_PARENT));
    sl__json_key(w, "reproduced_identical");
    if (sqlite3_column_type(r, SL__C_REPRODUCED) == SQLITE_NULL)
        sl__json_null(w);
    else
        sl__json_bool(w, sqlite3_column_int64(r, SL__C_REPRODUCED) != 0);
    sl__json_key(w, "tags");
    sl__json_array_begin(w);
    const char *tg = sl__cli_col_text(r, SL__C_TAGS);
    while (tg && *tg) {
        size_t n = strcspn(tg, "\x1f");
        sl__json_string_n(w, tg, n);
        tg += n + (tg[n] == '\x1f');
    }
    sl__json_array_end(w);
    sl__json_key(w, "note");
    sl__json_string(w, sl__cli_col_text(r, SL__C_NOTE));
}
