/* core/cmd/out.c — helpers of the run-history commands (see out.h); the
 * database only through <spikelab/rundb.h>. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/out.h"
#include "util/file.h"

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

int sl__cli_open(const char *cmd, const char *dbpath, sl_rundb **db)
{
    const char *path = sl_rundb_default_path(dbpath);
    int rc = sl_rundb_open(path, 0, db);
    if (rc == SL_OK) {
        /* e.g. read as immutable: the directory is not writable */
        if (*sl_rundb_notice(*db))
            fprintf(stderr, "spikelab %s: note: %s\n", cmd,
                    sl_rundb_notice(*db));
        return 0;
    }
    if (rc == SL_ENOTFOUND)
        fprintf(stderr,
                "spikelab %s: no run database at %s (give --db PATH or set "
                "SPIKELAB_DB)\n",
                cmd, path);
    else
        fprintf(stderr, "spikelab %s: %s\n", cmd, sl_rundb_errmsg(*db));
    sl_rundb_close(*db);
    *db = NULL;
    return 1;
}

int sl__cli_check_output(const char *cmd, sl_rundb *db, const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    const char *dbpath = sl_rundb_path(db);
    /* SQLite names its files after the database's real path (a database
     * opened through a link has its -wal beside the target) */
    char *real = realpath(dbpath, NULL);
    const char *base = real ? real : dbpath;
    size_t len = strlen(base) + 16;
    char *name = malloc(len);
    int hit = -1;
    for (size_t i = 0; name && hit < 0 && i < 4; i++) {
        snprintf(name, len, "%s%s", base, suffix[i]);
        if (sl__file_same(path, name))
            hit = (int)i;
    }
    free(name);
    free(real);
    if (hit < 0)
        return 0;
    fprintf(stderr, "spikelab %s: refusing to write %s: it is the %s%srun "
            "database %s; nothing written\n", cmd, path,
            hit ? suffix[hit] : "", hit ? " file of the " : "", dbpath);
    return 2;
}

int sl__cli_resolve_last(const char *cmd, sl_rundb *db, int64_t *id)
{
    if (*id > 0)
        return 0;
    int rc = sl_rundb_last(db, id);
    if (rc == SL_OK)
        return 0;
    if (rc == SL_ENOTFOUND)
        fprintf(stderr, "spikelab %s: no runs recorded in %s\n", cmd,
                sl_rundb_path(db));
    else
        fprintf(stderr, "spikelab %s: %s\n", cmd, sl_rundb_errmsg(db));
    return 1;
}

int sl__cli_find_run(const char *cmd, sl_rundb *db, int64_t *id)
{
    if (sl__cli_resolve_last(cmd, db, id))
        return 1;
    const sl_run_info *r;
    int rc = sl_rundb_run(db, *id, &r);
    if (rc == SL_OK)
        return 0;
    if (rc == SL_ENOTFOUND)
        fprintf(stderr, "spikelab %s: no run %lld in %s\n", cmd,
                (long long)*id, sl_rundb_path(db));
    else
        fprintf(stderr, "spikelab %s: %s\n", cmd, sl_rundb_errmsg(db));
    return 1;
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

/* ---- a run ------------------------------------------------------------------ */

void sl__strv_free(sl__strv *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

int sl__strv_add(void *user, const char *s)
{
    sl__strv *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        char **v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return SL_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    if (!(l->v[l->n] = strdup(s ? s : "")))
        return SL_ENOMEM;
    l->n++;
    return 0;
}

int sl__cli_tags(sl_rundb *db, int64_t run, sl__strv *out)
{
    return sl_rundb_tags(db, run, sl__strv_add, out);
}

double sl__cli_run_duration(const sl_run_info *r)
{
    double end = r->ended_at;
    if (isnan(end)) {
        if (!r->status || strcmp(r->status, "running") != 0)
            return NAN;
        end = sl__cli_now();
    }
    return end - r->started_at;
}

void sl__cli_json_num_or_null(sl__json *w, double v)
{
    if (isnan(v))
        sl__json_null(w);
    else
        sl__json_number(w, v);
}

void sl__cli_json_param(sl__json *w, const char *type, const char *text,
                        double num)
{
    if (!type || !text) {
        sl__json_null(w);
    } else if (strcmp(type, "int") == 0) {
        sl__json_int(w, strtoll(text, NULL, 10)); /* exact, unlike REAL */
    } else if (strcmp(type, "float") == 0) {
        sl__cli_json_num_or_null(w, num);
    } else if (strcmp(type, "bool") == 0) {
        sl__json_bool(w, strcmp(text, "true") == 0);
    } else {
        sl__json_string(w, text);
    }
}

void sl__cli_json_run_fields(sl__json *w, const sl_run_info *r,
                             const sl__strv *tags)
{
    sl__json_key(w, "id");
    sl__json_int(w, r->id);
    sl__json_key(w, "name");
    sl__json_string(w, r->name);
    sl__json_key(w, "status");
    sl__json_string(w, r->status);
    sl__json_key(w, "process_alive");
    if (r->process_alive < 0)
        sl__json_null(w);
    else
        sl__json_bool(w, r->process_alive);
    sl__json_key(w, "seed");
    sl__json_int(w, r->seed);
    sl__json_key(w, "started_at");
    sl__json_number(w, r->started_at);
    sl__json_key(w, "ended_at");
    sl__cli_json_num_or_null(w, r->ended_at);
    sl__json_key(w, "duration_s");
    sl__cli_json_num_or_null(w, sl__cli_run_duration(r));
    sl__json_key(w, "heartbeat_at");
    sl__cli_json_num_or_null(w, r->heartbeat_at);
    sl__json_key(w, "host");
    sl__json_string(w, r->host);
    sl__json_key(w, "pid");
    if (r->pid == 0) /* not recorded */
        sl__json_null(w);
    else
        sl__json_int(w, r->pid);
    sl__json_key(w, "core_version");
    sl__json_string(w, r->core_version);
    sl__json_key(w, "config_path");
    sl__json_string(w, r->config_path);
    sl__json_key(w, "config_hash");
    sl__json_string(w, r->config_hash);
    sl__json_key(w, "overrides");
    sl__json_array_begin(w);
    const char *ov = r->overrides;
    while (ov && *ov) {
        size_t n = strcspn(ov, "\n");
        if (n)
            sl__json_string_n(w, ov, n);
        ov += n + (ov[n] == '\n');
    }
    sl__json_array_end(w);
    sl__json_key(w, "error");
    sl__json_string(w, r->error);
    sl__json_key(w, "reproduces");
    if (r->parent_id == 0)
        sl__json_null(w);
    else
        sl__json_int(w, r->parent_id);
    sl__json_key(w, "reproduced_identical");
    if (r->reproduced < 0)
        sl__json_null(w);
    else
        sl__json_bool(w, r->reproduced != 0);
    sl__json_key(w, "tags");
    sl__json_array_begin(w);
    for (size_t i = 0; tags && i < tags->n; i++)
        sl__json_string(w, tags->v[i]);
    sl__json_array_end(w);
    sl__json_key(w, "note");
    sl__json_string(w, r->note);
}

static int json_param(void *user, const char *key, const char *alias,
                      const char *type, const char *text, double num)
{
    (void)alias;
    sl__json_key(user, key);
    sl__cli_json_param(user, type, text, num);
    return 0;
}

int sl__cli_json_params(sl__json *w, sl_rundb *db, int64_t run)
{
    sl__json_key(w, "params");
    sl__json_object_begin(w);
    int rc = sl_rundb_params(db, run, json_param, w);
    sl__json_object_end(w);
    return rc;
}

/* The rows come by name, then step: a new name closes the previous
 * array. */
typedef struct json_metrics {
    sl__json *w;
    char *cur;
} json_metrics;

static int json_metric(void *user, const char *name, int64_t step, double v,
                       double wall)
{
    json_metrics *m = user;
    if (!name)
        name = "";
    if (!m->cur || strcmp(m->cur, name) != 0) {
        if (m->cur)
            sl__json_array_end(m->w);
        free(m->cur);
        if (!(m->cur = strdup(name)))
            return SL_ENOMEM;
        sl__json_key(m->w, name);
        sl__json_array_begin(m->w);
    }
    sl__json_object_begin(m->w);
    sl__json_key(m->w, "step");
    sl__json_int(m->w, step);
    sl__json_key(m->w, "value");
    sl__json_number(m->w, v);
    sl__json_key(m->w, "wall_time");
    sl__json_number(m->w, wall);
    sl__json_object_end(m->w);
    return 0;
}

int sl__cli_json_metrics(sl__json *w, sl_rundb *db, int64_t run)
{
    json_metrics m = {w, NULL};
    sl__json_key(w, "metrics");
    sl__json_object_begin(w);
    int rc = sl_rundb_metrics(db, run, NULL, json_metric, &m);
    if (m.cur)
        sl__json_array_end(w);
    free(m.cur);
    sl__json_object_end(w);
    return rc;
}

static int json_result(void *user, const char *name, double v,
                       const char *text)
{
    (void)text;
    sl__json_key(user, name);
    sl__json_number(user, v);
    return 0;
}

static int json_result_text(void *user, const char *name, double v,
                            const char *text)
{
    (void)v;
    if (text) {
        sl__json_key(user, name);
        sl__json_string(user, text);
    }
    return 0;
}

int sl__cli_json_results(sl__json *w, sl_rundb *db, int64_t run,
                         int with_texts)
{
    sl__json_key(w, "results");
    sl__json_object_begin(w);
    int rc = sl_rundb_results(db, run, json_result, w);
    sl__json_object_end(w);
    if (rc == SL_OK && with_texts) {
        sl__json_key(w, "result_texts");
        sl__json_object_begin(w);
        rc = sl_rundb_results(db, run, json_result_text, w);
        sl__json_object_end(w);
    }
    return rc;
}

/* The metric shown as LOSS by `runs` and `show`: the first of these the
 * run recorded. */
const char *const sl__cli_loss_names[SL__CLI_N_LOSS] = {"loss", "train_loss",
                                                       "train.loss"};

const char *sl__cli_tags_cell(const sl__strv *tags, char *buf, size_t len)
{
    size_t j = 0;
    for (size_t i = 0; i < tags->n && j + 3 < len; i++) {
        if (i) {
            buf[j++] = ',';
            buf[j++] = ' ';
        }
        for (const char *t = tags->v[i]; *t && j + 3 < len; t++)
            buf[j++] = *t;
    }
    buf[j] = '\0';
    return buf;
}


char *sl__cli_strdup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

const char *sl__cli_env_label(const char *key)
{
    static const char *const label[][2] = {
        {"blas.library", "BLAS library"},
        {"blas.build", "BLAS build"},
        {"blas.kernel", "BLAS kernel"},
        {"blas.threads", "BLAS threads"},
        {"cpu.model", "CPU model"},
        {"cpu.simd", "CPU vector extensions"},
        {"cpu.flags_sha256", "CPU flags (SHA-256)"},
        {"compiler", "compiler"},
        {"compiler.flags", "compiler flags"},
        {"libc", "C library"},
        {"libc.tunables", "GLIBC_TUNABLES"},
    };
    for (size_t i = 0; key && i < sizeof label / sizeof *label; i++)
        if (strcmp(key, label[i][0]) == 0)
            return label[i][1];
    return key ? key : "";
}
