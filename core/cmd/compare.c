/* core/cmd/compare.c — `spikelab compare`: runs side by side. JSON shape:
 * compare --json:
 *   {"runs": [{"id", "name", "status", "seed", "config_hash"}, ...],
 *    "config_differences": [KEY, ...],          keys whose value differs
 *    "config": [{"key", "differs": bool, "values": [v|null, ...]}, ...],
 *    "final_metrics": [{"name", "values": [v|null, ...]}, ...],
 *    "results": [{"name", "values": [v|null, ...]}, ...]}
 *   values are in the order of "runs"; null where a run lacks the key;
 *   parameters typed as in `show --json`.
 *
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/listing.h"
#include "cmd/out.h"

#define MAX_COMPARE 15 /* runs side by side (table columns) */

/* ---- compare -------------------------------------------------------------- */

static const char compare_usage[] =
    "Usage: spikelab compare ID ID... [--all] [--json] [--db PATH]\n"
    "Compare runs side by side (IDs are numbers, or 'last'; at most 15):\n"
    "sweep:SWEEPID stands for the finished runs of that sweep.\n"
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
    v->type = sl__cli_strdup_or_null(type);
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

/* Also the body of `spikelab ui`'s /api/compare (cmd/listing.h). */
int sl__cli_compare_runs(FILE *out, sl_rundb *db, const sl__hopts *o,
                         const int64_t *ids, int n)
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
        sl__json_init(&w, out, 3);
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

/* Expand the positional arguments into run ids: "sweep:ID" (or
 * --sweep's) into the finished runs of that sweep, oldest first; the rest
 * parsed as run IDs. 0, or 2 (reported). */
static int expand_ids(sl__hopts *o, int64_t *ids, int *n_ids)
{
    int n = 0, has_sweep = 0;
    for (int i = 0; i < o->n_pos; i++)
        has_sweep |= strncmp(o->pos[i], "sweep:", 6) == 0;
    sl_rundb *db = NULL;
    if (has_sweep && sl__cli_open("compare", o->db, &db) != 0)
        return 2;
    int p = 0;
    for (int i = 0; p == 0 && i < o->n_pos; i++) {
        if (strncmp(o->pos[i], "sweep:", 6) != 0) {
            if (n == MAX_COMPARE)
                p = sl__cli_usage_error("compare", "at most %d runs at once",
                                        MAX_COMPARE);
            else
                p = sl__cli_parse_ids("compare", o->pos, i, i + 1, &ids[n++]);
            continue;
        }
        const char *tags[] = {o->pos[i]};
        sl_run_filter f = {.struct_size = sizeof f, .tags = tags,
                           .n_tags = 1, .status = "finished", .sort = "id"};
        sl_run_iter *it;
        if (sl_rundb_runs(db, &f, &it) != SL_OK) {
            fprintf(stderr, "spikelab compare: %s\n", sl_rundb_errmsg(db));
            p = 2;
            break;
        }
        int found = 0;
        for (const sl_run_info *r; p == 0 && (r = sl_run_next(it)) != NULL;) {
            if (n == MAX_COMPARE)
                p = sl__cli_usage_error("compare", "%s: more than %d runs "
                                        "side by side; `spikelab "
                                        "sweep-summary %s` aggregates them",
                                        o->pos[i], MAX_COMPARE,
                                        o->pos[i] + 6);
            else
                ids[n++] = r->id;
            found++;
        }
        if (sl_run_iter_free(it) != SL_OK && p == 0) {
            fprintf(stderr, "spikelab compare: %s\n", sl_rundb_errmsg(db));
            p = 2;
        }
        if (p == 0 && found == 0)
            p = sl__cli_usage_error("compare", "%s: no finished run of that "
                                    "sweep", o->pos[i]);
    }
    sl_rundb_close(db);
    *n_ids = n;
    return p;
}

int sl__cmd_compare(int argc, char **argv)
{
    sl__hopts o;
    int p = sl__cli_hparse("compare", compare_usage, SL__F_JSON | SL__F_ALL, argc, argv, &o);
    int64_t ids[MAX_COMPARE];
    int n_ids = 0;
    if (p == 0)
        p = expand_ids(&o, ids, &n_ids);
    if (p == 0 && n_ids < 2)
        p = sl__cli_usage_error("compare", "give at least two run IDs");
    for (int i = 0; p == 0 && i < n_ids; i++)
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
        } else if (sl__cli_check_ids("compare", db, ids, n_ids) == 0) {
            /* 'last' may name a run given by number too */
            for (int i = 0; status == 1 && i < n_ids; i++)
                for (int j = 0; j < i; j++)
                    if (ids[i] == ids[j]) {
                        status = sl__cli_usage_error(
                            "compare", "run %lld is given twice",
                            (long long)ids[i]);
                        break;
                    }
            if (status == 1)
                status = sl__cli_compare_runs(stdout, db, &o, ids, n_ids);
        }
        sl_rundb_close(db);
    }
    free(o.pos);
    return sl__cli_finish("compare", status);
}
