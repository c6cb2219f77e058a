/* core/cmd/history.c — `spikelab compare`, `export`, `tag`, `note`, `rm`:
 * looking at several runs side by side, getting their data out, and
 * curating the run history.
 *
 * JSON shapes (stable):
 *
 * compare --json:
 *   {"runs": [{"id", "name", "status", "seed", "config_hash"}, ...],
 *    "config_differences": [KEY, ...],          keys whose value differs
 *    "config": [{"key", "differs": bool, "values": [v|null, ...]}, ...],
 *    "final_metrics": [{"name", "values": [v|null, ...]}, ...],
 *    "results": [{"name", "values": [v|null, ...]}, ...]}
 *   values are in the order of "runs"; null where a run lacks the key;
 *   parameters typed as in `show --json`.
 *
 * export --format json:
 *   {"runs": [{<the run fields of `runs --json`>, "params": {KEY: v},
 *              "metrics": {NAME: [{"step", "value", "wall_time"}]},
 *              "results": {NAME: v}}, ...]}
 * export --format csv (RFC 4180, one header line):
 *   run_id,kind,name,step,value,wall_time
 *   kind "param" (name = key, value = its text), "metric" (step, value,
 *   wall_time) or "result" (value); numbers with 17 significant digits so
 *   they read back exactly; nan/inf/-inf spelled so; empty where absent.
 *
 * tag ID --json: ["tag", ...];  note ID --json: {"id", "note"}.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/cmd.h"
#include "cmd/out.h"

#define MAX_COMPARE 15 /* runs side by side (table columns) */

/* ---- shared option parsing -------------------------------------------- */

/* Options of these commands; positional arguments are collected. */
typedef struct hopts {
    const char *db;
    int json, all, force, remove, append, clear;
    const char *format, *output, *artifacts;
    char **pos;
    int n_pos;
} hopts;

/* Flags each command accepts. */
enum {
    F_JSON = 1 << 0, F_ALL = 1 << 1, F_FORCE = 1 << 2, F_REMOVE = 1 << 3,
    F_APPEND = 1 << 4, F_CLEAR = 1 << 5, F_FORMAT = 1 << 6, F_OUTPUT = 1 << 7,
    F_ARTIFACTS = 1 << 8
};

/* 0 parsed, 1 --help printed, 2 usage error (reported). o->pos owned
 * (free it). */
static int hparse(const char *cmd, const char *usage, unsigned flags,
                  int argc, char **argv, hopts *o)
{
    memset(o, 0, sizeof *o);
    o->pos = calloc((size_t)argc + 1, sizeof *o->pos);
    if (!o->pos) {
        fprintf(stderr, "spikelab %s: out of memory\n", cmd);
        return 2;
    }
    int only_positional = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (only_positional || a[0] != '-' || a[1] == '\0') {
            o->pos[o->n_pos++] = argv[i];
        } else if (strcmp(a, "--") == 0) {
            only_positional = 1;
        } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 1;
        } else if ((flags & F_JSON) && strcmp(a, "--json") == 0) {
            o->json = 1;
        } else if ((flags & F_ALL) && strcmp(a, "--all") == 0) {
            o->all = 1;
        } else if ((flags & F_FORCE) && strcmp(a, "--force") == 0) {
            o->force = 1;
        } else if ((flags & F_REMOVE) && strcmp(a, "--remove") == 0) {
            o->remove = 1;
        } else if ((flags & F_APPEND) && strcmp(a, "--append") == 0) {
            o->append = 1;
        } else if ((flags & F_CLEAR) && strcmp(a, "--clear") == 0) {
            o->clear = 1;
        } else if ((v = sl__cli_opt_value(argc, argv, &i, "--db",
                                          &missing))) {
            if (!*v)
                return sl__cli_usage_error(cmd, "--db needs a path");
            o->db = v;
        } else if ((flags & F_FORMAT) &&
                   (v = sl__cli_opt_value(argc, argv, &i, "--format",
                                          &missing))) {
            if (strcmp(v, "csv") != 0 && strcmp(v, "json") != 0)
                return sl__cli_usage_error(cmd, "--format is csv or json, "
                                                "not '%s'", v);
            o->format = v;
        } else if ((flags & F_OUTPUT) &&
                   ((v = sl__cli_opt_value(argc, argv, &i, "--output",
                                           &missing)) ||
                    (!missing && (v = sl__cli_opt_value(argc, argv, &i, "-o",
                                                        &missing))))) {
            if (!*v)
                return sl__cli_usage_error(cmd, "--output needs a file");
            o->output = v;
        } else if ((flags & F_ARTIFACTS) &&
                   (v = sl__cli_opt_value(argc, argv, &i, "--artifacts",
                                          &missing))) {
            if (!*v)
                return sl__cli_usage_error(cmd, "--artifacts needs a "
                                                "directory");
            o->artifacts = v;
        } else if (missing) {
            return sl__cli_usage_error(cmd, "%s needs a value", a);
        } else {
            return sl__cli_usage_error(cmd, "unknown option '%s'", a);
        }
    }
    return 0;
}

/* Parse the positional IDs pos[from..to) into ids (resolved later).
 * Returns 0 or 2. */
static int parse_ids(const char *cmd, char **pos, int from, int to,
                     int64_t *ids)
{
    for (int i = from; i < to; i++)
        if (sl__cli_parse_id(cmd, pos[i], &ids[i - from]))
            return 2;
    return 0;
}

/* Resolve "last" and check that every run exists. 0, or 1 (reported). */
static int check_ids(const char *cmd, sl_rundb *db, int64_t *ids, int n)
{
    for (int i = 0; i < n; i++)
        if (sl__cli_find_run(cmd, db, &ids[i]))
            return 1;
    return 0;
}

/* ---- compare -------------------------------------------------------------- */

static const char compare_usage[] =
    "Usage: spikelab compare ID ID... [--all] [--json] [--db PATH]\n"
    "Compare runs side by side (IDs are numbers, or 'last'; at most 15):\n"
    "the configuration keys whose values differ, the final value of every\n"
    "metric, and every result.\n"
    "\n"
    "  --all       list every configuration key, not only differing ones\n"
    "  --json      the comparison as one JSON object\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help      this text\n";

/* One row of a comparison: a key and its value in each run. */
typedef struct crow {
    char *key;
    char *text[MAX_COMPARE]; /* NULL = absent */
    char *type[MAX_COMPARE]; /* params: "int"... ; NULL otherwise */
    double num[MAX_COMPARE];
    int differs;
} crow;

typedef struct crows {
    crow *r;
    size_t n, cap;
    int oom;
} crows;

static void crows_free(crows *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->r[i].key);
        for (int k = 0; k < MAX_COMPARE; k++) {
            free(c->r[i].text[k]);
            free(c->r[i].type[k]);
        }
    }
    free(c->r);
}

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* The values of the runs before they are grouped by key: one per (run
 * index k, key). */
typedef struct cval {
    char *key, *text, *type;
    double num;
    int k;
} cval;

typedef struct cvals {
    cval *v;
    size_t n, cap;
    int k; /* the run being read */
} cvals;

static void cvals_free(cvals *c)
{
    for (size_t i = 0; i < c->n; i++) {
        free(c->v[i].key);
        free(c->v[i].text);
        free(c->v[i].type);
    }
    free(c->v);
}

/* text NULL: a number, shown by its exact text */
static int cval_add(cvals *c, const char *key, const char *text,
                    const char *type, double num)
{
    if (!key)
        return 0;
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        cval *p = realloc(c->v, cap * sizeof *p);
        if (!p)
            return SL_ENOMEM;
        c->v = p;
        c->cap = cap;
    }
    char buf[40];
    if (!text) {
        if (isnan(num))
            snprintf(buf, sizeof buf, "nan");
        else
            snprintf(buf, sizeof buf, "%.17g", num);
        text = buf;
    }
    cval *v = &c->v[c->n++];
    v->key = strdup(key);
    v->text = strdup(text);
    v->type = dup_or_null(type);
    v->num = num;
    v->k = c->k;
    return v->key && v->text && (v->type || !type) ? 0 : SL_ENOMEM;
}

static int c_param(void *user, const char *key, const char *alias,
                   const char *type, const char *text, double num)
{
    (void)alias;
    return cval_add(user, key, text, type, num);
}

static int c_final(void *user, const char *name, int64_t step, double v)
{
    (void)step;
    return cval_add(user, name, NULL, NULL, v);
}

static int c_result(void *user, const char *name, double v,
                    const char *text)
{
    (void)text;
    return cval_add(user, name, NULL, NULL, v);
}

static int cval_order(const void *a, const void *b)
{
    const cval *x = a, *y = b;
    int o = strcmp(x->key, y->key);
    return o ? o : (x->k > y->k) - (x->k < y->k);
}

/* The values ordered by key (byte order), gathered into one crow per key
 * (the strings move into out). SL_OK or SL_ENOMEM. */
static int gather(cvals *in, int n, crows *out)
{
    if (in->n)
        qsort(in->v, in->n, sizeof *in->v, cval_order);
    for (size_t i = 0; i < in->n; i++) {
        cval *v = &in->v[i];
        if (out->n == 0 || strcmp(out->r[out->n - 1].key, v->key) != 0) {
            if (out->n == out->cap) {
                size_t cap = out->cap ? 2 * out->cap : 64;
                crow *p = realloc(out->r, cap * sizeof *p);
                if (!p)
                    return SL_ENOMEM;
                out->r = p;
                out->cap = cap;
            }
            crow *c = &out->r[out->n++];
            memset(c, 0, sizeof *c);
            c->key = v->key;
            v->key = NULL;
        }
        crow *c = &out->r[out->n - 1];
        if (!c->text[v->k]) {
            c->text[v->k] = v->text;
            c->type[v->k] = v->type;
            c->num[v->k] = v->num;
            v->text = v->type = NULL;
        }
    }
    for (size_t i = 0; i < out->n; i++)
        for (int k = 1; k < n; k++) {
            const char *a = out->r[i].text[0], *b = out->r[i].text[k];
            if ((!a) != (!b) || (a && strcmp(a, b) != 0))
                out->r[i].differs = 1;
        }
    return SL_OK;
}


/* A value as JSON: typed param, number, or null. */
static void json_value(sl__json *w, const crow *c, int k)
{
    if (!c->text[k])
        sl__json_null(w);
    else if (c->type[k] && strcmp(c->type[k], "int") == 0)
        sl__json_int(w, strtoll(c->text[k], NULL, 10));
    else if (c->type[k] && strcmp(c->type[k], "bool") == 0)
        sl__json_bool(w, strcmp(c->text[k], "true") == 0);
    else if (c->type[k] && strcmp(c->type[k], "string") == 0)
        sl__json_string(w, c->text[k]);
    else
        sl__json_number(w, c->num[k]);
}

/* A value as a table cell: text of params, %.6g of numbers. */
static const char *cell(const crow *c, int k, int params, char *buf,
                        size_t len)
{
    if (!c->text[k])
        return "-";
    if (params)
        return c->text[k];
    sl__cli_fmt_num(c->num[k], buf, len);
    return buf;
}

static void print_crows(const char *title, const crows *c, const int64_t *ids,
                        int n, int params, int only_differing)
{
    sl__table t = {.ncol = n + 1};
    char heads[MAX_COMPARE][24], bufs[MAX_COMPARE][40];
    t.head[0] = params ? "KEY" : "NAME";
    t.align[0] = 'l';
    t.maxw[0] = 48;
    for (int k = 0; k < n; k++) {
        snprintf(heads[k], sizeof heads[k], "%lld", (long long)ids[k]);
        t.head[k + 1] = heads[k];
        t.align[k + 1] = params ? 'l' : 'r';
        t.maxw[k + 1] = 32;
    }
    for (size_t i = 0; i < c->n; i++) {
        if (only_differing && !c->r[i].differs)
            continue;
        const char *cells[SL__TABLE_MAXCOL];
        cells[0] = c->r[i].key;
        for (int k = 0; k < n; k++)
            cells[k + 1] = cell(&c->r[i], k, params, bufs[k], sizeof bufs[k]);
        sl__table_rowv(&t, cells);
    }
    if (t.nrows) {
        printf("\n%s\n", title);
        sl__table_print(&t, stdout, "  ");
    }
    sl__table_free(&t);
}

static void json_crows(sl__json *w, const char *key, const crows *c, int n,
                       int with_differs)
{
    sl__json_key(w, key);
    sl__json_array_begin(w);
    for (size_t i = 0; i < c->n; i++) {
        sl__json_object_begin(w);
        sl__json_key(w, with_differs ? "key" : "name");
        sl__json_string(w, c->r[i].key);
        if (with_differs) {
            sl__json_key(w, "differs");
            sl__json_bool(w, c->r[i].differs);
        }
        sl__json_key(w, "values");
        sl__json_array_begin(w);
        for (int k = 0; k < n; k++)
            json_value(w, &c->r[i], k);
        sl__json_array_end(w);
        sl__json_object_end(w);
    }
    sl__json_array_end(w);
}

/* What the comparison shows of each run (owned copies). */
typedef struct crun {
    char *name, *status, *hash;
    int64_t seed;
} crun;

static int compare_runs(sl_rundb *db, const hopts *o, const int64_t *ids, int n)
{
    crows params = {0}, finals = {0}, results = {0};
    cvals cp = {0}, cf = {0}, cr = {0};
    crun runs[MAX_COMPARE];
    memset(runs, 0, sizeof runs);
    int rc = SL_OK, io = 0;
    for (int k = 0; k < n && rc == SL_OK; k++) {
        const sl_run_info *r;
        cp.k = cf.k = cr.k = k;
        if ((rc = sl_rundb_params(db, ids[k], c_param, &cp)) ||
            (rc = sl_rundb_final_metrics(db, ids[k], c_final, &cf)) ||
            (rc = sl_rundb_results(db, ids[k], c_result, &cr)) ||
            (rc = sl_rundb_run(db, ids[k], &r)))
            break;
        runs[k].seed = r->seed;
        if ((r->name && !(runs[k].name = strdup(r->name))) ||
            (r->status && !(runs[k].status = strdup(r->status))) ||
            (r->config_hash && !(runs[k].hash = strdup(r->config_hash))))
            rc = SL_ENOMEM;
    }
    if (rc || (rc = gather(&cp, n, &params)) ||
        (rc = gather(&cf, n, &finals)) || (rc = gather(&cr, n, &results)))
        goto done;

    size_t n_diff = 0;
    for (size_t i = 0; i < params.n; i++)
        n_diff += params.r[i].differs != 0;
    if (o->json) {
        sl__json w;
        sl__json_init(&w, stdout, 3);
        sl__json_object_begin(&w);
        sl__json_key(&w, "runs");
        sl__json_array_begin(&w);
        for (int k = 0; k < n; k++) {
            sl__json_object_begin(&w);
            sl__json_key(&w, "id");
            sl__json_int(&w, ids[k]);
            sl__json_key(&w, "name");
            sl__json_string(&w, runs[k].name);
            sl__json_key(&w, "status");
            sl__json_string(&w, runs[k].status);
            sl__json_key(&w, "seed");
            sl__json_int(&w, runs[k].seed);
            sl__json_key(&w, "config_hash");
            sl__json_string(&w, runs[k].hash);
            sl__json_object_end(&w);
        }
        sl__json_array_end(&w);
        sl__json_key(&w, "config_differences");
        sl__json_array_begin(&w);
        for (size_t i = 0; i < params.n; i++)
            if (params.r[i].differs)
                sl__json_string(&w, params.r[i].key);
        sl__json_array_end(&w);
        json_crows(&w, "config", &params, n, 1);
        json_crows(&w, "final_metrics", &finals, n, 0);
        json_crows(&w, "results", &results, n, 0);
        sl__json_object_end(&w);
        io = sl__json_finish(&w) != 0;
        goto done;
    }

    /* text: a header table of the runs, then the three sections */
    sl__table t = {.ncol = n + 1};
    char heads[MAX_COMPARE][24];
    t.head[0] = "";
    t.align[0] = 'l';
    for (int k = 0; k < n; k++) {
        snprintf(heads[k], sizeof heads[k], "%lld", (long long)ids[k]);
        t.head[k + 1] = heads[k];
        t.align[k + 1] = 'l';
        t.maxw[k + 1] = 32;
    }
    const char *names[MAX_COMPARE + 1], *st[MAX_COMPARE + 1];
    char seeds[MAX_COMPARE][24], hashes[MAX_COMPARE][16];
    const char *sd[MAX_COMPARE + 1], *hs[MAX_COMPARE + 1];
    names[0] = "name";
    st[0] = "status";
    sd[0] = "seed";
    hs[0] = "config sha256";
    int same_hash = 1;
    char first_hash[80] = "";
    for (int k = 0; k < n; k++) {
        names[k + 1] = runs[k].name;
        st[k + 1] = runs[k].status;
        snprintf(seeds[k], sizeof seeds[k], "%lld", (long long)runs[k].seed);
        sd[k + 1] = seeds[k];
        const char *hash = runs[k].hash;
        snprintf(hashes[k], sizeof hashes[k], "%.12s", hash ? hash : "-");
        hs[k + 1] = hashes[k];
        if (k == 0)
            snprintf(first_hash, sizeof first_hash, "%s", hash ? hash : "");
        else if (!hash || strcmp(hash, first_hash) != 0)
            same_hash = 0;
    }
    sl__table_rowv(&t, names);
    sl__table_rowv(&t, st);
    sl__table_rowv(&t, sd);
    sl__table_rowv(&t, hs);
    printf("compare runs");
    for (int k = 0; k < n; k++)
        printf("%s%lld", k ? ", " : " ", (long long)ids[k]);
    printf("\n");
    sl__table_print(&t, stdout, "  ");
    sl__table_free(&t);

    char title[160];
    if (n_diff == 0)
        printf("\nconfiguration: no key differs (%zu keys)%s\n", params.n,
               same_hash && *first_hash ? "; identical config hashes" : "");
    else
        snprintf(title, sizeof title,
                 "configuration: %zu of %zu keys differ", n_diff, params.n);
    if (n_diff)
        print_crows(title, &params, ids, n, 1, 1);
    if (o->all)
        print_crows("configuration: every key", &params, ids, n, 1, 0);
    print_crows("final metrics (value at the last step)", &finals, ids, n, 0,
                0);
    print_crows("results", &results, ids, n, 0, 0);
done:
    if (rc == SL_ENOMEM || io)
        fprintf(stderr, "spikelab compare: %s: %s\n", sl_rundb_path(db),
                io ? "cannot write the output" : "out of memory");
    else if (rc)
        fprintf(stderr, "spikelab compare: %s\n", sl_rundb_errmsg(db));
    for (int k = 0; k < n; k++) {
        free(runs[k].name);
        free(runs[k].status);
        free(runs[k].hash);
    }
    cvals_free(&cp);
    cvals_free(&cf);
    cvals_free(&cr);
    crows_free(&params);
    crows_free(&finals);
    crows_free(&results);
    return rc || io ? 1 : 0;
}

int sl__cmd_compare(int argc, char **argv)
{
    hopts o;
    int p = hparse("compare", compare_usage, F_JSON | F_ALL, argc, argv, &o);
    int64_t ids[MAX_COMPARE];
    if (p == 0 && o.n_pos < 2)
        p = sl__cli_usage_error("compare", "give at least two run IDs");
    if (p == 0 && o.n_pos > MAX_COMPARE)
        p = sl__cli_usage_error("compare", "at most %d runs at once",
                                MAX_COMPARE);
    if (p == 0)
        p = parse_ids("compare", o.pos, 0, o.n_pos, ids);
    for (int i = 0; p == 0 && i < o.n_pos; i++)
        for (int j = 0; p == 0 && j < i; j++)
            if (ids[i] == ids[j] && ids[i] != 0)
                p = sl__cli_usage_error("compare", "run %lld is given twice",
                                        (long long)ids[i]);
    if (p) {
        free(o.pos);
        return p == 1 ? sl__cli_finish("compare", 0) : 2;
    }
    sl_rundb *db;
    int status = 1;
    if (sl__cli_open("compare", o.db, &db) == 0) {
        /* one snapshot for all the runs */
        if (sl_rundb_read_begin(db) != SL_OK) {
            fprintf(stderr, "spikelab compare: %s\n", sl_rundb_errmsg(db));
        } else if (check_ids("compare", db, ids, o.n_pos) == 0) {
            /* 'last' may name a run given by number too */
            for (int i = 0; status == 1 && i < o.n_pos; i++)
                for (int j = 0; j < i; j++)
                    if (ids[i] == ids[j]) {
                        status = sl__cli_usage_error(
                            "compare", "run %lld is given twice",
                            (long long)ids[i]);
                        break;
                    }
            if (status == 1)
                status = compare_runs(db, &o, ids, o.n_pos);
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    return sl__cli_finish("compare", status);
}

/* ---- export ---------------------------------------------------------------- */

static const char export_usage[] =
    "Usage: spikelab export ID... [--format csv|json | --json] [--output FILE]\n"
    "                       [--db PATH]\n"
    "       spikelab export ID... --artifacts DIR [--db PATH]\n"
    "Write the parameters, metrics and results of runs (IDs are numbers, or\n"
    "'last') for other tools.\n"
    "\n"
    "  --format csv    (default) one table with the header\n"
    "                  run_id,kind,name,step,value,wall_time\n"
    "                  kind is param (name = key), metric or result; reads\n"
    "                  back with Python's csv module, sqlite3's\n"
    "                  `.import --csv FILE TABLE`, pandas.read_csv, R, ...\n"
    "  --format json   {\"runs\": [{run fields, \"params\", \"metrics\",\n"
    "                  \"results\"}]}  (--json says the same)\n"
    "  --output FILE   write to FILE instead of the standard output (-o)\n"
    "  --artifacts DIR write the stored artifacts (trained parameters and\n"
    "                  traces as .npy, exported configurations) as files\n"
    "                  DIR/ID/NAME, e.g. DIR/3/params/lif/w_rec.npy\n"
    "  --db PATH       run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help          this text\n";

/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF,
 * or leading/trailing space. */
static void csv_field(FILE *f, const char *s)
{
    if (!s)
        return;
    size_t n = strlen(s);
    int quote = strpbrk(s, ",\"\r\n") != NULL ||
                (n && (s[0] == ' ' || s[n - 1] == ' '));
    if (!quote) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* A number with 17 significant digits (exact), nan/inf spelled out; NaN
 * (not recorded) is nothing when nan_is_empty. */
static void csv_number(FILE *f, double v, int nan_is_empty)
{
    if (isnan(v)) {
        if (!nan_is_empty)
            fputs("nan", f);
        return;
    }
    if (isinf(v))
        fputs(v > 0 ? "inf" : "-inf", f);
    else
        fprintf(f, "%.17g", v);
}

typedef struct csv_out {
    FILE *f;
    int64_t run;
} csv_out;

static int csv_param(void *user, const char *key, const char *alias,
                     const char *type, const char *text, double num)
{
    csv_out *c = user;
    (void)alias, (void)type, (void)num;
    fprintf(c->f, "%lld,param,", (long long)c->run);
    csv_field(c->f, key);
    fputs(",,", c->f);
    csv_field(c->f, text);
    fputs(",\r\n", c->f);
    return 0;
}

static int csv_metric(void *user, const char *name, int64_t step, double v,
                      double wall)
{
    csv_out *c = user;
    fprintf(c->f, "%lld,metric,", (long long)c->run);
    csv_field(c->f, name);
    fprintf(c->f, ",%lld,", (long long)step);
    csv_number(c->f, v, 0);
    fputc(',', c->f);
    csv_number(c->f, wall, 1);
    fputs("\r\n", c->f);
    return 0;
}

static int csv_result(void *user, const char *name, double v,
                      const char *text)
{
    csv_out *c = user;
    (void)text;
    fprintf(c->f, "%lld,result,", (long long)c->run);
    csv_field(c->f, name);
    fputs(",,", c->f);
    csv_number(c->f, v, 0);
    fputs(",\r\n", c->f);
    return 0;
}

/* 0, or -1 after a database error (message on db). */
static int export_csv(sl_rundb *db, FILE *f, const int64_t *ids, int n)
{
    fputs("run_id,kind,name,step,value,wall_time\r\n", f);
    for (int k = 0; k < n; k++) {
        csv_out c = {f, ids[k]};
        if (sl_rundb_params(db, ids[k], csv_param, &c) ||
            sl_rundb_metrics(db, ids[k], NULL, csv_metric, &c) ||
            sl_rundb_results(db, ids[k], csv_result, &c))
            return -1;
    }
    return 0;
}

/* 0, -1 after a database error (message on db), -2 the output failed. */
static int export_json(sl_rundb *db, FILE *f, const int64_t *ids, int n)
{
    sl__json w;
    sl__json_init(&w, f, 4);
    sl__json_object_begin(&w);
    sl__json_key(&w, "runs");
    sl__json_array_begin(&w);
    for (int k = 0; k < n; k++) {
        const sl_run_info *r;
        sl__strv tags = {0};
        if (sl_rundb_run(db, ids[k], &r) || sl__cli_tags(db, ids[k], &tags)) {
            sl__strv_free(&tags);
            return -1;
        }
        sl__json_object_begin(&w);
        sl__cli_json_run_fields(&w, r, &tags);
        sl__strv_free(&tags);
        if (sl__cli_json_params(&w, db, ids[k]) ||
            sl__cli_json_metrics(&w, db, ids[k]) ||
            sl__cli_json_results(&w, db, ids[k], 0))
            return -1;
        sl__json_object_end(&w);
    }
    sl__json_array_end(&w);
    sl__json_object_end(&w);
    return sl__json_finish(&w) == 0 ? 0 : -2;
}


/* mkdir -p for the directories of path (not its last component). */
static int make_parents(char *path)
{
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        int ok = mkdir(path, 0777) == 0 || errno == EEXIST;
        *p = '/';
        if (!ok)
            return -1;
    }
    return 0;
}

/* An artifact name is safe as a relative path: no absolute path, no ".."
 * or empty segments, no control characters. */
static int safe_name(const char *name)
{
    if (!*name || name[0] == '/')
        return 0;
    for (const char *s = name; *s;) {
        size_t n = strcspn(s, "/");
        if (n == 0 || (n == 2 && s[0] == '.' && s[1] == '.') ||
            (n == 1 && s[0] == '.'))
            return 0;
        s += n + (s[n] == '/');
    }
    for (const char *s = name; *s; s++)
        if ((unsigned char)*s < 0x20)
            return 0;
    return 1;
}

/* The artifacts of a run as listed (owned copies). */
typedef struct art {
    char *name, *path;
    int in_db;
} art;

typedef struct arts {
    art *v;
    size_t n, cap;
} arts;

static void arts_free(arts *a)
{
    for (size_t i = 0; i < a->n; i++) {
        free(a->v[i].name);
        free(a->v[i].path);
    }
    free(a->v);
    memset(a, 0, sizeof *a);
}

static int art_add(void *user, const sl_artifact_info *a)
{
    arts *l = user;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        art *p = realloc(l->v, cap * sizeof *p);
        if (!p)
            return SL_ENOMEM;
        l->v = p;
        l->cap = cap;
    }
    art *x = &l->v[l->n++];
    x->name = dup_or_null(a->name);
    x->path = dup_or_null(a->path);
    x->in_db = a->in_db;
    return (a->name && !x->name) || (a->path && !x->path) ? SL_ENOMEM : 0;
}

/* 0, -1 after a database error (message on db), -2 after reporting a
 * failure of our own. */
static int export_artifacts(sl_rundb *db, const char *dir, const int64_t *ids,
                            int n)
{
    int n_written = 0, bad = 0, rc = SL_OK;
    for (int k = 0; k < n && !bad && !rc; k++) {
        arts l = {0};
        rc = sl_rundb_artifacts(db, ids[k], art_add, &l);
        for (size_t i = 0; i < l.n && !rc && !bad; i++) {
            const char *name = l.v[i].name;
            if (!l.v[i].in_db) {
                printf("run %lld: %s is kept outside the database: %s\n",
                       (long long)ids[k], name ? name : "?",
                       l.v[i].path ? l.v[i].path : "?");
                continue;
            }
            if (!name || !safe_name(name)) {
                fprintf(stderr, "spikelab export: run %lld: artifact name "
                        "'%s' is not a safe file name; skipped\n",
                        (long long)ids[k], name ? name : "");
                continue;
            }
            const void *data;
            size_t size;
            if ((rc = sl_rundb_artifact(db, ids[k], name, &data, &size)))
                break;
            size_t len = strlen(dir) + strlen(name) + 32;
            char *path = malloc(len);
            if (!path) {
                rc = SL_ENOMEM;
                break;
            }
            snprintf(path, len, "%s/%lld/%s", dir, (long long)ids[k], name);
            FILE *f = NULL;
            if (make_parents(path) != 0 || !(f = fopen(path, "wb")) ||
                (size && fwrite(data, 1, size, f) != size)) {
                fprintf(stderr, "spikelab export: %s: %s\n", path,
                        strerror(errno));
                bad = 1;
            }
            if (f && fclose(f) != 0 && !bad) {
                fprintf(stderr, "spikelab export: %s: %s\n", path,
                        strerror(errno));
                bad = 1;
            }
            if (!bad) {
                printf("%s (%zu bytes)\n", path, size);
                n_written++;
            }
            free(path);
        }
        arts_free(&l);
    }
    if (bad)
        return -2;
    if (rc == SL_ENOMEM) {
        fprintf(stderr, "spikelab export: out of memory\n");
        return -2;
    }
    if (rc)
        return -1;
    if (n_written == 0)
        printf("no artifacts stored in the database for %s\n",
               n == 1 ? "this run" : "these runs");
    return 0;
}

int sl__cmd_export(int argc, char **argv)
{
    hopts o;
    int p = hparse("export", export_usage,
                   F_FORMAT | F_OUTPUT | F_ARTIFACTS | F_JSON, argc, argv, &o);
    if (p == 0 && o.json) {
        if (o.format && strcmp(o.format, "json") != 0)
            p = sl__cli_usage_error("export", "--json and --format %s "
                                              "exclude each other", o.format);
        o.format = "json";
    }
    int64_t *ids = NULL;
    if (p == 0 && o.n_pos < 1)
        p = sl__cli_usage_error("export", "which run? give its ID");
    if (p == 0 && o.artifacts && (o.format || o.output))
        p = sl__cli_usage_error("export", "--artifacts writes files of its "
                                          "own: no --format or --output");
    if (p == 0 && !(ids = calloc(o.n_pos > 0 ? (size_t)o.n_pos : 1, sizeof *ids)))
        p = 2;
    if (p == 0)
        p = parse_ids("export", o.pos, 0, o.n_pos, ids);
    if (p) {
        free(o.pos);
        free(ids);
        return p == 1 ? sl__cli_finish("export", 0) : 2;
    }
    sl_rundb *db;
    int status = 1;
    if (sl__cli_open("export", o.db, &db) == 0) {
        /* one snapshot for all the runs */
        if (sl_rundb_read_begin(db) != SL_OK) {
            fprintf(stderr, "spikelab export: %s\n", sl_rundb_errmsg(db));
        } else if (check_ids("export", db, ids, o.n_pos) == 0) {
            FILE *f = stdout;
            int r;
            if (o.artifacts) {
                r = export_artifacts(db, o.artifacts, ids, o.n_pos);
            } else if (o.output && !(f = fopen(o.output, "w"))) {
                fprintf(stderr, "spikelab export: %s: %s\n", o.output,
                        strerror(errno));
                r = -2;
            } else {
                r = o.format && strcmp(o.format, "json") == 0
                        ? export_json(db, f, ids, o.n_pos)
                        : export_csv(db, f, ids, o.n_pos);
                if (f != stdout && fclose(f) != 0 && r == 0) {
                    fprintf(stderr, "spikelab export: %s: %s\n", o.output,
                            strerror(errno));
                    r = -2;
                }
            }
            if (r == -1)
                fprintf(stderr, "spikelab export: %s\n", sl_rundb_errmsg(db));
            status = r != 0;
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    free(ids);
    return sl__cli_finish("export", status);
}

/* ---- tag, note, rm --------------------------------------------------------- */

static const char tag_usage[] =
    "Usage: spikelab tag ID TAG... [--db PATH]\n"
    "       spikelab tag ID --remove TAG... [--db PATH]\n"
    "       spikelab tag ID [--json] [--db PATH]\n"
    "Add tags to run ID (a number, or 'last'), remove them, or list them.\n"
    "A tag is any text of 1 to 200 bytes without control characters; runs\n"
    "are filtered by tag with `spikelab runs --tag TAG`.\n"
    "\n"
    "  --remove    remove the given tags instead\n"
    "  --json      list the tags as a JSON array\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help      this text\n";

static const char note_usage[] =
    "Usage: spikelab note ID TEXT [--append] [--db PATH]\n"
    "       spikelab note ID --clear [--db PATH]\n"
    "       spikelab note ID [--json] [--db PATH]\n"
    "Set the free-text note of run ID (a number, or 'last'), replacing the\n"
    "old one; add a line to it with --append; remove it with --clear (or an\n"
    "empty TEXT); with no TEXT, print it. `spikelab show ID` shows it too.\n"
    "\n"
    "  --append    add TEXT as a new line after the current note\n"
    "  --clear     remove the note\n"
    "  --json      print the note as {\"id\": ID, \"note\": TEXT or null}\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help      this text\n";

static const char rm_usage[] =
    "Usage: spikelab rm ID... [--force] [--db PATH]\n"
    "Remove runs and everything recorded with them (metrics, results,\n"
    "params, tags, artifacts), all or none. A run that is still running is\n"
    "refused unless --force (a run recorded on another host counts as\n"
    "running while its status says so). Runs that re-ran a removed run keep\n"
    "their records, without the link. The file does not shrink until\n"
    "`sqlite3 FILE VACUUM`.\n"
    "\n"
    "  --force     remove running runs too\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help      this text\n";


int sl__cmd_tag(int argc, char **argv)
{
    hopts o;
    int p = hparse("tag", tag_usage, F_JSON | F_REMOVE, argc, argv, &o);
    int64_t id = 0;
    if (p == 0 && o.n_pos < 1)
        p = sl__cli_usage_error("tag", "which run? give its ID");
    if (p == 0)
        p = sl__cli_parse_id("tag", o.pos[0], &id);
    if (p == 0 && o.remove && o.n_pos < 2)
        p = sl__cli_usage_error("tag", "--remove needs the tags to remove");
    if (p == 0 && o.json && o.n_pos > 1)
        p = sl__cli_usage_error("tag", "--json lists tags; it takes no TAG");
    for (int i = 1; p == 0 && i < o.n_pos; i++) {
        size_t len = strlen(o.pos[i]);
        int ctl = 0;
        for (const char *c = o.pos[i]; *c; c++)
            ctl |= (unsigned char)*c < 0x20 || *c == 0x7f;
        if (len == 0 || len > 200 || ctl)
            p = sl__cli_usage_error("tag", "a tag is 1 to 200 bytes without "
                                           "control characters");
    }
    if (p) {
        free(o.pos);
        return p == 1 ? sl__cli_finish("tag", 0) : 2;
    }
    sl_rundb *db;
    int status = 1;
    if (sl__cli_open("tag", o.db, &db) == 0) {
        if (sl__cli_find_run("tag", db, &id) == 0) {
            status = 0;
            for (int i = 1; i < o.n_pos && status == 0; i++) {
                int rc = o.remove ? sl_rundb_untag(db, id, o.pos[i])
                                  : sl_rundb_tag(db, id, o.pos[i]);
                if (rc != SL_OK) {
                    fprintf(stderr, "spikelab tag: %s\n",
                            sl_rundb_errmsg(db));
                    status = 1;
                }
            }
            if (o.n_pos == 1) { /* list */
                sl__strv tags = {0};
                if (sl__cli_tags(db, id, &tags) != SL_OK) {
                    fprintf(stderr, "spikelab tag: %s\n",
                            sl_rundb_errmsg(db));
                    status = 1;
                } else if (o.json) {
                    sl__json w;
                    sl__json_init(&w, stdout, 1);
                    sl__json_array_begin(&w);
                    for (size_t i = 0; i < tags.n; i++)
                        sl__json_string(&w, tags.v[i]);
                    sl__json_array_end(&w);
                    sl__json_finish(&w);
                } else {
                    for (size_t i = 0; i < tags.n; i++) {
                        sl__cli_put_clean(stdout, tags.v[i]);
                        putchar('\n');
                    }
                }
                sl__strv_free(&tags);
            } else if (status == 0) {
                printf("run %lld: %d tag%s %s\n", (long long)id, o.n_pos - 1,
                       o.n_pos == 2 ? "" : "s",
                       o.remove ? "removed" : "added");
            }
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    return sl__cli_finish("tag", status);
}

int sl__cmd_note(int argc, char **argv)
{
    hopts o;
    int p = hparse("note", note_usage, F_JSON | F_APPEND | F_CLEAR, argc,
                   argv, &o);
    int64_t id = 0;
    if (p == 0 && o.n_pos < 1)
        p = sl__cli_usage_error("note", "which run? give its ID");
    if (p == 0)
        p = sl__cli_parse_id("note", o.pos[0], &id);
    if (p == 0 && o.n_pos > 2)
        p = sl__cli_usage_error("note", "give the note as one argument (in "
                                        "quotes)");
    if (p == 0 && o.clear && (o.n_pos > 1 || o.append))
        p = sl__cli_usage_error("note", "--clear takes no TEXT and no "
                                        "--append");
    if (p == 0 && o.append && o.n_pos < 2)
        p = sl__cli_usage_error("note", "--append needs the TEXT to add");
    if (p == 0 && o.json && o.n_pos > 1)
        p = sl__cli_usage_error("note", "--json prints the note; it takes "
                                        "no TEXT");
    if (p) {
        free(o.pos);
        return p == 1 ? sl__cli_finish("note", 0) : 2;
    }
    sl_rundb *db;
    int status = 1;
    if (sl__cli_open("note", o.db, &db) == 0) {
        if (sl__cli_find_run("note", db, &id) == 0) {
            if (o.n_pos == 2 || o.clear) {
                const char *text = o.clear ? NULL : o.pos[1];
                int rc = o.append ? sl_rundb_append_note(db, id, text)
                                  : sl_rundb_set_note(db, id, text);
                if (rc != SL_OK) {
                    fprintf(stderr, "spikelab note: %s\n",
                            sl_rundb_errmsg(db));
                } else {
                    printf("run %lld: note %s\n", (long long)id,
                           !text || !*text ? "cleared"
                           : o.append      ? "extended"
                                           : "set");
                    status = 0;
                }
            } else {
                const sl_run_info *r;
                if (sl_rundb_run(db, id, &r) != SL_OK) {
                    fprintf(stderr, "spikelab note: %s\n",
                            sl_rundb_errmsg(db));
                } else {
                    const char *note = r->note;
                    if (o.json) {
                        sl__json w;
                        sl__json_init(&w, stdout, 0);
                        sl__json_object_begin(&w);
                        sl__json_key(&w, "id");
                        sl__json_int(&w, id);
                        sl__json_key(&w, "note");
                        sl__json_string(&w, note);
                        sl__json_object_end(&w);
                        sl__json_finish(&w);
                    } else if (note) {
                        /* newlines kept: a note may have several lines */
                        for (const char *c = note; *c; c++)
                            putchar((unsigned char)*c < 0x20 && *c != '\n'
                                        ? '?'
                                        : *c);
                        putchar('\n');
                    }
                    status = 0;
                }
            }
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    return sl__cli_finish("note", status);
}

int sl__cmd_rm(int argc, char **argv)
{
    hopts o;
    int p = hparse("rm", rm_usage, F_FORCE, argc, argv, &o);
    int64_t *ids = NULL;
    if (p == 0 && o.n_pos < 1)
        p = sl__cli_usage_error("rm", "which runs? give their IDs");
    if (p == 0 && !(ids = calloc(o.n_pos > 0 ? (size_t)o.n_pos : 1, sizeof *ids)))
        p = 2;
    if (p == 0)
        p = parse_ids("rm", o.pos, 0, o.n_pos, ids);
    if (p) {
        free(o.pos);
        free(ids);
        return p == 1 ? sl__cli_finish("rm", 0) : 2;
    }
    sl_rundb *db;
    int status = 1;
    if (sl__cli_open("rm", o.db, &db) == 0) {
        int ok = 1;
        for (int i = 0; i < o.n_pos && ok; i++)
            ok = sl__cli_resolve_last("rm", db, &ids[i]) == 0;
        if (ok && sl_rundb_remove(db, ids, (size_t)o.n_pos,
                                  o.force ? SL_RUNDB_REMOVE_RUNNING : 0) !=
                      SL_OK) {
            fprintf(stderr, "spikelab rm: %s; nothing removed\n",
                    sl_rundb_errmsg(db));
            ok = 0;
        }
        if (ok) {
            for (int i = 0; i < o.n_pos; i++)
                printf("removed run %lld\n", (long long)ids[i]);
            status = 0;
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    free(ids);
    return sl__cli_finish("rm", status);
}
