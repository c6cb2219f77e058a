/*
 * plugins/datasets/datasets.c — synthetic datasets: "frozen_noise" (here),
 * "yinyang" (yinyang.c: the Yin-Yang task, spike-time or current
 * encoded), "bars" (bars.c: oriented bars in a small image) and
 * "bernoulli" (bernoulli.c: random spike patterns, random labels).
 *
 * frozen_noise (specs/dynapsim.md §7): each sample is a fixed ("frozen")
 * Poisson noise pattern; the task is to map sample i to output channel
 * i mod n_out.
 *   input  [n_steps][n_channels], float Poisson COUNTS with mean rate·dt
 *          per channel per step, n_steps = round(duration/dt);
 *   target [1][n_out] one-hot at channel i mod n_out (target_steps = 1:
 *          broadcast over time by the loss).
 * Keys: n_samples 2, n_channels 60, duration 0.5 s, rate 50 Hz,
 *       dt 1e-3 s, n_out 2, seed 0 (int), numpy_seed (unset; see below).
 *
 * Determinism and random access: sample i is drawn from its own stream,
 * host->xRngSeed(&rng, seed, "frozen_noise.sample.<i>") — the index is part
 * of the purpose string that the host hashes into the seed. So a sample
 * depends only on (seed, i, rate, dt, n_steps, n_channels): xGet(i) needs
 * no state, any order of xGet calls gives the same samples, and growing
 * n_samples leaves the earlier samples unchanged. Within a sample the
 * draws go step by step, channel by channel (row-major order of the input).
 * The run seed is deliberately not used: the data set is fixed by its own
 * `seed` key (the spec's training set is seed 2022, test set 2023).
 *
 * numpy_seed = s (spec §9 question 6): the samples of the tutorial itself,
 * bit for bit — np.random.seed(s); np.random.poisson(rate·dt,
 * (n_samples, n_steps, n_channels)), i.e. one MT19937 stream with NumPy's
 * legacy seeding (spikelab/slaux_mt19937.h), sample after sample,
 * each count by NumPy's multiplication method for a mean below 10:
 *   X = 0, prod = 1; loop { prod *= U (the legacy 53-bit double);
 *                           prod > exp(-mean) ? X++ : return X }
 * (rate·dt <= 1 here, so the mean is always below 10). For random access
 * xCreate keeps the generator state at the start of every sample (2.5 kB
 * each). `seed` is then unused. Checked against NumPy 1.24.2
 * (tests/test_datasets.c).
 *
 * The spec calls an input with no spike at all an error; xCreate therefore
 * draws every sample once (cheap: n_samples·n_steps·n_channels Poisson
 * draws) and refuses such a data set with SL_EDATA.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "spikelab/spikelab.h"
#include "spikelab/slaux_mt19937.h"
#include "bernoulli.h"
#include "yinyang.h"
#include "bars.h"

#define DATASETS_VERSION "0.1.0"

/* One frozen_noise instance; owned by the core through xCreate/xDestroy.
 * Holds only its settings: samples are regenerated on every xGet. */
typedef struct frozen_noise {
    const sl_host *host;
    sl_ctx *ctx; /* borrowed, valid until xDestroy */
    size_t n_samples, n_channels, n_steps, n_out;
    double mean; /* rate·dt: expected count per channel per step */
    uint64_t seed;
    slaux_mt *np_start; /* numpy_seed: stream state at each sample's start */
    /* The samples as drawn at creation, sparse: sample i's spikes are the
     * positions spk[i][0..spk_n[i]) in [n_steps][n_channels] (a count of
     * c at one position appears c times). fn_get then copies instead of
     * drawing every sample a second time: the draws were a third of a
     * 300-epoch frozen_noise_lif run's CPU time (bench/README.md,
     * sweep_jobs.sh). NULL above FN_CACHE_MAX bytes: drawn again. */
    uint32_t **spk;
    size_t *spk_n;
} frozen_noise;

#define FN_CACHE_MAX ((size_t)64 << 20)

/* NumPy's legacy Poisson count for mean < 10 (multiplication method). */
static uint32_t np_poisson(slaux_mt *mt, double enlam)
{
    uint32_t x = 0;
    double prod = 1.0;
    for (;;) {
        prod *= slaux_mt_double(mt);
        if (prod > enlam)
            x++;
        else
            return x;
    }
}

static void sample_rng(const frozen_noise *f, size_t index, sl_rng *rng)
{
    char purpose[64];
    snprintf(purpose, sizeof purpose, "frozen_noise.sample.%zu", index);
    f->host->xRngSeed(rng, f->seed, purpose);
}

/* Fill input [n_steps][n_channels] of sample `index`; returns the total
 * spike count. numpy_seed: *next (if not NULL) gets the stream state after
 * the sample, i.e. the next sample's start. */
static double draw_input(const frozen_noise *f, size_t index, float *input,
                         slaux_mt *next)
{
    size_t n = f->n_steps * f->n_channels;
    double total = 0.0;
    if (f->np_start) {
        slaux_mt mt = f->np_start[index];
        double enlam = exp(-f->mean);
        /* NumPy returns 0 for a mean of 0 without drawing */
        for (size_t k = 0; k < n; k++) {
            uint32_t c = f->mean > 0 ? np_poisson(&mt, enlam) : 0;
            input[k] = (float)c;
            total += c;
        }
        if (next)
            *next = mt;
        return total;
    }
    sl_rng rng;
    sample_rng(f, index, &rng);
    for (size_t k = 0; k < n; k++) {
        uint32_t c = f->host->xRngPoisson(&rng, f->mean);
        input[k] = (float)c;
        total += c;
    }
    return total;
}

/* Drop the kept samples (f->spk); fn_get draws them again. */
static void fn_uncache(frozen_noise *f, size_t n_samples)
{
    if (f->spk)
        for (size_t i = 0; i < n_samples; i++)
            f->host->xFree(f->spk[i]);
    f->host->xFree(f->spk);
    f->host->xFree(f->spk_n);
    f->spk = NULL;
    f->spk_n = NULL;
}

/* Read a non-negative-bounded integer key into a size_t (>= lo). */
static int get_count(const sl_host *h, sl_ctx *ctx, const char *key,
                     int64_t def, int64_t lo, int64_t hi, const char *hint,
                     size_t *out)
{
    int64_t v;
    int rc = h->xGetInt(ctx, key, def, &v);
    if (rc != SL_OK)
        return rc;
    if (v < lo || v > hi)
        return h->xError(ctx, key, SL_ECONFIG,
                         "%s = %lld is out of range: %s", key, (long long)v,
                         hint);
    *out = (size_t)v;
    return SL_OK;
}

static int fn_create(const sl_host *h, sl_ctx *ctx, void **self,
                     sl_dataset_info *info)
{
    size_t n_samples, n_channels, n_out;
    double duration, rate, dt;
    int64_t seed, np_seed;
    int rc;
    if (info && !SL_HAS_FIELD(sl_dataset_info, info, dt))
        return h->xError(ctx, NULL, SL_EINVAL,
                         "sl_dataset_info too small (%u bytes)",
                         (unsigned)info->struct_size);
    /* 1e9 caps keep the size products below far from overflow */
    if ((rc = get_count(h, ctx, "n_samples", 2, 1, 1000000000,
                        "need at least 1 sample", &n_samples)) ||
        (rc = get_count(h, ctx, "n_channels", 60, 1, 1000000000,
                        "need at least 1 input channel", &n_channels)) ||
        (rc = get_count(h, ctx, "n_out", 2, 1, 1000000000,
                        "need at least 1 output channel (class)", &n_out)))
        return rc;
    if ((rc = h->xGetFloat(ctx, "duration", 0.5, &duration)) ||
        (rc = h->xGetFloat(ctx, "rate", 50.0, &rate)) ||
        (rc = h->xGetFloat(ctx, "dt", 1e-3, &dt)) ||
        (rc = h->xGetInt(ctx, "seed", 0, &seed)) ||
        (rc = h->xGetInt(ctx, "numpy_seed", -1, &np_seed)))
        return rc;
    int numpy = h->xHasKey(ctx, "numpy_seed");
    if (numpy && (np_seed < 0 || np_seed > 4294967295LL))
        return h->xError(ctx, "numpy_seed", SL_ECONFIG,
                         "numpy_seed = %lld must be 0..4294967295 (the "
                         "integer given to np.random.seed)",
                         (long long)np_seed);

    if (!(isfinite(dt) && dt > 0))
        return h->xError(ctx, "dt", SL_ECONFIG,
                         "dt = %g s must be > 0 (e.g. 1e-3)", dt);
    if (!(isfinite(duration) && duration > 0))
        return h->xError(ctx, "duration", SL_ECONFIG,
                         "duration = %g s must be > 0 (e.g. 0.5)", duration);
    double steps = duration / dt;
    double n_round = nearbyint(steps);
    if (n_round < 1)
        return h->xError(ctx, "duration", SL_ECONFIG,
                         "duration = %g s is shorter than one step of dt = "
                         "%g s; raise duration or lower dt",
                         duration, dt);
    /* 0.5/1e-3 is 499.99999999999994 in double: allow rounding noise */
    if (fabs(steps - n_round) > 1e-6 * n_round || n_round > 1e9)
        return h->xError(ctx, "duration", SL_ECONFIG,
                         "duration / dt = %.9g is not a whole number of "
                         "steps; make duration a multiple of dt",
                         steps);
    if (!(isfinite(rate) && rate >= 0))
        return h->xError(ctx, "rate", SL_ECONFIG,
                         "rate = %g Hz must be >= 0", rate);
    if (rate * dt > 1.0)
        return h->xError(ctx, "rate", SL_ECONFIG,
                         "rate*dt = %g means more than one spike per step "
                         "on average; lower rate or dt",
                         rate * dt);
    size_t n_steps = (size_t)n_round;
    if (n_steps > SIZE_MAX / sizeof(float) / n_channels)
        return h->xError(ctx, "n_channels", SL_ECONFIG,
                         "%zu steps x %zu channels is too large", n_steps,
                         n_channels);

    /* What the run will hold of this data set (the core keeps every
     * sample, inputs and targets as float32, plus numpy's per-sample
     * states here), checked before anything is allocated or drawn: a slip
     * in n_samples or dt used to draw for hours or allocate until the OOM
     * killer before the first message. */
    double need = (double)n_samples *
                  (((double)n_steps * (double)n_channels + (double)n_out) *
                       sizeof(float) +
                   (numpy ? sizeof(slaux_mt) : 0));
    long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGE_SIZE);
    double have = pages > 0 && page > 0 ? (double)pages * (double)page : 0;
    if (have > 0 && need > have)
        return h->xError(ctx, NULL, SL_ECONFIG,
                         "needs %.3g GB for %zu samples x %zu steps (%g s "
                         "/ dt %g s) x %zu channels as float32, more than "
                         "this machine's %.3g GB of memory; lower "
                         "n_samples, n_channels or duration, or raise dt",
                         need / 1e9, n_samples, n_steps, duration, dt,
                         n_channels, have / 1e9);

    frozen_noise *f = h->xAlloc(sizeof *f);
    float *buf = h->xAlloc(n_steps * n_channels * sizeof *buf);
    slaux_mt *np_start = NULL;
    if (numpy && n_samples <= SIZE_MAX / sizeof *np_start)
        np_start = h->xAlloc(n_samples * sizeof *np_start);
    if (!f || !buf || (numpy && !np_start)) {
        h->xFree(f);
        h->xFree(buf);
        h->xFree(np_start);
        return h->xError(ctx, NULL, SL_ENOMEM,
                         "out of memory creating frozen_noise");
    }
    f->host = h;
    f->ctx = ctx;
    f->n_samples = n_samples;
    f->n_channels = n_channels;
    f->n_steps = n_steps;
    f->n_out = n_out;
    f->mean = rate * dt;
    f->seed = (uint64_t)seed;
    f->np_start = np_start;
    if (np_start)
        slaux_mt_seed(&np_start[0], (uint32_t)np_seed);

    /* the spec's "error if no spike at all", checked up front; in order,
     * which also records each numpy sample's start state, and keeps the
     * samples (f->spk) while they fit */
    size_t n = n_steps * n_channels, cached = 0;
    if (n <= UINT32_MAX && n_samples <= FN_CACHE_MAX / sizeof(uint32_t *)) {
        f->spk = h->xAlloc(n_samples * sizeof *f->spk);
        f->spk_n = h->xAlloc(n_samples * sizeof *f->spk_n);
        if (!f->spk || !f->spk_n)
            fn_uncache(f, n_samples);
        else
            cached = n_samples * (sizeof *f->spk + sizeof *f->spk_n);
    }
    for (size_t i = 0; i < n_samples; i++) {
        slaux_mt *next = np_start && i + 1 < n_samples ? &np_start[i + 1] : NULL;
        double total = draw_input(f, i, buf, next);
        if (f->spk) {
            size_t bytes = (size_t)total * sizeof(uint32_t);
            uint32_t *p = NULL;
            if (total <= (double)(FN_CACHE_MAX - cached) / sizeof(uint32_t) &&
                (!bytes || (p = h->xAlloc(bytes)))) {
                size_t m = 0;
                for (size_t k = 0; k < n; k++)
                    for (uint32_t c = (uint32_t)buf[k]; c > 0; c--)
                        p[m++] = (uint32_t)k;
                f->spk[i] = p;
                f->spk_n[i] = m;
                cached += bytes;
            } else {
                fn_uncache(f, n_samples);
            }
        }
        if (total == 0.0) {
            fn_uncache(f, n_samples);
            h->xFree(buf);
            h->xFree(np_start);
            h->xFree(f);
            return h->xError(ctx, "rate", SL_EDATA,
                             "frozen_noise sample %zu has no spike at all "
                             "(rate*dt = %g over %zu steps x %zu channels); "
                             "raise rate or duration",
                             i, rate * dt, n_steps, n_channels);
        }
    }
    h->xFree(buf);

    if (info) {
        info->n_samples = n_samples;
        info->n_steps = n_steps;
        info->n_in = n_channels;
        info->n_out = n_out;
        info->target_steps = 1;
        info->dt = dt;
    }
    *self = f;
    return SL_OK;
}

static void fn_destroy(void *self)
{
    frozen_noise *f = self;
    if (f) {
        fn_uncache(f, f->n_samples);
        f->host->xFree(f->np_start);
        f->host->xFree(f);
    }
}

/* Sample `index`: input [n_steps][n_channels], target [1][n_out]; both
 * caller-owned; either may be NULL to skip it. Allocates nothing. */
static int fn_get(void *self, size_t index, float *input, float *target)
{
    frozen_noise *f = self;
    if (index >= f->n_samples)
        return f->host->xError(f->ctx, NULL, SL_EINVAL,
                               "frozen_noise: sample %zu requested, only "
                               "%zu exist",
                               index, f->n_samples);
    if (input && f->spk) {
        /* += 1 per spike: the same float as (float)count for any count */
        const uint32_t *p = f->spk[index];
        memset(input, 0, f->n_steps * f->n_channels * sizeof *input);
        for (size_t j = 0; j < f->spk_n[index]; j++)
            input[p[j]] += 1.0f;
    } else if (input) {
        draw_input(f, index, input, NULL);
    }
    if (target) {
        memset(target, 0, f->n_out * sizeof *target);
        target[index % f->n_out] = 1.0f;
    }
    return SL_OK;
}

static const void *ds_extension(void *self, const char *name)
{
    (void)self;
    (void)name;
    return NULL;
}

static const sl_dataset_iface frozen_noise_iface = {
    .struct_size = sizeof(sl_dataset_iface),
    .flags = 0,
    .xCreate = fn_create,
    .xDestroy = fn_destroy,
    .xGet = fn_get,
    .xExtension = ds_extension,
};

/* Bounds as fn_create and yy_create (yinyang.c) enforce them. */
static const sl_setting frozen_noise_settings[] = {
    SL_SETTING(SL_SET_INT, "n_samples", "2", NULL, SL_RANGE(1, 1e9),
               "noise patterns"),
    SL_SETTING(SL_SET_INT, "n_channels", "60", NULL, SL_RANGE(1, 1e9),
               "input channels"),
    SL_SETTING(SL_SET_INT, "n_out", "2", NULL, SL_RANGE(1, 1e9),
               "classes; sample i is labelled i mod n_out"),
    SL_SETTING(SL_SET_FLOAT, "duration", "0.5", "s", SL_GT(0),
               "length of each pattern (a whole number of dt)"),
    SL_SETTING(SL_SET_FLOAT, "rate", "50.0", "Hz", SL_MIN(0),
               "Poisson rate of each channel; rate·dt <= 1"),
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-3", "s", SL_GT(0),
               "time step (must equal network.dt)"),
    SL_SETTING(SL_SET_INT, "seed", "0", NULL, SL_ANY,
               "the dataset's own seed: the same patterns whatever the run "
               "seed"),
    SL_SETTING(SL_SET_INT, "numpy_seed", "-1", NULL,
               SL_RANGE(-1, 4294967295.0),
               "draw the Rockpool tutorial's patterns from NumPy's legacy "
               "stream (np.random.seed); absent: spikelab's stream"),
};

static const sl_setting yinyang_settings[] = {
    SL_SETTING(SL_SET_INT, "size", "5000", NULL, SL_RANGE(1, 1e8),
               "samples (hxtorch: 5000 train, 1000 test)"),
    SL_SETTING(SL_SET_INT, "seed", NULL, NULL, SL_ANY,
               "the dataset's own seed; absent: derived from the run seed"),
    SL_SETTING(SL_SET_STRING, "algorithm", "kriener", NULL,
               SL_CHOICES("kriener|balanced"),
               "rejection sampling with a goal class, or exactly size/3 per "
               "class (jaxsnn)"),
    SL_SETTING(SL_SET_STRING, "encoding", "spike_time", NULL,
               SL_CHOICES("spike_time|current|events"),
               "one spike per feature (hxtorch), the five features as "
               "a constant current in every step (the peers' benchmark), "
               "or one exact spike time per feature as an event sequence "
               "(jaxsnn.event)"),
    SL_SETTING(SL_SET_INT, "duplicate", "1", NULL, SL_RANGE(1, 1000),
               "encoding = events: copies of each input channel"),
    SL_SETTING(SL_SET_FLOAT, "t_early", "2e-6", "s", SL_MIN(0),
               "spike time of a feature value 0"),
    SL_SETTING(SL_SET_FLOAT, "t_late", "2.6e-5", "s", SL_GT(0),
               "spike time of a feature value 1 (after t_early)"),
    SL_SETTING(SL_SET_FLOAT, "t_bias", "2e-6", "s", SL_MIN(0),
               "spike time of the bias input"),
    SL_SETTING(SL_SET_FLOAT, "t_sim", "3.8e-5", "s", SL_GT(0),
               "trial length (a whole number of dt)"),
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-6", "s", SL_GT(0),
               "time step (must equal network.dt)"),
};

/* Bounds as bars_create (bars.c) enforces them. */
static const sl_setting bars_settings[] = {
    SL_SETTING(SL_SET_INT, "n_samples", "64", NULL, SL_RANGE(1, 1e9),
               "images; sample i has class i mod 2 (0 horizontal, 1 "
               "vertical)"),
    SL_SETTING(SL_SET_INT, "size", "8", NULL, SL_RANGE(1, 1024),
               "image side: size x size pixels, input width size^2"),
    SL_SETTING(SL_SET_INT, "length", "4", NULL, SL_MIN(1),
               "bar length in pixels (<= size)"),
    SL_SETTING(SL_SET_FLOAT, "duration", "0.05", "s", SL_GT(0),
               "length of each sample (a whole number of dt)"),
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-3", "s", SL_GT(0),
               "time step (must equal network.dt)"),
    SL_SETTING(SL_SET_FLOAT, "rate_on", "200.0", "Hz", SL_MIN(0),
               "spike rate of the bar's pixels; rate_on·dt <= 1"),
    SL_SETTING(SL_SET_FLOAT, "rate_off", "20.0", "Hz", SL_MIN(0),
               "spike rate of every other pixel (noise); rate_off·dt <= 1"),
    SL_SETTING(SL_SET_INT, "seed", "0", NULL, SL_ANY,
               "the dataset's own seed (another seed: an independent set)"),
};

static const sl_setting bernoulli_settings[] = {
    SL_SETTING(SL_SET_INT, "n_samples", "1280", NULL, SL_RANGE(1, 1e9),
               "spike patterns (the peers' 2c: 20 batches of 64)"),
    SL_SETTING(SL_SET_INT, "n_channels", "700", NULL, SL_RANGE(1, 1e9),
               "input channels"),
    SL_SETTING(SL_SET_INT, "n_out", "20", NULL, SL_RANGE(1, 1e9),
               "classes; each sample's label is drawn uniformly"),
    SL_SETTING(SL_SET_FLOAT, "duration", "0.1", "s", SL_GT(0),
               "length of each pattern (a whole number of dt)"),
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-3", "s", SL_GT(0),
               "time step (must equal network.dt)"),
    SL_SETTING(SL_SET_FLOAT, "p", "0.01", "1", SL_RANGE(0, 1),
               "probability of a spike per channel and step"),
    SL_SETTING(SL_SET_INT, "seed", "0", NULL, SL_ANY,
               "the dataset's own seed: the same patterns whatever the run "
               "seed"),
};

static const sl_component ds_components[] = {
    SL_COMPONENT(SL_KIND_DATASET, "frozen_noise",
                 "frozen Poisson noise patterns, sample i labelled i mod "
                 "n_out (dynapsim spec section 7)",
                 &frozen_noise_iface, frozen_noise_settings),
    SL_COMPONENT(SL_KIND_DATASET, "yinyang",
                 "Yin-Yang 3-class task (Kriener et al. 2021), one input "
                 "spike per feature (x, y, 1-x, 1-y, bias; hxtorch's time "
                 "encoding)",
                 &yy__iface, yinyang_settings),
    SL_COMPONENT(SL_KIND_DATASET, "bars",
                 "horizontal or vertical bars at random places in a small "
                 "image, Bernoulli spikes with background noise (a task "
                 "for conv layers)",
                 &bars__iface, bars_settings),
    SL_COMPONENT(SL_KIND_DATASET, "bernoulli",
                 "random spike patterns (Bernoulli per channel and step) "
                 "with uniform random labels: SHD-sized synthetic data",
                 &bern__iface, bernoulli_settings),
};

static const sl_plugin_desc datasets_desc =
    SL_PLUGIN_DESC("datasets", DATASETS_VERSION,
                   "synthetic datasets: frozen_noise, yinyang, bars, bernoulli",
                   ds_components);

/* The plugin's only exported symbol: returns the static descriptor. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    (void)host;
    return &datasets_desc;
}
