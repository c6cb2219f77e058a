/*
 * tests/test_lif.c — lif.so: the "lif" and "li" neuron components.
 *
 * Loads the plugin through the real loader ($top_builddir/plugins/lif/
 * .libs/lif.so), checks its descriptor, reproduces the reference values of
 * specs/lif.md §6.1, checks the recurrence, the surrogate formulas, every
 * model variant (scheme, input_order, reset, t_ref, synapse, leak)
 * against an independent double-precision implementation of the closed
 * forms of lif.md §1/§3, BPTT against finite differences of that
 * reference, and that bad settings and call orders give errors naming the
 * key instead of crashes.
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
#include "engine/rng.h"

static sl__registry *reg;

/* ---------------------------------------------------------------- helpers */

/* One component instance on a config made from text. The plugin keeps a
 * pointer to ctx, so a layer must not move while it lives. */
typedef struct layer {
    sl__config *cfg;
    sl_ctx ctx;
    const sl_neuron_iface *iface;
    void *self;
    size_t n_out;
} layer;

static const sl_neuron_iface *iface_of(const char *name)
{
    const sl__entry *e = sl__registry_find(reg, SL_KIND_NEURON, name);
    assert_non_null(e);
    return e->comp->iface;
}

/* Create component `comp` with settings `text`; returns xCreate's status
 * (the message is then in L->ctx.err). */
static int layer_try(layer *L, const char *comp, const char *text,
                     size_t n_in, double dt, uint64_t seed)
{
    sl__err err;
    memset(L, 0, sizeof *L);
    int rc = sl__config_load_string(text, "test", &L->cfg, &err);
    if (rc != SL_OK)
        fail_msg("config \"%s\": %s", text, err.msg);
    sl__ctx_init(&L->ctx, L->cfg, sl__config_root(L->cfg), seed, comp);
    sl_test_declare(&L->ctx, sl__registry_find(reg, SL_KIND_NEURON, comp));
    L->iface = iface_of(comp);
    sl_layer_info info = {sizeof info, n_in, dt, NULL, 0};
    L->self = (void *)0x1; /* must be reset to NULL on failure */
    rc = L->iface->xCreate(&sl__host, &L->ctx, &info, &L->self, &L->n_out);
    if (rc != SL_OK)
        assert_null(L->self);
    return rc;
}

static void layer_make(layer *L, const char *comp, const char *text,
                       size_t n_in)
{
    int rc = layer_try(L, comp, text, n_in, 1e-3, 42);
    if (rc != SL_OK)
        fail_msg("create %s \"%s\": %d %s", comp, text, rc, L->ctx.err.msg);
    assert_int_equal(L->n_out, n_in);
    /* every key the test sets must have been read by the component */
    sl__err err;
    rc = sl__config_check_unused(L->cfg, &err);
    if (rc != SL_OK)
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

/* The observable called `name`, which must exist. */
static const float *observable(layer *L, const char *name, size_t B, size_t T)
{
    sl_observable o;
    for (size_t i = 0;; i++) {
        memset(&o, 0, sizeof o);
        int rc = L->iface->xObservable(L->self, i, &o);
        if (rc == SL_ENOTFOUND)
            fail_msg("no observable %s", name);
        check_ok(L, rc);
        if (strcmp(o.name, name) == 0)
            break;
    }
    assert_int_equal(o.struct_size, sizeof o);
    assert_string_equal(o.unit, "1");
    assert_int_equal(o.batch, B);
    assert_int_equal(o.time, T);
    assert_int_equal(o.channels, L->n_out);
    return o.data;
}

/* The "w_rec" parameter of a recurrent lif layer. */
static sl_param w_rec_of(layer *L)
{
    sl_param p[2];
    size_t count = 99;
    memset(p, 0, sizeof p);
    check_ok(L, L->iface->xParams(L->self, p, 2, &count));
    assert_int_equal(count, 1);
    assert_int_equal(p[0].struct_size, sizeof p[0]);
    assert_string_equal(p[0].name, "w_rec");
    assert_int_equal(p[0].flags, SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT);
    assert_int_equal(p[0].ndim, 2);
    assert_int_equal(p[0].shape[0], L->n_out);
    assert_int_equal(p[0].shape[1], L->n_out);
    assert_int_equal(p[0].n, L->n_out * L->n_out);
    assert_non_null(p[0].data);
    assert_non_null(p[0].grad);
    return p[0];
}

/* Run a single-neuron layer on a constant input x for T steps with
 * recording; returns the outputs and copies of v_mem / i_syn. */
static void run_constant(layer *L, float x, size_t T, float *out, float *v,
                         float *cur)
{
    float in[64];
    assert_true(T <= 64);
    for (size_t t = 0; t < T; t++)
        in[t] = x;
    check_ok(L, L->iface->xPrepare(L->self, 1, T, SL_MODE_RECORD));
    check_ok(L, L->iface->xForward(L->self, in, out));
    memcpy(v, observable(L, "v_mem", 1, T), T * sizeof(float));
    memcpy(cur, observable(L, "i_syn", 1, T), T * sizeof(float));
}

static int setup(void **state)
{
    (void)state;
    reg = sl_test_load_plugin("lif", NULL);
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
    const sl__entry *lif = sl__registry_find(reg, SL_KIND_NEURON, "lif");
    const sl__entry *li = sl__registry_find(reg, SL_KIND_NEURON, "li");
    assert_non_null(lif);
    assert_non_null(li);
    assert_ptr_equal(lif->plugin, li->plugin);

    const sl_plugin_desc *d = lif->plugin->desc;
    assert_int_equal(d->struct_size, sizeof *d);
    assert_int_equal(d->abi_major, SL_ABI_MAJOR);
    assert_int_equal(d->abi_minor, SL_ABI_MINOR);
    assert_string_equal(d->name, "lif");
    assert_string_equal(d->version, "0.1.0");
    assert_int_equal(d->n_components, 2);
    for (size_t i = 0; i < d->n_components; i++) {
        const sl_component *c = &d->components[i];
        assert_int_equal(c->struct_size, sizeof *c);
        assert_int_equal(c->kind, SL_KIND_NEURON);
        assert_non_null(c->description);
        assert_null(strchr(c->description, '\n'));
        const sl_neuron_iface *f = c->iface;
        assert_int_equal(f->struct_size, sizeof *f);
        assert_non_null(f->xCreate);
        assert_non_null(f->xDestroy);
        assert_non_null(f->xParams);
        assert_non_null(f->xPrepare);
        assert_non_null(f->xForward);
        assert_non_null(f->xBackward);
        assert_non_null(f->xObservable);
    }
    assert_int_equal(((const sl_neuron_iface *)lif->comp->iface)->flags,
                     SL_NEURON_SPIKING);
    assert_int_equal(((const sl_neuron_iface *)li->comp->iface)->flags, 0);
    assert_null(sl__registry_find(reg, SL_KIND_LOSS, "lif"));
}

/* ------------------------------------------------------ reference values */

/* specs/lif.md §6.1: dt 1e-3, tau_mem 1e-2, tau_syn 5e-3, x = 0.5 constant.
 * Observable row n holds V[n+1]. */
static const double v_free[10] = {0,        0.05,     0.135,    0.2435,
                                  0.36675,  0.498155, 0.632804, 0.767094,
                                  0.898442, 1.025043};
static const double i_free[5] = {0.5, 0.9, 1.22, 1.476, 1.6808};

static void test_lif_reference_free(void **state)
{
    (void)state;
    layer L;
    layer_make(&L, "lif", "v_th = 1e9;", 1);
    float out[10], v[10], cur[10];
    run_constant(&L, 0.5f, 10, out, v, cur);
    for (int n = 0; n < 10; n++) {
        assert_float_equal(v[n], v_free[n], 1e-5);
        assert_float_equal(out[n], 0.0, 0.0);
    }
    for (int n = 0; n < 5; n++)
        assert_float_equal(cur[n], i_free[n], 1e-5);
    layer_free(&L);
}

static void test_lif_reference_threshold(void **state)
{
    (void)state;
    layer L;
    layer_make(&L, "lif", "", 1); /* defaults: v_th 0.6, v_reset 0 */
    float out[20], v[20], cur[20];
    run_constant(&L, 0.5f, 20, out, v, cur);
    for (int n = 0; n < 6; n++) /* V[1..6] as without threshold */
        assert_float_equal(v[n], v_free[n], 1e-5);
    int spikes[21] = {0};
    spikes[7] = spikes[11] = spikes[14] = spikes[17] = spikes[20] = 1;
    for (int step = 1; step <= 20; step++) {
        assert_float_equal(out[step - 1], spikes[step] ? 1.0 : 0.0, 0.0);
        if (spikes[step])
            assert_float_equal(v[step - 1], 0.0, 0.0);
    }
    assert_float_equal(v[7], 0.197571, 1e-5); /* V[8] */
    assert_float_equal(v[8], 0.385871, 1e-5);
    assert_float_equal(v[9], 0.56373, 1e-5);

    /* v_dec is the pre-reset membrane: above v_th exactly where it spiked */
    const float *vd = observable(&L, "v_dec", 1, 20);
    assert_float_equal(vd[6], v_free[6], 1e-5);
    for (int step = 1; step <= 20; step++)
        assert_int_equal(vd[step - 1] > 0.6f, spikes[step]);
    layer_free(&L);
}

/* Θ(0) = 0 (lif.md §3, open question 1): a membrane sitting exactly at v_th
 * does not spike. v_leak = v_th with no input keeps v_dec == v_th. */
static void test_lif_strict_threshold(void **state)
{
    (void)state;
    layer L;
    layer_make(&L, "lif", "v_leak = 0.6; v_th = 0.6; v_reset = 0.0;", 1);
    float out[8], v[8], cur[8];
    run_constant(&L, 0.0f, 8, out, v, cur);
    const float *vd = observable(&L, "v_dec", 1, 8);
    for (int t = 0; t < 8; t++) {
        assert_true(vd[t] == 0.6f);
        assert_float_equal(out[t], 0.0, 0.0);
    }
    layer_free(&L);
}

/* scheme = "beta" (torch_bptt.py's readout u = β·u + c): by the closed
 * form with and without the synapse, and its backward against the
 * adjoint of that linear recursion. */
static void test_li_beta(void **state)
{
    (void)state;
    const float x[5][2] = {
        {1.0f, 0.0f}, {0.0f, -0.5f}, {0.25f, 0.0f}, {0.0f, 0.0f}, {2.0f, 1.0f}};
    const float g[5][2] = {
        {0.5f, -1.0f}, {0.0f, 0.25f}, {1.0f, 0.0f}, {-0.5f, 2.0f}, {1.0f, 1.0f}};
    for (int syn = 0; syn < 2; syn++) {
        layer L;
        layer_make(&L, "li", syn ? "scheme = \"beta\"; tau_mem = 0.02; "
                                   "tau_syn = 0.004; v_leak = -0.3;"
                                 : "scheme = \"beta\"; tau_mem = 0.02; "
                                   "synapse = false;",
                   2);
        float y[5][2], din[5][2];
        check_ok(&L, L.iface->xPrepare(L.self, 1, 5, SL_MODE_TRAIN));
        check_ok(&L, L.iface->xForward(L.self, &x[0][0], &y[0][0]));
        check_ok(&L, L.iface->xBackward(L.self, &g[0][0], &din[0][0]));
        const double beta = exp(-1e-3 / 0.02);
        const double as = syn ? exp(-1e-3 / 0.004) : 0, vl = syn ? -0.3 : 0;
        for (int k = 0; k < 2; k++) {
            double V = vl, I = 0, lv = 0, li = 0;
            for (int t = 0; t < 5; t++) {
                double j = I + x[t][k];
                V = vl + beta * (V - vl) + j;
                I = as * j;
                assert_float_equal(y[t][k], V, 1e-6);
            }
            /* dL/dx[t] = Σ_{s>=t} g[s]·dV[s]/dx[t]; adjoint sweep */
            for (int t = 4; t >= 0; t--) {
                double gv = g[t][k] + lv;
                double gj = gv + li * as;
                lv = gv * beta;
                li = gj;
                assert_float_equal(din[t][k], gj, 1e-6);
            }
        }
        layer_free(&L);
    }
}

static void test_li_reference(void **state)
{
    (void)state;
    layer L;
    layer_make(&L, "li", "", 1);
    float out[4], v[4], cur[4];
    run_constant(&L, 0.5f, 4, out, v, cur);
    /* by hand, a = dt/tau_mem = 0.1, dt/tau_syn = 0.2:
     * j = 0 + 0.5 = 0.5;  V = 0 + 0.1·(0 + 0.5) = 0.05;  I = 0.8·0.5 = 0.4
     * j = 0.9;  V = 0.05 + 0.1·(0.9 − 0.05) = 0.135;      I = 0.72
     * j = 1.22; V = 0.135 + 0.1·(1.22 − 0.135) = 0.2435;  I = 0.976
     * j = 1.476; V = 0.2435 + 0.1·(1.476 − 0.2435) = 0.36675; I = 1.1808 */
    const double ve[4] = {0.05, 0.135, 0.2435, 0.36675};
    const double ie[4] = {0.4, 0.72, 0.976, 1.1808};
    for (int t = 0; t < 4; t++) {
        assert_float_equal(out[t], ve[t], 1e-6);
        assert_float_equal(v[t], ve[t], 1e-6);
        assert_float_equal(cur[t], ie[t], 1e-6);
    }
    layer_free(&L);

    /* leak towards v_leak and other time constants, variable input */
    layer_make(&L, "li", "tau_mem = 0.02; tau_syn = 0.004; v_leak = -0.3;",
               2);
    const float x[5][2] = {
        {1.0f, 0.0f}, {0.0f, -0.5f}, {0.25f, 0.0f}, {0.0f, 0.0f}, {2.0f, 1.0f}};
    float y[5][2];
    check_ok(&L, L.iface->xPrepare(L.self, 1, 5, 0));
    check_ok(&L, L.iface->xForward(L.self, &x[0][0], &y[0][0]));
    for (int k = 0; k < 2; k++) {
        double V = -0.3, I = 0;
        for (int t = 0; t < 5; t++) {
            double j = I + x[t][k];
            V = V + 0.05 * ((-0.3 - V) + j);
            I = j - 0.25 * j;
            assert_float_equal(y[t][k], V, 1e-6);
        }
    }
    layer_free(&L);
}

/* ------------------------------------------------------------ recurrence */

/* Neuron 0 is driven to spike; neuron 1 gets no input and hears neuron 0
 * only through w_rec[0][1]. Its current must jump by exactly that weight
 * one step after neuron 0's output spike (the recurrent input joins x[n]
 * of the next step, which enters I[n+1]). */
static void test_lif_recurrence(void **state)
{
    (void)state;
    enum { T = 16 };
    float in[T][2], out[T][2];
    for (int t = 0; t < T; t++) {
        in[t][0] = 0.5f;
        in[t][1] = 0.0f;
    }
    for (int pass = 0; pass < 2; pass++) {
        layer L;
        layer_make(&L, "lif", "recurrent = true; w_rec_scale = 0.0;", 2);
        sl_param p = w_rec_of(&L);
        for (size_t k = 0; k < 4; k++)
            assert_float_equal(p.data[k], 0.0, 0.0); /* scale 0 */
        const float w01 = pass ? 0.3f : 0.0f;
        p.data[0 * 2 + 1] = w01; /* pre 0 → post 1 */
        p.data[1 * 2 + 0] = 5.0f; /* pre 1 → post 0: 1 never spikes */
        check_ok(&L, L.iface->xPrepare(L.self, 1, T, SL_MODE_RECORD));
        check_ok(&L, L.iface->xForward(L.self, &in[0][0], &out[0][0]));
        const float *cur = observable(&L, "i_syn", 1, T);
        int first = -1;
        for (int t = 0; t < T && first < 0; t++)
            if (out[t][0] == 1.0f)
                first = t;
        assert_int_equal(first, 6); /* spike at step 7, as in the spec */
        for (int t = 0; t <= first; t++)
            assert_float_equal(cur[t * 2 + 1], 0.0, 0.0);
        assert_float_equal(cur[(first + 1) * 2 + 1], w01, 0.0);
        /* it then decays by 1 − dt/tau_syn per step */
        assert_float_equal(cur[(first + 2) * 2 + 1], 0.8 * w01, 1e-7);
        for (int t = 0; t < T; t++)
            assert_float_equal(out[t][1], 0.0, 0.0);
        layer_free(&L);
    }
}

static void test_lif_w_rec_init(void **state)
{
    (void)state;
    layer A, B, C, D;
    const char *cfg = "recurrent = true; w_rec_scale = 0.5;";
    layer_make(&A, "lif", cfg, 4);
    layer_make(&B, "lif", cfg, 4);
    assert_int_equal(layer_try(&C, "lif", cfg, 4, 1e-3, 7), SL_OK);
    layer_make(&D, "lif", "recurrent = true; w_rec_diag = false;", 4);
    sl_param a = w_rec_of(&A), b = w_rec_of(&B), c = w_rec_of(&C),
             d = w_rec_of(&D);
    const double bound = 0.5 * sqrt(6.0 / 4);
    double sum = 0, sum2 = 0;
    int differs = 0;
    for (size_t k = 0; k < 16; k++) {
        assert_true(fabs(a.data[k]) <= bound);
        assert_true(a.data[k] == b.data[k]); /* same seed: same draw */
        differs += a.data[k] != c.data[k];   /* other seed: other draw */
        sum += a.data[k];
        sum2 += a.data[k] * a.data[k];
        assert_float_equal(a.grad[k], 0.0, 0.0);
        if (k % 5 == 0) /* diagonal of 4 x 4 */
            assert_float_equal(d.data[k], 0.0, 0.0);
        else
            assert_true(d.data[k] != 0.0f && fabs(d.data[k]) <= sqrt(1.5));
    }
    assert_true(differs > 10);
    assert_true(sum2 / 16 - (sum / 16) * (sum / 16) > 0.01);
    layer_free(&A);
    layer_free(&B);
    layer_free(&C);
    layer_free(&D);

    /* not recurrent: no parameters */
    layer_make(&A, "lif", "", 3);
    size_t count = 9;
    check_ok(&A, A.iface->xParams(A.self, NULL, 0, &count));
    assert_int_equal(count, 0);
    layer_free(&A);
}

/* w_rec_diag = false: the diagonal gets no gradient, so training keeps
 * the layer free of autapses; the other entries do get one. */
static void test_lif_no_autapse_gradient(void **state)
{
    (void)state;
    enum { T = 12, N = 3 };
    layer L;
    layer_make(&L, "lif",
               "recurrent = true; w_rec_diag = false; forward = \"smooth\"; "
               "alpha = 5.0;",
               N);
    sl_param w = w_rec_of(&L);
    float in[T * N], out[T * N], dout[T * N];
    for (size_t k = 0; k < T * N; k++) {
        in[k] = 0.4f;
        dout[k] = 1.0f;
    }
    check_ok(&L, L.iface->xPrepare(L.self, 1, T, SL_MODE_TRAIN));
    check_ok(&L, L.iface->xForward(L.self, in, out));
    check_ok(&L, L.iface->xBackward(L.self, dout, NULL)); /* din optional */
    for (size_t j = 0; j < N; j++)
        for (size_t k = 0; k < N; k++) {
            if (j == k)
                assert_true(w.grad[j * N + k] == 0.0f);
            else
                assert_true(fabsf(w.grad[j * N + k]) > 1e-6f);
        }
    layer_free(&L);
}

/* ------------------------------------------------------------ surrogates */

/* From rest with a single input x0 at step 0: I[1] = x0, and step 1 has
 * v_dec = (dt/tau_mem)·x0, z = Θ(v_dec − v_th). With loss = out[1],
 * dL/dx0 = (dt/tau_mem)·σ'(v_dec − v_th) (V[2] does not influence the
 * loss, so the reset term does not contribute). */
static void test_lif_surrogates(void **state)
{
    (void)state;
    const double a = 10, u = 0.05; /* alpha, v_dec − v_th */
    const double s = 1 / (1 + exp(-a * u));
    const struct {
        const char *name;
        double expect;
    } cases[] = {
        {"superspike", 1 / ((a * u + 1) * (a * u + 1))},
        {"tanh", a * (1 - tanh(a * u) * tanh(a * u))},
        {"triangle", a * (1 - a * u)},
        {"logistic", a * s * (1 - s)},
        {"straight_through", 1},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        char text[256];
        snprintf(text, sizeof text, "alpha = 10.0; surrogate = \"%s\";",
                 cases[c].name);
        layer L;
        layer_make(&L, "lif", text, 1);
        const float in[2] = {(0.6f + (float)u) / 0.1f, 0.0f};
        float out[2], dout[2] = {0.0f, 1.0f}, din[2] = {-1, -1};
        check_ok(&L, L.iface->xPrepare(L.self, 1, 2, SL_MODE_TRAIN));
        check_ok(&L, L.iface->xForward(L.self, in, out));
        assert_float_equal(out[0], 0.0, 0.0);
        assert_float_equal(out[1], 1.0, 0.0);
        check_ok(&L, L.iface->xBackward(L.self, dout, din));
        if (fabs(din[0] - 0.1 * cases[c].expect) > 1e-4 * fabs(din[0]) + 1e-6)
            fail_msg("%s: dL/dx0 = %g, expected %g", cases[c].name, din[0],
                     0.1 * cases[c].expect);
        assert_float_equal(din[1], 0.0, 0.0); /* x[1] never reaches out */
        layer_free(&L);
    }
}

/* ----------------------------------------------------- gradient checking */

/* Double-precision reference of the same equations (lif.c header), with
 * the smooth forward z = σ(α(v_dec − v_th)). FD on the float32 plugin
 * would be dominated by rounding (the loss sums ~180 terms in float), so
 * finite differences are taken on this reference, and the reference is
 * first checked to reproduce the plugin's forward. */
typedef struct refp {
    double am, as, vth, vl, vr, alpha;
    int recurrent, li;
    /* the model variants (0: euler, input_order "end", to_v_reset, with
     * synapse and leak, no refractory period); tm, ts, dt (s) only for
     * the schemes other than euler, tref_steps: refractory steps after the
     * spike step */
    int scheme, start, reset, nosyn, noleak, tref_steps;
    double tm, ts, dt;
    int heaviside; /* z = Θ(d − v_th) (strict) instead of the logistic */
    int delay;     /* reset_delay: the reset acts in the next step */
} refp;

enum { EULER, EXP_EULER, EXACT, BETA };
enum { TO_V_RESET, SUBTRACT, NONE };

/* V after one step of dt from V with current j at the step's start, from
 * the closed forms of lif.md §1/§3 (not from the plugin's constants):
 * euler the Euler step of tau_mem·dV/dt = (v_leak − V) + I; exp_euler the
 * exact solution for I held at j; exact the one for I = j·e^(−t/tau_syn).
 * Without a leak tau_mem·dV/dt = I; without a synapse I is held. */
static double ref_vstep(const refp *p, double V, double j)
{
    if (p->scheme == EULER)
        return p->noleak ? V + p->am * j : V + p->am * ((p->vl - V) + j);
    const double dt = p->dt, tm = p->tm, ts = p->ts;
    if (p->scheme == BETA) /* snnTorch: β·(V − v_leak) + v_leak + j */
        return p->noleak ? V + j : p->vl + exp(-dt / tm) * (V - p->vl) + j;
    if (p->noleak) {
        if (p->scheme == EXACT && !p->nosyn) /* ∫ j·e^(−t/ts)/tm dt */
            return V + j * ts / tm * (1 - exp(-dt / ts));
        return V + dt / tm * j;
    }
    const double u0 = V - p->vl, em = exp(-dt / tm);
    if (p->scheme == EXP_EULER || p->nosyn)
        return p->vl + u0 * em + (1 - em) * j;
    if (tm == ts)
        return p->vl + (u0 + j * dt / tm) * em;
    return p->vl + u0 * em + j * ts / (tm - ts) * (em - exp(-dt / ts));
}

/* I after the decay of one step. */
static double ref_idecay(const refp *p, double I)
{
    if (p->nosyn)
        return 0;
    if (p->scheme == EULER)
        return I - p->as * I;
    return I * exp(-p->dt / p->ts);
}

/* The loss Σ c·y, the outputs y (out_or_null) and V[n+1], I[n+1] of
 * every step (vout, iout; NULL: not wanted). */
static double ref_run(const refp *p, size_t B, size_t T, size_t n,
                      const double *in, const double *w, const double *c,
                      double *out_or_null, double *vout, double *iout)
{
    double L = 0, V[64], I[64], z[64] = {0}, zp[64];
    long last[64]; /* step of the last spike (Heaviside decision) */
    assert_true(n <= 64);
    for (size_t b = 0; b < B; b++) {
        for (size_t k = 0; k < n; k++) {
            V[k] = p->vl;
            I[k] = 0;
            zp[k] = 0;
            last[k] = -1000000;
        }
        for (size_t t = 0; t < T; t++) {
            const double *x = in + (b * T + t) * n;
            double y[64];
            for (size_t k = 0; k < n; k++) {
                if (p->li) {
                    double j = I[k] + x[k];
                    V[k] = V[k] + p->am * ((p->vl - V[k]) + j);
                    I[k] = j - p->as * j;
                    y[k] = V[k];
                    continue;
                }
                double r = 0;
                for (size_t j = 0; p->recurrent && j < n; j++)
                    r += w[j * n + k] * zp[j];
                double j = p->start ? I[k] + x[k] + r : I[k];
                int held = (long)t - last[k] <= p->tref_steps;
                /* snnTorch's delayed reset: "zero" before the step,
                 * "subtract" after the integration */
                if (p->delay && p->reset == TO_V_RESET)
                    V[k] = (1 - zp[k]) * V[k] + zp[k] * p->vr;
                double d = held ? V[k] : ref_vstep(p, V[k], j);
                if (p->delay && p->reset == SUBTRACT)
                    d -= zp[k] * (p->vth - p->vr);
                if (held)
                    z[k] = 0;
                else if (p->heaviside)
                    z[k] = d > p->vth ? 1 : 0;
                else
                    z[k] = 1 / (1 + exp(-p->alpha * (d - p->vth)));
                if (!held && d > p->vth)
                    last[k] = (long)t;
                if (p->delay)
                    V[k] = d;
                else if (p->reset == TO_V_RESET)
                    V[k] = (1 - z[k]) * d + z[k] * p->vr;
                else if (p->reset == SUBTRACT)
                    V[k] = d - z[k] * (p->vth - p->vr);
                else
                    V[k] = d;
                I[k] = p->start ? ref_idecay(p, j)
                                : ref_idecay(p, I[k]) + x[k] + r;
                y[k] = z[k];
                if (vout)
                    vout[(b * T + t) * n + k] = V[k];
                if (iout)
                    iout[(b * T + t) * n + k] = I[k];
            }
            for (size_t k = 0; k < n; k++) {
                zp[k] = z[k];
                L += c[(b * T + t) * n + k] * y[k];
                if (out_or_null)
                    out_or_null[(b * T + t) * n + k] = y[k];
            }
        }
    }
    return L;
}

static double ref_loss(const refp *p, size_t B, size_t T, size_t n,
                       const double *in, const double *w, const double *c,
                       double *out_or_null)
{
    return ref_run(p, B, T, n, in, w, c, out_or_null, NULL, NULL);
}

/* Compare analytic g against central differences fd. Float32 BPTT over a
 * few dozen steps carries relative errors ~1e-6..1e-5 and the double FD
 * (eps 1e-6, truncation ~eps²) is exact to ~1e-9, so 1e-3 relative is a
 * safe margin that still catches any missing term (those change gradients
 * by percents). Entries far below the largest one get the floor 1e-3 of
 * that largest one, where relative error is meaningless. Returns the
 * number of mismatches (printed when `verbose`). */
static int compare_grad(const char *what, const float *g, const double *fd,
                        size_t n, int verbose)
{
    double scale = 0;
    for (size_t k = 0; k < n; k++)
        scale = fmax(scale, fabs(fd[k]));
    assert_true(scale > 0);
    int bad = 0;
    for (size_t k = 0; k < n; k++) {
        double tol = 1e-3 * fmax(fabs(fd[k]), 1e-3 * scale);
        if (!(fabs(g[k] - fd[k]) <= tol)) {
            if (verbose && bad < 5)
                fprintf(stderr, "%s[%zu]: analytic %.9g, fd %.9g\n", what, k,
                        (double)g[k], fd[k]);
            bad++;
        }
    }
    return bad;
}

/* Gradient check of one configuration with N neurons; returns the number
 * of mismatching entries of dL/d(in) and dL/d(w_rec). Finite differences
 * are taken for every `stride`-th entry (all of them with stride 1). */
static int gradcheck_n(const char *comp, const char *text, const refp *p,
                       size_t N, size_t stride, int verbose)
{
    enum { B = 2, T = 30 };
    const size_t E = B * T * N, W = N * N;
    layer L;
    layer_make(&L, comp, text, N);

    sl_rng rng;
    sl__rng_seed(&rng, 1234, "gradcheck");
    float *in = calloc(E, sizeof *in), *out = calloc(E, sizeof *out);
    float *c = calloc(E, sizeof *c), *din = calloc(E, sizeof *din);
    float *din2 = calloc(E, sizeof *din2), *g1 = calloc(W, sizeof *g1);
    float *gin = calloc(E, sizeof *gin), *gw = calloc(W, sizeof *gw);
    double *ind = calloc(E, sizeof *ind), *cd = calloc(E, sizeof *cd);
    double *wd = calloc(W, sizeof *wd), *outd = calloc(E, sizeof *outd);
    double *fd_in = calloc(E, sizeof *fd_in), *fd_w = calloc(W, sizeof *fd_w);
    assert_true(in && out && c && din && din2 && g1 && gin && gw && ind &&
                cd && wd && outd && fd_in && fd_w);
    /* inputs scaled so that a larger layer (more recurrent inputs per
     * neuron) stays in the same regime */
    const double scale = N > 3 ? sqrt(3.0 / (double)N) : 1.0;
    /* beta takes its input unscaled: divided by 1 − β it is the regime
     * of exp_euler (membranes near threshold, not ten times above) */
    const double gain =
        p->scheme == BETA && !p->noleak ? -expm1(-p->dt / p->tm) : 1.0;
    for (size_t k = 0; k < E; k++) {
        in[k] = (float)(gain * (-0.1 + 0.6 * sl__rng_uniform(&rng)));
        c[k] = (float)(2 * sl__rng_uniform(&rng) - 1);
        ind[k] = in[k];
        cd[k] = c[k];
    }
    sl_param w = {0};
    if (p->recurrent) {
        w = w_rec_of(&L);
        for (size_t k = 0; k < W; k++) {
            w.data[k] = (float)(scale * (2 * sl__rng_uniform(&rng) - 1));
            wd[k] = w.data[k];
        }
    }

    check_ok(&L, L.iface->xPrepare(L.self, B, T, SL_MODE_TRAIN));
    check_ok(&L, L.iface->xForward(L.self, in, out));
    ref_loss(p, B, T, N, ind, wd, cd, outd);
    double spread = 0;
    for (size_t k = 0; k < E; k++) {
        assert_float_equal(out[k], outd[k], 1e-4); /* same function */
        spread += fabs(outd[k] - outd[0]);
    }
    assert_true(spread > 1); /* not a trivial, constant trajectory */
    check_ok(&L, L.iface->xBackward(L.self, c, din));

    const double eps = 1e-6;
    size_t ne = 0;
    for (size_t k = 0; k < E; k += stride) {
        double x0 = ind[k];
        ind[k] = x0 + eps;
        double lp = ref_loss(p, B, T, N, ind, wd, cd, NULL);
        ind[k] = x0 - eps;
        double lm = ref_loss(p, B, T, N, ind, wd, cd, NULL);
        ind[k] = x0;
        fd_in[ne] = (lp - lm) / (2 * eps);
        gin[ne++] = din[k];
    }
    int bad = compare_grad("dL/din", gin, fd_in, ne, verbose);
    if (p->recurrent) {
        ne = 0;
        for (size_t k = 0; k < W; k += stride) {
            double w0 = wd[k];
            wd[k] = w0 + eps;
            double lp = ref_loss(p, B, T, N, ind, wd, cd, NULL);
            wd[k] = w0 - eps;
            double lm = ref_loss(p, B, T, N, ind, wd, cd, NULL);
            wd[k] = w0;
            fd_w[ne] = (lp - lm) / (2 * eps);
            gw[ne++] = w.grad[k];
        }
        bad += compare_grad("dL/dw_rec", gw, fd_w, ne, verbose);

        /* gradients accumulate: a second backward doubles them (up to
         * the rounding of adding ~B·T terms onto g1 instead of onto 0),
         * and din is overwritten (not accumulated) */
        memcpy(g1, w.grad, W * sizeof *g1);
        double gmax = 0;
        for (size_t k = 0; k < W; k++)
            gmax = fmax(gmax, fabs(g1[k]));
        check_ok(&L, L.iface->xBackward(L.self, c, din2));
        /* relative to the entry, floored at 1e-2 of the largest (an entry
         * that cancels to near 0 keeps the rounding of its terms; a
         * missing or doubled accumulation is off by 100 %) */
        for (size_t k = 0; k < W; k++)
            assert_float_equal(w.grad[k], 2 * g1[k],
                               1e-4 * fmax(fabs(g1[k]), 1e-2 * gmax));
        assert_memory_equal(din, din2, E * sizeof *din);
    }
    layer_free(&L);
    free(in), free(out), free(c), free(din), free(din2), free(g1);
    free(gin), free(gw), free(ind), free(cd), free(wd), free(outd);
    free(fd_in), free(fd_w);
    return bad;
}

static int gradcheck(const char *comp, const char *text, const refp *p,
                     int verbose)
{
    return gradcheck_n(comp, text, p, 3, 1, verbose);
}

static const char smooth_rec[] =
    "forward = \"smooth\"; surrogate = \"logistic\"; alpha = 8.0; "
    "recurrent = true;";

static void test_lif_gradcheck_recurrent(void **state)
{
    (void)state;
    refp p = {.am = 0.1, .as = 0.2, .vth = 0.6, .vl = 0.0, .vr = 0.0,
              .alpha = 8.0, .recurrent = 1, .li = 0};
    assert_int_equal(gradcheck("lif", smooth_rec, &p, 1), 0);
}

static void test_lif_gradcheck_leak_reset(void **state)
{
    (void)state;
    /* other time constants, v_leak and v_reset away from 0, no recurrence;
     * surrogate defaults to logistic with the smooth forward */
    refp p = {.am = 1e-3 / 8e-3, .as = 1e-3 / 3e-3, .vth = 0.5, .vl = 0.1,
              .vr = -0.2, .alpha = 5.0, .recurrent = 0, .li = 0};
    assert_int_equal(
        gradcheck("lif",
                  "forward = \"smooth\"; alpha = 5.0; tau_mem = 8e-3; "
                  "tau_syn = 3e-3; v_th = 0.5; v_leak = 0.1; v_reset = -0.2;",
                  &p, 1),
        0);
}

/* The check has teeth: without the gradient through the reset term the
 * result is no longer the exact derivative, and gradcheck must say so. */
static void test_lif_gradcheck_detects_detach(void **state)
{
    (void)state;
    refp p = {.am = 0.1, .as = 0.2, .vth = 0.6, .vl = 0.0, .vr = 0.0,
              .alpha = 8.0, .recurrent = 1, .li = 0};
    char text[256];
    snprintf(text, sizeof text, "%s detach_reset = true;", smooth_rec);
    assert_true(gradcheck("lif", text, &p, 0) > 10);
}

static void test_li_gradcheck(void **state)
{
    (void)state;
    refp p = {.am = 1e-3 / 2e-2, .as = 1e-3 / 4e-3, .vth = 0, .vl = -0.3,
              .vr = 0, .alpha = 0, .recurrent = 0, .li = 1};
    assert_int_equal(
        gradcheck("li", "tau_mem = 2e-2; tau_syn = 4e-3; v_leak = -0.3;", &p,
                  1),
        0);
}

/* ------------------------------------------------------ model variants */

static const char *const scheme_s[] = {"euler", "exp_euler", "exact",
                                       "beta"};
static const char *const reset_s[] = {"to_v_reset", "subtract", "none"};

/* A variant on dt 1e-3: tau_mem 1e-2, tau_syn 5e-3 (or equal), v_th
 * 0.6, v_leak 0.05, v_reset −0.1; refractory for tref_steps steps. */
static refp variant(int scheme, int start, int reset, int tref_steps)
{
    refp p = {.vth = 0.6, .vl = 0.05, .vr = -0.1, .alpha = 8.0,
              .scheme = scheme, .start = start, .reset = reset,
              .tref_steps = tref_steps, .tm = 1e-2, .ts = 5e-3, .dt = 1e-3};
    p.am = p.dt / p.tm;
    p.as = p.dt / p.ts;
    return p;
}

/* The settings text of p (t_ref: seconds, written as given), plus extra. */
static void variant_text(char *buf, size_t cap, const refp *p, double t_ref,
                         const char *extra)
{
    char syn[64] = "synapse = false;";
    if (!p->nosyn)
        snprintf(syn, sizeof syn, "tau_syn = %.17g;", p->ts);
    snprintf(buf, cap,
             "tau_mem = %.17g; %s v_th = %.17g; v_leak = %.17g; "
             "v_reset = %.17g; scheme = \"%s\"; input_order = \"%s\"; "
             "reset = \"%s\"; t_ref = %.17g; %s %s %s",
             p->tm, syn, p->vth, p->vl, p->vr, scheme_s[p->scheme],
             p->start ? "start" : "end", reset_s[p->reset], t_ref,
             p->noleak ? "leak = false;" : "",
             p->delay ? "reset_delay = true;" : "", extra);
}

/* Plugin (float32, Heaviside) against ref_run (double, from the closed
 * forms) on random input with recurrence: the same spike steps, and V
 * and I within 1e-5 (relative above 1). Returns the number of spikes. */
static int compare_variant(const refp *p0, double t_ref, double gain)
{
    enum { B = 2, T = 150, N = 3, E = B * T * N };
    refp p = *p0;
    p.heaviside = 1;
    p.recurrent = 1;
    char text[512];
    variant_text(text, sizeof text, &p, t_ref, "recurrent = true;");
    layer L;
    layer_make(&L, "lif", text, N);
    sl_param w = w_rec_of(&L);
    sl_rng rng;
    sl__rng_seed(&rng, 99, "variants");
    static float in[E], out[E];
    static double ind[E], outd[E], vd[E], id[E], c[E];
    double wd[N * N];
    for (size_t k = 0; k < N * N; k++) {
        w.data[k] = (float)(0.6 * sl__rng_uniform(&rng) - 0.3);
        wd[k] = w.data[k];
    }
    for (size_t k = 0; k < E; k++) {
        in[k] = (float)(gain * (-0.1 + 0.6 * sl__rng_uniform(&rng)));
        ind[k] = in[k];
        c[k] = 0;
    }
    check_ok(&L, L.iface->xPrepare(L.self, B, T, SL_MODE_RECORD));
    check_ok(&L, L.iface->xForward(L.self, in, out));
    const float *v = observable(&L, "v_mem", B, T);
    const float *cur = observable(&L, "i_syn", B, T);
    ref_run(&p, B, T, N, ind, wd, c, outd, vd, id);
    int spikes = 0;
    for (size_t k = 0; k < E; k++) {
        if (out[k] != (float)outd[k])
            fail_msg("%s: z[%zu] = %g, reference %g", text, k,
                     (double)out[k], outd[k]);
        spikes += out[k] != 0.0f;
        if (fabs(v[k] - vd[k]) > 1e-5 * fmax(1, fabs(vd[k])) ||
            fabs(cur[k] - id[k]) > 1e-5 * fmax(1, fabs(id[k])))
            fail_msg("%s: [%zu] V %.9g I %.9g, reference %.9g %.9g", text,
                     k, (double)v[k], (double)cur[k], vd[k], id[k]);
    }
    layer_free(&L);
    return spikes;
}

static void test_lif_variants_reference(void **state)
{
    (void)state;
    for (int sc = 0; sc < 4; sc++)
        for (int st = 0; st < 2; st++)
            for (int re = 0; re < 3; re++) {
                refp p = variant(sc, st, re, 0);
                int s0 = compare_variant(&p, 0, 1);
                assert_true(s0 > 20);
                /* t_ref 2.5 steps: the 2 steps after a spike; an exact
                 * multiple 2e-3 = 2 dt: 1 step (Brian2's (n − s)·dt <
                 * t_ref) */
                p.tref_steps = 2;
                int s2 = compare_variant(&p, 2.5e-3, 1);
                p.tref_steps = 1;
                int s1 = compare_variant(&p, 2e-3, 1);
                assert_true(s2 < s0 && s2 > 10);
                assert_true(s1 >= s2);
                if (re != NONE) { /* snnTorch's reset one step later */
                    p = variant(sc, st, re, 0);
                    p.delay = 1;
                    assert_true(compare_variant(&p, 0, 1) > 20);
                }
            }
    /* no synapse, no leak, both, equal time constants */
    for (int sc = 0; sc < 4; sc++)
        for (int st = 0; st < 2; st++) {
            refp p = variant(sc, st, TO_V_RESET, 0);
            p.nosyn = 1; /* the input of one step only: more of it */
            assert_true(compare_variant(&p, 0, 5) > 20);
            p.noleak = 1;
            assert_true(compare_variant(&p, 0, 5) > 20);
            p.nosyn = 0;
            assert_true(compare_variant(&p, 0, 1) > 20);
            p = variant(sc, st, SUBTRACT, 0);
            p.ts = p.tm;
            p.as = p.am;
            assert_true(compare_variant(&p, 0, 1) > 20);
        }
}

/* One neuron, constant input x, T steps, from settings text: V[n+1] and
 * the output of each step. */
static void run_spec(const char *text, double dt, float x, size_t T,
                     float *out, float *v)
{
    layer L;
    float cur[64];
    assert_int_equal(layer_try(&L, "lif", text, 1, dt, 1), SL_OK);
    run_constant(&L, x, T, out, v, cur);
    layer_free(&L);
}

static void expect_v(const char *what, const float *v, const double *e,
                     size_t T, double tol)
{
    for (size_t t = 0; t < T; t++)
        if (fabs(v[t] - e[t]) > tol)
            fail_msg("%s: V after step %zu = %.9g, lif.md §6.1 %.9g", what,
                     t + 1, (double)v[t], e[t]);
}

static void expect_spikes(const char *what, const float *out, size_t T,
                          const int *steps, size_t count)
{
    size_t c = 0;
    for (size_t t = 0; t < T; t++) {
        int want = c < count && steps[c] == (int)t + 1;
        if ((out[t] == 1.0f) != want)
            fail_msg("%s: step %zu spike %g, expected %d", what, t + 1,
                     (double)out[t], want);
        c += want;
    }
}

/* lif.md §6.1: dt 1e-3, tau_mem 1e-2, tau_syn 5e-3, x = 0.5. The values
 * there have 7 digits, hence the tolerance 2e-7 (plus float32). */
static void test_lif_spec_values(void **state)
{
    (void)state;
    float out[20], v[20];
    /* euler_input_first (Norse) = euler with input_order "start" */
    static const double first[10] = {0.05,      0.135,     0.2435,
                                     0.36675,   0.498155,  0.6328035,
                                     0.7670944, 0.8984419, 1.0250433,
                                     1.1456954};
    run_spec("v_th = 1e9; input_order = \"start\";", 1e-3, 0.5f, 10, out,
             v);
    expect_v("euler start", v, first, 10, 1e-6);
    run_spec("v_th = 1.0; input_order = \"start\";", 1e-3, 0.5f, 20, out,
             v);
    expect_spikes("euler start v_th 1", out, 20, (const int[]){9, 15, 20},
                  3);

    static const double expe[10] = {0,         0.0475813, 0.1295909,
                                    0.2356909, 0.3578074, 0.4896826,
                                    0.6265124, 0.7646523, 0.9013799,
                                    1.0347026};
    run_spec("v_th = 1e9; scheme = \"exp_euler\";", 1e-3, 0.5f, 10, out,
             v);
    expect_v("exp_euler", v, expe, 10, 1e-6);

    static const double exact[8] = {0.0430533, 0.1172587, 0.213262,
                                    0.3237575, 0.4430831, 0.5668918,
                                    0.691886,  0.8156022};
    run_spec("v_th = 1e9; scheme = \"exact\"; input_order = \"start\";",
             1e-3, 0.5f, 8, out, v);
    expect_v("exact", v, exact, 8, 1e-6);
    assert_float_equal(v[0], 0.5 * 0.0861066650, 1e-7); /* c·x */
    static const double exact_eq[8] = {0.0705401, 0.189962,  0.3415947,
                                       0.5127337, 0.6938163, 0.877756,
                                       1.0594079, 1.2351393};
    run_spec("v_th = 1e9; scheme = \"exact\"; input_order = \"start\"; "
             "tau_mem = 6e-6; tau_syn = 6e-6;",
             1e-6, 0.5f, 8, out, v);
    expect_v("exact equal", v, exact_eq, 8, 1e-6);
    assert_float_equal(v[0], 0.5 * 0.1410802875, 1e-7);

    /* hxtorch with refractory: its counter set to t_ref/dt at a spike
     * clamps the t_ref/dt = 2 following steps, which is (n − s)·dt <
     * t_ref for our t_ref = hxtorch's + dt = 3e-6 */
    static const double hx[16] = {0,        0.083333, 0.222222, 0.395833,
                                  0.588735, 0.789673, 0.990612, 0,
                                  0,        0,        0.419247, 0.782079,
                                  0,        0,        0,        0.467547};
    const char *hxs = "tau_mem = 6e-6; tau_syn = 6e-6; v_th = 1.0; "
                      "t_ref = 3e-6;";
    run_spec(hxs, 1e-6, 0.5f, 16, out, v);
    expect_v("hxtorch refractory", v, hx, 16, 1e-6);
    expect_spikes("hxtorch refractory", out, 16, (const int[]){8, 13}, 2);
    run_spec("tau_mem = 6e-6; tau_syn = 6e-6; v_th = 1.0;", 1e-6, 0.5f, 16,
             out, v);
    expect_spikes("hxtorch", out, 16, (const int[]){8, 11, 14}, 3);
}

/* From 32 neurons on the backward moves the whole batch through the
 * sweep and takes the recurrent adjoint of each step as one product
 * (xGemm): the same check on 40 neurons, for the default step and for
 * the peers' variant (no synapse, delayed subtractive reset, input first;
 * torch_bptt.py's neuron). */
static void test_lif_gradcheck_batched(void **state)
{
    (void)state;
    refp p = {.am = 0.1, .as = 0.2, .vth = 0.6, .vl = 0.0, .vr = 0.0,
              .alpha = 8.0, .recurrent = 1, .li = 0};
    assert_int_equal(gradcheck_n("lif", smooth_rec, &p, 40, 7, 1), 0);
    refp q = variant(EXP_EULER, 1, SUBTRACT, 0);
    q.recurrent = 1;
    q.nosyn = 1;
    q.delay = 1;
    char text[512];
    variant_text(text, sizeof text, &q, 0,
                 "forward = \"smooth\"; alpha = 8.0; recurrent = true;");
    assert_int_equal(gradcheck_n("lif", text, &q, 40, 7, 1), 0);
}

/* BPTT of every variant against finite differences of ref_loss (smooth
 * forward, recurrent). */
static void test_lif_gradcheck_variants(void **state)
{
    (void)state;
    char text[512];
    int bad = 0;
    for (int sc = 0; sc < 4; sc++)
        for (int st = 0; st < 2; st++)
            for (int re = 0; re < 3; re++)
                for (int tr = 0; tr < 2; tr++) {
                    refp p = variant(sc, st, re, tr ? 2 : 0);
                    p.recurrent = 1;
                    variant_text(text, sizeof text, &p, tr ? 2.5e-3 : 0,
                                 "forward = \"smooth\"; alpha = 8.0; "
                                 "recurrent = true;");
                    int b = gradcheck("lif", text, &p, 1);
                    if (b)
                        fprintf(stderr, "  in: %s\n", text);
                    bad += b;
                    if (tr || re == NONE)
                        continue;
                    p.delay = 1;
                    variant_text(text, sizeof text, &p, 0,
                                 "forward = \"smooth\"; alpha = 8.0; "
                                 "recurrent = true;");
                    b = gradcheck("lif", text, &p, 1);
                    if (b)
                        fprintf(stderr, "  in: %s\n", text);
                    bad += b;
                }
    for (int sc = 0; sc < 4; sc++) {
        refp p = variant(sc, 1, SUBTRACT, 0);
        p.recurrent = 1;
        for (int v = 0; v < 3; v++) {
            p.nosyn = v != 1;
            p.noleak = v != 0;
            variant_text(text, sizeof text, &p, 0,
                         "forward = \"smooth\"; alpha = 8.0; "
                         "recurrent = true;");
            int b = gradcheck("lif", text, &p, 1);
            if (b)
                fprintf(stderr, "  in: %s\n", text);
            bad += b;
        }
    }
    assert_int_equal(bad, 0);
}

/* ------------------------------------------------------------ bad inputs */

static void test_bad_settings(void **state)
{
    (void)state;
    const struct {
        const char *comp, *text;
        size_t n_in;
        double dt;
        int code;
        const char *needle; /* must appear in the message */
    } cases[] = {
        {"lif", "tau_mem = 0.0;", 2, 1e-3, SL_ECONFIG, "tau_mem"},
        {"lif", "tau_mem = -0.01;", 2, 1e-3, SL_ECONFIG, "tau_mem"},
        {"lif", "tau_syn = 0;", 2, 1e-3, SL_ECONFIG, "tau_syn"},
        {"lif", "tau_mem = \"fast\";", 2, 1e-3, SL_ECONFIG, "tau_mem"},
        {"lif", "tau_mem = 1e-3;", 2, 1e-3, SL_ECONFIG, "tau_mem"},
        {"lif", "tau_syn = 1e-3;", 2, 2e-3, SL_ECONFIG, "tau_syn"},
        {"lif", "surrogate = \"bogus\";", 2, 1e-3, SL_ECONFIG, "surrogate"},
        {"lif", "surrogate = \"bogus\";", 2, 1e-3, SL_ECONFIG,
         "straight_through"},
        {"lif", "n = 3;", 2, 1e-3, SL_ECONFIG, "n = 3"},
        {"lif", "v_th = 0.0;", 2, 1e-3, SL_ECONFIG, "v_th"},
        {"lif", "alpha = 0.0;", 2, 1e-3, SL_ECONFIG, "alpha"},
        {"lif", "forward = \"wobbly\";", 2, 1e-3, SL_ECONFIG, "forward"},
        {"lif", "forward = \"smooth\"; surrogate = \"tanh\";", 2, 1e-3,
         SL_ECONFIG, "logistic"},
        {"lif", "w_rec_scale = 2.0;", 2, 1e-3, SL_ECONFIG, "w_rec_scale"},
        {"lif", "recurrent = true; w_rec_scale = -1.0;", 2, 1e-3, SL_ECONFIG,
         "w_rec_scale"},
        {"lif", "", 0, 1e-3, SL_EINVAL, "input"},
        {"lif", "", 2, 0.0, SL_EINVAL, "dt"},
        {"li", "tau_mem = 0.0;", 2, 1e-3, SL_ECONFIG, "tau_mem"},
        {"li", "n = 1;", 2, 1e-3, SL_ECONFIG, "n = 1"},
        {"li", "tau_syn = 5e-4;", 2, 1e-3, SL_ECONFIG, "tau_syn"},
        {"lif", "scheme = \"rk4\";", 2, 1e-3, SL_ECONFIG, "scheme"},
        {"lif", "input_order = \"middle\";", 2, 1e-3, SL_ECONFIG,
         "input_order"},
        {"lif", "reset = \"zero\";", 2, 1e-3, SL_ECONFIG, "reset"},
        {"lif", "t_ref = -1e-3;", 2, 1e-3, SL_ECONFIG, "t_ref"},
        {"lif", "reset = \"none\"; reset_delay = true;", 2, 1e-3,
         SL_ECONFIG, "reset_delay"},
        {"lif", "reset_delay = true; t_ref = 3e-3;", 2, 1e-3, SL_ECONFIG,
         "reset_delay"},
        {"lif", "synapse = false; tau_syn = 5e-3;", 2, 1e-3, SL_ECONFIG,
         "tau_syn"},
        {"lif", "reset = \"subtract\"; v_reset = 0.6;", 2, 1e-3,
         SL_ECONFIG, "v_th"},
        /* Euler's stability bound is Euler's only */
        {"lif", "scheme = \"exp_euler\"; tau_mem = 1e-3; tau_syn = -1.0;",
         2, 1e-3, SL_ECONFIG, "tau_syn"},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        layer L;
        int rc = layer_try(&L, cases[c].comp, cases[c].text, cases[c].n_in,
                           cases[c].dt, 1);
        if (rc != cases[c].code || !strstr(L.ctx.err.msg, cases[c].needle))
            fail_msg("%s \"%s\": got %d \"%s\", expected %d naming %s",
                     cases[c].comp, cases[c].text, rc, L.ctx.err.msg,
                     cases[c].code, cases[c].needle);
        layer_free(&L);
    }
    /* n equal to n_in is accepted */
    layer L;
    layer_make(&L, "lif", "n = 2;", 2);
    layer_free(&L);
    /* time constants below dt: fine for the exponential schemes, and
     * without a leak (IF) for Euler too */
    layer_make(&L, "lif", "scheme = \"exact\"; tau_mem = 5e-4; "
               "tau_syn = 2e-4;", 2);
    layer_free(&L);
    layer_make(&L, "lif", "leak = false; tau_mem = 5e-4; synapse = false;",
               2);
    layer_free(&L);
}

static void test_call_order(void **state)
{
    (void)state;
    const char *comps[] = {"lif", "li"};
    for (size_t c = 0; c < 2; c++) {
        layer L;
        layer_make(&L, comps[c], "", 2);
        float in[8] = {0}, out[8], dout[8] = {0}, din[8];
        sl_observable o;
        assert_int_equal(L.iface->xForward(L.self, in, out), SL_EINVAL);
        check_ok(&L, L.iface->xPrepare(L.self, 2, 2, 0));
        assert_int_equal(L.iface->xBackward(L.self, dout, din), SL_EINVAL);
        assert_non_null(strstr(L.ctx.err.msg, "SL_MODE_TRAIN"));
        check_ok(&L, L.iface->xForward(L.self, in, out));
        assert_int_equal(L.iface->xObservable(L.self, 0, &o), SL_ENOTFOUND);
        check_ok(&L, L.iface->xPrepare(L.self, 2, 2, SL_MODE_TRAIN));
        assert_int_equal(L.iface->xBackward(L.self, dout, din), SL_EINVAL);
        check_ok(&L, L.iface->xPrepare(L.self, 2, 2, SL_MODE_RECORD));
        check_ok(&L, L.iface->xForward(L.self, in, out));
        check_ok(&L, L.iface->xObservable(L.self, 0, &o));
        assert_string_equal(o.name, "v_mem");
        check_ok(&L, L.iface->xObservable(L.self, 1, &o));
        assert_string_equal(o.name, "i_syn");
        assert_int_equal(L.iface->xObservable(L.self, 3, &o), SL_ENOTFOUND);
        layer_free(&L);
    }
}

/* Batch elements and calls are independent, every sequence starts from
 * rest, and buffers follow the shape of the latest xPrepare. */
static void test_batch_independence(void **state)
{
    (void)state;
    enum { T = 25, N = 2 };
    float in[3 * T * N], out[3 * T * N], out1[T * N];
    for (size_t k = 0; k < T * N; k++)
        in[k] = in[T * N + k] = in[2 * T * N + k] = (float)(k % 7) * 0.2f;
    layer L;
    layer_make(&L, "lif", "", N);
    check_ok(&L, L.iface->xPrepare(L.self, 1, T, SL_MODE_TRAIN));
    check_ok(&L, L.iface->xForward(L.self, in, out1));
    check_ok(&L, L.iface->xPrepare(L.self, 3, T, SL_MODE_RECORD));
    check_ok(&L, L.iface->xForward(L.self, in, out));
    check_ok(&L, L.iface->xForward(L.self, in, out)); /* repeat */
    float spikes = 0;
    for (size_t k = 0; k < T * N; k++) {
        spikes += out1[k];
        assert_true(out[k] == out1[k]);
        assert_true(out[T * N + k] == out1[k]);
        assert_true(out[2 * T * N + k] == out1[k]);
    }
    assert_true(spikes > 2);
    observable(&L, "v_mem", 3, T);
    layer_free(&L);
}

static void test_numeric_failure(void **state)
{
    (void)state;
    layer L;
    layer_make(&L, "lif", "", 1);
    float in[4] = {0.1f, NAN, 0.1f, 0.1f}, out[4];
    check_ok(&L, L.iface->xPrepare(L.self, 1, 4, 0));
    assert_int_equal(L.iface->xForward(L.self, in, out), SL_ENUMERIC);
    layer_free(&L);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_lif_reference_free),
        cmocka_unit_test(test_lif_reference_threshold),
        cmocka_unit_test(test_lif_strict_threshold),
        cmocka_unit_test(test_li_reference),
        cmocka_unit_test(test_li_beta),
        cmocka_unit_test(test_lif_recurrence),
        cmocka_unit_test(test_lif_w_rec_init),
        cmocka_unit_test(test_lif_no_autapse_gradient),
        cmocka_unit_test(test_lif_surrogates),
        cmocka_unit_test(test_lif_gradcheck_recurrent),
        cmocka_unit_test(test_lif_gradcheck_batched),
        cmocka_unit_test(test_lif_gradcheck_leak_reset),
        cmocka_unit_test(test_lif_gradcheck_detects_detach),
        cmocka_unit_test(test_li_gradcheck),
        cmocka_unit_test(test_lif_variants_reference),
        cmocka_unit_test(test_lif_spec_values),
        cmocka_unit_test(test_lif_gradcheck_variants),
        cmocka_unit_test(test_bad_settings),
        cmocka_unit_test(test_call_order),
        cmocka_unit_test(test_batch_independence),
        cmocka_unit_test(test_numeric_failure),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
