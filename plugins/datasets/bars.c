/*
 * plugins/datasets/bars.c — "bars": a tiny image task for convolutional
 * networks. Each sample is a size x size image holding one bar, horizontal
 * (class 0) or vertical (class 1), of `length` pixels at a random row or
 * column and offset, shown as Bernoulli spikes: every step, each pixel of
 * the bar spikes with probability rate_on·dt, every other pixel with
 * rate_off·dt (background noise).
 *   input  [n_steps][size·size], pixel (h, w) at h·size + w (a 1 x size x
 *          size image in PyTorch order: in_shape = [1, size, size]);
 *   target [1][2] one-hot at the class (broadcast over time by the loss).
 * Sample i has class i mod 2 (balanced) and is drawn from its own stream,
 * xRngSeed(seed, "bars.sample.<i>"): position first, then the spikes step
 * by step, pixel by pixel. So xGet needs no state, any order of calls
 * gives the same samples, and two seeds give independent sets (a training
 * and a test set). Why a bar: its class does not depend on where it is,
 * which a convolution with pooling captures, while a single linear
 * readout of the pixels cannot separate the classes (a weight sum that is
 * positive along every row and negative along every column is
 * impossible).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "bars.h"

typedef struct bars {
    const sl_host *host;
    sl_ctx *ctx; /* borrowed, valid until xDestroy */
    size_t n_samples, size, length, n_steps;
    double p_on, p_off; /* spike probability per step */
    uint64_t seed;
} bars;

static int bars_create(const sl_host *h, sl_ctx *ctx, void **self,
                       sl_dataset_info *info)
{
    int64_t n_samples, size, length, seed;
    double duration, dt, rate_on, rate_off;
    int rc;
    *self = NULL;
    if ((rc = h->xGetInt(ctx, "n_samples", 64, &n_samples)) ||
        (rc = h->xGetInt(ctx, "size", 8, &size)) ||
        (rc = h->xGetInt(ctx, "length", 4, &length)) ||
        (rc = h->xGetFloat(ctx, "duration", 0.05, &duration)) ||
        (rc = h->xGetFloat(ctx, "dt", 1e-3, &dt)) ||
        (rc = h->xGetFloat(ctx, "rate_on", 200.0, &rate_on)) ||
        (rc = h->xGetFloat(ctx, "rate_off", 20.0, &rate_off)) ||
        (rc = h->xGetInt(ctx, "seed", 0, &seed)))
        return rc;
    if (length > size)
        return h->xError(ctx, "length", SL_ECONFIG,
                         "a bar of %lld pixels does not fit in an image of "
                         "%lld: length must be <= size",
                         (long long)length, (long long)size);
    double steps = duration / dt;
    if (!(steps >= 0.5) || steps > 1e7 ||
        fabs(round(steps) - steps) > 1e-6 * steps)
        return h->xError(ctx, "duration", SL_ECONFIG,
                         "duration %g s must be a whole number (>= 1) of "
                         "dt = %g s",
                         duration, dt);
    if (rate_on * dt > 1.0 || rate_off * dt > 1.0)
        return h->xError(ctx, rate_on * dt > 1.0 ? "rate_on" : "rate_off",
                         SL_ECONFIG,
                         "rate·dt must be <= 1 (at most one spike per pixel "
                         "and step): rate_on·dt = %g, rate_off·dt = %g",
                         rate_on * dt, rate_off * dt);
    bars *b = h->xAlloc(sizeof *b);
    if (!b)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory creating bars");
    b->host = h;
    b->ctx = ctx;
    b->n_samples = (size_t)n_samples;
    b->size = (size_t)size;
    b->length = (size_t)length;
    b->n_steps = (size_t)round(steps);
    b->p_on = rate_on * dt;
    b->p_off = rate_off * dt;
    b->seed = (uint64_t)seed;
    if (info) {
        info->n_samples = b->n_samples;
        info->n_steps = b->n_steps;
        info->n_in = b->size * b->size;
        info->n_out = 2;
        info->target_steps = 1;
        info->dt = dt;
    }
    *self = b;
    return SL_OK;
}

static void bars_destroy(void *self)
{
    bars *b = self;
    if (b)
        b->host->xFree(b);
}

/* Sample `index`: input [n_steps][size·size], target [1][2]; both
 * caller-owned, either may be NULL. Allocates nothing. */
static int bars_get(void *self, size_t index, float *input, float *target)
{
    bars *b = self;
    const sl_host *h = b->host;
    if (index >= b->n_samples)
        return h->xError(b->ctx, NULL, SL_EINVAL,
                         "bars: sample %zu requested, only %zu exist", index,
                         b->n_samples);
    const size_t cls = index % 2, S = b->size;
    if (target) {
        target[0] = cls == 0 ? 1.0f : 0.0f;
        target[1] = cls == 1 ? 1.0f : 0.0f;
    }
    if (!input)
        return SL_OK;
    char purpose[48];
    snprintf(purpose, sizeof purpose, "bars.sample.%zu", index);
    sl_rng rng;
    h->xRngSeed(&rng, b->seed, purpose);
    /* the bar: row (or column) `line`, from `start` for `length` pixels */
    size_t line = (size_t)(h->xRngUniform(&rng) * (double)S);
    size_t start = (size_t)(h->xRngUniform(&rng) *
                            (double)(S - b->length + 1));
    if (line >= S) /* xRngUniform < 1, but keep the bound exact */
        line = S - 1;
    if (start > S - b->length)
        start = S - b->length;
    for (size_t t = 0; t < b->n_steps; t++) {
        float *x = input + t * S * S;
        for (size_t r = 0; r < S; r++)
            for (size_t c = 0; c < S; c++) {
                size_t across = cls == 0 ? r : c, along = cls == 0 ? c : r;
                int on = across == line && along >= start &&
                         along < start + b->length;
                double p = on ? b->p_on : b->p_off;
                x[r * S + c] = h->xRngUniform(&rng) < p ? 1.0f : 0.0f;
            }
    }
    return SL_OK;
}

static const void *bars_extension(void *self, const char *name)
{
    (void)self;
    (void)name;
    return NULL;
}

const sl_dataset_iface bars__iface = {
    .struct_size = sizeof(sl_dataset_iface),
    .flags = 0,
    .xCreate = bars_create,
    .xDestroy = bars_destroy,
    .xGet = bars_get,
    .xExtension = bars_extension,
};
