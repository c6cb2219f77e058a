/* core/cmd/plot.c — figures of recorded runs (plot.h), drawn by PLplot,
 * and `spikelab plot`.
 *
 * Why PLplot (ARCHITECTURE.md): a maintained scientific plotting library
 * in Debian whose axes, ticks, tick labels (with the 10^n factor for
 * ampere-scale currents), labels and legends are its own, with SVG
 * (text kept as <text>, so labels are searchable), PNG and PDF (its cairo
 * drivers) from one set of calls. We only pick data, ranges and colours.
 *
 * The data come through <spikelab/rundb.h> like every history command's:
 * metrics by sl_rundb_metrics, traces and inputs as the .npy artifacts a
 * run stored (traces/LAYER/NAME.npy [1][time][channels], inputs/DATA/
 * input.npy; the unit of a trace is the "unit=" parameter of its media
 * type), evaluations from the results (<prefix><data>_frr_<stat|i>,
 * <prefix><data>_accuracy), time from the run's network.dt.
 */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <plplot.h>

#include "spikelab/abi.h"
#include "spikelab/rundb.h"
#include "cmd/args.h"
#include "cmd/cmd.h"
#include "cmd/out.h"
#include "cmd/plot.h"
#include "util/file.h"
#include "util/npy.h"

#define MAX_SERIES 16
#define MAX_TRACE_NEURONS 16
#define MAX_CATS 24

/* ---- drawing: PLplot, one figure at a time --------------------------- */

static pthread_mutex_t plot_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const devices[] = {"svg", "pngcairo", "pdfcairo"};

/* colour map 0: 0 background, 1 axes and text, 2.. the series (the
 * colour-blind-safe "tab10" order) */
static const PLINT pal_r[] = {255, 0, 31, 255, 44, 214, 148, 140, 227, 127, 188, 23};
static const PLINT pal_g[] = {255, 0, 119, 127, 160, 39, 103, 86, 119, 127, 189, 190};
static const PLINT pal_b[] = {255, 0, 180, 14, 44, 40, 189, 75, 194, 127, 34, 207};
#define N_PAL ((int)(sizeof pal_r / sizeof *pal_r))
static int series_colour(size_t i) { return 2 + (int)(i % (N_PAL - 2)); }

int sl__plot_format(const char *path)
{
    const char *dot = path ? strrchr(path, '.') : NULL;
    if (!dot)
        return -1;
    if (strcasecmp(dot, ".svg") == 0)
        return SL__PLOT_SVG;
    if (strcasecmp(dot, ".png") == 0)
        return SL__PLOT_PNG;
    if (strcasecmp(dot, ".pdf") == 0)
        return SL__PLOT_PDF;
    return -1;
}

const char *sl__plot_mime(int format)
{
    return format == SL__PLOT_PNG   ? "image/png"
           : format == SL__PLOT_PDF ? "application/pdf"
                                    : "image/svg+xml";
}

/* Text for PLplot: '#' is its escape character (a layer "lif#1" would
 * start a command), control characters become '?'; cut to fit. */
static const char *ptext(char *buf, size_t len, const char *s)
{
    size_t o = 0;
    for (; s && *s && o + 3 < len; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '#')
            buf[o++] = '#';
        buf[o++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    buf[o] = '\0';
    return buf;
}

/* PLplot's drivers are plugins of its own; a missing one (no
 * plplot-driver-cairo) would make plinit ask on stdin, so ask first. */
static int device_available(const char *dev)
{
    const char *menu_v[128], *names_v[128];
    const char **menu = menu_v, **names = names_v;
    int n = 128;
    plgDevs(&menu, &names, &n);
    for (int i = 0; i < n; i++)
        if (names[i] && strcmp(names[i], dev) == 0)
            return 1;
    return 0;
}

typedef struct canvas {
    FILE *f;
    char *buf;
    size_t len;
} canvas;

/* Start a figure into memory; the lock is held until canvas_end. */
static int canvas_begin(canvas *c, const sl__plot_req *q, char *msg,
                        size_t len)
{
    int fmt = q->format >= 0 && q->format <= 2 ? q->format : 0;
    pthread_mutex_lock(&plot_lock);
    if (!device_available(devices[fmt])) {
        pthread_mutex_unlock(&plot_lock);
        snprintf(msg, len, "PLplot has no '%s' driver here (Debian: "
                 "apt-get install plplot-driver-cairo)", devices[fmt]);
        return 1;
    }
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    if (!c->f) {
        pthread_mutex_unlock(&plot_lock);
        snprintf(msg, len, "cannot draw: %s", strerror(errno));
        return 1;
    }
    int w = q->width > 0 ? q->width : 800, h = q->height > 0 ? q->height : 500;
    plsdev(devices[fmt]);
    plsfile(c->f); /* plend closes it */
    plspage(0, 0, w, h, 0, 0);
    plscmap0(pal_r, pal_g, pal_b, N_PAL);
    plinit();
    pladv(0);
    plschr(0, 0.9);
    plcol0(1);
    return 0;
}

/* End the figure: the bytes are in c->buf (owned by the caller). */
static int canvas_end(canvas *c, char **data, size_t *size, char *msg,
                      size_t len)
{
    plend(); /* closes c->f: c->buf and c->len are final */
    pthread_mutex_unlock(&plot_lock);
    if (!c->buf || c->len == 0) {
        free(c->buf);
        snprintf(msg, len, "PLplot wrote nothing");
        return 1;
    }
    *data = c->buf;
    *size = c->len;
    return 0;
}

/* A finite range with a margin; a flat or empty one gets a width. */
static void pad_range(double *lo, double *hi, double frac)
{
    if (!isfinite(*lo) || !isfinite(*hi) || *lo > *hi) {
        *lo = 0;
        *hi = 1;
        return;
    }
    double d = *hi - *lo;
    if (d <= fabs(*hi) * 1e-12 || d == 0) {
        double a = fabs(*hi) > 0 ? fabs(*hi) * 0.1 : 1;
        *lo -= a;
        *hi += a;
        return;
    }
    *lo -= d * frac;
    *hi += d * frac;
}

/* The frame: viewport (narrower with a legend beside it), window, box,
 * labels. */
static void frame(double x0, double x1, double y0, double y1, int logy,
                  int legend, const char *xl, const char *yl,
                  const char *title, const char *xopt)
{
    char a[256], b[256], t[512];
    plcol0(1);
    plvpor(0.12, legend ? 0.76 : 0.95, 0.13, 0.90);
    plwind(x0, x1, y0, y1);
    plbox(xopt ? xopt : "bcnst", 0, 0, logy ? "bcnstvl" : "bcnstv", 0, 0);
    pllab(ptext(a, sizeof a, xl), ptext(b, sizeof b, yl),
          ptext(t, sizeof t, title));
}

static void legend(size_t n, const char *const *labels, const int *colours,
                   int points)
{
    PLINT opt[MAX_SERIES], tc[MAX_SERIES], lc[MAX_SERIES], ls[MAX_SERIES],
        sc[MAX_SERIES], sn[MAX_SERIES];
    PLFLT lw[MAX_SERIES], ss[MAX_SERIES];
    char text[MAX_SERIES][128];
    const char *tp[MAX_SERIES], *sym[MAX_SERIES];
    if (n > MAX_SERIES)
        n = MAX_SERIES;
    for (size_t i = 0; i < n; i++) {
        opt[i] = points ? PL_LEGEND_SYMBOL : PL_LEGEND_LINE;
        tc[i] = 1;
        lc[i] = sc[i] = colours[i];
        ls[i] = 1;
        lw[i] = 1.5;
        ss[i] = 1;
        sn[i] = 3;
        sym[i] = "•";
        tp[i] = ptext(text[i], sizeof text[i], labels[i]);
    }
    PLFLT w, h;
    plcol0(1);
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             PL_POSITION_RIGHT | PL_POSITION_OUTSIDE | PL_POSITION_TOP,
             0.02, 0.0, 0.06, 0, 1, 1, 0, 0, (PLINT)n, opt, 0.8, 0.7, 2.0,
             0.0, tc, tp, NULL, NULL, NULL, NULL, lc, ls, lw, sc, ss, sn,
             sym);
}

/* ---- reading what a run recorded ------------------------------------- */

typedef struct dvec {
    double *v;
    size_t n, cap;
} dvec;

static int dvec_push(dvec *d, double x)
{
    if (d->n == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 256;
        double *v = realloc(d->v, cap * sizeof *v);
        if (!v)
            return SL_ENOMEM;
        d->v = v;
        d->cap = cap;
    }
    d->v[d->n++] = x;
    return 0;
}

typedef struct curve {
    dvec x, y;
} curve;

static int metric_row(void *user, const char *name, int64_t step,
                      double value, double wall)
{
    curve *c = user;
    (void)name;
    (void)wall;
    if (dvec_push(&c->x, (double)step) || dvec_push(&c->y, value))
        return SL_ENOMEM;
    return 0;
}

typedef struct name_list {
    sl__strv names, mimes;
    int err;
} name_list;

static int add_metric_name(void *user, const char *name, int64_t step,
                           double v)
{
    (void)step;
    (void)v;
    return sl__strv_add(&((name_list *)user)->names, name);
}

static int add_artifact(void *user, const sl_artifact_info *a)
{
    name_list *l = user;
    if (!a->in_db) /* a file we do not read here */
        return 0;
    if (sl__strv_add(&l->names, a->name) || sl__strv_add(&l->mimes, a->mime))
        return SL_ENOMEM;
    return 0;
}

typedef struct result_list {
    sl__strv names;
    dvec values;
} result_list;

static int add_result(void *user, const char *name, double v,
                      const char *text)
{
    result_list *l = user;
    (void)text;
    if (sl__strv_add(&l->names, name) || dvec_push(&l->values, v))
        return SL_ENOMEM;
    return 0;
}

typedef struct param_pick {
    const char *key;
    double num;
} param_pick;

static int pick_param(void *user, const char *key, const char *alias,
                      const char *type, const char *text, double num)
{
    param_pick *p = user;
    (void)alias;
    (void)type;
    (void)text;
    if (strcmp(key, p->key) == 0)
        p->num = num;
    return 0;
}

/* The run's time step in seconds (network.dt), NaN when not recorded. */
static double run_dt(sl_rundb *db, int64_t run)
{
    param_pick p = {"network.dt", NAN};
    if (sl_rundb_params(db, run, pick_param, &p))
        return NAN;
    return p.num > 0 && isfinite(p.num) ? p.num : NAN;
}

/* Append "a, b, c" of l's names (those starting with prefix, shown
 * without it) to msg. */
static void list_choices(char *msg, size_t len, const sl__strv *l,
                         const char *prefix, const char *suffix)
{
    size_t used = strlen(msg), pl = prefix ? strlen(prefix) : 0, k = 0;
    for (size_t i = 0; i < l->n && used + 1 < len; i++) {
        const char *s = l->v[i];
        if (pl && strncmp(s, prefix, pl) != 0)
            continue;
        size_t sl = strlen(s + pl), xl = suffix ? strlen(suffix) : 0;
        if (xl && (sl < xl || strcmp(s + pl + sl - xl, suffix) != 0))
            continue;
        int w = snprintf(msg + used, len - used, "%s%.*s", k ? ", " : "",
                         (int)(sl - xl), s + pl);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
        k++;
    }
    if (k == 0 && used + 1 < len)
        snprintf(msg + used, len - used, "none");
}

/* ---- curves ---------------------------------------------------------- */

/* Draw one series, broken where a value is not finite (or not positive
 * on a log axis), at most max_points points: beyond that, the min and
 * the max of each bucket in their order (the envelope stays). */
static void draw_series(const double *x, const double *y, size_t n,
                        int logy, int max_points, PLFLT *px, PLFLT *py)
{
    size_t bucket = 1;
    if (max_points > 0 && n > (size_t)max_points)
        bucket = (n + (size_t)max_points / 2 - 1) / ((size_t)max_points / 2);
    size_t m = 0;
    for (size_t b = 0; b < n; b += bucket) {
        size_t e = b + bucket < n ? b + bucket : n, lo = b, hi = b;
        int brk = 0;
        for (size_t i = b; i < e; i++) {
            double v = y[i];
            if (!isfinite(v) || (logy && v <= 0)) {
                brk = 1;
                continue;
            }
            if (!isfinite(y[lo]) || (logy && y[lo] <= 0) || v < y[lo])
                lo = i;
            if (!isfinite(y[hi]) || (logy && y[hi] <= 0) || v > y[hi])
                hi = i;
        }
        size_t pick[2] = {lo < hi ? lo : hi, lo < hi ? hi : lo};
        for (int k = 0; k < (pick[0] == pick[1] ? 1 : 2); k++) {
            double v = y[pick[k]];
            if (!isfinite(v) || (logy && v <= 0))
                continue;
            px[m] = x[pick[k]];
            py[m] = logy ? log10(v) : v;
            m++;
        }
        if (brk || b + bucket >= n) {
            if (m == 1)
                plpoin(1, px, py, 17);
            else if (m > 1)
                plline((PLINT)m, px, py);
            m = 0;
        }
    }
}

static const char *metric_unit(const char *name)
{
    if (strstr(name, "frr"))
        return "ratio";
    if (strstr(name, "accuracy"))
        return "fraction";
    if (strstr(name, "spikes"))
        return "spikes";
    return "1";
}

static int plot_curves(sl_rundb *db, const int64_t *ids, size_t n,
                       const char *metric, const sl__plot_req *q,
                       char **data, size_t *size, char *msg, size_t len)
{
    curve c[MAX_SERIES];
    char labels[MAX_SERIES][96];
    const char *lp[MAX_SERIES];
    int colours[MAX_SERIES];
    if (n > MAX_SERIES) {
        snprintf(msg, len, "at most %d runs in one figure", MAX_SERIES);
        return 2;
    }
    memset(c, 0, sizeof c);
    int status = 0;
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    size_t maxn = 0;
    for (size_t i = 0; i < n && !status; i++) {
        int rc = sl_rundb_metrics(db, ids[i], metric, metric_row, &c[i]);
        if (rc) {
            snprintf(msg, len, "%s", rc == SL_ENOMEM ? "out of memory"
                                                     : sl_rundb_errmsg(db));
            status = 1;
            break;
        }
        if (c[i].x.n == 0) {
            name_list nl = {0};
            snprintf(msg, len, "run %lld recorded no metric '%s'; it has: ",
                     (long long)ids[i], metric);
            if (sl_rundb_final_metrics(db, ids[i], add_metric_name, &nl) == 0)
                list_choices(msg, len, &nl.names, NULL, NULL);
            sl__strv_free(&nl.names);
            status = 2;
            break;
        }
        const sl_run_info *r;
        if (sl_rundb_run(db, ids[i], &r) == 0)
            snprintf(labels[i], sizeof labels[i], "%lld %s",
                     (long long)ids[i], r->name);
        else
            snprintf(labels[i], sizeof labels[i], "%lld", (long long)ids[i]);
        lp[i] = labels[i];
        colours[i] = series_colour(i);
        if (c[i].x.n > maxn)
            maxn = c[i].x.n;
        for (size_t k = 0; k < c[i].x.n; k++) {
            double v = c[i].y.v[k];
            if (c[i].x.v[k] < x0)
                x0 = c[i].x.v[k];
            if (c[i].x.v[k] > x1)
                x1 = c[i].x.v[k];
            if (!isfinite(v) || (q->logy && v <= 0))
                continue;
            v = q->logy ? log10(v) : v;
            if (v < y0)
                y0 = v;
            if (v > y1)
                y1 = v;
        }
    }
    PLFLT *px = NULL, *py = NULL;
    if (!status && (!(px = malloc((maxn + 2) * sizeof *px)) ||
                    !(py = malloc((maxn + 2) * sizeof *py)))) {
        snprintf(msg, len, "out of memory");
        status = 1;
    }
    canvas cv;
    if (!status && !(status = canvas_begin(&cv, q, msg, len))) {
        if (x0 == x1) {
            x0 -= 1;
            x1 += 1;
        }
        pad_range(&y0, &y1, 0.04);
        char yl[160];
        snprintf(yl, sizeof yl, "%s (%s)", metric, metric_unit(metric));
        frame(x0, x1, y0, y1, q->logy, n > 1, "epoch", yl, metric, NULL);
        plwidth(1.5);
        for (size_t i = 0; i < n; i++) {
            plcol0(colours[i]);
            draw_series(c[i].x.v, c[i].y.v, c[i].x.n, q->logy,
                        q->max_points > 0 ? q->max_points : 4000, px, py);
        }
        plwidth(1);
        if (n > 1)
            legend(n, lp, colours, 0);
        status = canvas_end(&cv, data, size, msg, len);
    }
    free(px);
    free(py);
    for (size_t i = 0; i < n; i++) {
        free(c[i].x.v);
        free(c[i].y.v);
    }
    return status;
}

/* ---- rasters and traces ---------------------------------------------- */

typedef struct array {
    const float *v;
    size_t time, channels;
    char unit[64];
} array;

/* The artifact name of run as a [time][channels] array (a leading batch
 * extent of 1 dropped): 0, 1 (database) or 2 (not there / not such an
 * array) with msg. The values are borrowed until the next read on db. */
static int read_array(sl_rundb *db, int64_t run, const char *name,
                      const name_list *have, array *a, char *msg, size_t len)
{
    size_t k;
    for (k = 0; k < have->names.n; k++)
        if (strcmp(have->names.v[k], name) == 0)
            break;
    if (k == have->names.n) {
        snprintf(msg, len, "run %lld has no artifact %s", (long long)run,
                 name);
        return 2;
    }
    a->unit[0] = '\0';
    const char *mime = have->mimes.v[k], *u = strstr(mime, "unit=");
    if (u)
        snprintf(a->unit, sizeof a->unit, "%s", u + 5);
    const void *bytes;
    size_t size, shape[SL__NPY_MAX_DIM], nd;
    int rc = sl_rundb_artifact(db, run, name, &bytes, &size);
    if (rc) {
        snprintf(msg, len, "%s", sl_rundb_errmsg(db));
        return rc == SL_ENOTFOUND ? 2 : 1;
    }
    const float *v = sl__npy_f32_shape(bytes, size, shape, SL__NPY_MAX_DIM,
                                       &nd);
    if (v && nd == 3 && shape[0] == 1) {
        shape[0] = shape[1];
        shape[1] = shape[2];
        nd = 2;
    }
    if (!v || nd != 2) {
        snprintf(msg, len, "%s of run %lld is not a float32 [time][channels] "
                 ".npy array", name, (long long)run);
        return 2;
    }
    a->v = v;
    a->time = shape[0];
    a->channels = shape[1];
    return 0;
}

static int plot_raster(sl_rundb *db, int64_t run, const name_list *have,
                       const char *layer, const sl__plot_req *q, char **data,
                       size_t *size, char *msg, size_t len)
{
    char name[512], title[600];
    array a;
    int rc;
    if (!layer) { /* the input */
        size_t k;
        for (k = 0; k < have->names.n; k++)
            if (strncmp(have->names.v[k], "inputs/", 7) == 0)
                break;
        if (k == have->names.n) {
            snprintf(msg, len, "run %lld recorded no input (run with "
                     "--traces, or record = true on a layer)",
                     (long long)run);
            return 2;
        }
        snprintf(name, sizeof name, "%s", have->names.v[k]);
        snprintf(title, sizeof title, "run %lld: input (%s)",
                 (long long)run, name);
    } else {
        snprintf(name, sizeof name, "traces/%s/spikes.npy", layer);
        size_t k;
        for (k = 0; k < have->names.n; k++)
            if (strcmp(have->names.v[k], name) == 0)
                break;
        if (k == have->names.n)
            snprintf(name, sizeof name, "traces/%s/output.npy", layer);
        snprintf(title, sizeof title, "run %lld: spikes of %s",
                 (long long)run, layer);
    }
    if ((rc = read_array(db, run, name, have, &a, msg, len))) {
        if (rc == 2 && layer) {
            size_t used = strlen(msg);
            snprintf(msg + used, len - used, "; recorded layers: ");
            list_choices(msg, len, &have->names, "traces/", "/output.npy");
        }
        return rc;
    }
    double dt = run_dt(db, run), scale = isfinite(dt) ? dt * 1e3 : 1;
    size_t nsp = 0;
    for (size_t i = 0; i < a.time * a.channels; i++)
        nsp += a.v[i] > 0;
    PLFLT *px = malloc((nsp + 1) * sizeof *px), *py = malloc((nsp + 1) * sizeof *py);
    if (!px || !py) {
        free(px);
        free(py);
        snprintf(msg, len, "out of memory");
        return 1;
    }
    size_t m = 0;
    for (size_t t = 0; t < a.time; t++)
        for (size_t c = 0; c < a.channels; c++)
            if (a.v[t * a.channels + c] > 0) {
                px[m] = (double)t * scale;
                py[m++] = (double)c;
            }
    canvas cv;
    int status = canvas_begin(&cv, q, msg, len);
    if (!status) {
        double x1 = (double)(a.time ? a.time : 1) * scale;
        frame(0, x1, -0.5, (double)a.channels - 0.5, 0, 0,
              isfinite(dt) ? "time (ms)" : "time (steps)",
              layer ? "neuron (index)" : "input channel (index)", title,
              NULL);
        plcol0(2);
        /* a spike is a vertical stroke, the raster's usual mark, a row
         * high less a gap (one polyline each in SVG) */
        plwidth(a.channels > 40 ? 1.0 : 2.0);
        for (size_t k = 0; k < m; k++)
            pljoin(px[k], py[k] - 0.4, px[k], py[k] + 0.4);
        plwidth(1);
        char note[96];
        snprintf(note, sizeof note, "%zu spikes, %zu %s, %zu steps", nsp,
                 a.channels, layer ? "neurons" : "channels", a.time);
        plcol0(1);
        plmtex("t", 0.5, 1.0, 1.0, note);
        status = canvas_end(&cv, data, size, msg, len);
    }
    free(px);
    free(py);
    return status;
}

/* "0,3,5" or "0-7" (or both, "0-2,9") into idx; returns the count, -1
 * when malformed or out of range (msg says so). */
static int parse_neurons(const char *s, size_t channels, size_t *idx,
                         size_t max, char *msg, size_t len)
{
    size_t n = 0;
    if (!s) {
        for (size_t i = 0; i < channels && i < 8; i++)
            idx[n++] = i;
        return (int)n;
    }
    const char *p = s;
    while (*p) {
        char *e;
        errno = 0;
        unsigned long a = strtoul(p, &e, 10), b;
        if (e == p || errno || *p == '-')
            goto bad;
        b = a;
        if (*e == '-') {
            p = e + 1;
            b = strtoul(p, &e, 10);
            if (e == p || errno || *p == '-' || b < a)
                goto bad;
        }
        for (unsigned long i = a; i <= b; i++) {
            if (i >= channels) {
                snprintf(msg, len, "--neurons: neuron %lu, but the layer has "
                         "%zu (0..%zu)", i, channels,
                         channels ? channels - 1 : 0);
                return -1;
            }
            if (n == max) {
                snprintf(msg, len, "--neurons: at most %zu neurons in one "
                         "figure", max);
                return -1;
            }
            idx[n++] = i;
        }
        if (*e == ',')
            e++;
        else if (*e)
            goto bad;
        p = e;
    }
    if (n)
        return (int)n;
bad:
    snprintf(msg, len, "--neurons '%s': expected indices like 0,3,5 or 0-7",
             s);
    return -1;
}

static int plot_trace(sl_rundb *db, int64_t run, const name_list *have,
                      const char *spec, const sl__plot_req *q, char **data,
                      size_t *size, char *msg, size_t len)
{
    char name[512], title[600], obs[256];
    const char *slash = strrchr(spec, '/');
    if (!slash || slash == spec || !slash[1]) {
        snprintf(msg, len, "trace:LAYER/NAME, e.g. trace:dynapsim/vmem; "
                 "recorded: ");
        list_choices(msg, len, &have->names, "traces/", ".npy");
        return 2;
    }
    snprintf(name, sizeof name, "traces/%s.npy", spec);
    snprintf(obs, sizeof obs, "%s", slash + 1);
    array a;
    int rc = read_array(db, run, name, have, &a, msg, len);
    if (rc) {
        if (rc == 2) {
            size_t used = strlen(msg);
            snprintf(msg + used, len - used, "; recorded: ");
            list_choices(msg, len, &have->names, "traces/", ".npy");
        }
        return rc;
    }
    size_t idx[MAX_TRACE_NEURONS];
    int nn = parse_neurons(q->neurons, a.channels, idx, MAX_TRACE_NEURONS,
                           msg, len);
    if (nn < 0)
        return 2;
    if (nn == 0) {
        snprintf(msg, len, "%s has no channels", name);
        return 2;
    }
    double dt = run_dt(db, run), scale = isfinite(dt) ? dt * 1e3 : 1;
    PLFLT *px = malloc((a.time + 1) * sizeof *px),
          *py = malloc((a.time + 1) * sizeof *py);
    double *x = malloc((a.time + 1) * sizeof *x),
           *y = malloc((a.time + 1) * sizeof *y);
    int status = 0;
    if (!px || !py || !x || !y) {
        snprintf(msg, len, "out of memory");
        status = 1;
    }
    double y0 = INFINITY, y1 = -INFINITY;
    for (int j = 0; !status && j < nn; j++)
        for (size_t t = 0; t < a.time; t++) {
            double v = a.v[t * a.channels + idx[j]];
            if (isfinite(v) && v < y0)
                y0 = v;
            if (isfinite(v) && v > y1)
                y1 = v;
        }
    canvas cv;
    if (!status && !(status = canvas_begin(&cv, q, msg, len))) {
        char yl[400], labels[MAX_TRACE_NEURONS][32];
        const char *lp[MAX_TRACE_NEURONS];
        int colours[MAX_TRACE_NEURONS];
        snprintf(yl, sizeof yl, "%s (%s)", obs,
                 a.unit[0] ? a.unit : "a.u.");
        snprintf(title, sizeof title, "run %lld: %s", (long long)run, spec);
        pad_range(&y0, &y1, 0.04);
        frame(0, (double)(a.time > 1 ? a.time - 1 : 1) * scale, y0, y1, 0,
              1, isfinite(dt) ? "time (ms)" : "time (steps)", yl, title,
              NULL);
        plwidth(1.5);
        for (int j = 0; j < nn; j++) {
            for (size_t t = 0; t < a.time; t++) {
                x[t] = (double)t * scale;
                y[t] = a.v[t * a.channels + idx[j]];
            }
            colours[j] = series_colour((size_t)j);
            plcol0(colours[j]);
            draw_series(x, y, a.time, 0, 0, px, py);
            snprintf(labels[j], sizeof labels[j], "neuron %zu", idx[j]);
            lp[j] = labels[j];
        }
        plwidth(1);
        legend((size_t)nn, lp, colours, 0);
        status = canvas_end(&cv, data, size, msg, len);
    }
    free(px);
    free(py);
    free(x);
    free(y);
    return status;
}

/* probe:Y[,Y2...][@X] — probes of a simulate run (artifacts probes/NAME,
 * [steps][dims]; the first dimension of each) over time, or over the
 * probe X (a sweep such as softlif_curve's current: the tuning curve). */
#define MAX_PROBES 8
static int plot_probe(sl_rundb *db, int64_t run, const name_list *have,
                      const char *spec, const sl__plot_req *q, char **data,
                      size_t *size, char *msg, size_t len)
{
    char ys[512], name[600], title[600], yl[520];
    snprintf(ys, sizeof ys, "%s", spec);
    char *at = strchr(ys, '@');
    const char *xname = at ? at + 1 : NULL;
    if (at)
        *at = '\0';
    const char *yn[MAX_PROBES];
    size_t ny = 0;
    char *save = NULL;
    for (char *t = strtok_r(ys, ",", &save); t && ny < MAX_PROBES;
         t = strtok_r(NULL, ",", &save))
        yn[ny++] = t;
    if (ny == 0 || (xname && !*xname)) {
        snprintf(msg, len, "probe:NAME[,NAME...][@XNAME], e.g. "
                 "probe:rate_lif,rate_softlif@current; recorded: ");
        list_choices(msg, len, &have->names, "probes/", NULL);
        return 2;
    }
    size_t T = 0;
    double *x = NULL, *y = NULL;
    PLFLT *px = NULL, *py = NULL;
    int status = 0;
    array a;
    double dt = run_dt(db, run), scale = isfinite(dt) ? dt * 1e3 : 1;
    /* read each probe's first dimension into y[j·T ...] (copies: an
     * array is borrowed until the next read), the x probe into x */
    for (size_t j = 0; j <= ny && !status; j++) {
        const char *pn = j < ny ? yn[j] : xname;
        if (!pn)
            break;
        snprintf(name, sizeof name, "probes/%s", pn);
        int rc = read_array(db, run, name, have, &a, msg, len);
        if (rc) {
            if (rc == 2) {
                size_t used = strlen(msg);
                snprintf(msg + used, len - used, "; recorded: ");
                list_choices(msg, len, &have->names, "probes/", NULL);
            }
            status = rc;
            break;
        }
        if (j == 0) {
            T = a.time;
            x = malloc((T + 1) * sizeof *x);
            y = malloc((T + 1) * ny * sizeof *y);
            px = malloc((T + 1) * sizeof *px);
            py = malloc((T + 1) * sizeof *py);
            if (!x || !y || !px || !py) {
                snprintf(msg, len, "out of memory");
                status = 1;
                break;
            }
            for (size_t t = 0; t < T; t++)
                x[t] = (double)t * scale;
        }
        if (a.time != T) {
            snprintf(msg, len, "probe %s has %zu steps, %s %zu", pn, a.time,
                     yn[0], T);
            status = 2;
            break;
        }
        for (size_t t = 0; t < T; t++)
            (j < ny ? y + j * T : x)[t] = a.v[t * a.channels];
    }
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t t = 0; !status && t < T; t++) {
        if (isfinite(x[t]) && x[t] < x0)
            x0 = x[t];
        if (isfinite(x[t]) && x[t] > x1)
            x1 = x[t];
        for (size_t j = 0; j < ny; j++) {
            double v = y[j * T + t];
            if (isfinite(v) && v < y0)
                y0 = v;
            if (isfinite(v) && v > y1)
                y1 = v;
        }
    }
    canvas cv;
    if (!status && !(status = canvas_begin(&cv, q, msg, len))) {
        const char *lp[MAX_PROBES];
        int colours[MAX_PROBES];
        size_t used = 0;
        yl[0] = '\0';
        for (size_t j = 0; j < ny && used < sizeof yl; j++)
            used += (size_t)snprintf(yl + used, sizeof yl - used, "%s%s",
                                     j ? ", " : "", yn[j]);
        snprintf(title, sizeof title, "run %lld: %s", (long long)run, spec);
        pad_range(&y0, &y1, 0.04);
        if (!(x0 < x1))
            x0 = 0, x1 = 1;
        frame(x0, x1, y0, y1, 0, 1,
              xname ? xname : isfinite(dt) ? "time (ms)" : "time (steps)",
              yl, title, NULL);
        plwidth(1.5);
        for (size_t j = 0; j < ny; j++) {
            colours[j] = series_colour(j);
            plcol0(colours[j]);
            draw_series(x, y + j * T, T, 0, 0, px, py);
            lp[j] = yn[j];
        }
        plwidth(1);
        legend(ny, lp, colours, 0);
        status = canvas_end(&cv, data, size, msg, len);
    }
    free(x);
    free(y);
    free(px);
    free(py);
    return status;
}

/* ---- evaluations ----------------------------------------------------- */

/* Results "<prefix><data>_<what><suffix>": the groups (prefix + data)
 * that have what, in the order initial_, final, quantised_ per data. */
typedef struct category {
    char label[96], key[128];
    double stat[5]; /* min q25 median q75 max; NaN when absent */
    dvec samples;
    size_t n_inf;
} category;

static int category_of(const char *name, const char *what, char *key,
                       size_t klen, const char **rest)
{
    const char *w = strstr(name, what);
    /* the last occurrence: a dataset may be called "frr_x" */
    for (const char *p = w; p; p = strstr(p + 1, what))
        w = p;
    if (!w || w == name || w[-1] != '_')
        return 0;
    size_t k = (size_t)(w - 1 - name);
    if (k + 1 > klen)
        return 0;
    memcpy(key, name, k);
    key[k] = '\0';
    *rest = w + strlen(what);
    return 1;
}

static int cat_find(category *c, size_t *n, const char *key)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(c[i].key, key) == 0)
            return (int)i;
    if (*n == MAX_CATS)
        return -1;
    category *x = &c[(*n)++];
    memset(x, 0, sizeof *x);
    snprintf(x->key, sizeof x->key, "%s", key);
    for (int s = 0; s < 5; s++)
        x->stat[s] = NAN;
    const char *k = key, *stage = "final";
    if (strncmp(k, "initial_", 8) == 0) {
        stage = "initial";
        k += 8;
    } else if (strncmp(k, "quantised_", 10) == 0) {
        stage = "quantised";
        k += 10;
    }
    snprintf(x->label, sizeof x->label, "%.80s %s", k, stage);
    return (int)(*n - 1);
}

static int cat_rank(const category *c)
{
    return strncmp(c->key, "initial_", 8) == 0     ? 0
           : strncmp(c->key, "quantised_", 10) == 0 ? 2
                                                    : 1;
}

static const char *cat_data(const category *c)
{
    const char *k = c->key;
    if (strncmp(k, "initial_", 8) == 0)
        return k + 8;
    if (strncmp(k, "quantised_", 10) == 0)
        return k + 10;
    return k;
}

static int cat_cmp(const void *a, const void *b)
{
    const category *x = a, *y = b;
    int d = strcmp(cat_data(x), cat_data(y));
    return d ? d : cat_rank(x) - cat_rank(y);
}

static int plot_eval(sl_rundb *db, int64_t run, int accuracy,
                     const sl__plot_req *q, char **data, size_t *size,
                     char *msg, size_t len)
{
    result_list rl = {0};
    category *cats = calloc(MAX_CATS, sizeof *cats);
    size_t nc = 0;
    int status = 0;
    if (!cats) {
        snprintf(msg, len, "out of memory");
        return 1;
    }
    int rc = sl_rundb_results(db, run, add_result, &rl);
    if (rc) {
        snprintf(msg, len, "%s", rc == SL_ENOMEM ? "out of memory"
                                                 : sl_rundb_errmsg(db));
        status = 1;
    }
    static const char *const stats[5] = {"min", "q25", "median", "q75", "max"};
    const char *what = accuracy ? "accuracy" : "frr_";
    for (size_t i = 0; !status && i < rl.names.n; i++) {
        char key[128];
        const char *rest;
        if (!category_of(rl.names.v[i], what, key, sizeof key, &rest))
            continue;
        if (accuracy && *rest)
            continue;
        int c = cat_find(cats, &nc, key);
        if (c < 0)
            break;
        double v = rl.values.v[i];
        if (accuracy) {
            cats[c].stat[2] = v;
            continue;
        }
        int s;
        for (s = 0; s < 5; s++)
            if (strcmp(rest, stats[s]) == 0)
                break;
        if (s < 5) {
            cats[c].stat[s] = v;
        } else if (*rest >= '0' && *rest <= '9' &&
                   strspn(rest, "0123456789") == strlen(rest)) {
            if (isinf(v))
                cats[c].n_inf++;
            else if (isfinite(v) && dvec_push(&cats[c].samples, v)) {
                snprintf(msg, len, "out of memory");
                status = 1;
            }
        }
    }
    if (!status && nc == 0) {
        snprintf(msg, len, "run %lld recorded no %s evaluation (evaluate = "
                 "({ metric = \"%s\"; ... }))", (long long)run,
                 accuracy ? "accuracy" : "FRR", accuracy ? "accuracy" : "frr");
        status = 2;
    }
    canvas cv;
    if (!status && !(status = canvas_begin(&cv, q, msg, len))) {
        qsort(cats, nc, sizeof *cats, cat_cmp);
        double y0 = accuracy ? 0 : INFINITY, y1 = accuracy ? 1 : -INFINITY;
        for (size_t i = 0; i < nc; i++) {
            for (int s = 0; s < 5; s++)
                if (isfinite(cats[i].stat[s])) {
                    y0 = fmin(y0, cats[i].stat[s]);
                    y1 = fmax(y1, cats[i].stat[s]);
                }
            for (size_t k = 0; k < cats[i].samples.n; k++) {
                y0 = fmin(y0, cats[i].samples.v[k]);
                y1 = fmax(y1, cats[i].samples.v[k]);
            }
        }
        pad_range(&y0, &y1, 0.06);
        if (accuracy && y0 < 0)
            y0 = 0;
        char title[160];
        snprintf(title, sizeof title, "run %lld: %s", (long long)run,
                 accuracy ? "accuracy of the evaluations"
                          : "FRR distributions of the evaluations");
        frame(0.5, (double)nc + 0.5, y0, y1, 0, 0, "evaluation",
              accuracy ? "accuracy (fraction)" : "FRR (ratio)", title,
              "bc");
        for (size_t i = 0; i < nc; i++) {
            category *c = &cats[i];
            double x = (double)i + 1, w = 0.28;
            char lab[160], t[200];
            if (c->n_inf)
                snprintf(lab, sizeof lab, "%s (%zu inf)", c->label,
                         c->n_inf);
            else
                snprintf(lab, sizeof lab, "%s", c->label);
            plcol0(1);
            plschr(0, nc > 6 ? 0.6 : 0.8);
            plmtex("b", 1.2 + 1.0 * (double)(nc > 6 ? i % 2 : 0),
                   ((double)i + 0.5) / (double)nc, 0.5,
                   ptext(t, sizeof t, lab));
            plschr(0, 0.9);
            plcol0(series_colour((size_t)cat_rank(c)));
            if (accuracy) {
                if (isfinite(c->stat[2])) {
                    PLFLT bx[4] = {x - w, x + w, x + w, x - w},
                          by[4] = {y0, y0, c->stat[2], c->stat[2]};
                    plfill(4, bx, by);
                }
                continue;
            }
            const double *s = c->stat;
            if (isfinite(s[0]) && isfinite(s[4]))
                pljoin(x, s[0], x, s[4]);
            for (int e = 0; e < 5; e += 4)
                if (isfinite(s[e]))
                    pljoin(x - w / 2, s[e], x + w / 2, s[e]);
            if (isfinite(s[1]) && isfinite(s[3])) {
                PLFLT bx[5] = {x - w, x + w, x + w, x - w, x - w},
                      by[5] = {s[1], s[1], s[3], s[3], s[1]};
                plline(5, bx, by);
            }
            if (isfinite(s[2])) {
                plwidth(3);
                pljoin(x - w, s[2], x + w, s[2]);
                plwidth(1);
            }
            for (size_t k = 0; k < c->samples.n; k++) {
                PLFLT px = x + w * 1.5, py = c->samples.v[k];
                plpoin(1, &px, &py, 4);
            }
        }
        status = canvas_end(&cv, data, size, msg, len);
    }
    for (size_t i = 0; i < nc; i++)
        free(cats[i].samples.v);
    free(cats);
    sl__strv_free(&rl.names);
    free(rl.values.v);
    return status;
}

/* ---- confusion matrices and the device's weights --------------------- */

#define CONF_PREFIX "evaluations/"
#define CONF_SUFFIX "_confusion.npy"
#define MAX_CLASSES 200
#define MAX_SCATTER 20000

/* Whether a run has results ending in end ("_accuracy", ...). */
static int has_result_ending(sl_rundb *db, int64_t run, const char *end)
{
    result_list rl = {0};
    int found = 0;
    if (sl_rundb_results(db, run, add_result, &rl) == 0)
        for (size_t i = 0; i < rl.names.n && !found; i++) {
            size_t l = strlen(rl.names.v[i]), e = strlen(end);
            found = l > e && strcmp(rl.names.v[i] + l - e, end) == 0;
        }
    sl__strv_free(&rl.names);
    free(rl.values.v);
    return found;
}

/* The artifact's index in have, have->names.n when absent. */
static size_t artifact_index(const name_list *have, const char *name)
{
    size_t k;
    for (k = 0; k < have->names.n; k++)
        if (strcmp(have->names.v[k], name) == 0)
            break;
    return k;
}

static int is_conf(const char *name)
{
    size_t l = strlen(name), p = strlen(CONF_PREFIX), x = strlen(CONF_SUFFIX);
    return l > p + x && strncmp(name, CONF_PREFIX, p) == 0 &&
           strcmp(name + l - x, CONF_SUFFIX) == 0;
}

/* A final evaluation's matrix: no initial_ or quantised_ prefix. */
static int conf_is_final(const char *name)
{
    const char *k = name + strlen(CONF_PREFIX);
    return strncmp(k, "initial_", 8) != 0 && strncmp(k, "quantised_", 10) != 0;
}

/* confusion[:DATA] — the confusion matrix an accuracy evaluation recorded
 * (evaluations/DATA_confusion.npy, int64 [true][predicted]; DATA with
 * its prefix, as the results are named: test, initial_test,
 * quantised_test, test_spiking): a heat map with the count in every
 * cell, class 0 at the top left. */
static int plot_confusion(sl_rundb *db, int64_t run, const name_list *have,
                          const char *spec, const sl__plot_req *q,
                          char **data, size_t *size, char *msg, size_t len)
{
    char name[600], title[700];
    size_t k = have->names.n;
    if (spec) {
        snprintf(name, sizeof name, "%s%s%s", CONF_PREFIX, spec, CONF_SUFFIX);
        k = artifact_index(have, name);
    } else { /* the first final evaluation's, else the first */
        for (size_t i = 0; i < have->names.n && k == have->names.n; i++)
            if (is_conf(have->names.v[i]) && conf_is_final(have->names.v[i]))
                k = i;
        for (size_t i = 0; i < have->names.n && k == have->names.n; i++)
            if (is_conf(have->names.v[i]))
                k = i;
    }
    if (k == have->names.n) {
        int any = 0;
        for (size_t i = 0; i < have->names.n; i++)
            any |= is_conf(have->names.v[i]);
        if (any) {
            snprintf(msg, len, "run %lld has no confusion matrix of '%s'; "
                     "recorded: ", (long long)run, spec ? spec : "");
            list_choices(msg, len, &have->names, CONF_PREFIX, CONF_SUFFIX);
        } else if (has_result_ending(db, run, "_accuracy")) {
            snprintf(msg, len, "run %lld recorded no confusion matrix (it "
                     "was recorded before spikelab kept them); `spikelab "
                     "rerun %lld` runs it again and records one",
                     (long long)run, (long long)run);
        } else {
            snprintf(msg, len, "run %lld recorded no confusion matrix: only "
                     "an accuracy evaluation records one; run the "
                     "experiment with evaluate = ({ data = \"test\"; "
                     "metric = \"accuracy\"; });", (long long)run);
        }
        return 2;
    }
    snprintf(name, sizeof name, "%s", have->names.v[k]);
    const void *bytes;
    size_t bsize, shape[SL__NPY_MAX_DIM], nd;
    int rc = sl_rundb_artifact(db, run, name, &bytes, &bsize);
    if (rc) {
        snprintf(msg, len, "%s", sl_rundb_errmsg(db));
        return rc == SL_ENOTFOUND ? 2 : 1;
    }
    const unsigned char *v = sl__npy_i64_shape(bytes, bsize, shape,
                                               SL__NPY_MAX_DIM, &nd);
    if (!v || nd != 2 || shape[0] == 0 || shape[1] == 0 ||
        shape[0] > MAX_CLASSES || shape[1] > MAX_CLASSES) {
        snprintf(msg, len, "%s of run %lld is not an int64 [true][predicted]"
                 " .npy array of 1 to %d classes", name, (long long)run,
                 MAX_CLASSES);
        return 2;
    }
    size_t rows = shape[0], cols = shape[1];
    int64_t *c = malloc(rows * cols * sizeof *c);
    if (!c) {
        snprintf(msg, len, "out of memory");
        return 1;
    }
    memcpy(c, v, rows * cols * sizeof *c); /* v need not be aligned */
    int64_t total = 0, diag = 0, max = 0;
    for (size_t i = 0; i < rows * cols; i++) {
        /* a count past 2^52 could not be a sample count either */
        if (c[i] < 0 || c[i] > ((int64_t)1 << 52)) {
            free(c);
            snprintf(msg, len, "%s of run %lld holds an impossible count",
                     name, (long long)run);
            return 2;
        }
        total += c[i];
        if (c[i] > max)
            max = c[i];
    }
    for (size_t i = 0; i < rows && i < cols; i++)
        diag += c[i * cols + i];
    /* the evaluation: the name between the prefix and the suffix */
    size_t el = strlen(name) - strlen(CONF_PREFIX) - strlen(CONF_SUFFIX);
    snprintf(title, sizeof title, "run %lld: confusion matrix of %.*s",
             (long long)run, (int)el, name + strlen(CONF_PREFIX));
    canvas cv;
    int status = canvas_begin(&cv, q, msg, len);
    if (!status) {
        char a[64], t2[720];
        /* white to dark blue by count (colour map 1) */
        PLFLT pos[2] = {0, 1}, r1[2] = {1, 0.03}, g1[2] = {1, 0.19},
              b1[2] = {1, 0.42};
        plscmap1l(1, 2, pos, r1, g1, b1, NULL);
        plcol0(1);
        /* square cells */
        plvpas(0.12, 0.95, 0.13, 0.86, (double)rows / (double)cols);
        /* y runs down: the true class 0 is the top row */
        plwind(-0.5, (double)cols - 0.5, (double)rows - 0.5, -0.5);
        size_t big = rows > cols ? rows : cols;
        double tick = big <= 20 ? 1 : 0;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < cols; j++) {
                int64_t n = c[i * cols + j];
                double f = max > 0 ? (double)n / (double)max : 0;
                PLFLT x0 = (double)j - 0.5, x1 = (double)j + 0.5,
                      y0 = (double)i - 0.5, y1 = (double)i + 0.5;
                PLFLT bx[4] = {x0, x1, x1, x0}, by[4] = {y0, y0, y1, y1};
                plcol1(f);
                plfill(4, bx, by);
                if (big <= 30) { /* the counts, while they fit */
                    plcol0(f > 0.5 ? 0 : 1); /* white on dark cells */
                    plschr(0, big <= 10 ? 0.9 : 0.5);
                    snprintf(a, sizeof a, "%lld", (long long)n);
                    plptex((double)j, (double)i + 0.1, 1, 0, 0.5, a);
                }
            }
        plschr(0, 0.9);
        plcol0(1);
        plbox("bcnst", tick, tick > 0, "bcnstv", tick, tick > 0);
        pllab("predicted class (index)", "true class (index)", "");
        plmtex("t", 2.2, 0.5, 0.5, ptext(t2, sizeof t2, title));
        snprintf(t2, sizeof t2, "%lld samples, %lld on the diagonal "
                 "(accuracy %.4f)", (long long)total, (long long)diag,
                 total > 0 ? (double)diag / (double)total : 0.0);
        plmtex("t", 0.8, 0.5, 0.5, t2);
        status = canvas_end(&cv, data, size, msg, len);
    }
    free(c);
    return status;
}

/* quantisation — the weights the device got against the trained float
 * ones (artifacts quantisation/LAYER/PARAM.npy, float32 [2][...]), one
 * colour per tensor, with the identity line: a point off it was rounded,
 * one on the x axis dropped. */
#define MAX_QTENSORS 12
static int plot_quantisation(sl_rundb *db, int64_t run,
                             const name_list *have, const sl__plot_req *q,
                             char **data, size_t *size, char *msg,
                             size_t len)
{
    size_t idx[MAX_QTENSORS], nt = 0;
    for (size_t i = 0; i < have->names.n && nt < MAX_QTENSORS; i++)
        if (strncmp(have->names.v[i], "quantisation/", 13) == 0)
            idx[nt++] = i;
    if (nt == 0) {
        int device = 0;
        for (size_t i = 0; i < have->names.n; i++)
            device |= strncmp(have->names.v[i], "device/", 7) == 0;
        if (device)
            snprintf(msg, len, "run %lld recorded no device weights (it "
                     "was recorded before spikelab kept them); `spikelab "
                     "rerun %lld` runs it again and records them",
                     (long long)run, (long long)run);
        else
            snprintf(msg, len, "run %lld has no device export: run an "
                     "experiment with an export section, e.g. export = { "
                     "type = \"dynapse2\"; }; (experiments/"
                     "frozen_noise_dynapsim.cfg)", (long long)run);
        return 2;
    }
    /* copies of every tensor's pairs (an artifact is borrowed until the
     * next read) */
    dvec fx[MAX_QTENSORS], qy[MAX_QTENSORS];
    char labels[MAX_QTENSORS][128];
    const char *lp[MAX_QTENSORS];
    int colours[MAX_QTENSORS];
    memset(fx, 0, sizeof fx);
    memset(qy, 0, sizeof qy);
    int status = 0;
    size_t total = 0, dropped = 0;
    double lo = INFINITY, hi = -INFINITY, se = 0;
    for (size_t t = 0; t < nt && !status; t++) {
        const char *name = have->names.v[idx[t]];
        const void *bytes;
        size_t bsize, shape[SL__NPY_MAX_DIM], nd;
        int rc = sl_rundb_artifact(db, run, name, &bytes, &bsize);
        if (rc) {
            snprintf(msg, len, "%s", sl_rundb_errmsg(db));
            status = rc == SL_ENOTFOUND ? 2 : 1;
            break;
        }
        const float *v = sl__npy_f32_shape(bytes, bsize, shape,
                                           SL__NPY_MAX_DIM, &nd);
        if (!v || nd < 2 || shape[0] != 2) {
            snprintf(msg, len, "%s of run %lld is not a float32 [2][...] "
                     ".npy array (float, device)", name, (long long)run);
            status = 2;
            break;
        }
        size_t n = 1;
        for (size_t d = 1; d < nd; d++)
            n *= shape[d];
        for (size_t i = 0; i < n && !status; i++) {
            double a = v[i], b = v[n + i];
            if (!isfinite(a) || !isfinite(b))
                continue;
            if (dvec_push(&fx[t], a) || dvec_push(&qy[t], b)) {
                snprintf(msg, len, "out of memory");
                status = 1;
            }
            lo = fmin(lo, fmin(a, b));
            hi = fmax(hi, fmax(a, b));
            se += (a - b) * (a - b);
            dropped += a != 0 && b == 0;
        }
        total += fx[t].n;
        /* "quantisation/LAYER/PARAM.npy" → "LAYER/PARAM (n)" */
        size_t nl = strlen(name);
        snprintf(labels[t], sizeof labels[t], "%.*s (%zu)",
                 (int)(nl > 17 ? nl - 17 : 0), name + 13, fx[t].n);
        lp[t] = labels[t];
        colours[t] = series_colour(t);
    }
    canvas cv;
    if (!status && !(status = canvas_begin(&cv, q, msg, len))) {
        char title[160], note[160];
        pad_range(&lo, &hi, 0.04);
        snprintf(title, sizeof title, "run %lld: device weights against "
                 "the trained ones", (long long)run);
        frame(lo, hi, lo, hi, 0, 1, "float weight (1)",
              "quantised weight on the device (1)", title, NULL);
        /* the identity: a weight the device holds exactly */
        plcol0(9);
        pllsty(2);
        pljoin(lo, lo, hi, hi);
        pllsty(1);
        /* at most MAX_SCATTER marks: every step-th of each tensor */
        size_t step = total > MAX_SCATTER
                          ? (total + MAX_SCATTER - 1) / MAX_SCATTER
                          : 1,
               shown = 0;
        plssym(0, 0.6);
        for (size_t t = 0; t < nt; t++) {
            plcol0(colours[t]);
            for (size_t i = 0; i < fx[t].n; i += step) {
                PLFLT x = fx[t].v[i], y = qy[t].v[i];
                plpoin(1, &x, &y, 4);
                shown++;
            }
        }
        plssym(0, 1);
        legend(nt, lp, colours, 1);
        plcol0(1);
        snprintf(note, sizeof note, "%zu weights%s, %zu dropped (0 on the "
                 "device), RMS error %.3g", total,
                 shown < total ? " (a sample shown)" : "", dropped,
                 total ? sqrt(se / (double)total) : 0.0);
        plmtex("t", 0.5, 0.5, 0.5, note);
        status = canvas_end(&cv, data, size, msg, len);
    }
    for (size_t t = 0; t < nt; t++) {
        free(fx[t].v);
        free(qy[t].v);
    }
    return status;
}

/* ---- what to draw ------------------------------------------------------ */

int sl__plot_draw(sl_rundb *db, const int64_t *ids, size_t n,
                  const sl__plot_req *q, char **data, size_t *size,
                  char *msg, size_t len)
{
    const char *w = q->what;
    msg[0] = '\0';
    if (!w || !*w || n == 0) {
        snprintf(msg, len, "nothing to draw");
        return 2;
    }
    if (strncmp(w, "metric:", 7) == 0)
        return plot_curves(db, ids, n, w + 7, q, data, size, msg, len);
    int is_raster = strncmp(w, "raster:", 7) == 0,
        is_trace = strncmp(w, "trace:", 6) == 0,
        is_probe = strncmp(w, "probe:", 6) == 0,
        is_input = strcmp(w, "input") == 0, is_frr = strcmp(w, "frr") == 0,
        is_acc = strcmp(w, "accuracy") == 0,
        is_cm = strcmp(w, "confusion") == 0 ||
                strncmp(w, "confusion:", 10) == 0,
        is_quant = strcmp(w, "quantisation") == 0;
    if (!is_raster && !is_trace && !is_input && !is_frr && !is_acc &&
        !is_probe && !is_cm && !is_quant)
        return plot_curves(db, ids, n, w, q, data, size, msg, len);
    if (n > 1) {
        snprintf(msg, len, "'%s' draws one run; several runs overlay only "
                 "metric curves", w);
        return 2;
    }
    if (is_frr || is_acc)
        return plot_eval(db, ids[0], is_acc, q, data, size, msg, len);
    name_list have = {0};
    int rc = sl_rundb_artifacts(db, ids[0], add_artifact, &have), status;
    if (rc) {
        snprintf(msg, len, "%s", rc == SL_ENOMEM ? "out of memory"
                                                 : sl_rundb_errmsg(db));
        status = 1;
    } else if (is_trace) {
        status = plot_trace(db, ids[0], &have, w + 6, q, data, size, msg,
                            len);
    } else if (is_probe) {
        status = plot_probe(db, ids[0], &have, w + 6, q, data, size, msg,
                            len);
    } else if (is_cm) {
        status = plot_confusion(db, ids[0], &have, w[9] ? w + 10 : NULL, q,
                                data, size, msg, len);
    } else if (is_quant) {
        status = plot_quantisation(db, ids[0], &have, q, data, size, msg,
                                   len);
    } else {
        status = plot_raster(db, ids[0], &have, is_input ? NULL : w + 7, q,
                             data, size, msg, len);
    }
    sl__strv_free(&have.names);
    sl__strv_free(&have.mimes);
    return status;
}

int sl__plot_figures(sl_rundb *db, int64_t run,
                     int (*cb)(void *user, const char *what,
                               const char *kind),
                     void *user)
{
    name_list have = {0};
    result_list rl = {0};
    int rc = sl_rundb_artifacts(db, run, add_artifact, &have);
    if (!rc)
        rc = sl_rundb_results(db, run, add_result, &rl);
    char what[600];
    /* the input first, then per layer its raster and its traces */
    for (size_t i = 0; !rc && i < have.names.n; i++)
        if (strncmp(have.names.v[i], "inputs/", 7) == 0) {
            rc = cb(user, "input", "raster");
            break;
        }
    for (size_t i = 0; !rc && i < have.names.n; i++) {
        const char *s = have.names.v[i];
        size_t l = strlen(s);
        if (strncmp(s, "traces/", 7) != 0 || l < 12 ||
            strcmp(s + l - 4, ".npy") != 0)
            continue;
        const char *slash = strrchr(s, '/');
        if (strcmp(slash, "/output.npy") == 0) {
            snprintf(what, sizeof what, "raster:%.*s",
                     (int)(slash - (s + 7)), s + 7);
            rc = cb(user, what, "raster");
        } else if (strcmp(slash, "/spikes.npy") != 0) {
            snprintf(what, sizeof what, "trace:%.*s", (int)(l - 11), s + 7);
            rc = cb(user, what, "trace");
        }
    }
    int frr = 0, acc = 0;
    for (size_t i = 0; i < rl.names.n; i++) {
        frr |= strstr(rl.names.v[i], "_frr_") != NULL;
        size_t l = strlen(rl.names.v[i]);
        acc |= l > 9 && strcmp(rl.names.v[i] + l - 9, "_accuracy") == 0;
    }
    if (!rc && frr)
        rc = cb(user, "frr", "frr");
    if (!rc && acc)
        rc = cb(user, "accuracy", "accuracy");
    /* the confusion matrices (initial, final, quantised per evaluation),
     * then the device's weights */
    for (size_t i = 0; !rc && i < have.names.n; i++) {
        const char *s = have.names.v[i];
        if (!is_conf(s))
            continue;
        size_t el = strlen(s) - strlen(CONF_PREFIX) - strlen(CONF_SUFFIX);
        snprintf(what, sizeof what, "confusion:%.*s", (int)el,
                 s + strlen(CONF_PREFIX));
        rc = cb(user, what, "confusion");
    }
    for (size_t i = 0; !rc && i < have.names.n; i++)
        if (strncmp(have.names.v[i], "quantisation/", 13) == 0) {
            rc = cb(user, "quantisation", "quantisation");
            break;
        }
    sl__strv_free(&have.names);
    sl__strv_free(&have.mimes);
    sl__strv_free(&rl.names);
    free(rl.values.v);
    return rc;
}

/* ---- spikelab plot ----------------------------------------------------- */

static const char plot_usage[] =
    "Usage: spikelab plot ID... WHAT [-o FILE.svg|.png|.pdf] [options]\n"
    "Draw what a run recorded, with labelled axes and units.\n"
    "\n"
    "WHAT:\n"
    "  loss, or any metric name  the metric over epochs; several IDs are\n"
    "                            overlaid (also metric:NAME)\n"
    "  raster:LAYER              spike raster of a recorded layer\n"
    "  input                     spike raster of the recorded input sample\n"
    "  probe:NAME[,NAME...][@X]  probes of a simulate run over time, or over\n"
    "                            the probe X, e.g. the tuning curves of\n"
    "                            experiments/tuning_curve.cfg:\n"
    "                            probe:rate_lif,rate_softlif@current\n"
    "  trace:LAYER/NAME          traces of chosen neurons, e.g.\n"
    "                            trace:dynapsim/vmem, trace:lif/v_mem\n"
    "  frr                       the FRR distributions of the evaluations\n"
    "                            (initial, final, quantised)\n"
    "  accuracy                  the accuracies of the evaluations\n"
    "  confusion[:DATA]          the confusion matrix of an accuracy\n"
    "                            evaluation (counts, true class by\n"
    "                            predicted class); DATA as its results are\n"
    "                            named: test, initial_test, quantised_test,\n"
    "                            test_spiking (default: the first final one)\n"
    "  quantisation              a device export's weights: the weight the\n"
    "                            device gets against the trained float\n"
    "                            weight, for every connection\n"
    "\n"
    "options:\n"
    "  -o FILE         output; the extension picks SVG, PNG or PDF\n"
    "                  (default: run-ID-WHAT.svg in the current directory)\n"
    "  --neurons LIST  traces: which neurons, e.g. 0,3 or 0-7 (default:\n"
    "                  the first 8)\n"
    "  --size WxH      figure size in points (PNG: pixels); default 800x500\n"
    "  --log           curves: logarithmic y axis\n"
    "  --db PATH       run database (default: $SPIKELAB_DB, else ./spikelab.db)\n"
    "  --help          this text\n"
    "\n"
    "Traces and the input are recorded by `spikelab run --traces` or\n"
    "record = true on a layer; confusion matrices by evaluations with\n"
    "metric = \"accuracy\"; the device's weights by an `export` section;\n"
    "`spikelab show ID` lists a run's artifacts.\n";

int sl__cmd_plot(int argc, char **argv)
{
    const char *db_path = NULL, *out = NULL, *neurons = NULL, *sizes = NULL;
    const char *what = NULL;
    int logy = 0, n_ids = 0;
    int64_t ids[MAX_SERIES];
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int missing = 0;
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(plot_usage, stdout);
            return sl__cli_finish("plot", 0);
        }
        if ((v = sl__cli_opt_value(argc, argv, &i, "--db", &missing)))
            db_path = v;
        else if ((v = sl__cli_opt_value(argc, argv, &i, "-o", &missing)) ||
                 (v = sl__cli_opt_value(argc, argv, &i, "--output", &missing)))
            out = v;
        else if ((v = sl__cli_opt_value(argc, argv, &i, "--neurons",
                                        &missing)))
            neurons = v;
        else if ((v = sl__cli_opt_value(argc, argv, &i, "--size", &missing)))
            sizes = v;
        else if (missing)
            return sl__cli_usage_error("plot", "%s needs a value", a);
        else if (strcmp(a, "--log") == 0)
            logy = 1;
        else if (a[0] == '-' && a[1])
            return sl__cli_usage_error("plot", "unknown option '%s'", a);
        else if (!what && ((a[0] >= '0' && a[0] <= '9') ||
                           strcmp(a, "last") == 0)) {
            if (n_ids == MAX_SERIES)
                return sl__cli_usage_error("plot", "at most %d runs",
                                           MAX_SERIES);
            if (sl__cli_parse_id("plot", a, &ids[n_ids]))
                return 2;
            n_ids++;
        } else if (!what)
            what = a;
        else
            return sl__cli_usage_error("plot", "unexpected argument '%s'", a);
    }
    if (n_ids == 0 || !what)
        return sl__cli_usage_error("plot", "need a run ID and what to draw");
    int w = 0, h = 0;
    if (sizes) {
        char *e;
        long a = strtol(sizes, &e, 10), b = 0;
        if (*e == 'x')
            b = strtol(e + 1, &e, 10);
        if (*e || a < 100 || b < 100 || a > 10000 || b > 10000)
            return sl__cli_usage_error("plot", "--size '%s': expected WxH, "
                                       "100 to 10000 each", sizes);
        w = (int)a;
        h = (int)b;
    }
    char defname[256];
    if (!out) {
        /* run-3-trace-dynapsim-vmem.svg: safe characters only */
        int k = snprintf(defname, sizeof defname, "run-%lld-",
                         (long long)ids[0]);
        for (const char *p = what; *p && k + 5 < (int)sizeof defname; p++)
            defname[k++] = (*p >= 'a' && *p <= 'z') ||
                                   (*p >= 'A' && *p <= 'Z') ||
                                   (*p >= '0' && *p <= '9') || *p == '_'
                               ? *p
                               : '-';
        snprintf(defname + k, sizeof defname - (size_t)k, ".svg");
        out = defname;
    }
    int fmt = sl__plot_format(out);
    if (fmt < 0)
        return sl__cli_usage_error("plot", "-o %s: the name must end in .svg,"
                                   " .png or .pdf", out);
    sl_rundb *db;
    if (sl_rundb_open(db_path ? db_path
                      : getenv("SPIKELAB_DB") && *getenv("SPIKELAB_DB")
                          ? getenv("SPIKELAB_DB")
                          : "spikelab.db",
                      SL_RUNDB_READONLY, &db) != SL_OK) {
        fprintf(stderr, "spikelab plot: %s\n", sl_rundb_errmsg(db));
        sl_rundb_close(db);
        return 1;
    }
    int status = sl__cli_check_output("plot", db, out);
    for (int i = 0; !status && i < n_ids; i++)
        status = sl__cli_find_run("plot", db, &ids[i]);
    char *data = NULL, msg[2048];
    size_t size = 0;
    if (!status) {
        sl__plot_req q = {.what = what, .neurons = neurons, .format = fmt,
                          .width = w, .height = h, .logy = logy};
        status = sl__plot_draw(db, ids, (size_t)n_ids, &q, &data, &size, msg,
                               sizeof msg);
        if (status)
            fprintf(stderr, "spikelab plot: %s\n", msg);
    }
    sl_rundb_close(db);
    if (!status) {
        sl__err err = {0};
        if (sl__file_write_atomic(out, data, size, &err) != SL_OK) {
            fprintf(stderr, "spikelab plot: %s\n", err.msg);
            status = 1;
        } else {
            printf("wrote %s (%zu bytes)\n", out, size);
        }
    }
    free(data);
    return sl__cli_finish("plot", status);
}
