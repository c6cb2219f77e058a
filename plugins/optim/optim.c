/*
 * plugins/optim/optim.c — gradient optimizers: "adam", "sgd" and
 * "rmsprop".
 *
 * Both consume the gradients the backward pass accumulated into each
 * trainable sl_param (flag SL_OPT_GRADIENT). The core zeroes the gradients
 * after every xStep; the optimizer never does.
 *
 * adam (Kingma & Ba 2015, textbook form with bias correction), at step t:
 *     g  = grad + weight_decay·p                (L2 added to the gradient)
 *     m  = β1·m + (1−β1)·g
 *     v  = β2·v + (1−β2)·g²
 *     p -= lr · (m/(1−β1^t)) / (sqrt(v/(1−β2^t)) + eps)
 *   keys: lr 1e-3, beta1 0.9, beta2 0.999, eps 1e-8, weight_decay 0.
 *   jaxsnn's event-training chain (specs/bss2.md §7.2) in front of it:
 *     g ← clip(grad_scale·g, ±clip)              (optax.scale, optax.clip)
 *     lr_t = lr·lr_decay^((t−1)/decay_steps)     (optax.exponential_decay)
 *   and jaxsnn's mock weight range after the update: p ← clip(p,
 *   ±weight_bound). Defaults 1, 0 (off), 1, 1, 0 (off) leave the update
 *   bit for bit as before.
 *
 * sgd (heavy-ball momentum, the buffer form):
 *     g  = grad + weight_decay·p
 *     b  = momentum·b + g                       (b starts at 0)
 *     p -= lr · b
 *   keys: lr 1e-2, momentum 0, weight_decay 0.
 *
 * rmsprop (Keras/TensorFlow 2 semantics, tf.keras.optimizers.RMSprop with
 * its defaults momentum = 0, centered = False; the optimizer of the
 * NengoDL examples):
 *     r  = ρ·r + (1−ρ)·g²                       (r starts at 0, as Keras's
 *                                                 "rms" slot, not at 1 as
 *                                                 TF1's RMSPropOptimizer)
 *     p -= lr · g / (sqrt(r) + eps)
 *   epsilon is added to sqrt(r), outside the root: that is what Keras's
 *   non-momentum path computes (var − lr·grad/(sqrt(rms_t) + epsilon));
 *   TF's fused ApplyRMSProp, used only with momentum > 0, puts it inside
 *   (sqrt(rms + epsilon)). No bias correction.
 *   keys: lr 1e-3, rho 0.9, eps 1e-7.
 *   An exponential learning-rate schedule as Keras's ExponentialDecay
 *   (staircase = False) passed as its learning_rate:
 *     lr_t = lr·lr_decay^((t−1)/decay_steps)
 *   keys lr_decay 1 (constant), decay_steps 1.
 *
 * Numerics: parameters and gradients are float32 (the ABI's), but the
 * moment buffers and the update arithmetic are double. Gradients w.r.t.
 * ampere-scale weights (dynapsim) are 1e-11..1e-7; their squares approach
 * float32's subnormal range, where v would lose all precision.
 *
 * Failure policy: before touching any parameter xStep checks that every
 * gradient is finite; a NaN/inf returns SL_ENUMERIC naming the parameter
 * and leaves parameters and state unchanged (a step is all or nothing).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/spikelab.h"

#define OPTIM_VERSION "0.1.0"

enum { OPT_ADAM, OPT_SGD, OPT_RMSPROP };

/* One optimizer instance. Owned by the core through xCreate/xDestroy. */
typedef struct optim {
    const sl_host *host;
    sl_ctx *ctx;        /* borrowed; valid until xDestroy (for xError) */
    int algo;           /* OPT_ADAM or OPT_SGD */
    double lr, beta1, beta2, eps, weight_decay, momentum, rho;
    /* adam's optax-style chain (all off by default) */
    double grad_scale, clip, lr_decay, decay_steps, weight_bound;
    uint64_t t;         /* steps taken (Adam's bias correction) */

    sl_param *params;   /* borrowed from the core, valid until xDestroy */
    size_t n_bound;     /* number of trainable params in use */
    size_t *idx;        /* [n_bound] index into params; owned (xAlloc) */
    double **m;         /* [n_bound] first moment / momentum buffer; owned */
    double **v;         /* [n_bound] second moment (Adam only); owned */
    double *pool;       /* one block backing every m[k] and v[k]; owned */
} optim;

/* Read a float key, require lo <(=) value <(=) hi; on failure the error is
 * recorded on ctx. `lo_open`/`hi_open` choose strict bounds. */
static int get_bounded(const sl_host *h, sl_ctx *ctx, const char *key,
                       double def, double lo, int lo_open, double hi,
                       int hi_open, const char *hint, double *out)
{
    int rc = h->xGetFloat(ctx, key, def, out);
    if (rc != SL_OK)
        return rc;
    double x = *out;
    int ok = isfinite(x) && (lo_open ? x > lo : x >= lo) &&
             (hi_open ? x < hi : x <= hi);
    if (!ok)
        return h->xError(ctx, key, SL_ECONFIG, "%s = %g is out of range: %s",
                         key, x, hint);
    return SL_OK;
}

static int optim_create(const sl_host *host, sl_ctx *ctx, void **self,
                        int algo)
{
    optim *o = host->xAlloc(sizeof *o);
    if (!o)
        return host->xError(ctx, NULL, SL_ENOMEM,
                            "out of memory creating the optimizer");
    o->host = host;
    o->ctx = ctx;
    o->algo = algo;
    int rc;
    if (algo == OPT_ADAM) {
        if ((rc = get_bounded(host, ctx, "lr", 1e-3, 0, 1, INFINITY, 0,
                              "the learning rate must be > 0 (e.g. 1e-3)",
                              &o->lr)) ||
            (rc = get_bounded(host, ctx, "beta1", 0.9, 0, 0, 1, 1,
                              "need 0 <= beta1 < 1 (usually 0.9)",
                              &o->beta1)) ||
            (rc = get_bounded(host, ctx, "beta2", 0.999, 0, 0, 1, 1,
                              "need 0 <= beta2 < 1 (usually 0.999)",
                              &o->beta2)) ||
            (rc = get_bounded(host, ctx, "eps", 1e-8, 0, 1, INFINITY, 0,
                              "eps must be > 0 (usually 1e-8)", &o->eps)) ||
            (rc = get_bounded(host, ctx, "weight_decay", 0, 0, 0, INFINITY,
                              0, "weight_decay must be >= 0 (0 = none)",
                              &o->weight_decay)) ||
            (rc = get_bounded(host, ctx, "grad_scale", 1.0, 0, 1, INFINITY,
                              0, "grad_scale must be > 0 (jaxsnn: "
                              "1/tau_syn)", &o->grad_scale)) ||
            (rc = get_bounded(host, ctx, "clip", 0, 0, 0, INFINITY, 0,
                              "clip must be >= 0 (0 = none; jaxsnn: 0.01)",
                              &o->clip)) ||
            (rc = get_bounded(host, ctx, "lr_decay", 1.0, 0, 1, 1, 0,
                              "need 0 < lr_decay <= 1 (1 = constant lr; "
                              "jaxsnn: 0.98 per epoch)", &o->lr_decay)) ||
            (rc = get_bounded(host, ctx, "decay_steps", 1.0, 0, 1, INFINITY,
                              0, "decay_steps must be > 0 (steps per "
                              "epoch for a decay per epoch)",
                              &o->decay_steps)) ||
            (rc = get_bounded(host, ctx, "weight_bound", 0, 0, 0, INFINITY,
                              0, "weight_bound must be >= 0 (0 = none)",
                              &o->weight_bound)))
            goto fail;
    } else if (algo == OPT_RMSPROP) {
        if ((rc = get_bounded(host, ctx, "lr", 1e-3, 0, 1, INFINITY, 0,
                              "the learning rate must be > 0 (e.g. 1e-3)",
                              &o->lr)) ||
            (rc = get_bounded(host, ctx, "rho", 0.9, 0, 0, 1, 1,
                              "need 0 <= rho < 1 (usually 0.9)", &o->rho)) ||
            (rc = get_bounded(host, ctx, "eps", 1e-7, 0, 1, INFINITY, 0,
                              "eps must be > 0 (Keras: 1e-7)", &o->eps)) ||
            (rc = get_bounded(host, ctx, "lr_decay", 1.0, 0, 1, 1, 0,
                              "need 0 < lr_decay <= 1 (1 = constant lr)",
                              &o->lr_decay)) ||
            (rc = get_bounded(host, ctx, "decay_steps", 1.0, 0, 1, INFINITY,
                              0, "decay_steps must be > 0 (steps per "
                              "epoch for a decay per epoch)",
                              &o->decay_steps)))
            goto fail;
    } else {
        if ((rc = get_bounded(host, ctx, "lr", 1e-2, 0, 1, INFINITY, 0,
                              "the learning rate must be > 0 (e.g. 1e-2)",
                              &o->lr)) ||
            (rc = get_bounded(host, ctx, "momentum", 0, 0, 0, 1, 1,
                              "need 0 <= momentum < 1 (0 = plain SGD)",
                              &o->momentum)) ||
            (rc = get_bounded(host, ctx, "weight_decay", 0, 0, 0, INFINITY,
                              0, "weight_decay must be >= 0 (0 = none)",
                              &o->weight_decay)))
            goto fail;
    }
    *self = o;
    return SL_OK;
fail:
    host->xFree(o);
    return rc;
}

static int adam_create(const sl_host *host, sl_ctx *ctx, void **self)
{
    return optim_create(host, ctx, self, OPT_ADAM);
}

static int sgd_create(const sl_host *host, sl_ctx *ctx, void **self)
{
    return optim_create(host, ctx, self, OPT_SGD);
}

static int rmsprop_create(const sl_host *host, sl_ctx *ctx, void **self)
{
    return optim_create(host, ctx, self, OPT_RMSPROP);
}

static void optim_unbind(optim *o)
{
    const sl_host *h = o->host;
    h->xFree(o->idx);
    h->xFree(o->m);
    h->xFree(o->v);
    h->xFree(o->pool);
    o->idx = NULL;
    o->m = o->v = NULL;
    o->pool = NULL;
    o->n_bound = 0;
    o->params = NULL;
}

static void optim_destroy(void *self)
{
    optim *o = self;
    if (!o)
        return;
    optim_unbind(o);
    o->host->xFree(o);
}

static int is_trainable(const sl_param *p)
{
    return (p->flags & SL_PARAM_TRAINABLE) && p->grad != NULL &&
           p->data != NULL;
}

/* Allocate zeroed moment buffers for every trainable parameter. A second
 * call rebinds from scratch (state and step count reset). */
static int optim_bind(void *self, sl_param *params, size_t n)
{
    optim *o = self;
    const sl_host *h = o->host;
    optim_unbind(o);
    o->t = 0;
    if (n > 0 && !params)
        return h->xError(o->ctx, NULL, SL_EINVAL,
                         "xBind: NULL parameter array with n = %zu", n);

    size_t n_tr = 0, total = 0;
    for (size_t i = 0; i < n; i++)
        if (is_trainable(&params[i])) {
            n_tr++;
            total += params[i].n;
        }
    size_t per = o->algo == OPT_ADAM ? 2 : 1; /* buffers per element */
    if (n_tr == 0) {
        o->params = params;
        return SL_OK; /* nothing to train: xStep is a no-op */
    }
    if (total > SIZE_MAX / sizeof(double) / per)
        return h->xError(o->ctx, NULL, SL_ENOMEM,
                         "optimizer state too large (%zu elements)", total);
    o->idx = h->xAlloc(n_tr * sizeof *o->idx);
    o->m = h->xAlloc(n_tr * sizeof *o->m);
    o->v = h->xAlloc(n_tr * sizeof *o->v);
    o->pool = h->xAlloc((total ? total : 1) * per * sizeof *o->pool);
    if (!o->idx || !o->m || !o->v || !o->pool) {
        optim_unbind(o);
        return h->xError(o->ctx, NULL, SL_ENOMEM,
                         "out of memory for optimizer state (%zu elements)",
                         total);
    }
    double *cur = o->pool;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_trainable(&params[i]))
            continue;
        o->idx[k] = i;
        o->m[k] = cur;
        cur += params[i].n;
        if (per == 2) {
            o->v[k] = cur;
            cur += params[i].n;
        }
        k++;
    }
    o->params = params;
    o->n_bound = n_tr;
    return SL_OK;
}

/* SL_ENUMERIC naming the first parameter with a non-finite gradient. */
static int check_finite(optim *o)
{
    for (size_t k = 0; k < o->n_bound; k++) {
        const sl_param *p = &o->params[o->idx[k]];
        for (size_t j = 0; j < p->n; j++)
            if (!isfinite(p->grad[j]))
                return o->host->xError(
                    o->ctx, NULL, SL_ENUMERIC,
                    "gradient of parameter '%s' (bound parameter %zu) is "
                    "%g at element %zu; no parameter was updated — lower the "
                    "learning rate or check the loss and inputs for NaN/inf",
                    p->name ? p->name : "?", o->idx[k], (double)p->grad[j],
                    j);
    }
    return SL_OK;
}

/* The learning rate of the update about to be taken (o->t already
 * counts it): optax.exponential_decay / Keras ExponentialDecay, not
 * staircase, counting the updates before this one. */
static double scheduled_lr(const optim *o)
{
    if (o->lr_decay == 1.0)
        return o->lr;
    return o->lr * pow(o->lr_decay, (double)(o->t - 1) / o->decay_steps);
}

static int adam_step(optim *o)
{
    o->t++;
    /* 1 − β^t; pow keeps it exact enough for any t (no drift from a
     * running product). */
    double bc1 = 1.0 - pow(o->beta1, (double)o->t);
    double bc2 = 1.0 - pow(o->beta2, (double)o->t);
    double b1 = o->beta1, b2 = o->beta2, lr = scheduled_lr(o),
           eps = o->eps, wd = o->weight_decay;
    const int chain = o->grad_scale != 1.0 || o->clip > 0;
    const double gs = o->grad_scale, cl = o->clip, wb = o->weight_bound;
    for (size_t k = 0; k < o->n_bound; k++) {
        sl_param *p = &o->params[o->idx[k]];
        float *w = p->data;
        const float *gr = p->grad;
        double *m = o->m[k], *v = o->v[k];
        for (size_t j = 0; j < p->n; j++) {
            double g = (double)gr[j] + wd * (double)w[j];
            if (chain) { /* optax.scale, then optax.clip, before Adam */
                g *= gs;
                if (cl > 0)
                    g = g > cl ? cl : g < -cl ? -cl : g;
            }
            m[j] = b1 * m[j] + (1.0 - b1) * g;
            v[j] = b2 * v[j] + (1.0 - b2) * g * g;
            double mhat = m[j] / bc1, vhat = v[j] / bc2;
            w[j] = (float)((double)w[j] - lr * mhat / (sqrt(vhat) + eps));
            if (wb > 0) /* jaxsnn's mock: the chip's weight range */
                w[j] = w[j] > wb ? (float)wb : w[j] < -wb ? (float)-wb : w[j];
        }
    }
    return SL_OK;
}

static int rmsprop_step(optim *o)
{
    o->t++;
    double lr = scheduled_lr(o), rho = o->rho, eps = o->eps;
    for (size_t k = 0; k < o->n_bound; k++) {
        sl_param *p = &o->params[o->idx[k]];
        float *w = p->data;
        const float *gr = p->grad;
        double *r = o->m[k];
        for (size_t j = 0; j < p->n; j++) {
            double g = (double)gr[j];
            r[j] = rho * r[j] + (1.0 - rho) * g * g;
            w[j] = (float)((double)w[j] - lr * g / (sqrt(r[j]) + eps));
        }
    }
    return SL_OK;
}

static int sgd_step(optim *o)
{
    o->t++;
    double lr = o->lr, mu = o->momentum, wd = o->weight_decay;
    for (size_t k = 0; k < o->n_bound; k++) {
        sl_param *p = &o->params[o->idx[k]];
        float *w = p->data;
        const float *gr = p->grad;
        double *b = o->m[k];
        for (size_t j = 0; j < p->n; j++) {
            double g = (double)gr[j] + wd * (double)w[j];
            b[j] = mu * b[j] + g;
            w[j] = (float)((double)w[j] - lr * b[j]);
        }
    }
    return SL_OK;
}

/* One update; allocates nothing. SL_ENUMERIC (state untouched) on a
 * non-finite gradient. */
static int optim_step(void *self)
{
    optim *o = self;
    int rc = check_finite(o);
    if (rc != SL_OK)
        return rc;
    return o->algo == OPT_ADAM      ? adam_step(o)
           : o->algo == OPT_RMSPROP ? rmsprop_step(o)
                                    : sgd_step(o);
}

/* ---- state (state.h): the step count and the moment buffers, so that a
 * run resumed from a checkpoint continues bit-identically. Layout: three
 * uint64 (algorithm, steps taken, elements of the pool), then the pool's
 * doubles as they are in memory (read back only on this build's host). */
static size_t pool_elems(const optim *o)
{
    size_t total = 0;
    for (size_t k = 0; k < o->n_bound; k++)
        total += o->params[o->idx[k]].n;
    return total * (o->algo == OPT_ADAM ? 2 : 1);
}

static size_t optim_state_size(void *self)
{
    const optim *o = self;
    return 3 * sizeof(uint64_t) + pool_elems(o) * sizeof(double);
}

static int optim_state_save(void *self, void *buf, size_t size)
{
    optim *o = self;
    if (!buf || size != optim_state_size(o))
        return o->host->xError(o->ctx, NULL, SL_EINVAL, "state buffer of "
                               "%zu bytes, need %zu", size,
                               optim_state_size(o));
    uint64_t head[3] = {(uint64_t)o->algo, o->t, (uint64_t)pool_elems(o)};
    memcpy(buf, head, sizeof head);
    if (head[2])
        memcpy((char *)buf + sizeof head, o->pool, head[2] * sizeof(double));
    return SL_OK;
}

static int optim_state_load(void *self, const void *buf, size_t size)
{
    optim *o = self;
    uint64_t head[3];
    if (!buf || size != optim_state_size(o))
        return o->host->xError(o->ctx, NULL, SL_EDATA, "optimizer state of "
                               "%zu bytes, expected %zu for these "
                               "parameters", size, optim_state_size(o));
    memcpy(head, buf, sizeof head);
    if (head[0] != (uint64_t)o->algo || head[2] != pool_elems(o))
        return o->host->xError(o->ctx, NULL, SL_EDATA, "the stored state is "
                               "of another optimizer (%s, %llu elements)",
                               head[0] == OPT_ADAM      ? "adam"
                               : head[0] == OPT_RMSPROP ? "rmsprop"
                                                        : "sgd",
                               (unsigned long long)head[2]);
    o->t = head[1];
    if (head[2])
        memcpy(o->pool, (const char *)buf + sizeof head,
               head[2] * sizeof(double));
    return SL_OK;
}

static const sl_state_ext optim_state = {
    sizeof(sl_state_ext), optim_state_size, optim_state_save,
    optim_state_load};

static const void *optim_extension(void *self, const char *name)
{
    (void)self;
    if (name && strcmp(name, SL_EXT_STATE) == 0)
        return &optim_state;
    return NULL;
}

static const sl_optimizer_iface adam_iface = {
    .struct_size = sizeof(sl_optimizer_iface),
    .flags = SL_OPT_GRADIENT,
    .xCreate = adam_create,
    .xDestroy = optim_destroy,
    .xBind = optim_bind,
    .xStep = optim_step,
    .xRuleUpdate = NULL,
    .xExtension = optim_extension,
};

static const sl_optimizer_iface sgd_iface = {
    .struct_size = sizeof(sl_optimizer_iface),
    .flags = SL_OPT_GRADIENT,
    .xCreate = sgd_create,
    .xDestroy = optim_destroy,
    .xBind = optim_bind,
    .xStep = optim_step,
    .xRuleUpdate = NULL,
    .xExtension = optim_extension,
};

/* The bounds here are the ones get_bounded enforces. */
/* The learning-rate schedule (scheduled_lr), read by adam and rmsprop. */
#define OPTIM_DECAY_SETTINGS                                                   \
    SL_SETTING(SL_SET_FLOAT, "lr_decay", "1.0", "1",                           \
               SL_BOUNDS(SL_SET_MIN | SL_SET_MIN_OPEN | SL_SET_MAX, 0, 1),     \
               "lr multiplied by lr_decay^(step/decay_steps) "                 \
               "(optax.exponential_decay; 1 = constant)"),                     \
    SL_SETTING(SL_SET_FLOAT, "decay_steps", "1.0", "1", SL_GT(0),              \
               "steps of one lr_decay factor (the batches of an epoch for "    \
               "a decay per epoch)")

/* The chain around the update (the header's comment), shared by adam and
 * sgd: read by optim_create for both, so declared in both tables. */
#define OPTIM_CHAIN_SETTINGS                                                   \
    SL_SETTING(SL_SET_FLOAT, "grad_scale", "1.0", "1", SL_GT(0),               \
               "gradient multiplied by this before clipping and the update "   \
               "(optax.scale; jaxsnn's event examples: 1/tau_syn)"),           \
    SL_SETTING(SL_SET_FLOAT, "clip", "0.0", "1", SL_MIN(0),                    \
               "each scaled gradient entry clipped to +-clip before the "      \
               "update (optax.clip; 0 = none)"),                               \
    OPTIM_DECAY_SETTINGS,                                                      \
    SL_SETTING(SL_SET_FLOAT, "weight_bound", "0.0", "1", SL_MIN(0),            \
               "after every step each parameter clipped to +-bound "           \
               "(jaxsnn's mock: 63/weight_scale; 0 = none)")

static const sl_setting adam_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "lr", "1e-3", "1", SL_GT(0), "learning rate"),
    SL_SETTING(SL_SET_FLOAT, "beta1", "0.9", "1",
               SL_BOUNDS(SL_SET_MIN | SL_SET_MAX | SL_SET_MAX_OPEN, 0, 1),
               "decay of the first-moment estimate"),
    SL_SETTING(SL_SET_FLOAT, "beta2", "0.999", "1",
               SL_BOUNDS(SL_SET_MIN | SL_SET_MAX | SL_SET_MAX_OPEN, 0, 1),
               "decay of the second-moment estimate"),
    SL_SETTING(SL_SET_FLOAT, "eps", "1e-8", "1", SL_GT(0),
               "added to sqrt(v) in the denominator"),
    SL_SETTING(SL_SET_FLOAT, "weight_decay", "0.0", "1", SL_MIN(0),
               "L2 penalty added to the gradient (0 = none)"),
    OPTIM_CHAIN_SETTINGS,
};

static const sl_optimizer_iface rmsprop_iface = {
    .struct_size = sizeof(sl_optimizer_iface),
    .flags = SL_OPT_GRADIENT,
    .xCreate = rmsprop_create,
    .xDestroy = optim_destroy,
    .xBind = optim_bind,
    .xStep = optim_step,
    .xRuleUpdate = NULL,
    .xExtension = optim_extension,
};

static const sl_setting rmsprop_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "lr", "1e-3", "1", SL_GT(0), "learning rate"),
    SL_SETTING(SL_SET_FLOAT, "rho", "0.9", "1",
               SL_BOUNDS(SL_SET_MIN | SL_SET_MAX | SL_SET_MAX_OPEN, 0, 1),
               "decay of the mean square r = rho·r + (1 − rho)·g²"),
    SL_SETTING(SL_SET_FLOAT, "eps", "1e-7", "1", SL_GT(0),
               "added to sqrt(r), outside the root (Keras)"),
    OPTIM_DECAY_SETTINGS,
};

static const sl_setting sgd_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "lr", "1e-2", "1", SL_GT(0), "learning rate"),
    SL_SETTING(SL_SET_FLOAT, "momentum", "0.0", "1",
               SL_BOUNDS(SL_SET_MIN | SL_SET_MAX | SL_SET_MAX_OPEN, 0, 1),
               "momentum (0 = plain SGD)"),
    SL_SETTING(SL_SET_FLOAT, "weight_decay", "0.0", "1", SL_MIN(0),
               "L2 penalty added to the gradient (0 = none)"),
    OPTIM_CHAIN_SETTINGS,
};

static const sl_component optim_components[] = {
    SL_COMPONENT(SL_KIND_OPTIMIZER, "adam",
                 "Adam with bias correction (lr, beta1, beta2, eps, "
                 "weight_decay)",
                 &adam_iface, adam_settings),
    SL_COMPONENT(SL_KIND_OPTIMIZER, "sgd",
                 "stochastic gradient descent with momentum (lr, momentum, "
                 "weight_decay)",
                 &sgd_iface, sgd_settings),
    SL_COMPONENT(SL_KIND_OPTIMIZER, "rmsprop",
                 "RMSprop as Keras/TensorFlow 2 (lr, rho, eps; eps added "
                 "to sqrt of the mean square)",
                 &rmsprop_iface, rmsprop_settings),
};

static const sl_plugin_desc optim_desc =
    SL_PLUGIN_DESC("optim", OPTIM_VERSION,
                   "gradient optimizers: adam, sgd, rmsprop",
                   optim_components);

/* The plugin's only exported symbol: returns the static descriptor. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    (void)host;
    return &optim_desc;
}
