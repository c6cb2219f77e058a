/* tests/test_losses.c — losses.so through the real loader: descriptor,
 * MSE and cross-entropy against values computed by hand, gradients against
 * central finite differences, shape and setting errors. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "engine/host.h"
#include "engine/registry.h"
#include "testutil.h"

/* ---- harness ---- */

static sl__registry *g_reg;
static const sl__plugin *g_plugin;

static int setup(void **state)
{
    (void)state;
    g_reg = sl_test_load_plugin("losses", &g_plugin);
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

static int make(inst *in, const char *name, const char *settings)
{
    memset(in, 0, sizeof *in);
    const sl__entry *e = sl__registry_find(g_reg, SL_KIND_LOSS, name);
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
    return in->ifc->xCreate(&sl__host, &in->ctx, &in->self);
}

static void drop(inst *in)
{
    if (in->self)
        in->ifc->xDestroy(in->self);
    sl__config_free(in->cfg);
    in->self = NULL;
    in->cfg = NULL;
}

static sl_seq seq(const float *d, size_t b, size_t t, size_t c)
{
    sl_seq s = {d, b, t, c, 1e-3};
    return s;
}

static void assert_close(double got, double want, double tol)
{
    if (!(fabs(got - want) <= tol))
        fail_msg("got %.12g, want %.12g (tol %g)", got, want, tol);
}

/* Compare grad with central differences of the loss over every output
 * element; out is perturbed in place and restored. h = 2^-8 is exact in
 * float for the values used, so out ± h is what the loss sees. */
static void check_fd(inst *in, float *out, const sl_seq *o,
                     const sl_seq *target, double tol)
{
    size_t n = o->batch * o->time * o->channels;
    float *grad = calloc(n, sizeof *grad);
    assert_non_null(grad);
    double v0;
    assert_int_equal(in->ifc->xEval(in->self, o, target, &v0, grad), SL_OK);
    const float h = 1.0f / 256.0f;
    for (size_t k = 0; k < n; k++) {
        float keep = out[k];
        double vp, vm;
        out[k] = keep + h;
        assert_int_equal(in->ifc->xEval(in->self, o, target, &vp, NULL),
                         SL_OK);
        out[k] = keep - h;
        assert_int_equal(in->ifc->xEval(in->self, o, target, &vm, NULL),
                         SL_OK);
        out[k] = keep;
        double fd = (vp - vm) / (2.0 * h);
        if (!(fabs(fd - grad[k]) <= tol * (1.0 + fabs(fd))))
            fail_msg("element %zu: analytic %.9g vs finite difference %.9g",
                     k, (double)grad[k], fd);
    }
    free(grad);
}

/* ---- tests ---- */

static void test_descriptor(void **state)
{
    (void)state;
    const sl_plugin_desc *d = g_plugin->desc;
    assert_int_equal(d->struct_size, sizeof(sl_plugin_desc));
    assert_int_equal(d->abi_major, SL_ABI_MAJOR);
    assert_int_equal(d->abi_minor, SL_ABI_MINOR);
    assert_string_equal(d->version, "0.1.0");
    assert_int_equal(d->n_components, 2);
    /* the van Rossum loss is superspike.so's: tests/test_van_rossum.c */
    const char *names[] = {"mse", "cross_entropy"};
    for (size_t i = 0; i < 2; i++) {
        const sl_component *c = &d->components[i];
        assert_int_equal(c->kind, SL_KIND_LOSS);
        assert_string_equal(c->name, names[i]);
        const sl_loss_iface *f = c->iface;
        assert_int_equal(f->struct_size, sizeof(sl_loss_iface));
        assert_non_null(f->xCreate);
        assert_non_null(f->xDestroy);
        assert_non_null(f->xEval);
    }
}

static void test_mse_by_hand(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "mse", ""), SL_OK);
    /* out [2][2][2], target [2][1][2] broadcast over time.
     * diffs: b0: (0,0) (-0.5,2); b1: (0,-1) (1,0) → Σd² = 6.25, /8 */
    float out[8] = {1, 0, 0.5f, 2, 0, 0, 1, 1};
    float tg[4] = {1, 0, 0, 1};
    sl_seq o = seq(out, 2, 2, 2), y = seq(tg, 2, 1, 2);
    float grad[8];
    double v = -1;
    assert_int_equal(in.ifc->xEval(in.self, &o, &y, &v, grad), SL_OK);
    assert_close(v, 0.78125, 1e-12);
    /* 2 d / 8 */
    const float want[8] = {0, 0, -0.125f, 0.5f, 0, -0.25f, 0.25f, 0};
    for (int k = 0; k < 8; k++)
        assert_close(grad[k], want[k], 1e-7);

    /* the same target spelled out over time gives the same numbers */
    float tg_full[8] = {1, 0, 1, 0, 0, 1, 0, 1};
    sl_seq yf = seq(tg_full, 2, 2, 2);
    double v2 = -1;
    assert_int_equal(in.ifc->xEval(in.self, &o, &yf, &v2, NULL), SL_OK);
    assert_close(v2, 0.78125, 1e-12);
    drop(&in);
}

static void test_mse_finite_differences(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "mse", ""), SL_OK);
    float out[2 * 3 * 4], tg1[2 * 4], tgT[2 * 3 * 4];
    for (int k = 0; k < 24; k++) {
        out[k] = (float)((k * 37 % 19) - 9) / 8.0f;
        tgT[k] = (float)(k % 3) / 4.0f;
    }
    for (int k = 0; k < 8; k++)
        tg1[k] = (k % 4 == k / 4) ? 1.0f : 0.0f;
    sl_seq o = seq(out, 2, 3, 4);
    sl_seq y1 = seq(tg1, 2, 1, 4), yT = seq(tgT, 2, 3, 4);
    check_fd(&in, out, &o, &y1, 1e-5);
    check_fd(&in, out, &o, &yT, 1e-5);
    drop(&in);
}

static void test_ce_by_hand(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "cross_entropy", ""), SL_OK); /* max */
    /* out [2][3][2]; decode max over time:
     *   b0: channel 0 max 1.0 at t1, channel 1 max 2.0 at t2 → z = (1, 2)
     *   b1: z = (3, 0) at t0 (ties in channel 1: all 0 → first step)
     * target class 0 for both (broadcast, time 1).
     *   L0 = log(1 + e)       = 1.31326168751822
     *   L1 = log(1 + e^-3)    = 0.0485873515737421
     *   L  = (L0 + L1)/2      = 0.680924519545983
     *   dz = (softmax − y)/2: b0 (−0.365529289315003, +0.365529289315003)
     *                         b1 (−0.0237129365887834, +0.0237129365887834)
     */
    float out[12] = {0.0f, 1.0f, 1.0f, 0.5f, 0.2f, 2.0f,
                     3.0f, 0.0f, 0.5f, 0.0f, 0.1f, 0.0f};
    float tg[4] = {1, 0, 1, 0};
    sl_seq o = seq(out, 2, 3, 2), y = seq(tg, 2, 1, 2);
    float grad[12];
    double v = -1;
    assert_int_equal(in.ifc->xEval(in.self, &o, &y, &v, grad), SL_OK);
    assert_close(v, 0.680924519545983, 1e-9);
    const double want[12] = {0, 0, -0.365529289315003, 0,
                             0, 0.365529289315003,
                             -0.0237129365887834, 0.0237129365887834, 0, 0,
                             0, 0};
    for (int k = 0; k < 12; k++)
        assert_close(grad[k], want[k], 1e-7);

    /* stability: shifting every logit by 1000 changes nothing */
    float big[12];
    for (int k = 0; k < 12; k++)
        big[k] = out[k] + 1000.0f;
    sl_seq ob = seq(big, 2, 3, 2);
    assert_int_equal(in.ifc->xEval(in.self, &ob, &y, &v, grad), SL_OK);
    assert_close(v, 0.680924519545983, 1e-4); /* float spacing at 1000 */
    assert_true(isfinite(v));
    drop(&in);

    /* decode "last" reads step T−1 only: z = (0.2, 2.0) and (0.1, 0):
     * L = (log(1+e^1.8) + log(1+e^-0.1))/2 — the hand value from Python:
     * (1.95297761 + 0.64439666)/2 */
    assert_int_equal(make(&in, "cross_entropy", "decode = \"last\";"),
                     SL_OK);
    assert_int_equal(in.ifc->xEval(in.self, &o, &y, &v, NULL), SL_OK);
    assert_close(v, (1.95297761 + 0.64439666) / 2.0, 1e-6);
    drop(&in);
}

static void test_ce_finite_differences(void **state)
{
    (void)state;
    const char *modes[] = {"max", "mean", "sum", "last"};
    /* B = 2, T = 4, C = 3, values spread on a 1/8 grid with no two equal
     * within a channel, so the arg-max is stable under ±h */
    float out[24];
    for (int k = 0; k < 24; k++)
        out[k] = (float)((k * 7) % 24) / 8.0f - 1.0f;
    float tg1[6] = {0, 1, 0, 1, 0, 0};
    float tgT[24];
    for (int k = 0; k < 24; k++) /* soft target: mean over time */
        tgT[k] = (float)((k % 3) == ((k / 3) % 3)) * 0.5f + 0.125f;
    sl_seq o = seq(out, 2, 4, 3);
    sl_seq y1 = seq(tg1, 2, 1, 3), yT = seq(tgT, 2, 4, 3);
    for (int m = 0; m < 4; m++) {
        inst in;
        char s[64];
        snprintf(s, sizeof s, "decode = \"%s\";", modes[m]);
        assert_int_equal(make(&in, "cross_entropy", s), SL_OK);
        sl__err err = {0};
        assert_int_equal(sl__config_check_unused(in.cfg, &err), SL_OK);
        check_fd(&in, out, &o, &y1, 2e-4);
        check_fd(&in, out, &o, &yT, 2e-4);
        drop(&in);
    }
}

static void test_ce_max_tie_goes_to_first(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "cross_entropy", "decode = \"max\";"), SL_OK);
    /* [1][3][2]: channel 0 peaks at 1.0 on steps 0 and 2 */
    float out[6] = {1.0f, 0.0f, 0.5f, 0.0f, 1.0f, 0.0f};
    float tg[2] = {0, 1};
    sl_seq o = seq(out, 1, 3, 2), y = seq(tg, 1, 1, 2);
    float grad[6];
    double v;
    assert_int_equal(in.ifc->xEval(in.self, &o, &y, &v, grad), SL_OK);
    assert_true(grad[0] != 0.0f);
    assert_true(grad[2] == 0.0f && grad[4] == 0.0f);
    drop(&in);
}

static void test_errors(void **state)
{
    (void)state;
    inst in;
    int rc = make(&in, "cross_entropy", "decode = \"median\";");
    assert_int_equal(rc, SL_ECONFIG);
    assert_null(in.self);
    assert_non_null(strstr(in.ctx.err.msg, "decode"));
    drop(&in);
    rc = make(&in, "cross_entropy", "decode = 3;");
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(in.ctx.err.msg, "decode"));
    drop(&in);

    const char *names[] = {"mse", "cross_entropy"};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(make(&in, names[i], ""), SL_OK);
        float out[12] = {0}, tg[12] = {0};
        double v;
        sl_seq o = seq(out, 2, 3, 2);
        sl_seq bad_c = seq(tg, 2, 1, 3), bad_t = seq(tg, 2, 2, 2),
               bad_b = seq(tg, 1, 1, 2);
        assert_int_equal(in.ifc->xEval(in.self, &o, &bad_c, &v, NULL),
                         SL_EINVAL);
        assert_int_equal(in.ifc->xEval(in.self, &o, &bad_t, &v, NULL),
                         SL_EINVAL);
        assert_int_equal(in.ifc->xEval(in.self, &o, &bad_b, &v, NULL),
                         SL_EINVAL);
        out[3] = NAN;
        sl_seq y = seq(tg, 2, 1, 2);
        assert_int_equal(in.ifc->xEval(in.self, &o, &y, &v, NULL),
                         SL_ENUMERIC);
        drop(&in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_mse_by_hand),
        cmocka_unit_test(test_mse_finite_differences),
        cmocka_unit_test(test_ce_by_hand),
        cmocka_unit_test(test_ce_finite_differences),
        cmocka_unit_test(test_ce_max_tie_goes_to_first),
        cmocka_unit_test(test_errors),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
