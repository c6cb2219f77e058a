/*
 * plugins/datasets/bernoulli.c — dataset component "bernoulli": random
 * spike patterns with uniformly drawn class labels, the synthetic stand-in
 * for the Spiking Heidelberg Digits of the peers' benchmark (workload 2c
 * of ../shared/peers/README.md: 700 channels, 100 steps of 1 ms, each
 * entry a spike with probability 0.01, labels uniform in 0 … 19).
 *
 * Sample i:
 *   input  [n_steps][n_channels]: 1.0 where a uniform draw u < p, else 0
 *          (step by step, channel by channel), n_steps = round(duration/dt);
 *   target [1][n_out]: one-hot at the label, drawn uniformly from
 *          0 … n_out − 1 before the input (floor(u·n_out)).
 * Keys: n_samples 1280, n_channels 700, n_out 20, duration 0.1 s, dt 1e-3 s,
 *       p 0.01, seed 0.
 *
 * Sample i comes from its own stream xRngSeed(seed, "bernoulli.sample.<i>"),
 * so xGet needs no state, any order of calls gives the same samples and
 * more samples leave the first ones as they were. The peers draw theirs
 * with torch.rand from one generator: the same distribution, other
 * numbers.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "spikelab/spikelab.h"
#include "bernoulli.h"

typedef struct bernoulli {
    const sl_host *host;
    sl_ctx *ctx; /* borrowed, valid until xDestroy */
    size_t n_samples, n_channels, n_steps, n_out;
    double p;
    uint64_t seed;
} bernoulli;

static int get_count(const sl_host *h, sl_ctx *ctx, const char *key,
                     int64_t def, size_t *out)
{
    int64_t v;
    int rc = h->xGetInt(ctx, key, def, &v);
    if (rc)
        return rc;
    if (v < 1 || v > 1000000000)
        return h->xError(ctx, key, SL_ECONFIG,
                         "%s = %lld is out of range: use 1 to 1e9", key,
                         (long long)v);
    *out = (size_t)v;
    return SL_OK;
}

static void be_destroy(void *self)
{
    bernoulli *b = self;
    if (b)
        b->host->xFree(b);
}

static int be_create(const sl_host *h, sl_ctx *ctx, void **self,
                     sl_dataset_info *info)
{
    size_t n_samples, n_channels, n_out;
    double duration, dt, p;
    int64_t seed;
    int rc;
    if (self == NULL)
        return h->xError(ctx, NULL, SL_EINVAL, "xCreate: NULL output");
    *self = NULL;
    if (info && !SL_HAS_FIELD(sl_dataset_info, info, dt))
        return h->xError(ctx, NULL, SL_EINVAL,
                         "sl_dataset_info too small (%u bytes)",
                         (unsigned)info->struct_size);
    if ((rc = get_count(h, ctx, "n_samples", 1280, &n_samples)) ||
        (rc = get_count(h, ctx, "n_channels", 700, &n_channels)) ||
        (rc = get_count(h, ctx, "n_out", 20, &n_out)) ||
        (rc = h->xGetFloat(ctx, "duration", 0.1, &duration)) ||
        (rc = h->xGetFloat(ctx, "dt", 1e-3, &dt)) ||
        (rc = h->xGetFloat(ctx, "p", 0.01, &p)) ||
        (rc = h->xGetInt(ctx, "seed", 0, &seed)))
        return rc;
    if (!(dt > 0) || !isfinite(dt))
        return h->xError(ctx, "dt", SL_ECONFIG,
                         "dt must be a positive time in seconds (got %g)",
                         dt);
    const double steps = duration / dt, n_round = nearbyint(steps);
    if (!isfinite(steps) || n_round < 1 || n_round > 1e9 ||
        fabs(steps - n_round) > 1e-6 * n_round)
        return h->xError(ctx, "duration", SL_ECONFIG,
                         "duration / dt = %.9g is not a whole number of "
                         "steps >= 1: make duration a multiple of dt",
                         steps);
    if (!(p >= 0 && p <= 1))
        return h->xError(ctx, "p", SL_ECONFIG,
                         "p = %g is not a probability: use 0 to 1", p);
    /* the core holds n_samples·n_steps·n_channels floats: keep it in size_t */
    if ((double)n_samples * n_round * (double)n_channels >
        (double)(SIZE_MAX / sizeof(float)))
        return h->xError(ctx, "n_samples", SL_ENOMEM,
                         "%zu samples of %.0f x %zu floats are too many",
                         n_samples, n_round, n_channels);
    bernoulli *b = h->xAlloc(sizeof *b);
    if (b == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory (bernoulli)");
    b->host = h;
    b->ctx = ctx;
    b->n_samples = n_samples;
    b->n_channels = n_channels;
    b->n_steps = (size_t)n_round;
    b->n_out = n_out;
    b->p = p;
    b->seed = (uint64_t)seed;
    if (info) {
        info->n_samples = n_samples;
        info->n_steps = b->n_steps;
        info->n_in = n_channels;
        info->n_out = n_out;
        info->target_steps = 1;
        info->dt = dt;
    }
    *self = b;
    return SL_OK;
}

/* Sample `index`: input [n_steps][n_channels], target [1][n_out], both
 * caller-owned, either may be NULL. Allocates nothing. */
static int be_get(void *self, size_t index, float *input, float *target)
{
    bernoulli *b = self;
    const sl_host *h = b->host;
    if (index >= b->n_samples)
        return h->xError(b->ctx, NULL, SL_EINVAL,
                         "bernoulli: sample %zu requested, only %zu exist",
                         index, b->n_samples);
    char purpose[64];
    snprintf(purpose, sizeof purpose, "bernoulli.sample.%zu", index);
    sl_rng rng;
    h->xRngSeed(&rng, b->seed, purpose);
    size_t label = (size_t)(h->xRngUniform(&rng) * (double)b->n_out);
    if (label >= b->n_out)
        label = b->n_out - 1;
    if (input) {
        const size_t ne = b->n_steps * b->n_channels;
        for (size_t k = 0; k < ne; k++)
            input[k] = h->xRngUniform(&rng) < b->p ? 1.0f : 0.0f;
    }
    if (target) {
        memset(target, 0, b->n_out * sizeof *target);
        target[label] = 1.0f;
    }
    return SL_OK;
}

static const void *be_extension(void *self, const char *name)
{
    (void)self;
    (void)name;
    return NULL;
}

const sl_dataset_iface bern__iface = {
    .struct_size = sizeof(sl_dataset_iface),
    .flags = 0,
    .xCreate = be_create,
    .xDestroy = be_destroy,
    .xGet = be_get,
    .xExtension = be_extension,
};
