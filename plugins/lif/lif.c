/*
 * plugins/lif/lif.c — component "lif": time-discrete current-based leaky
 * integrate-and-fire neurons with exponential synapses (jaxsnn.discrete /
 * Norse lif_step), with BPTT through a surrogate gradient.
 *
 * Model (specs/lif.md §1-2). Per neuron, state V (membrane) and I
 * (synaptic current, in voltage units); x[n] the summed input of step n
 * (channel i of the input sequence: the preceding linear layer's output)
 * plus, with `recurrent = true`, Σ_j w_rec[j][i]·z_j[n] where z[n] is
 * this layer's own output of the previous step (0 before the first step).
 * Forward Euler, in this order (the order matters: an input of step n
 * reaches I at n+1 and V first at n+2):
 *   1. v_dec  = V[n] + (dt/tau_mem)·((v_leak − V[n]) + I[n])  old current
 *   2. i_dec  = I[n] − (dt/tau_syn)·I[n]
 *   3. z      = Θ(v_dec − v_th)          strict: Θ(0) = 0 (Norse's choice,
 *               spec open question 2; jaxsnn's 0.5 at equality would make
 *               both the spike and the reset half)
 *   4. V[n+1] = (1 − z)·v_dec + z·v_reset
 *   5. I[n+1] = i_dec + x[n]
 * Output of step n: z. V[0] = v_leak, I[0] = 0.
 *
 * Recurrence choice: the recurrent input joins x[n] (so it enters I, like
 * any synaptic input, after the decay) and uses the previous step's
 * output, which keeps the step causal and the weights a plain [pre][post]
 * matrix, like a feed-forward projection from the layer onto itself.
 *
 * Settings (keys of the layer's group; seconds and voltage units):
 *   tau_mem 1e-2, tau_syn 5e-3, v_th 0.6, v_leak 0, v_reset 0   (jaxsnn)
 *   n             optional, must equal the input channels
 *   recurrent     false; true adds param "w_rec" [n][n] (pre, post),
 *                 init uniform ±w_rec_scale·sqrt(6/n) ("Kaiming uniform",
 *                 w_rec_scale 1.0) from the stream "w_rec"
 *   w_rec_diag    true; false forbids autapses: the diagonal starts at 0
 *                 and gets no gradient, so gradient training keeps it 0
 *                 (as Norse's autapses = False)
 *   surrogate     "superspike" (default) | "tanh" | "triangle" |
 *                 "logistic" | "straight_through"
 *   alpha         100: surrogate sharpness (Norse's SuperSpike default;
 *                 jaxsnn uses 80, hxtorch 50)
 *   forward       "step" (default) | "smooth": replace Θ(x) by σ(αx) in
 *                 the forward pass too, so the backward is the exact
 *                 derivative (needs surrogate "logistic", the default
 *                 then) — for finite-difference checks
 *   detach_reset  false: true drops the gradient through the reset term
 *                 (treats z in step 4 as a constant, as Norse can)
 * Surrogates, x = v_dec − v_th:
 *   superspike 1/(α|x|+1)²; tanh α(1−tanh²(αx)); triangle α·max(0,1−α|x|);
 *   logistic α·σ(αx)(1−σ(αx)); straight_through 1.
 *
 * Backward: exact reverse of the five steps above over the whole sequence
 * (reset term and recurrence included), with dΘ/dx replaced by the
 * surrogate. The tape is v_dec of every step (z is recomputed from it
 * bit-identically). Observables (SL_MODE_RECORD), unit "1":
 *   v_mem  V[n+1] after the reset, i_syn  I[n+1], v_dec  pre-reset V.
 * The forward uses w_rec as given (a diagonal written by someone else is
 * used); an instance works on its own scratch, so one call at a time.
 * Per-neuron loops are plain maps and vectorise (gcc: -O3 or
 * -fvect-cost-model=dynamic), except those calling expf/tanhf (smooth
 * forward, logistic and tanh surrogates) without a vector libm.
 *
 * Hardware in the loop (extension SL_EXT_SUBSTITUTE, spikelab/hil.h):
 * after a forward in SL_MODE_TRAIN, xSubstitute(v, z, out) replaces the
 * tape by the measured pre-reset membrane v (v_dec) and the output by the
 * measured spikes z. The spikes are kept in a second tape (allocated by
 * xPrepare in SL_MODE_TRAIN) because after an ADC they may disagree with
 * Θ(v − v_th); the next xBackward evaluates the surrogate at the measured
 * v and uses the measured z in the reset term (1 − z, λV·(v_reset − v))
 * and the recurrence. z = NULL takes z = Θ(v − v_th). The next xForward or
 * xPrepare returns to the simulated values. The record observables v_mem
 * and i_syn keep the simulated values; v_dec shows the substituted tape.
 */
#include <math.h>
#include <string.h>

#include "common.h"

enum { SG_SUPERSPIKE, SG_TANH, SG_TRIANGLE, SG_LOGISTIC, SG_STRAIGHT };

static const char *const sg_names[] = {"superspike", "tanh", "triangle",
                                       "logistic", "straight_through"};
#define SG_COUNT (sizeof sg_names / sizeof sg_names[0])

typedef struct lif_layer {
    lif__base base; /* first: helpers take &self->base */
    float v_th, v_reset, alpha;
    int surrogate; /* SG_* */
    int smooth;    /* forward = "smooth" */
    int detach_reset;
    int recurrent;
    int w_rec_diag; /* 0: no autapses, the diagonal stays 0 in training */

    /* recurrent weights [pre][post] and their gradient, owned; NULL when
     * not recurrent */
    float *w_rec, *g_rec;

    /* tape: v_dec of every step [batch][time][n]; owned, kept when
     * SL_MODE_TRAIN or SL_MODE_RECORD (it is the "v_dec" observable) */
    float *tape_d;
    size_t cap_d;
    /* measured spikes handed to xSubstitute [batch][time][n]; owned,
     * allocated for SL_MODE_TRAIN; used by the backward when sub_z */
    float *tape_z;
    size_t cap_z;
    int sub_z;

    /* per-neuron scratch, one owned block of 9n floats cut in pieces */
    float *scratch;
    float *v, *i;            /* state V, I during forward */
    float *lam_v, *lam_i;    /* adjoints dL/dV[n+1], dL/dI[n+1] */
    float *rec_a, *rec_b;    /* dL/dz from the recurrence, this/prev step */
    float *sd;               /* surrogate derivative of this step */
    float *z_a, *z_b;        /* z recomputed in backward (this, previous) */
} lif_layer;

/* ---------------------------------------------------------------- kernels */

static inline float sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* z of one step from v_dec; the same function in forward and backward so
 * that the recomputed z is bit-identical to the forward's. */
static void lif_threshold(const lif_layer *s, const float *restrict d,
                          float *restrict z)
{
    const size_t n = s->base.n;
    const float th = s->v_th, a = s->alpha;
    if (s->smooth) {
        for (size_t k = 0; k < n; k++)
            z[k] = sigmoidf(a * (d[k] - th));
    } else {
        for (size_t k = 0; k < n; k++)
            z[k] = d[k] > th ? 1.0f : 0.0f;
    }
}

/* z of the step at offset off for the backward: the measured spikes after
 * xSubstitute, else recomputed from the tape into buf. */
static const float *lif_z(const lif_layer *s, size_t off, float *buf)
{
    if (s->sub_z)
        return s->tape_z + off;
    lif_threshold(s, s->tape_d + off, buf);
    return buf;
}

/* dz/d(v_dec) for one step into sd; the switch is outside the loops so
 * each loop is a plain vectorisable map. */
static void lif_surrogate(const lif_layer *s, const float *restrict d,
                          float *restrict sd)
{
    const size_t n = s->base.n;
    const float th = s->v_th, a = s->alpha;
    switch (s->surrogate) {
    case SG_SUPERSPIKE:
        for (size_t k = 0; k < n; k++) {
            float q = a * fabsf(d[k] - th) + 1.0f;
            sd[k] = 1.0f / (q * q);
        }
        break;
    case SG_TANH:
        for (size_t k = 0; k < n; k++) {
            float t = tanhf(a * (d[k] - th));
            sd[k] = a * (1.0f - t * t);
        }
        break;
    case SG_TRIANGLE:
        for (size_t k = 0; k < n; k++) {
            float r = 1.0f - a * fabsf(d[k] - th);
            sd[k] = a * (r > 0.0f ? r : 0.0f);
        }
        break;
    case SG_LOGISTIC:
        for (size_t k = 0; k < n; k++) {
            float g = sigmoidf(a * (d[k] - th));
            sd[k] = a * g * (1.0f - g);
        }
        break;
    default: /* SG_STRAIGHT */
        for (size_t k = 0; k < n; k++)
            sd[k] = 1.0f;
        break;
    }
}

/* One step of the adjoint sweep (see lif_backward), a map over neurons;
 * every array distinct, hence restrict, so it vectorises. */
static void lif_adjoint_step(size_t n, const float *restrict g,
                             const float *restrict gz_rec,
                             const float *restrict d, const float *restrict z,
                             const float *restrict sd, float v_reset,
                             float reset_on, float a_mem, float d_mem,
                             float d_syn, float *restrict lv,
                             float *restrict li)
{
    for (size_t k = 0; k < n; k++) {
        float gz = g[k] + gz_rec[k] + reset_on * lv[k] * (v_reset - d[k]);
        float gd = lv[k] * (1.0f - z[k]) + gz * sd[k];
        lv[k] = gd * d_mem;
        li[k] = gd * a_mem + li[k] * d_syn;
    }
}

/* ------------------------------------------------------------- lifecycle */

static void lif_destroy(void *self_)
{
    lif_layer *s = self_;
    if (s == NULL)
        return;
    const sl_host *h = s->base.host;
    lif__base_free(&s->base);
    h->xFree(s->w_rec);
    h->xFree(s->g_rec);
    h->xFree(s->tape_d);
    h->xFree(s->tape_z);
    h->xFree(s->scratch);
    h->xFree(s);
}

/* Read and validate everything but the base settings. */
static int lif_settings(lif_layer *s)
{
    const sl_host *h = s->base.host;
    sl_ctx *ctx = s->base.ctx;
    double v_th, v_reset, alpha;
    const char *fwd, *sg;
    int rc;

    if ((rc = h->xGetFloat(ctx, "v_th", 0.6, &v_th)) < 0 ||
        (rc = h->xGetFloat(ctx, "v_reset", 0.0, &v_reset)) < 0 ||
        (rc = h->xGetFloat(ctx, "alpha", 100.0, &alpha)) < 0 ||
        (rc = h->xGetString(ctx, "forward", "step", &fwd)) < 0 ||
        (rc = h->xGetBool(ctx, "detach_reset", 0, &s->detach_reset)) < 0 ||
        (rc = h->xGetBool(ctx, "recurrent", 0, &s->recurrent)) < 0)
        return rc;

    if (strcmp(fwd, "step") == 0)
        s->smooth = 0;
    else if (strcmp(fwd, "smooth") == 0)
        s->smooth = 1;
    else
        return h->xError(ctx, "forward", SL_ECONFIG,
                         "forward = \"%s\" is not known: use \"step\" "
                         "(Heaviside spikes) or \"smooth\" (logistic, for "
                         "gradient checks)",
                         fwd);

    /* the smooth forward is only differentiated exactly by its own
     * derivative, so it changes the default surrogate */
    if ((rc = h->xGetString(ctx, "surrogate",
                            s->smooth ? "logistic" : "superspike", &sg)) < 0)
        return rc;
    s->surrogate = -1;
    for (size_t k = 0; k < SG_COUNT; k++)
        if (strcmp(sg, sg_names[k]) == 0)
            s->surrogate = (int)k;
    if (s->surrogate < 0)
        return h->xError(ctx, "surrogate", SL_ECONFIG,
                         "surrogate = \"%s\" is not known: use one of "
                         "\"superspike\", \"tanh\", \"triangle\", "
                         "\"logistic\", \"straight_through\"",
                         sg);
    if (s->smooth && s->surrogate != SG_LOGISTIC)
        return h->xError(ctx, "surrogate", SL_ECONFIG,
                         "forward = \"smooth\" needs surrogate = "
                         "\"logistic\" (its exact derivative); got \"%s\"",
                         sg);

    if (!isfinite(v_th) || !isfinite(v_reset))
        return h->xError(ctx, isfinite(v_th) ? "v_reset" : "v_th",
                         SL_ECONFIG, "v_th and v_reset must be finite");
    if (!(v_th > v_reset))
        return h->xError(ctx, "v_th", SL_ECONFIG,
                         "v_th = %g must be above v_reset = %g, or a spike "
                         "would not lower the membrane",
                         v_th, v_reset);
    if (!(alpha > 0) || !isfinite(alpha))
        return h->xError(ctx, "alpha", SL_ECONFIG,
                         "alpha must be a positive number (got %g), e.g. "
                         "alpha = 100",
                         alpha);
    s->v_th = (float)v_th;
    s->v_reset = (float)v_reset;
    s->alpha = (float)alpha;
    return SL_OK;
}

/* Recurrent weights: read their settings (refused without recurrent, where
 * they would silently do nothing) and draw the initial values. */
static int lif_init_w_rec(lif_layer *s)
{
    const sl_host *h = s->base.host;
    sl_ctx *ctx = s->base.ctx;
    const size_t n = s->base.n;
    double scale;
    int rc;

    if (!s->recurrent) {
        static const char *const keys[] = {"w_rec_scale", "w_rec_diag"};
        for (size_t k = 0; k < 2; k++)
            if (h->xHasKey(ctx, keys[k]))
                return h->xError(ctx, keys[k], SL_ECONFIG,
                                 "%s only applies with recurrent = true: "
                                 "set recurrent = true or remove %s",
                                 keys[k], keys[k]);
        return SL_OK;
    }
    if ((rc = h->xGetFloat(ctx, "w_rec_scale", 1.0, &scale)) < 0 ||
        (rc = h->xGetBool(ctx, "w_rec_diag", 1, &s->w_rec_diag)) < 0)
        return rc;
    if (!(scale >= 0) || !isfinite(scale))
        return h->xError(ctx, "w_rec_scale", SL_ECONFIG,
                         "w_rec_scale must be >= 0 (got %g)", scale);
    if (n > SIZE_MAX / sizeof(float) / n)
        return h->xError(ctx, NULL, SL_ENOMEM, "w_rec of %zu x %zu is too "
                         "large", n, n);

    s->w_rec = h->xAlloc(n * n * sizeof(float));
    s->g_rec = h->xAlloc(n * n * sizeof(float));
    if (s->w_rec == NULL || s->g_rec == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM,
                         "cannot allocate w_rec (%zu x %zu)", n, n);

    /* Kaiming/He uniform bound for fan-in n: variance 2/n */
    double bound = scale * sqrt(6.0 / (double)n);
    sl_rng rng;
    h->xRngDerive(ctx, "w_rec", &rng);
    for (size_t j = 0; j < n; j++)
        for (size_t k = 0; k < n; k++) {
            double u = h->xRngUniform(&rng);
            s->w_rec[j * n + k] =
                (s->w_rec_diag || j != k) ? (float)((2.0 * u - 1.0) * bound) : 0.0f;
        }
    return SL_OK;
}

static int lif_create(const sl_host *host, sl_ctx *ctx,
                      const sl_layer_info *info, void **self, size_t *n_out)
{
    int rc;
    if (self == NULL || n_out == NULL)
        return host->xError(ctx, NULL, SL_EINVAL, "xCreate: NULL output");
    *self = NULL;
    lif_layer *s = host->xAlloc(sizeof *s);
    if (s == NULL)
        return host->xError(ctx, NULL, SL_ENOMEM, "cannot allocate a layer");
    if ((rc = lif__base_init(&s->base, host, ctx, info)) < 0 ||
        (rc = lif_settings(s)) < 0 || (rc = lif_init_w_rec(s)) < 0)
        goto fail;

    const size_t n = s->base.n;
    if (n > SIZE_MAX / sizeof(float) / 9) {
        rc = host->xError(ctx, NULL, SL_ENOMEM, "too many neurons (%zu)", n);
        goto fail;
    }
    s->scratch = host->xAlloc(9 * n * sizeof(float));
    if (s->scratch == NULL) {
        rc = host->xError(ctx, NULL, SL_ENOMEM, "cannot allocate state");
        goto fail;
    }
    float *p = s->scratch;
    s->v = p, p += n;
    s->i = p, p += n;
    s->lam_v = p, p += n;
    s->lam_i = p, p += n;
    s->rec_a = p, p += n;
    s->rec_b = p, p += n;
    s->sd = p, p += n;
    s->z_a = p, p += n;
    s->z_b = p;

    *self = s;
    *n_out = n;
    return SL_OK;
fail:
    lif_destroy(s);
    return rc;
}

static int lif_params(void *self_, sl_param *out, size_t cap, size_t *count)
{
    lif_layer *s = self_;
    const size_t n = s->base.n;
    if (count == NULL || (cap > 0 && out == NULL))
        return s->base.host->xError(s->base.ctx, NULL, SL_EINVAL,
                                    "xParams: NULL output");
    *count = s->recurrent ? 1 : 0;
    if (s->recurrent && cap >= 1) {
        memset(&out[0], 0, sizeof out[0]);
        out[0].struct_size = sizeof out[0];
        out[0].flags = SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT;
        out[0].name = "w_rec";
        out[0].data = s->w_rec;
        out[0].grad = s->g_rec;
        out[0].n = n * n;
        out[0].ndim = 2;
        out[0].shape[0] = n; /* pre */
        out[0].shape[1] = n; /* post */
    }
    return SL_OK;
}

static int lif_prepare(void *self_, size_t batch, size_t time, uint32_t mode)
{
    lif_layer *s = self_;
    size_t elems;
    int rc = lif__base_prepare(&s->base, batch, time, mode, &elems);
    if (rc < 0)
        return rc;
    s->sub_z = 0;
    if (mode & (SL_MODE_TRAIN | SL_MODE_RECORD)) {
        rc = lif__ensure(&s->base, &s->tape_d, &s->cap_d, elems, "v_dec");
        if (rc == SL_OK && (mode & SL_MODE_TRAIN))
            rc = lif__ensure(&s->base, &s->tape_z, &s->cap_z, elems,
                             "measured spikes");
        if (rc < 0) {
            s->base.prepared = 0;
            return rc;
        }
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- forward */

static int lif_forward(void *self_, const float *in, float *out)
{
    lif_layer *s = self_;
    lif__base *b = &s->base;
    int rc = lif__check_forward(b, in, out);
    if (rc < 0)
        return rc;

    const size_t n = b->n, T = b->time;
    const float a_mem = b->a_mem, d_syn = b->d_syn, v_leak = b->v_leak;
    const float v_reset = s->v_reset;
    const int keep_d = (b->mode & (SL_MODE_TRAIN | SL_MODE_RECORD)) != 0;
    s->sub_z = 0;
    const int record = (b->mode & SL_MODE_RECORD) != 0;
    float *restrict v = s->v, *restrict cur = s->i;

    for (size_t bi = 0; bi < b->batch; bi++) {
        for (size_t k = 0; k < n; k++) {
            v[k] = v_leak;
            cur[k] = 0.0f;
        }
        for (size_t t = 0; t < T; t++) {
            const size_t off = (bi * T + t) * n;
            const float *restrict x = in + off;
            float *restrict z = out + off;
            /* without a tape, v_dec lives in sd (unused in forward) */
            float *restrict d = keep_d ? s->tape_d + off : s->sd;

            /* 1. integrate the membrane with the old current */
            for (size_t k = 0; k < n; k++)
                d[k] = v[k] + a_mem * ((v_leak - v[k]) + cur[k]);
            /* 3. threshold */
            lif_threshold(s, d, z);
            /* 4. reset; 2.+5. synaptic decay then input */
            for (size_t k = 0; k < n; k++) {
                v[k] = (1.0f - z[k]) * d[k] + z[k] * v_reset;
                cur[k] = d_syn * cur[k] + x[k];
            }
            /* recurrent part of x[n]: last step's output through w_rec,
             * row by row so silent neurons cost nothing */
            if (s->recurrent && t > 0) {
                const float *zp = z - n;
                for (size_t j = 0; j < n; j++) {
                    if (zp[j] == 0.0f)
                        continue;
                    const float zj = zp[j];
                    const float *restrict w = s->w_rec + j * n;
                    for (size_t k = 0; k < n; k++)
                        cur[k] += zj * w[k];
                }
            }
            if (record) {
                memcpy(b->rec_v + off, v, n * sizeof(float));
                memcpy(b->rec_i + off, cur, n * sizeof(float));
            }
        }
        if ((rc = lif__check_finite(b, v, cur)) < 0)
            return rc;
    }
    b->have_forward = 1;
    return SL_OK;
}

/* --------------------------------------------------------------- backward */

/*
 * Adjoints λV = dL/dV[n+1], λI = dL/dI[n+1], swept from the last step
 * (both 0 after it) to the first. For step n with d = v_dec, z, x:
 *   dL/dx[n]   = λI                       → din, and through the
 *                recurrence dL/dw_rec[j][i] += z_j[n−1]·λI_i,
 *                dL/dz_j[n−1] += Σ_i w_rec[j][i]·λI_i
 *   gz  = dout + (recurrent dL/dz) + λV·(v_reset − d)   [reset term]
 *   gd  = λV·(1 − z) + gz·σ'(d − v_th)                   [σ' surrogate]
 *   λV ← gd·(1 − dt/tau_mem)
 *   λI ← gd·(dt/tau_mem) + λI·(1 − dt/tau_syn)
 */
static int lif_backward(void *self_, const float *dout, float *din)
{
    lif_layer *s = self_;
    lif__base *b = &s->base;
    int rc = lif__check_backward(b, dout);
    if (rc < 0)
        return rc;

    const size_t n = b->n, T = b->time;
    const float a_mem = b->a_mem, d_mem = 1.0f - b->a_mem, d_syn = b->d_syn;
    const float v_reset = s->v_reset;
    const float reset_on = s->detach_reset ? 0.0f : 1.0f;
    float *restrict lv = s->lam_v, *restrict li = s->lam_i;
    float *restrict sd = s->sd;

    for (size_t bi = 0; bi < b->batch; bi++) {
        float *gz_rec = s->rec_a;  /* dL/dz[n] from the recurrence */
        float *gz_next = s->rec_b; /* dL/dz[n−1], built at step n */
        const float *z = NULL, *zp = NULL;
        for (size_t k = 0; k < n; k++)
            lv[k] = li[k] = gz_rec[k] = 0.0f;
        if (T > 0)
            z = lif_z(s, (bi * T + T - 1) * n, s->z_a);

        for (size_t t = T; t-- > 0;) {
            const size_t off = (bi * T + t) * n;
            const float *restrict d = s->tape_d + off;
            const float *restrict g = dout + off;

            if (din != NULL)
                memcpy(din + off, li, n * sizeof(float));
            if (t > 0)
                zp = lif_z(s, off - n, z == s->z_a ? s->z_b : s->z_a);
            if (s->recurrent && t > 0) {
                for (size_t j = 0; j < n; j++) {
                    const float *restrict w = s->w_rec + j * n;
                    float acc = 0.0f;
                    for (size_t k = 0; k < n; k++)
                        acc += w[k] * li[k];
                    gz_next[j] = acc;
                    if (zp[j] != 0.0f) {
                        float *restrict gw = s->g_rec + j * n;
                        const float zj = zp[j], keep = gw[j];
                        for (size_t k = 0; k < n; k++)
                            gw[k] += zj * li[k];
                        if (!s->w_rec_diag)
                            gw[j] = keep; /* no autapse gradient */
                    }
                }
            }
            lif_surrogate(s, d, sd);
            lif_adjoint_step(n, g, gz_rec, d, z, sd, v_reset, reset_on, a_mem,
                             d_mem, d_syn, lv, li);
            if (s->recurrent) {
                float *tmp = gz_rec;
                gz_rec = gz_next;
                gz_next = tmp;
            }
            z = zp;
        }
    }
    return SL_OK;
}

static int lif_observable(void *self_, size_t idx, sl_observable *out)
{
    lif_layer *s = self_;
    lif__base *b = &s->base;
    if (out == NULL)
        return b->host->xError(b->ctx, NULL, SL_EINVAL,
                               "xObservable: NULL output");
    if (!b->prepared || !(b->mode & SL_MODE_RECORD) || !b->have_forward)
        return SL_ENOTFOUND;
    switch (idx) {
    case 0:
        lif__observable(b, "v_mem", b->rec_v, out);
        return SL_OK;
    case 1:
        lif__observable(b, "i_syn", b->rec_i, out);
        return SL_OK;
    case 2:
        lif__observable(b, "v_dec", s->tape_d, out);
        return SL_OK;
    default:
        return SL_ENOTFOUND;
    }
}

/* SL_EXT_SUBSTITUTE (see the header comment and spikelab/hil.h). */
static int lif_substitute(void *self_, const float *v, const float *z,
                          float *out)
{
    lif_layer *s = self_;
    lif__base *b = &s->base;
    int rc = lif__substitute_check(b, v, out);
    if (rc != SL_OK)
        return rc;
    const size_t n = b->n, N = b->batch * b->time * n;
    for (size_t i = 0; i < N; i++)
        if (!isfinite(v[i]))
            return b->host->xError(b->ctx, NULL, SL_ENUMERIC,
                                   "measured membrane [%zu] = %g is not "
                                   "finite",
                                   i, (double)v[i]);
    if (N > 0)
        memmove(s->tape_d, v, N * sizeof(float));
    if (z != NULL) {
        if (N > 0) {
            memmove(s->tape_z, z, N * sizeof(float));
            memmove(out, z, N * sizeof(float));
        }
        s->sub_z = 1;
    } else {
        for (size_t i = 0; i < N; i += n)
            lif_threshold(s, s->tape_d + i, out + i);
        s->sub_z = 0;
    }
    return SL_OK;
}

static const sl_substitute_ext lif_substitute_ext = {
    .struct_size = sizeof(sl_substitute_ext),
    .xSubstitute = lif_substitute,
};

static const void *lif_extension(void *self_, const char *name)
{
    (void)self_;
    if (name != NULL && strcmp(name, SL_EXT_SUBSTITUTE) == 0)
        return &lif_substitute_ext;
    return NULL;
}

const sl_neuron_iface lif__lif_iface = {
    .struct_size = sizeof(sl_neuron_iface),
    .flags = SL_NEURON_SPIKING,
    .xCreate = lif_create,
    .xDestroy = lif_destroy,
    .xParams = lif_params,
    .xPrepare = lif_prepare,
    .xForward = lif_forward,
    .xBackward = lif_backward,
    .xObservable = lif_observable,
    .xExtension = lif_extension,
};
