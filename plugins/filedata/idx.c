/*
 * plugins/filedata/idx.c — "idx": MNIST-format IDX files (images and
 * labels), gzip'd or plain (zlib reads both), e.g. Fashion-MNIST as
 * Debian's dataset-fashion-mnist installs it under
 * /usr/share/datasets/fashion-mnist/.
 *
 * IDX (LeCun's MNIST page): bytes 0, 0, a type code (0x08 = unsigned
 * byte, the only one accepted here), the number of dimensions d; then d
 * big-endian uint32 sizes; then the data, row-major, exactly their
 * product in bytes. Images: d >= 2, [N][rows][cols...]; labels: d = 1,
 * [N], each < n_classes. Anything else (wrong magic, another type, a
 * size of 0, a truncated or over-long file, a count that differs
 * between images and labels) is refused naming the file.
 *
 * Encodings of a pixel p (0..255) into an input [n_steps][C]:
 *   layout "flat": C = rows·cols (one channel per pixel), x = p/255
 *   (normalise "unit"), p ("none"), or (p/255 − μ)/σ over every pixel of
 *   the file ("standard"), and per `encoding`:
 *     current    x at every step (a constant input current);
 *     bernoulli  a spike (1) in a step with probability
 *                min(1, x·max_rate·dt): the rate code;
 *     poisson    a Poisson count per step, mean x·max_rate·dt;
 *     latency    one spike at step round((1 − x)/(1 − threshold)·(T−1))
 *                when x > threshold, none otherwise: brighter pixels
 *                fire earlier (time-to-first-spike);
 *   the spike codes need x in [0, 1] (normalise = "unit").
 *   layout "rows": time is the image's first axis (n_steps = rows), the
 *   channels its columns, each presented as a current (the "sequential
 *   MNIST" task); only with encoding "current".
 * Targets: one-hot over n_classes, one target for the whole sample.
 *
 * Random codes draw sample i from its own stream, seeded from (seed,
 * "idx.sample.i") through the host: xGet(i) is the same whenever it is
 * called (the dataset contract), independent of the run seed.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "filedata.h"

enum { ENC_CURRENT, ENC_BERNOULLI, ENC_POISSON, ENC_LATENCY };
enum { NORM_UNIT, NORM_NONE, NORM_STANDARD };

typedef struct idx_ds {
    const sl_host *host;
    sl_ctx *ctx;
    uint8_t *pixels; /* [N][C], the whole image file */
    uint8_t *labels; /* [N] */
    size_t n, c, n_steps, n_classes;
    int enc, norm, rows;
    double scale, offset; /* x = p·scale + offset */
    double per_step;      /* max_rate·dt */
    double threshold;
    uint64_t seed;
    fd_source src;
} idx_ds;

/* Read an IDX file whole: dims[0..*ndim) and the data (malloc'd into
 * *data; the caller frees it). why gets the reason on failure. */
static int idx_read(const sl_host *h, const char *path, uint32_t *dims,
                    uint32_t *ndim, uint8_t **data, size_t *size, char *why,
                    size_t wl)
{
    *data = NULL;
    errno = 0;
    gzFile gz = gzopen(path, "rb");
    if (!gz) {
        snprintf(why, wl, "cannot open it: %s",
                 errno ? strerror(errno) : "out of memory");
        return SL_EIO;
    }
    int rc = SL_EDATA;
    uint8_t head[4], d[4];
    int got = gzread(gz, head, 4);
    if (got != 4) {
        snprintf(why, wl, "%s", got < 0 ? "not a readable gzip stream"
                                        : "shorter than an IDX header "
                                          "(4 bytes)");
        goto out;
    }
    if (head[0] != 0 || head[1] != 0) {
        snprintf(why, wl, "not an IDX file (magic %02x %02x %02x %02x; an "
                 "IDX file starts with 00 00 08 NDIM)", head[0], head[1],
                 head[2], head[3]);
        goto out;
    }
    if (head[2] != 0x08) {
        snprintf(why, wl, "IDX type 0x%02x is not supported (only 0x08, "
                 "unsigned bytes)", head[2]);
        goto out;
    }
    *ndim = head[3];
    if (*ndim < 1 || *ndim > 8) {
        snprintf(why, wl, "IDX with %u dimensions (1..8 supported)", *ndim);
        goto out;
    }
    size_t total = 1;
    for (uint32_t i = 0; i < *ndim; i++) {
        if (gzread(gz, d, 4) != 4) {
            snprintf(why, wl, "truncated in the header (size %u of %u)",
                     i + 1, *ndim);
            goto out;
        }
        dims[i] = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 |
                  (uint32_t)d[2] << 8 | d[3];
        if (dims[i] == 0) {
            snprintf(why, wl, "dimension %u has size 0", i);
            goto out;
        }
        /* 2^34 bytes: far above any IDX data set, and no overflow */
        if (total > ((size_t)1 << 34) / dims[i]) {
            snprintf(why, wl, "sizes multiply to more than 16 GiB");
            goto out;
        }
        total *= dims[i];
    }
    /* the buffer grows with the data that arrives (doubling up to the
     * announced size): a 20-byte file announcing 16 GiB must not allocate
     * it before it is found short */
    size_t cap = total < ((size_t)1 << 20) ? total : ((size_t)1 << 20);
    uint8_t *buf = malloc(cap);
    if (!buf) {
        snprintf(why, wl, "out of memory for %zu bytes", cap);
        rc = SL_ENOMEM;
        goto out;
    }
    size_t have = 0;
    while (have < total) {
        if (have == cap) {
            size_t ncap = cap > total / 2 ? total : cap * 2;
            uint8_t *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                snprintf(why, wl, "out of memory for %zu bytes", ncap);
                rc = SL_ENOMEM;
                goto out;
            }
            buf = nb;
            cap = ncap;
        }
        size_t want = cap - have;
        unsigned chunk = want > (1u << 30) ? (1u << 30) : (unsigned)want;
        int r = gzread(gz, buf + have, chunk);
        if (r <= 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            if (r < 0 || zerr != Z_OK)
                snprintf(why, wl, "corrupt: %s after %zu of %zu data bytes",
                         msg, have, total);
            else
                snprintf(why, wl, "truncated: %zu of the %zu data bytes the "
                         "header announces", have, total);
            free(buf);
            goto out;
        }
        have += (size_t)r;
    }
    *data = buf;
    uint8_t extra;
    int r = gzread(gz, &extra, 1);
    if (r != 0) {
        int zerr;
        const char *msg = gzerror(gz, &zerr);
        snprintf(why, wl, "%s", r > 0 ? "longer than its header says (bytes "
                                        "after the data)"
                                      : msg);
        goto out;
    }
    *size = total;
    rc = SL_OK;
out:
    gzclose(gz);
    if (rc) {
        free(*data);
        *data = NULL;
    }
    return rc;
}

static int idx_create(const sl_host *h, sl_ctx *ctx, void **self,
                      sl_dataset_info *info)
{
    const char *images, *labels, *enc, *norm, *layout;
    double dt, max_rate, threshold;
    int64_t seed;
    size_t n_steps, n_classes;
    int rc;
    if (info && !SL_HAS_FIELD(sl_dataset_info, info, dt))
        return h->xError(ctx, NULL, SL_EINVAL, "sl_dataset_info too small");
    if ((rc = h->xGetString(ctx, "images", NULL, &images)) ||
        (rc = h->xGetString(ctx, "labels", NULL, &labels)) ||
        (rc = h->xGetString(ctx, "encoding", "bernoulli", &enc)) ||
        (rc = h->xGetString(ctx, "normalise", "unit", &norm)) ||
        (rc = h->xGetString(ctx, "layout", "flat", &layout)) ||
        (rc = h->xGetFloat(ctx, "dt", 1e-3, &dt)) ||
        (rc = h->xGetFloat(ctx, "max_rate", 1000.0, &max_rate)) ||
        (rc = h->xGetFloat(ctx, "threshold", 0.2, &threshold)) ||
        (rc = h->xGetInt(ctx, "seed", 0, &seed)) ||
        (rc = fd__get_count(h, ctx, "n_steps", 25, 1, 100000, &n_steps)) ||
        (rc = fd__get_count(h, ctx, "n_classes", 10, 1, 256, &n_classes)))
        return rc;
    if (!images || !labels)
        return h->xError(ctx, images ? "labels" : "images", SL_ECONFIG,
                         "idx needs both images and labels (paths of IDX "
                         "files, gzip'd or plain)");
    idx_ds *d = h->xAlloc(sizeof *d);
    if (!d)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    d->host = h;
    d->ctx = ctx;
    d->enc = strcmp(enc, "current") == 0     ? ENC_CURRENT
             : strcmp(enc, "poisson") == 0   ? ENC_POISSON
             : strcmp(enc, "latency") == 0   ? ENC_LATENCY
                                             : ENC_BERNOULLI;
    d->norm = strcmp(norm, "none") == 0       ? NORM_NONE
              : strcmp(norm, "standard") == 0 ? NORM_STANDARD
                                              : NORM_UNIT;
    d->rows = strcmp(layout, "rows") == 0;
    d->per_step = max_rate * dt;
    d->threshold = threshold;
    d->seed = (uint64_t)seed;
    d->n_classes = n_classes;
    char why[256];
    uint32_t idims[8], ldims[8], ind, lnd;
    size_t isz, lsz;
    if (d->enc != ENC_CURRENT && d->norm != NORM_UNIT) {
        rc = h->xError(ctx, "normalise", SL_ECONFIG, "encoding \"%s\" needs "
                       "pixel values in [0, 1]: normalise = \"unit\"", enc);
        goto fail;
    }
    if (d->rows && d->enc != ENC_CURRENT) {
        rc = h->xError(ctx, "layout", SL_ECONFIG, "layout \"rows\" presents "
                       "each image row as one step's current: use encoding "
                       "= \"current\"");
        goto fail;
    }
    if (d->enc == ENC_LATENCY && !(threshold >= 0 && threshold < 1)) {
        rc = h->xError(ctx, "threshold", SL_ECONFIG, "threshold = %g must "
                       "be in [0, 1)", threshold);
        goto fail;
    }
    if ((d->enc == ENC_BERNOULLI || d->enc == ENC_POISSON) &&
        !(isfinite(d->per_step) && d->per_step > 0)) {
        rc = h->xError(ctx, "max_rate", SL_ECONFIG, "max_rate*dt = %g must "
                       "be > 0", d->per_step);
        goto fail;
    }
    if ((rc = idx_read(h, images, idims, &ind, &d->pixels, &isz, why,
                       sizeof why))) {
        rc = h->xError(ctx, "images", rc, "%s: %s", images, why);
        goto fail;
    }
    if (ind < 2) {
        rc = h->xError(ctx, "images", SL_EDATA, "%s: an IDX of images needs "
                       "at least 2 dimensions ([N][pixels...]), this one "
                       "has %u", images, ind);
        goto fail;
    }
    if ((rc = idx_read(h, labels, ldims, &lnd, &d->labels, &lsz, why,
                       sizeof why))) {
        rc = h->xError(ctx, "labels", rc, "%s: %s", labels, why);
        goto fail;
    }
    if (lnd != 1) {
        rc = h->xError(ctx, "labels", SL_EDATA, "%s: an IDX of labels has 1 "
                       "dimension ([N]), this one has %u", labels, lnd);
        goto fail;
    }
    if (ldims[0] != idims[0]) {
        rc = h->xError(ctx, "labels", SL_EDATA, "%s has %u labels but %s "
                       "has %u images", labels, ldims[0], images, idims[0]);
        goto fail;
    }
    d->n = idims[0];
    d->c = isz / d->n;
    for (size_t i = 0; i < d->n; i++)
        if (d->labels[i] >= n_classes) {
            rc = h->xError(ctx, "n_classes", SL_EDATA, "%s: label %u of "
                           "sample %zu is out of range (n_classes = %zu)",
                           labels, d->labels[i], i, n_classes);
            goto fail;
        }
    if (d->rows) {
        if (h->xHasKey(ctx, "n_steps") && n_steps != idims[1]) {
            rc = h->xError(ctx, "n_steps", SL_ECONFIG, "layout \"rows\": "
                           "n_steps is the images' row count, %u, not %zu",
                           idims[1], n_steps);
            goto fail;
        }
        n_steps = idims[1];
        d->c = d->c / n_steps;
    }
    d->n_steps = n_steps;
    d->scale = d->norm == NORM_NONE ? 1.0 : 1.0 / 255.0;
    d->offset = 0;
    if (d->norm == NORM_STANDARD) {
        double s = 0, s2 = 0;
        for (size_t i = 0; i < isz; i++) {
            s += d->pixels[i];
            s2 += (double)d->pixels[i] * d->pixels[i];
        }
        double mu = s / (double)isz / 255.0;
        double var = s2 / (double)isz / 65025.0 - mu * mu;
        double sd = var > 0 ? sqrt(var) : 1.0;
        d->scale = 1.0 / (255.0 * sd);
        d->offset = -mu / sd;
    }
    fd__source_init(&d->src);
    fd__source_file(&d->src, "images", images);
    fd__source_file(&d->src, "labels", labels);
    if (info) {
        info->n_samples = d->n;
        info->n_steps = d->n_steps;
        info->n_in = d->c;
        info->n_out = n_classes;
        info->target_steps = 1;
        info->dt = dt;
    }
    *self = d;
    return SL_OK;
fail:
    free(d->pixels);
    free(d->labels);
    h->xFree(d);
    return rc;
}

static void idx_destroy(void *self)
{
    idx_ds *d = self;
    if (!d)
        return;
    free(d->pixels);
    free(d->labels);
    d->host->xFree(d);
}

/* xoshiro256** seeded from the host's per-sample stream: the host's
 * functions are one indirect call per draw, too many for 784 pixels x T
 * steps; this keeps the draws inline. */
static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}
static inline uint64_t xo_next(uint64_t *s)
{
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return r;
}
static inline double xo_uniform(uint64_t *s)
{
    return (double)(xo_next(s) >> 11) * 0x1.0p-53;
}
static uint32_t xo_poisson(uint64_t *s, double mean)
{
    /* Knuth's multiplication: means here are below a few units */
    double l = exp(-mean), p = 1.0;
    uint32_t k = 0;
    for (;;) {
        p *= xo_uniform(s);
        if (p <= l || k > 1000)
            return k;
        k++;
    }
}

/* Sample `index`: input [n_steps][C], target [1][n_classes]; both
 * caller-owned, either may be NULL. Allocates nothing. */
static int idx_get(void *self, size_t index, float *input, float *target)
{
    idx_ds *d = self;
    if (index >= d->n)
        return d->host->xError(d->ctx, NULL, SL_EINVAL, "idx: sample %zu "
                               "requested, only %zu exist", index, d->n);
    if (target) {
        memset(target, 0, d->n_classes * sizeof *target);
        target[d->labels[index]] = 1.0f;
    }
    if (!input)
        return SL_OK;
    size_t C = d->c, T = d->n_steps;
    const uint8_t *px = d->pixels + index * C * (d->rows ? T : 1);
    if (d->rows) {
        for (size_t k = 0; k < T * C; k++)
            input[k] = (float)(px[k] * d->scale + d->offset);
        return SL_OK;
    }
    if (d->enc == ENC_CURRENT) {
        for (size_t c = 0; c < C; c++)
            input[c] = (float)(px[c] * d->scale + d->offset);
        for (size_t t = 1; t < T; t++)
            memcpy(input + t * C, input, C * sizeof *input);
        return SL_OK;
    }
    memset(input, 0, T * C * sizeof *input);
    if (d->enc == ENC_LATENCY) {
        for (size_t c = 0; c < C; c++) {
            double x = px[c] * d->scale;
            if (!(x > d->threshold))
                continue;
            double t = nearbyint((1.0 - x) / (1.0 - d->threshold) *
                                 (double)(T - 1));
            input[(size_t)t * C + c] = 1.0f;
        }
        return SL_OK;
    }
    char purpose[48];
    snprintf(purpose, sizeof purpose, "idx.sample.%zu", index);
    sl_rng rng;
    d->host->xRngSeed(&rng, d->seed, purpose);
    uint64_t s[4];
    for (int k = 0; k < 4; k++)
        s[k] = d->host->xRngNext(&rng);
    for (size_t t = 0; t < T; t++)
        for (size_t c = 0; c < C; c++) {
            double m = px[c] * d->scale * d->per_step;
            if (d->enc == ENC_BERNOULLI)
                input[t * C + c] = xo_uniform(s) < m ? 1.0f : 0.0f;
            else
                input[t * C + c] = m > 0 ? (float)xo_poisson(s, m) : 0.0f;
        }
    return SL_OK;
}

static const void *idx_extension(void *self, const char *name)
{
    idx_ds *d = self;
    if (d && name && strcmp(name, SL_DATASET_EXT_SOURCE) == 0)
        return &d->src.pub;
    return NULL;
}

const sl_dataset_iface fd__idx_iface = {
    .struct_size = sizeof(sl_dataset_iface),
    .xCreate = idx_create,
    .xDestroy = idx_destroy,
    .xGet = idx_get,
    .xExtension = idx_extension,
};

const sl_setting fd__idx_settings[FD_IDX_NSET] = {
    SL_SETTING(SL_SET_STRING, "images", NULL, NULL, SL_REQUIRED,
               "IDX file of the images [N][rows][cols] (gzip or plain), "
               "e.g. /usr/share/datasets/fashion-mnist/"
               "train-images-idx3-ubyte.gz"),
    SL_SETTING(SL_SET_STRING, "labels", NULL, NULL, SL_REQUIRED,
               "IDX file of the labels [N]"),
    SL_SETTING(SL_SET_STRING, "encoding", "bernoulli", NULL,
               SL_CHOICES("current|bernoulli|poisson|latency"),
               "constant current, rate code (a spike per step with "
               "probability x*max_rate*dt, or Poisson counts), or one "
               "spike per pixel, earlier when brighter"),
    SL_SETTING(SL_SET_STRING, "normalise", "unit", NULL,
               SL_CHOICES("unit|none|standard"),
               "pixel value x: p/255, p, or (p/255 - mean)/std over the "
               "file (spike codes need unit)"),
    SL_SETTING(SL_SET_STRING, "layout", "flat", NULL,
               SL_CHOICES("flat|rows"),
               "flat: one channel per pixel, n_steps steps; rows: one step "
               "per image row, one channel per column (current only)"),
    SL_SETTING(SL_SET_INT, "n_steps", "25", NULL, SL_RANGE(1, 100000),
               "time steps per sample (layout flat)"),
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-3", "s", SL_GT(0),
               "time step (must equal network.dt)"),
    SL_SETTING(SL_SET_FLOAT, "max_rate", "1000.0", "Hz", SL_GT(0),
               "rate of a pixel of value 1 (bernoulli, poisson)"),
    SL_SETTING(SL_SET_FLOAT, "threshold", "0.2", "1", SL_RANGE(0, 1),
               "latency: pixels at or below it do not spike"),
    SL_SETTING(SL_SET_INT, "n_classes", "10", NULL, SL_RANGE(1, 256),
               "classes; every label must be below it"),
    SL_SETTING(SL_SET_INT, "seed", "0", NULL, SL_ANY,
               "the rate code's own seed (sample i: stream idx.sample.i)"),
};
