/* core/cmd/runs.c — `spikelab runs` (list and filter the recorded runs)
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
#include "spikelab/rundb.h"
#include "cmd/cmd.h"
#include "cmd/out.h"
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

/* Name of the metric shown as LOSS in `runs`: the first of these the run
 * recorded. */
static const char *const loss_names[] = {"loss", "train_loss", "train.loss"};
#define N_LOSS (sizeof loss_names / sizeof *loss_names)

/* The filter of the options (strings borrowed from them). */
static sl_run_filter filter_of(const opts *o)
{
    sl_run_filter f = {
        .struct_size = sizeof f,
        .status = o->status,
        .name = o->name,
        .since = o->since,
        .tags = o->tag,
        .n_tags = (size_t)o->n_tag,
        .where = o->where,
        .n_where = (size_t)o->n_where,
        .sort = o->sort,
        .limit = o->limit > 0 ? o->limit : 0,
    };
    return f;
}

static int json_final(void *user, const char *name, int64_t step, double v)
{
    (void)step;
    sl__json_key(user, name);
    sl__json_number(user, v);
    return 0;
}

/* The final value of the first of loss_names the run recorded. */
typedef struct loss_pick {
    double v[N_LOSS];
    int have[N_LOSS];
} loss_pick;

static int pick_loss(void *user, const char *name, int64_t step, double v)
{
    loss_pick *p = user;
    (void)step;
    for (size_t k = 0; k < N_LOSS; k++)
        if (strcmp(name, loss_names[k]) == 0) {
            p->v[k] = v;
            p->have[k] = 1;
        }
    return 0;
}

/* A value column as text: number, text, or "-". */
static void value_cell(sl_run_iter *it, size_t i, char *buf, size_t len)
{
    double num;
    const char *text;
    switch (sl_run_iter_value(it, i, &num, &text)) {
    case SL_RUN_VALUE_NUMBER:
        sl__cli_fmt_num(num, buf, len);
        break;
    case SL_RUN_VALUE_TEXT:
        snprintf(buf, len, "%s", text);
        break;
    default:
        snprintf(buf, len, "-");
    }
}

/* "a, b" of the tags into buf, cut where it is full. */
static const char *tags_cell(const sl__strv *tags, char *buf, size_t len)
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

/* List the runs; returns the exit status. */
static int runs_query(sl_rundb *db, const opts *o)
{
    sl_run_filter f = filter_of(o);
    sl_run_iter *it = NULL;
    sl__strv tags = {0}, heads = {0};
    sl__table t = {.ncol = 8,
                   .head = {"ID", "STATUS", "NAME", "STARTED", "DURATION",
                            "SEED", "LOSS"},
                   .align = {'r', 'l', 'l', 'l', 'r', 'r', 'r'},
                   .maxw = {0, 0, 32, 0, 0, 0, 0}};
    sl__json w;
    sl__json_init(&w, stdout, 2);
    int rc = sl_rundb_runs(db, &f, &it), status = 0, oom = 0;
    if (rc == SL_EINVAL)
        return sl__cli_usage_error("runs", "%s", sl_rundb_errmsg(db));
    if (rc)
        goto done;
    size_t n_extra = sl_run_iter_n_keys(it);
    if (n_extra > MAX_EXTRA)
        n_extra = MAX_EXTRA;
    /* the heads outlive the listing */
    for (size_t i = 0; i < n_extra && !oom; i++)
        oom = sl__strv_add(&heads, sl_run_iter_key(it, i)) != 0;
    for (size_t i = 0; i < n_extra && !oom; i++) {
        t.head[7 + i] = heads.v[i];
        t.align[7 + i] = 'r';
        t.maxw[7 + i] = 24;
    }
    t.ncol = 8 + (int)n_extra;
    t.head[t.ncol - 1] = "TAGS";
    t.align[t.ncol - 1] = 'l';
    t.maxw[t.ncol - 1] = 40;

    if (oom)
        goto done;
    if (o->json)
        sl__json_array_begin(&w);
    int any_died = 0;
    const sl_run_info *r;
    /* --limit 0 lists nothing (the filter still had to be valid) */
    while (o->limit != 0 && (r = sl_run_next(it)) != NULL) {
        sl__strv_free(&tags);
        if ((rc = sl__cli_tags(db, r->id, &tags)))
            goto done;
        if (o->json) {
            sl__json_object_begin(&w);
            sl__cli_json_run_fields(&w, r, &tags);
            sl__json_key(&w, "final_metrics");
            sl__json_object_begin(&w);
            rc = sl_rundb_final_metrics(db, r->id, json_final, &w);
            sl__json_object_end(&w);
            if (rc || (rc = sl__cli_json_results(&w, db, r->id, 0)))
                goto done;
            if (n_extra) {
                sl__json_key(&w, "values");
                sl__json_object_begin(&w);
                for (size_t i = 0; i < n_extra; i++) {
                    double num;
                    const char *text;
                    int ty = sl_run_iter_value(it, i, &num, &text);
                    sl__json_key(&w, sl_run_iter_key(it, i));
                    if (ty == SL_RUN_VALUE_TEXT)
                        sl__json_string(&w, text);
                    else if (ty == SL_RUN_VALUE_NUMBER)
                        sl__json_number(&w, num);
                    else
                        sl__json_null(&w);
                }
                sl__json_object_end(&w);
            }
            sl__json_object_end(&w);
            continue;
        }
        char idb[24], started[32], dur[32], seed[24], loss[32] = "-";
        char vals[MAX_EXTRA][64], tagbuf[256];
        const char *cells[SL__TABLE_MAXCOL];
        const char *st = r->status;
        snprintf(idb, sizeof idb, "%lld", (long long)r->id);
        snprintf(seed, sizeof seed, "%lld", (long long)r->seed);
        sl__cli_fmt_time(r->started_at, started, sizeof started);
        sl__cli_fmt_duration(sl__cli_run_duration(r), dur, sizeof dur);
        if (r->process_alive == 0) { /* read-only file: not reaped */
            st = "died";
            any_died = 1;
        }
        loss_pick lp = {{0}, {0}};
        if ((rc = sl_rundb_final_metrics(db, r->id, pick_loss, &lp)))
            goto done;
        for (size_t k = 0; k < N_LOSS; k++)
            if (lp.have[k]) {
                sl__cli_fmt_num(lp.v[k], loss, sizeof loss);
                break;
            }
        cells[0] = idb;
        cells[1] = st;
        cells[2] = r->name;
        cells[3] = started;
        cells[4] = dur;
        cells[5] = seed;
        cells[6] = loss;
        for (size_t i = 0; i < n_extra; i++) {
            value_cell(it, i, vals[i], sizeof vals[i]);
            cells[7 + i] = vals[i];
        }
        cells[t.ncol - 1] = tags_cell(&tags, tagbuf, sizeof tagbuf);
        sl__table_rowv(&t, cells);
    }
    rc = sl_run_iter_free(it);
    it = NULL;
    if (rc)
        goto done;
    if (o->json) {
        sl__json_array_end(&w);
        if (sl__json_finish(&w) != 0) {
            fprintf(stderr, "spikelab runs: %s: cannot write the output\n",
                    sl_rundb_path(db));
            status = 1;
        }
    } else if (t.oom) {
        oom = 1;
    } else if (t.nrows == 0) {
        if (o->status || o->name || o->since || o->n_where || o->n_tag)
            printf("no run matches in %s\n", sl_rundb_path(db));
        else
            printf("no runs recorded in %s\n", sl_rundb_path(db));
    } else {
        sl__table_print(&t, stdout, "");
        if (any_died)
            printf("(died: recorded as running, but its process is gone)\n");
    }
done:
    if (rc || oom) {
        if (oom || rc == SL_ENOMEM)
            fprintf(stderr, "spikelab runs: %s: out of memory\n",
                    sl_rundb_path(db));
        else
            fprintf(stderr, "spikelab runs: %s\n", sl_rundb_errmsg(db));
        status = 1;
    }
    sl_run_iter_free(it);
    sl__strv_free(&tags);
    sl__strv_free(&heads);
    sl__table_free(&t);
    return status;
}

int sl__cmd_runs(int argc, char **argv)
{
    opts o;
    int p = parse(argc, argv, 0, &o);
    if (p)
        return p == 1 ? sl__cli_finish("runs", 0) : 2;
    /* check the --where filters before touching the file */
    sl_run_filter wf = {.struct_size = sizeof wf, .where = o.where,
                        .n_where = (size_t)o.n_where};
    char msg[1024];
    if (sl_run_filter_check(&wf, msg, sizeof msg) != SL_OK)
        return sl__cli_usage_error("runs", "%s", msg);
    sl_rundb *db;
    if (sl__cli_open("runs", o.db, &db))
        return 1;
    /* one read transaction: a consistent snapshot while runs write */
    int status = sl_rundb_read_begin(db) == SL_OK ? 0 : 1;
    if (status)
        fprintf(stderr, "spikelab runs: %s\n", sl_rundb_errmsg(db));
    else
        status = runs_query(db, &o);
    sl_rundb_close(db);
    return sl__cli_finish("runs", status);
}

/* ---- spikelab show ------------------------------------------------------ */

static int json_plugin(void *user, const char *name, const char *version,
                       const char *abi, const char *path, const char *sha256)
{
    const char *v[] = {name, version, abi, path, sha256};
    static const char *const k[] = {"name", "version", "abi", "path",
                                    "sha256"};
    sl__json_object_begin(user);
    for (int i = 0; i < 5; i++) {
        sl__json_key(user, k[i]);
        sl__json_string(user, v[i]);
    }
    sl__json_object_end(user);
    return 0;
}

static int json_artifact(void *user, const sl_artifact_info *a)
{
    sl__json *w = user;
    sl__json_object_begin(w);
    sl__json_key(w, "name");
    sl__json_string(w, a->name);
    sl__json_key(w, "kind");
    sl__json_string(w, a->kind);
    sl__json_key(w, "mime");
    sl__json_string(w, a->mime);
    sl__json_key(w, "size");
    if (a->size < 0)
        sl__json_null(w);
    else
        sl__json_int(w, a->size);
    sl__json_key(w, "path");
    sl__json_string(w, a->path);
    sl__json_key(w, "created_at");
    sl__json_number(w, a->created_at);
    sl__json_object_end(w);
    return 0;
}

/* 0, -1 a database error (message on db), -2 the output failed. */
static int show_json(sl_rundb *db, const sl_run_info *r,
                     const sl__strv *tags)
{
    sl__json w;
    sl__json_init(&w, stdout, 3);
    sl__json_object_begin(&w);
    sl__cli_json_run_fields(&w, r, tags);

    sl__json_key(&w, "plugins");
    sl__json_array_begin(&w);
    if (sl_rundb_plugins(db, r->id, json_plugin, &w))
        return -1;
    sl__json_array_end(&w);

    sl__json_key(&w, "config");
    sl__json_string(&w, r->config_effective);
    sl__json_key(&w, "config_original");
    sl__json_string(&w, r->config_text);
    if (sl__cli_json_params(&w, db, r->id) ||
        sl__cli_json_metrics(&w, db, r->id) ||
        sl__cli_json_results(&w, db, r->id, 1))
        return -1;
    sl__json_key(&w, "artifacts");
    sl__json_array_begin(&w);
    if (sl_rundb_artifacts(db, r->id, json_artifact, &w))
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
 * metric rows. */
typedef struct metric_stats {
    sl__table t;
    char *cur, first[64], last[64];
    long long count;
    double mn, mx;
    int total;
} metric_stats;

static void stats_row(metric_stats *m)
{
    char c[24], a[32], b[32];
    snprintf(c, sizeof c, "%lld", m->count);
    sl__cli_fmt_num(m->mn, a, sizeof a);
    sl__cli_fmt_num(m->mx, b, sizeof b);
    sl__table_row(&m->t, m->cur, c, m->first, m->last, m->count ? a : "-",
                  m->count ? b : "-");
    free(m->cur);
    m->cur = NULL;
}

static int stats_metric(void *user, const char *name, int64_t step, double x,
                        double wall)
{
    metric_stats *m = user;
    (void)wall;
    if (!name)
        name = "";
    if (m->cur && strcmp(m->cur, name) != 0)
        stats_row(m);
    char v[32];
    sl__cli_fmt_num(x, v, sizeof v);
    if (!m->cur) {
        if (!(m->cur = strdup(name)))
            return SL_ENOMEM;
        m->count = 0;
        m->mn = INFINITY;
        m->mx = -INFINITY;
        snprintf(m->first, sizeof m->first, "%s (%lld)", v, (long long)step);
    }
    snprintf(m->last, sizeof m->last, "%s (%lld)", v, (long long)step);
    m->count++;
    m->total++;
    if (x < m->mn)
        m->mn = x;
    if (x > m->mx)
        m->mx = x;
    return 0;
}

static int show_text_metrics(sl_rundb *db, int64_t id)
{
    metric_stats m = {
        .t = {.ncol = 6,
              .head = {"NAME", "COUNT", "FIRST (step)", "LAST (step)", "MIN",
                       "MAX"},
              .align = {'l', 'r', 'r', 'r', 'r', 'r'},
              .maxw = {40, 0, 0, 0, 0, 0}},
    };
    int rc = sl_rundb_metrics(db, id, NULL, stats_metric, &m);
    if (rc == SL_OK && m.cur)
        stats_row(&m);
    free(m.cur);
    if (rc == SL_OK && !m.t.oom && m.t.nrows) {
        printf("\nmetrics (%d values; --json gives all of them)\n", m.total);
        sl__table_print(&m.t, stdout, "  ");
    }
    int bad = rc != SL_OK || m.t.oom;
    sl__table_free(&m.t);
    return bad ? -1 : 0;
}

/* The values of one metric, for the plot. */
typedef struct series {
    int64_t *x;
    double *y;
    size_t n, cap;
} series;

static int series_add(void *user, const char *name, int64_t step, double v,
                      double wall)
{
    series *s = user;
    (void)name, (void)wall;
    if (s->n == s->cap) {
        size_t cap = s->cap ? 2 * s->cap : 256;
        int64_t *nx = realloc(s->x, cap * sizeof *nx);
        if (nx)
            s->x = nx;
        double *ny = realloc(s->y, cap * sizeof *ny);
        if (ny)
            s->y = ny;
        if (!nx || !ny)
            return SL_ENOMEM;
        s->cap = cap;
    }
    s->x[s->n] = step;
    s->y[s->n++] = v;
    return 0;
}

/* The text plot of the loss (the first of loss_names recorded). */
static int show_loss_plot(sl_rundb *db, int64_t id)
{
    for (size_t k = 0; k < N_LOSS; k++) {
        series s = {0};
        int rc = sl_rundb_metrics(db, id, loss_names[k], series_add, &s);
        if (rc == SL_OK && s.n > 0) {
            putchar('\n');
            if (sl__text_plot(stdout, "", loss_names[k], s.x, s.y, s.n, 60,
                              8) != 0)
                rc = SL_ENOMEM;
        }
        free(s.x);
        free(s.y);
        if (rc != SL_OK)
            return -1;
        if (s.n > 0)
            break;
    }
    return 0;
}

static int param_row(void *user, const char *key, const char *alias,
                     const char *type, const char *text, double num)
{
    (void)alias, (void)type, (void)num;
    sl__table_row(user, key, text);
    return 0;
}

/* The flattened parameters, KEY = VALUE, in file order. */
static int show_text_params(sl_rundb *db, int64_t id)
{
    sl__table t = {.ncol = 2, .head = {"KEY", "VALUE"},
                   .align = {'l', 'l'}, .maxw = {60, 60}};
    int rc = sl_rundb_params(db, id, param_row, &t);
    if (rc == SL_OK && !t.oom && t.nrows) {
        printf("\nparameters (%zu; `show --config` prints the config)\n",
               t.nrows);
        sl__table_print(&t, stdout, "  ");
    }
    int bad = rc != SL_OK || t.oom;
    sl__table_free(&t);
    return bad ? -1 : 0;
}

static int plugin_row(void *user, const char *name, const char *version,
                      const char *abi, const char *path, const char *sha256)
{
    (void)sha256;
    sl__table_row(user, name, version, abi, path ? path : "(built in)");
    return 0;
}

static int result_row(void *user, const char *name, double v,
                      const char *text)
{
    char a[64];
    sl__cli_fmt_num(v, a, sizeof a);
    sl__table_row(user, name, a, text ? text : "");
    return 0;
}

static int artifact_row(void *user, const sl_artifact_info *a)
{
    char size[32];
    if (a->size < 0)
        snprintf(size, sizeof size, "-");
    else
        snprintf(size, sizeof size, "%lld", (long long)a->size);
    sl__table_row(user, a->name, a->kind, size,
                  a->path ? a->path : "(in the database)");
    return 0;
}

static int show_text(sl_rundb *db, const sl_run_info *r,
                     const sl__strv *tags)
{
    char a[64], b[64], line[512];
    int64_t id = r->id;
    printf("run %lld: ", (long long)id);
    sl__cli_put_clean(stdout, r->name);
    putchar('\n');
    if (r->process_alive == 0) {
        field("status", "died (recorded as running, but its process is gone: "
                        "killed or crashed)");
    } else if (r->status && strcmp(r->status, "running") == 0 &&
               !isnan(r->heartbeat_at)) {
        sl__cli_fmt_duration(sl__cli_now() - r->heartbeat_at, a, sizeof a);
        snprintf(line, sizeof line, "running (last heartbeat %s ago)", a);
        field("status", line);
    } else {
        field("status", r->status);
    }
    field("error", r->error);
    sl__cli_fmt_time(r->started_at, a, sizeof a);
    field("started", a);
    sl__cli_fmt_time(r->ended_at, a, sizeof a);
    sl__cli_fmt_duration(sl__cli_run_duration(r), b, sizeof b);
    snprintf(line, sizeof line, "%s (duration %s)",
             isnan(r->ended_at) ? "-" : a, b);
    field("ended", line);
    snprintf(a, sizeof a, "%lld", (long long)r->seed);
    field("seed", a);
    snprintf(line, sizeof line, "%s (pid %lld)", r->host ? r->host : "?",
             (long long)r->pid);
    field("host", line);
    field("spikelab", r->core_version);
    field("config", r->config_path);
    field("sha256", r->config_hash);
    field("overrides", r->overrides);
    if (r->parent_id != 0) {
        snprintf(line, sizeof line, "run %lld%s", (long long)r->parent_id,
                 r->reproduced < 0 ? ""
                 : r->reproduced
                     ? " (bit-identical metrics, results and parameters)"
                     : " (outputs differ)");
        field("reproduces", line);
    }
    char tagbuf[512];
    field("tags", tags_cell(tags, tagbuf, sizeof tagbuf));
    field("note", r->note);

    sl__table t = {.ncol = 4, .head = {"NAME", "VERSION", "ABI", "PATH"},
                   .align = {'l', 'l', 'l', 'l'}};
    int rc = sl_rundb_plugins(db, id, plugin_row, &t);
    if (rc == SL_OK && t.nrows) {
        printf("\nplugins\n");
        sl__table_print(&t, stdout, "  ");
    }
    sl__table_free(&t);
    if (rc != SL_OK || show_text_params(db, id) != 0 ||
        show_text_metrics(db, id) != 0 || show_loss_plot(db, id) != 0)
        return -1;

    sl__table rt = {.ncol = 3, .head = {"NAME", "VALUE", "TEXT"},
                    .align = {'l', 'r', 'l'}, .maxw = {40, 0, 60}};
    rc = sl_rundb_results(db, id, result_row, &rt);
    if (rc == SL_OK && rt.nrows) {
        printf("\nresults\n");
        sl__table_print(&rt, stdout, "  ");
    }
    sl__table_free(&rt);
    if (rc != SL_OK)
        return -1;

    sl__table at = {.ncol = 4, .head = {"NAME", "KIND", "SIZE", "WHERE"},
                    .align = {'l', 'l', 'r', 'l'}};
    rc = sl_rundb_artifacts(db, id, artifact_row, &at);
    if (rc == SL_OK && at.nrows) {
        printf("\nartifacts (`spikelab export %lld --artifacts DIR` writes "
               "them out)\n", (long long)id);
        sl__table_print(&at, stdout, "  ");
    }
    sl__table_free(&at);
    return rc == SL_OK ? 0 : -1;
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
    sl_rundb *db;
    if (sl__cli_open("show", o.db, &db))
        return 1;
    int status = 1;
    const sl_run_info *r = NULL;
    sl__strv tags = {0};
    int began = sl_rundb_read_begin(db) == SL_OK;
    if (!began) {
        fprintf(stderr, "spikelab show: %s\n", sl_rundb_errmsg(db));
    } else if (sl__cli_find_run("show", db, &id) == 0) {
        /* sl__cli_find_run read it: this is the copy the handle keeps */
        if (sl_rundb_run(db, id, &r) != SL_OK ||
            sl__cli_tags(db, id, &tags) != SL_OK)
            fprintf(stderr, "spikelab show: %s\n", sl_rundb_errmsg(db));
        else
            status = 0;
    }
    if (status == 0 && o.config) {
        const char *cfg = r->config_effective;
        if (!cfg)
            cfg = r->config_text;
        if (!cfg) {
            fprintf(stderr, "spikelab show: run %lld has no stored config\n",
                    (long long)id);
            status = 1;
        } else {
            fputs(cfg, stdout);
            if (*cfg && cfg[strlen(cfg) - 1] != '\n')
                putchar('\n');
        }
    } else if (status == 0) {
        int ret = o.json ? show_json(db, r, &tags) : show_text(db, r, &tags);
        if (ret == -1) {
            fprintf(stderr, "spikelab show: %s\n", sl_rundb_errmsg(db));
            status = 1;
        } else if (ret == -2) {
            fprintf(stderr, "spikelab show: cannot write the output\n");
            status = 1;
        }
    }
    if (began)
        sl_rundb_read_end(db);
    sl__strv_free(&tags);
    sl_rundb_close(db);
    return sl__cli_finish("show", status);
}
