/*
 * plugins/superspike/input.c — dataset component "superspike_input": the
 * BrainScaleS-2 SuperSpike tutorial's stimulus (specs/superspike.md §1–§2).
 *
 * Input [n_steps][n_inputs], 0/1: input j spikes at step i when u_ji <
 * rate·dt, with u a uniform [0,1) array of shape (n_inputs, n_steps) drawn
 * in C order (all steps of input 0, then input 1, ...), and every step with
 * time i·dt > duration − silent_tail is silenced afterwards (the draws are
 * made for those steps too, as NumPy does). The comparison is the spec's
 * floating-point test: for the tutorial index 1800 is not silenced
 * (1800·1e-7 = 1.7999999999999998e-4 is not > 1.8e-4), 1801.. are (Q3).
 * n_steps = floor(duration/dt + 1e-9) (= int(duration/dt) = 2000 here).
 *
 * Random stream:
 *   default        the run's seeded stream: sample i draws from
 *                  host->xRngDerive(ctx, "input.<i>"), so samples are
 *                  random access and independent of each other;
 *   numpy_seed = s the tutorial's NumPy legacy stream, bit for bit:
 *                  np.random.seed(s); np.random.random_sample((n_inputs,
 *                  n_steps)) — MT19937 with init_genrand(s) and the 53-bit
 *                  double (spikelab/slaux_mt19937.h). Sample i continues
 *                  that stream (it skips i·n_inputs·n_steps doubles first), so sample 0
 *                  is the tutorial's draw with s = 123456.
 * Target [n_steps][n_out]: zeros by default (the core may replace it with
 * a teacher network's output spikes), or with `target_spikes` a spike
 * train on channel 0 (needs n_out = 1): the count of listed times t with
 * i·dt ≤ t < (i+1)·dt, the last bin closed on the right (NumPy histogram
 * with edges i·dt). A time outside [0, n_steps·dt] is refused (NumPy
 * would drop it silently; here it is almost surely a unit mistake). One
 * deliberate difference: a time up to 1e-9 relative past the last edge
 * goes into the last bin — the last edge 2000·1e-7 = 1.9999999999999998e-4
 * falls one ulp short of 2e-4, and NumPy would drop a spike given at
 * exactly the trial's end.
 *
 * Settings (dataset group):
 *   n_inputs     25        input trains
 *   rate         10e3 Hz   Bernoulli rate; rate·dt ≤ 1
 *   duration     200e-6 s  trial length
 *   dt           0.1e-6 s  step
 *   silent_tail  20e-6 s   final stretch forced silent (≥ 0)
 *   n_samples    1
 *   numpy_seed   (unset)   integer 0..4294967295: NumPy legacy stream
 *   n_out        1         target channels
 *   target_spikes (unset)  list of spike times in seconds, e.g.
 *                          [4.2e-5, 9.1e-5]; [] = no spike; a single
 *                          number = one spike
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "spikelab/spikelab.h"
#include "ss_kernels.h"
#include "spikelab/slaux_mt19937.h"
#include "superspike.h"

typedef struct ss_input {
    const sl_host *h;
    sl_ctx *ctx;
    size_t n_in, n_steps, n_samples, n_out;
    double p, dt, duration, tail;
    int numpy;        /* numpy_seed given */
    uint32_t np_seed;
    size_t first_silent; /* steps ≥ this are silenced */
    size_t n_target;  /* target spikes (channel 0) */
    size_t *target_bin; /* [n_target] their steps */
} ss_input;

static void input_destroy(void *self)
{
    ss_input *s = self;
    if (!s)
        return;
    s->h->xFree(s->target_bin);
    s->h->xFree(s);
}

/* NumPy histogram bin of t on edges i·dt, i = 0..N; -1 when outside. */
static long hist_bin(double t, double dt, size_t N)
{
    double last = (double)N * dt;
    if (!(t >= 0.0) || t > last * (1.0 + 1e-9))
        return -1;
    if (t >= last)
        return (long)N - 1;
    double g = floor(t / dt);
    long k = g < 0 ? 0 : (g > (double)(N - 1) ? (long)N - 1 : (long)g);
    while (k > 0 && t < (double)k * dt)
        k--;
    while (k < (long)N - 1 && t >= (double)(k + 1) * dt)
        k++;
    return k;
}

static int read_targets(ss_input *s)
{
    const sl_host *h = s->h;
    sl_ctx *ctx = s->ctx;
    if (!h->xHasKey(ctx, "target_spikes"))
        return SL_OK;
    size_t n = 0;
    char key[64];
    for (;; n++) {
        snprintf(key, sizeof key, "target_spikes.%zu", n);
        if (!h->xHasKey(ctx, key))
            break;
    }
    int rc;
    int scalar = 0;
    double t0 = 0.0;
    if (n == 0) {
        /* a single number, or an empty list: xGetFloat tells them apart
         * (its "expected a number" note for [] stays on the context but
         * is not returned; the next real error overwrites it) */
        if (h->xGetFloat(ctx, "target_spikes", 0.0, &t0) == SL_OK) {
            scalar = 1;
            n = 1;
        } else {
            float dummy;
            if ((rc = h->xGetFloatVec(ctx, "target_spikes", 0.0, &dummy, 0)))
                return h->xError(ctx, "target_spikes", SL_ECONFIG,
                                 "target_spikes must be a list of spike "
                                 "times in seconds, e.g. [4.2e-5, 9.1e-5] "
                                 "(or [] for none)");
            return SL_OK; /* [] */
        }
    }
    if (s->n_out != 1)
        return h->xError(ctx, "target_spikes", SL_ECONFIG,
                         "target_spikes gives one spike train: it needs "
                         "n_out = 1 (n_out is %zu)", s->n_out);
    s->target_bin = h->xAlloc(n * sizeof(size_t));
    if (!s->target_bin)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    for (size_t k = 0; k < n; k++) {
        double t = t0;
        if (scalar)
            snprintf(key, sizeof key, "target_spikes");
        else
            snprintf(key, sizeof key, "target_spikes.%zu", k);
        if (!scalar && (rc = h->xGetFloat(ctx, key, 0.0, &t)))
            return rc;
        long bin = hist_bin(t, s->dt, s->n_steps);
        if (bin < 0)
            return h->xError(ctx, key, SL_ECONFIG,
                             "target spike time %g s lies outside the trial "
                             "[0, %g] s (times are in seconds: 42 us is "
                             "4.2e-5)", t, (double)s->n_steps * s->dt);
        s->target_bin[k] = (size_t)bin;
    }
    s->n_target = n;
    if (scalar)
        return SL_OK;
    /* mark the list itself as read (the element reads do not) */
    float *tmp = h->xAlloc(n * sizeof(float));
    if (!tmp)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    rc = h->xGetFloatVec(ctx, "target_spikes", 0.0, tmp, n);
    h->xFree(tmp);
    return rc;
}

static int input_create(const sl_host *h, sl_ctx *ctx, void **self,
                        sl_dataset_info *info)
{
    ss_input *s = h->xAlloc(sizeof *s);
    if (!s)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    s->h = h;
    s->ctx = ctx;
    int64_t n_in, n_samples, n_out, seed = -1;
    double rate;
    int rc;
    if ((rc = h->xGetInt(ctx, "n_inputs", 25, &n_in)) ||
        (rc = h->xGetFloat(ctx, "rate", 10e3, &rate)) ||
        (rc = h->xGetFloat(ctx, "duration", 200e-6, &s->duration)) ||
        (rc = h->xGetFloat(ctx, "dt", 0.1e-6, &s->dt)) ||
        (rc = h->xGetFloat(ctx, "silent_tail", 20e-6, &s->tail)) ||
        (rc = h->xGetInt(ctx, "n_samples", 1, &n_samples)) ||
        (rc = h->xGetInt(ctx, "n_out", 1, &n_out)) ||
        (rc = h->xGetInt(ctx, "numpy_seed", -1, &seed)))
        goto fail;
    rc = SL_ECONFIG;
    if (n_in < 1 || n_in > 1000000) {
        rc = h->xError(ctx, "n_inputs", rc, "n_inputs = %lld must be in "
                       "1..1000000", (long long)n_in);
        goto fail;
    }
    if (n_samples < 1 || n_samples > 100000000) {
        rc = h->xError(ctx, "n_samples", rc, "n_samples = %lld must be in "
                       "1..1e8", (long long)n_samples);
        goto fail;
    }
    if (n_out < 1 || n_out > 1000000) {
        rc = h->xError(ctx, "n_out", rc, "n_out = %lld must be in "
                       "1..1000000", (long long)n_out);
        goto fail;
    }
    if (!(s->dt > 0)) {
        rc = h->xError(ctx, "dt", rc, "dt = %g s must be > 0 (tutorial: "
                       "0.1e-6)", s->dt);
        goto fail;
    }
    if (!(s->duration > 0)) {
        rc = h->xError(ctx, "duration", rc, "duration = %g s must be > 0 "
                       "(tutorial: 200e-6)", s->duration);
        goto fail;
    }
    s->n_steps = ss_steps(s->duration, s->dt);
    if (s->n_steps < 1 || s->n_steps > 100000000) {
        rc = h->xError(ctx, "duration", rc, "duration/dt = %g steps: need "
                       "1..1e8 steps (is dt in seconds?)",
                       s->duration / s->dt);
        goto fail;
    }
    if (!(rate >= 0) || !(rate * s->dt <= 1.0)) {
        rc = h->xError(ctx, "rate", rc, "rate = %g Hz: needs 0 <= rate·dt "
                       "<= 1 (a Bernoulli probability per step; dt = %g s)",
                       rate, s->dt);
        goto fail;
    }
    if (!(s->tail >= 0)) {
        rc = h->xError(ctx, "silent_tail", rc, "silent_tail = %g s must be "
                       ">= 0", s->tail);
        goto fail;
    }
    if (h->xHasKey(ctx, "numpy_seed") && (seed < 0 || seed > 4294967295LL)) {
        rc = h->xError(ctx, "numpy_seed", rc, "numpy_seed = %lld must be in "
                       "0..4294967295 (NumPy's legacy seed range)",
                       (long long)seed);
        goto fail;
    }
    s->n_in = (size_t)n_in;
    s->n_samples = (size_t)n_samples;
    s->n_out = (size_t)n_out;
    s->p = rate * s->dt;
    s->numpy = h->xHasKey(ctx, "numpy_seed");
    s->np_seed = (uint32_t)(s->numpy ? seed : 0);
    /* first step with i·dt > duration − tail, by the same double test */
    double limit = s->duration - s->tail;
    s->first_silent = s->n_steps;
    for (size_t i = 0; i < s->n_steps; i++)
        if ((double)i * s->dt > limit) {
            s->first_silent = i;
            break;
        }
    if ((rc = read_targets(s)))
        goto fail;
    info->n_samples = s->n_samples;
    info->n_steps = s->n_steps;
    info->n_in = s->n_in;
    info->n_out = s->n_out;
    info->target_steps = s->n_steps;
    info->dt = s->dt;
    *self = s;
    return SL_OK;
fail:
    input_destroy(s);
    return rc;
}

static int input_get(void *self, size_t index, float *input, float *target)
{
    ss_input *s = self;
    const size_t T = s->n_steps, J = s->n_in;
    if (index >= s->n_samples)
        return s->h->xError(s->ctx, NULL, SL_EINVAL,
                            "sample %zu requested, the data set has %zu",
                            index, s->n_samples);
    if (s->numpy) {
        slaux_mt mt;
        slaux_mt_seed(&mt, s->np_seed);
        uint64_t skip = (uint64_t)index * J * T;
        for (uint64_t k = 0; k < skip; k++) {
            (void)slaux_mt_next(&mt);
            (void)slaux_mt_next(&mt);
        }
        for (size_t j = 0; j < J; j++)
            for (size_t i = 0; i < T; i++) {
                double u = slaux_mt_double(&mt);
                input[i * J + j] =
                    (u < s->p && i < s->first_silent) ? 1.0f : 0.0f;
            }
    } else {
        char purpose[48];
        sl_rng rng;
        snprintf(purpose, sizeof purpose, "input.%zu", index);
        s->h->xRngDerive(s->ctx, purpose, &rng);
        for (size_t j = 0; j < J; j++)
            for (size_t i = 0; i < T; i++) {
                double u = s->h->xRngUniform(&rng);
                input[i * J + j] =
                    (u < s->p && i < s->first_silent) ? 1.0f : 0.0f;
            }
    }
    memset(target, 0, T * s->n_out * sizeof(float));
    for (size_t k = 0; k < s->n_target; k++)
        target[s->target_bin[k] * s->n_out] += 1.0f;
    return SL_OK;
}

static const void *input_extension(void *self, const char *name)
{
    (void)self;
    (void)name;
    return NULL;
}

const sl_dataset_iface ss__input_iface = {
    .struct_size = sizeof(sl_dataset_iface),
    .flags = 0,
    .xCreate = input_create,
    .xDestroy = input_destroy,
    .xGet = input_get,
    .xExtension = input_extension,
};
