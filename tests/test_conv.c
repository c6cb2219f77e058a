/*
 * tests/test_conv.c — conv.so: conv2d, conv1d, sumpool2d, avgpool2d,
 * flatten.
 *
 * Loads the plugin through the real loader, checks its descriptor, the
 * forward pass of every layer and option (stride, padding, dilation,
 * groups, bias) against a straightforward double-precision loop written
 * here from PyTorch's definitions, every backward pass (dL/d(in) and
 * parameter gradients) against central finite differences of that
 * reference, a case large enough to take several GEMM chunks against the
 * reference's own adjoint, and that bad settings give errors naming the
 * key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "engine/host.h"
#include "engine/registry.h"
#include "testutil.h"

static sl__registry *reg;

/* ---------------------------------------------------------------- helpers */

typedef struct layer {
    sl__config *cfg;
    sl_ctx ctx;
    const sl_neuron_iface *iface;
    void *self;
    size_t n_out;
} layer;

/* Create comp with settings text on an input of width n_in whose step
 * has the given shape (rank 0: none reported, as before ABI 1.2). */
static int layer_try_shape(layer *L, const char *comp, const char *text,
                           size_t n_in, const size_t *shape, size_t rank)
{
    sl__err err;
    memset(L, 0, sizeof *L);
    int rc = sl__config_load_string(text, "test", &L->cfg, &err);
    if (rc != SL_OK)
        fail_msg("config \"%s\": %s", text, err.msg);
    sl__ctx_init(&L->ctx, L->cfg, sl__config_root(L->cfg), 7, comp);
    const sl__entry *e = sl__registry_find(reg, SL_KIND_NEURON, comp);
    assert_non_null(e);
    sl_test_declare(&L->ctx, e);
    L->iface = e->comp->iface;
    sl_layer_info info = {sizeof info, n_in, 1e-3, rank ? shape : NULL,
                          rank};
    L->self = (void *)0x1; /* must be reset to NULL on failure */
    rc = L->iface->xCreate(&sl__host, &L->ctx, &info, &L->self, &L->n_out);
    if (rc != SL_OK)
        assert_null(L->self);
    return rc;
}

static int layer_try(layer *L, const char *comp, const char *text,
                     size_t n_in)
{
    return layer_try_shape(L, comp, text, n_in, NULL, 0);
}

static void layer_make(layer *L, const char *comp, const char *text,
                       size_t n_in)
{
    int rc = layer_try(L, comp, text, n_in);
    if (rc != SL_OK)
        fail_msg("create %s \"%s\": %d %s", comp, text, rc, L->ctx.err.msg);
    sl__err err;
    if (sl__config_check_unused(L->cfg, &err) != SL_OK)
        fail_msg("unread key: %s", err.msg);
}

static void layer_free(layer *L)
{
    if (L->self)
        L->iface->xDestroy(L->self);
    sl__config_free(L->cfg);
    L->self = NULL;
    L->cfg = NULL;
}

static void check_ok(layer *L, int rc)
{
    if (rc != SL_OK)
        fail_msg("status %d: %s", rc, L->ctx.err.msg);
}

/* A deterministic pseudo-random number in [-1, 1). */
static double urand(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*s >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

/* ------------------------------------------------ the reference (double) */

/* Geometry as PyTorch names it; pools use G = 0 (no weights) and
 * avg = 1 for the average. */
typedef struct geo {
    int C, H, W, O, kh, kw, sh, sw, ph, pw, dh, dw, G, bias, pool, avg;
} geo;

static int out_h(const geo *g)
{
    return (g->H + 2 * g->ph - g->dh * (g->kh - 1) - 1) / g->sh + 1;
}
static int out_w(const geo *g)
{
    return (g->W + 2 * g->pw - g->dw * (g->kw - 1) - 1) / g->sw + 1;
}
static size_t n_in_of(const geo *g) { return (size_t)(g->C * g->H * g->W); }
static size_t n_out_of(const geo *g)
{
    return (size_t)((g->pool ? g->C : g->O) * out_h(g) * out_w(g));
}
static size_t n_w_of(const geo *g)
{
    return g->pool ? 0 : (size_t)(g->O * (g->C / g->G) * g->kh * g->kw);
}

/* y[N][n_out] from x[N][n_in]: the definition, one output at a time. */
static void ref_forward(const geo *g, size_t N, const double *x,
                        const double *w, const double *b, double *y)
{
    int Ho = out_h(g), Wo = out_w(g);
    int O = g->pool ? g->C : g->O;
    for (size_t n = 0; n < N; n++)
        for (int o = 0; o < O; o++)
            for (int oh = 0; oh < Ho; oh++)
                for (int ow = 0; ow < Wo; ow++) {
                    double acc = g->pool || !g->bias ? 0.0 : b[o];
                    int cpg = g->pool ? 1 : g->C / g->G;
                    int c0 = g->pool ? o : (o / (g->O / g->G)) * cpg;
                    for (int cl = 0; cl < cpg; cl++)
                        for (int i = 0; i < g->kh; i++)
                            for (int j = 0; j < g->kw; j++) {
                                int ih = oh * g->sh - g->ph + i * g->dh;
                                int iw = ow * g->sw - g->pw + j * g->dw;
                                if (ih < 0 || ih >= g->H || iw < 0 ||
                                    iw >= g->W)
                                    continue;
                                double xv = x[n * n_in_of(g) +
                                              (size_t)(((c0 + cl) * g->H +
                                                        ih) * g->W + iw)];
                                double wv =
                                    g->pool ? 1.0
                                            : w[((o * cpg + cl) * g->kh + i) *
                                                    g->kw + j];
                                acc += wv * xv;
                            }
                    if (g->avg)
                        acc /= (double)(g->kh * g->kw);
                    y[n * n_out_of(g) + (size_t)((o * Ho + oh) * Wo + ow)] =
                        acc;
                }
}

/* The loss the checks differentiate: Σ r·y (every output weighted). */
static double ref_loss(const geo *g, size_t N, const double *x,
                       const double *w, const double *b, const double *r)
{
    size_t ny = N * n_out_of(g);
    double *y = malloc(ny * sizeof *y);
    assert_non_null(y);
    ref_forward(g, N, x, w, b, y);
    double L = 0;
    for (size_t k = 0; k < ny; k++)
        L += r[k] * y[k];
    free(y);
    return L;
}

/* Configuration text of a geometry for component comp. */
static void cfg_text(const geo *g, const char *comp, char *buf, size_t len)
{
    int n;
    if (strcmp(comp, "conv1d") == 0)
        n = snprintf(buf, len,
                     "in_shape = [%d, %d]; out_channels = %d; kernel = %d; "
                     "stride = [%d]; padding = %d; dilation = %d; "
                     "groups = %d; bias = %s; init = \"normal\"; std = 0.5;",
                     g->C, g->W, g->O, g->kw, g->sw, g->pw, g->dw, g->G,
                     g->bias ? "true" : "false");
    else if (g->pool)
        n = snprintf(buf, len,
                     "in_shape = [%d, %d, %d]; kernel = [%d, %d]; "
                     "stride = [%d, %d]; padding = [%d, %d];",
                     g->C, g->H, g->W, g->kh, g->kw, g->sh, g->sw, g->ph,
                     g->pw);
    else
        n = snprintf(buf, len,
                     "in_shape = [%d, %d, %d]; out_channels = %d; "
                     "kernel = [%d, %d]; stride = [%d, %d]; "
                     "padding = [%d, %d]; dilation = [%d, %d]; groups = %d; "
                     "bias = %s;",
                     g->C, g->H, g->W, g->O, g->kh, g->kw, g->sh, g->sw,
                     g->ph, g->pw, g->dh, g->dw, g->G,
                     g->bias ? "true" : "false");
    assert_true(n > 0 && (size_t)n < len);
}

/* The layer's parameters: weight (and bias). */
static void params_of(layer *L, const geo *g, sl_param *w, sl_param *b)
{
    sl_param p[3];
    size_t count = 99;
    memset(p, 0, sizeof p);
    check_ok(L, L->iface->xParams(L->self, p, 3, &count));
    if (g->pool) {
        assert_int_equal(count, 0);
        return;
    }
    assert_int_equal(count, g->bias ? 2 : 1);
    assert_string_equal(p[0].name, "weight");
    assert_int_equal(p[0].flags, SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT);
    assert_int_equal(p[0].n, n_w_of(g));
    assert_int_equal(p[0].ndim, 2);
    assert_int_equal(p[0].shape[0], (size_t)g->O);
    assert_int_equal(p[0].shape[1], n_w_of(g) / (size_t)g->O);
    *w = p[0];
    if (g->bias) {
        assert_string_equal(p[1].name, "bias");
        assert_int_equal(p[1].n, (size_t)g->O);
        *b = p[1];
    }
}

/* Analytic gradients g against central differences fd (double; the
 * reference is linear in each of x, w, b, so the differences are exact up
 * to rounding and the tolerance is float32's). */
static int compare(const char *what, const float *g, const double *fd,
                   size_t n)
{
    double scale = 1e-6;
    for (size_t k = 0; k < n; k++)
        scale = fmax(scale, fabs(fd[k]));
    int bad = 0;
    for (size_t k = 0; k < n; k++)
        if (!(fabs((double)g[k] - fd[k]) <= 1e-4 * scale)) {
            if (bad++ < 5)
                fprintf(stderr, "%s[%zu]: analytic %.9g, expected %.9g\n",
                        what, k, (double)g[k], fd[k]);
        }
    return bad;
}

/* Run geometry g through component comp on [B][T] steps: forward against
 * the reference, then backward against finite differences (fd = 1) or
 * the reference's adjoint (fd = 0, for cases too large to difference). */
static void check_layer(const char *comp, const geo *g, size_t B, size_t T,
                        int fd)
{
    char text[512];
    cfg_text(g, comp, text, sizeof text);
    layer L;
    layer_make(&L, comp, text, n_in_of(g));
    assert_int_equal(L.n_out, n_out_of(g));
    sl_param pw = {0}, pb = {0};
    params_of(&L, g, &pw, &pb);

    const size_t N = B * T, ni = N * n_in_of(g), no = N * n_out_of(g);
    const size_t nw = n_w_of(g), nb = g->bias && !g->pool ? (size_t)g->O : 0;
    uint64_t s = 12345;
    float *x = malloc(ni * sizeof *x), *y = malloc(no * sizeof *y);
    float *dy = malloc(no * sizeof *dy), *dx = malloc(ni * sizeof *dx);
    double *xd = malloc(ni * sizeof *xd), *yd = malloc(no * sizeof *yd);
    double *rd = malloc(no * sizeof *rd);
    double *wd = malloc((nw + 1) * sizeof *wd), *bd = malloc((nb + 1) * 8);
    double *fx = malloc(ni * sizeof *fx), *fw = malloc((nw + 1) * 8);
    double *fb = malloc((nb + 1) * 8);
    assert_true(x && y && dy && dx && xd && yd && rd && wd && bd && fx &&
                fw && fb);
    for (size_t k = 0; k < ni; k++)
        xd[k] = x[k] = (float)urand(&s);
    for (size_t k = 0; k < no; k++)
        rd[k] = dy[k] = (float)urand(&s);
    for (size_t k = 0; k < nw; k++)
        wd[k] = pw.data[k]; /* the plugin's own draw */
    for (size_t k = 0; k < nb; k++)
        bd[k] = pb.data[k] = (float)urand(&s); /* starts at 0: set it */

    check_ok(&L, L.iface->xPrepare(L.self, B, T, SL_MODE_TRAIN));
    check_ok(&L, L.iface->xForward(L.self, x, y));
    ref_forward(g, N, xd, wd, bd, yd);
    double ys = 1e-6;
    for (size_t k = 0; k < no; k++)
        ys = fmax(ys, fabs(yd[k]));
    for (size_t k = 0; k < no; k++)
        if (!(fabs((double)y[k] - yd[k]) <= 1e-5 * ys))
            fail_msg("%s \"%s\": y[%zu] = %.9g, reference %.9g", comp, text,
                     k, (double)y[k], yd[k]);

    for (size_t k = 0; k < ni; k++)
        dx[k] = 1e30f; /* dL/d(in) is written, not accumulated */
    check_ok(&L, L.iface->xBackward(L.self, dy, dx));

    if (fd) {
        const double h = 1e-3;
        for (size_t k = 0; k < ni; k++) {
            double v = xd[k];
            xd[k] = v + h;
            double lp = ref_loss(g, N, xd, wd, bd, rd);
            xd[k] = v - h;
            double lm = ref_loss(g, N, xd, wd, bd, rd);
            xd[k] = v;
            fx[k] = (lp - lm) / (2 * h);
        }
        for (size_t k = 0; k < nw; k++) {
            double v = wd[k];
            wd[k] = v + h;
            double lp = ref_loss(g, N, xd, wd, bd, rd);
            wd[k] = v - h;
            double lm = ref_loss(g, N, xd, wd, bd, rd);
            wd[k] = v;
            fw[k] = (lp - lm) / (2 * h);
        }
        for (size_t k = 0; k < nb; k++) {
            double v = bd[k];
            bd[k] = v + h;
            double lp = ref_loss(g, N, xd, wd, bd, rd);
            bd[k] = v - h;
            double lm = ref_loss(g, N, xd, wd, bd, rd);
            bd[k] = v;
            fb[k] = (lp - lm) / (2 * h);
        }
    } else {
        /* the adjoint of the reference, as direct loops: each output's
         * weight r spread back over its window */
        int Ho = out_h(g), Wo = out_w(g), cpg = g->C / g->G;
        memset(fx, 0, ni * sizeof *fx);
        memset(fw, 0, nw * sizeof *fw);
        memset(fb, 0, nb * sizeof *fb);
        for (size_t n = 0; n < N; n++)
            for (int o = 0; o < g->O; o++)
                for (int oh = 0; oh < Ho; oh++)
                    for (int ow = 0; ow < Wo; ow++) {
                        double r = rd[n * n_out_of(g) +
                                      (size_t)((o * Ho + oh) * Wo + ow)];
                        if (nb)
                            fb[o] += r;
                        int c0 = (o / (g->O / g->G)) * cpg;
                        for (int cl = 0; cl < cpg; cl++)
                            for (int i = 0; i < g->kh; i++)
                                for (int j = 0; j < g->kw; j++) {
                                    int ih = oh * g->sh - g->ph + i * g->dh;
                                    int iw = ow * g->sw - g->pw + j * g->dw;
                                    if (ih < 0 || ih >= g->H || iw < 0 ||
                                        iw >= g->W)
                                        continue;
                                    size_t xi =
                                        n * n_in_of(g) +
                                        (size_t)(((c0 + cl) * g->H + ih) *
                                                     g->W + iw);
                                    size_t wi = (size_t)(((o * cpg + cl) *
                                                              g->kh + i) *
                                                             g->kw + j);
                                    fx[xi] += wd[wi] * r;
                                    fw[wi] += xd[xi] * r;
                                }
                    }
    }
    int bad = compare("din", dx, fx, ni);
    if (nw)
        bad += compare("gweight", pw.grad, fw, nw);
    if (nb)
        bad += compare("gbias", pb.grad, fb, nb);
    if (bad)
        fail_msg("%s \"%s\": %d gradient elements off", comp, text, bad);

    /* parameter gradients accumulate over backward passes */
    if (nw) {
        float *g1 = malloc(nw * sizeof *g1);
        assert_non_null(g1);
        memcpy(g1, pw.grad, nw * sizeof *g1);
        check_ok(&L, L.iface->xBackward(L.self, dy, NULL));
        for (size_t k = 0; k < nw; k++)
            assert_true(fabsf(pw.grad[k] - 2 * g1[k]) <=
                        1e-5f * (1 + fabsf(g1[k])));
        free(g1);
    }
    free(x), free(y), free(dy), free(dx), free(xd), free(yd), free(rd);
    free(wd), free(bd), free(fx), free(fw), free(fb);
    layer_free(&L);
}

static int setup(void **state)
{
    (void)state;
    reg = sl_test_load_plugin("conv", NULL);
    return reg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl__registry_free(reg);
    return 0;
}

/* ------------------------------------------------------------- descriptor */

static void test_descriptor(void **state)
{
    (void)state;
    const char *names[] = {"conv2d", "conv1d", "sumpool2d", "avgpool2d",
                           "flatten"};
    const sl_plugin_desc *d = NULL;
    for (size_t i = 0; i < 5; i++) {
        const sl__entry *e = sl__registry_find(reg, SL_KIND_NEURON, names[i]);
        assert_non_null(e);
        if (d)
            assert_ptr_equal(e->plugin->desc, d);
        d = e->plugin->desc;
        const sl_neuron_iface *f = e->comp->iface;
        assert_int_equal(f->struct_size, sizeof *f);
        assert_non_null(f->xBackward); /* every layer trains through */
        assert_non_null(e->comp->settings);
    }
    assert_string_equal(d->name, "conv");
    assert_int_equal(d->abi_minor, SL_ABI_MINOR);
    assert_int_equal(d->n_components, 5);
}

/* ------------------------------------------------------------ conv layers */

static void test_conv2d_basic(void **state)
{
    (void)state;
    /* C H W O kh kw sh sw ph pw dh dw G bias */
    geo g = {2, 5, 6, 3, 3, 3, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0};
    check_layer("conv2d", &g, 2, 3, 1);
    g.bias = 1;
    check_layer("conv2d", &g, 1, 2, 1);
}

static void test_conv2d_stride_padding(void **state)
{
    (void)state;
    geo g = {2, 6, 5, 3, 3, 2, 2, 1, 1, 2, 1, 1, 1, 1, 0, 0};
    check_layer("conv2d", &g, 2, 2, 1);
    geo g2 = {1, 7, 7, 2, 3, 3, 3, 2, 1, 1, 1, 1, 1, 0, 0, 0};
    check_layer("conv2d", &g2, 1, 3, 1);
}

static void test_conv2d_dilation(void **state)
{
    (void)state;
    geo g = {2, 7, 8, 2, 3, 2, 2, 1, 2, 1, 2, 3, 1, 1, 0, 0};
    check_layer("conv2d", &g, 2, 2, 1);
}

static void test_conv2d_groups(void **state)
{
    (void)state;
    geo g = {4, 5, 5, 6, 2, 3, 1, 2, 1, 1, 1, 2, 2, 1, 0, 0};
    check_layer("conv2d", &g, 2, 2, 1);
    /* depthwise: one filter per channel */
    geo d = {3, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1, 3, 0, 0, 0};
    check_layer("conv2d", &d, 1, 2, 1);
    /* 1x1 kernel, channel mixing only */
    geo p = {3, 3, 4, 2, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0, 0};
    check_layer("conv2d", &p, 2, 2, 1);
}

/* Large enough that a forward pass takes several GEMM chunks (the column
 * buffer holds 2^21 floats; here K·P = 32·9·32·32 = 294912 per sample, so
 * 7 of the 8 samples per chunk). */
static void test_conv2d_chunks(void **state)
{
    (void)state;
    geo g = {64, 32, 32, 4, 3, 3, 1, 1, 1, 1, 1, 1, 2, 1, 0, 0};
    check_layer("conv2d", &g, 2, 4, 0);
}

static void test_conv1d(void **state)
{
    (void)state;
    geo g = {3, 1, 10, 4, 1, 3, 1, 2, 0, 1, 1, 2, 1, 1, 0, 0};
    check_layer("conv1d", &g, 2, 3, 1);
    geo h = {4, 1, 9, 2, 1, 2, 1, 1, 0, 0, 1, 1, 2, 0, 0, 0};
    check_layer("conv1d", &h, 1, 2, 1);
}

/* Values worked out by hand, independent of the reference loop: the
 * kernel is not flipped (cross-correlation, as PyTorch), groups keep
 * their channels apart, dilation and padding place the taps. */
static void run_known(const char *comp, const char *text, size_t n_in,
                      const float *w, size_t nw, const float *x,
                      const float *want, size_t n_out)
{
    layer L;
    layer_make(&L, comp, text, n_in);
    assert_int_equal(L.n_out, n_out);
    sl_param p[2];
    size_t count = 0;
    check_ok(&L, L.iface->xParams(L.self, p, 2, &count));
    assert_int_equal(p[0].n, nw);
    memcpy(p[0].data, w, nw * sizeof *w);
    float y[64];
    assert_true(n_out <= 64);
    check_ok(&L, L.iface->xPrepare(L.self, 1, 1, 0));
    check_ok(&L, L.iface->xForward(L.self, x, y));
    for (size_t k = 0; k < n_out; k++)
        if (y[k] != want[k])
            fail_msg("%s \"%s\": y[%zu] = %g, by hand %g", comp, text, k,
                     (double)y[k], (double)want[k]);
    layer_free(&L);
}

static void test_known_values(void **state)
{
    (void)state;
    float x16[16];
    for (int k = 0; k < 16; k++)
        x16[k] = (float)(k + 1); /* 4x4: 1..16 row by row */
    /* [[1, 0], [0, -1]]: y[i][j] = x[i][j] - x[i+1][j+1] = -5 (a flipped
     * kernel would give +5) */
    const float w1[4] = {1, 0, 0, -1}, y1[9] = {-5, -5, -5, -5, -5, -5,
                                                 -5, -5, -5};
    run_known("conv2d", "in_shape = [1, 4, 4]; out_channels = 1; "
                        "kernel = 2;",
              16, w1, 4, x16, y1, 9);
    /* the same with stride 2 and padding 1: windows at rows/cols -1, 1, 3
     * -> y[i][j] = x[2i-1][2j-1] - x[2i][2j] with zeros outside */
    const float y2[9] = {-1, -3, 0, -9, -5, 8, 0, 14, 16};
    run_known("conv2d", "in_shape = [1, 4, 4]; out_channels = 1; "
                        "kernel = 2; stride = 2; padding = 1;",
              16, w1, 4, x16, y2, 9);
    /* groups = 2, 1x1: channel 0 doubled, channel 1 tripled, never mixed */
    const float wg[2] = {2, 3}, xg[4] = {1, 2, 10, 20},
                yg[4] = {2, 4, 30, 60};
    run_known("conv2d", "in_shape = [2, 1, 2]; out_channels = 2; "
                        "kernel = 1; groups = 2;",
              4, wg, 2, xg, yg, 4);
    /* conv1d, kernel [1, 2], dilation 2, padding 1 over 1..5:
     * y[o] = x[o-1] + 2·x[o+1] */
    const float w3[2] = {1, 2}, x5[5] = {1, 2, 3, 4, 5},
                y3[5] = {4, 7, 10, 13, 4};
    run_known("conv1d", "in_shape = [1, 5]; out_channels = 1; kernel = 2; "
                        "dilation = 2; padding = 1;",
              5, w3, 2, x5, y3, 5);
}

/* ---------------------------------------------------------------- pooling */

static void test_pools(void **state)
{
    (void)state;
    /* C H W O kh kw sh sw ph pw dh dw G bias pool avg */
    geo s = {2, 4, 6, 0, 2, 2, 2, 2, 0, 0, 1, 1, 0, 0, 1, 0};
    check_layer("sumpool2d", &s, 2, 2, 1);
    geo s2 = {2, 5, 7, 0, 2, 3, 1, 2, 1, 1, 1, 1, 0, 0, 1, 0};
    check_layer("sumpool2d", &s2, 1, 2, 1);
    /* average over the full window, padding counted */
    geo a = {2, 5, 5, 0, 3, 3, 2, 2, 1, 1, 1, 1, 0, 0, 1, 1};
    check_layer("avgpool2d", &a, 2, 2, 1);
    geo a2 = {1, 4, 6, 0, 2, 3, 2, 3, 0, 0, 1, 1, 0, 0, 1, 1};
    check_layer("avgpool2d", &a2, 1, 3, 1);
}

/* count_include_pad in numbers: a 3x3 average at a corner with padding 1
 * sees 4 inputs and divides by 9. */
static void test_avgpool_corner(void **state)
{
    (void)state;
    layer L;
    layer_make(&L, "avgpool2d",
               "in_shape = [1, 2, 2]; kernel = 3; stride = 1; padding = 1;",
               4);
    assert_int_equal(L.n_out, 4);
    float x[4] = {9, 9, 9, 9}, y[4];
    check_ok(&L, L.iface->xPrepare(L.self, 1, 1, 0));
    check_ok(&L, L.iface->xForward(L.self, x, y));
    for (int k = 0; k < 4; k++)
        assert_float_equal(y[k], 4.0f, 1e-6f);
    layer_free(&L);
    /* stride defaults to the kernel */
    layer_make(&L, "sumpool2d", "in_shape = [1, 4, 4]; kernel = 2;", 16);
    assert_int_equal(L.n_out, 4);
    layer_free(&L);
}

static void test_flatten(void **state)
{
    (void)state;
    layer L;
    layer_make(&L, "flatten", "in_shape = [2, 3, 2];", 12);
    assert_int_equal(L.n_out, 12);
    float x[24], y[24], dy[24], dx[24];
    for (int k = 0; k < 24; k++)
        x[k] = (float)k, dy[k] = (float)(100 - k), dx[k] = -1;
    check_ok(&L, L.iface->xPrepare(L.self, 2, 1, SL_MODE_TRAIN));
    check_ok(&L, L.iface->xForward(L.self, x, y));
    assert_memory_equal(x, y, sizeof x);
    check_ok(&L, L.iface->xBackward(L.self, dy, dx));
    assert_memory_equal(dy, dx, sizeof dx);
    size_t count = 9;
    check_ok(&L, L.iface->xParams(L.self, NULL, 0, &count));
    assert_int_equal(count, 0);
    layer_free(&L);
    layer_make(&L, "flatten", "", 5); /* in_shape is optional */
    assert_int_equal(L.n_out, 5);
    layer_free(&L);
}

/* The same seed draws the same weights; another seed others. */
static void test_init(void **state)
{
    (void)state;
    const char *t = "in_shape = [2, 4, 4]; out_channels = 3; kernel = 2;";
    layer A, B;
    layer_make(&A, "conv2d", t, 32);
    layer_make(&B, "conv2d", t, 32);
    geo g = {2, 4, 4, 3, 2, 2, 1, 1, 0, 0, 1, 1, 1, 0, 0, 0};
    sl_param wa = {0}, wb = {0}, unused = {0};
    params_of(&A, &g, &wa, &unused);
    params_of(&B, &g, &wb, &unused);
    assert_memory_equal(wa.data, wb.data, wa.n * sizeof(float));
    /* kaiming_uniform: U(±sqrt(6/fan_in)), fan_in = 2·2·2 */
    double lim = sqrt(6.0 / 8.0), mx = 0;
    for (size_t k = 0; k < wa.n; k++)
        mx = fmax(mx, fabs(wa.data[k]));
    assert_true(mx <= lim && mx > 0.5 * lim);
    layer_free(&A);
    layer_free(&B);
    layer_make(&A, "conv2d",
               "in_shape = [2, 4, 4]; out_channels = 3; kernel = 2; "
               "init = \"zeros\";",
               32);
    params_of(&A, &g, &wa, &unused);
    for (size_t k = 0; k < wa.n; k++)
        assert_true(wa.data[k] == 0.0f);
    layer_free(&A);
}

/* ------------------------------------------------------ shape propagation */

/* The layer's reported output shape (SL_EXT_SHAPE) equals want[rank]. */
static void check_out_shape(layer *L, const size_t *want, size_t rank)
{
    assert_non_null(L->iface->xExtension);
    const sl_shape_ext *e = L->iface->xExtension(L->self, SL_EXT_SHAPE);
    assert_non_null(e);
    assert_int_equal(e->struct_size, sizeof *e);
    assert_null(L->iface->xExtension(L->self, "sl.nothing.v1"));
    size_t got[SL_MAX_RANK], r = 99, prod = 1;
    check_ok(L, e->xOutShape(L->self, got, SL_MAX_RANK, &r));
    assert_int_equal(r, rank);
    for (size_t k = 0; k < rank; k++) {
        assert_int_equal(got[k], want[k]);
        prod *= got[k];
    }
    assert_int_equal(prod, L->n_out);
    assert_int_equal(e->xOutShape(L->self, got, rank - 1, &r), SL_EINVAL);
}

static void test_shape_propagation(void **state)
{
    (void)state;
    layer L;
    const size_t img[3] = {2, 5, 6}, seq[2] = {3, 10}, flat[1] = {60};
    /* in_shape from the layer before */
    check_ok(&L, layer_try_shape(&L, "conv2d",
                                 "out_channels = 4; kernel = 3; "
                                 "padding = [1, 0];",
                                 60, img, 3));
    check_out_shape(&L, (const size_t[]){4, 5, 4}, 3);
    layer_free(&L);
    check_ok(&L, layer_try_shape(&L, "conv1d",
                                 "out_channels = 2; kernel = 3; stride = 2;",
                                 30, seq, 2));
    check_out_shape(&L, (const size_t[]){2, 4}, 2);
    layer_free(&L);
    check_ok(&L, layer_try_shape(&L, "sumpool2d", "kernel = 2;", 60, img, 3));
    check_out_shape(&L, (const size_t[]){2, 2, 3}, 3);
    layer_free(&L);
    check_ok(&L, layer_try_shape(&L, "avgpool2d", "kernel = [1, 3];", 60,
                                 img, 3));
    check_out_shape(&L, (const size_t[]){2, 5, 2}, 3);
    layer_free(&L);
    check_ok(&L, layer_try_shape(&L, "flatten", "", 60, img, 3));
    check_out_shape(&L, (const size_t[]){60}, 1);
    layer_free(&L);
    /* an explicit in_shape wins (a reshape of the same width) */
    check_ok(&L, layer_try_shape(&L, "conv2d",
                                 "in_shape = [1, 6, 10]; out_channels = 1; "
                                 "kernel = [6, 1];",
                                 60, img, 3));
    check_out_shape(&L, (const size_t[]){1, 1, 10}, 3);
    layer_free(&L);
    /* a flat input cannot be guessed: the error names in_shape and says
     * what came in */
    int rc = layer_try_shape(&L, "conv2d", "out_channels = 1; kernel = 1;",
                             60, flat, 1);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(L.ctx.err.msg, "in_shape"));
    assert_non_null(strstr(L.ctx.err.msg, "[60]"));
    layer_free(&L);
    rc = layer_try_shape(&L, "conv1d", "out_channels = 1; kernel = 1;", 60,
                         img, 3);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(L.ctx.err.msg, "[2, 5, 6]"));
    layer_free(&L);
}

/* ------------------------------------------------------------ bad inputs */

static void test_bad_settings(void **state)
{
    (void)state;
    const struct {
        const char *comp, *text;
        size_t n_in;
        const char *needle; /* must appear in the message */
    } cases[] = {
        {"conv2d", "out_channels = 2; kernel = 3;", 25, "in_shape"},
        {"conv2d", "in_shape = [1, 5, 5]; out_channels = 2; kernel = 3;",
         24, "in_shape"},
        {"conv2d", "in_shape = [1, 5, 5]; out_channels = 2; kernel = 3;",
         24, "24"},
        {"conv2d", "in_shape = 25; out_channels = 2; kernel = 3;", 25,
         "in_shape"},
        {"conv2d", "in_shape = [5, 5]; out_channels = 2; kernel = 3;", 25,
         "in_shape"},
        {"conv2d", "in_shape = [1, 5, 5]; kernel = 3;", 25, "out_channels"},
        {"conv2d", "in_shape = [1, 5, 5]; out_channels = 2;", 25, "kernel"},
        {"conv2d", "in_shape = [1, 5, 5]; out_channels = 2; kernel = 7;", 25,
         "kernel"},
        {"conv2d",
         "in_shape = [1, 5, 5]; out_channels = 2; kernel = 3; dilation = 3;",
         25, "kernel"},
        {"conv2d", "in_shape = [1, 5, 5]; out_channels = 2; kernel = [3, 3, "
                   "3];",
         25, "kernel"},
        {"conv2d", "in_shape = [1, 5, 5]; out_channels = 2; kernel = 0;", 25,
         "kernel"},
        {"conv2d",
         "in_shape = [1, 5, 5]; out_channels = 2; kernel = 3; stride = 0;",
         25, "stride"},
        {"conv2d",
         "in_shape = [1, 5, 5]; out_channels = 2; kernel = 3; stride = 1.5;",
         25, "stride"},
        {"conv2d",
         "in_shape = [1, 5, 5]; out_channels = 2; kernel = 3; "
         "padding = [1, -1];",
         25, "padding"},
        {"conv2d", "in_shape = [3, 2, 2]; out_channels = 4; kernel = 1; "
                   "groups = 2;",
         12, "groups"},
        {"conv2d", "in_shape = [4, 2, 2]; out_channels = 3; kernel = 1; "
                   "groups = 2;",
         16, "groups"},
        {"conv2d", "in_shape = [1, 5, 5]; out_channels = 2; kernel = 3; "
                   "init = \"he\";",
         25, "init"},
        {"conv1d", "in_shape = [2, 3]; out_channels = 2; kernel = 4;", 6,
         "kernel"},
        {"conv1d", "in_shape = [2, 3, 1]; out_channels = 2; kernel = 1;", 6,
         "in_shape"},
        {"conv1d", "in_shape = [2, 3]; out_channels = 2; kernel = 1;", 7,
         "in_shape"},
        {"sumpool2d", "in_shape = [1, 4, 4]; kernel = 5;", 16, "kernel"},
        {"sumpool2d", "in_shape = [1, 4, 4]; kernel = 2; padding = 2;", 16,
         "padding"},
        {"avgpool2d", "in_shape = [1, 4, 4];", 16, "kernel"},
        {"avgpool2d", "in_shape = [2, 4, 4]; kernel = 2;", 16, "in_shape"},
        {"flatten", "in_shape = [3, 3];", 10, "in_shape"},
        /* a product past 2^64 is a mismatch, not a wrap */
        {"flatten", "in_shape = [10000000, 10000000, 10000000];", 10,
         "more than"},
        {"conv2d", "in_shape = [1, 5, 50000000]; out_channels = 2; "
                   "kernel = 3;",
         25, "in_shape"},
        {"flatten", "in_shape = [];", 10, "in_shape"},
        {"conv2d", "in_shape = [1, 5, 5]; out_channels = 2; kernel = 3;", 0,
         "input"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        layer L;
        int rc = layer_try(&L, cases[c].comp, cases[c].text, cases[c].n_in);
        if (rc != SL_ECONFIG || !strstr(L.ctx.err.msg, cases[c].needle))
            fail_msg("%s \"%s\": got %d \"%s\", expected SL_ECONFIG naming "
                     "%s",
                     cases[c].comp, cases[c].text, rc, L.ctx.err.msg,
                     cases[c].needle);
        layer_free(&L);
    }
}

static void test_call_order(void **state)
{
    (void)state;
    layer L;
    layer_make(&L, "conv2d",
               "in_shape = [1, 3, 3]; out_channels = 1; kernel = 2;", 9);
    float in[18] = {0}, out[8], dout[8] = {0}, din[18];
    assert_int_equal(L.iface->xForward(L.self, in, out), SL_EINVAL);
    check_ok(&L, L.iface->xPrepare(L.self, 1, 2, 0));
    check_ok(&L, L.iface->xForward(L.self, in, out));
    assert_int_equal(L.iface->xBackward(L.self, dout, din), SL_EINVAL);
    assert_non_null(strstr(L.ctx.err.msg, "SL_MODE_TRAIN"));
    check_ok(&L, L.iface->xPrepare(L.self, 1, 2, SL_MODE_TRAIN));
    assert_int_equal(L.iface->xBackward(L.self, dout, din), SL_EINVAL);
    assert_int_equal(L.iface->xPrepare(L.self, 0, 2, 0), SL_EINVAL);
    layer_free(&L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_conv2d_basic),
        cmocka_unit_test(test_conv2d_stride_padding),
        cmocka_unit_test(test_conv2d_dilation),
        cmocka_unit_test(test_conv2d_groups),
        cmocka_unit_test(test_conv2d_chunks),
        cmocka_unit_test(test_conv1d),
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_pools),
        cmocka_unit_test(test_avgpool_corner),
        cmocka_unit_test(test_flatten),
        cmocka_unit_test(test_init),
        cmocka_unit_test(test_shape_propagation),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_call_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
