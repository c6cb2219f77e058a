/* core/cmd/ui.c — `spikelab ui`: a local web interface over the run
 * database (libmicrohttpd).
 *
 * Pages: the runs table (the filters and sorting of `spikelab runs`,
 * live status), a run's page (progress while it runs, metric curves,
 * figures of its traces and evaluations from plot.c, results, tags, note,
 * parameters, configuration, artifacts to download) and a comparison
 * (curves overlaid, the configuration keys that differ). /api/ answers
 * with the JSON of `runs --json`, `show --json` and `compare --json`
 * (cmd/listing.h), so scripts and pages see the same data.
 *
 * Safety, and why:
 *  - binds 127.0.0.1 unless told otherwise, and answers only requests
 *    whose Host names the address it serves (a page elsewhere cannot
 *    reach it by DNS rebinding);
 *  - reads through read-only handles in one snapshot per request (WAL:
 *    a reader never blocks a recording run, nor waits for one); writes
 *    (tags, note) only with --write, only by POST with the header
 *    X-Spikelab (a cross-site form cannot set it), one short transaction;
 *  - every recorded string is escaped where it lands (HTML text and
 *    attributes, JSON inside <script type=application/json> with <, >
 *    and & as \u escapes); the pages' script is a file of ours and the
 *    Content-Security-Policy allows no other, so even a missed escape
 *    could not run a script;
 *  - bounded: 64 KiB per connection (URL and headers), 16 KiB of POST
 *    body, 64 connections, 30 s idle timeout;
 *  - SIGINT/SIGTERM stop it cleanly (threads joined, handles closed).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/form.h"
#include "cmd/json.h"
#include "cmd/listing.h"
#include "cmd/out.h"
#include "cmd/plot.h"
#include "cmd/ui_assets.h"
#include "util/file.h"
#include "util/util.h"

#define MAX_BODY (16 * 1024)
#define MAX_ARGS 64
#define MAX_CURVE_POINTS 2000
#define MAX_CMP 15

typedef struct ui {
    const char *db_path;
    int write;
    char host_ok[4][96]; /* Host values accepted; "" unused */
    int any_host;        /* bound to a wildcard address: any Host */
    const char *dygraphs_dir;
} ui;

/* ---- small helpers ------------------------------------------------------ */

typedef struct page {
    FILE *f;
    char *buf;
    size_t len;
} page;

static int page_open(page *p)
{
    p->buf = NULL;
    p->len = 0;
    p->f = open_memstream(&p->buf, &p->len);
    return p->f ? 0 : -1;
}

/* Text into HTML (element content or a quoted attribute). */
static void esc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default:
            if ((unsigned char)*s < 0x20 && *s != '\n' && *s != '\t')
                fputc('?', f);
            else
                fputc(*s, f);
        }
    }
}

/* A value inside a URL's query (percent-encoded). */
static void urlenc(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
            (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' ||
            c == '~')
            fputc(c, f);
        else
            fprintf(f, "%%%02X", c);
    }
}

/* JSON text (from the writer) into a <script type=application/json>:
 * '<', '>' and '&' only occur inside strings there, where \u escapes
 * mean the same; so "</script>" in a note cannot end the element. */
static void put_json_block(FILE *f, const char *id, const char *json,
                           size_t len)
{
    fprintf(f, "<script type=\"application/json\" id=\"%s\">", id);
    for (size_t i = 0; i < len; i++) {
        char c = json[i];
        if (c == '<')
            fputs("\\u003c", f);
        else if (c == '>')
            fputs("\\u003e", f);
        else if (c == '&')
            fputs("\\u0026", f);
        else
            fputc(c, f);
    }
    fputs("</script>\n", f);
}

typedef struct arg {
    const char *k, *v;
} arg;

typedef struct args {
    arg a[MAX_ARGS];
    int n;
} args;

static enum MHD_Result collect_arg(void *cls, enum MHD_ValueKind kind,
                                   const char *k, const char *v)
{
    args *a = cls;
    (void)kind;
    if (a->n < MAX_ARGS && k) {
        a->a[a->n].k = k;
        a->a[a->n].v = v ? v : "";
        a->n++;
    }
    return MHD_YES;
}

static const char *arg_get(const args *a, const char *k)
{
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->a[i].k, k) == 0)
            return a->a[i].v;
    return NULL;
}

/* A run id from text: > 0, or 0 when not one. */
static int64_t parse_id(const char *s)
{
    return sl__form_id(s);
}

/* "1,2,3" or repeated ids= / id= into ids[max]; returns the count, -1
 * when malformed. */
static int parse_ids(const args *a, int64_t *ids, int max)
{
    int n = 0;
    for (int i = 0; i < a->n; i++)
        if ((strcmp(a->a[i].k, "ids") == 0 || strcmp(a->a[i].k, "id") == 0) &&
            sl__form_ids(a->a[i].v, ids, &n, max) != 0)
            return -1;
    return n;
}

/* ---- responses ------------------------------------------------------------ */

static enum MHD_Result respond(struct MHD_Connection *c, unsigned code,
                               const char *mime, char *buf, size_t len,
                               const char *disposition)
{
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, buf, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        free(buf);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", mime);
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "X-Frame-Options", "DENY");
    MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    MHD_add_response_header(r, "Content-Security-Policy",
                            "default-src 'self'; script-src 'self'; "
                            "style-src 'self' 'unsafe-inline'; "
                            "img-src 'self' data:; object-src 'none'; "
                            "base-uri 'none'; form-action 'self'; "
                            "frame-ancestors 'none'");
    if (disposition)
        MHD_add_response_header(r, "Content-Disposition", disposition);
    enum MHD_Result ret = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result respond_page(struct MHD_Connection *c, unsigned code,
                                    page *p, const char *mime)
{
    if (fclose(p->f) != 0 || !p->buf) {
        free(p->buf);
        return MHD_NO;
    }
    return respond(c, code, mime, p->buf, p->len, NULL);
}

static void head(FILE *f, const ui *u, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
          "<meta name=\"viewport\" content=\"width=device-width\">"
          "<title>", f);
    esc(f, title);
    fputs(" — spikelab</title>"
          "<link rel=\"stylesheet\" href=\"/static/ui.css\">"
          "<link rel=\"stylesheet\" href=\"/static/dygraph.css\">"
          "<script src=\"/static/dygraph.js\"></script>"
          "<script src=\"/static/ui.js\"></script>"
          "</head><body>\n<header><a class=\"home\" href=\"/\">spikelab</a>"
          " <span class=\"db\">", f);
    esc(f, u->db_path);
    fprintf(f, "</span>%s</header>\n<main>\n",
            u->write ? " <span class=\"mode\">--write</span>" : "");
}

static void foot(FILE *f)
{
    fputs("</main></body></html>\n", f);
}

static enum MHD_Result error_page(struct MHD_Connection *c, const ui *u,
                                  unsigned code, const char *msg,
                                  int as_json)
{
    page p;
    if (page_open(&p))
        return MHD_NO;
    if (as_json) {
        sl__json w;
        sl__json_init(&w, p.f, 0);
        sl__json_object_begin(&w);
        sl__json_key(&w, "error");
        sl__json_string(&w, msg);
        sl__json_object_end(&w);
        sl__json_finish(&w);
        return respond_page(c, code, &p, "application/json");
    }
    head(p.f, u, "error");
    fputs("<h1>error</h1><p class=\"error\">", p.f);
    esc(p.f, msg);
    fputs("</p>", p.f);
    foot(p.f);
    return respond_page(c, code, &p, "text/html; charset=utf-8");
}

/* Open the database for one request: read-only in one snapshot (WAL
 * readers never block the recording runs), or read-write for a curation
 * write. 0, or an HTTP status with msg. */
static unsigned open_db(const ui *u, int write, sl_rundb **db, char *msg,
                        size_t len)
{
    int rc = sl_rundb_open(u->db_path, write ? 0 : SL_RUNDB_READONLY, db);
    if (rc == SL_OK && !write)
        rc = sl_rundb_read_begin(*db);
    if (rc == SL_OK)
        return 0;
    snprintf(msg, len, "%s", sl_rundb_errmsg(*db));
    sl_rundb_close(*db);
    *db = NULL;
    return 503;
}

/* ---- metric curves (dygraphs data) ---------------------------------------- */

typedef struct series {
    char *name;
    double *x, *y;
    size_t n, cap;
} series;

typedef struct series_set {
    series *s;
    size_t n, cap;
    int oom;
} series_set;

static int series_row(void *user, const char *name, int64_t step,
                      double value, double wall)
{
    series_set *ss = user;
    (void)wall;
    if (ss->n == 0 || strcmp(ss->s[ss->n - 1].name, name) != 0) {
        if (ss->n == ss->cap) {
            size_t cap = ss->cap ? ss->cap * 2 : 8;
            series *s = realloc(ss->s, cap * sizeof *s);
            if (!s)
                return ss->oom = SL_ENOMEM;
            ss->s = s;
            ss->cap = cap;
        }
        series *s = &ss->s[ss->n];
        memset(s, 0, sizeof *s);
        if (!(s->name = strdup(name)))
            return ss->oom = SL_ENOMEM;
        ss->n++;
    }
    series *s = &ss->s[ss->n - 1];
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 256;
        double *x = realloc(s->x, cap * sizeof *x);
        if (!x)
            return ss->oom = SL_ENOMEM;
        s->x = x;
        double *y = realloc(s->y, cap * sizeof *y);
        if (!y)
            return ss->oom = SL_ENOMEM;
        s->y = y;
        s->cap = cap;
    }
    s->x[s->n] = (double)step;
    s->y[s->n] = value;
    s->n++;
    return 0;
}

static void series_free(series_set *ss)
{
    for (size_t i = 0; i < ss->n; i++) {
        free(ss->s[i].name);
        free(ss->s[i].x);
        free(ss->s[i].y);
    }
    free(ss->s);
    memset(ss, 0, sizeof *ss);
}

/* Keep at most max points: the first, the last, and per bucket the min
 * and the max in their order (the curve's envelope survives; a browser
 * need not draw 500000 epochs). In place. */
static void decimate(series *s, size_t max)
{
    if (s->n <= max || max < 4)
        return;
    size_t buckets = max / 2, per = (s->n + buckets - 1) / buckets, m = 0;
    for (size_t b = 0; b < s->n; b += per) {
        size_t e = b + per < s->n ? b + per : s->n, lo = b, hi = b;
        for (size_t i = b; i < e; i++) {
            if (!(s->y[i] >= s->y[lo]))
                lo = isnan(s->y[i]) ? lo : i;
            if (!(s->y[i] <= s->y[hi]))
                hi = isnan(s->y[i]) ? hi : i;
        }
        size_t a = lo < hi ? lo : hi, z = lo < hi ? hi : lo;
        double ax = s->x[a], ay = s->y[a], zx = s->x[z], zy = s->y[z];
        s->x[m] = ax;
        s->y[m++] = ay;
        if (z != a) {
            s->x[m] = zx;
            s->y[m++] = zy;
        }
    }
    s->n = m;
}

/* {"NAME": [[step, value], ...], ...} of one run, decimated. */
static int json_curves(sl__json *w, sl_rundb *db, int64_t run)
{
    series_set ss = {0};
    int rc = sl_rundb_metrics(db, run, NULL, series_row, &ss);
    if (!rc && ss.oom)
        rc = SL_ENOMEM;
    sl__json_object_begin(w);
    for (size_t i = 0; !rc && i < ss.n; i++) {
        size_t total = ss.s[i].n;
        decimate(&ss.s[i], MAX_CURVE_POINTS);
        sl__json_key(w, ss.s[i].name);
        sl__json_object_begin(w);
        sl__json_key(w, "total");
        sl__json_int(w, (int64_t)total);
        sl__json_key(w, "points");
        sl__json_array_begin(w);
        for (size_t k = 0; k < ss.s[i].n; k++) {
            sl__json_array_begin(w);
            sl__json_number(w, ss.s[i].x[k]);
            sl__json_number(w, ss.s[i].y[k]);
            sl__json_array_end(w);
        }
        sl__json_array_end(w);
        sl__json_object_end(w);
    }
    sl__json_object_end(w);
    series_free(&ss);
    return rc;
}

/* ---- progress: the terminal line of `spikelab run`, from the record ----- */

typedef struct prog {
    int64_t step;
    double loss;
    int have_loss;
    double epochs;
} prog;

static int prog_final(void *user, const char *name, int64_t step, double v)
{
    prog *p = user;
    if (step > p->step)
        p->step = step;
    if (strcmp(name, "loss") == 0) {
        p->loss = v;
        p->have_loss = 1;
    }
    return 0;
}

static int prog_param(void *user, const char *key, const char *alias,
                      const char *type, const char *text, double num)
{
    (void)alias;
    (void)type;
    (void)text;
    if (strcmp(key, "train.epochs") == 0)
        ((prog *)user)->epochs = num;
    return 0;
}

static int json_progress(sl__json *w, sl_rundb *db, const sl_run_info *r)
{
    prog p = {0, NAN, 0, NAN};
    int rc = sl_rundb_final_metrics(db, r->id, prog_final, &p);
    if (!rc)
        rc = sl_rundb_params(db, r->id, prog_param, &p);
    if (rc)
        return rc;
    double end = r->status && strcmp(r->status, "running") == 0
                     ? sl__cli_now()
                     : r->ended_at;
    double el = end - r->started_at;
    double rate = el > 0 && p.step > 0 ? (double)p.step / el : NAN;
    double eta = isfinite(p.epochs) && rate > 0
                     ? (p.epochs - (double)p.step) / rate
                     : NAN;
    char b1[32], b2[32], speed[48], line[256];
    sl__cli_fmt_duration(el, b1, sizeof b1);
    sl__cli_fmt_duration(eta, b2, sizeof b2);
    sl__fmt_speed(isfinite(rate) ? rate : 0.0, speed, sizeof speed);
    snprintf(line, sizeof line, "epoch %lld/%.0f  loss %.6g  %s  "
             "elapsed %s  ETA %s", (long long)p.step, p.epochs,
             p.have_loss ? p.loss : NAN, speed, b1,
             strcmp(r->status, "running") == 0 ? b2 : "-");
    sl__json_object_begin(w);
    sl__json_key(w, "id");
    sl__json_int(w, r->id);
    sl__json_key(w, "status");
    sl__json_string(w, r->status);
    sl__json_key(w, "process_alive");
    if (r->process_alive < 0)
        sl__json_null(w);
    else
        sl__json_bool(w, r->process_alive);
    sl__json_key(w, "epoch");
    sl__json_int(w, p.step);
    sl__json_key(w, "epochs");
    sl__cli_json_num_or_null(w, p.epochs);
    sl__json_key(w, "loss");
    sl__cli_json_num_or_null(w, p.have_loss ? p.loss : NAN);
    sl__json_key(w, "epochs_per_s");
    sl__cli_json_num_or_null(w, rate);
    sl__json_key(w, "elapsed_s");
    sl__cli_json_num_or_null(w, el);
    sl__json_key(w, "eta_s");
    sl__cli_json_num_or_null(w, eta);
    sl__json_key(w, "line");
    sl__json_string(w, line);
    sl__json_object_end(w);
    return 0;
}

/* ---- the runs table ---------------------------------------------------------- */

/* The options of `runs` from the query: status, name, since, sort, limit,
 * where (repeatable), tag (repeatable); empty values are no condition. */
static void ropts_of(const args *a, sl__ropts *o)
{
    memset(o, 0, sizeof *o);
    o->limit = -1;
    o->json = 1;
    for (int i = 0; i < a->n; i++) {
        const char *k = a->a[i].k, *v = a->a[i].v;
        if (!*v)
            continue;
        if (strcmp(k, "status") == 0)
            o->status = v;
        else if (strcmp(k, "name") == 0)
            o->name = v;
        else if (strcmp(k, "since") == 0)
            o->since = v;
        else if (strcmp(k, "sort") == 0)
            o->sort = v;
        else if (strcmp(k, "limit") == 0)
            o->limit = strtoll(v, NULL, 10) > 0 ? strtoll(v, NULL, 10) : -1;
        else if (strcmp(k, "where") == 0 && o->n_where < MAX_WHERE)
            o->where[o->n_where++] = v;
        else if (strcmp(k, "tag") == 0 && o->n_tag < MAX_WHERE)
            o->tag[o->n_tag++] = v;
    }
}

static sl_run_filter filter_of(const sl__ropts *o)
{
    sl_run_filter f = {
        .struct_size = sizeof f, .status = o->status, .name = o->name,
        .since = o->since, .tags = o->tag, .n_tags = (size_t)o->n_tag,
        .where = o->where, .n_where = (size_t)o->n_where, .sort = o->sort,
        .limit = o->limit > 0 ? o->limit : 0,
    };
    return f;
}

typedef struct loss_pick {
    double v;
    int rank;
} loss_pick;

static int pick_loss(void *user, const char *name, int64_t step, double v)
{
    loss_pick *p = user;
    (void)step;
    for (int k = 0; k < SL__CLI_N_LOSS; k++)
        if (strcmp(name, sl__cli_loss_names[k]) == 0 && k < p->rank) {
            p->v = v;
            p->rank = k;
        }
    return 0;
}

static void input(FILE *f, const char *label, const char *name,
                  const char *value, const char *hint)
{
    fprintf(f, "<label>%s <input name=\"%s\" value=\"", label, name);
    esc(f, value);
    fputs("\" placeholder=\"", f);
    esc(f, hint);
    fputs("\"></label>\n", f);
}

static enum MHD_Result runs_page(struct MHD_Connection *c, const ui *u,
                                 const args *a)
{
    sl__ropts o;
    ropts_of(a, &o);
    sl_run_filter f = filter_of(&o);
    char msg[1024];
    int bad = sl_run_filter_check(&f, msg, sizeof msg) != SL_OK;
    page p;
    if (page_open(&p))
        return MHD_NO;
    head(p.f, u, "runs");
    fputs("<h1>runs</h1>\n<form class=\"filters\" method=\"get\" "
          "action=\"/\">\n", p.f);
    input(p.f, "status", "status", o.status, "running,finished");
    input(p.f, "name", "name", o.name, "frozen_*");
    for (int i = 0; i <= o.n_where && i < MAX_WHERE; i++)
        input(p.f, "where", "where", i < o.n_where ? o.where[i] : NULL,
              "optimizer.lr>=0.01");
    for (int i = 0; i <= o.n_tag && i < MAX_WHERE; i++)
        input(p.f, "tag", "tag", i < o.n_tag ? o.tag[i] : NULL, "tag");
    input(p.f, "since", "since", o.since, "2h, 2026-01-31");
    input(p.f, "sort", "sort", o.sort, "-loss");
    char lim[32] = "";
    if (o.limit > 0)
        snprintf(lim, sizeof lim, "%lld", o.limit);
    input(p.f, "limit", "limit", lim, "100");
    fputs("<button type=\"submit\">filter</button> <a href=\"/\">clear</a>"
          "</form>\n", p.f);
    unsigned code = 200;
    sl_rundb *db = NULL;
    sl_run_iter *it = NULL;
    if (bad) {
        code = 400;
        fputs("<p class=\"error\">", p.f);
        esc(p.f, msg);
        fputs("</p>", p.f);
    } else if ((code = open_db(u, 0, &db, msg, sizeof msg)) != 0) {
        fputs("<p class=\"error\">", p.f);
        esc(p.f, msg);
        fputs("</p>", p.f);
    } else if ((code = 200) && sl_rundb_runs(db, &f, &it) != SL_OK) {
        code = 400;
        fputs("<p class=\"error\">", p.f);
        esc(p.f, sl_rundb_errmsg(db));
        fputs("</p>", p.f);
    } else {
        size_t nk = sl_run_iter_n_keys(it);
        fputs("<form method=\"get\" action=\"/compare\">\n"
              "<table id=\"runs\" class=\"runs\"><thead><tr><th></th>"
              "<th>ID</th><th>status</th><th>name</th><th>started</th>"
              "<th>duration</th><th>seed</th><th>loss</th>", p.f);
        for (size_t i = 0; i < nk; i++) {
            fputs("<th>", p.f);
            esc(p.f, sl_run_iter_key(it, i));
            fputs("</th>", p.f);
        }
        fputs("<th>tags</th></tr></thead><tbody>\n", p.f);
        const sl_run_info *r;
        size_t rows = 0;
        while ((r = sl_run_next(it)) != NULL) {
            char started[32], dur[32], loss[32] = "-";
            sl__cli_fmt_time(r->started_at, started, sizeof started);
            sl__cli_fmt_duration(sl__cli_run_duration(r), dur, sizeof dur);
            loss_pick lp = {NAN, SL__CLI_N_LOSS};
            sl_rundb_final_metrics(db, r->id, pick_loss, &lp);
            if (lp.rank < SL__CLI_N_LOSS)
                sl__cli_fmt_num(lp.v, loss, sizeof loss);
            const char *st = r->process_alive == 0 ? "died" : r->status;
            fprintf(p.f, "<tr data-id=\"%lld\" data-status=\"", (long long)r->id);
            esc(p.f, st);
            fprintf(p.f, "\"><td><input type=\"checkbox\" name=\"id\" "
                    "value=\"%lld\"></td><td><a href=\"/run/%lld\">%lld</a>"
                    "</td><td class=\"status status-", (long long)r->id,
                    (long long)r->id, (long long)r->id);
            esc(p.f, st);
            fputs("\">", p.f);
            esc(p.f, st);
            fprintf(p.f, "</td><td class=\"name\"><a href=\"/run/%lld\">",
                    (long long)r->id);
            esc(p.f, r->name);
            fprintf(p.f, "</a></td><td>%s</td><td class=\"duration\">%s</td>"
                    "<td>%lld</td><td class=\"loss\">%s</td>", started, dur,
                    (long long)r->seed, loss);
            for (size_t i = 0; i < nk; i++) {
                double num;
                const char *text;
                char buf[64];
                int ty = sl_run_iter_value(it, i, &num, &text);
                fputs("<td>", p.f);
                if (ty == SL_RUN_VALUE_NUMBER) {
                    sl__cli_fmt_num(num, buf, sizeof buf);
                    fputs(buf, p.f);
                } else if (ty == SL_RUN_VALUE_TEXT) {
                    esc(p.f, text);
                } else {
                    fputs("-", p.f);
                }
                fputs("</td>", p.f);
            }
            /* each tag as recorded (one may hold spaces) */
            sl__strv tags = {0};
            fputs("<td class=\"tags\">", p.f);
            sl__cli_tags(db, r->id, &tags);
            for (size_t t = 0; t < tags.n; t++) {
                fputs("<span class=\"tag\">", p.f);
                esc(p.f, tags.v[t]);
                fputs("</span> ", p.f);
            }
            sl__strv_free(&tags);
            fputs("</td></tr>\n", p.f);
            rows++;
        }
        int rc = sl_run_iter_free(it);
        fputs("</tbody></table>\n", p.f);
        if (rc != SL_OK) {
            code = 503;
            fputs("<p class=\"error\">", p.f);
            esc(p.f, sl_rundb_errmsg(db));
            fputs("</p>", p.f);
        }
        if (rows == 0)
            fputs("<p>no run matches</p>\n", p.f);
        fputs("<p><button type=\"submit\">compare the selected runs</button>"
              " <a href=\"/api/runs", p.f);
        /* the same query for the JSON */
        for (int i = 0; i < a->n; i++) {
            fputs(i ? "&amp;" : "?", p.f);
            urlenc(p.f, a->a[i].k);
            fputc('=', p.f);
            urlenc(p.f, a->a[i].v);
        }
        fputs("\">JSON</a></p></form>\n", p.f);
    }
    sl_rundb_close(db);
    foot(p.f);
    return respond_page(c, code, &p, "text/html; charset=utf-8");
}

/* ---- one run ------------------------------------------------------------------ */

static int html_param(void *user, const char *key, const char *alias,
                      const char *type, const char *text, double num)
{
    FILE *f = user;
    (void)alias;
    (void)num;
    fputs("<tr><td>", f);
    esc(f, key);
    fputs("</td><td>", f);
    esc(f, text);
    fputs("</td><td class=\"type\">", f);
    esc(f, type);
    fputs("</td></tr>\n", f);
    return 0;
}

static int html_result(void *user, const char *name, double v,
                       const char *text)
{
    FILE *f = user;
    char buf[64];
    sl__cli_fmt_num(v, buf, sizeof buf);
    fputs("<tr><td>", f);
    esc(f, name);
    fprintf(f, "</td><td class=\"num\">%s</td><td>", buf);
    esc(f, text);
    fputs("</td></tr>\n", f);
    return 0;
}

typedef struct art_ctx {
    FILE *f;
    int64_t run;
} art_ctx;

static int html_artifact(void *user, const sl_artifact_info *a)
{
    art_ctx *x = user;
    FILE *f = x->f;
    fputs("<tr><td>", f);
    if (a->in_db) {
        fprintf(f, "<a class=\"download\" href=\"/artifact?id=%lld&amp;name=",
                (long long)x->run);
        urlenc(f, a->name);
        fputs("\">", f);
        esc(f, a->name);
        fputs("</a>", f);
    } else {
        esc(f, a->name);
    }
    fputs("</td><td>", f);
    esc(f, a->kind);
    fputs("</td><td>", f);
    esc(f, a->mime);
    fprintf(f, "</td><td class=\"num\">%lld</td><td>", (long long)a->size);
    esc(f, a->in_db ? "(in the database)" : a->path);
    fputs("</td></tr>\n", f);
    return 0;
}

typedef struct fig_ctx {
    FILE *f;
    sl_rundb *db;
    int64_t run;
} fig_ctx;

/* A figure of plot.c inline (its <svg> element), with links to the
 * files. */
static int html_figure(void *user, const char *what, const char *kind)
{
    fig_ctx *x = user;
    FILE *f = x->f;
    sl__plot_req q = {.what = what, .format = SL__PLOT_SVG, .width = 720,
                      .height = 400};
    char *svg = NULL, msg[1024];
    size_t size = 0;
    int rc = sl__plot_draw(x->db, &x->run, 1, &q, &svg, &size, msg,
                           sizeof msg);
    fprintf(f, "<figure class=\"figure %s\" data-what=\"", kind);
    esc(f, what);
    fputs("\">", f);
    if (rc == 0) {
        /* the element only: no XML declaration or DOCTYPE inside HTML */
        const char *s = memmem(svg, size, "<svg", 4);
        if (s)
            fwrite(s, 1, size - (size_t)(s - svg), f);
    } else {
        fputs("<p class=\"error\">", f);
        esc(f, msg);
        fputs("</p>", f);
    }
    free(svg);
    fputs("<figcaption>", f);
    esc(f, what);
    static const char *const fmts[] = {"svg", "png", "pdf"};
    for (int i = 0; i < 3; i++) {
        fprintf(f, " <a href=\"/plot?ids=%lld&amp;what=", (long long)x->run);
        urlenc(f, what);
        fprintf(f, "&amp;format=%s\">%s</a>", fmts[i], fmts[i]);
    }
    fputs("</figcaption></figure>\n", f);
    return 0;
}

static int tag_item(void *user, const char *tag)
{
    FILE *f = ((void **)user)[0];
    const ui *u = ((void **)user)[1];
    fputs("<li><span class=\"tag\">", f);
    esc(f, tag);
    fputs("</span>", f);
    if (u->write) {
        fputs(" <form class=\"write\" method=\"post\" data-action=\"tags\">"
              "<input type=\"hidden\" name=\"remove\" value=\"1\">"
              "<input type=\"hidden\" name=\"tag\" value=\"", f);
        esc(f, tag);
        fputs("\"><button type=\"submit\">remove</button></form>", f);
    }
    fputs("</li>", f);
    return 0;
}

static enum MHD_Result run_page(struct MHD_Connection *c, const ui *u,
                                int64_t id)
{
    char msg[1024];
    sl_rundb *db;
    unsigned code = open_db(u, 0, &db, msg, sizeof msg);
    if (code)
        return error_page(c, u, code, msg, 0);
    const sl_run_info *r;
    int rc = sl_rundb_run(db, id, &r);
    if (rc) {
        snprintf(msg, sizeof msg, "%s", rc == SL_ENOTFOUND
                                            ? "no such run"
                                            : sl_rundb_errmsg(db));
        sl_rundb_close(db);
        return error_page(c, u, rc == SL_ENOTFOUND ? 404 : 503, msg, 0);
    }
    page p;
    if (page_open(&p)) {
        sl_rundb_close(db);
        return MHD_NO;
    }
    char title[160];
    snprintf(title, sizeof title, "run %lld", (long long)id);
    head(p.f, u, title);
    const char *st = r->process_alive == 0 ? "died" : r->status;
    fprintf(p.f, "<div id=\"run\" data-id=\"%lld\" data-status=\"",
            (long long)id);
    esc(p.f, st);
    fprintf(p.f, "\"><h1>run %lld: <span class=\"run-name\">", (long long)id);
    esc(p.f, r->name);
    fputs("</span> <span class=\"status status-", p.f);
    esc(p.f, st);
    fputs("\">", p.f);
    esc(p.f, st);
    fputs("</span></h1>\n", p.f);
    /* the progress line, kept live by ui.js while it runs */
    sl__json pw;
    page pj;
    if (page_open(&pj) == 0) {
        sl__json_init(&pw, pj.f, 0);
        json_progress(&pw, db, r);
        sl__json_finish(&pw);
        fclose(pj.f);
        put_json_block(p.f, "sl-progress", pj.buf, pj.len);
        free(pj.buf);
    }
    fputs("<p id=\"progress\" class=\"progress\"></p>\n", p.f);
    char started[32], ended[32], dur[32];
    sl__cli_fmt_time(r->started_at, started, sizeof started);
    sl__cli_fmt_time(r->ended_at, ended, sizeof ended);
    sl__cli_fmt_duration(sl__cli_run_duration(r), dur, sizeof dur);
    fprintf(p.f, "<table class=\"fields\"><tr><th>started</th><td>%s</td></tr>"
            "<tr><th>ended</th><td>%s</td></tr><tr><th>duration</th><td>%s"
            "</td></tr><tr><th>seed</th><td>%lld</td></tr><tr><th>host</th>"
            "<td>", started, ended, dur, (long long)r->seed);
    esc(p.f, r->host);
    fprintf(p.f, " (pid %lld)</td></tr><tr><th>config</th><td>", (long long)r->pid);
    esc(p.f, r->config_path);
    fputs("</td></tr><tr><th>sha256</th><td>", p.f);
    esc(p.f, r->config_hash);
    fputs("</td></tr>", p.f);
    if (r->overrides && *r->overrides) {
        fputs("<tr><th>overrides</th><td><pre>", p.f);
        esc(p.f, r->overrides);
        fputs("</pre></td></tr>", p.f);
    }
    if (r->error && *r->error) {
        fputs("<tr><th>error</th><td class=\"error\">", p.f);
        esc(p.f, r->error);
        fputs("</td></tr>", p.f);
    }
    if (r->parent_id > 0)
        fprintf(p.f, "<tr><th>re-runs</th><td><a href=\"/run/%lld\">run %lld"
                "</a> (%s)</td></tr>", (long long)r->parent_id,
                (long long)r->parent_id,
                r->reproduced == 1   ? "bit-identical"
                : r->reproduced == 0 ? "differs"
                                     : "not compared");
    fputs("</table>\n", p.f);

    /* tags and note */
    fputs("<section id=\"curation\"><h2>tags</h2><ul class=\"tags\">", p.f);
    void *tu[2] = {p.f, (void *)u};
    sl_rundb_tags(db, id, tag_item, tu);
    fputs("</ul>", p.f);
    if (u->write)
        fputs("<form class=\"write\" method=\"post\" data-action=\"tags\">"
              "<input name=\"tag\" maxlength=\"200\" placeholder=\"new tag\">"
              "<button type=\"submit\">add tag</button></form>", p.f);
    fputs("<h2>note</h2><pre id=\"note\" class=\"note\">", p.f);
    esc(p.f, r->note);
    fputs("</pre>", p.f);
    if (u->write) {
        fputs("<form class=\"write\" method=\"post\" data-action=\"note\">"
              "<textarea name=\"text\" rows=\"3\" maxlength=\"8000\">", p.f);
        esc(p.f, r->note);
        fputs("</textarea><button type=\"submit\">save note</button></form>",
              p.f);
    }
    fputs("</section>\n", p.f);

    /* metric curves: one dygraph each (ui.js), data inline */
    page cj;
    fputs("<section id=\"metrics\"><h2>metrics</h2>\n", p.f);
    if (page_open(&cj) == 0) {
        sl__json w;
        sl__json_init(&w, cj.f, 0);
        json_curves(&w, db, id);
        sl__json_finish(&w);
        fclose(cj.f);
        put_json_block(p.f, "sl-curves", cj.buf, cj.len);
        free(cj.buf);
    }
    fputs("<div id=\"curves\" class=\"curves\"></div></section>\n", p.f);

    /* figures of what it recorded */
    fputs("<section id=\"figures\"><h2>recorded</h2>\n", p.f);
    fig_ctx fx = {p.f, db, id};
    sl__plot_figures(db, id, html_figure, &fx);
    fputs("</section>\n", p.f);

    fputs("<section id=\"results\"><h2>results</h2><table class=\"results\">"
          "<thead><tr><th>name</th><th>value</th><th>text</th></tr></thead>"
          "<tbody>\n", p.f);
    sl_rundb_results(db, id, html_result, p.f);
    fputs("</tbody></table></section>\n", p.f);

    fprintf(p.f, "<section id=\"artifacts\"><h2>artifacts</h2><table>"
            "<thead><tr><th>name</th><th>kind</th><th>type</th><th>bytes</th>"
            "<th>where</th></tr></thead><tbody>\n");
    art_ctx ax = {p.f, id};
    sl_rundb_artifacts(db, id, html_artifact, &ax);
    fputs("</tbody></table></section>\n", p.f);

    fputs("<section id=\"params\"><h2>parameters</h2><table class=\"params\">"
          "<thead><tr><th>key</th><th>value</th><th>type</th></tr></thead>"
          "<tbody>\n", p.f);
    sl_rundb_params(db, id, html_param, p.f);
    fputs("</tbody></table></section>\n<section id=\"config\"><h2>"
          "configuration as run</h2><pre class=\"config\">", p.f);
    esc(p.f, r->config_effective);
    fprintf(p.f, "</pre></section>\n<p><a href=\"/api/runs/%lld\">JSON</a>"
            "</p></div>\n", (long long)id);
    sl_rundb_close(db);
    foot(p.f);
    return respond_page(c, 200, &p, "text/html; charset=utf-8");
}

/* ---- compare --------------------------------------------------------------------- */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* {"runs": [{"id", "name"}], "metrics": {NAME: [[step, v0, v1...]...]}}:
 * every run's curve of each metric on the union of their steps (null
 * where a run has no value there). */
static int json_compare_curves(sl__json *w, sl_rundb *db, const int64_t *ids,
                               int n)
{
    series_set ss[MAX_CMP];
    memset(ss, 0, sizeof ss);
    int rc = 0;
    for (int k = 0; k < n && !rc; k++) {
        rc = sl_rundb_metrics(db, ids[k], NULL, series_row, &ss[k]);
        if (!rc && ss[k].oom)
            rc = SL_ENOMEM;
        for (size_t i = 0; i < ss[k].n; i++)
            decimate(&ss[k].s[i], MAX_CURVE_POINTS / (size_t)n + 4);
    }
    sl__json_object_begin(w);
    sl__json_key(w, "runs");
    sl__json_array_begin(w);
    for (int k = 0; k < n && !rc; k++) {
        const sl_run_info *r;
        sl__json_object_begin(w);
        sl__json_key(w, "id");
        sl__json_int(w, ids[k]);
        sl__json_key(w, "name");
        sl__json_string(w, sl_rundb_run(db, ids[k], &r) == 0 ? r->name : "");
        sl__json_object_end(w);
    }
    sl__json_array_end(w);
    sl__json_key(w, "metrics");
    sl__json_object_begin(w);
    /* each name once, in the order the runs have them */
    for (int k = 0; k < n && !rc; k++)
        for (size_t i = 0; i < ss[k].n && !rc; i++) {
            const char *name = ss[k].s[i].name;
            int seen = 0;
            for (int j = 0; j < k && !seen; j++)
                for (size_t m = 0; m < ss[j].n; m++)
                    if (strcmp(ss[j].s[m].name, name) == 0)
                        seen = 1;
            for (size_t m = 0; m < i && !seen; m++)
                seen = strcmp(ss[k].s[m].name, name) == 0;
            if (seen)
                continue;
            const series *col[MAX_CMP];
            size_t total = 0;
            for (int j = 0; j < n; j++) {
                col[j] = NULL;
                for (size_t m = 0; m < ss[j].n; m++)
                    if (strcmp(ss[j].s[m].name, name) == 0)
                        col[j] = &ss[j].s[m];
                total += col[j] ? col[j]->n : 0;
            }
            double *steps = malloc((total + 1) * sizeof *steps);
            if (!steps) {
                rc = SL_ENOMEM;
                break;
            }
            size_t ns = 0;
            for (int j = 0; j < n; j++)
                for (size_t m = 0; col[j] && m < col[j]->n; m++)
                    steps[ns++] = col[j]->x[m];
            qsort(steps, ns, sizeof *steps, cmp_double);
            size_t pos[MAX_CMP] = {0};
            sl__json_key(w, name);
            sl__json_array_begin(w);
            for (size_t s = 0; s < ns; s++) {
                if (s && steps[s] == steps[s - 1])
                    continue;
                sl__json_array_begin(w);
                sl__json_number(w, steps[s]);
                for (int j = 0; j < n; j++) {
                    /* the series are sorted by step: walk each once */
                    while (col[j] && pos[j] < col[j]->n &&
                           col[j]->x[pos[j]] < steps[s])
                        pos[j]++;
                    if (col[j] && pos[j] < col[j]->n &&
                        col[j]->x[pos[j]] == steps[s] &&
                        isfinite(col[j]->y[pos[j]]))
                        sl__json_number(w, col[j]->y[pos[j]]);
                    else
                        sl__json_null(w);
                }
                sl__json_array_end(w);
            }
            sl__json_array_end(w);
            free(steps);
        }
    sl__json_object_end(w);
    sl__json_object_end(w);
    for (int k = 0; k < n; k++)
        series_free(&ss[k]);
    return rc;
}

/* The compare JSON of `compare --json` into *buf. 0 or an HTTP status. */
static unsigned compare_json(sl_rundb *db, const int64_t *ids, int n,
                             char **buf, size_t *len)
{
    FILE *f = open_memstream(buf, len);
    if (!f)
        return 500;
    sl__hopts ho;
    memset(&ho, 0, sizeof ho);
    ho.json = 1;
    int st = sl__cli_compare_runs(f, db, &ho, ids, n);
    fclose(f);
    if (st) {
        free(*buf);
        *buf = NULL;
        return 503;
    }
    return 0;
}

static enum MHD_Result compare_page(struct MHD_Connection *c, const ui *u,
                                    const args *a)
{
    int64_t ids[MAX_CMP];
    int n = parse_ids(a, ids, MAX_CMP);
    if (n < 1)
        return error_page(c, u, 400, n < 0 ? "ids: run numbers, at most 15"
                                            : "choose runs to compare",
                          0);
    char msg[1024];
    sl_rundb *db;
    unsigned code = open_db(u, 0, &db, msg, sizeof msg);
    if (code)
        return error_page(c, u, code, msg, 0);
    for (int k = 0; k < n; k++) {
        const sl_run_info *r;
        if (sl_rundb_run(db, ids[k], &r) != SL_OK) {
            snprintf(msg, sizeof msg, "no run %lld", (long long)ids[k]);
            sl_rundb_close(db);
            return error_page(c, u, 404, msg, 0);
        }
    }
    page p;
    if (page_open(&p)) {
        sl_rundb_close(db);
        return MHD_NO;
    }
    head(p.f, u, "compare");
    fputs("<div id=\"compare\"><h1>compare runs", p.f);
    for (int k = 0; k < n; k++)
        fprintf(p.f, "%s<a href=\"/run/%lld\">%lld</a>", k ? ", " : " ",
                (long long)ids[k], (long long)ids[k]);
    fputs("</h1>\n", p.f);
    page cj;
    if (page_open(&cj) == 0) {
        sl__json w;
        sl__json_init(&w, cj.f, 0);
        json_compare_curves(&w, db, ids, n);
        sl__json_finish(&w);
        fclose(cj.f);
        put_json_block(p.f, "sl-compare-curves", cj.buf, cj.len);
        free(cj.buf);
    }
    char *cmp = NULL;
    size_t cl = 0;
    if (compare_json(db, ids, n, &cmp, &cl) == 0) {
        put_json_block(p.f, "sl-compare", cmp, cl);
        free(cmp);
    }
    fputs("<section><h2>metrics</h2><div id=\"curves\" class=\"curves\">"
          "</div></section>\n<section><h2>configuration keys that differ</h2>"
          "<table id=\"differing\" class=\"params\"></table></section>\n"
          "<section><h2>final metrics</h2><table id=\"finals\"></table>"
          "</section><section><h2>results</h2><table id=\"cmp-results\">"
          "</table></section>\n", p.f);
    fputs("<p><a href=\"/api/compare?ids=", p.f);
    for (int k = 0; k < n; k++)
        fprintf(p.f, "%s%lld", k ? "," : "", (long long)ids[k]);
    fputs("\">JSON</a></p></div>\n", p.f);
    sl_rundb_close(db);
    foot(p.f);
    return respond_page(c, 200, &p, "text/html; charset=utf-8");
}

/* ---- /api ---------------------------------------------------------------------- */

static enum MHD_Result api_get(struct MHD_Connection *c, const ui *u,
                               const char *path, const args *a)
{
    char msg[1024];
    sl_rundb *db;
    page p;
    if (strcmp(path, "runs") == 0) {
        sl__ropts o;
        ropts_of(a, &o);
        sl_run_filter f = filter_of(&o);
        if (sl_run_filter_check(&f, msg, sizeof msg) != SL_OK)
            return error_page(c, u, 400, msg, 1);
        unsigned code = open_db(u, 0, &db, msg, sizeof msg);
        if (code)
            return error_page(c, u, code, msg, 1);
        if (page_open(&p)) {
            sl_rundb_close(db);
            return MHD_NO;
        }
        int st = sl__cli_runs_list(p.f, db, &o);
        if (st) {
            snprintf(msg, sizeof msg, "%s", sl_rundb_errmsg(db));
            sl_rundb_close(db);
            fclose(p.f);
            free(p.buf);
            return error_page(c, u, st == 2 ? 400 : 503, msg, 1);
        }
        sl_rundb_close(db);
        return respond_page(c, 200, &p, "application/json");
    }
    if (strcmp(path, "compare") == 0) {
        int64_t ids[MAX_CMP];
        int n = parse_ids(a, ids, MAX_CMP);
        if (n < 1)
            return error_page(c, u, 400, "ids: 1 to 15 run numbers", 1);
        unsigned code = open_db(u, 0, &db, msg, sizeof msg);
        if (code)
            return error_page(c, u, code, msg, 1);
        for (int k = 0; k < n; k++) {
            const sl_run_info *r;
            if (sl_rundb_run(db, ids[k], &r) != SL_OK) {
                sl_rundb_close(db);
                return error_page(c, u, 404, "no such run", 1);
            }
        }
        char *buf = NULL;
        size_t len = 0;
        code = compare_json(db, ids, n, &buf, &len);
        sl_rundb_close(db);
        if (code)
            return error_page(c, u, code, "cannot compare", 1);
        return respond(c, 200, "application/json", buf, len, NULL);
    }
    if (strncmp(path, "runs/", 5) != 0)
        return error_page(c, u, 404, "no such API", 1);
    const char *rest = path + 5, *slash = strchr(rest, '/');
    char idb[24];
    size_t il = slash ? (size_t)(slash - rest) : strlen(rest);
    if (il >= sizeof idb)
        return error_page(c, u, 404, "no such run", 1);
    memcpy(idb, rest, il);
    idb[il] = '\0';
    int64_t id = parse_id(idb);
    const char *sub = slash ? slash + 1 : "";
    if (!id || (*sub && strcmp(sub, "curves") != 0 &&
                strcmp(sub, "progress") != 0))
        return error_page(c, u, 404, "no such run or API", 1);
    unsigned code = open_db(u, 0, &db, msg, sizeof msg);
    if (code)
        return error_page(c, u, code, msg, 1);
    const sl_run_info *r;
    int rc = sl_rundb_run(db, id, &r);
    if (rc) {
        snprintf(msg, sizeof msg, "%s", rc == SL_ENOTFOUND
                                            ? "no such run"
                                            : sl_rundb_errmsg(db));
        sl_rundb_close(db);
        return error_page(c, u, rc == SL_ENOTFOUND ? 404 : 503, msg, 1);
    }
    if (page_open(&p)) {
        sl_rundb_close(db);
        return MHD_NO;
    }
    if (!*sub) {
        sl__strv tags = {0};
        rc = sl__cli_tags(db, id, &tags);
        if (!rc)
            rc = sl__cli_show_json(p.f, db, r, &tags);
        sl__strv_free(&tags);
    } else {
        sl__json w;
        sl__json_init(&w, p.f, 0);
        rc = strcmp(sub, "curves") == 0 ? json_curves(&w, db, id)
                                        : json_progress(&w, db, r);
        if (sl__json_finish(&w) && !rc)
            rc = SL_EIO;
    }
    if (rc) {
        snprintf(msg, sizeof msg, "%s", sl_rundb_errmsg(db));
        sl_rundb_close(db);
        fclose(p.f);
        free(p.buf);
        return error_page(c, u, 503, msg, 1);
    }
    sl_rundb_close(db);
    return respond_page(c, 200, &p, "application/json");
}

static enum MHD_Result api_post(struct MHD_Connection *c, const ui *u,
                                const char *path, const char *body)
{
    if (!u->write)
        return error_page(c, u, 403, "read-only: start spikelab ui with "
                          "--write to edit tags and notes", 1);
    const char *hdr = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
                                                  "X-Spikelab");
    if (!hdr)
        return error_page(c, u, 403, "writes need the header X-Spikelab", 1);
    int64_t id = 0;
    char what[16] = "", idb[24];
    if (strncmp(path, "runs/", 5) == 0) {
        const char *s = path + 5, *slash = strchr(s, '/');
        if (slash && (size_t)(slash - s) < sizeof idb) {
            memcpy(idb, s, (size_t)(slash - s));
            idb[slash - s] = '\0';
            id = parse_id(idb);
            snprintf(what, sizeof what, "%s", slash + 1);
        }
    }
    if (!id || (strcmp(what, "tags") != 0 && strcmp(what, "note") != 0))
        return error_page(c, u, 404, "no such API", 1);
    char *val = malloc(MAX_BODY + 1);
    char rem[8] = "", msg[1024];
    if (!val)
        return MHD_NO;
    int have = sl__form_value(body, strcmp(what, "tags") == 0 ? "tag" : "text",
                          val, MAX_BODY + 1);
    if (have <= 0) {
        free(val);
        return error_page(c, u, 400, have < 0 ? "malformed form value"
                                              : "missing form value", 1);
    }
    int remove = sl__form_value(body, "remove", rem, sizeof rem) == 1 &&
                 strcmp(rem, "1") == 0;
    sl_rundb *db;
    unsigned code = open_db(u, 1, &db, msg, sizeof msg);
    if (code) {
        free(val);
        return error_page(c, u, code, msg, 1);
    }
    int rc = strcmp(what, "note") == 0 ? sl_rundb_set_note(db, id, val)
             : remove                  ? sl_rundb_untag(db, id, val)
                                       : sl_rundb_tag(db, id, val);
    free(val);
    if (rc) {
        snprintf(msg, sizeof msg, "%s", sl_rundb_errmsg(db));
        sl_rundb_close(db);
        return error_page(c, u, rc == SL_ENOTFOUND ? 404
                                : rc == SL_EINVAL  ? 400
                                                   : 503,
                          msg, 1);
    }
    sl_rundb_close(db);
    char *ok = strdup("{\"ok\": true}\n");
    return ok ? respond(c, 200, "application/json", ok, strlen(ok), NULL)
              : MHD_NO;
}

/* ---- plots, artifacts, static files ---------------------------------------------- */

static enum MHD_Result plot_get(struct MHD_Connection *c, const ui *u,
                                const args *a)
{
    int64_t ids[16];
    int n = parse_ids(a, ids, 16);
    const char *what = arg_get(a, "what"), *fmt = arg_get(a, "format");
    if (n < 1 || !what || !*what)
        return error_page(c, u, 400, "plot?ids=ID[,ID...]&what=WHAT"
                          "[&format=svg|png|pdf][&neurons=0-7][&log=1]", 0);
    char fname[16];
    snprintf(fname, sizeof fname, "x.%s", fmt ? fmt : "svg");
    sl__plot_req q = {.what = what, .neurons = arg_get(a, "neurons"),
                      .format = sl__plot_format(fname),
                      .logy = arg_get(a, "log") != NULL};
    if (q.format < 0)
        return error_page(c, u, 400, "format: svg, png or pdf", 0);
    char msg[2048];
    sl_rundb *db;
    unsigned code = open_db(u, 0, &db, msg, sizeof msg);
    if (code)
        return error_page(c, u, code, msg, 0);
    char *data = NULL;
    size_t size = 0;
    int st = sl__plot_draw(db, ids, (size_t)n, &q, &data, &size, msg,
                           sizeof msg);
    sl_rundb_close(db);
    if (st)
        return error_page(c, u, st == 2 ? 404 : 500, msg, 0);
    return respond(c, 200, sl__plot_mime(q.format), data, size, NULL);
}

static enum MHD_Result artifact_get(struct MHD_Connection *c, const ui *u,
                                    const args *a)
{
    int64_t id = parse_id(arg_get(a, "id"));
    const char *name = arg_get(a, "name");
    if (!id || !name || !*name)
        return error_page(c, u, 400, "artifact?id=ID&name=NAME", 0);
    char msg[1024];
    sl_rundb *db;
    unsigned code = open_db(u, 0, &db, msg, sizeof msg);
    if (code)
        return error_page(c, u, code, msg, 0);
    const void *data;
    size_t size;
    int rc = sl_rundb_artifact(db, id, name, &data, &size);
    char *copy = rc == SL_OK ? malloc(size ? size : 1) : NULL;
    if (copy)
        memcpy(copy, data, size);
    snprintf(msg, sizeof msg, "%s", rc ? sl_rundb_errmsg(db) : "");
    sl_rundb_close(db);
    if (rc)
        return error_page(c, u, rc == SL_ENOTFOUND ? 404 : 503, msg, 0);
    if (!copy)
        return MHD_NO;
    /* a download, never rendered: the file's last part, safe characters */
    const char *base = strrchr(name, '/');
    base = base ? base + 1 : name;
    char disp[200];
    int k = snprintf(disp, sizeof disp, "attachment; filename=\"run%lld-",
                     (long long)id);
    for (const char *s = base; *s && k + 4 < (int)sizeof disp; s++)
        disp[k++] = (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
                            (*s >= '0' && *s <= '9') || *s == '.' ||
                            *s == '_' || *s == '-'
                        ? *s
                        : '_';
    snprintf(disp + k, sizeof disp - (size_t)k, "\"");
    return respond(c, 200, "application/octet-stream", copy, size, disp);
}

static enum MHD_Result static_get(struct MHD_Connection *c, const ui *u,
                                  const char *name)
{
    const char *text = NULL, *mime = NULL;
    if (strcmp(name, "ui.js") == 0) {
        text = sl__ui_js;
        mime = "text/javascript; charset=utf-8";
    } else if (strcmp(name, "ui.css") == 0) {
        text = sl__ui_css;
        mime = "text/css; charset=utf-8";
    }
    if (text) {
        char *b = strdup(text);
        return b ? respond(c, 200, mime, b, strlen(b), NULL) : MHD_NO;
    }
    /* dygraphs from the system's copy (Debian libjs-dygraphs) */
    const char *file = strcmp(name, "dygraph.js") == 0    ? "dygraph.min.js"
                       : strcmp(name, "dygraph.css") == 0 ? "dygraph.min.css"
                                                          : NULL;
    if (!file)
        return error_page(c, u, 404, "no such file", 0);
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", u->dygraphs_dir, file);
    char *buf = NULL;
    size_t len = 0;
    sl__err err;
    if (sl__file_read(path, 8u << 20, SL__FILE_REGULAR, &buf, &len, &err) !=
        SL_OK) {
        /* ui.js falls back to the server's SVG figures */
        char *b = strdup("/* dygraphs not installed */\n");
        return b ? respond(c, 200, strcmp(name, "dygraph.js") == 0
                                       ? "text/javascript"
                                       : "text/css",
                           b, strlen(b), NULL)
                 : MHD_NO;
    }
    return respond(c, 200, strcmp(name, "dygraph.js") == 0
                               ? "text/javascript; charset=utf-8"
                               : "text/css; charset=utf-8",
                   buf, len, NULL);
}

/* ---- dispatch -------------------------------------------------------------------------- */

typedef struct request {
    char *body;
    size_t len;
    int too_big;
} request;

static void request_done(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    request *r = *con_cls;
    if (r) {
        free(r->body);
        free(r);
        *con_cls = NULL;
    }
}

static int host_allowed(const ui *u, struct MHD_Connection *c)
{
    if (u->any_host)
        return 1;
    const char *h = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Host");
    if (!h)
        return 0;
    for (int i = 0; i < 4; i++)
        if (u->host_ok[i][0] && strcasecmp(h, u->host_ok[i]) == 0)
            return 1;
    return 0;
}

static enum MHD_Result handle(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
    const ui *u = cls;
    (void)version;
    request *r = *con_cls;
    if (!r) {
        if (!(r = calloc(1, sizeof *r)))
            return MHD_NO;
        *con_cls = r;
        return MHD_YES;
    }
    int is_post = strcmp(method, "POST") == 0;
    if (*upload_size) {
        if (!is_post || r->too_big || r->len + *upload_size > MAX_BODY) {
            r->too_big = 1;
        } else {
            char *b = realloc(r->body, r->len + *upload_size + 1);
            if (!b)
                return MHD_NO;
            memcpy(b + r->len, upload, *upload_size);
            r->body = b;
            r->len += *upload_size;
            b[r->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }
    if (!host_allowed(u, c))
        return error_page(c, u, 421, "this server answers only to the "
                          "address it was started on", 0);
    if (r->too_big)
        return error_page(c, u, 413, "request body larger than 16 KiB", 1);
    if (!is_post && strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
        return error_page(c, u, 405, "method not allowed", 0);
    args a = {.n = 0};
    MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, collect_arg, &a);
    if (is_post) {
        if (strncmp(url, "/api/", 5) != 0)
            return error_page(c, u, 405, "method not allowed", 0);
        return api_post(c, u, url + 5, r->body ? r->body : "");
    }
    if (strcmp(url, "/") == 0)
        return runs_page(c, u, &a);
    if (strncmp(url, "/run/", 5) == 0) {
        int64_t id = parse_id(url + 5);
        return id ? run_page(c, u, id)
                  : error_page(c, u, 404, "no such run", 0);
    }
    if (strcmp(url, "/compare") == 0)
        return compare_page(c, u, &a);
    if (strcmp(url, "/plot") == 0)
        return plot_get(c, u, &a);
    if (strcmp(url, "/artifact") == 0)
        return artifact_get(c, u, &a);
    if (strncmp(url, "/static/", 8) == 0)
        return static_get(c, u, url + 8);
    if (strncmp(url, "/api/", 5) == 0)
        return api_get(c, u, url + 5, &a);
    return error_page(c, u, 404, "no such page", 0);
}

/* ---- spikelab ui ------------------------------------------------------------------------ */

static const char ui_usage[] =
    "Usage: spikelab ui [--db PATH] [--port N] [--bind ADDR] [--write]\n"
    "A local web interface over the run database: the runs (with the\n"
    "filters and sorting of `spikelab runs`, live status), a run's page\n"
    "(progress, metric curves, rasters and traces of what it recorded,\n"
    "results, tags, note, parameters, configuration, artifacts), runs\n"
    "compared (curves overlaid, differing configuration keys), and JSON\n"
    "under /api/ (runs, runs/ID, runs/ID/curves, runs/ID/progress,\n"
    "compare?ids=1,2: the data of runs/show/compare --json).\n"
    "\n"
    "  --db PATH     run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --port N      TCP port (default 8421; 0: any free port)\n"
    "  --bind ADDR   address to listen on (default 127.0.0.1, this machine\n"
    "                only; another address exposes your runs to its network)\n"
    "  --write       allow editing tags and notes (default: read-only)\n"
    "  --help        this text\n"
    "\n"
    "It prints the address it serves on stdout and runs until SIGINT\n"
    "(Ctrl-C) or SIGTERM. Reading never blocks runs that are recording.\n";

int sl__cmd_ui(int argc, char **argv)
{
    const char *db_path = NULL, *bind_addr = "127.0.0.1", *port_s = "8421";
    int write = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(ui_usage, stdout);
            return sl__cli_finish("ui", 0);
        }
        if ((v = sl__cli_opt_value(argc, argv, &i, "--db", &missing)))
            db_path = v;
        else if ((v = sl__cli_opt_value(argc, argv, &i, "--port", &missing)))
            port_s = v;
        else if ((v = sl__cli_opt_value(argc, argv, &i, "--bind", &missing)))
            bind_addr = v;
        else if (missing)
            return sl__cli_usage_error("ui", "%s needs a value", a);
        else if (strcmp(a, "--write") == 0)
            write = 1;
        else
            return sl__cli_usage_error("ui", "unexpected argument '%s'", a);
    }
    char *e;
    errno = 0;
    long port = strtol(port_s, &e, 10);
    if (errno || *e || !*port_s || port < 0 || port > 65535)
        return sl__cli_usage_error("ui", "--port '%s': a number 0..65535",
                                   port_s);
    struct sockaddr_in a4;
    struct sockaddr_in6 a6;
    memset(&a4, 0, sizeof a4);
    memset(&a6, 0, sizeof a6);
    int v6 = 0;
    if (inet_pton(AF_INET, bind_addr, &a4.sin_addr) == 1) {
        a4.sin_family = AF_INET;
        a4.sin_port = htons((uint16_t)port);
    } else if (inet_pton(AF_INET6, bind_addr, &a6.sin6_addr) == 1) {
        a6.sin6_family = AF_INET6;
        a6.sin6_port = htons((uint16_t)port);
        v6 = 1;
    } else {
        return sl__cli_usage_error("ui", "--bind '%s': an IPv4 or IPv6 "
                                   "address", bind_addr);
    }

    ui u = {.write = write};
    u.db_path = sl_rundb_default_path(db_path);
    u.dygraphs_dir = getenv("SPIKELAB_DYGRAPHS_DIR") &&
                             *getenv("SPIKELAB_DYGRAPHS_DIR")
                         ? getenv("SPIKELAB_DYGRAPHS_DIR")
                         : SL_DYGRAPHS_DIR;
    /* the file must be a run database before we serve it */
    sl_rundb *db;
    if (sl_rundb_open(u.db_path, SL_RUNDB_READONLY, &db) != SL_OK) {
        fprintf(stderr, "spikelab ui: %s\n", sl_rundb_errmsg(db));
        sl_rundb_close(db);
        return 1;
    }
    sl_rundb_close(db);

    /* our own listening socket: its port (--port 0: any free one) is
     * known, and the Host check set, before the first request */
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int one = 1;
    socklen_t sl = v6 ? sizeof a6 : sizeof a4;
    if (fd < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4, sl) ||
        listen(fd, 64) != 0 ||
        getsockname(fd, v6 ? (struct sockaddr *)&a6 : (struct sockaddr *)&a4,
                    &sl) != 0) {
        fprintf(stderr, "spikelab ui: cannot listen on %s port %ld: %s\n",
                bind_addr, port, strerror(errno));
        if (fd >= 0)
            close(fd);
        return 1;
    }
    unsigned real_port = ntohs(v6 ? a6.sin6_port : a4.sin_port);
    int wildcard = v6 ? IN6_IS_ADDR_UNSPECIFIED(&a6.sin6_addr)
                      : a4.sin_addr.s_addr == htonl(INADDR_ANY);
    u.any_host = wildcard;
    if (v6)
        snprintf(u.host_ok[0], sizeof u.host_ok[0], "[%s]:%u", bind_addr,
                 real_port);
    else
        snprintf(u.host_ok[0], sizeof u.host_ok[0], "%s:%u", bind_addr,
                 real_port);
    if (strcmp(bind_addr, "127.0.0.1") == 0 || strcmp(bind_addr, "::1") == 0) {
        snprintf(u.host_ok[1], sizeof u.host_ok[1], "localhost:%u",
                 real_port);
        snprintf(u.host_ok[2], sizeof u.host_ok[2], "127.0.0.1:%u",
                 real_port);
        snprintf(u.host_ok[3], sizeof u.host_ok[3], "[::1]:%u", real_port);
    }

    /* SIGINT and SIGTERM blocked here and so in every thread the daemon
     * starts; this thread waits for them and stops the daemon */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD |
                     MHD_USE_THREAD_PER_CONNECTION | MHD_USE_ERROR_LOG;
    if (v6)
        flags |= MHD_USE_IPv6;
    struct MHD_Daemon *d = MHD_start_daemon(
        flags, 0, NULL, NULL, handle, &u, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)64,
        MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)30,
        MHD_OPTION_NOTIFY_COMPLETED, request_done, NULL, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "spikelab ui: cannot start the server on %s port "
                "%u\n", bind_addr, real_port);
        close(fd);
        pthread_sigmask(SIG_UNBLOCK, &set, NULL);
        return 1;
    }
    printf("spikelab ui: serving %s at http://%s%s%s:%u/%s\n", u.db_path,
           v6 ? "[" : "", bind_addr, v6 ? "]" : "", real_port,
           write ? " (--write: tags and notes editable)" : " (read-only)");
    fflush(stdout);
    int sig = 0;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    close(fd); /* MHD leaves a socket it was given to its owner */
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);
    printf("spikelab ui: stopped (%s)\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
    return sl__cli_finish("ui", 0);
}
