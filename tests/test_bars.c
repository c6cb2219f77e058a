/* tests/test_bars.c — the "bars" dataset of datasets.so through the real
 * loader: shape, labels, the bar where and as the class says, spike rates
 * on and off the bar, determinism and random access, independent seeds,
 * bad settings naming the key. */
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

typedef struct inst {
    sl__config *cfg;
    sl_ctx ctx;
    const sl_dataset_iface *ifc;
    void *self;
    sl_dataset_info info;
} inst;

static int make(inst *in, const char *settings)
{
    memset(in, 0, sizeof *in);
    const sl__entry *e = sl__registry_find(g_reg, SL_KIND_DATASET, "bars");
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

static void drop(inst *in)
{
    if (in->self)
        in->ifc->xDestroy(in->self);
    sl__config_free(in->cfg);
    in->self = NULL;
    in->cfg = NULL;
}

/* Spike counts per pixel of sample i, summed over time, into cnt[S*S];
 * returns the target's class. */
static int counts(inst *in, size_t i, size_t S, double *cnt)
{
    size_t T = in->info.n_steps;
    float *x = malloc(T * S * S * sizeof *x), tg[2] = {-1, -1};
    assert_non_null(x);
    assert_int_equal(in->ifc->xGet(in->self, i, x, tg), SL_OK);
    memset(cnt, 0, S * S * sizeof *cnt);
    for (size_t t = 0; t < T; t++)
        for (size_t k = 0; k < S * S; k++) {
            assert_true(x[t * S * S + k] == 0.0f || x[t * S * S + k] == 1.0f);
            cnt[k] += x[t * S * S + k];
        }
    free(x);
    assert_true(tg[0] + tg[1] == 1.0f && (tg[0] == 1.0f || tg[1] == 1.0f));
    return tg[1] == 1.0f;
}

static void test_shape_and_bars(void **state)
{
    (void)state;
    inst in;
    /* no noise, always-on bar: the image is exactly the bar */
    assert_int_equal(make(&in, "type = \"bars\"; n_samples = 40; size = 6; "
                               "length = 3; duration = 0.01; dt = 1e-3; "
                               "rate_on = 1000.0; rate_off = 0.0;"),
                     SL_OK);
    assert_int_equal(in.info.n_samples, 40);
    assert_int_equal(in.info.n_steps, 10);
    assert_int_equal(in.info.n_in, 36);
    assert_int_equal(in.info.n_out, 2);
    assert_int_equal(in.info.target_steps, 1);
    const size_t S = 6;
    double cnt[36];
    int seen_row[6] = {0}, seen_col[6] = {0};
    for (size_t i = 0; i < 40; i++) {
        int cls = counts(&in, i, S, cnt);
        assert_int_equal(cls, (int)(i % 2));
        /* exactly `length` pixels lit, all in one row (class 0) or one
         * column (class 1), contiguous */
        size_t lit = 0, r0 = S, c0 = S, r1 = 0, c1 = 0;
        for (size_t r = 0; r < S; r++)
            for (size_t c = 0; c < S; c++)
                if (cnt[r * S + c] > 0) {
                    assert_true(cnt[r * S + c] == 10.0);
                    lit++;
                    r0 = r < r0 ? r : r0, r1 = r > r1 ? r : r1;
                    c0 = c < c0 ? c : c0, c1 = c > c1 ? c : c1;
                }
        assert_int_equal(lit, 3);
        if (cls == 0) {
            assert_int_equal(r0, r1);
            assert_int_equal(c1 - c0, 2);
            seen_row[r0] = 1;
        } else {
            assert_int_equal(c0, c1);
            assert_int_equal(r1 - r0, 2);
            seen_col[c0] = 1;
        }
    }
    /* the bars move: several rows and columns occur */
    int nr = 0, nc = 0;
    for (size_t k = 0; k < S; k++)
        nr += seen_row[k], nc += seen_col[k];
    assert_true(nr >= 3 && nc >= 3);
    drop(&in);
}

static void test_rates(void **state)
{
    (void)state;
    inst in;
    /* defaults: 8x8, length 4, 50 steps, 200 Hz on, 20 Hz off */
    assert_int_equal(make(&in, "type = \"bars\"; n_samples = 200;"), SL_OK);
    assert_int_equal(in.info.n_in, 64);
    assert_int_equal(in.info.n_steps, 50);
    double cnt[64], on = 0, off = 0;
    for (size_t i = 0; i < 200; i++) {
        counts(&in, i, 8, cnt);
        for (size_t k = 0; k < 64; k++)
            off += cnt[k];
    }
    drop(&in);
    /* the same samples without noise give the bar's share */
    assert_int_equal(make(&in, "type = \"bars\"; n_samples = 200; "
                               "rate_off = 0.0;"),
                     SL_OK);
    for (size_t i = 0; i < 200; i++) {
        counts(&in, i, 8, cnt);
        for (size_t k = 0; k < 64; k++)
            on += cnt[k];
    }
    drop(&in);
    off -= on; /* the same draws: the bar spikes alike in both sets */
    /* on: 200 samples x 4 pixels x 50 steps x 0.2 = 8000 expected */
    double p_on = on / (200.0 * 4 * 50), p_off = off / (200.0 * 60 * 50);
    assert_true(fabs(p_on - 0.2) < 0.02);
    assert_true(fabs(p_off - 0.02) < 0.004);
}

static void test_determinism(void **state)
{
    (void)state;
    inst a, b, c;
    assert_int_equal(make(&a, "type = \"bars\"; n_samples = 6; seed = 3;"),
                     SL_OK);
    assert_int_equal(make(&b, "type = \"bars\"; n_samples = 9; seed = 3;"),
                     SL_OK);
    assert_int_equal(make(&c, "type = \"bars\"; n_samples = 6; seed = 4;"),
                     SL_OK);
    size_t n = a.info.n_steps * a.info.n_in;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    assert_true(x && y);
    int differ = 0;
    for (size_t i = 6; i-- > 0;) { /* any order, any n_samples */
        assert_int_equal(a.ifc->xGet(a.self, i, x, NULL), SL_OK);
        assert_int_equal(b.ifc->xGet(b.self, i, y, NULL), SL_OK);
        assert_memory_equal(x, y, n * sizeof *x);
        assert_int_equal(c.ifc->xGet(c.self, i, y, NULL), SL_OK);
        differ += memcmp(x, y, n * sizeof *x) != 0;
    }
    assert_int_equal(differ, 6); /* another seed, other samples */
    assert_int_equal(a.ifc->xGet(a.self, 6, x, NULL), SL_EINVAL);
    free(x);
    free(y);
    drop(&a);
    drop(&b);
    drop(&c);
}

static void test_bad_settings(void **state)
{
    (void)state;
    const struct {
        const char *text, *needle;
    } cases[] = {
        {"size = 4; length = 5;", "length"},
        {"size = 0;", "size"},
        {"duration = 0.0105;", "duration"},
        {"rate_on = 2000.0;", "rate_on"},
        {"rate_off = -1.0;", "rate_off"},
        {"n_samples = 0;", "n_samples"},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        inst in;
        char text[256];
        snprintf(text, sizeof text, "type = \"bars\"; %s", cases[k].text);
        int rc = make(&in, text);
        if (rc != SL_ECONFIG || !strstr(in.ctx.err.msg, cases[k].needle))
            fail_msg("\"%s\": got %d \"%s\", expected SL_ECONFIG naming %s",
                     cases[k].text, rc, in.ctx.err.msg, cases[k].needle);
        assert_null(in.self);
        drop(&in);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_shape_and_bars),
        cmocka_unit_test(test_rates),
        cmocka_unit_test(test_determinism),
        cmocka_unit_test(test_bad_settings),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
