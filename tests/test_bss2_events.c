/*
 * tests/test_bss2_events.c — bss2.so's event mode (networks of lif_event
 * layers on the emulated chip, plugins/bss2/evrun.c) and lif_event's
 * measured-spike substitution (sl.substitute_events.v1).
 *
 * Loads bss2.so and lifevent.so through the real loader and checks:
 *  - the chip with every imperfection off gives the software event
 *    network's spike times floored to the 8 ns grid, every layer, with
 *    float weights (weight_quant = false) and with 6-bit weights (the
 *    software then given w_hw/58);
 *  - each imperfection (fixed pattern, threshold noise, jitter, input
 *    latency, weight quantisation) changes the times when switched on
 *    alone, and the same seed gives the same bits, run after run; the
 *    temporal ones advance from run to run, the fixed pattern does not
 *    and follows the seed;
 *  - the refractory hold, exactly: the second spike of a neuron from the
 *    closed form after its release (lev__ functions, slaux_event.h);
 *  - errors: more spikes than slots (naming refractory), dense sides,
 *    a network mixing event and dense layers;
 *  - xSubstituteEvents: the layer's own times give its own gradients
 *    (to 1e-6: the current at a spike is summed instead of flowed), and
 *    moved times move the gradient.
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

#include "spikelab/slaux_event.h"
#include "config/config.h"
#include "engine/host.h"
#include "engine/network.h"
#include "engine/registry.h"
#include "engine/rng.h"
#include "testutil.h"

static sl__registry *reg;

static int setup(void **state)
{
    (void)state;
    reg = sl_test_load_plugin("bss2", NULL);
    if (reg == NULL)
        return -1;
    char path[4096];
    int k = snprintf(path, sizeof path,
                     "%s/plugins/lifevent/.libs/lifevent.so",
                     getenv("top_builddir"));
    if (k < 0 || (size_t)k >= sizeof path)
        return -1;
    sl__err err = {0};
    if (sl__registry_load_file(reg, path, NULL, &err) != SL_OK) {
        fprintf(stderr, "cannot load %s: %s\n", path, err.msg);
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    sl__registry_free(reg);
    return 0;
}

/* ------------------------------------------------------------------ rig */

typedef struct rig {
    sl__config *cfg;
    sl__network net;
    int have_net;
    sl_ctx bctx;
    const sl_backend_iface *bi;
    void *be;
    sl_layer_view views[8];
    sl_network_view nv;
} rig;

static int rig_try(rig *r, const char *text, size_t n_in, uint64_t seed)
{
    sl__err err = {0};
    memset(r, 0, sizeof *r);
    if (sl__config_load_string(text, "test.cfg", &r->cfg, &err) != SL_OK)
        fail_msg("config: %s", err.msg);
    int rc = sl__network_build(&r->net, r->cfg,
                               sl__config_find(r->cfg, NULL, "network"), reg,
                               &sl__host, n_in, seed, &err);
    if (rc != SL_OK)
        fail_msg("network: %s", err.msg);
    r->have_net = 1;
    const sl__entry *e = sl__registry_find(reg, SL_KIND_BACKEND, "bss2");
    assert_non_null(e);
    r->bi = e->comp->iface;
    sl__ctx_init(&r->bctx, r->cfg, sl__config_find(r->cfg, NULL, "backend"),
                 seed, "backend");
    if (r->bctx.group)
        sl_test_declare(&r->bctx, e);
    rc = r->bi->xCreate(&sl__host, &r->bctx, &r->be);
    if (rc != SL_OK)
        return rc;
    assert_true(r->net.n_layers <= 8);
    sl__network_view(&r->net, r->views, &r->nv);
    return r->bi->xPlace(r->be, &r->nv);
}

static void rig_free(rig *r)
{
    if (r->be)
        r->bi->xDestroy(r->be);
    if (r->have_net)
        sl__network_free(&r->net);
    sl__config_free(r->cfg);
    memset(r, 0, sizeof *r);
}

static void rig_make(rig *r, const char *text, size_t n_in, uint64_t seed)
{
    int rc = rig_try(r, text, n_in, seed);
    if (rc != SL_OK)
        fail_msg("bss2: %d %s", rc, r->bctx.err.msg);
}

/* Run; returns 0 or the status, the output in *out. */
static int run_rc(rig *r, const float *x, size_t B, size_t T, sl_seq *out)
{
    sl_seq in = {x, B, T, r->net.n_in, r->net.dt};
    memset(out, 0, sizeof *out);
    return r->bi->xRun(r->be, &r->nv, &in, out);
}

static sl_seq run(rig *r, const float *x, size_t B, size_t T)
{
    sl_seq out;
    int rc = run_rc(r, x, B, T, &out);
    if (rc != SL_OK)
        fail_msg("xRun: %d %s", rc, r->bctx.err.msg);
    assert_int_equal(out.batch, B);
    assert_int_equal(out.time, T);
    assert_int_equal(out.channels, r->net.n_out);
    return out;
}

static const float *times_of(rig *r, size_t l, size_t B, size_t T)
{
    sl_observable o;
    memset(&o, 0, sizeof o);
    assert_int_equal(r->bi->xTrace(r->be, l, 0, &o), SL_OK);
    assert_string_equal(o.name, SL_TRACE_SPIKE_TIMES);
    assert_string_equal(o.unit, "s");
    assert_int_equal(o.batch, B);
    assert_int_equal(o.time, T);
    assert_int_equal(o.channels, r->net.layers[l].n_out);
    assert_int_equal(r->bi->xTrace(r->be, l, 1, &o), SL_ENOTFOUND);
    return o.data;
}

#define GRID 8e-9
#define NI 25

/* 25 inputs (jaxsnn's Yin-Yang on the chip) → 40 → 3, tau 12 / 6 us. */
#define NET_EV(extra_be)                                                      \
    "network = { dt = 1e-6; layers = ("                                       \
    "  { type = \"lif_event\"; n = 40; tau_mem = 1.2e-5; tau_syn = 6e-6;"     \
    "    v_reset = -1000.0; t_max = 2.4e-5; mean = 0.2; std = 0.6; },"        \
    "  { type = \"lif_event\"; n = 3; tau_mem = 1.2e-5; tau_syn = 6e-6;"      \
    "    v_reset = -1000.0; t_max = 2.4e-5; mean = 0.5; std = 0.8; }"         \
    "); }; backend = { weight_scale = 58.0; " extra_be " };"

/* [B][1][NI] input times on whole 8 ns cycles in 0 .. 12 us, channel
 * 5·feature + copy as the Yin-Yang encoding (copies at the same time),
 * the bias (feature 4) at 0. */
static float *inputs(size_t B, uint64_t seed)
{
    float *x = malloc(B * NI * sizeof *x);
    assert_non_null(x);
    sl_rng g;
    sl__rng_seed(&g, seed, "input");
    for (size_t b = 0; b < B; b++)
        for (size_t f = 0; f < 5; f++) {
            double k = f == 4 ? 0 : floor(1500.0 * sl__rng_uniform(&g));
            for (size_t c = 0; c < 5; c++)
                x[b * NI + f * 5 + c] = (float)(k * GRID);
        }
    return x;
}

/* The chip's recorded time for software time t: floored to the grid;
 * within 1e-6 cycles of an edge either side is accepted (the two
 * compute in different precision). */
static void expect_grid(double chip, double sw, const char *what, size_t i)
{
    if (isinf(sw) || isinf(chip)) {
        if (!(isinf(sw) && isinf(chip)))
            fail_msg("%s[%zu]: chip %g, software %g", what, i, chip, sw);
        return;
    }
    double q = sw / GRID, f = floor(q);
    double want = f * GRID;
    if (fabs(chip - (float)want) <= 1e-15)
        return;
    if (fabs(q - nearbyint(q)) < 1e-6 &&
        fabs(chip - (float)(nearbyint(q) * GRID - GRID)) < 1e-15)
        return;
    fail_msg("%s[%zu]: chip %.12g, software %.12g floored %.12g", what, i,
             chip, sw, want);
}

/* Software network (same config, seed: same weights) against the chip. */
static void compare_ideal(const char *extra, int quant)
{
    char text[2048];
    int k = snprintf(text, sizeof text, NET_EV("%s"), extra);
    assert_true(k > 0 && (size_t)k < sizeof text);
    const size_t B = 16;
    rig r, sw;
    rig_make(&r, text, NI, 3);
    rig_make(&sw, text, NI, 3);
    if (quant)
        for (size_t l = 0; l < 2; l++) {
            const sl_param *P = &sw.net.layers[l].params[0];
            for (size_t i = 0; i < P->n; i++) {
                double v = 58.0 * (double)P->data[i];
                v = nearbyint(v > 63 ? 63 : v < -63 ? -63 : v);
                P->data[i] = (float)(1.0 / 58.0 * v);
            }
        }
    float *x = inputs(B, 11);
    sl_seq out = run(&r, x, B, 1);
    sl__err err;
    assert_int_equal(sl__network_prepare(&sw.net, B, 1, 0, &err), SL_OK);
    assert_int_equal(sl__network_forward(&sw.net, x, &err), SL_OK);
    size_t spikes = 0;
    for (size_t l = 0; l < 2; l++) {
        const size_t N = B * sw.net.layers[l].n_out;
        const float *t = times_of(&r, l, B, 1), *s = sw.net.layers[l].out;
        for (size_t i = 0; i < N; i++) {
            expect_grid(t[i], s[i], l ? "output" : "hidden", i);
            spikes += isfinite(s[i]) != 0;
        }
        if (l == 1)
            assert_ptr_equal(out.data, t);
    }
    print_message("%zu of %zu neurons spike\n", spikes, B * 43);
    /* a case with spikes in both layers, not all neurons */
    assert_true(spikes > B * 10 && spikes < B * 43);
    free(x);
    rig_free(&r);
    rig_free(&sw);
}

static void test_events_ideal(void **state)
{
    (void)state;
    compare_ideal("ideal = true; weight_quant = false; spike_grid = 8e-9;",
                  0);
}

static void test_events_ideal_quantised(void **state)
{
    (void)state;
    compare_ideal("ideal = true; spike_grid = 8e-9;", 1);
}

/* ---------------------------------------- imperfections: seeded, switched */

static float *copy_out(rig *r, const float *x, size_t B)
{
    sl_seq o = run(r, x, B, 1);
    size_t N = B * r->net.n_out;
    /* with the hidden layer's times behind it */
    const float *h = times_of(r, 0, B, 1);
    size_t H = B * r->net.layers[0].n_out;
    float *c = malloc((N + H) * sizeof *c);
    assert_non_null(c);
    memcpy(c, o.data, N * sizeof *c);
    memcpy(c + N, h, H * sizeof *c);
    return c;
}

static void test_events_imperfections(void **state)
{
    (void)state;
    const size_t B = 16;
    const size_t N = B * 43;
    static const struct {
        const char *be;
        int temporal; /* advances run to run */
        int seeded;   /* another seed, other times */
    } cases[] = {
        {"refractory = 3e-5;", 1, 1}, /* every default on */
        {"ideal = true; fixed_pattern = true;", 0, 1},
        {"ideal = true; threshold_noise = 0.015;", 1, 1},
        {"ideal = true; jitter = 1e-7;", 1, 1},
        {"ideal = true; input_latency = 8e-8;", 0, 0},
        {"ideal = true; weight_quant = false;", 0, 0},
    };
    char text[2048];
    int k = snprintf(text, sizeof text, NET_EV("ideal = true;"));
    assert_true(k > 0 && (size_t)k < sizeof text);
    float *x = inputs(B, 5);
    rig r0;
    rig_make(&r0, text, NI, 1);
    float *base = copy_out(&r0, x, B);
    rig_free(&r0);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        k = snprintf(text, sizeof text, NET_EV("%s"), cases[c].be);
        assert_true(k > 0 && (size_t)k < sizeof text);
        rig a, b, o;
        rig_make(&a, text, NI, 1);
        rig_make(&b, text, NI, 1);
        rig_make(&o, text, NI, 2);
        /* the other seed's network weights differ too: give it ours */
        for (size_t l = 0; l < 2; l++)
            memcpy(o.net.layers[l].params[0].data,
                   a.net.layers[l].params[0].data,
                   a.net.layers[l].params[0].n * sizeof(float));
        float *a1 = copy_out(&a, x, B), *a2 = copy_out(&a, x, B);
        float *b1 = copy_out(&b, x, B), *b2 = copy_out(&b, x, B);
        float *o1 = copy_out(&o, x, B);
        if (memcmp(a1, b1, N * sizeof *a1) || memcmp(a2, b2, N * sizeof *a2))
            fail_msg("%s: the same seed gave other times", cases[c].be);
        if (!memcmp(a1, base, N * sizeof *a1))
            fail_msg("%s: no effect", cases[c].be);
        if (cases[c].temporal != !!memcmp(a1, a2, N * sizeof *a1))
            fail_msg("%s: run to run %s", cases[c].be,
                     cases[c].temporal ? "unchanged" : "changed");
        if (cases[c].seeded != !!memcmp(a1, o1, N * sizeof *a1))
            fail_msg("%s: another seed %s", cases[c].be,
                     cases[c].seeded ? "the same" : "differs");
        free(a1), free(a2), free(b1), free(b2), free(o1);
        rig_free(&a);
        rig_free(&b);
        rig_free(&o);
    }
    free(base);
    free(x);
}

/* --------------------------------------------------------- refractory */

/* One neuron, one input channel with spikes at 0 and 5 us (two slots),
 * jump 5: the first spike at 3.8820856 us (bss2.md §9); reset to 0 and
 * held for t_ref; the current keeps decaying and takes the second input;
 * the second spike follows from the state at the release. */
static void test_events_refractory(void **state)
{
    (void)state;
    const char *fmt =
        "network = { dt = 1e-6; layers = ("
        "  { type = \"lif_event\"; n = 1; tau_mem = 1.2e-5; tau_syn = 6e-6;"
        "    v_reset = 0.0; t_max = 6e-5; } ); };"
        "backend = { ideal = true; weight_quant = false; refractory = %g; };";
    const float x[8] = {0.0f, 5e-6f, INFINITY, INFINITY,
                        INFINITY, INFINITY, INFINITY, INFINITY};
    lev__model m = {1.2e-5, 6e-6, 1.0, 0.0, 0.0, 6e-5, 0, 0};
    lev__model_init(&m);
    const double t1 = lev__next(&m, 0, 5, INFINITY);
    assert_true(fabs(t1 - 3.8820856e-6) < 1e-12);
    for (int c = 0; c < 2; c++) {
        const double tref = c ? 4e-6 : 0.0;
        char text[1024];
        int k = snprintf(text, sizeof text, fmt, tref);
        assert_true(k > 0 && (size_t)k < sizeof text);
        rig r;
        rig_make(&r, text, 1, 1);
        r.net.layers[0].params[0].data[0] = 5.0f;
        sl_seq o = run(&r, x, 1, 8);
        /* expected: from the release (or the spike) on */
        double rel = t1 + tref, u = 0, i = 5;
        if (tref > 0) {
            /* current flowed to the second input, then to the release */
            i *= exp(-(double)x[1] / m.tau_syn);
            i += 5;
            i *= exp(-(rel - (double)x[1]) / m.tau_syn);
        } else {
            double uu = 0;
            i *= exp(-t1 / m.tau_syn);
            lev__flow(&m, (double)x[1] - t1, &uu, &i);
            u = uu;
            i += 5;
            rel = x[1];
        }
        double t2 = rel + lev__next(&m, u, i, INFINITY);
        if (fabs(o.data[0] - t1) > 1e-12 || fabs(o.data[1] - t2) > 1e-11)
            fail_msg("t_ref %g: spikes %.10g %.10g, expected %.10g %.10g",
                     tref, o.data[0], o.data[1], t1, t2);
        rig_free(&r);
    }
}

/* -------------------------------------------------------------- errors */

static void test_events_errors(void **state)
{
    (void)state;
    rig r;
    /* defaults: reset held at the clip, no refractory → a second spike
     * in a one-slot sequence */
    rig_make(&r,
             "network = { dt = 1e-6; layers = ("
             "  { type = \"lif_event\"; n = 1; tau_mem = 1.2e-5; "
             "    tau_syn = 6e-6; t_max = 6e-5; } ); };"
             "backend = { ideal = true; };",
             1, 1);
    r.net.layers[0].params[0].data[0] = 20.0f;
    float x = 0;
    sl_seq o;
    assert_int_equal(run_rc(&r, &x, 1, 1, &o), SL_ECONFIG);
    assert_non_null(strstr(r.bctx.err.msg, "refractory"));
    x = NAN;
    assert_int_equal(run_rc(&r, &x, 1, 1, &o), SL_EINVAL);
    rig_free(&r);

    assert_int_equal(rig_try(&r,
                             "network = { dt = 1e-6; layers = ("
                             "  { type = \"lif_event\"; n = 2; "
                             "    input = \"dense\"; } ); };"
                             "backend = { };",
                             1, 1),
                     SL_EFIT);
    assert_non_null(strstr(r.bctx.err.msg, "dense"));
    rig_free(&r);
    assert_int_equal(rig_try(&r,
                             "network = { dt = 1e-6; layers = ("
                             "  { type = \"lif_event\"; n = 2; "
                             "    output = \"dense\"; },"
                             "  { type = \"linear\"; n_out = 2; "
                             "    bias = false; } ); };"
                             "backend = { };",
                             1, 1),
                     SL_EFIT);
    rig_free(&r);
    assert_int_equal(rig_try(&r,
                             "network = { dt = 1e-6; layers = ("
                             "  { type = \"lif_event\"; n = 200; } ); };"
                             "backend = { };",
                             200, 1),
                     SL_EFIT);
    assert_non_null(strstr(r.bctx.err.msg, "fan-in"));
    rig_free(&r);
}

/* ---------------------------------------------------- substitute events */

typedef struct layer {
    sl__config *cfg;
    sl_ctx ctx;
    const sl_neuron_iface *iface;
    void *self;
    const sl_substitute_events_ext *ext;
} layer;

static void layer_make(layer *Ly, const char *text, size_t n_in)
{
    sl__err err;
    memset(Ly, 0, sizeof *Ly);
    assert_int_equal(sl__config_load_string(text, "t", &Ly->cfg, &err), SL_OK);
    sl__ctx_init(&Ly->ctx, Ly->cfg, sl__config_root(Ly->cfg), 1, "lif_event");
    const sl__entry *e = sl__registry_find(reg, SL_KIND_NEURON, "lif_event");
    assert_non_null(e);
    sl_test_declare(&Ly->ctx, e);
    Ly->iface = e->comp->iface;
    sl_layer_info info = {sizeof info, n_in, 1e-6, NULL, 0};
    size_t n_out;
    if (Ly->iface->xCreate(&sl__host, &Ly->ctx, &info, &Ly->self, &n_out))
        fail_msg("%s", Ly->ctx.err.msg);
    Ly->ext = Ly->iface->xExtension(Ly->self, SL_EXT_SUBSTITUTE_EVENTS);
    assert_non_null(Ly->ext);
    assert_int_equal(Ly->ext->struct_size, sizeof *Ly->ext);
}

static void test_substitute_events(void **state)
{
    (void)state;
    const size_t B = 8, n = 20, T = 1, N = B * T * n, NX = B * NI;
    for (int grad = 0; grad < 2; grad++) {
        layer Ly;
        layer_make(&Ly,
                   grad ? "n = 20; tau_mem = 1.2e-5; tau_syn = 6e-6; "
                          "v_reset = -1000.0; t_max = 2.4e-5; mean = 0.6; "
                          "std = 0.32; gradient = \"ttfs\";"
                        : "n = 20; tau_mem = 1.2e-5; tau_syn = 6e-6; "
                          "v_reset = -1000.0; t_max = 2.4e-5; mean = 0.6; "
                          "std = 0.32;",
                   NI);
        float *x = inputs(B, 9);
        float *y = malloc(N * sizeof *y), *y2 = malloc(N * sizeof *y2),
              *dy = malloc(N * sizeof *dy), *dx = malloc(NX * sizeof *dx),
              *dx2 = malloc(NX * sizeof *dx2), *z = malloc(N * sizeof *z);
        sl_param p;
        size_t np;
        assert_int_equal(Ly.iface->xParams(Ly.self, &p, 1, &np), SL_OK);
        float *g1 = malloc(p.n * sizeof *g1);
        for (size_t i = 0; i < N; i++)
            dy[i] = (float)(1e3 * (double)((i * 7) % 5 - 2));
        assert_int_equal(Ly.iface->xPrepare(Ly.self, B, T, SL_MODE_TRAIN),
                         SL_OK);
        memset(p.grad, 0, p.n * sizeof(float));
        assert_int_equal(Ly.iface->xForward(Ly.self, x, y), SL_OK);
        size_t spk = 0;
        for (size_t i = 0; i < N; i++)
            spk += isfinite(y[i]) != 0;
        assert_true(spk > N / 4);
        assert_int_equal(Ly.iface->xBackward(Ly.self, dy, dx), SL_OK);
        memcpy(g1, p.grad, p.n * sizeof *g1);

        /* own times: the same gradients */
        memcpy(z, y, N * sizeof *z);
        memset(p.grad, 0, p.n * sizeof(float));
        assert_int_equal(Ly.iface->xForward(Ly.self, x, y2), SL_OK);
        memset(y2, 0, N * sizeof *y2);
        assert_int_equal(Ly.ext->xSubstituteEvents(Ly.self, z, y2), SL_OK);
        assert_memory_equal(y, y2, N * sizeof *y);
        assert_int_equal(Ly.iface->xBackward(Ly.self, dy, dx2), SL_OK);
        double mx = 0;
        for (size_t i = 0; i < p.n; i++)
            mx = fmax(mx, fabs(g1[i]));
        assert_true(mx > 0);
        for (size_t i = 0; i < p.n; i++)
            if (fabs(p.grad[i] - g1[i]) > 1e-6 * mx)
                fail_msg("grad[%zu] %g vs %g", i, p.grad[i], g1[i]);
        for (size_t i = 0; i < NX; i++)
            if (fabs(dx[i] - dx2[i]) > 1e-6 * (fabs(dx[i]) + 1))
                fail_msg("dx[%zu] %g vs %g", i, dx[i], dx2[i]);

        /* measured times 0.2 us later, one beyond t_max: another gradient,
         * the late one dropped from the output */
        size_t late = N;
        for (size_t i = 0; i < N; i++)
            if (isfinite(z[i])) {
                z[i] += 2e-7f;
                if (late == N)
                    late = i;
            }
        z[late] = 3e-5f;
        memset(p.grad, 0, p.n * sizeof(float));
        assert_int_equal(Ly.iface->xForward(Ly.self, x, y2), SL_OK);
        assert_int_equal(Ly.ext->xSubstituteEvents(Ly.self, z, y2), SL_OK);
        assert_true(isinf(y2[late]));
        for (size_t i = 0; i < N; i++)
            if (i != late)
                assert_true(y2[i] == z[i]);
        assert_int_equal(Ly.iface->xBackward(Ly.self, dy, dx2), SL_OK);
        size_t moved = 0;
        for (size_t i = 0; i < p.n; i++)
            moved += fabs(p.grad[i] - g1[i]) > 1e-4 * mx;
        assert_true(moved > p.n / 10);
        z[0] = -1.0f;
        assert_int_equal(Ly.iface->xForward(Ly.self, x, y2), SL_OK);
        assert_int_equal(Ly.ext->xSubstituteEvents(Ly.self, z, y2),
                         SL_EINVAL);

        free(x), free(y), free(y2), free(dy), free(dx), free(dx2), free(z);
        free(g1);
        Ly.iface->xDestroy(Ly.self);
        sl__config_free(Ly.cfg);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_events_ideal),
        cmocka_unit_test(test_events_ideal_quantised),
        cmocka_unit_test(test_events_imperfections),
        cmocka_unit_test(test_events_refractory),
        cmocka_unit_test(test_events_errors),
        cmocka_unit_test(test_substitute_events),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
