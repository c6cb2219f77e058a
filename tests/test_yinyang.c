/*
 * tests/test_yinyang.c — the "yinyang" dataset of datasets.so
 * (specs/yinyang.md), through the real loader: labels at known points and
 * the geometry's symmetry, class fractions of a large uniform sample
 * against the areas of §1, both sampling algorithms, the spike encoding
 * of §3.2 (steps of known features, the whole input of drawn samples),
 * targets as the cross_entropy loss and the accuracy evaluation read them,
 * determinism (own seed, run seed), random access and bad settings.
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
#include "engine/rng.h"
#include "testutil.h"

#include "../plugins/datasets/yinyang.h"

static sl__registry *g_reg;

static int setup(void **state)
{
    (void)state;
    g_reg = sl_test_load_plugin("datasets", NULL);
    return g_reg ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    sl__registry_free(g_reg);
    return 0;
}

/* One instance on settings `text`, with run seed `seed` and context name
 * `name` (the purpose of derived streams). */
typedef struct inst {
    sl__config *cfg;
    sl_ctx ctx;
    const sl_dataset_iface *ifc;
    void *self;
    sl_dataset_info info;
} inst;

static int make_named(inst *in, const char *settings, uint64_t seed,
                      const char *name)
{
    memset(in, 0, sizeof *in);
    const sl__entry *e = sl__registry_find(g_reg, SL_KIND_DATASET, "yinyang");
    assert_non_null(e);
    in->ifc = e->comp->iface;
    char text[1024];
    snprintf(text, sizeof text, "data = { %s };", settings);
    sl__err err = {0};
    if (sl__config_load_string(text, "test.cfg", &in->cfg, &err) != SL_OK)
        fail_msg("config: %s", err.msg);
    sl__ctx_init(&in->ctx, in->cfg, sl__config_find(in->cfg, NULL, "data"),
                 seed, name);
    sl_test_declare(&in->ctx, e);
    in->info.struct_size = sizeof in->info;
    in->self = (void *)0x1;
    int rc = in->ifc->xCreate(&sl__host, &in->ctx, &in->self, &in->info);
    if (rc != SL_OK)
        assert_null(in->self);
    return rc;
}

static void make_ok(inst *in, const char *settings, uint64_t seed,
                    const char *name)
{
    int rc = make_named(in, settings, seed, name);
    if (rc != SL_OK)
        fail_msg("\"%s\": %d %s", settings, rc, in->ctx.err.msg);
    /* every key set must have been read (an empty group is the core's
     * to mark) */
    sl__err err = {0};
    if (settings[0] && sl__config_check_unused(in->cfg, &err) != SL_OK)
        fail_msg("unread key: %s", err.msg);
}

static void drop(inst *in)
{
    if (in->self)
        in->ifc->xDestroy(in->self);
    sl__config_free(in->cfg);
    in->self = NULL;
    in->cfg = NULL;
}

static const sl_yinyang_debug *dbg(inst *in)
{
    const sl_yinyang_debug *d = in->ifc->xExtension(in->self,
                                                    SL_YINYANG_DEBUG);
    assert_non_null(d);
    assert_int_equal(d->struct_size, sizeof *d);
    return d;
}

static void point(inst *in, size_t i, double *x, double *y, int *label)
{
    assert_int_equal(dbg(in)->xPoint(in->self, i, x, y, label), SL_OK);
}

/* ------------------------------------------------------------- geometry */

static void test_descriptor(void **state)
{
    (void)state;
    const sl__entry *e = sl__registry_find(g_reg, SL_KIND_DATASET, "yinyang");
    assert_non_null(e);
    const sl_dataset_iface *f = e->comp->iface;
    assert_int_equal(f->struct_size, sizeof(sl_dataset_iface));
    inst in;
    make_ok(&in, "", 1, "data");
    assert_int_equal(in.info.n_samples, 5000);
    assert_int_equal(in.info.n_steps, 38); /* 38e-6 / 1e-6 */
    assert_int_equal(in.info.n_in, 5);
    assert_int_equal(in.info.n_out, 3);
    assert_int_equal(in.info.target_steps, 1);
    assert_true(in.info.dt == 1e-6);
    drop(&in);
}

/* Spec §1 at known points: the centres of the dots, points in the yin
 * and yang regions, the rings around the dots, outside the circle. */
static void test_labels_known(void **state)
{
    (void)state;
    inst in;
    make_ok(&in, "size = 3;", 1, "data");
    int (*label)(double, double) = dbg(&in)->xLabel;
    const struct {
        double x, y;
        int label;
    } pts[] = {
        {0.25, 0.5, 2},   /* centre of the left dot */
        {0.75, 0.5, 2},   /* centre of the right dot */
        {0.25, 0.55, 2},  {0.8, 0.45, 2}, /* inside the dots */
        {0.5, 0.9, 1},    /* upper half, far from the right dot: c3 */
        {0.25, 0.7, 1},   /* ring around the left dot: c2 (d_L = 0.2) */
        {0.25, 0.3, 1},   /* ring around the left dot, lower half */
        {0.5, 0.1, 0},    /* lower half, far from the left dot */
        {0.75, 0.7, 0},   /* ring around the right dot (d_R = 0.2) */
        {0.75, 0.3, 0},   /* ring around the right dot, lower half */
        {0.95, 0.5, 0},   /* right edge on the axis: d_R = 0.2 */
        {0.05, 0.5, 1},   /* left edge on the axis: d_L = 0.2 */
        {0.02, 0.02, -1}, /* corner: outside the big circle */
        {0.5, 1.0 - 1e-12, 1}, {0.99, 0.99, -1},
    };
    for (size_t k = 0; k < sizeof pts / sizeof pts[0]; k++)
        if (label(pts[k].x, pts[k].y) != pts[k].label)
            fail_msg("(%g, %g): label %d, expected %d", pts[k].x, pts[k].y,
                     label(pts[k].x, pts[k].y), pts[k].label);
    /* on exactly representable distances: d_R = 0.125 on the axis is
     * in no criterion (class 0); the centre, d_L = 0.25 = 0.5·r_big, is
     * still c2 (<=) */
    assert_int_equal(label(0.75 + 0.125, 0.5), 0);
    assert_int_equal(label(0.5, 0.5), 1);
    /* point symmetry: (x, y) -> (1 − x, 1 − y) swaps classes 0 and 1 and
     * keeps the dots (away from the boundaries, on a grid) */
    int seen[3] = {0};
    for (int i = 0; i < 200; i++)
        for (int j = 0; j < 200; j++) {
            const double x = (i + 0.37) / 200, y = (j + 0.61) / 200;
            const int a = label(x, y), b = label(1 - x, 1 - y);
            if (a < 0) {
                assert_int_equal(b, -1);
                continue;
            }
            seen[a]++;
            if (a == 2)
                assert_int_equal(b, 2);
            else if (b != 1 - a)
                fail_msg("(%g, %g): %d, mirrored %d", x, y, a, b);
        }
    assert_true(seen[0] > 1000 && seen[1] > 1000 && seen[2] > 100);
    drop(&in);
}

/* Class fractions of 1e6 uniform points of the unit square against the
 * areas of spec §1: dots 2π·0.01, classes 0 and 1 (π/4 − 2π·0.01)/2 each,
 * outside 1 − π/4. Binomial standard error sqrt(p(1−p)/N) <= 5e-4; the
 * band is 5 standard errors. */
static void test_area_fractions(void **state)
{
    (void)state;
    enum { N = 1000000 };
    inst in;
    make_ok(&in, "size = 1;", 1, "data");
    int (*label)(double, double) = dbg(&in)->xLabel;
    sl_rng rng;
    sl__rng_seed(&rng, 2021, "yinyang-test");
    size_t count[4] = {0};
    for (size_t k = 0; k < N; k++) {
        const double x = sl__rng_uniform(&rng), y = sl__rng_uniform(&rng);
        count[label(x, y) + 1]++;
    }
    const double pi = 3.14159265358979323846;
    const double dots = 2 * pi * 0.01, half = (pi / 4 - dots) / 2;
    const double expect[4] = {1 - pi / 4, half, half, dots};
    for (size_t c = 0; c < 4; c++) {
        const double f = (double)count[c] / N;
        const double se = sqrt(expect[c] * (1 - expect[c]) / N);
        if (fabs(f - expect[c]) > 5 * se)
            fail_msg("label %d: fraction %.5f, area %.5f (se %.1e)",
                     (int)c - 1, f, expect[c], se);
    }
    drop(&in);
}

/* ------------------------------------------------------------- sampling */

/* Every drawn point lies in the disc and carries its own label; class
 * counts: exact for "balanced", binomial(size, 1/3) for "kriener"; the
 * dots' points are spread over both dots. */
static void test_sampling(void **state)
{
    (void)state;
    const char *cfgs[] = {"size = 6000; seed = 42;",
                          "size = 6001; seed = 42; algorithm = \"balanced\";",
                          "size = 1; algorithm = \"balanced\";",
                          "size = 2; algorithm = \"balanced\";"};
    for (size_t q = 0; q < 4; q++) {
        inst in;
        make_ok(&in, cfgs[q], 3, "data");
        const size_t n = in.info.n_samples;
        size_t count[3] = {0}, left_dot = 0, switches = 0;
        int prev = -1;
        for (size_t i = 0; i < n; i++) {
            double x, y;
            int l;
            point(&in, i, &x, &y, &l);
            assert_true(x >= 0 && x < 1 && y >= 0 && y < 1);
            assert_true(hypot(x - 0.5, y - 0.5) < 0.5);
            assert_int_equal(dbg(&in)->xLabel(x, y), l);
            count[l]++;
            left_dot += l == 2 && x < 0.5;
            switches += prev >= 0 && l != prev;
            prev = l;
        }
        if (q == 0) { /* kriener: 5 standard errors of 36.5 */
            for (size_t c = 0; c < 3; c++)
                if (fabs((double)count[c] - 2000.0) > 5 * 36.5)
                    fail_msg("kriener class %zu: %zu of 6000", c, count[c]);
        } else { /* balanced: exactly size/3, size/3, the rest */
            assert_int_equal(count[0], n / 3);
            assert_int_equal(count[1], n / 3);
            assert_int_equal(count[2], n - 2 * (n / 3));
        }
        if (n > 1000) {
            /* both dots, about equally (binomial(2000, 1/2): se 22) */
            assert_true(fabs((double)left_dot - count[2] / 2.0) < 5 * 23);
            /* shuffled: not in class blocks (a random order switches
             * class about 2/3 of the time) */
            assert_true(switches > n / 2);
        }
        assert_int_equal(dbg(&in)->xPoint(in.self, n, &(double){0},
                                          &(double){0}, &(int){0}),
                         SL_EINVAL);
        drop(&in);
    }
}

/* ------------------------------------------------------------- encoding */

/* Check one sample's input and target against its point: exactly one
 * spike per channel, at the expected steps. */
static void check_sample(inst *in, size_t i, long (*step)(double),
                         long bias)
{
    const size_t T = in->info.n_steps;
    float *x = malloc(T * 5 * sizeof *x), target[3];
    assert_non_null(x);
    memset(target, 0xff, sizeof target);
    assert_int_equal(in->ifc->xGet(in->self, i, x, target), SL_OK);
    double px, py;
    int l;
    point(in, i, &px, &py, &l);
    const double f[4] = {px, py, 1 - px, 1 - py};
    for (size_t c = 0; c < 5; c++) {
        const long want = c < 4 ? step(f[c]) : bias;
        size_t ones = 0;
        for (size_t t = 0; t < T; t++) {
            const float v = x[t * 5 + c];
            assert_true(v == 0.0f || v == 1.0f);
            if (v == 1.0f) {
                ones++;
                if ((long)t != want)
                    fail_msg("sample %zu channel %zu: spike at %zu, "
                             "expected %ld",
                             i, c, t, want);
            }
        }
        assert_int_equal(ones, 1);
    }
    /* one-hot at the label: cross_entropy's probabilities, accuracy's
     * arg-max */
    for (int c = 0; c < 3; c++)
        assert_true(target[c] == (c == l ? 1.0f : 0.0f));
    free(x);
}

static double g_te, g_tl, g_dt; /* for the expected-step function */
static long expect_step(double f)
{
    /* spec §3.2: round(t_i / dt), t_i = t_early + f·(t_late − t_early) */
    return lrint((g_te + f * (g_tl - g_te)) / g_dt);
}

static void test_encoding(void **state)
{
    (void)state;
    inst in;
    make_ok(&in, "size = 200; seed = 1;", 1, "data");
    const sl_yinyang_debug *d = dbg(&in);
    /* known features with the defaults (t_early 2 µs, t_late 26 µs,
     * dt 1 µs): step = round(2 + 24·f) */
    const struct {
        double f;
        long step;
    } known[] = {{0.0, 2},     {1.0, 26},   {0.5, 14},  {0.25, 8},
                 {0.75, 20},   {0.1, 4},    {0.9, 24},  {1.0 / 3, 10},
                 {0.02, 2},    {0.03, 3},   {0.999, 26}};
    for (size_t k = 0; k < sizeof known / sizeof known[0]; k++)
        if (d->xStep(in.self, known[k].f) != known[k].step)
            fail_msg("feature %g: step %ld, expected %ld", known[k].f,
                     d->xStep(in.self, known[k].f), known[k].step);
    assert_int_equal(d->xBiasStep(in.self), 2);
    g_te = 2e-6;
    g_tl = 26e-6;
    g_dt = 1e-6;
    for (size_t i = 0; i < 200; i++)
        check_sample(&in, i, expect_step, 2);
    drop(&in);

    /* other times: 0 µs .. 10 µs on a 0.5 µs grid, bias at 3 µs */
    make_ok(&in,
            "size = 50; seed = 2; t_early = 0.0; t_late = 10e-6; "
            "t_bias = 3e-6; t_sim = 12e-6; dt = 0.5e-6;",
            1, "data");
    assert_int_equal(in.info.n_steps, 24);
    assert_true(in.info.dt == 0.5e-6);
    g_te = 0;
    g_tl = 10e-6;
    g_dt = 0.5e-6;
    for (size_t i = 0; i < 50; i++)
        check_sample(&in, i, expect_step, 6);
    drop(&in);
    /* exact ties round half to even (torch.round): t_late = 8 s, dt = 1 s,
     * so f·8 is exact */
    make_ok(&in, "size = 1; t_early = 0.0; t_late = 8.0; t_sim = 10.0; "
                 "dt = 1.0; t_bias = 0.0;", 1, "data");
    assert_int_equal(dbg(&in)->xStep(in.self, 0.0625), 0); /* 0.5 */
    assert_int_equal(dbg(&in)->xStep(in.self, 0.1875), 2); /* 1.5 */
    assert_int_equal(dbg(&in)->xStep(in.self, 0.3125), 2); /* 2.5 */
    assert_int_equal(dbg(&in)->xStep(in.self, 0.4375), 4); /* 3.5 */
    assert_int_equal(dbg(&in)->xBiasStep(in.self), 0);
    drop(&in);
    /* 3e-4/1e-4 = 2.9999999999999996 in double: the bias step is still
     * 3 (hxtorch's int() would give 2) */
    make_ok(&in, "size = 1; t_early = 0.0; t_late = 1e-3; t_sim = 1.2e-3; "
                 "dt = 1e-4; t_bias = 3e-4;", 1, "data");
    assert_int_equal(in.info.n_steps, 12);
    assert_int_equal(dbg(&in)->xBiasStep(in.self), 3);
    drop(&in);
    /* t_late exactly at the last step is allowed (feature 1 only occurs
     * at x = 0) */
    make_ok(&in, "size = 1; t_late = 37e-6;", 1, "data");
    assert_int_equal(dbg(&in)->xStep(in.self, 1.0), 37);
    drop(&in);
}

/* ---------------------------------------------------------- determinism */

static int same_data(inst *a, inst *b)
{
    if (a->info.n_samples != b->info.n_samples)
        return 0;
    for (size_t i = 0; i < a->info.n_samples; i++) {
        double xa, ya, xb, yb;
        int la, lb;
        point(a, i, &xa, &ya, &la);
        point(b, i, &xb, &yb, &lb);
        if (xa != xb || ya != yb || la != lb)
            return 0;
    }
    return 1;
}

/* encoding = "current" (the peers' benchmark 2b): every step carries
 * (x, y, 1 − x, 1 − y, 1); the same points as the spike encoding; the
 * spike times are not read then, so setting one is refused as unused. */
static void test_encoding_current(void **state)
{
    (void)state;
    inst in, sp;
    make_ok(&in, "size = 50; seed = 4; encoding = \"current\"; "
                 "t_sim = 0.1; dt = 1e-3;", 1, "data");
    make_ok(&sp, "size = 50; seed = 4;", 1, "data");
    assert_int_equal(in.info.n_steps, 100);
    assert_int_equal(in.info.n_in, 5);
    float *x = malloc(100 * 5 * sizeof *x);
    assert_non_null(x);
    for (size_t i = 0; i < 50; i++) {
        double px, py, qx, qy;
        int lab, lab2;
        point(&in, i, &px, &py, &lab);
        point(&sp, i, &qx, &qy, &lab2);
        assert_true(px == qx && py == qy && lab == lab2);
        float t[3];
        assert_int_equal(in.ifc->xGet(in.self, i, x, t), SL_OK);
        const float f[5] = {(float)px, (float)py, (float)(1 - px),
                            (float)(1 - py), 1.0f};
        for (size_t st = 0; st < 100; st++)
            assert_memory_equal(x + st * 5, f, sizeof f);
        assert_true(t[lab] == 1.0f);
    }
    free(x);
    drop(&in);
    drop(&sp);
    assert_int_equal(make_named(&in, "encoding = \"current\"; "
                                     "t_sim = 0.1; dt = 1e-3; t_early = 0.0;",
                                1, "data"),
                     SL_OK);
    sl__err err = {0};
    assert_int_not_equal(sl__config_check_unused(in.cfg, &err), SL_OK);
    assert_non_null(strstr(err.msg, "t_early"));
    drop(&in);
    assert_int_equal(make_named(&in, "encoding = \"rate\";", 1, "data"),
                     SL_ECONFIG);
    drop(&in);
}

static void test_determinism(void **state)
{
    (void)state;
    const char *algs[] = {"", "algorithm = \"balanced\";"};
    for (size_t q = 0; q < 2; q++) {
        char s42[128], s41[128], snone[128];
        snprintf(s42, sizeof s42, "size = 300; seed = 42; %s", algs[q]);
        snprintf(s41, sizeof s41, "size = 300; seed = 41; %s", algs[q]);
        snprintf(snone, sizeof snone, "size = 300; %s", algs[q]);
        inst a, b, c, r1, r2, r3, r4;
        /* own seed: independent of the run seed and the name */
        make_ok(&a, s42, 1, "data.train");
        make_ok(&b, s42, 99, "data.test");
        make_ok(&c, s41, 1, "data.train");
        assert_true(same_data(&a, &b));
        assert_false(same_data(&a, &c));
        /* no seed: from the run seed and the dataset's name */
        make_ok(&r1, snone, 7, "data.train");
        make_ok(&r2, snone, 7, "data.train");
        make_ok(&r3, snone, 8, "data.train");
        make_ok(&r4, snone, 7, "data.test");
        assert_true(same_data(&r1, &r2));
        assert_false(same_data(&r1, &r3));
        assert_false(same_data(&r1, &r4));
        assert_false(same_data(&r1, &a));

        /* inputs and targets identical too, in any order of xGet */
        const size_t T = a.info.n_steps;
        float *xa = malloc(T * 5 * sizeof *xa), *xb = malloc(T * 5 * sizeof *xb);
        float ta[3], tb[3];
        assert_non_null(xa);
        assert_non_null(xb);
        for (size_t k = 0; k < 300; k++) {
            const size_t i = (k * 37) % 300, j = 299 - (k * 37) % 300;
            assert_int_equal(a.ifc->xGet(a.self, i, xa, ta), SL_OK);
            assert_int_equal(b.ifc->xGet(b.self, j, xb, tb), SL_OK);
            assert_int_equal(b.ifc->xGet(b.self, i, xb, tb), SL_OK);
            assert_memory_equal(xa, xb, T * 5 * sizeof *xa);
            assert_memory_equal(ta, tb, sizeof ta);
        }
        /* NULL buffers are skipped; past the end is an error */
        assert_int_equal(a.ifc->xGet(a.self, 0, NULL, NULL), SL_OK);
        assert_int_equal(a.ifc->xGet(a.self, 300, xa, ta), SL_EINVAL);
        assert_non_null(strstr(a.ctx.err.msg, "300"));
        free(xa);
        free(xb);
        drop(&a);
        drop(&b);
        drop(&c);
        drop(&r1);
        drop(&r2);
        drop(&r3);
        drop(&r4);
    }
    /* the two algorithms draw different sets from one seed */
    inst k, bl;
    make_ok(&k, "size = 300; seed = 5;", 1, "data");
    make_ok(&bl, "size = 300; seed = 5; algorithm = \"balanced\";", 1,
            "data");
    assert_false(same_data(&k, &bl));
    drop(&k);
    drop(&bl);
}

/* ---------------------------------------------------------- bad inputs */

static void test_bad_settings(void **state)
{
    (void)state;
    const struct {
        const char *text, *needle;
    } cases[] = {
        {"size = 0;", "size"},
        {"size = -5;", "size"},
        {"size = 1.5;", "size"},
        {"seed = \"x\";", "seed"},
        {"algorithm = \"jax\";", "algorithm"},
        {"algorithm = 3;", "algorithm"},
        {"dt = 0.0;", "dt"},
        {"dt = -1e-6;", "dt"},
        {"t_early = -1e-6;", "t_early"},
        {"t_late = 2e-6;", "t_late"},   /* not after t_early */
        {"t_late = 1e-6;", "t_late"},
        {"t_sim = 38.5e-6;", "t_sim"},  /* not a whole number of dt */
        {"t_sim = 0.0;", "t_sim"},
        {"t_sim = 20e-6;", "t_late"},   /* feature spikes past the end */
        {"t_bias = 40e-6;", "t_bias"},  /* bias spike past the end */
        {"t_late = \"late\";", "t_late"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        inst in;
        int rc = make_named(&in, cases[c].text, 1, "data");
        if (rc != SL_ECONFIG || !strstr(in.ctx.err.msg, cases[c].needle))
            fail_msg("\"%s\": got %d \"%s\", expected SL_ECONFIG naming %s",
                     cases[c].text, rc, in.ctx.err.msg, cases[c].needle);
        drop(&in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_labels_known),
        cmocka_unit_test(test_area_fractions),
        cmocka_unit_test(test_sampling),
        cmocka_unit_test(test_encoding),
        cmocka_unit_test(test_encoding_current),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_bad_settings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
