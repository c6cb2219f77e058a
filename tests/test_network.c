/* tests/test_network.c — the network container and the built-in linear
 * layer: shapes, a known answer, and BPTT gradients through two linear
 * layers against finite differences. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "config/config.h"
#include "engine/network.h"
#include "engine/registry.h"

typedef struct fixture {
    sl__config *cfg;
    sl__registry *reg;
    sl__network net;
} fixture;

static void build(fixture *f, const char *text, size_t n_in)
{
    sl__err err;
    assert_int_equal(sl__config_load_string(text, "net.cfg", &f->cfg, &err), SL_OK);
    f->reg = sl__registry_new();
    assert_non_null(f->reg);
    int rc = sl__network_build(&f->net, f->cfg, sl__config_find(f->cfg, NULL, "network"),
                               f->reg, &sl__host, n_in, 5, &err);
    if (rc)
        fail_msg("%s", err.msg);
}

static void drop(fixture *f)
{
    sl__network_free(&f->net);
    sl__registry_free(f->reg);
    sl__config_free(f->cfg);
}

static void test_linear_known_answer(void **state)
{
    fixture f;
    build(&f, "network = { layers = ( { type = \"linear\"; n_out = 2; "
              "bias = true; init = \"zeros\"; } ); };", 3);
    sl__err err;
    sl__layer *l = &f.net.layers[0];
    assert_int_equal(l->n_params, 2);
    float *w = l->params[0].data, *b = l->params[1].data;
    /* W[pre][post] */
    const float wv[6] = {1, 2, 3, 4, 5, 6};
    memcpy(w, wv, sizeof wv);
    b[0] = 0.5f;
    b[1] = -1.0f;
    float x[2 * 3] = {1, 0, 0, 0, 1, 1}; /* batch 1, time 2 */
    assert_int_equal(sl__network_prepare(&f.net, 1, 2, 0, &err), SL_OK);
    assert_int_equal(sl__network_forward(&f.net, x, &err), SL_OK);
    const float *y = sl__network_output(&f.net);
    assert_true(y[0] == 1.5f && y[1] == 1.0f);   /* row 0 of W + b */
    assert_true(y[2] == 8.5f && y[3] == 9.0f);   /* rows 1+2 of W + b */
    drop(&f);
}

static double loss_of(fixture *f, const float *x, const float *c, size_t n)
{
    sl__err err;
    assert_int_equal(sl__network_forward(&f->net, x, &err), SL_OK);
    const float *y = sl__network_output(&f->net);
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += (double)c[i] * y[i];
    return s;
}

static void test_two_layer_gradients(void **state)
{
    fixture f;
    build(&f, "network = { layers = ( { type = \"linear\"; n_out = 4; bias = true; },"
              " { type = \"linear\"; n_out = 3; } ); };", 5);
    sl__err err;
    const size_t B = 2, T = 7, nin = 5, nout = 3;
    float x[2 * 7 * 5], c[2 * 7 * 3];
    srand(3);
    for (size_t i = 0; i < B * T * nin; i++)
        x[i] = (float)rand() / RAND_MAX - 0.5f;
    for (size_t i = 0; i < B * T * nout; i++)
        c[i] = (float)rand() / RAND_MAX - 0.5f;
    assert_int_equal(sl__network_prepare(&f.net, B, T, SL_MODE_TRAIN, &err), SL_OK);
    sl__network_zero_grad(&f.net);
    loss_of(&f, x, c, B * T * nout);
    assert_int_equal(sl__network_backward(&f.net, c, &err), SL_OK);
    assert_int_equal(f.net.n_trainable, 3);
    /* the loss is linear in each single weight: central differences are
     * exact up to rounding, so a tight tolerance is fair */
    for (size_t p = 0; p < f.net.n_trainable; p++) {
        sl_param *par = &f.net.trainable[p];
        for (size_t i = 0; i < par->n; i++) {
            float keep = par->data[i];
            const float h = 0.25f;
            par->data[i] = keep + h;
            double lp = loss_of(&f, x, c, B * T * nout);
            par->data[i] = keep - h;
            double lm = loss_of(&f, x, c, B * T * nout);
            par->data[i] = keep;
            double fd = (lp - lm) / (2 * h);
            double g = par->grad[i];
            assert_true(fabs(g - fd) <= 1e-3 * fmax(fabs(fd), 1e-2));
        }
    }
    drop(&f);
}

static void test_bad_layer_settings(void **state)
{
    sl__config *cfg;
    sl__err err;
    sl__registry *reg = sl__registry_new();
    sl__network net;
    assert_int_equal(sl__config_load_string(
        "network = {\n layers = (\n { type = \"linear\"; n_out = 0; } ); };",
        "bad.cfg", &cfg, &err), SL_OK);
    int rc = sl__network_build(&net, cfg, sl__config_find(cfg, NULL, "network"),
                               reg, &sl__host, 3, 0, &err);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(err.msg, "bad.cfg:3"));
    assert_non_null(strstr(err.msg, "n_out"));
    sl__network_free(&net);
    sl__config_free(cfg);
    assert_int_equal(sl__config_load_string(
        "network = { layers = ( { type = \"nosuch\"; } ); };", "bad2.cfg", &cfg,
        &err), SL_OK);
    rc = sl__network_build(&net, cfg, sl__config_find(cfg, NULL, "network"),
                           reg, &sl__host, 3, 0, &err);
    assert_int_equal(rc, SL_ECONFIG);
    assert_non_null(strstr(err.msg, "nosuch"));
    assert_non_null(strstr(err.msg, "linear"));
    sl__network_free(&net);
    sl__config_free(cfg);
    sl__registry_free(reg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear_known_answer),
        cmocka_unit_test(test_two_layer_gradients),
        cmocka_unit_test(test_bad_layer_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
