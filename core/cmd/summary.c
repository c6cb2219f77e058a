/* core/cmd/summary.c — `spikelab sweep-summary [ID]`: the sweeps of a
 * database, or one sweep aggregated: per group of points (by default the
 * swept keys but the seed) the count, mean ± std, median, min and max of
 * every result and final metric over the group's finished runs, and the
 * best group and run by a chosen result; as text, CSV or JSON.
 *
 * A point's run is its newest finished run tagged with the sweep (a
 * point run twice, e.g. a resumed sweep raced by another, counts once).
 *
 * JSON (stable: scripts read it): {"sweep", "name", "config_path",
 * "n_points", "n_finished", "group_by": [KEY...], "groups": [{"values":
 * {KEY: VALUE}, "runs": [ID...], "counts": {COND: number of runs meeting
 * it}, "results": {NAME: {"n", "mean", "std",
 * "median", "min", "max"}}}], "best": null | {"result", "lowest",
 * "group": {KEY: VALUE}, "group_mean", "run", "value"}}. std is the
 * sample standard deviation (n-1; "nan" for one run). CSV: a header, then
 * one row per group and result: the group's values, result, n, mean,
 * std, median, min, max.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "spikelab/rundb.h"
#include "cmd/cmd.h"
#include "cmd/json.h"

static const char usage[] =
    "usage: spikelab sweep-summary [ID] [--group-by KEY,...] [--best RESULT\n"
    "                              [--lowest]] [--count COND] [--json | --csv]\n"
    "                              [--db PATH]\n"
    "\n"
    "Without ID: the sweeps recorded in the database (id, name, points,\n"
    "finished points, experiment file). With ID: that sweep's finished\n"
    "points grouped by the swept keys (by default every key that takes more\n"
    "than one value, except seed), and per group and per result (and final\n"
    "metric value): the count, mean +- std (sample, n-1), median, min and\n"
    "max.\n"
    "\n"
    "  --group-by KEYS  comma-separated swept keys to group by ('' : one\n"
    "                   group of all points)\n"
    "  --best RESULT    also the best group (by its mean) and the best run by\n"
    "                   RESULT, highest unless --lowest\n"
    "  --count 'COND'   (repeatable) per group, how many runs meet COND:\n"
    "                   NAME OP NUMBER clauses (OP < <= > >= =) joined by\n"
    "                   ',' (all must hold), e.g. 'train_frr_min>2' or\n"
    "                   'train_frr_min>2,test_frr_median<=1.3'\n"
    "  --json           one JSON object (groups, statistics, best)\n"
    "  --csv            one row per group and result (a --count: result\n"
    "                   'count:COND', n the group's runs, mean the count)\n"
    "  --db PATH        run database (default: $SPIKELAB_DB, else\n"
    "                   ./spikelab.db)\n"
    "  --help           this text\n"
    "\n"
    "The runs of a sweep are also `spikelab runs --sweep ID`, and\n"
    "`spikelab compare --sweep ID` compares them.\n";

typedef struct series {
    char *name;
    double *v;
    size_t n, cap;
} series;

typedef struct group {
    char **vals;       /* per group-by key */
    int64_t *runs;
    size_t n_runs;
    series *res;
    size_t n_res;
    size_t counts[8];  /* runs meeting each --count */
} group;

/* A --count: clauses "NAME OP NUMBER", all of which must hold. */
#define MAX_COUNTS 8
#define MAX_CLAUSES 8
typedef struct cond {
    const char *text;
    size_t n;
    char name[MAX_CLAUSES][128];
    char op[MAX_CLAUSES][3];
    double num[MAX_CLAUSES];
} cond;

/* Parse c->text; 0, or 2 after a message naming the clause. */
static int cond_parse(cond *c)
{
    const char *p = c->text;
    c->n = 0;
    while (*p) {
        const char *e = strchr(p, ',');
        size_t l = e ? (size_t)(e - p) : strlen(p);
        char clause[256];
        if (l == 0 || l >= sizeof clause || c->n == MAX_CLAUSES)
            goto bad;
        memcpy(clause, p, l);
        clause[l] = 0;
        char *o = strpbrk(clause, "<>=");
        if (!o || o == clause)
            goto bad;
        size_t ol = (o[0] != '=' && o[1] == '=') ? 2 : 1;
        size_t nl = (size_t)(o - clause);
        while (nl && clause[nl - 1] == ' ')
            nl--;
        if (nl == 0 || nl >= sizeof c->name[0])
            goto bad;
        memcpy(c->name[c->n], clause, nl);
        c->name[c->n][nl] = 0;
        memcpy(c->op[c->n], o, ol);
        c->op[c->n][ol] = 0;
        char *end;
        const char *v = o + ol;
        while (*v == ' ')
            v++;
        c->num[c->n] = strtod(v, &end);
        if (end == v || *end)
            goto bad;
        c->n++;
        p = e ? e + 1 : p + l;
        continue;
    bad:
        fprintf(stderr, "spikelab sweep-summary: --count '%s': '%.*s' is not "
                "NAME OP NUMBER (OP: < <= > >= =; clauses joined by ',')\n",
                c->text, (int)l, p);
        return 2;
    }
    if (c->n == 0) {
        fprintf(stderr, "spikelab sweep-summary: --count: empty condition\n");
        return 2;
    }
    return 0;
}

/* Does the run just added to g (its values are the series' last, when the
 * series has one from it) meet c? */
static int cond_holds(const cond *c, const group *g)
{
    for (size_t k = 0; k < c->n; k++) {
        const series *s = NULL;
        for (size_t r = 0; r < g->n_res; r++)
            if (strcmp(g->res[r].name, c->name[k]) == 0)
                s = &g->res[r];
        if (!s || s->n != g->n_runs + 1)
            return 0; /* this run lacks it */
        double v = s->v[s->n - 1], x = c->num[k];
        const char *op = c->op[k];
        int ok = strcmp(op, "<") == 0    ? v < x
                 : strcmp(op, "<=") == 0 ? v <= x
                 : strcmp(op, ">") == 0  ? v > x
                 : strcmp(op, ">=") == 0 ? v >= x
                                         : v == x;
        if (!ok)
            return 0;
    }
    return 1;
}

typedef struct summary {
    char **keys;        /* every swept key */
    size_t n_keys;
    size_t *gb;         /* group-by keys (indexes into keys) */
    size_t n_gb;
    char **lines;       /* points, sorted for bsearch */
    size_t n_points;
    group *groups;
    size_t n_groups;
    /* the run being read */
    group *cur;
    int failed;
} summary;

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The value of key in a point line "k=v\tk=v": borrowed span. */
static const char *value_in(const char *line, const char *key, size_t *len)
{
    size_t kl = strlen(key);
    for (const char *p = line; p && *p;) {
        const char *t = strchr(p, '\t');
        size_t l = t ? (size_t)(t - p) : strlen(p);
        if (l > kl && strncmp(p, key, kl) == 0 && p[kl] == '=') {
            *len = l - kl - 1;
            return p + kl + 1;
        }
        p = t ? t + 1 : NULL;
    }
    *len = 0;
    return NULL;
}

static int add_value(group *g, const char *name, double v)
{
    size_t r = 0;
    while (r < g->n_res && strcmp(g->res[r].name, name) != 0)
        r++;
    if (r == g->n_res) {
        series *p = realloc(g->res, (g->n_res + 1) * sizeof *p);
        if (!p)
            return -1;
        g->res = p;
        p[r] = (series){strdup(name), NULL, 0, 0};
        if (!p[r].name)
            return -1;
        g->n_res++;
    }
    series *s = &g->res[r];
    if (s->n == s->cap) {
        size_t c = s->cap ? 2 * s->cap : 8;
        double *p = realloc(s->v, c * sizeof *p);
        if (!p)
            return -1;
        s->v = p;
        s->cap = c;
    }
    s->v[s->n++] = v;
    return 0;
}

static int on_result(void *user, const char *name, double value,
                     const char *text)
{
    (void)text;
    summary *sm = user;
    if (!isnan(value) && add_value(sm->cur, name, value))
        sm->failed = 1;
    return 0;
}

static int on_final(void *user, const char *name, int64_t step, double value)
{
    (void)step;
    summary *sm = user;
    group *g = sm->cur;
    /* a result of the same name wins (a run reports both rarely) */
    for (size_t r = 0; r < g->n_res; r++)
        if (strcmp(g->res[r].name, name) == 0 &&
            g->res[r].n == g->n_runs + 1)
            return 0;
    if (!isnan(value) && add_value(g, name, value))
        sm->failed = 1;
    return 0;
}

/* The group of a point line, created when new. */
static group *group_of(summary *sm, const char *line)
{
    for (size_t k = 0; k < sm->n_groups; k++) {
        size_t j = 0;
        for (; j < sm->n_gb; j++) {
            size_t l;
            const char *v = value_in(line, sm->keys[sm->gb[j]], &l);
            if (!v || strlen(sm->groups[k].vals[j]) != l ||
                memcmp(sm->groups[k].vals[j], v, l))
                break;
        }
        if (j == sm->n_gb)
            return &sm->groups[k];
    }
    group *p = realloc(sm->groups, (sm->n_groups + 1) * sizeof *p);
    if (!p)
        return NULL;
    sm->groups = p;
    group *g = &p[sm->n_groups++];
    memset(g, 0, sizeof *g);
    g->vals = calloc(sm->n_gb + 1, sizeof *g->vals);
    if (!g->vals)
        return NULL;
    for (size_t j = 0; j < sm->n_gb; j++) {
        size_t l;
        const char *v = value_in(line, sm->keys[sm->gb[j]], &l);
        if (!(g->vals[j] = strndup(v ? v : "", l)))
            return NULL;
    }
    return g;
}

typedef struct stats {
    size_t n;
    double mean, std, median, min, max;
} stats;

static stats stats_of(const series *s)
{
    stats st = {s->n, NAN, NAN, NAN, NAN, NAN};
    if (s->n == 0)
        return st;
    qsort(s->v, s->n, sizeof *s->v, cmp_dbl);
    double sum = 0;
    for (size_t i = 0; i < s->n; i++)
        sum += s->v[i];
    st.mean = sum / (double)s->n;
    if (s->n > 1) {
        double ss = 0;
        for (size_t i = 0; i < s->n; i++)
            ss += (s->v[i] - st.mean) * (s->v[i] - st.mean);
        st.std = sqrt(ss / (double)(s->n - 1));
    }
    st.median = s->n % 2 ? s->v[s->n / 2]
                         : 0.5 * (s->v[s->n / 2 - 1] + s->v[s->n / 2]);
    st.min = s->v[0];
    st.max = s->v[s->n - 1];
    return st;
}

static void summary_free(summary *sm)
{
    for (size_t k = 0; k < sm->n_keys; k++)
        free(sm->keys[k]);
    free(sm->keys);
    free(sm->gb);
    for (size_t i = 0; i < sm->n_points; i++)
        free(sm->lines[i]);
    free(sm->lines);
    for (size_t k = 0; k < sm->n_groups; k++) {
        group *g = &sm->groups[k];
        for (size_t j = 0; g->vals && j < sm->n_gb; j++)
            free(g->vals[j]);
        free(g->vals);
        free(g->runs);
        for (size_t r = 0; r < g->n_res; r++) {
            free(g->res[r].name);
            free(g->res[r].v);
        }
        free(g->res);
    }
    free(sm->groups);
}

/* ---- the list of sweeps --------------------------------------------------- */

typedef struct lister {
    sl_rundb *db;
    int json, n;
    sl__json *w;
} lister;

static int64_t count_finished(sl_rundb *db, const char *id, int64_t *all)
{
    char tag[64];
    snprintf(tag, sizeof tag, "sweep:%s", id);
    const char *tags[] = {tag};
    sl_run_filter f = {.struct_size = sizeof f, .tags = tags, .n_tags = 1};
    sl_run_iter *it;
    int64_t n = 0;
    *all = 0;
    if (sl_rundb_runs(db, &f, &it) != SL_OK)
        return -1;
    for (const sl_run_info *r; (r = sl_run_next(it)) != NULL;) {
        (*all)++;
        n += strcmp(r->status, "finished") == 0;
    }
    return sl_run_iter_free(it) == SL_OK ? n : -1;
}

static int list_one(void *user, const sl_sweep_info *sw)
{
    lister *l = user;
    int64_t all, fin = count_finished(l->db, sw->id, &all);
    if (fin < 0)
        return -1;
    if (l->json) {
        sl__json_object_begin(l->w);
        sl__json_key(l->w, "sweep");
        sl__json_string(l->w, sw->id);
        sl__json_key(l->w, "name");
        sl__json_string(l->w, sw->name);
        sl__json_key(l->w, "config_path");
        sl__json_string(l->w, sw->config_path);
        sl__json_key(l->w, "n_points");
        sl__json_int(l->w, sw->n_points);
        sl__json_key(l->w, "n_runs");
        sl__json_int(l->w, all);
        sl__json_key(l->w, "n_finished");
        sl__json_int(l->w, fin);
        sl__json_key(l->w, "created_at");
        sl__json_number(l->w, sw->created_at);
        sl__json_object_end(l->w);
    } else {
        if (l->n == 0)
            printf("%-12s  %-16s %7s %9s  %s\n", "SWEEP", "NAME", "POINTS",
                   "FINISHED", "FILE");
        printf("%-12s  %-16.16s %7lld %9lld  %s\n", sw->id,
               sw->name ? sw->name : "-", (long long)sw->n_points,
               (long long)fin, sw->config_path ? sw->config_path : "");
    }
    l->n++;
    return 0;
}

/* ---- one sweep ------------------------------------------------------------ */

typedef struct info_copy {
    char *id, *name, *config_path, *points;
    int64_t n_points;
} info_copy;

static int copy_info(void *user, const sl_sweep_info *sw)
{
    info_copy *c = user;
    c->id = strdup(sw->id);
    c->name = sw->name ? strdup(sw->name) : NULL;
    c->config_path = sw->config_path ? strdup(sw->config_path) : NULL;
    c->points = strdup(sw->points);
    c->n_points = sw->n_points;
    return 0;
}

static void print_num(double v)
{
    if (isnan(v))
        printf(" %12s", "-");
    else
        printf(" %12.6g", v);
}

static void csv_field(const char *s)
{
    if (strpbrk(s, ",\"\n\r")) {
        putchar('"');
        for (; *s; s++) {
            if (*s == '"')
                putchar('"');
            putchar(*s);
        }
        putchar('"');
    } else {
        fputs(s, stdout);
    }
}

static void csv_num(double v)
{
    putchar(',');
    if (!isnan(v))
        printf("%.17g", v);
}

int sl__cmd_sweep_summary(int argc, char **argv)
{
    const char *dbarg = NULL, *id = NULL, *group_by = NULL, *best = NULL;
    int json = 0, csv = 0, lowest = 0, status = 2;
    cond conds[MAX_COUNTS];
    size_t n_conds = 0;
    summary sm = {0};
    info_copy info = {0};
    sl_rundb *db = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int has = i + 1 < argc;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout);
            return 0;
        } else if (strcmp(a, "--db") == 0 && has) {
            dbarg = argv[++i];
        } else if (strcmp(a, "--group-by") == 0 && has) {
            group_by = argv[++i];
        } else if (strcmp(a, "--best") == 0 && has) {
            best = argv[++i];
        } else if (strcmp(a, "--count") == 0 && has) {
            if (n_conds == MAX_COUNTS) {
                fprintf(stderr, "spikelab sweep-summary: at most %d --count\n",
                        MAX_COUNTS);
                return 2;
            }
            conds[n_conds].text = argv[++i];
            if (cond_parse(&conds[n_conds]))
                return 2;
            n_conds++;
        } else if (strcmp(a, "--lowest") == 0) {
            lowest = 1;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--csv") == 0) {
            csv = 1;
        } else if (a[0] == '-' || id) {
            fprintf(stderr, "spikelab sweep-summary: unexpected '%s'\n%s", a,
                    usage);
            return 2;
        } else {
            id = a;
        }
    }
    if (json && csv) {
        fprintf(stderr, "spikelab sweep-summary: --json or --csv, not both\n");
        return 2;
    }
    if (lowest && !best) {
        fprintf(stderr, "spikelab sweep-summary: --lowest needs --best\n");
        return 2;
    }
    if (sl_rundb_open(sl_rundb_default_path(dbarg), SL_RUNDB_READONLY, &db)) {
        fprintf(stderr, "spikelab sweep-summary: %s\n", sl_rundb_errmsg(db));
        sl_rundb_close(db);
        return 1;
    }
    if (!id) {
        sl__json w;
        lister l = {db, json, 0, &w};
        if (json) {
            sl__json_init(&w, stdout, 2);
            sl__json_array_begin(&w);
        }
        int rc = sl_rundb_sweeps(db, NULL, list_one, &l);
        if (json) {
            sl__json_array_end(&w);
            if (sl__json_finish(&w) && rc == 0)
                rc = -1;
        } else if (l.n == 0 && rc == 0) {
            printf("no sweeps in %s\n", sl_rundb_path(db));
        }
        if (rc)
            fprintf(stderr, "spikelab sweep-summary: %s\n",
                    sl_rundb_errmsg(db));
        sl_rundb_close(db);
        return rc ? 1 : 0;
    }
    int rc = sl_rundb_sweeps(db, id, copy_info, &info);
    if (rc || !info.points) {
        fprintf(stderr, "spikelab sweep-summary: %s\n",
                rc ? sl_rundb_errmsg(db) : "out of memory");
        status = rc == SL_ENOTFOUND ? 2 : 1;
        goto out;
    }
    /* the points and their keys */
    for (char *p = info.points; *p;) {
        char *nl = strchr(p, '\n');
        size_t l = nl ? (size_t)(nl - p) : strlen(p);
        char **lines = realloc(sm.lines, (sm.n_points + 1) * sizeof *lines);
        if (!lines)
            goto oom;
        sm.lines = lines;
        if (!(sm.lines[sm.n_points] = strndup(p, l)))
            goto oom;
        sm.n_points++;
        p = nl ? nl + 1 : p + l;
    }
    if (sm.n_points) {
        for (const char *p = sm.lines[0]; p && *p;) {
            const char *eq = strchr(p, '='), *t = strchr(p, '\t');
            if (!eq)
                break;
            char **keys = realloc(sm.keys, (sm.n_keys + 1) * sizeof *keys);
            if (!keys)
                goto oom;
            sm.keys = keys;
            if (!(sm.keys[sm.n_keys] = strndup(p, (size_t)(eq - p))))
                goto oom;
            sm.n_keys++;
            p = t ? t + 1 : NULL;
        }
    }
    if (!(sm.gb = calloc(sm.n_keys + 1, sizeof *sm.gb)))
        goto oom;
    if (group_by) {
        for (const char *p = group_by; *p;) {
            const char *c = strchr(p, ',');
            size_t l = c ? (size_t)(c - p) : strlen(p), k = 0;
            while (k < sm.n_keys &&
                   (strlen(sm.keys[k]) != l || strncmp(sm.keys[k], p, l)))
                k++;
            if (k == sm.n_keys) {
                fprintf(stderr, "spikelab sweep-summary: --group-by: '%.*s' "
                        "is not a key of sweep %s (keys:", (int)l, p, id);
                for (size_t j = 0; j < sm.n_keys; j++)
                    fprintf(stderr, " %s", sm.keys[j]);
                fprintf(stderr, ")\n");
                status = 2;
                goto out;
            }
            if (sm.n_gb < sm.n_keys)
                sm.gb[sm.n_gb++] = k;
            p = c ? c + 1 : p + l;
        }
    } else {
        for (size_t k = 0; k < sm.n_keys; k++) {
            if (strcmp(sm.keys[k], "seed") == 0)
                continue;
            size_t l0, l;
            const char *v0 = value_in(sm.lines[0], sm.keys[k], &l0);
            for (size_t i = 1; i < sm.n_points; i++) {
                const char *v = value_in(sm.lines[i], sm.keys[k], &l);
                if (!v || !v0 || l != l0 || memcmp(v, v0, l)) {
                    sm.gb[sm.n_gb++] = k;
                    break;
                }
            }
        }
    }
    /* groups in point order (a group without a finished run shows as
     * such); beyond a few thousand points, in the order runs are met, as
     * finding a group is a linear search */
    for (size_t i = 0; sm.n_points <= 4096 && i < sm.n_points; i++)
        if (!group_of(&sm, sm.lines[i]))
            goto oom;
    qsort(sm.lines, sm.n_points, sizeof *sm.lines, cmp_str);
    char *taken = calloc(sm.n_points + 1, 1);
    if (!taken)
        goto oom;
    /* the runs, newest first: a point's newest finished run counts */
    char tag[64];
    snprintf(tag, sizeof tag, "sweep:%s", info.id);
    const char *tags[] = {tag};
    sl_run_filter f = {.struct_size = sizeof f, .tags = tags, .n_tags = 1,
                       .status = "finished", .sort = "-id"};
    sl_run_iter *it;
    size_t n_finished = 0;
    if (sl_rundb_runs(db, &f, &it) != SL_OK) {
        free(taken);
        fprintf(stderr, "spikelab sweep-summary: %s\n", sl_rundb_errmsg(db));
        status = 1;
        goto out;
    }
    typedef struct pick { int64_t id; group *g; } pick;
    pick *picks = calloc(sm.n_points + 1, sizeof *picks);
    size_t n_picks = 0;
    for (const sl_run_info *r; picks && (r = sl_run_next(it)) != NULL;) {
        /* the point: the run's first n_keys override lines */
        char line[4096];
        size_t o = 0;
        const char *p = r->overrides ? r->overrides : "";
        for (size_t k = 0; k < sm.n_keys && *p; k++) {
            const char *nl = strchr(p, '\n');
            size_t l = nl ? (size_t)(nl - p) : strlen(p);
            if (o + l + 2 >= sizeof line)
                break;
            if (k)
                line[o++] = '\t';
            memcpy(line + o, p, l);
            o += l;
            p = nl ? nl + 1 : p + l;
        }
        line[o] = 0;
        char *key = line;
        char **hit = bsearch(&key, sm.lines, sm.n_points, sizeof *sm.lines,
                             cmp_str);
        if (!hit || taken[hit - sm.lines])
            continue;
        taken[hit - sm.lines] = 1;
        group *g = group_of(&sm, line);
        if (!g)
            break;
        picks[n_picks++] = (pick){r->id, g};
    }
    free(taken);
    if (sl_run_iter_free(it) != SL_OK || !picks) {
        fprintf(stderr, "spikelab sweep-summary: %s\n",
                picks ? sl_rundb_errmsg(db) : "out of memory");
        free(picks);
        status = 1;
        goto out;
    }
    /* oldest first within a group */
    for (size_t q = n_picks; q-- > 0;) {
        group *g = picks[q].g;
        int64_t *rr = realloc(g->runs, (g->n_runs + 1) * sizeof *rr);
        if (!rr) {
            free(picks);
            goto oom;
        }
        g->runs = rr;
        sm.cur = g;
        if (sl_rundb_results(db, picks[q].id, on_result, &sm) ||
            sl_rundb_final_metrics(db, picks[q].id, on_final, &sm)) {
            fprintf(stderr, "spikelab sweep-summary: %s\n",
                    sl_rundb_errmsg(db));
            free(picks);
            status = 1;
            goto out;
        }
        for (size_t c = 0; c < n_conds; c++)
            g->counts[c] += (size_t)cond_holds(&conds[c], g);
        g->runs[g->n_runs++] = picks[q].id;
        n_finished++;
    }
    free(picks);
    if (sm.failed)
        goto oom;
    /* the best group by mean and run by value */
    group *best_g = NULL;
    double best_mean = NAN, best_v = NAN;
    int64_t best_run = 0;
    if (best) {
        for (size_t k = 0; k < sm.n_groups; k++) {
            group *g = &sm.groups[k];
            for (size_t r = 0; r < g->n_res; r++) {
                if (strcmp(g->res[r].name, best) != 0)
                    continue;
                stats st = stats_of(&g->res[r]);
                if (!isnan(st.mean) &&
                    (isnan(best_mean) ||
                     (lowest ? st.mean < best_mean : st.mean > best_mean))) {
                    best_mean = st.mean;
                    best_g = g;
                }
            }
        }
        /* the best run: read its value back (series are sorted) */
        for (size_t k = 0; k < sm.n_groups; k++) {
            group *g = &sm.groups[k];
            for (size_t q = 0; q < g->n_runs; q++) {
                group tmp = {0};
                sm.cur = &tmp;
                sl_rundb_results(db, g->runs[q], on_result, &sm);
                sl_rundb_final_metrics(db, g->runs[q], on_final, &sm);
                for (size_t r = 0; r < tmp.n_res; r++) {
                    if (strcmp(tmp.res[r].name, best) == 0 && tmp.res[r].n) {
                        double v = tmp.res[r].v[0];
                        if (isnan(best_v) ||
                            (lowest ? v < best_v : v > best_v)) {
                            best_v = v;
                            best_run = g->runs[q];
                        }
                    }
                    free(tmp.res[r].name);
                    free(tmp.res[r].v);
                }
                free(tmp.res);
            }
        }
        if (!best_g) {
            fprintf(stderr, "spikelab sweep-summary: --best: no finished run "
                    "of sweep %s has a result or metric '%s'\n", id, best);
            status = 2;
            goto out;
        }
    }
    /* ---- output ---- */
    if (json) {
        sl__json w;
        sl__json_init(&w, stdout, 3);
        sl__json_object_begin(&w);
        sl__json_key(&w, "sweep");
        sl__json_string(&w, info.id);
        sl__json_key(&w, "name");
        sl__json_string(&w, info.name);
        sl__json_key(&w, "config_path");
        sl__json_string(&w, info.config_path);
        sl__json_key(&w, "n_points");
        sl__json_int(&w, info.n_points);
        sl__json_key(&w, "n_finished");
        sl__json_int(&w, (int64_t)n_finished);
        sl__json_key(&w, "group_by");
        sl__json_array_begin(&w);
        for (size_t j = 0; j < sm.n_gb; j++)
            sl__json_string(&w, sm.keys[sm.gb[j]]);
        sl__json_array_end(&w);
        sl__json_key(&w, "groups");
        sl__json_array_begin(&w);
        for (size_t k = 0; k < sm.n_groups; k++) {
            group *g = &sm.groups[k];
            sl__json_object_begin(&w);
            sl__json_key(&w, "values");
            sl__json_object_begin(&w);
            for (size_t j = 0; j < sm.n_gb; j++) {
                sl__json_key(&w, sm.keys[sm.gb[j]]);
                sl__json_string(&w, g->vals[j]);
            }
            sl__json_object_end(&w);
            sl__json_key(&w, "runs");
            sl__json_array_begin(&w);
            for (size_t q = 0; q < g->n_runs; q++)
                sl__json_int(&w, g->runs[q]);
            sl__json_array_end(&w);
            sl__json_key(&w, "counts");
            sl__json_object_begin(&w);
            for (size_t c = 0; c < n_conds; c++) {
                sl__json_key(&w, conds[c].text);
                sl__json_int(&w, (int64_t)g->counts[c]);
            }
            sl__json_object_end(&w);
            sl__json_key(&w, "results");
            sl__json_object_begin(&w);
            for (size_t r = 0; r < g->n_res; r++) {
                stats st = stats_of(&g->res[r]);
                sl__json_key(&w, g->res[r].name);
                sl__json_object_begin(&w);
                sl__json_key(&w, "n");
                sl__json_int(&w, (int64_t)st.n);
                sl__json_key(&w, "mean");
                sl__json_number(&w, st.mean);
                sl__json_key(&w, "std");
                sl__json_number(&w, st.std);
                sl__json_key(&w, "median");
                sl__json_number(&w, st.median);
                sl__json_key(&w, "min");
                sl__json_number(&w, st.min);
                sl__json_key(&w, "max");
                sl__json_number(&w, st.max);
                sl__json_object_end(&w);
            }
            sl__json_object_end(&w);
            sl__json_object_end(&w);
        }
        sl__json_array_end(&w);
        sl__json_key(&w, "best");
        if (best_g) {
            sl__json_object_begin(&w);
            sl__json_key(&w, "result");
            sl__json_string(&w, best);
            sl__json_key(&w, "lowest");
            sl__json_bool(&w, lowest);
            sl__json_key(&w, "group");
            sl__json_object_begin(&w);
            for (size_t j = 0; j < sm.n_gb; j++) {
                sl__json_key(&w, sm.keys[sm.gb[j]]);
                sl__json_string(&w, best_g->vals[j]);
            }
            sl__json_object_end(&w);
            sl__json_key(&w, "group_mean");
            sl__json_number(&w, best_mean);
            sl__json_key(&w, "run");
            sl__json_int(&w, best_run);
            sl__json_key(&w, "value");
            sl__json_number(&w, best_v);
            sl__json_object_end(&w);
        } else {
            sl__json_null(&w);
        }
        sl__json_object_end(&w);
        status = sl__json_finish(&w) ? 1 : 0;
        goto out;
    }
    if (csv) {
        for (size_t j = 0; j < sm.n_gb; j++) {
            csv_field(sm.keys[sm.gb[j]]);
            putchar(',');
        }
        printf("result,n,mean,std,median,min,max\n");
        for (size_t k = 0; k < sm.n_groups; k++) {
            group *g = &sm.groups[k];
            for (size_t r = 0; r < g->n_res; r++) {
                stats st = stats_of(&g->res[r]);
                for (size_t j = 0; j < sm.n_gb; j++) {
                    csv_field(g->vals[j]);
                    putchar(',');
                }
                csv_field(g->res[r].name);
                printf(",%zu", st.n);
                csv_num(st.mean);
                csv_num(st.std);
                csv_num(st.median);
                csv_num(st.min);
                csv_num(st.max);
                putchar('\n');
            }
            for (size_t c = 0; c < n_conds; c++) {
                for (size_t j = 0; j < sm.n_gb; j++) {
                    csv_field(g->vals[j]);
                    putchar(',');
                }
                fputs("count:", stdout);
                csv_field(conds[c].text);
                printf(",%zu,%zu,,,,\n", g->n_runs, g->counts[c]);
            }
        }
        status = ferror(stdout) ? 1 : 0;
        goto out;
    }
    printf("sweep %s%s%s: %lld points, %zu finished; %s\n", info.id,
           info.name ? " " : "", info.name ? info.name : "",
           (long long)info.n_points, n_finished,
           info.config_path ? info.config_path : "");
    printf("grouped by");
    for (size_t j = 0; j < sm.n_gb; j++)
        printf("%s %s", j ? "," : "", sm.keys[sm.gb[j]]);
    printf("%s; std over the runs of a group (n-1)\n",
           sm.n_gb ? "" : " nothing (all points)");
    for (size_t k = 0; k < sm.n_groups; k++) {
        group *g = &sm.groups[k];
        printf("\n");
        for (size_t j = 0; j < sm.n_gb; j++)
            printf("%s%s=%s", j ? " " : "", sm.keys[sm.gb[j]], g->vals[j]);
        printf("%s(%zu run%s:", sm.n_gb ? "  " : "", g->n_runs,
               g->n_runs == 1 ? "" : "s");
        for (size_t q = 0; q < g->n_runs; q++)
            printf(" %lld", (long long)g->runs[q]);
        printf(")\n  %-28s %3s %12s %12s %12s %12s %12s\n", "result", "n",
               "mean", "+- std", "median", "min", "max");
        for (size_t r = 0; r < g->n_res; r++) {
            stats st = stats_of(&g->res[r]);
            printf("  %-28.28s %3zu", g->res[r].name, st.n);
            print_num(st.mean);
            print_num(st.std);
            print_num(st.median);
            print_num(st.min);
            print_num(st.max);
            putchar('\n');
        }
        for (size_t c = 0; c < n_conds; c++)
            printf("  count %-22s %zu/%zu\n", conds[c].text, g->counts[c],
                   g->n_runs);
    }
    if (best_g) {
        printf("\nbest group by mean %s (%s):", best,
               lowest ? "lowest" : "highest");
        for (size_t j = 0; j < sm.n_gb; j++)
            printf(" %s=%s", sm.keys[sm.gb[j]], best_g->vals[j]);
        printf("  mean %.6g\nbest run: %lld  %s = %.6g\n", best_mean,
               (long long)best_run, best, best_v);
    }
    status = ferror(stdout) ? 1 : 0;
    goto out;
oom:
    fprintf(stderr, "spikelab sweep-summary: out of memory\n");
    status = 1;
out:
    summary_free(&sm);
    free(info.id);
    free(info.name);
    free(info.config_path);
    free(info.points);
    sl_rundb_close(db);
    return status;
}
