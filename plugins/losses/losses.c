/*
 * plugins/losses/losses.c — losses on the network output: "mse" and
 * "cross_entropy". (The van Rossum loss "van_rossum" is superspike.so's.)
 *
 * mse:  L = (1/(B·T·C)) Σ_{b,t,c} (out[b][t][c] − y[b][t'][c])²,
 *       t' = t, or 0 when target->time == 1 (the target is broadcast in
 *       time); dL/dout = 2·(out − y)/(B·T·C).
 *
 * cross_entropy: one logit per (batch, channel) decoded from the output
 *       sequence by key `decode`:
 *         "max"  (default) z_c = max_t out[t][c]; the gradient goes to the
 *                arg-max step only (the first one on ties);
 *         "mean" z_c = (1/T) Σ_t out[t][c];
 *         "sum"  z_c = Σ_t out[t][c];
 *         "last" z_c = out[T−1][c].
 *       Target probabilities y_c: target step 0 when target->time == 1,
 *       else the mean over its steps. Usually one-hot, not required.
 *       L = (1/B) Σ_b −Σ_c y_c·log softmax(z)_c, with log softmax computed
 *       as z_c − logsumexp(z) (max subtracted first, so no overflow);
 *       dL/dz_c = (softmax(z)_c·Σ_c' y_c' − y_c)/B, spread back to the
 *       output by the decode rule.
 *
 * Both: sums in double; xEval allocates nothing (cross-entropy recomputes
 * each logit instead of buffering them). A non-finite loss value (NaN/inf
 * in the output) returns SL_ENUMERIC after writing *value and grad.
 */
#include <math.h>
#include <string.h>

#include "spikelab/spikelab.h"

#define LOSSES_VERSION "0.1.0"

enum { DEC_MAX, DEC_MEAN, DEC_SUM, DEC_LAST };

/* One loss instance; owned by the core through xCreate/xDestroy. */
typedef struct loss {
    const sl_host *host;
    sl_ctx *ctx;  /* borrowed, valid until xDestroy (for xError) */
    int decode;   /* DEC_* (cross_entropy only) */
} loss;

static int loss_new(const sl_host *host, sl_ctx *ctx, loss **out)
{
    loss *l = host->xAlloc(sizeof *l);
    if (!l)
        return host->xError(ctx, NULL, SL_ENOMEM,
                            "out of memory creating the loss");
    l->host = host;
    l->ctx = ctx;
    *out = l;
    return SL_OK;
}

static int mse_create(const sl_host *host, sl_ctx *ctx, void **self)
{
    loss *l = NULL;
    int rc = loss_new(host, ctx, &l);
    if (rc == SL_OK)
        *self = l;
    return rc;
}

static int ce_create(const sl_host *host, sl_ctx *ctx, void **self)
{
    static const char *const names[] = {"max", "mean", "sum", "last"};
    const char *dec = NULL;
    int rc = host->xGetString(ctx, "decode", "max", &dec);
    if (rc != SL_OK)
        return rc;
    int d = -1;
    for (int i = 0; i < 4; i++)
        if (dec && strcmp(dec, names[i]) == 0)
            d = i;
    if (d < 0)
        return host->xError(ctx, "decode", SL_ECONFIG,
                            "decode = \"%s\" is not known; use \"max\", "
                            "\"mean\", \"sum\" or \"last\"",
                            dec ? dec : "(null)");
    loss *l = NULL;
    rc = loss_new(host, ctx, &l);
    if (rc != SL_OK)
        return rc;
    l->decode = d;
    *self = l;
    return SL_OK;
}

static void loss_destroy(void *self)
{
    loss *l = self;
    if (l)
        l->host->xFree(l);
}

/* Shapes must agree: same batch and channels, target time 1 or out->time. */
static int check_shapes(loss *l, const sl_seq *out, const sl_seq *target)
{
    if (!out || !target || !out->data || !target->data)
        return l->host->xError(l->ctx, NULL, SL_EINVAL,
                               "loss called without output or target data");
    if (out->batch == 0 || out->time == 0 || out->channels == 0)
        return l->host->xError(l->ctx, NULL, SL_EINVAL,
                               "empty output sequence [%zu][%zu][%zu]",
                               out->batch, out->time, out->channels);
    if (target->batch != out->batch || target->channels != out->channels ||
        (target->time != 1 && target->time != out->time))
        return l->host->xError(
            l->ctx, NULL, SL_EINVAL,
            "target shape [%zu][%zu][%zu] does not match output "
            "[%zu][%zu][%zu]: batch and channels must be equal and target "
            "time 1 (broadcast) or equal to the output's",
            target->batch, target->time, target->channels, out->batch,
            out->time, out->channels);
    return SL_OK;
}

static int finish(loss *l, double v, double *value)
{
    *value = v;
    if (!isfinite(v))
        return l->host->xError(l->ctx, NULL, SL_ENUMERIC,
                               "loss is %g: the network output contains NaN "
                               "or inf (lower the learning rate?)",
                               v);
    return SL_OK;
}

static int mse_eval(void *self, const sl_seq *out, const sl_seq *target,
                    double *value, float *grad)
{
    loss *l = self;
    int rc = check_shapes(l, out, target);
    if (rc != SL_OK)
        return rc;
    size_t B = out->batch, T = out->time, C = out->channels;
    size_t tstride = target->time == 1 ? 0 : C; /* broadcast: stay on row 0 */
    double count = (double)B * (double)T * (double)C;
    double sum = 0.0;
    for (size_t b = 0; b < B; b++) {
        const float *o = out->data + b * T * C;
        const float *y = target->data + b * target->time * C;
        float *g = grad ? grad + b * T * C : NULL;
        for (size_t t = 0; t < T; t++) {
            const float *yt = y + t * tstride;
            for (size_t c = 0; c < C; c++) {
                double d = (double)o[t * C + c] - (double)yt[c];
                sum += d * d;
                if (g)
                    g[t * C + c] = (float)(2.0 * d / count);
            }
        }
    }
    return finish(l, sum / count, value);
}

/* Logit of channel c of one batch element (o = its [T][C] block); *arg
 * receives the step that carries the gradient for DEC_MAX / DEC_LAST. */
static double decode_logit(int mode, const float *o, size_t T, size_t C,
                           size_t c, size_t *arg)
{
    double z;
    size_t a = 0;
    switch (mode) {
    case DEC_MAX:
        z = o[c];
        for (size_t t = 1; t < T; t++)
            /* strict >: the first step wins ties; a NaN anywhere makes
             * the logit NaN so a broken output is not silently skipped */
            if (o[t * C + c] > z || isnan(o[t * C + c])) {
                z = o[t * C + c];
                a = t;
            }
        break;
    case DEC_LAST:
        a = T - 1;
        z = o[a * C + c];
        break;
    default: /* DEC_MEAN, DEC_SUM */
        z = 0.0;
        for (size_t t = 0; t < T; t++)
            z += o[t * C + c];
        if (mode == DEC_MEAN)
            z /= (double)T;
        break;
    }
    if (arg)
        *arg = a;
    return z;
}

/* The logits of all C channels (and the step each was taken from) in one
 * pass over the output, row by row: per channel the same comparisons and
 * sums in the same order as decode_logit, so the same values, without C
 * strided scans per use. */
#define DECODE_BATCH_MAX 64 /* channels decoded at once (stack arrays) */
static void decode_all(int mode, const float *o, size_t T, size_t C,
                       double *z, size_t *arg)
{
    for (size_t c = 0; c < C; c++) {
        z[c] = mode == DEC_MAX ? o[c]
               : mode == DEC_LAST ? o[(T - 1) * C + c] : 0.0;
        arg[c] = mode == DEC_LAST ? T - 1 : 0;
    }
    if (mode == DEC_MAX) {
        for (size_t t = 1; t < T; t++)
            for (size_t c = 0; c < C; c++) {
                const float v = o[t * C + c];
                if (v > z[c] || isnan(v)) { /* as decode_logit */
                    z[c] = v;
                    arg[c] = t;
                }
            }
    } else if (mode != DEC_LAST) {
        for (size_t t = 0; t < T; t++)
            for (size_t c = 0; c < C; c++)
                z[c] += o[t * C + c];
        if (mode == DEC_MEAN)
            for (size_t c = 0; c < C; c++)
                z[c] /= (double)T;
    }
}

/* Channel c's logit: from decode_all's arrays when batched. */
static inline double logit_of(int batched, const double *zb, const size_t *ab,
                              int mode, const float *o, size_t T, size_t C,
                              size_t c, size_t *arg)
{
    if (!batched)
        return decode_logit(mode, o, T, C, c, arg);
    if (arg)
        *arg = ab[c];
    return zb[c];
}

/* Target probability of channel c (y = the element's target block). */
static double target_prob(const float *y, size_t Ty, size_t C, size_t c)
{
    if (Ty == 1)
        return y[c];
    double s = 0.0;
    for (size_t t = 0; t < Ty; t++)
        s += y[t * C + c];
    return s / (double)Ty;
}

static int ce_eval(void *self, const sl_seq *out, const sl_seq *target,
                   double *value, float *grad)
{
    loss *l = self;
    int rc = check_shapes(l, out, target);
    if (rc != SL_OK)
        return rc;
    size_t B = out->batch, T = out->time, C = out->channels;
    size_t Ty = target->time;
    int mode = l->decode;
    double total = 0.0;
    if (grad)
        memset(grad, 0, B * T * C * sizeof *grad);
    for (size_t b = 0; b < B; b++) {
        const float *o = out->data + b * T * C;
        const float *y = target->data + b * Ty * C;
        /* the logits once (up to DECODE_BATCH_MAX channels; more are
         * decoded per use) */
        double zb[DECODE_BATCH_MAX];
        size_t ab[DECODE_BATCH_MAX];
        const int batched = C <= DECODE_BATCH_MAX;
        if (batched)
            decode_all(mode, o, T, C, zb, ab);
        /* log-sum-exp with the maximum logit subtracted */
        double zmax = -INFINITY;
        for (size_t c = 0; c < C; c++) {
            double z = logit_of(batched, zb, ab, mode, o, T, C, c, NULL);
            if (z > zmax)
                zmax = z;
        }
        double se = 0.0, ysum = 0.0, cross = 0.0;
        for (size_t c = 0; c < C; c++) {
            double z = logit_of(batched, zb, ab, mode, o, T, C, c, NULL);
            double yc = target_prob(y, Ty, C, c);
            se += exp(z - zmax);
            ysum += yc;
            cross += yc * z;
        }
        double lse = zmax + log(se);
        /* −Σ y_c (z_c − lse) */
        total += ysum * lse - cross;
        if (!grad)
            continue;
        float *g = grad + b * T * C;
        for (size_t c = 0; c < C; c++) {
            size_t a;
            double z = logit_of(batched, zb, ab, mode, o, T, C, c, &a);
            double p = exp(z - lse);
            double dz = (p * ysum - target_prob(y, Ty, C, c)) / (double)B;
            switch (mode) {
            case DEC_MAX:
            case DEC_LAST:
                g[a * C + c] = (float)dz;
                break;
            case DEC_SUM:
                for (size_t t = 0; t < T; t++)
                    g[t * C + c] = (float)dz;
                break;
            default: /* DEC_MEAN */
                for (size_t t = 0; t < T; t++)
                    g[t * C + c] = (float)(dz / (double)T);
                break;
            }
        }
    }
    return finish(l, total / (double)B, value);
}

static const void *loss_extension(void *self, const char *name)
{
    (void)self;
    (void)name;
    return NULL;
}

static const sl_loss_iface mse_iface = {
    .struct_size = sizeof(sl_loss_iface),
    .flags = 0,
    .xCreate = mse_create,
    .xDestroy = loss_destroy,
    .xEval = mse_eval,
    .xExtension = loss_extension,
};

static const sl_loss_iface ce_iface = {
    .struct_size = sizeof(sl_loss_iface),
    .flags = 0,
    .xCreate = ce_create,
    .xDestroy = loss_destroy,
    .xEval = ce_eval,
    .xExtension = loss_extension,
};

static const sl_setting mse_settings[] = {SL_NO_SETTINGS};

static const sl_setting ce_settings[] = {
    SL_SETTING(SL_SET_STRING, "decode", "max", NULL,
               SL_CHOICES("max|mean|sum|last"),
               "how the output over time becomes one logit per class"),
};

/* the kernel settings are ss_read_kernel_settings' (ss_kernels.h) */
static const sl_component loss_components[] = {
    SL_COMPONENT(SL_KIND_LOSS, "mse",
                 "mean squared error over (batch, time, channels); target "
                 "broadcast when its time is 1",
                 &mse_iface, mse_settings),
    SL_COMPONENT(SL_KIND_LOSS, "cross_entropy",
                 "softmax cross-entropy of logits decoded over time (decode "
                 "= max | mean | sum | last)",
                 &ce_iface, ce_settings),
};

static const sl_plugin_desc losses_desc =
    SL_PLUGIN_DESC("losses", LOSSES_VERSION,
                   "losses: mse, cross_entropy",
                   loss_components);

/* The plugin's only exported symbol: returns the static descriptor. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    (void)host;
    return &losses_desc;
}
