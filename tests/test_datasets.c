/* tests/test_datasets.c — datasets.so through the real loader: descriptor,
 * frozen_noise determinism, random access, statistics, targets and errors. */
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
    g_reg = sl_test_load_plugin("datasets", &g_plugin);
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
    const sl_dataset_iface *ifc;
    void *self;
    sl_dataset_info info;
} inst;

static int make_comp(inst *in, const char *comp, const char *settings)
{
    memset(in, 0, sizeof *in);
    const sl__entry *e = sl__registry_find(g_reg, SL_KIND_DATASET, comp);
    assert_non_null(e);
    in->ifc = e->comp->iface;
    char text[1024];
    snprintf(text, sizeof text, "data = { %s };", settings);
    sl__err err = {0};
    if (sl__config_load_string(text, "test.cfg", &in->cfg, &err) != SL_OK)
        fail_msg("config: %s", err.msg);
    sl__ctx_init(&in->ctx, in->cfg, sl__config_find(in->cfg, NULL, "data"),
                 1, "data");
    sl_test_declare(&in->ctx, e);
    in->info.struct_size = sizeof in->info;
    return in->ifc->xCreate(&sl__host, &in->ctx, &in->self, &in->info);
}

static int make(inst *in, const char *settings)
{
    return make_comp(in, "frozen_noise", settings);
}

static void drop(inst *in)
{
    if (in->self)
        in->ifc->xDestroy(in->self);
    sl__config_free(in->cfg);
    in->self = NULL;
    in->cfg = NULL;
}

static float *get(inst *in, size_t i, float *target)
{
    size_t n = in->info.n_steps * in->info.n_in;
    float *x = malloc(n * sizeof *x);
    assert_non_null(x);
    assert_int_equal(in->ifc->xGet(in->self, i, x, target), SL_OK);
    return x;
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
    /* + yinyang (test_yinyang.c), bars and bernoulli (below) */
    assert_int_equal(d->n_components, 4);
    const sl_component *c = &d->components[0];
    assert_int_equal(c->kind, SL_KIND_DATASET);
    assert_string_equal(c->name, "frozen_noise");
    const sl_dataset_iface *f = c->iface;
    assert_int_equal(f->struct_size, sizeof(sl_dataset_iface));
    assert_non_null(f->xCreate);
    assert_non_null(f->xDestroy);
    assert_non_null(f->xGet);
}

static void test_defaults(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, ""), SL_OK);
    assert_int_equal(in.info.n_samples, 2);
    assert_int_equal(in.info.n_steps, 500); /* 0.5 s / 1 ms, despite the
                                               499.99999999999994 quotient */
    assert_int_equal(in.info.n_in, 60);
    assert_int_equal(in.info.n_out, 2);
    assert_int_equal(in.info.target_steps, 1);
    assert_true(in.info.dt == 1e-3);
    drop(&in);

    /* every documented key is read */
    assert_int_equal(make(&in, "n_samples = 3; n_channels = 5; "
                               "duration = 0.2; rate = 100.0; dt = 2e-3; "
                               "n_out = 3; seed = 7;"),
                     SL_OK);
    sl__err err = {0};
    assert_int_equal(sl__config_check_unused(in.cfg, &err), SL_OK);
    assert_int_equal(in.info.n_steps, 100);
    assert_int_equal(in.info.n_in, 5);
    assert_true(in.info.dt == 2e-3);
    drop(&in);
}

static void test_determinism(void **state)
{
    (void)state;
    inst a, b, c;
    assert_int_equal(make(&a, "seed = 2022;"), SL_OK);
    assert_int_equal(make(&b, "seed = 2022;"), SL_OK);
    assert_int_equal(make(&c, "seed = 2023;"), SL_OK);
    size_t bytes = a.info.n_steps * a.info.n_in * sizeof(float);
    for (size_t i = 0; i < 2; i++) {
        float *xa = get(&a, i, NULL), *xb = get(&b, i, NULL);
        float *xc = get(&c, i, NULL);
        assert_memory_equal(xa, xb, bytes);    /* same seed: bit-identical */
        assert_memory_not_equal(xa, xc, bytes); /* other seed: different */
        /* asking again gives the same sample */
        float *xa2 = get(&a, i, NULL);
        assert_memory_equal(xa, xa2, bytes);
        free(xa);
        free(xb);
        free(xc);
        free(xa2);
    }
    /* samples of one set differ from each other */
    float *x0 = get(&a, 0, NULL), *x1 = get(&a, 1, NULL);
    assert_memory_not_equal(x0, x1, bytes);
    free(x0);
    free(x1);
    drop(&a);
    drop(&b);
    drop(&c);
}

static void test_random_access(void **state)
{
    (void)state;
    inst a, b;
    assert_int_equal(make(&a, "seed = 5; n_samples = 4;"), SL_OK);
    assert_int_equal(make(&b, "seed = 5; n_samples = 4;"), SL_OK);
    size_t bytes = a.info.n_steps * a.info.n_in * sizeof(float);
    float *a1 = get(&a, 1, NULL), *a0 = get(&a, 0, NULL); /* 1 then 0 */
    float *b0 = get(&b, 0, NULL), *b1 = get(&b, 1, NULL); /* 0 then 1 */
    assert_memory_equal(a0, b0, bytes);
    assert_memory_equal(a1, b1, bytes);
    /* a set with more samples keeps the earlier ones unchanged */
    inst c;
    assert_int_equal(make(&c, "seed = 5; n_samples = 2;"), SL_OK);
    float *c1 = get(&c, 1, NULL);
    assert_memory_equal(c1, b1, bytes);
    free(a0);
    free(a1);
    free(b0);
    free(b1);
    free(c1);
    drop(&a);
    drop(&b);
    drop(&c);
}

/* numpy_seed: the tutorial's own samples, np.random.seed(s);
 * np.random.poisson(0.05, (n, 500, 60)). Reference values printed by
 * NumPy 1.24.2 (spike totals per sample, first non-zero flat indices of
 * sample 0, its first counts of 2). */
static double total(const float *x, size_t n)
{
    double t = 0;
    for (size_t k = 0; k < n; k++)
        t += x[k];
    return t;
}

static void test_numpy_samples(void **state)
{
    (void)state;
    inst a;
    assert_int_equal(make(&a, "numpy_seed = 2022; n_samples = 2;"), SL_OK);
    size_t n = a.info.n_steps * a.info.n_in;
    assert_int_equal(n, 500 * 60);
    float *x1 = get(&a, 1, NULL), *x0 = get(&a, 0, NULL); /* any order */
    assert_true(total(x0, n) == 1505.0);
    assert_true(total(x1, n) == 1591.0);
    static const size_t nz[8] = {13, 17, 30, 36, 62, 64, 72, 121};
    size_t k = 0;
    for (size_t i = 0; i < n && k < 8; i++)
        if (x0[i] > 0) {
            assert_int_equal(i, nz[k]);
            assert_true(x0[i] == 1.0f);
            k++;
        }
    assert_int_equal(k, 8);
    static const size_t twos[4] = {882, 1590, 1628, 2427};
    k = 0;
    for (size_t i = 0; i < n && k < 4; i++)
        if (x0[i] > 1) {
            assert_int_equal(i, twos[k]);
            assert_true(x0[i] == 2.0f);
            k++;
        }
    assert_int_equal(k, 4);
    free(x0);
    free(x1);
    drop(&a);

    /* the test set: 100 samples from seed 2023, last one by random access */
    inst b;
    assert_int_equal(make(&b, "numpy_seed = 2023; n_samples = 100;"),
                     SL_OK);
    float *y99 = get(&b, 99, NULL), *y0 = get(&b, 0, NULL);
    assert_true(total(y0, n) == 1478.0);
    assert_true(total(y99, n) == 1540.0);
    static const size_t nz99[5] = {10, 39, 41, 59, 68};
    k = 0;
    for (size_t i = 0; i < n && k < 5; i++)
        if (y99[i] > 0)
            assert_int_equal(i, nz99[k++]);
    double all = 0;
    for (size_t i = 0; i < 100; i++) {
        float *y = get(&b, i, NULL);
        all += total(y, n);
        free(y);
    }
    assert_true(all == 150143.0);
    free(y0);
    free(y99);
    drop(&b);
}

static void test_statistics(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "n_samples = 20; seed = 11;"), SL_OK);
    size_t per = in.info.n_steps * in.info.n_in;
    double sum = 0, sum2 = 0, n = 0, multi = 0;
    for (size_t i = 0; i < 20; i++) {
        float *x = get(&in, i, NULL);
        for (size_t k = 0; k < per; k++) {
            assert_true(x[k] >= 0 && x[k] == floorf(x[k])); /* counts */
            sum += x[k];
            sum2 += (double)x[k] * x[k];
            multi += x[k] >= 2;
        }
        n += (double)per;
        free(x);
    }
    /* Poisson(0.05) over N = 600000 draws: sd of the mean is
     * sqrt(0.05/N) = 2.9e-4, sd of the sample variance about
     * sqrt((μ+2μ²)/N) = 3.0e-4; allow 5 sd. */
    double mean = sum / n, var = sum2 / n - mean * mean;
    if (fabs(mean - 0.05) > 5 * 2.9e-4)
        fail_msg("mean count %g, want 0.05", mean);
    if (fabs(var - 0.05) > 5 * 3.0e-4)
        fail_msg("count variance %g, want 0.05 (Poisson)", var);
    /* counts, not a Bernoulli train: P(k >= 2) = 1.21e-3 → ~730 of them */
    if (multi < 500 || multi > 1000)
        fail_msg("%g steps with 2+ spikes, want about 730", multi);
    drop(&in);
}

static void test_targets(void **state)
{
    (void)state;
    inst in;
    assert_int_equal(make(&in, "n_samples = 7; n_out = 3; n_channels = 4; "
                               "duration = 0.05;"),
                     SL_OK);
    for (size_t i = 0; i < 7; i++) {
        float t[3] = {-1, -1, -1};
        float *x = get(&in, i, t);
        for (size_t c = 0; c < 3; c++)
            assert_true(t[c] == (c == i % 3 ? 1.0f : 0.0f));
        free(x);
    }
    /* target alone, no input buffer */
    float t[3];
    assert_int_equal(in.ifc->xGet(in.self, 5, NULL, t), SL_OK);
    assert_true(t[2] == 1.0f && t[0] == 0.0f && t[1] == 0.0f);
    /* out of range */
    assert_int_equal(in.ifc->xGet(in.self, 7, NULL, t), SL_EINVAL);
    drop(&in);
}

static void expect_bad(const char *settings, int code, const char *key)
{
    inst in;
    int rc = make(&in, settings);
    if (rc != code)
        fail_msg("{%s}: expected %d, got %d (%s)", settings, code, rc,
                 in.ctx.err.msg);
    assert_null(in.self);
    if (!strstr(in.ctx.err.msg, key))
        fail_msg("{%s}: message does not name '%s': %s", settings, key,
                 in.ctx.err.msg);
    drop(&in);
}

static void test_bad_settings(void **state)
{
    (void)state;
    expect_bad("n_samples = 0;", SL_ECONFIG, "n_samples");
    expect_bad("n_channels = 0;", SL_ECONFIG, "n_channels");
    expect_bad("n_out = 0;", SL_ECONFIG, "n_out");
    expect_bad("n_out = -2;", SL_ECONFIG, "n_out");
    expect_bad("rate = -1.0;", SL_ECONFIG, "rate");
    expect_bad("rate = 2000.0;", SL_ECONFIG, "rate"); /* 2 per step */
    expect_bad("dt = 0.0;", SL_ECONFIG, "dt");
    expect_bad("duration = 0.0004;", SL_ECONFIG, "duration"); /* < 1 step */
    expect_bad("duration = 0.5005;", SL_ECONFIG, "duration"); /* 500.5 */
    expect_bad("seed = \"x\";", SL_ECONFIG, "seed");
    expect_bad("numpy_seed = -1;", SL_ECONFIG, "numpy_seed");
    expect_bad("numpy_seed = 4294967296L;", SL_ECONFIG, "numpy_seed");
    expect_bad("n_samples = 1.5;", SL_ECONFIG, "n_samples");
    /* no spike at all is a data error telling how to fix it */
    expect_bad("rate = 0.0;", SL_EDATA, "raise rate or duration");
    expect_bad("rate = 0.01; duration = 0.01; n_channels = 1;", SL_EDATA,
               "raise rate or duration");
}

/* bernoulli (the SHD-sized stand-in of the peers' benchmark 2c): the
 * shape from its settings, entries 0 or 1 with frequency p, one-hot
 * targets with every label used, the same sample on every call and a
 * sample independent of how many there are; a p outside [0, 1] and a
 * duration that is not a whole number of steps are refused. */
static void test_bernoulli(void **state)
{
    (void)state;
    inst in, in2;
    assert_int_equal(make_comp(&in, "bernoulli",
                               "n_samples = 200; n_channels = 50; n_out = 4; "
                               "duration = 0.05; p = 0.1; seed = 3;"),
                     SL_OK);
    assert_int_equal(in.info.n_samples, 200);
    assert_int_equal(in.info.n_steps, 50);
    assert_int_equal(in.info.n_in, 50);
    assert_int_equal(in.info.n_out, 4);
    assert_int_equal(in.info.target_steps, 1);
    size_t ones = 0, total = 0, seen[4] = {0};
    for (size_t i = 0; i < 200; i++) {
        float t[4];
        float *x = get(&in, i, t);
        for (size_t k = 0; k < 50 * 50; k++) {
            assert_true(x[k] == 0.0f || x[k] == 1.0f);
            ones += x[k] == 1.0f;
            total++;
        }
        int hot = -1;
        for (int c = 0; c < 4; c++) {
            assert_true(t[c] == 0.0f || t[c] == 1.0f);
            if (t[c] == 1.0f) {
                assert_int_equal(hot, -1);
                hot = c;
            }
        }
        assert_true(hot >= 0);
        seen[hot]++;
        float t2[4];
        float *y = get(&in, i, t2);
        assert_memory_equal(x, y, 50 * 50 * sizeof *x);
        assert_memory_equal(t, t2, sizeof t);
        free(x);
        free(y);
    }
    /* 500,000 draws of p = 0.1: standard deviation 0.00042 */
    assert_float_equal((double)ones / (double)total, 0.1, 0.003);
    for (int c = 0; c < 4; c++)
        assert_true(seen[c] > 20);
    /* sample 7 does not depend on the set's size */
    assert_int_equal(make_comp(&in2, "bernoulli",
                               "n_samples = 10; n_channels = 50; n_out = 4; "
                               "duration = 0.05; p = 0.1; seed = 3;"),
                     SL_OK);
    float *a = get(&in, 7, NULL), *b = get(&in2, 7, NULL);
    assert_memory_equal(a, b, 50 * 50 * sizeof *a);
    free(a);
    free(b);
    drop(&in);
    drop(&in2);
    assert_int_equal(make_comp(&in, "bernoulli", "p = 1.5;"), SL_ECONFIG);
    drop(&in);
    assert_int_equal(make_comp(&in, "bernoulli", "duration = 0.0105;"),
                     SL_ECONFIG);
    drop(&in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_random_access),
        cmocka_unit_test(test_numpy_samples),
        cmocka_unit_test(test_statistics),
        cmocka_unit_test(test_targets),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_bernoulli),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
