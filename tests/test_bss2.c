/*
 * tests/test_bss2.c — bss2.so, the emulated BrainScaleS-2 backend, and the
 * hardware-in-the-loop extension SL_EXT_SUBSTITUTE of lif.so's "lif" and
 * "li".
 *
 * Loads bss2.so and lif.so from the build tree through the real loader,
 * builds networks from config text with the core's network container and
 * checks: ideal chip traces equal the lif/li model's bit for bit (and to a
 * stated tolerance for a gain that is not a power of two); weight
 * quantisation (clip, half-even rounding, exc/inh rows with their own
 * gains); the CADC/MADC readout; temporal noise reproducible by seed and
 * advancing run to run; the fixed pattern; the spike-time grid and `time`;
 * the refractory hold; every chip limit's error; the trace API; the
 * SuperSpike tutorial operating point of `gain` (measured, printed); and
 * xSubstitute: own values change nothing, other values change the gradient
 * as computed by hand.
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
#include <time.h>

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
    snprintf(path, sizeof path, "%s/plugins/lif/.libs/lif.so",
             getenv("top_builddir"));
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

/* A network built from `network = {...}` and a bss2 backend from
 * `backend = {...}` of one config text, placed. */
typedef struct rig {
    sl__config *cfg;
    sl__network net;
    int have_net;
    sl_ctx bctx;
    const sl_backend_iface *bi;
    void *be;
    sl_layer_view views[16];
    sl_network_view nv;
} rig;

/* Build, create and place; returns the first failing status (message in
 * r->bctx.err.msg for the backend, printed for the network). */
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
    r->be = (void *)0x1;
    rc = r->bi->xCreate(&sl__host, &r->bctx, &r->be);
    if (rc != SL_OK) {
        assert_null(r->be);
        return rc;
    }
    assert_true(r->net.n_layers <= 16);
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
    sl__err err;
    if (sl__config_check_unused(r->cfg, &err) != SL_OK)
        fail_msg("unread key: %s", err.msg);
}

/* Expect creation or placement to fail with `code` and a message
 * containing `needle`. */
static void expect_error(const char *text, size_t n_in, int code,
                         const char *needle)
{
    rig r;
    int rc = rig_try(&r, text, n_in, 1);
    if (rc != code || strstr(r.bctx.err.msg, needle) == NULL)
        fail_msg("config \"%s\": expected %d with \"%s\", got %d \"%s\"",
                 text, code, needle, rc, r.bctx.err.msg);
    rig_free(&r);
}

static sl_seq run(rig *r, const float *x, size_t B, size_t T)
{
    sl_seq in = {x, B, T, r->net.n_in, r->net.dt}, out;
    memset(&out, 0, sizeof out);
    int rc = r->bi->xRun(r->be, &r->nv, &in, &out);
    if (rc != SL_OK)
        fail_msg("xRun: %d %s", rc, r->bctx.err.msg);
    assert_int_equal(out.batch, B);
    assert_int_equal(out.time, T);
    assert_int_equal(out.channels, r->net.n_out);
    return out;
}

/* Trace `name` of view layer l, checking its shape. */
static const float *trace(rig *r, size_t l, const char *name, size_t B,
                          size_t T)
{
    sl_observable o;
    for (size_t i = 0;; i++) {
        memset(&o, 0, sizeof o);
        int rc = r->bi->xTrace(r->be, l, i, &o);
        if (rc == SL_ENOTFOUND)
            fail_msg("layer %zu has no trace %s", l, name);
        assert_int_equal(rc, SL_OK);
        if (strcmp(o.name, name) == 0)
            break;
    }
    assert_int_equal(o.struct_size, sizeof o);
    assert_string_equal(o.unit, "1");
    assert_int_equal(o.batch, B);
    assert_int_equal(o.time, T);
    assert_int_equal(o.channels, r->net.layers[l].n_out);
    return o.data;
}

static float *weights(rig *r, size_t l)
{
    assert_string_equal(r->net.layers[l].params[0].name, "weight");
    return r->net.layers[l].params[0].data;
}

/* Bernoulli(p) spike input [B][T][n] from a seeded stream. */
static float *spikes_in(size_t B, size_t T, size_t n, double p, uint64_t seed)
{
    float *x = calloc(B * T * n, sizeof *x);
    assert_non_null(x);
    sl_rng g;
    sl__rng_seed(&g, seed, "input");
    for (size_t i = 0; i < B * T * n; i++)
        x[i] = sl__rng_uniform(&g) < p ? 1.0f : 0.0f;
    return x;
}

/* The tutorial's w_hw = round-half-even(clip(v, −63, 63)), written out. */
static double w_hw(double v)
{
    v = v > 63 ? 63 : v < -63 ? -63 : v;
    double f = floor(v), d = v - f;
    if (d > 0.5 || (d == 0.5 && fmod(f, 2.0) != 0.0))
        f += 1.0;
    return f;
}

static size_t count(const float *x, size_t N)
{
    double c = 0;
    for (size_t i = 0; i < N; i++)
        c += x[i];
    return (size_t)c;
}

/* ------------------------------------------------------------ descriptor */

static void test_descriptor(void **state)
{
    (void)state;
    const sl__entry *e = sl__registry_find(reg, SL_KIND_BACKEND, "bss2");
    assert_non_null(e);
    assert_string_equal(e->plugin->desc->name, "bss2");
    const sl_backend_iface *bi = e->comp->iface;
    assert_int_equal(bi->struct_size, sizeof *bi);
    assert_int_equal(bi->flags, SL_BACKEND_RUNS);
    assert_non_null(bi->xRun);
    assert_non_null(bi->xTrace);
    assert_non_null(bi->xPlace);
    assert_null(bi->xExport);
    const sl__entry *lif = sl__registry_find(reg, SL_KIND_NEURON, "lif");
    const sl__entry *li = sl__registry_find(reg, SL_KIND_NEURON, "li");
    assert_non_null(lif);
    assert_non_null(li);
}

/* ------------------------------------- Done-when 2: ideal chip == lif/li */

#define NET_2L(extra_lif, extra_be)                                            \
    "network = { dt = 1e-7; layers = ("                                        \
    "  { type = \"linear\"; n_out = 5; bias = false; init = \"zeros\"; },"     \
    "  { type = \"lif\"; tau_mem = 1e-5; tau_syn = 5e-6; v_th = 1.0; "         \
    extra_lif " },"                                                            \
    "  { type = \"linear\"; n_out = 3; bias = false; init = \"zeros\"; },"     \
    "  { type = \"li\"; tau_mem = 1e-5; tau_syn = 5e-6; }"                     \
    "); }; backend = { " extra_be " };"

/* Software network (same config, weights gain·w_hw) in RECORD mode against
 * the ideal chip: lif pre-reset membrane (v_dec) vs v_mem, lif spikes vs
 * spikes, li output vs the chip's output and v_mem. tol 0 = bitwise. */
static void compare_with_lif(const char *text, double gain, double scale,
                             float tol)
{
    const size_t B = 3, T = 400, NI = 6;
    rig r, sw;
    rig_make(&r, text, NI, 7);
    rig_make(&sw, text, NI, 7);
    sl_rng g;
    sl__rng_seed(&g, 99, "weights");
    for (size_t l = 0; l < 4; l += 2) {
        float *w = weights(&r, l), *ws = weights(&sw, l);
        size_t N = r.net.layers[l].params[0].n;
        for (size_t i = 0; i < N; i++) {
            /* raw weights straddle the clip and the rounding */
            double raw = (18.0 + 30.0 * sl__rng_normal(&g)) / scale;
            if (i % 7 == 3)
                raw = 200.0 / scale; /* clipped */
            w[i] = (float)raw;
            ws[i] = (float)(gain * w_hw(scale * (double)w[i]));
        }
    }
    float *x = spikes_in(B, T, NI, 0.05, 3);
    sl_seq out = run(&r, x, B, T);

    sl__err err;
    assert_int_equal(sl__network_prepare(&sw.net, B, T, SL_MODE_RECORD, &err),
                     SL_OK);
    assert_int_equal(sl__network_forward(&sw.net, x, &err), SL_OK);
    const size_t N1 = B * T * 5, N2 = B * T * 3;
    sl__layer *lif = &sw.net.layers[1], *li = &sw.net.layers[3];
    sl_observable vd;
    assert_int_equal(lif->iface->xObservable(lif->self, 2, &vd), SL_OK);
    assert_string_equal(vd.name, "v_dec");

    const float *vm = trace(&r, 1, SL_TRACE_V_MEM, B, T);
    const float *sp = trace(&r, 1, SL_TRACE_SPIKES, B, T);
    const float *vo = trace(&r, 3, SL_TRACE_V_MEM, B, T);
    size_t n_sp = count(sp, N1);
    assert_true(n_sp > 20);       /* a case with spikes ... */
    assert_true(n_sp < N1 / 4);   /* ... but not saturated */
    assert_memory_equal(sp, lif->out, N1 * sizeof(float));
    assert_ptr_equal(out.data, vo);
    if (tol == 0.0f) {
        assert_memory_equal(vm, vd.data, N1 * sizeof(float));
        assert_memory_equal(vo, li->out, N2 * sizeof(float));
    } else {
        for (size_t i = 0; i < N1; i++)
            if (fabsf(vm[i] - vd.data[i]) > tol)
                fail_msg("v_mem[%zu] %g vs lif %g", i, vm[i], vd.data[i]);
        for (size_t i = 0; i < N2; i++)
            if (fabsf(vo[i] - li->out[i]) > tol * 10)
                fail_msg("li[%zu] %g vs %g", i, vo[i], li->out[i]);
    }
    free(x);
    rig_free(&r);
    rig_free(&sw);
}

static void test_ideal_equals_lif(void **state)
{
    (void)state;
    /* gain 1/16 (a power of two): bit for bit */
    compare_with_lif(NET_2L("", "ideal = true; weight_scale = 16.0;"), 0.0625,
                     16.0, 0.0f);
}

static void test_ideal_equals_lif_tolerance(void **state)
{
    (void)state;
    /* gain 0.03: the chip sums LSB then scales, lif sums scaled weights;
     * both in float32: agreement to 1e-5 of the unit span */
    compare_with_lif(NET_2L("", "ideal = true; gain = 0.03;"), 0.03, 1.0,
                     1e-5f);
}

/* ------------------------------------------------------ weight handling */

/* 1 input → linear → li: with one input spike at step 0 the li output of
 * step 0 is a_mem·(gain·w_hw) (li.c: input first), so each neuron's
 * output reveals its quantised weight. */
static void test_weight_quantisation(void **state)
{
    (void)state;
    static const double raw[] = {13.75, 13.25, 0.25, 0.75, -1.25, 50.0,
                                 -50.0, 31.35, -0.2, -31.75};
    static const double want[] = {28, 26, 0, 2, -2, 63, -63, 63, 0, -63};
    const size_t n = sizeof raw / sizeof raw[0];
    char text[512];
    snprintf(text, sizeof text,
             "network = { dt = 1e-7; layers = ("
             "{ type = \"linear\"; n_out = %zu; bias = false; init = "
             "\"zeros\"; }, { type = \"li\"; tau_mem = 1e-5; tau_syn = 5e-6; "
             "} ); }; backend = { ideal = true; weight_scale = 2.0; gain = "
             "0.015625; li_range = 2.0; };",
             n);
    rig r;
    rig_make(&r, text, 1, 1);
    float *w = weights(&r, 0);
    for (size_t i = 0; i < n; i++)
        w[i] = (float)raw[i];
    float x[2] = {1.0f, 0.0f};
    sl_seq out = run(&r, x, 1, 2);
    const float a = (float)(1e-7 / 1e-5);
    for (size_t i = 0; i < n; i++) {
        /* 2·13.75 = 27.5 → 28 and 2·13.25 = 26.5 → 26 (half to even),
         * 0.5 → 0, 1.5 → 2, −2.5 → −2, ±100 → ±63 (clip) */
        double got = out.data[i] / (a * 0.015625);
        if (fabs(got - want[i]) > 1e-4)
            fail_msg("weight %g: w_hw %g, want %g", raw[i], got, want[i]);
        assert_true(fabs(w_hw(2.0 * raw[i]) - want[i]) == 0.0);
    }
    rig_free(&r);
}

/* The exc and inh rows are separate: with a fixed-pattern spread of the
 * synaptic gains only, a positive weight is scaled by the neuron's
 * excitatory gain and a negative one by its inhibitory gain. */
static void test_exc_inh_rows(void **state)
{
    (void)state;
    const char *text =
        "network = { dt = 1e-7; layers = ("
        "{ type = \"linear\"; n_out = 4; bias = false; init = \"zeros\"; },"
        "{ type = \"li\"; tau_mem = 1e-5; tau_syn = 5e-6; } ); };"
        "backend = { ideal = true; fixed_pattern = true; fp_tau_mem = 0.0; "
        "fp_tau_syn = 0.0; fp_threshold = 0.0; fp_leak = 0.0; fp_gain = 0.1;"
        " gain = 0.0625; };";
    rig r;
    rig_make(&r, text, 2, 5);
    float *w = weights(&r, 0); /* [2][4] */
    for (size_t k = 0; k < 4; k++) {
        w[k] = 20.0f;      /* source 0: excitatory row */
        w[4 + k] = -20.0f; /* source 1: inhibitory row */
    }
    /* batch 0: source 0 alone, batch 1: source 1 alone, batch 2: both */
    float x[3 * 1 * 2] = {1, 0, 0, 1, 1, 1};
    sl_seq out = run(&r, x, 3, 1);
    const double a = (float)(1e-7 / 1e-5), g = 0.0625;
    for (size_t k = 0; k < 4; k++) {
        double ge = out.data[k] / (a * g * 20.0);
        double gi = -out.data[4 + k] / (a * g * 20.0);
        assert_true(ge > 0.5 && ge < 1.5 && gi > 0.5 && gi < 1.5);
        if (fabs(ge - gi) < 1e-4 || fabs(ge - 1.0) < 1e-4)
            fail_msg("neuron %zu: exc gain %g, inh gain %g: not separate",
                     k, ge, gi);
        /* both rows together: a·g·20·(ge − gi) */
        assert_float_equal(out.data[8 + k], a * g * 20.0 * (ge - gi), 1e-6);
    }
    rig_free(&r);
}

/* ------------------------------------------------------------ ADC readout */

static void check_adc(const char *adc, double leak, double th, double max)
{
    const size_t B = 2, T = 300, NI = 6;
    char ideal_text[1024], adc_text[1024];
    snprintf(ideal_text, sizeof ideal_text, "%s",
             NET_2L("", "ideal = true; gain = 0.0625;"));
    snprintf(adc_text, sizeof adc_text, NET_2L("", "ideal = true; gain = "
                                                   "0.0625; adc = \"%s\";"),
             adc);
    rig a, b;
    rig_make(&a, ideal_text, NI, 1);
    rig_make(&b, adc_text, NI, 1);
    for (size_t l = 0; l < 4; l += 2) {
        float *wa = weights(&a, l), *wb = weights(&b, l);
        for (size_t i = 0; i < a.net.layers[l].params[0].n; i++)
            wa[i] = wb[i] = (float)((int)(i * 37 % 61) - 10);
    }
    float *x = spikes_in(B, T, NI, 0.06, 11);
    run(&a, x, B, T);
    run(&b, x, B, T);
    size_t sat = 0;
    for (size_t l = 1; l < 4; l += 2) {
        size_t N = B * T * a.net.layers[l].n_out;
        const float *vi = trace(&a, l, SL_TRACE_V_MEM, B, T);
        const float *vq = trace(&b, l, SL_TRACE_V_MEM, B, T);
        /* lif: v_leak 0, v_th 1; li: v_leak 0, li_range 1 */
        const double scale = th - leak;
        for (size_t i = 0; i < N; i++) {
            double lsb = leak + scale * vi[i];
            double q = nearbyint(lsb);
            q = q < 0 ? 0 : q > max ? max : q;
            sat += q == max || q == 0;
            double want = (q - leak) / scale;
            if (fabs(vq[i] - want) > 1e-6)
                fail_msg("%s layer %zu [%zu]: %g read %g, want %g", adc, l, i,
                         vi[i], vq[i], want);
            /* on the ADC's grid */
            double on = vq[i] * scale + leak;
            assert_float_equal(on, nearbyint(on), 1e-3);
        }
    }
    assert_true(sat > 0); /* the readout's range was reached */
    /* readout only: the spikes are the ideal ones */
    assert_memory_equal(trace(&a, 1, SL_TRACE_SPIKES, B, T),
                        trace(&b, 1, SL_TRACE_SPIKES, B, T),
                        B * T * 5 * sizeof(float));
    free(x);
    rig_free(&a);
    rig_free(&b);
}

static void test_adc_cadc(void **state)
{
    (void)state;
    check_adc("cadc", 80, 150, 255);
}

static void test_adc_madc(void **state)
{
    (void)state;
    check_adc("madc", 320, 600, 1023);
}

/* ------------------------------------- Done-when 3: noise only by seed */

static void run_noisy(uint64_t seed, float *out, size_t runs)
{
    const size_t B = 2, T = 300, NI = 6;
    rig r;
    rig_make(&r, NET_2L("", "gain = 0.0625;"), NI, seed);
    for (size_t l = 0; l < 4; l += 2) {
        float *w = weights(&r, l);
        for (size_t i = 0; i < r.net.layers[l].params[0].n; i++)
            w[i] = (float)((int)(i * 37 % 61) - 10);
    }
    float *x = spikes_in(B, T, NI, 0.06, 11);
    const size_t N1 = B * T * 5, N2 = B * T * 3;
    for (size_t k = 0; k < runs; k++) {
        sl_seq o = run(&r, x, B, T);
        float *dst = out + k * (N1 + N1 + N2);
        memcpy(dst, trace(&r, 1, SL_TRACE_V_MEM, B, T), N1 * sizeof(float));
        memcpy(dst + N1, trace(&r, 1, SL_TRACE_SPIKES, B, T),
               N1 * sizeof(float));
        memcpy(dst + 2 * N1, o.data, N2 * sizeof(float));
    }
    free(x);
    rig_free(&r);
}

static void test_noise_seeded(void **state)
{
    (void)state;
    const size_t per = 2 * 300 * (5 + 5 + 3), runs = 3;
    float *a = malloc(per * runs * sizeof *a), *b = malloc(per * runs * sizeof *b),
          *c = malloc(per * runs * sizeof *c);
    run_noisy(1, a, runs);
    run_noisy(1, b, runs);
    run_noisy(2, c, runs);
    /* same seed: the same sequence of runs */
    assert_memory_equal(a, b, per * runs * sizeof *a);
    /* the noise advances from run to run ... */
    for (size_t k = 1; k < runs; k++)
        assert_memory_not_equal(a, a + k * per, per * sizeof *a);
    /* ... and another seed gives another chip and other noise */
    for (size_t k = 0; k < runs; k++)
        assert_memory_not_equal(a + k * per, c + k * per, per * sizeof *a);
    free(a);
    free(b);
    free(c);
}

/* Fixed pattern alone: constant across runs and re-placement, set by the
 * seed, different from the ideal chip. */
static void test_fixed_pattern(void **state)
{
    (void)state;
    const size_t B = 2, T = 300, NI = 6, N = B * T * 5;
    const char *texts[] = {
        NET_2L("", "gain = 0.0625; noise = 0.0; adc = \"off\"; "
                   "membrane_clip = false;"),
        NET_2L("", "ideal = true; gain = 0.0625;")};
    float *v[4];
    size_t nz[4];
    float *x = spikes_in(B, T, NI, 0.06, 11);
    for (int k = 0; k < 4; k++) {
        rig r;
        rig_make(&r, texts[k == 3], NI, k == 2 ? 8 : 4);
        for (size_t l = 0; l < 4; l += 2) {
            float *w = weights(&r, l);
            for (size_t i = 0; i < r.net.layers[l].params[0].n; i++)
                w[i] = (float)((int)(i * 37 % 61) - 10);
        }
        v[k] = malloc(N * sizeof(float));
        run(&r, x, B, T);
        memcpy(v[k], trace(&r, 1, SL_TRACE_V_MEM, B, T), N * sizeof(float));
        nz[k] = count(trace(&r, 1, SL_TRACE_SPIKES, B, T), N);
        if (k == 0) { /* again, and after placing again */
            run(&r, x, B, T);
            assert_memory_equal(v[0], trace(&r, 1, SL_TRACE_V_MEM, B, T),
                                N * sizeof(float));
            assert_int_equal(r.bi->xPlace(r.be, &r.nv), SL_OK);
            run(&r, x, B, T);
            assert_memory_equal(v[0], trace(&r, 1, SL_TRACE_V_MEM, B, T),
                                N * sizeof(float));
        }
        rig_free(&r);
    }
    assert_memory_not_equal(v[0], v[2], N * sizeof(float)); /* other chip */
    assert_memory_not_equal(v[0], v[3], N * sizeof(float)); /* vs ideal */
    /* a few %: the activity stays close to the ideal chip's (the
     * membranes differ more, as spikes move by a step or two) */
    double d = 0, m = 0;
    for (size_t i = 0; i < N; i++) {
        d += fabs(v[0][i] - v[3][i]);
        m += fabs(v[3][i]);
    }
    print_message("fixed pattern: %zu spikes vs %zu ideal, mean |v - "
                  "v_ideal| / mean |v_ideal| = %.3f\n",
                  nz[0], nz[3], d / m);
    assert_true(fabs((double)nz[0] - (double)nz[3]) < 0.2 * (double)nz[3]);
    assert_true(d / m < 0.5);
    for (int k = 0; k < 4; k++)
        free(v[k]);
    free(x);
}

/* ------------------------------------------------- time and spike grid */

/* dt 4 ns < the 8 ns clock: an input of step 1 is stamped with cycle 1
 * and arrives in step 2, exactly as an input of step 2 on an unstamped
 * chip; output spikes merge onto even steps. time = "bio" with all times
 * 1000× longer is the same chip. With dt ≥ 8 ns nothing moves. */
static void test_spike_grid(void **state)
{
    (void)state;
    const size_t T = 400, NI = 2;
#define NET_GRID(dt, tm, ts, be)                                               \
    "network = { dt = " dt "; layers = ("                                      \
    "{ type = \"linear\"; n_out = 2; bias = false; init = \"zeros\"; },"       \
    "{ type = \"lif\"; tau_mem = " tm "; tau_syn = " ts "; v_th = 1.0; } );"   \
    "}; backend = { ideal = true; gain = 0.125; " be " };"
    rig g, u, bio;
    rig_make(&g, NET_GRID("4e-9", "4e-7", "2e-7", "spike_grid = 8e-9;"), NI, 1);
    rig_make(&u, NET_GRID("4e-9", "4e-7", "2e-7", ""), NI, 1);
    rig_make(&bio,
             NET_GRID("4e-6", "4e-4", "2e-4",
                      "spike_grid = 8e-9; time = \"bio\";"),
             NI, 1);
    rig *all[3] = {&g, &u, &bio};
    for (int k = 0; k < 3; k++) {
        float *w = weights(all[k], 0);
        w[0] = 40, w[1] = 63, w[2] = 50, w[3] = 20;
    }
    float *x = calloc(T * NI, sizeof *x), *xs = calloc(T * NI, sizeof *xs);
    for (size_t t = 1; t < T; t += 7) {
        x[t * NI + (t % 2)] = 1.0f;
        /* stamped: step t → cycle ceil(t/2) → step 2·ceil(t/2) */
        size_t to = 2 * ((t + 1) / 2);
        if (to < T)
            xs[to * NI + (t % 2)] += 1.0f;
    }
    sl_seq og = run(&g, x, 1, T);
    const float *vg = trace(&g, 1, SL_TRACE_V_MEM, 1, T);
    float *vg_copy = malloc(T * 2 * sizeof *vg_copy);
    memcpy(vg_copy, vg, T * 2 * sizeof *vg_copy);
    float *zg = malloc(T * 2 * sizeof *zg);
    memcpy(zg, og.data, T * 2 * sizeof *zg);
    sl_seq ou = run(&u, xs, 1, T);
    /* membrane: the unstamped chip fed with the stamped input */
    assert_memory_equal(vg_copy, trace(&u, 1, SL_TRACE_V_MEM, 1, T),
                        T * 2 * sizeof(float));
    /* spikes: merged onto the clock's steps */
    size_t n_out = 0;
    for (size_t t = 0; t < T; t++)
        for (size_t k = 0; k < 2; k++) {
            float want = 0;
            for (size_t s = 0; s < T; s++)
                if (2 * ((s + 1) / 2) == t)
                    want += ou.data[s * 2 + k];
            assert_float_equal(zg[t * 2 + k], want, 0);
            if (t % 2 == 1)
                assert_float_equal(zg[t * 2 + k], 0, 0);
            n_out += (size_t)want;
        }
    assert_true(n_out > 5);
    /* the same chip described in biological time */
    sl_seq ob = run(&bio, x, 1, T);
    assert_memory_equal(ob.data, zg, T * 2 * sizeof(float));
    for (size_t i = 0; i < 2 * T; i++)
        assert_float_equal(trace(&bio, 1, SL_TRACE_V_MEM, 1, T)[i],
                           vg_copy[i], 1e-5);
    free(vg_copy);
    free(zg);
    free(x);
    free(xs);
    rig_free(&g);
    rig_free(&u);
    rig_free(&bio);

    /* dt 0.1 us = 12.5 cycles: the grid changes nothing */
    rig a, b;
    rig_make(&a, NET_2L("", "ideal = true; gain = 0.0625; spike_grid = 8e-9;"),
             6, 1);
    rig_make(&b, NET_2L("", "ideal = true; gain = 0.0625;"), 6, 1);
    for (size_t l = 0; l < 4; l += 2)
        for (size_t i = 0; i < a.net.layers[l].params[0].n; i++)
            weights(&a, l)[i] = weights(&b, l)[i] = (float)(i % 50);
    float *y = spikes_in(1, 300, 6, 0.06, 2);
    sl_seq oa = run(&a, y, 1, 300);
    sl_seq ob2 = run(&b, y, 1, 300);
    assert_memory_equal(oa.data, ob2.data, 300 * 3 * sizeof(float));
    assert_memory_equal(trace(&a, 1, SL_TRACE_SPIKES, 1, 300),
                        trace(&b, 1, SL_TRACE_SPIKES, 1, 300),
                        300 * 5 * sizeof(float));
    free(y);
    rig_free(&a);
    rig_free(&b);
#undef NET_GRID
}

/* -------------------------------------------------------------- refractory */

static void test_refractory(void **state)
{
    (void)state;
    const size_t T = 300;
    rig r;
    rig_make(&r,
             "network = { dt = 1e-7; layers = ("
             "{ type = \"linear\"; n_out = 1; bias = false; init = \"zeros\"; },"
             "{ type = \"lif\"; tau_mem = 1e-5; tau_syn = 5e-6; v_th = 1.0; "
             "v_reset = -0.2; } ); };"
             "backend = { ideal = true; gain = 0.5; refractory = 5e-7; };",
             1, 1);
    weights(&r, 0)[0] = 2.0f;
    float *x = calloc(T, sizeof *x);
    for (size_t t = 0; t < T; t++)
        x[t] = 1.0f; /* a strong constant drive */
    sl_seq o = run(&r, x, 1, T);
    const float *vm = trace(&r, 1, SL_TRACE_V_MEM, 1, T);
    size_t spikes = 0, last = 0;
    for (size_t t = 0; t < T; t++) {
        if (o.data[t] == 0)
            continue;
        if (spikes > 0)
            assert_true(t - last >= 6); /* 5 held steps in between */
        for (size_t k = 1; k <= 5 && t + k < T; k++)
            assert_float_equal(vm[t + k], -0.2f, 0);
        if (t + 6 < T)
            assert_true(vm[t + 6] > -0.2f); /* released */
        spikes++;
        last = t;
    }
    assert_true(spikes > 10);
    free(x);
    rig_free(&r);
}

/* ----------------------------------------------------------- chip limits */

#define L(n, extra)                                                            \
    "{ type = \"linear\"; n_out = " #n "; bias = false; " extra " },"          \
    "{ type = \"lif\"; tau_mem = 1e-5; tau_syn = 5e-6; v_th = 1.0; }"

static void test_limits(void **state)
{
    (void)state;
    rig r;
    /* 512 neurons fit (both halves), one layer split over them */
    rig_make(&r, "network = { dt = 1e-7; layers = (" L(512, "") "); };", 4, 1);
    rig_free(&r);
    rig_make(&r, "network = { dt = 1e-7; layers = (" L(300, "") "); };", 128,
             1);
    rig_free(&r);
    /* neurons */
    expect_error("network = { dt = 1e-7; layers = (" L(513, "") "); };", 4,
                 SL_EFIT, "neurons");
    expect_error("network = { dt = 1e-7; layers = (" L(128, "") "," L(128, "")
                 "," L(128, "") "," L(128, "") "," L(1, "") "); };",
                 4, SL_EFIT, "neurons");
    /* fan-in */
    expect_error("network = { dt = 1e-7; layers = (" L(2, "") "); };", 129,
                 SL_EFIT, "fan-in");
    /* synapse rows: 200 + 200 rows fill both halves, 200 more do not fit */
    expect_error("network = { dt = 1e-7; layers = (" L(100, "") "," L(100, "")
                 "," L(1, "") "); };",
                 100, SL_EFIT, "synapse rows");
    /* structure */
    expect_error("network = { dt = 1e-7; layers = (" L(2, "") "); }; backend "
                 "= { gain = 2.0; };",
                 3, SL_EFIT, "gain");
    expect_error("network = { dt = 1e-7; layers = ({ type = \"linear\"; "
                 "n_out = 2; bias = true; }, { type = \"lif\"; }); };",
                 3, SL_EFIT, "bias");
    expect_error("network = { dt = 1e-7; layers = ({ type = \"linear\"; "
                 "n_out = 2; bias = false; }, { type = \"lif\"; recurrent = "
                 "true; }); };",
                 3, SL_EFIT, "recurrent");
    expect_error("network = { dt = 1e-7; layers = ({ type = \"linear\"; "
                 "n_out = 2; bias = false; }, { type = \"li\"; }, "
                 L(2, "") "); };",
                 3, SL_EFIT, "last layer");
    expect_error("network = { dt = 1e-7; layers = ({ type = \"linear\"; "
                 "n_out = 2; bias = false; }, { type = \"lif\"; }, "
                 "{ type = \"lif\"; }); };",
                 3, SL_EFIT, "linear");
    expect_error("network = { dt = 1e-7; layers = ({ type = \"linear\"; "
                 "n_out = 2; bias = false; }, { type = \"lif\"; v_th = 0.5; "
                 "v_leak = 0.5; v_reset = 0.0; }); };",
                 3, SL_EFIT, "v_leak");
    /* lif variants the chip's neuron does not have are refused, not run
     * as the plain LIF */
    expect_error("network = { dt = 1e-7; layers = ({ type = \"linear\"; "
                 "n_out = 2; bias = false; }, { type = \"lif\"; reset = "
                 "\"subtract\"; }); };",
                 3, SL_EFIT, "subtract");
    expect_error("network = { dt = 1e-7; layers = ({ type = \"linear\"; "
                 "n_out = 2; bias = false; }, { type = \"lif\"; synapse = "
                 "false; tau_mem = 1e-5; }); };",
                 3, SL_EFIT, "synapse = false");
    expect_error("network = { dt = 1e-7; layers = ({ type = \"linear\"; "
                 "n_out = 2; bias = false; }, { type = \"lif\"; t_ref = "
                 "2e-7; }); };",
                 3, SL_EFIT, "backend.refractory");
    /* the fixed pattern pushes some tau_mem below dt */
    expect_error("network = { dt = 1e-7; layers = ({ type = \"linear\"; "
                 "n_out = 100; bias = false; }, { type = \"lif\"; "
                 "tau_mem = 1.01e-7; tau_syn = 5e-6; }); }; backend = { "
                 "fp_tau_mem = 0.25; gain = 0.01; };",
                 3, SL_EFIT, "fp_tau_mem");
    /* settings */
    expect_error(NET_2L("", "time = \"wall\";"), 6, SL_ECONFIG, "time");
    expect_error(NET_2L("", "adc = \"sar\";"), 6, SL_ECONFIG, "adc");
    expect_error(NET_2L("", "weight_scale = 0.0;"), 6, SL_ECONFIG,
                 "weight_scale");
    expect_error(NET_2L("", "gain = -1.0;"), 6, SL_ECONFIG, "gain");
    expect_error(NET_2L("", "fp_gain = 0.5;"), 6, SL_ECONFIG, "fp_gain");
    expect_error(NET_2L("", "noise = -0.1;"), 6, SL_ECONFIG, "noise");
    expect_error(NET_2L("", "cadc_threshold = 300.0;"), 6, SL_ECONFIG,
                 "cadc_threshold");
    expect_error(NET_2L("", "madc_leak = 700.0;"), 6, SL_ECONFIG,
                 "madc_threshold");
    expect_error(NET_2L("", "spike_grid = -1.0;"), 6, SL_ECONFIG,
                 "spike_grid");
    expect_error(NET_2L("", "refractory = -1.0;"), 6, SL_ECONFIG,
                 "refractory");
    expect_error(NET_2L("", "li_range = 0.0;"), 6, SL_ECONFIG, "li_range");
}

/* Bad input and call order: errors, not crashes. */
static void test_run_errors(void **state)
{
    (void)state;
    rig r;
    rig_make(&r, NET_2L("", "ideal = true; gain = 0.0625;"), 6, 1);
    sl_observable o;
    assert_int_equal(r.bi->xTrace(r.be, 1, 0, &o), SL_ENOTFOUND); /* no run */
    float x[6 * 4] = {0};
    x[5] = 0.5f;
    sl_seq in = {x, 1, 4, 6, 1e-7}, out;
    assert_int_equal(r.bi->xRun(r.be, &r.nv, &in, &out), SL_EINVAL);
    assert_non_null(strstr(r.bctx.err.msg, "spike counts"));
    x[5] = -1.0f;
    assert_int_equal(r.bi->xRun(r.be, &r.nv, &in, &out), SL_EINVAL);
    x[5] = 2.0f; /* two events in one step are fine */
    assert_int_equal(r.bi->xRun(r.be, &r.nv, &in, &out), SL_OK);
    in.channels = 5;
    assert_int_equal(r.bi->xRun(r.be, &r.nv, &in, &out), SL_EINVAL);
    in.channels = 6;
    in.dt = 2e-7;
    assert_int_equal(r.bi->xRun(r.be, &r.nv, &in, &out), SL_EINVAL);
    in.dt = 1e-7;
    weights(&r, 0)[3] = NAN;
    assert_int_equal(r.bi->xRun(r.be, &r.nv, &in, &out), SL_ENUMERIC);
    weights(&r, 0)[3] = 0;
    /* traces: linear layers have none, li has no spikes */
    assert_int_equal(r.bi->xRun(r.be, &r.nv, &in, &out), SL_OK);
    assert_int_equal(r.bi->xTrace(r.be, 0, 0, &o), SL_ENOTFOUND);
    assert_int_equal(r.bi->xTrace(r.be, 2, 0, &o), SL_ENOTFOUND);
    assert_int_equal(r.bi->xTrace(r.be, 3, 1, &o), SL_ENOTFOUND);
    assert_int_equal(r.bi->xTrace(r.be, 1, 2, &o), SL_ENOTFOUND);
    assert_int_equal(r.bi->xTrace(r.be, 4, 0, &o), SL_ENOTFOUND);
    assert_int_equal(r.bi->xTrace(r.be, 1, 1, &o), SL_OK);
    assert_string_equal(o.name, SL_TRACE_SPIKES);
    assert_int_equal(r.bi->xTrace(r.be, 3, 0, &o), SL_OK);
    assert_string_equal(o.name, SL_TRACE_V_MEM);
    assert_ptr_equal(o.data, out.data); /* li output = its v_mem */
    /* buffers are kept between runs of the same shape */
    const float *before = out.data;
    assert_int_equal(r.bi->xRun(r.be, &r.nv, &in, &out), SL_OK);
    assert_ptr_equal(before, out.data);
    rig_free(&r);
}

/* ------------------------------------------ SuperSpike tutorial operating
 * point (specs/superspike.md §1, Q4): 25 Bernoulli(1e-3) inputs over 2000
 * steps of 0.1 us (steps >= 1801 silent), weights N(27, 1) in LSB, one lif
 * neuron tau_mem 10 us, tau_syn 5 us, v_leak = v_reset = 0, v_th = 1. The
 * spike count depends on the draw; over 200 draws the mean with the chosen
 * gain must lie in 3..4. Prints the measured figures. */
#define TUTORIAL_GAIN "0.024"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double tutorial_mean(const char *be, size_t draws, double *frac34,
                            double *us_per_run)
{
    const size_t T = 2000, NI = 25;
    char text[1024];
    snprintf(text, sizeof text,
             "network = { dt = 1e-7; layers = ({ type = \"linear\"; n_out = "
             "1; bias = false; init = \"zeros\"; }, { type = \"lif\"; tau_mem "
             "= 1e-5; tau_syn = 5e-6; v_th = 1.0; v_leak = 0.0; v_reset = "
             "0.0; }); }; backend = { %s };",
             be);
    rig r;
    rig_make(&r, text, NI, 3);
    float *x = calloc(T * NI, sizeof *x);
    sl_rng g;
    sl__rng_seed(&g, 2024, "tutorial");
    double total = 0, t_run = 0;
    size_t in34 = 0;
    for (size_t d = 0; d < draws; d++) {
        for (size_t j = 0; j < NI; j++)
            for (size_t t = 0; t < T; t++) {
                double u = sl__rng_uniform(&g);
                x[t * NI + j] =
                    (u < 1e-3 && !((double)t * 1e-7 > 200e-6 - 20e-6)) ? 1.0f
                                                                         : 0.0f;
            }
        float *w = weights(&r, 0);
        for (size_t j = 0; j < NI; j++)
            w[j] = (float)(27.0 + sl__rng_normal(&g));
        double t0 = now();
        sl_seq o = run(&r, x, 1, T);
        t_run += now() - t0;
        size_t c = count(o.data, T);
        total += (double)c;
        in34 += c >= 3 && c <= 4;
    }
    free(x);
    rig_free(&r);
    *frac34 = (double)in34 / (double)draws;
    *us_per_run = 1e6 * t_run / (double)draws;
    return total / (double)draws;
}

static void test_tutorial_gain(void **state)
{
    (void)state;
    double f_ideal, f_chip, us_ideal, us_chip;
    double m_ideal = tutorial_mean("ideal = true; gain = " TUTORIAL_GAIN ";",
                                   200, &f_ideal, &us_ideal);
    double m_chip =
        tutorial_mean("gain = " TUTORIAL_GAIN ";", 200, &f_chip, &us_chip);
    print_message("tutorial, gain " TUTORIAL_GAIN ": mean %.2f output spikes "
                  "(%.0f%% of draws with 3-4) ideal, %.2f (%.0f%%) with the "
                  "default imperfections, over 200 draws; xRun %.1f us "
                  "(ideal) / %.1f us (default) per 200 us trial\n",
                  m_ideal, 100 * f_ideal, m_chip, 100 * f_chip, us_ideal,
                  us_chip);
    assert_true(m_ideal >= 3.0 && m_ideal <= 4.0);
    assert_true(m_chip >= 3.0 && m_chip <= 4.0);
}

/* ---------------------------------------------------- SL_EXT_SUBSTITUTE */

typedef struct layer {
    sl__config *cfg;
    sl_ctx ctx;
    const sl_neuron_iface *iface;
    void *self;
    const sl_substitute_ext *ext;
} layer;

static void layer_make(layer *Ly, const char *comp, const char *text,
                       size_t n)
{
    sl__err err;
    memset(Ly, 0, sizeof *Ly);
    assert_int_equal(sl__config_load_string(text, "t", &Ly->cfg, &err), SL_OK);
    sl__ctx_init(&Ly->ctx, Ly->cfg, sl__config_root(Ly->cfg), 1, comp);
    const sl__entry *e = sl__registry_find(reg, SL_KIND_NEURON, comp);
    assert_non_null(e);
    sl_test_declare(&Ly->ctx, e);
    Ly->iface = e->comp->iface;
    sl_layer_info info = {sizeof info, n, 1e-3, NULL, 0};
    size_t n_out;
    int rc = Ly->iface->xCreate(&sl__host, &Ly->ctx, &info, &Ly->self, &n_out);
    if (rc != SL_OK)
        fail_msg("%s", Ly->ctx.err.msg);
    assert_non_null(Ly->iface->xExtension);
    Ly->ext = Ly->iface->xExtension(Ly->self, SL_EXT_SUBSTITUTE);
    assert_non_null(Ly->ext);
    assert_int_equal(Ly->ext->struct_size, sizeof *Ly->ext);
    assert_null(Ly->iface->xExtension(Ly->self, "sl.no.such"));
}

static void layer_free(layer *Ly)
{
    Ly->iface->xDestroy(Ly->self);
    sl__config_free(Ly->cfg);
}

/* Substituting the layer's own forward values changes nothing: output and
 * gradients bit-identical (lif with recurrence, and li). */
static void test_substitute_identity(void **state)
{
    (void)state;
    const size_t B = 2, T = 60, n = 4, N = B * T * n;
    const char *texts[2] = {"tau_mem = 0.01; tau_syn = 0.005; v_th = 0.3; "
                            "recurrent = true;",
                            "tau_mem = 0.01; tau_syn = 0.005;"};
    const char *comps[2] = {"lif", "li"};
    for (int c = 0; c < 2; c++) {
        layer Ly;
        layer_make(&Ly, comps[c], texts[c], n);
        float *x = malloc(N * sizeof *x), *y = malloc(N * sizeof *y),
              *y2 = malloc(N * sizeof *y2), *dy = malloc(N * sizeof *dy),
              *dx = malloc(N * sizeof *dx), *dx2 = malloc(N * sizeof *dx2),
              *vd = malloc(N * sizeof *vd);
        sl_rng g;
        sl__rng_seed(&g, 5, "x");
        for (size_t i = 0; i < N; i++) {
            x[i] = (float)(0.8 * sl__rng_uniform(&g));
            dy[i] = (float)sl__rng_normal(&g);
        }
        sl_param p[1];
        size_t np = 0;
        assert_int_equal(Ly.iface->xParams(Ly.self, p, 1, &np), SL_OK);
        float *g1 = NULL;
        assert_int_equal(Ly.iface->xPrepare(Ly.self, B, T,
                                            SL_MODE_TRAIN | SL_MODE_RECORD),
                         SL_OK);
        assert_int_equal(Ly.iface->xForward(Ly.self, x, y), SL_OK);
        if (c == 0) {
            sl_observable o;
            assert_int_equal(Ly.iface->xObservable(Ly.self, 2, &o), SL_OK);
            memcpy(vd, o.data, N * sizeof *vd);
            assert_true(count(y, N) > 10);
        } else {
            memcpy(vd, y, N * sizeof *vd);
        }
        if (np) {
            memset(p[0].grad, 0, p[0].n * sizeof(float));
        }
        assert_int_equal(Ly.iface->xBackward(Ly.self, dy, dx), SL_OK);
        if (np) {
            g1 = malloc(p[0].n * sizeof *g1);
            memcpy(g1, p[0].grad, p[0].n * sizeof *g1);
            memset(p[0].grad, 0, p[0].n * sizeof(float));
        }
        /* again, substituting its own values */
        float *z = malloc(N * sizeof *z);
        memcpy(z, y, N * sizeof *z);
        assert_int_equal(Ly.iface->xForward(Ly.self, x, y2), SL_OK);
        memset(y2, 0xff, N * sizeof *y2); /* must be rewritten */
        assert_int_equal(
            Ly.ext->xSubstitute(Ly.self, vd, c == 0 ? z : NULL, y2), SL_OK);
        assert_memory_equal(y, y2, N * sizeof *y);
        assert_int_equal(Ly.iface->xBackward(Ly.self, dy, dx2), SL_OK);
        assert_memory_equal(dx, dx2, N * sizeof *dx);
        if (np) {
            assert_memory_equal(g1, p[0].grad, p[0].n * sizeof *g1);
            free(g1);
        }
        free(z);
        free(x), free(y), free(y2), free(dy), free(dx), free(dx2), free(vd);
        layer_free(&Ly);
    }
}

/* Substituting other values: the gradient follows them, as computed by
 * hand. One lif neuron, T = 3, dt/tau_mem = a = 0.1, dt/tau_syn = 0.2,
 * v_th 1, v_reset 0, surrogate superspike α = 10: σ'(x) = 1/(10|x|+1)².
 * Backward (lif.c), with λV = λI = 0 after the last step, dout g_t:
 *   gz_t = g_t + λV·(v_reset − d_t)
 *   gd_t = λV·(1 − z_t) + gz_t·σ'(d_t − 1)
 *   λV ← gd_t·(1 − a),  λI ← gd_t·a + λI·(1 − 0.2),  din_t = λI (before)
 * Measured d = (0.5, 1.2, 0.9), z = (0, 0, 1) (z disagrees with Θ(d − 1):
 * the backward must use the measured z), dout = (1, 1, 1). */
static void test_substitute_by_hand(void **state)
{
    (void)state;
    layer Ly;
    layer_make(&Ly, "lif",
               "tau_mem = 0.01; tau_syn = 0.005; v_th = 1.0; alpha = 10.0;",
               1);
    float x[3] = {0.3f, 0.0f, 0.0f}, y[3], dx[3];
    const float d[3] = {0.5f, 1.2f, 0.9f}, z[3] = {0, 0, 1},
                dy[3] = {1, 1, 1};
    assert_int_equal(Ly.iface->xPrepare(Ly.self, 1, 3, SL_MODE_TRAIN), SL_OK);
    assert_int_equal(Ly.iface->xForward(Ly.self, x, y), SL_OK);
    assert_int_equal(Ly.ext->xSubstitute(Ly.self, d, z, y), SL_OK);
    assert_memory_equal(y, z, sizeof z);
    assert_int_equal(Ly.iface->xBackward(Ly.self, dy, dx), SL_OK);

    /* by hand, in double */
    double lv = 0, li = 0, want[3];
    const double a = 0.1, dsyn = 0.8;
    for (int t = 2; t >= 0; t--) {
        want[t] = li;
        double sd = 1.0 / pow(10.0 * fabs(d[t] - 1.0) + 1.0, 2);
        double gz = dy[t] + lv * (0.0 - d[t]);
        double gd = lv * (1.0 - z[t]) + gz * sd;
        lv = gd * (1.0 - a);
        li = gd * a + li * dsyn;
    }
    /* the numbers: step 2: gd = 1·σ'(−0.1) = 0.25, λV = 0.225, λI = 0.025;
     * step 1: gz = 1 + 0.225·(−1.2) = 0.73, gd = 0.225 + 0.73/9, ... */
    assert_float_equal(want[2], 0.0, 0);
    assert_float_equal(want[1], 0.025, 1e-7);
    for (int t = 0; t < 3; t++)
        assert_float_equal(dx[t], want[t], 1e-6);

    /* z = NULL takes Θ(d − 1) = (0, 1, 0): another gradient */
    assert_int_equal(Ly.iface->xForward(Ly.self, x, y), SL_OK);
    assert_int_equal(Ly.ext->xSubstitute(Ly.self, d, NULL, y), SL_OK);
    assert_float_equal(y[1], 1.0f, 0);
    assert_float_equal(y[2], 0.0f, 0);
    float dx2[3];
    assert_int_equal(Ly.iface->xBackward(Ly.self, dy, dx2), SL_OK);
    assert_true(fabsf(dx2[0] - dx[0]) > 1e-3f);

    /* a new forward returns to the simulated values: with this tiny input
     * nothing spikes and the gradient is the plain one */
    float dx3[3];
    assert_int_equal(Ly.iface->xForward(Ly.self, x, y), SL_OK);
    assert_int_equal(count(y, 3), 0);
    assert_int_equal(Ly.iface->xBackward(Ly.self, dy, dx3), SL_OK);
    assert_true(fabsf(dx3[0] - dx[0]) > 1e-3f);

    /* call order: without TRAIN mode xSubstitute is refused */
    assert_int_equal(Ly.iface->xPrepare(Ly.self, 1, 3, 0), SL_OK);
    assert_int_equal(Ly.iface->xForward(Ly.self, x, y), SL_OK);
    assert_int_equal(Ly.ext->xSubstitute(Ly.self, d, z, y), SL_EINVAL);
    layer_free(&Ly);

    /* li: the output becomes the measured membrane */
    layer_make(&Ly, "li", "tau_mem = 0.01; tau_syn = 0.005;", 1);
    assert_int_equal(Ly.iface->xPrepare(Ly.self, 1, 3, SL_MODE_TRAIN), SL_OK);
    assert_int_equal(Ly.iface->xForward(Ly.self, x, y), SL_OK);
    assert_int_equal(Ly.ext->xSubstitute(Ly.self, d, NULL, y), SL_OK);
    assert_memory_equal(y, d, sizeof d);
    layer_free(&Ly);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_descriptor),
        cmocka_unit_test(test_ideal_equals_lif),
        cmocka_unit_test(test_ideal_equals_lif_tolerance),
        cmocka_unit_test(test_weight_quantisation),
        cmocka_unit_test(test_exc_inh_rows),
        cmocka_unit_test(test_adc_cadc),
        cmocka_unit_test(test_adc_madc),
        cmocka_unit_test(test_noise_seeded),
        cmocka_unit_test(test_fixed_pattern),
        cmocka_unit_test(test_spike_grid),
        cmocka_unit_test(test_refractory),
        cmocka_unit_test(test_limits),
        cmocka_unit_test(test_run_errors),
        cmocka_unit_test(test_tutorial_gain),
        cmocka_unit_test(test_substitute_identity),
        cmocka_unit_test(test_substitute_by_hand),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
