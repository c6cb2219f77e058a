/*
 * plugins/lif/lif.c — component "lif": time-discrete current-based leaky
 * integrate-and-fire neurons with exponential synapses (jaxsnn.discrete /
 * Norse lif_step), with BPTT through a surrogate gradient.
 *
 * Model (specs/lif.md §1, §3). Per neuron, state V (membrane) and I
 * (synaptic current, in voltage units); x[n] the summed input of step n
 * (channel i of the input sequence: the preceding linear layer's output)
 * plus, with `recurrent = true`, Σ_j w_rec[j][i]·z_j[n−1] where z[n−1] is
 * this layer's own output of the previous step (0 before the first step).
 * The default step (scheme "euler", input_order "end": jaxsnn's lif_step,
 * lif.md §3), in this order:
 *   1. v_dec  = V[n] + (dt/tau_mem)·((v_leak − V[n]) + I[n])  old current
 *   2. i_dec  = I[n] − (dt/tau_syn)·I[n]
 *   3. z      = Θ(v_dec − v_th)          strict: Θ(0) = 0 (Norse's choice,
 *               lif.md §3 and open question 1; jaxsnn's 0.5 at equality
 *               would make both the spike and the reset half)
 *   4. V[n+1] = (1 − z)·v_dec + z·v_reset
 *   5. I[n+1] = i_dec + x[n]
 * Output of step n: z. V[0] = v_leak, I[0] = 0.
 *
 * Variants (lif.md §3.1, §3.2; all resolved into the constants of lif_k
 * at creation, so the time loop is the same few multiply-adds for all):
 *   scheme       how step 1 integrates V over dt (lif_derive): "euler"
 *                (above), "exp_euler" (exact for I held over the step:
 *                v_leak + α_m(V − v_leak) + (1 − α_m)·I, hxtorch), "exact"
 *                (exact for I decaying with tau_syn: v_leak + α_m(V −
 *                v_leak) + c·I, c = tau_syn/(tau_mem − tau_syn)·(α_m −
 *                α_s)); α = e^(−dt/tau), and I decays by α_s in step 2
 *                with both; "beta" (snnTorch's Leaky, torch_bptt.py):
 *                v_dec = β·V + (1 − β)·v_leak + I, β = α_m, the current
 *                unscaled (exp_euler with the input divided by 1 − β).
 *                No Euler stability bound for them.
 *   input_order  "end" (above: x[n] joins I in step 5, after the update;
 *                jaxsnn, Brian2) or "start" (x[n] joins I before step 1,
 *                and the decay of step 2 applies to I[n] + x[n]; Norse's
 *                lif_step, hxtorch, and lif.md's `exact` with its input
 *                at t_n). Worked example, euler, dt/tau_mem = 0.1,
 *                dt/tau_syn = 0.2, from rest, one input x[0] = 1:
 *                  "end":   step 0: v_dec = 0, I[1] = 1; step 1: v_dec =
 *                           0.1, I[2] = 0.8; step 2: v_dec = 0.17 ...
 *                  "start": step 0: j = 1, v_dec = 0.1, I[1] = 0.8;
 *                           step 1: v_dec = 0.17 ...
 *                so "start" is "end" one step earlier: an input can make
 *                its neuron spike in the same step. Same for the
 *                recurrent input (z[n−1] joins step n's current first).
 *                euler + "start" is lif.md's `euler_input_first`.
 *   reset        "to_v_reset" (step 4), "subtract": V[n+1] = v_dec −
 *                z·(v_th − v_reset), or "none": V[n+1] = v_dec. snnTorch's
 *                subtract is V − v_th with no v_reset (which is 0 there):
 *                the same with v_reset = 0, and with v_reset ≠ 0 a
 *                membrane exactly at v_th still ends at v_reset, as with
 *                "to_v_reset". detach_reset drops the reset's ∂/∂z.
 *   reset_delay  false: the reset acts in the spike's step (jaxsnn,
 *                Norse). true (snnTorch's default reset_delay): V[n+1] =
 *                v_dec unreset, and the spike z[n] resets in step n+1 as
 *                snnTorch does: to_v_reset sets V to v_reset before the
 *                integration (its "zero": the same spikes as without the
 *                delay, only v_mem shows the unreset value for a step),
 *                subtract takes (v_th − v_reset) off v_dec after it (its
 *                β·V + x − z·θ: the subtraction does not decay). Not with
 *                reset "none" or t_ref (refused).
 *   t_ref        refractory period, Brian2's semantics: after a spike in
 *                step s, every step n with (n − s)·dt < t_ref keeps V
 *                (v_dec = V[n], no integration) and emits z = 0; I keeps
 *                integrating. That is ceil(t_ref/dt) − 1 steps, so t_ref
 *                ≤ dt does nothing. hxtorch's counter (lif.md §3.2) set
 *                to t_ref/dt at a spike clamps the t_ref/dt following
 *                steps, i.e. (n − s)·dt ≤ t_ref: hxtorch's t_ref equals
 *                ours minus dt (its 2 µs on dt 1 µs is our t_ref = 3 µs).
 *                The refractory count starts where v_dec > v_th (also
 *                with forward = "smooth") and is a constant to the
 *                gradient (no surrogate through it, as hxtorch).
 *   synapse      false: no synaptic filter, the current of a step is its
 *                input (I decays to 0 in each step, ds = 0): NIR's LIF
 *                (tau·dV/dt = (v_leak − V) + R·I with R = 1) and snnTorch's
 *                Leaky (V ← β·V + x, which is ours with β = 1 − dt/tau_mem
 *                and the input scaled by dt/tau_mem). With "start" the
 *                input of step n moves V in step n. tau_syn is refused.
 *   leak         false: an IF neuron, tau_mem·dV/dt = I (tau_mem keeps
 *                its place as the input's scale: 1/C in NIR's IF with
 *                R = 1). Chosen over tau_mem = inf so that the input
 *                keeps a finite gain and the settings keep their ranges.
 *                V still starts at v_leak (its only use then).
 *
 * Recurrence choice: the recurrent input joins x[n] (so it enters I, like
 * any synaptic input, after the decay) and uses the previous step's
 * output, which keeps the step causal and the weights a plain [pre][post]
 * matrix, like a feed-forward projection from the layer onto itself.
 *
 * Settings (keys of the layer's group; seconds and voltage units; the
 * table in plugin.c, docs/settings.md):
 *   tau_mem 1e-2, tau_syn 5e-3, v_th 0.6, v_leak 0, v_reset 0   (jaxsnn)
 *   scheme "euler", input_order "end", reset "to_v_reset", reset_delay
 *   false, t_ref 0, synapse true, leak true (see Variants)
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
 * Backward: exact reverse of the step over the whole sequence, for every
 * variant (reset term and recurrence included; lif.md §3.3 for euler),
 * with dΘ/dx replaced by the surrogate (lif.md §4). A recurrent layer of
 * at least 32 neurons sweeps all samples of the batch together and takes
 * the recurrent adjoint of each step, dL/dz[n−1] = (dL/dx[n])·w_recᵀ for
 * the whole batch, as one product through the host's xGemm (the kernel
 * the run's numerics mode chooses); its sums are then in the kernel's
 * order, not in the per-sample loop's (such a layer's results changed
 * bits with this; none of the shipped experiments has one). Smaller or
 * non-recurrent layers sweep one sample at a time with their own loops,
 * as before, bit for bit. The tape is v_dec of every step (z is recomputed from it
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
 * With t_ref the simulated refractory mask stays (the measured spikes do
 * not restart it): z = NULL gives 0 in its steps, and the backward treats
 * them as refractory.
 */
#include <math.h>
#include <string.h>

#include "common.h"

enum { SG_SUPERSPIKE, SG_TANH, SG_TRIANGLE, SG_LOGISTIC, SG_STRAIGHT };
enum { SCHEME_EULER, SCHEME_EXP_EULER, SCHEME_EXACT, SCHEME_BETA };
enum { RESET_TO, RESET_SUBTRACT, RESET_NONE };

static const char *const scheme_names[] = {"euler", "exp_euler", "exact",
                                           "beta"};
static const char *const reset_names[] = {"to_v_reset", "subtract", "none"};

/* Constants of one step, derived once at creation (lif_derive) so the
 * time loops only multiply and add, whatever the scheme and reset:
 *   j      = I (+ x[n] first when input_order = "start")
 *   v_dec  = V + k1·(lk·(v_leak − V) + k2·j)
 *   V[n+1] = (1 − rc·z)·v_dec + z·rv        (the reset)
 *   I[n+1] = ds·j (+ x[n] last when input_order = "end")
 * and for the backward dm = ∂v_dec/∂V = 1 − k1·lk, dj = ∂v_dec/∂j = k1·k2,
 * ∂V[n+1]/∂z = ra − rb·v_dec. For scheme euler lk = k2 = rc = rb = 1
 * exactly, which makes every product with them exact: the loops give
 * bit for bit the results of the single-scheme code they replaced. */
typedef struct lif_k {
    float k1, k2, lk, ds; /* step */
    float kv;             /* scheme beta: v_dec = dm·V + kv + j */
    float dm, dj;         /* backward */
    float rc, rv, ra, rb; /* reset */
    /* reset_delay: the spike zp of the previous step resets V before the
     * integration, V ← (1 − pc·zp)·V + zp·pv, and takes ps off v_dec
     * after it (rc = rv = ra = rb = 0 then) */
    float pc, pv, ps;
} lif_k;

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
    int scheme;     /* SCHEME_* */
    int start;      /* input_order = "start" */
    int reset;      /* RESET_* */
    int reset_delay;
    int synapse, leak;
    double t_ref;   /* s */
    float ref_steps; /* steps a spike keeps its neuron refractory after
                      * the spike step (0: no refractory loop at all) */
    lif_k k;        /* only lif_derive writes it */

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
    /* refractory mask of every step [batch][time][n] (1: refractory, V
     * held, no spike); owned, allocated for SL_MODE_TRAIN with t_ref */
    float *tape_q;
    size_t cap_q;

    /* backward state of every sample of a chunk, [batch][n] each: λV, λI,
     * dL/dz from the recurrence (this and the previous step), the reset
     * term of reset_delay, z of this and the previous step; one owned
     * block of 7·batch·n floats (SL_MODE_TRAIN), cut in lif_backward */
    float *rows;
    size_t cap_rows;
    /* per-neuron scratch, one owned block of 6n floats cut in pieces */
    float *scratch;
    float *v, *i;            /* state V, I during forward */
    float *sd;               /* surrogate derivative of this step */
    float *ref;              /* refractory steps left, during forward */
    float *q;                /* refractory mask of the step (no tape) */
    float *zero;             /* n zeros: z and v_dec "before step 0" */
} lif_layer;

/* ---------------------------------------------------------------- kernels */

static inline float sigmoidf(float x)
{
    return 1.0f / (1.0f + expf(-x));
}

/* z of one step from v_dec; the same function in forward and backward so
 * that the recomputed z is bit-identical to the forward's. */
LIF__INLINE void lif_threshold(const lif_layer *s, const float *restrict d,
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
LIF__INLINE const float *lif_z(const lif_layer *s, size_t off, float *buf)
{
    if (s->sub_z)
        return s->tape_z + off;
    lif_threshold(s, s->tape_d + off, buf);
    if (s->ref_steps > 0) { /* refractory steps emitted no spike */
        const float *restrict q = s->tape_q + off;
        for (size_t k = 0; k < s->base.n; k++)
            buf[k] = q[k] != 0.0f ? 0.0f : buf[k];
    }
    return buf;
}

/* dz/d(v_dec) for one step into sd; the switch is outside the loops so
 * each loop is a plain vectorisable map. */
LIF__INLINE void lif_surrogate(const lif_layer *s, const float *restrict d,
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
LIF__INLINE void lif_adjoint_step(size_t n, const float *restrict g,
                                  const float *restrict gz_rec,
                                  const float *restrict d, const float *restrict z,
                                  const float *restrict sd, const lif_k *K,
                                  float reset_on, float *restrict lv,
                                  float *restrict li)
{
    const float ra = K->ra, rb = K->rb, rc = K->rc, dm = K->dm, dj = K->dj,
                ds = K->ds;
    for (size_t k = 0; k < n; k++) {
        float gz = g[k] + gz_rec[k] + reset_on * lv[k] * (ra - rb * d[k]);
        float gd = lv[k] * (1.0f - rc * z[k]) + gz * sd[k];
        lv[k] = gd * dm;
        li[k] = gd * dj + li[k] * ds;
    }
}

/* The same with reset_delay (no reset in the step, no refractory): the
 * previous step's spike zp reset V before the integration and took ps
 * off after it, so dL/dV[n] = gd·dm·(1 − pc·zp), and dL/dzp = gd·(dm·(pv
 * − pc·V[n]) − ps) with V[n] = dp, the previous v_dec, goes to gr for the
 * previous step (read there before it is overwritten). */
LIF__INLINE void lif_adjoint_step_delay(size_t n, const float *restrict g,
                                        const float *restrict gz_rec,
                                        const float *restrict zp,
                                        const float *restrict dp,
                                        const float *restrict sd, const lif_k *K,
                                        float reset_on, float *restrict gr,
                                        float *restrict lv, float *restrict li)
{
    const float pc = K->pc, pv = K->pv, ps = K->ps, dm = K->dm, dj = K->dj,
                ds = K->ds;
    for (size_t k = 0; k < n; k++) {
        float gz = g[k] + gz_rec[k] + gr[k];
        float gd = lv[k] + gz * sd[k];
        lv[k] = gd * dm * (1.0f - pc * zp[k]);
        li[k] = gd * dj + li[k] * ds;
        gr[k] = reset_on * gd * (dm * (pv - pc * dp[k]) - ps);
    }
}

/* The same with a refractory mask q: where q = 1, V was held (λV passes
 * unchanged), z was 0 (no gradient from it, sd = 0) and only I evolved. */
LIF__INLINE void lif_adjoint_step_ref(size_t n, const float *restrict g,
                                      const float *restrict gz_rec,
                                      const float *restrict d,
                                      const float *restrict z,
                                      const float *restrict sd,
                                      const float *restrict q, const lif_k *K,
                                      float reset_on, float *restrict lv,
                                      float *restrict li)
{
    const float ra = K->ra, rb = K->rb, rc = K->rc, dm = K->dm, dj = K->dj,
                ds = K->ds;
    for (size_t k = 0; k < n; k++) {
        const int held = q[k] != 0.0f;
        float gz = g[k] + gz_rec[k] + reset_on * lv[k] * (ra - rb * d[k]);
        float gd = lv[k] * (1.0f - rc * z[k]) + (held ? 0.0f : gz * sd[k]);
        lv[k] = held ? lv[k] : gd * dm;
        li[k] = (held ? 0.0f : gd * dj) + li[k] * ds;
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
    h->xFree(s->tape_q);
    h->xFree(s->scratch);
    h->xFree(s->rows);
    h->xFree(s);
}

/* A string setting that must be one of names[0..count); its index in
 * *out, or the error naming key and the choices. */
static int lif_choice(const sl_host *h, sl_ctx *ctx, const char *key,
                      const char *def, const char *const *names,
                      size_t count, const char *choices, int *out)
{
    const char *v;
    int rc = h->xGetString(ctx, key, def, &v);
    if (rc < 0)
        return rc;
    for (size_t k = 0; k < count; k++)
        if (strcmp(v, names[k]) == 0) {
            *out = (int)k;
            return SL_OK;
        }
    return h->xError(ctx, key, SL_ECONFIG, "%s = \"%s\" is not known: use "
                     "one of %s", key, v, choices);
}

/* The settings that choose the model (read before the base settings,
 * whose checks depend on them). */
static int lif_model_settings(lif_layer *s, const sl_host *h, sl_ctx *ctx)
{
    int rc, order = 0;
    if ((rc = lif_choice(h, ctx, "scheme", "euler", scheme_names, 4,
                         "\"euler\", \"exp_euler\", \"exact\", \"beta\"",
                         &s->scheme)) < 0 ||
        (rc = lif_choice(h, ctx, "input_order", "end",
                         (const char *const[]){"end", "start"}, 2,
                         "\"end\", \"start\"", &order)) < 0 ||
        (rc = lif_choice(h, ctx, "reset", "to_v_reset", reset_names, 3,
                         "\"to_v_reset\", \"subtract\", \"none\"",
                         &s->reset)) < 0 ||
        (rc = h->xGetBool(ctx, "reset_delay", 0, &s->reset_delay)) < 0 ||
        (rc = h->xGetBool(ctx, "synapse", 1, &s->synapse)) < 0 ||
        (rc = h->xGetBool(ctx, "leak", 1, &s->leak)) < 0 ||
        (rc = h->xGetFloat(ctx, "t_ref", 0.0, &s->t_ref)) < 0)
        return rc;
    s->start = order == 1;
    if (s->reset_delay && s->reset == RESET_NONE)
        return h->xError(ctx, "reset_delay", SL_ECONFIG,
                         "reset_delay needs a reset: set reset = "
                         "\"to_v_reset\" or \"subtract\", or remove "
                         "reset_delay");
    if (s->reset_delay && s->t_ref > 0)
        return h->xError(ctx, "reset_delay", SL_ECONFIG,
                         "reset_delay and t_ref > 0 do not combine (the "
                         "delayed reset would fall into the refractory "
                         "step): remove one of them");
    if (!(s->t_ref >= 0) || !isfinite(s->t_ref))
        return h->xError(ctx, "t_ref", SL_ECONFIG,
                         "t_ref must be a time >= 0 in seconds (got %g)",
                         s->t_ref);
    return SL_OK;
}

/* The step constants of lif_k (see there) for the scheme, and the
 * refractory length in steps. Each scheme integrates V over one step of
 * dt from the current j it has at the step's start:
 *   euler      forward Euler (jaxsnn): k1 = dt/tau_mem; I decays by
 *              1 − dt/tau_syn
 *   exp_euler  (hxtorch's exp_cuba_lif_integration) V exact for j held
 *              constant over the step: v_leak + α_m(V − v_leak) +
 *              (1 − α_m)·j, α_m = e^(−dt/tau_mem); I decays by α_s =
 *              e^(−dt/tau_syn)
 *   exact      (lif.md §3.1) V exact for j decaying with tau_syn over
 *              the step: v_leak + α_m(V − v_leak) + c·j with
 *              c = tau_syn/(tau_mem − tau_syn)·(α_m − α_s) (the limit
 *              (dt/tau)·e^(−dt/tau) when equal); I decays by α_s
 * Without a synapse (synapse = false) the current of a step is its input
 * and I keeps nothing (ds = 0): exact then holds j over the step, as
 * exp_euler. Without a leak (leak = false: tau_mem·dV/dt = I, an IF
 * neuron) lk = 0 and V gains k1·k2·j = (dt/tau_mem)·j (euler, exp_euler)
 * or (tau_syn/tau_mem)·(1 − α_s)·j (exact with a synapse). Computed in
 * double, with expm1 where a difference of exponentials would cancel. */
static void lif_derive(lif_layer *s)
{
    const lif__base *b = &s->base;
    const double dt = b->dt, tm = b->tau_mem, ts = b->tau_syn;
    lif_k *k = &s->k;
    double k1 = dt / tm, k2 = 1.0;
    if (s->scheme != SCHEME_EULER && s->leak)
        k1 = -expm1(-dt / tm); /* 1 − α_m (beta: replaced below) */
    if (s->scheme == SCHEME_EXACT && s->synapse) {
        if (s->leak) {
            double c;
            if (tm == ts)
                c = dt / tm * exp(-dt / tm);
            else /* α_m − α_s = α_s·(e^(dt/ts − dt/tm) − 1) */
                c = ts / (tm - ts) * exp(-dt / ts) *
                    expm1(dt / ts - dt / tm);
            k2 = c / k1;
        } else {
            k2 = ts / dt * -expm1(-dt / ts); /* k1·k2 = ts/tm·(1 − α_s) */
        }
    }
    k->k1 = (float)k1;
    k->k2 = (float)k2;
    k->lk = s->leak ? 1.0f : 0.0f;
    if (!s->synapse)
        k->ds = 0.0f;
    else if (s->scheme == SCHEME_EULER)
        k->ds = b->d_syn; /* 1.0f − dt/tau_syn, as before the schemes */
    else
        k->ds = (float)exp(-dt / ts);
    k->dm = 1.0f - k->k1 * k->lk;
    k->dj = k->k1 * k->k2;
    k->kv = 0.0f;
    if (s->scheme == SCHEME_BETA) {
        /* snnTorch's Leaky: v_dec = β·V + j with β = e^(−dt/tau_mem) and
         * j unscaled (exp_euler with the input divided by 1 − β);
         * computed as dm·V + kv + j, kv = (1 − β)·v_leak (0 without a
         * leak), so that v_leak = 0 gives β·V + j exactly as snnTorch */
        const double beta = s->leak ? exp(-dt / tm) : 1.0;
        k->k1 = (float)(1.0 - beta);
        k->k2 = 1.0f;
        k->dm = (float)beta;
        k->dj = 1.0f;
        k->kv = (float)((1.0 - beta) * (double)b->v_leak);
        if (s->synapse)
            k->ds = (float)exp(-dt / ts);
    }

    /* V[n+1] = (1 − rc·z)·v_dec + z·rv; ∂V[n+1]/∂z = ra − rb·v_dec */
    const float vr = s->v_reset, th = s->v_th;
    switch (s->reset) {
    case RESET_TO:
        k->rc = 1.0f, k->rv = vr, k->ra = vr, k->rb = 1.0f;
        break;
    case RESET_SUBTRACT: /* V − (v_th − v_reset) */
        k->rc = 0.0f, k->rv = -(th - vr), k->ra = -(th - vr), k->rb = 0.0f;
        break;
    default: /* RESET_NONE */
        k->rc = k->rv = k->ra = k->rb = 0.0f;
        break;
    }
    k->pc = k->pv = k->ps = 0.0f;
    if (s->reset_delay) {
        /* snnTorch: "zero" resets before the decay, "subtract" takes the
         * threshold off after it (β·V + x − z·θ) */
        k->pc = k->rc, k->pv = k->rv;
        if (s->reset == RESET_SUBTRACT)
            k->pc = 0.0f, k->pv = 0.0f, k->ps = th - vr;
        k->rc = k->rv = k->ra = k->rb = 0.0f;
    }

    /* Steps after the spike step that are refractory: those n with
     * (n − s)·dt < t_ref, i.e. ceil(t_ref/dt) − 1; a t_ref within 1e-6
     * steps of a multiple of dt counts as that multiple (t_ref = 2e-6 on
     * dt = 1e-6 is 2 steps, whichever way the division rounds). */
    double m = s->t_ref > 0 ? ceil(s->t_ref / dt - 1e-6) - 1.0 : 0.0;
    s->ref_steps = m > 0 ? (float)m : 0.0f;
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
    if (s->reset != RESET_NONE && !(v_th > v_reset))
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
    s->base.host = host;
    s->base.ctx = ctx;
    if ((rc = lif_model_settings(s, host, ctx)) < 0)
        goto fail;
    unsigned flags = (s->synapse ? 0u : LIF__NO_SYN) |
                     (s->leak ? 0u : LIF__NO_LEAK) |
                     (s->scheme == SCHEME_EULER ? 0u : LIF__STABLE);
    if ((rc = lif__base_init(&s->base, host, ctx, info, flags)) < 0 ||
        (rc = lif_settings(s)) < 0 || (rc = lif_init_w_rec(s)) < 0)
        goto fail;
    lif_derive(s);

    const size_t n = s->base.n;
    if (n > SIZE_MAX / sizeof(float) / 6) {
        rc = host->xError(ctx, NULL, SL_ENOMEM, "too many neurons (%zu)", n);
        goto fail;
    }
    s->scratch = host->xAlloc(6 * n * sizeof(float));
    if (s->scratch == NULL) {
        rc = host->xError(ctx, NULL, SL_ENOMEM, "cannot allocate state");
        goto fail;
    }
    float *p = s->scratch;
    s->v = p, p += n;
    s->i = p, p += n;
    s->sd = p, p += n;
    s->ref = p, p += n;
    s->q = p, p += n;
    s->zero = p;
    for (size_t k = 0; k < n; k++)
        s->zero[k] = 0.0f;

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
        if (rc == SL_OK && (mode & SL_MODE_TRAIN) && s->ref_steps > 0)
            rc = lif__ensure(&s->base, &s->tape_q, &s->cap_q, elems,
                             "refractory mask");
        /* 7 rows per sample (elems / time = batch·n, no overflow) */
        if (rc == SL_OK && (mode & SL_MODE_TRAIN) && time > 0 &&
            elems / time > SIZE_MAX / sizeof(float) / 7)
            rc = s->base.host->xError(s->base.ctx, NULL, SL_ENOMEM,
                                      "batch of %zu is too large", batch);
        if (rc == SL_OK && (mode & SL_MODE_TRAIN) && time > 0)
            rc = lif__ensure(&s->base, &s->rows, &s->cap_rows,
                             7 * (elems / time), "backward state");
        if (rc < 0) {
            s->base.prepared = 0;
            return rc;
        }
    }
    return SL_OK;
}

/* ---------------------------------------------------------------- forward */

/* cur += w_rec·z[n−1] (the recurrent part of x[n]), row by row so that
 * silent neurons cost nothing; zp is the previous step's output. */
LIF__INLINE void lif_rec_add(const lif_layer *s, const float *zp,
                             float *cur)
{
    const size_t n = s->base.n;
    for (size_t j = 0; j < n; j++) {
        if (zp[j] == 0.0f)
            continue;
        const float zj = zp[j];
        const float *restrict w = s->w_rec + j * n;
        for (size_t k = 0; k < n; k++)
            cur[k] += zj * w[k];
    }
}

/* Refractory part of a step (only with t_ref): a neuron with steps left
 * keeps V (v_dec = V) and does not spike; q = 1 marks it for the
 * backward. After the threshold (lif_refractory_after) a spike restarts
 * the count, otherwise it runs down. */
LIF__INLINE void lif_refractory_before(size_t n, const float *restrict ref,
                                       const float *restrict v,
                                       float *restrict q, float *restrict d)
{
    for (size_t k = 0; k < n; k++) {
        q[k] = ref[k] > 0.0f ? 1.0f : 0.0f;
        d[k] = ref[k] > 0.0f ? v[k] : d[k];
    }
}

LIF__INLINE void lif_refractory_after(size_t n, float th, float steps,
                                      const float *restrict q,
                                      const float *restrict d, float *restrict z,
                                      float *restrict ref)
{
    for (size_t k = 0; k < n; k++) {
        /* the Heaviside decides, also with forward = "smooth" */
        const int spike = d[k] > th && q[k] == 0.0f;
        z[k] = q[k] != 0.0f ? 0.0f : z[k];
        ref[k] = spike ? steps : fmaxf(ref[k] - 1.0f, 0.0f);
    }
}

/* The part of a step from the delayed reset to the synaptic decay in one
 * pass (no refractory period, Heaviside spikes): per neuron the same
 * operations in the same order as the separate loops of lif_forward, so
 * the same bits, with one load and store of each array instead of six.
 * Inlined with constant flags, each combination becomes its own loop. */
static inline __attribute__((always_inline)) void
lif_step_fused(size_t n, const lif_k *restrict Kp, float v_leak, float th,
               const float *restrict zp, const float *restrict x,
               float *restrict v, float *restrict cur, float *restrict d,
               float *restrict z, const int delay, const int beta,
               const int start)
{
    const float pc = Kp->pc, pv = Kp->pv, ps = Kp->ps, dm = Kp->dm,
                kv = Kp->kv, k1 = Kp->k1, k2 = Kp->k2, lk = Kp->lk,
                rc = Kp->rc, rv = Kp->rv, ds = Kp->ds;
    for (size_t k = 0; k < n; k++) {
        const float vk0 = v[k], ck = cur[k];
        const float zpk = delay ? zp[k] : 0.0f;
        const float vk = delay ? (1.0f - pc * zpk) * vk0 + zpk * pv : vk0;
        float dk = beta ? dm * vk + kv + ck
                        : vk + k1 * (lk * (v_leak - vk) + k2 * ck);
        dk = delay ? dk - zpk * ps : dk;
        d[k] = dk;
        const float zk = (float)(dk > th);
        z[k] = zk;
        v[k] = (1.0f - rc * zk) * dk + zk * rv;
        cur[k] = start ? ds * ck : ds * ck + x[k];
    }
}

LIF__INLINE int lif_forward_body(void *self_, const float *in, float *out)
{
    lif_layer *s = self_;
    lif__base *b = &s->base;
    int rc = lif__check_forward(b, in, out);
    if (rc < 0)
        return rc;

    const size_t n = b->n, T = b->time;
    const lif_k K = s->k;
    const float v_leak = b->v_leak, th = s->v_th;
    const int keep_d = (b->mode & (SL_MODE_TRAIN | SL_MODE_RECORD)) != 0;
    const int refr = s->ref_steps > 0;
    const int keep_q = refr && (b->mode & SL_MODE_TRAIN);
    s->sub_z = 0;
    const int record = (b->mode & SL_MODE_RECORD) != 0;
    /* the common case in one pass per step (lif_step_fused) */
    const int fused = !refr && !s->smooth;
    const int variant = (s->reset_delay ? 4 : 0) +
                        (s->scheme == SCHEME_BETA ? 2 : 0) + (s->start ? 1 : 0);
    float *restrict v = s->v, *restrict cur = s->i;

    for (size_t bi = 0; bi < b->batch; bi++) {
        for (size_t k = 0; k < n; k++) {
            v[k] = v_leak;
            cur[k] = 0.0f;
            s->ref[k] = 0.0f;
        }
        for (size_t t = 0; t < T; t++) {
            const size_t off = (bi * T + t) * n;
            const float *restrict x = in + off;
            float *restrict z = out + off;
            /* without a tape, v_dec lives in sd (unused in forward) */
            float *restrict d = keep_d ? s->tape_d + off : s->sd;

            /* input_order = "start": x[n] joins the current first */
            if (s->start) {
                for (size_t k = 0; k < n; k++)
                    cur[k] += x[k];
                if (s->recurrent && t > 0)
                    lif_rec_add(s, z - n, cur);
            }
            const float *restrict zp = t > 0 ? z - n : s->zero;
            if (fused) {
#define LIF_FUSED(D, B, S)                                                    \
    lif_step_fused(n, &K, v_leak, th, zp, x, v, cur, d, z, D, B, S)
                switch (variant) { /* constant flags: one loop each */
                case 0: LIF_FUSED(0, 0, 0); break;
                case 1: LIF_FUSED(0, 0, 1); break;
                case 2: LIF_FUSED(0, 1, 0); break;
                case 3: LIF_FUSED(0, 1, 1); break;
                case 4: LIF_FUSED(1, 0, 0); break;
                case 5: LIF_FUSED(1, 0, 1); break;
                case 6: LIF_FUSED(1, 1, 0); break;
                default: LIF_FUSED(1, 1, 1); break;
                }
#undef LIF_FUSED
                if (!s->start && s->recurrent && t > 0)
                    lif_rec_add(s, z - n, cur);
                goto recorded;
            }
            /* reset_delay: last step's spike resets V now */
            if (s->reset_delay)
                for (size_t k = 0; k < n; k++)
                    v[k] = (1.0f - K.pc * zp[k]) * v[k] + zp[k] * K.pv;
            /* integrate the membrane with the step's current */
            if (s->scheme == SCHEME_BETA)
                for (size_t k = 0; k < n; k++)
                    d[k] = K.dm * v[k] + K.kv + cur[k];
            else
                for (size_t k = 0; k < n; k++)
                    d[k] = v[k] +
                           K.k1 * (K.lk * (v_leak - v[k]) + K.k2 * cur[k]);
            if (s->reset_delay)
                for (size_t k = 0; k < n; k++)
                    d[k] -= zp[k] * K.ps;
            float *restrict q = keep_q ? s->tape_q + off : s->q;
            if (refr)
                lif_refractory_before(n, s->ref, v, q, d);
            lif_threshold(s, d, z);
            if (refr)
                lif_refractory_after(n, th, s->ref_steps, q, d, z, s->ref);
            /* reset; synaptic decay (then input with "end") */
            for (size_t k = 0; k < n; k++)
                v[k] = (1.0f - K.rc * z[k]) * d[k] + z[k] * K.rv;
            if (s->start) {
                for (size_t k = 0; k < n; k++)
                    cur[k] = K.ds * cur[k];
            } else {
                for (size_t k = 0; k < n; k++)
                    cur[k] = K.ds * cur[k] + x[k];
                if (s->recurrent && t > 0)
                    lif_rec_add(s, z - n, cur);
            }
        recorded:
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

LIF__WIDE(lif_forward, lif_forward_body)

/* --------------------------------------------------------------- backward */

/*
 * Adjoints λV = dL/dV[n+1], λI = dL/dI[n+1], swept from the last step
 * (both 0 after it) to the first. For step n with d = v_dec, z, x, the
 * constants of lif_k and σ' the surrogate:
 *   dL/dx[n]   = λI (input_order "end": before the step's update below;
 *                "start": after it, x[n] entered j)
 *                → din, and through the recurrence dL/dw_rec[j][i] +=
 *                z_j[n−1]·dL/dx_i[n], dL/dz_j[n−1] += Σ_i w_rec[j][i]·
 *                dL/dx_i[n]
 *   gz  = dout + (recurrent dL/dz) + λV·(ra − rb·d)   [reset term]
 *   gd  = λV·(1 − rc·z) + gz·σ'(d − v_th)
 *   λV ← gd·dm
 *   λI ← gd·dj + λI·ds          ("start": this is dL/dj = dL/dI = dL/dx)
 * (euler, to_v_reset: the reset term is λV·(v_reset − d), dm = 1 −
 * dt/tau_mem, dj = dt/tau_mem, ds = 1 − dt/tau_syn: lif.md §3.3.)
 * Refractory steps (q = 1): λV unchanged, λI ← λI·ds, no dL/dz.
 * reset_delay: see lif_adjoint_step_delay.
 */

/* Below this many neurons the backward sweeps one sample at a time with
 * its own fixed-order loops (a product per step would cost more in calls
 * than in arithmetic: frozen_noise_lif has n = 2); from it on, all the
 * samples of the batch move through the sweep together and the recurrent
 * adjoint of each step is one product through the host's xGemm. */
#define LIF_GEMM_MIN_N 32

/* dL/dx[n] = li (rows of `rows` samples starting at sample b0) into din
 * and through the recurrence (see above):
 *   gz_next[b][j] = Σ_i w_rec[j][i]·li[b][i]     (dL/dz[n−1])
 *   g_rec[j][i]  += zp[b][j]·li[b][i]            (row by row, skipping
 *                                                 silent neurons)
 * With gemm the first is one product for all rows; otherwise each sum
 * runs over i in order, as the scalar code before the product did. */
LIF__INLINE void lif_input_grad(lif_layer *s, float *din, size_t b0,
                                size_t rows, size_t t, const float *zp,
                                const float *li, float *gz_next, int gemm)
{
    const size_t n = s->base.n, T = s->base.time;
    if (din != NULL)
        for (size_t r = 0; r < rows; r++)
            memcpy(din + ((b0 + r) * T + t) * n, li + r * n,
                   n * sizeof(float));
    if (!s->recurrent || t == 0)
        return;
    if (gemm) {
        s->base.host->xGemm(0, 1, rows, n, n, 1.0f, li, n, s->w_rec, n,
                            0.0f, gz_next, n);
    } else {
        for (size_t r = 0; r < rows; r++)
            for (size_t j = 0; j < n; j++) {
                const float *restrict w = s->w_rec + j * n;
                const float *restrict l = li + r * n;
                float acc = 0.0f;
                for (size_t k = 0; k < n; k++)
                    acc += w[k] * l[k];
                gz_next[r * n + j] = acc;
            }
    }
    for (size_t r = 0; r < rows; r++) {
        const float *restrict l = li + r * n;
        const float *restrict z = zp + r * n;
        for (size_t j = 0; j < n; j++) {
            if (z[j] == 0.0f)
                continue;
            float *restrict gw = s->g_rec + j * n;
            const float zj = z[j], keep = gw[j];
            for (size_t k = 0; k < n; k++)
                gw[k] += zj * l[k];
            if (!s->w_rec_diag)
                gw[j] = keep; /* no autapse gradient */
        }
    }
}

/* z of step t of samples b0 .. b0+rows into dst [rows][n]. */
LIF__INLINE void lif_z_rows(const lif_layer *s, size_t b0, size_t rows,
                            size_t t, float *dst)
{
    const size_t n = s->base.n, T = s->base.time;
    for (size_t r = 0; r < rows; r++) {
        const size_t off = ((b0 + r) * T + t) * n;
        const float *z = lif_z(s, off, dst + r * n);
        if (z != dst + r * n)
            memcpy(dst + r * n, z, n * sizeof(float));
    }
}

LIF__INLINE int lif_backward_body(void *self_, const float *dout,
                                  float *din)
{
    lif_layer *s = self_;
    lif__base *b = &s->base;
    int rc = lif__check_backward(b, dout);
    if (rc < 0)
        return rc;

    const size_t n = b->n, T = b->time, B = b->batch;
    const lif_k K = s->k;
    const float reset_on =
        s->detach_reset || s->reset == RESET_NONE ? 0.0f : 1.0f;
    const int refr = s->ref_steps > 0;
    const int gemm = s->recurrent && n >= LIF_GEMM_MIN_N;
    /* samples that sweep together: all of them with the product, else
     * one (the order of every sum is then that of the per-sample code) */
    const size_t chunk = gemm ? B : 1;
    float *restrict sd = s->sd;
    if (T == 0 || B == 0)
        return SL_OK;

    for (size_t b0 = 0; b0 < B; b0 += chunk) {
        const size_t rows = B - b0 < chunk ? B - b0 : chunk, m = rows * n;
        float *p = s->rows;
        float *lv = p, *li = p + m, *gz_rec = p + 2 * m, *gz_next = p + 3 * m;
        float *gr = p + 4 * m, *z = p + 5 * m, *zp = p + 6 * m;
        for (size_t k = 0; k < 5 * m; k++)
            p[k] = 0.0f; /* λV, λI, dL/dz, reset term: 0 after the end */
        lif_z_rows(s, b0, rows, T - 1, z);

        for (size_t t = T; t-- > 0;) {
            if (t > 0)
                lif_z_rows(s, b0, rows, t - 1, zp);
            if (!s->start)
                lif_input_grad(s, din, b0, rows, t, zp, li, gz_next, gemm);
            for (size_t r = 0; r < rows; r++) {
                const size_t off = ((b0 + r) * T + t) * n, o = r * n;
                const float *restrict d = s->tape_d + off;
                const float *restrict g = dout + off;
                lif_surrogate(s, d, sd);
                if (s->reset_delay)
                    lif_adjoint_step_delay(
                        n, g, gz_rec + o, t > 0 ? zp + o : s->zero,
                        t > 0 ? d - n : s->zero, sd, &K, reset_on, gr + o,
                        lv + o, li + o);
                else if (refr)
                    lif_adjoint_step_ref(n, g, gz_rec + o, d, z + o, sd,
                                         s->tape_q + off, &K, reset_on,
                                         lv + o, li + o);
                else
                    lif_adjoint_step(n, g, gz_rec + o, d, z + o, sd, &K,
                                     reset_on, lv + o, li + o);
            }
            if (s->start)
                lif_input_grad(s, din, b0, rows, t, zp, li, gz_next, gemm);
            if (s->recurrent) {
                float *tmp = gz_rec;
                gz_rec = gz_next;
                gz_next = tmp;
            }
            float *tz = z;
            z = zp;
            zp = tz;
        }
    }
    return SL_OK;
}

LIF__WIDE(lif_backward, lif_backward_body)

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
        s->sub_z = 0; /* lif_z recomputes from the tape */
        for (size_t i = 0; i < N; i += n)
            lif_z(s, i, out + i); /* Θ, masked by the refractory steps */
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
