/*
 * tests/test_van_rossum.c — the "van_rossum" loss of superspike.so through
 * the real loader: values against the kernel sums of specs/superspike.md §4,
 * against a direct convolve-same evaluation, gradients against central
 * finite differences (l2 everywhere, l1 away from its kinks), broadcast
 * targets, batch mean, NaN and bad settings / shapes.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "engine/host.h"
#include "engine/registry.h"
#include "testutil.h"

#include "../plugins/superspike/ss_kernels.h"

static sl__registry *g_reg;

static int setup(void **state)
{
    (void)state;
    g_reg = sl_test_load_plugin("superspike", NULL);
    return g_reg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl__registry_free(g_reg);
    return 0;
}

typedef struct inst {
    sl__config *cfg;
    sl_ctx ctx;
    const sl_loss_iface *ifc;
    void *self;
} inst;

static int make(inst *in, const char *settings)
{
    memset(in, 0, sizeof *in);
    const sl__entry *e = sl__registry_find(g_reg, SL_KIND_LOSS, "van_rossum");
    assert_non_null(e);
    in->ifc = e->comp->iface;
    char text[1024];
    snprintf(text, sizeof text, "loss = { %s };", settings);
    sl__err err = {0};
    if (sl__config_load_string(text, "test.cfg", &in->cfg, &err) != SL_OK)
        fail_msg("config: %s", err.msg);
    sl__ctx_init(&in->ctx, in->cfg, sl__config_find(in->cfg, NULL, "loss"),
                 1, "loss");
    sl_test_declare(&in->ctx, e);
    int rc = in->ifc->xCreate(&sl__host, &in->ctx, &in->self);
    if (rc != SL_OK)
        in->self = NULL;
    return rc;
}

static void make_ok(inst *in, const char *settings)
{
    int rc = make(in, settings);
    if (rc != SL_OK)
        fail_msg("{%s}: %s", settings, in->ctx.err.msg);
    /* every key set must have been read (an empty group itself counts
     * as unknown to the checker, so only with settings) */
    sl__err err = {0};
    if (settings[0] && sl__config_check_unused(in->cfg, &err) != SL_OK)
        fail_msg("unread key: %s", err.msg);
}

static void drop(inst *in)
{
    if (in->self)
        in->ifc->xDestroy(in->self);
    sl__config_free(in->cfg);
    memset(in, 0, sizeof *in);
}

static void eval_ok(inst *in, const sl_seq *o, const sl_seq *y, double *v,
                    float *g)
{
    int rc = in->ifc->xEval(in->self, o, y, v, g);
    if (rc != SL_OK)
        fail_msg("xEval: %d %s", rc, in->ctx.err.msg);
}

static void assert_rel(double got, double want, double rel, const char *what)
{
    if (!(fabs(got - want) <= rel * fabs(want)))
        fail_msg("%s: got %.17g, want %.17g (rel %g)", what, got, want, rel);
}

/* One target spike, no output, far from the end: e = the kernel itself, so
 * l1 = Σ|psp| = 49.3242901602 and l2 = ½Σpsp² (§4). */
static void test_single_spike(void **state)
{
    (void)state;
    static float out[2000], tg[2000];
    tg[100] = 1.0f;
    sl_seq o = {out, 1, 2000, 1, 0.1e-6}, y = {tg, 1, 2000, 1, 0.1e-6};
    inst in;
    make_ok(&in, "norm = \"l1\"; tau_mem = 10e-6; tau_syn = 5e-6; "
                 "kernel_length = 100e-6;");
    double v;
    eval_ok(&in, &o, &y, &v, NULL);
    assert_rel(v, 49.3242901602, 1e-12, "l1 of one spike");
    /* an output spike at the same step cancels it exactly */
    out[100] = 1.0f;
    eval_ok(&in, &o, &y, &v, NULL);
    assert_true(v == 0.0);
    out[100] = 0.0f;
    drop(&in);
    make_ok(&in, "norm = \"l2\";");
    eval_ok(&in, &o, &y, &v, NULL);
    double psc[1001], psp[1001], s2 = 0.0;
    ss_kernel_build(10e-6, 5e-6, 0.1e-6, 1001, psc, psp);
    for (size_t i = 0; i < 1001; i++)
        s2 += psp[i] * psp[i];
    assert_rel(v, 0.5 * s2, 1e-12, "l2 of one spike");
    drop(&in);
    /* near the end the kernel is truncated (no wrap-around) */
    make_ok(&in, "");
    tg[100] = 0.0f;
    tg[1990] = 1.0f;
    eval_ok(&in, &o, &y, &v, NULL);
    double tail = 0.0;
    for (size_t k = 0; k < 9; k++) /* steps 1991..1999 */
        tail += fabs(psp[501 + k]);
    assert_rel(v, tail, 1e-12, "truncated");
    drop(&in);
}

/* Random analog output against the direct formula with ss_conv_same. */
static void fill(float *p, size_t n, uint32_t seed, int spikes)
{
    uint32_t s = seed;
    for (size_t k = 0; k < n; k++) {
        s = s * 1664525u + 1013904223u;
        p[k] = spikes ? ((s >> 27) == 1 ? 1.0f : 0.0f)
                      : (float)((int)((s >> 8) % 2001) - 1000) / 2048.0f;
    }
}

static double direct(const float *o, const float *y, size_t B, size_t T,
                     size_t C, size_t Ty, double dt, int l2)
{
    size_t K = ss_kernel_size(100e-6, dt);
    double *psc = calloc(K, sizeof(double)), *psp = calloc(K, sizeof(double));
    double *d = calloc(T, sizeof(double)), *e = calloc(T, sizeof(double));
    ss_kernel_build(10e-6, 5e-6, dt, K, psc, psp);
    double total = 0.0;
    for (size_t b = 0; b < B; b++)
        for (size_t c = 0; c < C; c++) {
            for (size_t t = 0; t < T; t++)
                d[t] = (double)y[(b * Ty + (Ty == 1 ? 0 : t)) * C + c] -
                       (double)o[(b * T + t) * C + c];
            ss_conv_same(d, T, psp, K, e);
            for (size_t t = 0; t < T; t++)
                total += l2 ? 0.5 * e[t] * e[t] : fabs(e[t]);
        }
    free(psc), free(psp), free(d), free(e);
    return total / (double)B;
}

static void test_vs_direct(void **state)
{
    (void)state;
    enum { B = 3, T = 250, C = 2 };
    static float out[B * T * C], tg[B * T * C], tg1[B * C];
    fill(out, B * T * C, 1, 0);
    fill(tg, B * T * C, 2, 1);
    fill(tg1, B * C, 3, 0);
    const double dt = 1e-6; /* K = 101 */
    for (int l2 = 0; l2 < 2; l2++) {
        inst in;
        make_ok(&in, l2 ? "norm = \"l2\";" : "norm = \"l1\";");
        sl_seq o = {out, B, T, C, dt}, y = {tg, B, T, C, dt},
               yb = {tg1, B, 1, C, dt};
        double v;
        eval_ok(&in, &o, &y, &v, NULL);
        assert_rel(v, direct(out, tg, B, T, C, T, dt, l2), 1e-12, "value");
        eval_ok(&in, &o, &yb, &v, NULL);
        assert_rel(v, direct(out, tg1, B, T, C, 1, dt, l2), 1e-12,
                   "broadcast");
        /* batch mean: the first element alone, then repeated */
        sl_seq o1 = {out, 1, T, C, dt}, y1 = {tg, 1, T, C, dt};
        double v1;
        eval_ok(&in, &o1, &y1, &v1, NULL);
        assert_rel(v1, direct(out, tg, 1, T, C, T, dt, l2), 1e-12, "B=1");
        drop(&in);
    }
}

/* Central differences of the value against grad. h = 2^-10 is exact in
 * float around the values used. For l1, elements whose ±h would move some
 * e[t] across 0 (a kink) are skipped; the check asserts that most are
 * compared. */
static void check_fd(int l2)
{
    enum { B = 2, T = 120, C = 2 };
    static float out[B * T * C], tg[B * T * C], grad[B * T * C];
    fill(out, B * T * C, 11, 0);
    fill(tg, B * T * C, 12, 1);
    const double dt = 1e-6;
    inst in;
    make_ok(&in, l2 ? "norm = \"l2\";" : "");
    sl_seq o = {out, B, T, C, dt}, y = {tg, B, T, C, dt};
    double v0;
    eval_ok(&in, &o, &y, &v0, grad);
    const float h = 1.0f / 1024.0f;
    size_t K = ss_kernel_size(100e-6, dt);
    double *psc = calloc(K, sizeof(double)), *psp = calloc(K, sizeof(double));
    ss_kernel_build(10e-6, 5e-6, dt, K, psc, psp);
    size_t compared = 0, skipped = 0;
    for (size_t k = 0; k < B * T * C; k++) {
        if (!l2) {
            /* would e at any later step of this channel cross 0? */
            size_t b = k / (T * C), t0 = (k / C) % T, c = k % C;
            double d[T], e[T];
            for (size_t t = 0; t < T; t++)
                d[t] = (double)tg[(b * T + t) * C + c] -
                       (double)out[(b * T + t) * C + c];
            ss_conv_same(d, T, psp, K, e);
            int kink = 0;
            for (size_t t = t0 + 1; t < T && t <= t0 + K / 2; t++)
                if (fabs(e[t]) <= 2.0 * h * fabs(psp[K / 2 + t - t0]) + 1e-12)
                    kink = 1;
            if (kink) {
                skipped++;
                continue;
            }
        }
        float keep = out[k];
        double vp, vm;
        out[k] = keep + h;
        eval_ok(&in, &o, &y, &vp, NULL);
        out[k] = keep - h;
        eval_ok(&in, &o, &y, &vm, NULL);
        out[k] = keep;
        double fd = (vp - vm) / (2.0 * h);
        if (!(fabs(fd - grad[k]) <= 1e-5 * (1.0 + fabs(fd))))
            fail_msg("%s element %zu: analytic %.9g vs finite difference "
                     "%.9g", l2 ? "l2" : "l1", k, (double)grad[k], fd);
        compared++;
    }
    print_message("%s: %zu elements compared, %zu skipped (kink)\n",
                  l2 ? "l2" : "l1", compared, skipped);
    assert_true(compared >= (B * T * C) * 3 / 4);
    free(psc), free(psp);
    drop(&in);
}

static void test_fd_l2(void **state)
{
    (void)state;
    check_fd(1);
}

static void test_fd_l1(void **state)
{
    (void)state;
    check_fd(0);
}

static void test_errors(void **state)
{
    (void)state;
    const struct {
        const char *text, *key;
    } bad[] = {
        {"norm = \"l3\";", "norm"},
        {"norm = 2;", "norm"},
        {"tau_mem = 5e-6;", "tau_syn"}, /* equal to tau_syn's default */
        {"tau_mem = 0.0;", "tau_mem"},
        {"tau_syn = -1.0;", "tau_syn"},
        {"kernel_length = 0.0;", "kernel_length"},
    };
    inst in;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        int rc = make(&in, bad[k].text);
        if (rc == SL_OK)
            fail_msg("accepted {%s}", bad[k].text);
        assert_null(in.self);
        if (!strstr(in.ctx.err.msg, bad[k].key))
            fail_msg("{%s}: \"%s\" does not name %s", bad[k].text,
                     in.ctx.err.msg, bad[k].key);
        drop(&in);
    }
    make_ok(&in, "");
    float out[12] = {0}, tg[12] = {0};
    double v;
    sl_seq o = {out, 2, 3, 2, 1e-6};
    sl_seq bad_c = {tg, 2, 1, 3, 1e-6}, bad_t = {tg, 2, 2, 2, 1e-6},
           bad_b = {tg, 1, 1, 2, 1e-6}, ok = {tg, 2, 3, 2, 1e-6};
    assert_int_equal(in.ifc->xEval(in.self, &o, &bad_c, &v, NULL), SL_EINVAL);
    assert_int_equal(in.ifc->xEval(in.self, &o, &bad_t, &v, NULL), SL_EINVAL);
    assert_int_equal(in.ifc->xEval(in.self, &o, &bad_b, &v, NULL), SL_EINVAL);
    /* no dt on the sequence */
    sl_seq nodt = o;
    nodt.dt = 0.0;
    assert_int_equal(in.ifc->xEval(in.self, &nodt, &ok, &v, NULL), SL_EINVAL);
    assert_non_null(strstr(in.ctx.err.msg, "dt"));
    /* dt in ms with the kernel in µs: the kernel would be empty */
    sl_seq ms = o;
    ms.dt = 1e-3;
    sl_seq okms = ok;
    okms.dt = 1e-3;
    assert_int_equal(in.ifc->xEval(in.self, &ms, &okms, &v, NULL), SL_ECONFIG);
    assert_non_null(strstr(in.ctx.err.msg, "kernel_length"));
    /* NaN output */
    out[0] = NAN;
    assert_int_equal(in.ifc->xEval(in.self, &o, &ok, &v, NULL), SL_ENUMERIC);
    out[0] = 0.0f;
    assert_int_equal(in.ifc->xEval(in.self, &o, &ok, &v, NULL), SL_OK);
    assert_true(v == 0.0);
    drop(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_spike),
        cmocka_unit_test(test_vs_direct),
        cmocka_unit_test(test_fd_l2),
        cmocka_unit_test(test_fd_l1),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
