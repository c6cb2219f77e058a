/*
 * plugins/softlif/softlif.c — component "softlif": the LIF neuron's rate
 * (differentiable, for training one time step per sample) and its
 * spiking twin with the same parameters (for evaluation over time):
 * "train with rates, run with spikes" (Hunsberger & Eliasmith 2015;
 * NengoDL; Neuromorphic Engineering ch. 13).
 *
 * Input current of neuron i from the layer input x (one channel each):
 *   J = gain·x + bias
 * with gain, bias given, or derived from Nengo's (max_rate m, intercept c)
 * as in specs/nef.md §2:
 *   z = 1 / (1 − exp((tau_ref − 1/m) / tau_rc)),
 *   gain = (1 − z) / (c − 1),  bias = 1 − gain·c
 * so that J = 1 (threshold) at x = c and the rate is m at x = 1.
 *
 * Rate (mode without SL_MODE_SPIKING), threshold 1:
 *   a(J) = amplitude / (tau_ref + tau_rc · log(1 + 1/ρ(J − 1)))
 *   ρ(u) = max(u, 0)                      smoothing λ = 0: the LIF rate
 *   ρ(u) = λ · log(1 + exp(u/λ))          λ > 0: soft-LIF
 * (a = 0 where ρ = 0). NengoDL's SoftLIFRate evaluates the same with the
 * same two guards, taken here too: for u/λ > 30, ρ = u (exp would
 * overflow; the difference is below float's resolution), and for
 * u/λ < −20, log(1 + 1/ρ) = −u/λ − log λ (ρ ≈ λ·e^{u/λ} ≪ 1; the
 * relative error is below 1e-8).
 * Backward, exact: with D = tau_ref + tau_rc·q, q = log(1 + 1/ρ),
 *   da/dJ = amplitude·tau_rc / D² · 1/(ρ(ρ + 1)) · dρ/du · gain-free
 *   dρ/du = 1/(1 + exp(−u/λ))  (λ > 0),  [u > 0]  (λ = 0),
 * and for u/λ < −20: da/dJ = amplitude·tau_rc / (D²·λ). The forward in
 * SL_MODE_TRAIN keeps da/dJ·gain per element (the tape), so the backward
 * is a product. Arithmetic in float, as every tensor.
 *
 * Spiking twin (SL_MODE_SPIKING): Nengo's LIF step (specs/nef.md §2,
 * nengo/neurons.py LIF.step), J held over each step of dt:
 *   ref ← ref − dt;  Δ = clamp(dt − ref, 0, dt)
 *   v ← v − (J − v)·expm1(−Δ/tau_rc)
 *   spike where v > 1: output amplitude/dt, t_s = dt + tau_rc·log1p(−(v −
 *   1)/(J − 1)), v ← 0, ref ← tau_ref + t_s;  elsewhere v ← max(v, 0)
 * Why Nengo's step and not lif.so's Euler LIF: the sub-step spike time
 * and the exact exponential relaxation make the spike count over time
 * equal the rate formula (the refractory period is not rounded to whole
 * steps), so the twin really is the neuron the rate network was trained
 * as — at dt = 1 ms and tau_ref = 2 ms a step-rounded refractory period
 * alone would shift a 100 Hz neuron's rate by up to 10 %; and it is the
 * neuron the chapter's NengoDL evaluation ran. Initial state per neuron,
 * as Nengo's LIF: v ~ U[0, 1) (v_init = "uniform", drawn once at
 * creation from the layer's stream "v_init", the same for every sequence
 * of a batch) or 0 ("zero"); ref = 0. The smoothing λ has no effect on
 * the twin: it smooths the training only.
 * Input synapse (setting `synapse` = τ_s > 0, twin only): the layer input
 * x goes through Nengo's Lowpass before the gain, discretised as Nengo
 * does (zero-order hold): x̄ ← a·x̄ + (1 − a)·x, a = exp(−dt/τ_s), x̄ = 0 at
 * the start of each sequence; J = gain·x̄ + bias. It is a filter on the
 * spikes of the layer before (linear, so filtering the weighted sum is
 * filtering each presynaptic train), as NengoDL's tutorial puts on every
 * connection. A constant input passes unchanged once settled, so the rate
 * network the twin stands for is the same; the default 0 is the chapter's
 * evaluation (no synapse between layers).
 */
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "spikelab/simulate.h"
#include "spikelab/spikelab.h"

/* ---- float exp and log the loops can vectorise.
 * glibc's log1pf and expf are calls the compiler cannot vectorise, and
 * they took half of a conv network's training time; these are written
 * branch-free (selects), so the element loops run 4 wide (SSE2).
 * Their accuracy (a few float ulp by construction) is checked through
 * what they compute: the rates against the formula in double, to 1e-6
 * relative over x in −1 .. 3, and the twin against Nengo's worked
 * example (tests/test_softlif.c). */

/* max and min as selects: fmaxf is a libm call unless NaNs are ruled
 * out, and a call stops vectorisation (no NaN reaches these) */
#define MAXF(a, b) ((a) > (b) ? (a) : (b))
#define MINF(a, b) ((a) < (b) ? (a) : (b))

static inline float bits_f(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

static inline uint32_t f_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* log x for a normal x > 0 (x = m·2^e, m in [√½, √2): log m = 2·atanh(s),
 * s = (m − 1)/(m + 1), |s| <= 0.1716, odd series to s⁹: error < 3e-9). */
static inline float sf_log(float x)
{
    uint32_t u = f_bits(x);
    int e = (int)(u >> 23) - 127;
    float m = bits_f((u & 0x007fffffu) | 0x3f800000u); /* [1, 2) */
    int big = m > 1.41421356f;
    m = big ? 0.5f * m : m;
    e += big;
    float f = m - 1.0f, sx = f / (2.0f + f), s2 = sx * sx;
    float p = 2.0f / 9.0f;
    p = p * s2 + 2.0f / 7.0f;
    p = p * s2 + 2.0f / 5.0f;
    p = p * s2 + 2.0f / 3.0f;
    float lm = 2.0f * sx + sx * s2 * p;
    float fe = (float)e;
    return fe * 0.693145752f + (lm + fe * 1.42860677e-6f);
}

/* log(1 + y) for y > −1: log(u)·y/(u − 1) with u = 1 + y corrects the
 * rounding of u (Goldberg's trick); y where u rounds to 1. */
static inline float sf_log1p(float y)
{
    float u = 1.0f + y, d = u - 1.0f;
    float r = sf_log(u) * (y / (d != 0.0f ? d : 1.0f));
    return d != 0.0f ? r : y;
}

/* e^x for x in [−87, 88]: x = n·ln2 + r, |r| <= ln2/2, Taylor to r⁷. */
static inline float sf_exp(float x)
{
    float t = x * 1.44269504f;
    float fn = (t + 12582912.0f) - 12582912.0f; /* round to nearest */
    float r = (x - fn * 0.693145752f) - fn * 1.42860677e-6f;
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    return p * bits_f((uint32_t)((int32_t)fn + 127) << 23);
}

/* e^x − 1 for x in [−87, 0]: the series where it cancels (|x| < 0.3). */
static inline float sf_expm1(float x)
{
    float p = 1.0f / 40320.0f;
    p = p * x + 1.0f / 5040.0f;
    p = p * x + 1.0f / 720.0f;
    p = p * x + 1.0f / 120.0f;
    p = p * x + 1.0f / 24.0f;
    p = p * x + 1.0f / 6.0f;
    p = p * x + 0.5f;
    float small = x + x * x * p;
    return x > -0.3f ? small : sf_exp(x) - 1.0f;
}

#define SOFTLIF_VERSION "0.1.0"

typedef struct softlif {
    const sl_host *host;
    sl_ctx *ctx; /* borrowed; valid until xDestroy */
    size_t n;
    double dt;
    float tau_rc, tau_ref, amplitude, lambda, gain, bias;
    float spike; /* amplitude/dt, rounded once from double */
    float *v0;   /* [n] initial membrane of the twin, owned */
    /* buffers of xPrepare, owned */
    size_t batch, time, cap; /* cap: floats of tape allocated */
    uint32_t mode;
    int prepared, have_forward;
    float *tape; /* [batch][time][n] da/dx (SL_MODE_TRAIN) */
    float *v, *ref; /* [n] twin state */
    float *xf;      /* [n] the input synapse's state (synapse > 0) */
    float syn_a;    /* exp(−dt/synapse); 0: no synapse */
    float noise;    /* train_noise: σ of the training noise, 0 = off */
    uint64_t nkey;  /* its key, from the layer's stream "train_noise" */
    float window;   /* train_window: W in s, 0 = off */
    uint64_t wkey;  /* its key, from the layer's stream "train_window" */
} softlif;

static void sl_destroy(void *self)
{
    softlif *s = self;
    if (!s)
        return;
    const sl_host *h = s->host;
    h->xFree(s->v0);
    h->xFree(s->tape);
    h->xFree(s->v);
    h->xFree(s->ref);
    h->xFree(s->xf);
    h->xFree(s);
}

static int get_pos(const sl_host *h, sl_ctx *ctx, const char *key, double def,
                   int allow_zero, double *out)
{
    int rc = h->xGetFloat(ctx, key, def, out);
    if (rc != SL_OK)
        return rc;
    if (!isfinite(*out) || *out < 0 || (!allow_zero && *out == 0))
        return h->xError(ctx, key, SL_ECONFIG, "%s = %g: must be %s", key,
                         *out, allow_zero ? ">= 0" : "> 0");
    return SL_OK;
}

static int sl_create(const sl_host *host, sl_ctx *ctx,
                     const sl_layer_info *info, void **self, size_t *n_out)
{
    if (!self || !n_out)
        return host->xError(ctx, NULL, SL_EINVAL, "xCreate: NULL output");
    *self = NULL;
    if (!info || !SL_HAS_FIELD(sl_layer_info, info, dt))
        return host->xError(ctx, NULL, SL_EINVAL,
                            "layer info missing or too old (struct_size)");
    if (info->n_in == 0)
        return host->xError(ctx, NULL, SL_ECONFIG, "the layer has no input "
                            "channels: put a layer with outputs before it");
    softlif *s = host->xAlloc(sizeof *s);
    if (!s)
        return host->xError(ctx, NULL, SL_ENOMEM, "cannot allocate a layer");
    memset(s, 0, sizeof *s);
    s->host = host;
    s->ctx = ctx;
    s->n = info->n_in;
    s->dt = info->dt;
    double tau_rc, tau_ref, amp, lam, gain, bias, max_rate, icpt;
    double noise = 0, window = 0, syn = 0;
    const char *vinit;
    int64_t n_set;
    int rc;
    if ((rc = get_pos(host, ctx, "tau_rc", 0.02, 0, &tau_rc)) ||
        (rc = get_pos(host, ctx, "tau_ref", 0.002, 1, &tau_ref)) ||
        (rc = get_pos(host, ctx, "amplitude", 1.0, 0, &amp)) ||
        (rc = get_pos(host, ctx, "smoothing", 0.0, 1, &lam)) ||
        (rc = get_pos(host, ctx, "train_noise", 0.0, 1, &noise)) ||
        (rc = get_pos(host, ctx, "train_window", 0.0, 1, &window)) ||
        (rc = get_pos(host, ctx, "synapse", 0.0, 1, &syn)) ||
        (rc = get_pos(host, ctx, "max_rate", 0.0, 1, &max_rate)) ||
        (rc = host->xGetFloat(ctx, "intercept", 0.0, &icpt)) ||
        (rc = host->xGetFloat(ctx, "gain", 1.0, &gain)) ||
        (rc = host->xGetFloat(ctx, "bias", 0.0, &bias)) ||
        (rc = host->xGetString(ctx, "v_init", "uniform", &vinit)) ||
        (rc = host->xGetInt(ctx, "n", 0, &n_set)))
        goto fail;
    if (n_set != 0 && (size_t)n_set != s->n) {
        rc = host->xError(ctx, "n", SL_ECONFIG, "n = %lld, but the layer "
                          "before gives %zu channels", (long long)n_set,
                          s->n);
        goto fail;
    }
    if (!(s->dt > 0) || !isfinite(s->dt)) {
        rc = host->xError(ctx, NULL, SL_ECONFIG, "network.dt = %g: must be "
                          "> 0", s->dt);
        goto fail;
    }
    if (max_rate > 0) {
        if (host->xHasKey(ctx, "gain") || host->xHasKey(ctx, "bias")) {
            rc = host->xError(ctx, "max_rate", SL_ECONFIG, "give either "
                              "max_rate and intercept or gain and bias, "
                              "not both");
            goto fail;
        }
        if (!(max_rate * tau_ref < 1)) {
            rc = host->xError(ctx, "max_rate", SL_ECONFIG, "max_rate = %g "
                              "Hz is not reachable with tau_ref = %g s "
                              "(need max_rate < 1/tau_ref = %g Hz)", max_rate,
                              tau_ref, 1 / tau_ref);
            goto fail;
        }
        if (!isfinite(icpt) || !(icpt < 1)) {
            rc = host->xError(ctx, "intercept", SL_ECONFIG, "intercept = %g:"
                              " must be < 1 (the input at which the rate "
                              "reaches max_rate)", icpt);
            goto fail;
        }
        double z = 1.0 / (1.0 - exp((tau_ref - 1.0 / max_rate) / tau_rc));
        gain = (1.0 - z) / (icpt - 1.0);
        bias = 1.0 - gain * icpt;
    } else if (host->xHasKey(ctx, "intercept")) {
        rc = host->xError(ctx, "intercept", SL_ECONFIG, "intercept needs "
                          "max_rate > 0");
        goto fail;
    }
    if (!isfinite(gain) || !isfinite(bias) || gain == 0) {
        rc = host->xError(ctx, "gain", SL_ECONFIG, "gain = %g, bias = %g: "
                          "need finite values and gain != 0", gain, bias);
        goto fail;
    }
    if (strcmp(vinit, "uniform") && strcmp(vinit, "zero")) {
        rc = host->xError(ctx, "v_init", SL_ECONFIG, "v_init = \"%s\": use "
                          "\"uniform\" or \"zero\"", vinit);
        goto fail;
    }
    s->tau_rc = (float)tau_rc;
    s->tau_ref = (float)tau_ref;
    s->amplitude = (float)amp;
    s->spike = (float)(amp / s->dt);
    s->lambda = (float)lam;
    s->gain = (float)gain;
    s->bias = (float)bias;
    s->v0 = host->xAlloc(s->n * sizeof *s->v0);
    s->v = host->xAlloc(s->n * sizeof *s->v);
    s->ref = host->xAlloc(s->n * sizeof *s->ref);
    s->xf = host->xAlloc(s->n * sizeof *s->xf);
    if (!s->v0 || !s->v || !s->ref || !s->xf) {
        rc = host->xError(ctx, NULL, SL_ENOMEM, "cannot allocate state");
        goto fail;
    }
    if (strcmp(vinit, "uniform") == 0) {
        sl_rng r;
        host->xRngDerive(ctx, "v_init", &r);
        for (size_t i = 0; i < s->n; i++)
            s->v0[i] = (float)host->xRngUniform(&r);
    } else {
        memset(s->v0, 0, s->n * sizeof *s->v0);
    }
    s->noise = (float)noise;
    {
        sl_rng r;
        host->xRngDerive(ctx, "train_noise", &r);
        s->nkey = host->xRngNext(&r);
        host->xRngDerive(ctx, "train_window", &r);
        s->wkey = host->xRngNext(&r);
    }
    s->window = (float)window;
    s->syn_a = syn > 0 ? (float)exp(-s->dt / syn) : 0.0f;
    *self = s;
    *n_out = s->n;
    return SL_OK;
fail:
    sl_destroy(s);
    return rc;
}

static int sl_params(void *self, sl_param *out, size_t cap, size_t *count)
{
    (void)self;
    (void)out;
    (void)cap;
    if (count)
        *count = 0;
    return SL_OK;
}

static int sl_prepare(void *self, size_t batch, size_t time, uint32_t mode)
{
    softlif *s = self;
    const sl_host *h = s->host;
    s->prepared = s->have_forward = 0;
    if (batch == 0 || time == 0)
        return h->xError(s->ctx, NULL, SL_EINVAL, "xPrepare: empty sequence "
                         "(batch %zu, time %zu)", batch, time);
    if ((mode & SL_MODE_SPIKING) && (mode & SL_MODE_TRAIN))
        return h->xError(s->ctx, NULL, SL_EINVAL, "the spiking twin has no "
                         "backward pass: train the rate neuron "
                         "(SL_MODE_TRAIN without SL_MODE_SPIKING)");
    if (mode & SL_MODE_TRAIN) {
        if (batch > SIZE_MAX / time / s->n / sizeof(float))
            return h->xError(s->ctx, NULL, SL_ENOMEM, "sequence too large");
        size_t need = batch * time * s->n;
        if (need > s->cap) {
            h->xFree(s->tape);
            s->tape = h->xAlloc(need * sizeof *s->tape);
            s->cap = s->tape ? need : 0;
            if (!s->tape)
                return h->xError(s->ctx, NULL, SL_ENOMEM, "out of memory for"
                                 " the tape (%zu floats)", need);
        }
    }
    s->batch = batch;
    s->time = time;
    s->mode = mode;
    s->prepared = 1;
    return SL_OK;
}

/* Rate of the elements x[0..m) into y, and da/dx into g when with_g
 * (a constant at each call below, so every loop is branch-free and
 * vectorised). A positive ρ below float's normal range (J − 1 < 1.2e-38,
 * hard rate) takes 1/ρ as FLT_MAX: a rate under 1 Hz either way. */
__attribute__((always_inline)) static inline void
rate_loop(const softlif *s, const float *restrict x,
                             float *restrict y, float *restrict g, size_t m,
                             const int with_g)
{
    const float gain = s->gain, bias = s->bias, amp = s->amplitude;
    const float trc = s->tau_rc, tref = s->tau_ref, lam = s->lambda;
    if (lam == 0.0f) {
        for (size_t k = 0; k < m; k++) {
            float u = gain * x[k] + bias - 1.0f;
            int on = u > 0.0f;
            float uu = on ? u : 1.0f;
            float den = tref + trc * sf_log1p(MINF(1.0f / uu, 3.4e38f));
            y[k] = on ? amp / den : 0.0f;
            if (with_g)
                g[k] = on ? amp * trc / (den * den * uu * (uu + 1.0f)) * gain
                          : 0.0f;
        }
        return;
    }
    const float loglam = logf(lam), inv = 1.0f / lam;
    for (size_t k = 0; k < m; k++) {
        float u = gain * x[k] + bias - 1.0f, js = u * inv;
        /* far below threshold: log(1 + 1/ρ) → −u/λ − log λ */
        int low = js < -20.0f;
        float e = sf_exp(MAXF(-fabsf(js), -80.0f)); /* (0, 1] */
        float sig = (js >= 0.0f ? 1.0f : e) / (1.0f + e);
        float rho = js > 30.0f ? u : lam * (MAXF(js, 0.0f) + sf_log1p(e));
        rho = low ? 1.0f : rho;
        float q = low ? -js - loglam : sf_log1p(1.0f / rho);
        float den = tref + trc * q;
        y[k] = amp / den;
        if (with_g) {
            float d = low ? amp * trc / (den * den * lam)
                          : amp * trc / (den * den * rho * (rho + 1.0f)) * sig;
            g[k] = d * gain;
        }
    }
}

static void rate_block(const softlif *s, const float *x, float *y, float *g,
                       size_t m)
{
    if (g)
        rate_loop(s, x, y, g, m, 1);
    else
        rate_loop(s, x, y, NULL, m, 0);
}

/* Training noise (train_noise = σ > 0; Hunsberger & Eliasmith 2015:
 * train the rate network with noise standing for the variability of the
 * spike trains it will be run with): y += σ·η per element, in
 * SL_MODE_TRAIN only; the backward is unchanged (η does not depend on
 * the parameters). η has mean 0 and variance 1: the Irwin-Hall sum of four
 * 16-bit uniforms, centred and scaled by sqrt(3) (close to a normal
 * within |η| <= 2·sqrt(3)). The four uniforms are the bits of one 64-bit
 * hash (splitmix64's finaliser) of the layer's key, the element's index
 * in the batch and the bits of its input x. So η is a pure function of
 * where the element is and what it receives: no generator state, hence
 * the same bits for any thread count and after `spikelab resume`, and
 * different every time the input changes (the weights before the layer
 * change with every step). No call in the loop; it stays scalar (a
 * 64-bit multiply has no SSE2/AVX2 vector form), a few ns per element
 * beside the convolutions. */
static inline uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static void add_noise(const softlif *s, const float *restrict x,
                      float *restrict y, size_t m)
{
    const uint64_t key = s->nkey;
    const float scale = s->noise * 1.7320508f / 65536.0f;
    for (size_t k = 0; k < m; k++) {
        uint32_t xb;
        memcpy(&xb, &x[k], sizeof xb);
        uint64_t h = mix64(key ^ mix64(((uint64_t)k << 32) | xb));
        float u = (float)(h & 0xffff) + (float)((h >> 16) & 0xffff) +
                  (float)((h >> 32) & 0xffff) + (float)(h >> 48);
        /* four uniforms on {0..65535}: mean 131070, sd 65536/sqrt(3) */
        y[k] += (u - 131070.0f) * scale;
    }
}

/* Counting window (train_window = W > 0 s): in SL_MODE_TRAIN the rate a
 * (Hz) becomes the count of spikes a regular train of rate a with a
 * uniformly random phase puts in a window of W seconds, over W:
 * y = amplitude·floor(a·W + u)/W, u uniform on [0, 1). Its mean is the
 * rate (floor(z + u) has mean z), its spread the quantisation the spiking
 * twin shows when its output is read over W (30 steps of 1 ms: 0..3
 * spikes at 100 Hz); with v_init = uniform the twin's phase is indeed
 * uniform per neuron. Straight-through: the backward is the rate's.
 * u comes from the same kind of stateless hash as the training noise
 * (the layer's key "train_window", the element's index and input bits),
 * so the bits do not depend on threads. Applied before train_noise when
 * both are set. Our choice where the chapter is silent (NengoDL trains
 * on the smooth rate alone); see experiments/fashion_mnist_convsnn.cfg
 * for what it buys. */
static void count_window(const softlif *s, const float *restrict x,
                         float *restrict y, size_t m)
{
    const uint64_t key = s->wkey;
    const float W = s->window, amp = s->amplitude;
    const float in = W / amp, outs = amp / W;
    for (size_t k = 0; k < m; k++) {
        uint32_t xb;
        memcpy(&xb, &x[k], sizeof xb);
        uint64_t h = mix64(key ^ mix64(((uint64_t)k << 32) | xb));
        float u = (float)(h >> 40) * (1.0f / 16777216.0f); /* [0, 1) */
        y[k] = floorf(y[k] * in + u) * outs;
    }
}

/* Nengo's LIF over one sequence [time][n] (state s->v, s->ref). */
static void spike_seq(softlif *s, const float *restrict in,
                      float *restrict out)
{
    const size_t n = s->n, T = s->time;
    const float dt = (float)s->dt, trc = s->tau_rc, tref = s->tau_ref;
    const float gain = s->gain, bias = s->bias, amp = s->spike;
    const float sa = s->syn_a, sb = 1.0f - s->syn_a;
    float *restrict v = s->v, *restrict ref = s->ref, *restrict xf = s->xf;
    memcpy(v, s->v0, n * sizeof *v);
    memset(ref, 0, n * sizeof *ref);
    memset(xf, 0, n * sizeof *xf);
    for (size_t t = 0; t < T; t++) {
        const float *restrict x = in + t * n;
        float *restrict y = out + t * n;
        for (size_t k = 0; k < n; k++) {
            /* sa = 0 (no synapse): xf = x exactly */
            xf[k] = sa * xf[k] + sb * x[k];
            float J = gain * xf[k] + bias;
            float r = ref[k] - dt;
            float delta = MINF(MAXF(dt - r, 0.0f), dt);
            float vk = v[k] - (J - v[k]) * sf_expm1(-delta / trc);
            int spike = vk > 1.0f;
            /* spikers have 1 < v <= J, so the argument is in (−1, 0] */
            float arg = MAXF(-(vk - 1.0f) / (J - 1.0f), -0.9999999f);
            float ts = dt + trc * sf_log1p(spike ? arg : 0.0f);
            y[k] = spike ? amp : 0.0f;
            v[k] = spike ? 0.0f : MAXF(vk, 0.0f);
            ref[k] = spike ? tref + ts : r;
        }
    }
}

static int sl_forward(void *self, const float *in, float *out)
{
    softlif *s = self;
    if (!s->prepared || !in || !out)
        return s->host->xError(s->ctx, NULL, SL_EINVAL, "xForward needs "
                               "xPrepare and non-NULL buffers");
    const size_t per = s->time * s->n;
    if (s->mode & SL_MODE_SPIKING) {
        for (size_t b = 0; b < s->batch; b++)
            spike_seq(s, in + b * per, out + b * per);
    } else {
        rate_block(s, in, out, (s->mode & SL_MODE_TRAIN) ? s->tape : NULL,
                   s->batch * per);
        if ((s->mode & SL_MODE_TRAIN) && s->window > 0)
            count_window(s, in, out, s->batch * per);
        if ((s->mode & SL_MODE_TRAIN) && s->noise > 0)
            add_noise(s, in, out, s->batch * per);
    }
    s->have_forward = 1;
    return SL_OK;
}

static int sl_backward(void *self, const float *dout, float *din)
{
    softlif *s = self;
    if (!s->have_forward || !(s->mode & SL_MODE_TRAIN) || !dout)
        return s->host->xError(s->ctx, NULL, SL_EINVAL, "xBackward needs a "
                               "forward in SL_MODE_TRAIN and dout");
    if (!din)
        return SL_OK; /* no parameters: nothing else to accumulate */
    const size_t m = s->batch * s->time * s->n;
    const float *restrict g = s->tape;
    for (size_t k = 0; k < m; k++)
        din[k] = dout[k] * g[k];
    return SL_OK;
}

static const sl_twin_ext softlif_twin = {
    sizeof(sl_twin_ext),
    "Nengo's LIF step (sub-step spike times) with the same tau_rc, "
    "tau_ref, amplitude, gain and bias"};

static const void *sl_extension(void *self, const char *name)
{
    (void)self;
    if (name && strcmp(name, SL_EXT_TWIN) == 0)
        return &softlif_twin;
    return NULL;
}

static const sl_neuron_iface softlif_iface = {
    .struct_size = sizeof(sl_neuron_iface),
    .flags = 0, /* rate output; the twin's spikes are amplitude/dt */
    .xCreate = sl_create,
    .xDestroy = sl_destroy,
    .xParams = sl_params,
    .xPrepare = sl_prepare,
    .xForward = sl_forward,
    .xBackward = sl_backward,
    .xObservable = NULL,
    .xExtension = sl_extension,
};

static const sl_setting softlif_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "tau_rc", "0.02", "s", SL_GT(0),
               "membrane time constant (Nengo's tau_rc)"),
    SL_SETTING(SL_SET_FLOAT, "tau_ref", "0.002", "s", SL_MIN(0),
               "refractory period"),
    SL_SETTING(SL_SET_FLOAT, "amplitude", "1.0", "1", SL_GT(0),
               "output scale: rate·amplitude; a spike is amplitude/dt"),
    SL_SETTING(SL_SET_FLOAT, "smoothing", "0.0", "1", SL_MIN(0),
               "λ of the soft-LIF rate (0: the exact LIF rate); training "
               "only, the spiking twin is the exact LIF"),
    SL_SETTING(SL_SET_FLOAT, "max_rate", "0.0", "Hz", SL_MIN(0),
               "> 0: derive gain and bias (Nengo) so that the rate is "
               "max_rate at input 1; 0: use gain and bias"),
    SL_SETTING(SL_SET_FLOAT, "intercept", "0.0", "1", SL_ANY,
               "with max_rate: the input at which the neuron starts "
               "firing"),
    SL_SETTING(SL_SET_FLOAT, "gain", "1.0", "1", SL_ANY,
               "input current J = gain·x + bias (threshold 1)"),
    SL_SETTING(SL_SET_FLOAT, "bias", "0.0", "1", SL_ANY,
               "input current J = gain·x + bias (threshold 1)"),
    SL_SETTING(SL_SET_FLOAT, "train_noise", "0.0", "1", SL_MIN(0),
               "σ of the noise added to each rate in training (units of the "
               "output, amplitude·Hz; 0: none; Hunsberger & Eliasmith)"),
    SL_SETTING(SL_SET_FLOAT, "train_window", "0.0", "s", SL_MIN(0),
               "> 0: in training, replace each rate by the spike count of "
               "a random-phase train over this window, over the window "
               "(stochastic rounding; the twin's counting noise); 0: off"),
    SL_SETTING(SL_SET_FLOAT, "synapse", "0.0", "s", SL_MIN(0),
               "spiking twin only: τ of a lowpass on the layer input (the "
               "spikes of the layer before); 0: none, the chapter's"),
    SL_SETTING(SL_SET_STRING, "v_init", "uniform", NULL,
               SL_CHOICES("uniform|zero"),
               "spiking twin's initial membrane: U[0,1) per neuron "
               "(Nengo's LIF) or 0"),
    SL_SETTING(SL_SET_INT, "n", "0", NULL, SL_MIN(0),
               "neurons; 0: as many as input channels (must match)"),
};

/* ---- softlif_curve: the tuning curves (simulate mode) ----------------
 * The rate a(I) of the same code as the layer (rate_block) over a sweep
 * of the input current, λ = 0 (LIF) and λ = smoothing (soft-LIF): step k
 * of an n-step run is I_k = i_min + (i_max − i_min)·k/(n − 1), so the
 * simulate section's duration/dt only sets the number of points. Probes
 * (Hz, or Hz·amplitude): current, rate_lif, rate_softlif; plotted by
 * `spikelab plot ID probe:rate_lif,rate_softlif@current`. */
typedef struct curve {
    const sl_host *host;
    sl_ctx *ctx;
    softlif hard, soft; /* neurons of one channel, gain 1, bias 0 */
    double i_min, i_max;
    uint64_t n, k;      /* points, next point */
} curve;

static int curve_create(const sl_host *host, sl_ctx *ctx, void **self)
{
    curve *c = host->xAlloc(sizeof *c);
    if (!c)
        return host->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    memset(c, 0, sizeof *c);
    c->host = host;
    c->ctx = ctx;
    double trc, tref, amp, lam;
    int rc;
    if ((rc = get_pos(host, ctx, "tau_rc", 0.005, 0, &trc)) ||
        (rc = get_pos(host, ctx, "tau_ref", 0.01, 1, &tref)) ||
        (rc = get_pos(host, ctx, "amplitude", 1.0, 0, &amp)) ||
        (rc = get_pos(host, ctx, "smoothing", 0.05, 0, &lam)) ||
        (rc = host->xGetFloat(ctx, "i_min", 0.0, &c->i_min)) ||
        (rc = host->xGetFloat(ctx, "i_max", 3.0, &c->i_max))) {
        host->xFree(c);
        return rc;
    }
    if (!isfinite(c->i_min) || !isfinite(c->i_max) || !(c->i_max > c->i_min)) {
        host->xFree(c);
        return host->xError(ctx, "i_max", SL_ECONFIG, "need finite i_min < "
                            "i_max (got %g, %g)", c->i_min, c->i_max);
    }
    softlif *n[2] = {&c->hard, &c->soft};
    for (int i = 0; i < 2; i++) {
        n[i]->tau_rc = (float)trc;
        n[i]->tau_ref = (float)tref;
        n[i]->amplitude = (float)amp;
        n[i]->gain = 1.0f;
        n[i]->bias = 0.0f;
    }
    c->soft.lambda = (float)lam;
    *self = c;
    return SL_OK;
}

static void curve_destroy(void *self)
{
    curve *c = self;
    if (c)
        c->host->xFree(c);
}

static int curve_place(void *self, const sl_network_view *net)
{
    (void)self;
    (void)net;
    return SL_OK;
}

static int curve_build(void *self, double dt, uint64_t n_steps, int64_t seed)
{
    curve *c = self;
    (void)dt;
    (void)seed;
    if (n_steps < 2)
        return c->host->xError(c->ctx, NULL, SL_ECONFIG, "a tuning curve "
                                "needs at least 2 points (simulate.duration "
                                "/ simulate.dt)");
    c->n = n_steps;
    c->k = 0;
    return SL_OK;
}

static size_t curve_probe_count(void *self)
{
    (void)self;
    return 3;
}

static int curve_probe(void *self, size_t i, sl_probe_info *out)
{
    static const char *const names[3] = {"current", "rate_lif",
                                         "rate_softlif"};
    curve *c = self;
    if (i >= 3 || !out)
        return c->host->xError(c->ctx, NULL, SL_EINVAL, "no probe %zu", i);
    out->name = names[i];
    out->dims = 1;
    return SL_OK;
}

static int curve_run(void *self, uint64_t n, double *const *out)
{
    curve *c = self;
    for (uint64_t j = 0; j < n; j++, c->k++) {
        float I = (float)(c->i_min + (c->i_max - c->i_min) * (double)c->k /
                                         (double)(c->n - 1));
        float a, b;
        rate_block(&c->hard, &I, &a, NULL, 1);
        rate_block(&c->soft, &I, &b, NULL, 1);
        if (out) {
            out[0][j] = I;
            out[1][j] = a;
            out[2][j] = b;
        }
    }
    return SL_OK;
}

static const sl_simulate_iface curve_sim = {
    sizeof(sl_simulate_iface), curve_build, curve_probe_count, curve_probe,
    curve_run, NULL,
};

static const void *curve_extension(void *self, const char *name)
{
    (void)self;
    return name && !strcmp(name, SL_EXT_SIMULATE) ? &curve_sim : NULL;
}

static const sl_backend_iface curve_iface = {
    .struct_size = sizeof(sl_backend_iface),
    .flags = 0,
    .xCreate = curve_create,
    .xDestroy = curve_destroy,
    .xPlace = curve_place,
    .xExtension = curve_extension,
};

static const sl_setting curve_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "tau_rc", "0.005", "s", SL_GT(0),
               "membrane time constant (the chapter's R·C = 1000 × 5e-6)"),
    SL_SETTING(SL_SET_FLOAT, "tau_ref", "0.01", "s", SL_MIN(0),
               "refractory period"),
    SL_SETTING(SL_SET_FLOAT, "amplitude", "1.0", "1", SL_GT(0),
               "output scale (1: rates in Hz)"),
    SL_SETTING(SL_SET_FLOAT, "smoothing", "0.05", "1", SL_MIN(0),
               "λ of the soft-LIF curve"),
    SL_SETTING(SL_SET_FLOAT, "i_min", "0.0", "1", SL_ANY,
               "first input current of the sweep (threshold 1)"),
    SL_SETTING(SL_SET_FLOAT, "i_max", "3.0", "1", SL_ANY,
               "last input current of the sweep"),
};

static const sl_component softlif_components[] = {
    SL_COMPONENT(SL_KIND_NEURON, "softlif",
                 "LIF rate neuron (soft-LIF smoothing) for training, with "
                 "Nengo's spiking LIF as its twin for evaluation",
                 &softlif_iface, softlif_settings),
    SL_COMPONENT(SL_KIND_BACKEND, "softlif_curve",
                 "the LIF and soft-LIF tuning curves a(I) over a sweep of "
                 "the input current (simulate mode)",
                 &curve_iface, curve_settings),
};

static const sl_plugin_desc softlif_desc = SL_PLUGIN_DESC(
    "softlif", SOFTLIF_VERSION,
    "train with rates, run with spikes: softlif, softlif_curve",
    softlif_components);

/* The plugin's only exported symbol: returns the static descriptor. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    (void)host;
    return &softlif_desc;
}
