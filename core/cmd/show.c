/* core/cmd/show.c — `spikelab show ID`: everything recorded about one
 * run, as text (with a plot of the loss) or JSON (shape: see runs.c). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/listing.h"
#include "cmd/out.h"
#include "cmd/textplot.h"


static const char show_usage[] =
    "Usage: spikelab show ID [--db PATH] [--json | --config]\n"
    "Show everything recorded about run ID (a number, or 'last'): status,\n"
    "times, host, versions, plugins with their file hashes, the numeric\n"
    "environment (BLAS and its kernel, CPU, compiler), tags and note,\n"
    "the parameters (the effective configuration, flattened), metrics with a\n"
    "text plot of the loss, results and stored artifacts.\n"
    "\n"
    "  --json      everything as one JSON object, every metric value included\n"
    "  --config    print only the effective configuration (to re-run it by\n"
    "              hand; `spikelab rerun ID` does it for you)\n"
    "  --db PATH   run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help      this text\n";

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

static int json_env(void *user, const char *key, const char *value)
{
    sl__json_key(user, key);
    sl__json_string(user, value);
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

/* 0, -1 a database error (message on db), -2 the output failed. Also
 * the body of `spikelab ui`'s /api/runs/ID (cmd/listing.h). */
int sl__cli_show_json(FILE *out, sl_rundb *db, const sl_run_info *r,
                      const sl__strv *tags)
{
    sl__json w;
    sl__json_init(&w, out, 3);
    sl__json_object_begin(&w);
    sl__cli_json_run_fields(&w, r, tags);

    sl__json_key(&w, "plugins");
    sl__json_array_begin(&w);
    if (sl_rundb_plugins(db, r->id, json_plugin, &w))
        return -1;
    sl__json_array_end(&w);

    /* what decides the bits besides config and seed; {} for runs
     * recorded before it was kept */
    sl__json_key(&w, "env");
    sl__json_object_begin(&w);
    if (sl_rundb_env(db, r->id, json_env, &w))
        return -1;
    sl__json_object_end(&w);

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

/* The text plot of the loss (the first of sl__cli_loss_names recorded). */
static int show_loss_plot(sl_rundb *db, int64_t id)
{
    for (size_t k = 0; k < SL__CLI_N_LOSS; k++) {
        series s = {0};
        int rc = sl_rundb_metrics(db, id, sl__cli_loss_names[k], series_add, &s);
        if (rc == SL_OK && s.n > 0) {
            putchar('\n');
            if (sl__text_plot(stdout, "", sl__cli_loss_names[k], s.x, s.y, s.n, 60,
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

static int env_row(void *user, const char *key, const char *value)
{
    sl__table_row(user, key, value);
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
    field("tags", sl__cli_tags_cell(tags, tagbuf, sizeof tagbuf));
    field("note", r->note);

    sl__table t = {.ncol = 4, .head = {"NAME", "VERSION", "ABI", "PATH"},
                   .align = {'l', 'l', 'l', 'l'}};
    int rc = sl_rundb_plugins(db, id, plugin_row, &t);
    if (rc == SL_OK && t.nrows) {
        printf("\nplugins\n");
        sl__table_print(&t, stdout, "  ");
    }
    sl__table_free(&t);
    if (rc != SL_OK)
        return -1;

    sl__table et = {.ncol = 2, .head = {"KEY", "VALUE"},
                    .align = {'l', 'l'}};
    rc = sl_rundb_env(db, id, env_row, &et);
    if (rc == SL_OK && et.nrows) {
        printf("\nnumeric environment (decides the bits besides config and "
               "seed)\n");
        sl__table_print(&et, stdout, "  ");
    }
    sl__table_free(&et);
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
    sl__ropts o;
    int p = sl__cli_rparse(argc, argv, show_usage, 1, &o);
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
        int ret = o.json ? sl__cli_show_json(stdout, db, r, &tags) : show_text(db, r, &tags);
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
