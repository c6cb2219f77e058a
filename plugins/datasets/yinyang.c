/*
 * plugins/datasets/yinyang.c — dataset component "yinyang": the Yin-Yang
 * classification task of Kriener, Göltz & Petrovici (2021) with the
 * time-to-first-spike input encoding of hxtorch's BSS-2 example
 * (specs/yinyang.md §1, §2, §3.2).
 *
 * Geometry (spec §1): points (x, y) in the unit disc of radius r_big = 0.5
 * around (0.5, 0.5); two dots of radius r_small = 0.1 at (0.25, 0.5) and
 * (0.75, 0.5). Label 2 inside a dot, else 1 in the region Kriener's code
 * calls "is_yin", else 0 (only the numbers matter). Classes 0 and 1 have
 * equal area (0.3613 of the unit square each), the dots 0.0628.
 *
 * Sample i:
 *   input  [n_steps][5]: one spike (1.0) per channel, channels
 *          x, y, 1 − x, 1 − y, bias; the spike of feature f at step
 *          round((t_early + f·(t_late − t_early))/dt), the bias spike at
 *          step floor(t_bias/dt) (hxtorch's int()); n_steps =
 *          round(t_sim/dt).
 *   target [1][3]: one-hot at the label (target_steps = 1). This is what
 *          the cross_entropy loss reads (target step 0 as probabilities)
 *          and what the core's "accuracy" evaluation reads (arg-max of the
 *          time-averaged target vs. arg-max of the output's spike count or
 *          maximum over time).
 *
 * Settings (the dataset's group):
 *   size       5000    number of samples (>= 1); hxtorch's train set
 *                      (its test set: size = 1000)
 *   seed       absent  an integer fixes the set by itself (stream
 *                      xRngSeed(seed, "yinyang")); absent, the set comes
 *                      from the run's seed stream xRngDerive(ctx,
 *                      "yinyang"), so it depends on (run seed, this
 *                      dataset's name): train and test sets of one run
 *                      differ, and the run seed reproduces both
 *   algorithm  "kriener"  "kriener": for each sample draw a goal class
 *                      uniformly from {0, 1, 2}, then draw points
 *                      uniformly in the unit square, rejecting those
 *                      outside the disc (distance > r_big), until one has
 *                      the goal label (Kriener's dataset.py; classes
 *                      balanced in expectation).
 *                      "balanced": jaxsnn's exact balance — draw
 *                      10·size + 100 candidates, keep in candidate order
 *                      the first size/3 of class 0, size/3 of class 1 and
 *                      size − 2·(size/3) dots (candidates at distance
 *                      >= r_big are invalid), concatenate the classes and
 *                      shuffle (Fisher-Yates, stream purpose
 *                      "yinyang.permute").
 *   encoding   "spike_time"  the input above; "current": every step
 *                      carries the five feature values (x, y, 1 − x, 1 − y,
 *                      1) as a constant current, the coding of the peers'
 *                      benchmark (../shared/peers/README.md, workload 2b);
 *                      t_early, t_late and t_bias do not apply then
 *              "events": an event sequence (spikelab/events.h) of one
 *                      slot: input [1][5·duplicate], the spike time
 *                      t_early + f·(t_late − t_early) of each feature f
 *                      and t_bias of the bias, each channel repeated
 *                      `duplicate` times on its own input (channel
 *                      feature·duplicate + copy): jaxsnn's
 *                      spatio_temporal_encode (yinyang.md §3.1; it has
 *                      t_early = t_bias = 0, t_late = 2·tau_syn); exact
 *                      times, no dt grid; t_sim is not used
 *   duplicate  1       events: copies of each channel (jaxsnn's BSS-2
 *                      examples: 5, so 25 inputs)
 *   t_early    2e-6 s  spike time of feature 0
 *   t_late     26e-6 s spike time of feature 1 (> t_early)
 *   t_bias     2e-6 s  bias spike time
 *   t_sim      38e-6 s sequence length, a whole number of dt
 *   dt         1e-6 s  time step (the network's dt must match)
 *
 * Choices where the spec is silent or open:
 *  - Any RNG, same algorithms (spec §2, open question 2): the project's
 *    xoshiro streams, not NumPy's MT19937 or JAX's threefry; so the points
 *    differ from the Python references, the distributions do not.
 *  - Kriener's generator draws from one sequential stream: the whole set
 *    is generated in xCreate (2 doubles and a label per sample) and xGet
 *    only encodes; any order of xGet gives the same samples.
 *  - "balanced" never returns fewer samples than asked (jaxsnn would, if
 *    the candidates ran out: open question 3): it keeps drawing
 *    candidates past 10·size + 100 until every class is full.
 *  - Rounding of the spike steps: round half to even (nearbyint, as
 *    torch.round) of the double quotient; the bias step is the floor of
 *    t_bias/dt allowing 1e-9 relative rounding noise (3e-4/1e-4 is
 *    2.9999999999999996 in double; hxtorch's int() would give 2, we give
 *    3, the evident intent; with the defaults both give 2). Every step must fall inside [0, n_steps):
 *    otherwise an error at creation, never a silently lost spike.
 *  - Features in float64 from the stored points; 1 − x is exact.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "spikelab/spikelab.h"
#include "yinyang.h"

#define YY_R_BIG 0.5
#define YY_R_SMALL 0.1
#define YY_N_IN 5
#define YY_N_OUT 3

enum { ALG_KRIENER, ALG_BALANCED };

typedef struct yinyang {
    const sl_host *host;
    sl_ctx *ctx; /* borrowed, valid until xDestroy */
    size_t size, n_steps;
    double t_early, t_late, t_bias, dt;
    int current;      /* encoding = "current" */
    int events;       /* encoding = "events" */
    size_t dup;       /* events: copies of each input channel */
    double *xy;       /* [size][2] points (owned) */
    unsigned char *label; /* [size] (owned) */
} yinyang;

/* ------------------------------------------------------------ geometry */

/* Spec §1: 0, 1 or 2; -1 outside the big circle (d > r_big). */
static int yy_label(double x, double y)
{
    const double rb = YY_R_BIG, rs = YY_R_SMALL;
    if (hypot(x - rb, y - rb) > rb)
        return -1;
    const double d_r = hypot(x - 1.5 * rb, y - rb);
    const double d_l = hypot(x - 0.5 * rb, y - rb);
    const int c1 = d_r <= rs;
    const int c2 = d_l > rs && d_l <= 0.5 * rb;
    const int c3 = y > rb && d_r > 0.5 * rb;
    if (d_r < rs || d_l < rs)
        return 2;
    return (c1 || c2 || c3) ? 1 : 0;
}

/* A point uniform in [0, 2 r_big)² = [0, 1)². */
static void draw_point(const sl_host *h, sl_rng *rng, double *x, double *y)
{
    *x = h->xRngUniform(rng) * 2.0 * YY_R_BIG;
    *y = h->xRngUniform(rng) * 2.0 * YY_R_BIG;
}

/* Kriener's rejection sampler with a goal class per sample. */
static void gen_kriener(yinyang *d, sl_rng *rng)
{
    const sl_host *h = d->host;
    for (size_t i = 0; i < d->size; i++) {
        /* goal uniform in {0, 1, 2}: 3·U ∈ [0, 3) */
        int goal = (int)(3.0 * h->xRngUniform(rng));
        if (goal > 2)
            goal = 2;
        double x, y;
        for (;;) {
            draw_point(h, rng, &x, &y);
            if (yy_label(x, y) == goal) /* -1 outside: rejected */
                break;
        }
        d->xy[2 * i] = x;
        d->xy[2 * i + 1] = y;
        d->label[i] = (unsigned char)goal;
    }
}

/* jaxsnn's exact balance (see the header). Candidates are drawn one at a
 * time and filed straight into their class's block, which is the same as
 * drawing all of them first and taking the first n_c of each class. */
static void gen_balanced(yinyang *d, sl_rng *rng, sl_rng *perm)
{
    const sl_host *h = d->host;
    const size_t third = d->size / 3;
    const size_t want[3] = {third, third, d->size - 2 * third};
    const size_t start[3] = {0, third, 2 * third};
    size_t have[3] = {0, 0, 0};
    while (have[0] < want[0] || have[1] < want[1] || have[2] < want[2]) {
        double x, y;
        draw_point(h, rng, &x, &y);
        /* jaxsnn marks distance >= r_big invalid (the kriener sampler
         * rejects > r_big; the difference has probability 0) */
        if (hypot(x - YY_R_BIG, y - YY_R_BIG) >= YY_R_BIG)
            continue;
        const int c = yy_label(x, y);
        if (have[c] == want[c])
            continue;
        const size_t i = start[c] + have[c]++;
        d->xy[2 * i] = x;
        d->xy[2 * i + 1] = y;
        d->label[i] = (unsigned char)c;
    }
    /* Fisher-Yates: position i swaps with j uniform in [0, i] */
    for (size_t i = d->size; i-- > 1;) {
        size_t j = (size_t)(h->xRngUniform(perm) * (double)(i + 1));
        if (j > i)
            j = i;
        double tx = d->xy[2 * i], ty = d->xy[2 * i + 1];
        unsigned char tl = d->label[i];
        d->xy[2 * i] = d->xy[2 * j];
        d->xy[2 * i + 1] = d->xy[2 * j + 1];
        d->label[i] = d->label[j];
        d->xy[2 * j] = tx;
        d->xy[2 * j + 1] = ty;
        d->label[j] = tl;
    }
}

/* ------------------------------------------------------------ encoding */

static long step_of(const yinyang *d, double f)
{
    return (long)nearbyint((d->t_early + f * (d->t_late - d->t_early)) /
                           d->dt);
}

static long bias_step(const yinyang *d)
{
    return (long)floor(d->t_bias / d->dt * (1.0 + 1e-9));
}

/* ------------------------------------------------------------ lifecycle */

static void yy_destroy(void *self)
{
    yinyang *d = self;
    if (d == NULL)
        return;
    d->host->xFree(d->xy);
    d->host->xFree(d->label);
    d->host->xFree(d);
}

/* A time setting in seconds: finite and >= 0 (> 0 when `positive`). */
static int get_time(const sl_host *h, sl_ctx *ctx, const char *key,
                    double def, int positive, double *out)
{
    int rc = h->xGetFloat(ctx, key, def, out);
    if (rc != SL_OK)
        return rc;
    if (!isfinite(*out) || *out < 0 || (positive && *out == 0))
        return h->xError(ctx, key, SL_ECONFIG,
                         "%s = %g s must be %s (default %g s)", key, *out,
                         positive ? "> 0" : ">= 0", def);
    return SL_OK;
}

static int yy_create(const sl_host *h, sl_ctx *ctx, void **self,
                     sl_dataset_info *info)
{
    int64_t size, seed = 0;
    const char *alg;
    double t_early, t_late, t_bias, t_sim, dt;
    int rc, algorithm, has_seed;
    if (self == NULL)
        return h->xError(ctx, NULL, SL_EINVAL, "xCreate: NULL output");
    *self = NULL;
    if (info && !SL_HAS_FIELD(sl_dataset_info, info, dt))
        return h->xError(ctx, NULL, SL_EINVAL,
                         "sl_dataset_info too small (%u bytes)",
                         (unsigned)info->struct_size);
    if ((rc = h->xGetInt(ctx, "size", 5000, &size)) != SL_OK)
        return rc;
    if (size < 1 || size > 100000000)
        return h->xError(ctx, "size", SL_ECONFIG,
                         "size = %lld samples is out of range: use 1 to "
                         "1e8 (hxtorch: 5000 train, 1000 test)",
                         (long long)size);
    has_seed = h->xHasKey(ctx, "seed");
    if (has_seed && (rc = h->xGetInt(ctx, "seed", 0, &seed)) != SL_OK)
        return rc;
    if ((rc = h->xGetString(ctx, "algorithm", "kriener", &alg)) != SL_OK)
        return rc;
    if (strcmp(alg, "kriener") == 0)
        algorithm = ALG_KRIENER;
    else if (strcmp(alg, "balanced") == 0)
        algorithm = ALG_BALANCED;
    else
        return h->xError(ctx, "algorithm", SL_ECONFIG,
                         "algorithm = \"%s\" is not known: use \"kriener\" "
                         "(rejection sampling with a goal class) or "
                         "\"balanced\" (exactly size/3 per class, jaxsnn)",
                         alg);
    const char *enc;
    if ((rc = h->xGetString(ctx, "encoding", "spike_time", &enc)) != SL_OK)
        return rc;
    const int current = strcmp(enc, "current") == 0;
    const int events = strcmp(enc, "events") == 0;
    int64_t dup = 1;
    if (events && (rc = h->xGetInt(ctx, "duplicate", 1, &dup)) != SL_OK)
        return rc;
    if (!current && !events && strcmp(enc, "spike_time") != 0)
        return h->xError(ctx, "encoding", SL_ECONFIG,
                         "encoding = \"%s\" is not known: use "
                         "\"spike_time\" (one spike per feature) or "
                         "\"current\" (the features as a constant current) "
                         "or \"events\" (exact spike times)",
                         enc);
    /* the spike times do not apply to a constant current: left unread,
     * so that setting one is refused as unused */
    t_early = 2e-6, t_late = 26e-6, t_bias = 2e-6, t_sim = 38e-6;
    if ((!current &&
         ((rc = get_time(h, ctx, "t_early", 2e-6, 0, &t_early)) ||
          (rc = get_time(h, ctx, "t_late", 26e-6, 1, &t_late)) ||
          (rc = get_time(h, ctx, "t_bias", 2e-6, 0, &t_bias)))) ||
        (!events && (rc = get_time(h, ctx, "t_sim", 38e-6, 1, &t_sim))) ||
        (rc = get_time(h, ctx, "dt", 1e-6, 1, &dt)))
        return rc;
    if (!(t_late > t_early))
        return h->xError(ctx, "t_late", SL_ECONFIG,
                         "t_late = %g s must be later than t_early = %g s",
                         t_late, t_early);
    if (events)
        t_sim = dt; /* one slot per channel */
    const double steps = t_sim / dt, n_round = nearbyint(steps);
    if (n_round < 1 || n_round > 1e9 ||
        fabs(steps - n_round) > 1e-6 * n_round)
        return h->xError(ctx, "t_sim", SL_ECONFIG,
                         "t_sim / dt = %.9g is not a whole number of steps "
                         ">= 1: make t_sim a multiple of dt (defaults 38e-6 "
                         "and 1e-6 s)",
                         steps);

    yinyang *d = h->xAlloc(sizeof *d);
    if (d == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory (yinyang)");
    d->host = h;
    d->ctx = ctx;
    d->size = (size_t)size;
    d->n_steps = (size_t)n_round;
    d->t_early = t_early;
    d->t_late = t_late;
    d->t_bias = t_bias;
    d->dt = dt;
    d->current = current;
    d->events = events;
    d->dup = (size_t)dup;
    /* features lie in [0, 1] (1 − x is 1 at x = 0): the latest spike is
     * that of feature 1 */
    const long last = step_of(d, 1.0), first = step_of(d, 0.0),
               bias = bias_step(d);
    if (!current && !events && (first < 0 || last >= (long)d->n_steps)) {
        yy_destroy(d);
        return h->xError(ctx, "t_late", SL_ECONFIG,
                         "the feature spikes fall on steps %ld..%ld, "
                         "outside the %zu steps of t_sim = %g s: raise "
                         "t_sim above t_late = %g s",
                         first, last, (size_t)n_round, t_sim, t_late);
    }
    if (!current && !events && bias >= (long)d->n_steps) {
        yy_destroy(d);
        return h->xError(ctx, "t_bias", SL_ECONFIG,
                         "t_bias = %g s is at step %ld, past the %zu steps "
                         "of t_sim = %g s",
                         t_bias, bias, (size_t)n_round, t_sim);
    }
    d->xy = h->xAlloc(d->size * 2 * sizeof *d->xy);
    d->label = h->xAlloc(d->size);
    if (d->xy == NULL || d->label == NULL) {
        yy_destroy(d);
        return h->xError(ctx, "size", SL_ENOMEM,
                         "out of memory for %zu yinyang samples",
                         (size_t)size);
    }
    sl_rng rng, perm;
    if (has_seed) {
        h->xRngSeed(&rng, (uint64_t)seed, "yinyang");
        h->xRngSeed(&perm, (uint64_t)seed, "yinyang.permute");
    } else {
        h->xRngDerive(ctx, "yinyang", &rng);
        h->xRngDerive(ctx, "yinyang.permute", &perm);
    }
    if (algorithm == ALG_KRIENER)
        gen_kriener(d, &rng);
    else
        gen_balanced(d, &rng, &perm);

    if (info) {
        info->n_samples = d->size;
        info->n_steps = d->n_steps;
        info->n_in = events ? YY_N_IN * d->dup : YY_N_IN;
        info->n_out = YY_N_OUT;
        info->target_steps = 1;
        info->dt = dt;
    }
    *self = d;
    return SL_OK;
}

/* Sample `index`: input [n_steps][5], target [1][3]; either may be NULL.
 * Allocates nothing. */
static int yy_get(void *self, size_t index, float *input, float *target)
{
    yinyang *d = self;
    if (index >= d->size)
        return d->host->xError(d->ctx, NULL, SL_EINVAL,
                               "yinyang: sample %zu requested, only %zu "
                               "exist",
                               index, d->size);
    if (input) {
        const double x = d->xy[2 * index], y = d->xy[2 * index + 1];
        const double f[4] = {x, y, 1.0 - x, 1.0 - y};
        if (d->events) {
            const double tf = d->t_late - d->t_early;
            for (size_t c = 0; c < YY_N_IN; c++) {
                double t = c < 4 ? d->t_early + f[c] * tf : d->t_bias;
                for (size_t k = 0; k < d->dup; k++)
                    input[c * d->dup + k] = (float)t;
            }
            goto target;
        }
        if (d->current) {
            const float c[YY_N_IN] = {(float)f[0], (float)f[1], (float)f[2],
                                      (float)f[3], 1.0f};
            /* a loop the compiler unrolls, not a 20-byte memcpy call per
             * step (3.7 % of bench_yinyang's time) */
            for (size_t t = 0; t < d->n_steps; t++)
                for (size_t k = 0; k < YY_N_IN; k++)
                    input[t * YY_N_IN + k] = c[k];
            goto target;
        }
        memset(input, 0, d->n_steps * YY_N_IN * sizeof *input);
        for (size_t c = 0; c < 4; c++)
            input[(size_t)step_of(d, f[c]) * YY_N_IN + c] = 1.0f;
        input[(size_t)bias_step(d) * YY_N_IN + 4] = 1.0f;
    }
target:
    if (target) {
        memset(target, 0, YY_N_OUT * sizeof *target);
        target[d->label[index]] = 1.0f;
    }
    return SL_OK;
}

/* ------------------------------------------------------------ debug ext */

static int dbg_point(void *self, size_t i, double *x, double *y, int *label)
{
    yinyang *d = self;
    if (i >= d->size || !x || !y || !label)
        return SL_EINVAL;
    *x = d->xy[2 * i];
    *y = d->xy[2 * i + 1];
    *label = d->label[i];
    return SL_OK;
}

static long dbg_step(void *self, double f) { return step_of(self, f); }
static long dbg_bias_step(void *self) { return bias_step(self); }

static const sl_yinyang_debug yy_debug = {
    sizeof(sl_yinyang_debug), yy_label, dbg_point, dbg_step, dbg_bias_step,
};

static const void *yy_extension(void *self, const char *name)
{
    (void)self;
    if (name != NULL && strcmp(name, SL_YINYANG_DEBUG) == 0)
        return &yy_debug;
    return NULL;
}

const sl_dataset_iface yy__iface = {
    .struct_size = sizeof(sl_dataset_iface),
    .flags = 0,
    .xCreate = yy_create,
    .xDestroy = yy_destroy,
    .xGet = yy_get,
    .xExtension = yy_extension,
};
