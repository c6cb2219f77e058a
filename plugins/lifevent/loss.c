/*
 * plugins/lifevent/loss.c — spike-time losses of specs/lif.md §5.6 on an
 * event sequence (spikelab/events.h): out[b][0][k] is the first spike
 * time t_k of output k (+INFINITY: none). The target is the class
 * one-hot (the Yin-Yang dataset's [1][C] target; its arg-max is the
 * class c), turned into target times t̂_c = t_correct and t̂_k = t_wrong
 * for k != c (jaxsnn's target_temporal_encode). Times are clipped,
 * t'_k = min(t_k, t_clip), and a clipped time has no gradient (the
 * gradient almost everywhere: an output that never spikes is not pulled
 * by this loss, as in jaxsnn).
 *
 * ttfs_mse: L = (1/B) Σ_b Σ_k ((t'_k − t̂_k)/tau)²
 *           dL/dt_k = 2·(t'_k − t̂_k)/(tau²·B) for t_k < t_clip.
 * ttfs_ce:  L = (1/B) Σ_b −log softmax(−t'/tau)_c
 *             = (1/B) Σ_b ln Σ_k exp((t'_c − t'_k)/tau)
 *           dL/dt_k = (δ_kc − p_k)/(tau·B), p = softmax(−t'/tau).
 *           (jaxsnn's ttfs_loss returns −ln Σ_k exp((t_c − t_k)/tau),
 *           the negative of this, which a minimiser would push the wrong
 *           way; we take the cross-entropy it is meant to be.)
 * Defaults are jaxsnn's Yin-Yang ones: tau = tau_mem = 10 ms, t_clip =
 * 2·tau_mem, t_correct = 0.9·tau_syn, t_wrong = 1.1·tau_syn (tau_syn 5
 * ms). Later slots of the sequence (second spikes) get gradient 0.
 */
#include <math.h>
#include <string.h>

#include "lifevent.h"

typedef struct tloss {
    const sl_host *h;
    sl_ctx *ctx;
    int ce;
    double tau, t_clip, t_correct, t_wrong;
} tloss;

static int tloss_create(const sl_host *h, sl_ctx *ctx, void **self, int ce)
{
    int rc;
    tloss *l = h->xAlloc(sizeof *l);
    if (l == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "cannot allocate the loss");
    l->h = h;
    l->ctx = ctx;
    l->ce = ce;
    if ((rc = h->xGetFloat(ctx, "tau", 1e-2, &l->tau)) < 0 ||
        (rc = h->xGetFloat(ctx, "t_clip", 2e-2, &l->t_clip)) < 0 ||
        (rc = h->xGetFloat(ctx, "t_correct", 4.5e-3, &l->t_correct)) < 0 ||
        (rc = h->xGetFloat(ctx, "t_wrong", 5.5e-3, &l->t_wrong)) < 0) {
        h->xFree(l);
        return rc;
    }
    *self = l;
    return SL_OK;
}

static int mse_create(const sl_host *h, sl_ctx *ctx, void **self)
{
    return tloss_create(h, ctx, self, 0);
}

static int ce_create(const sl_host *h, sl_ctx *ctx, void **self)
{
    return tloss_create(h, ctx, self, 1);
}

static void tloss_destroy(void *self)
{
    tloss *l = self;
    if (l)
        l->h->xFree(l);
}

static int tloss_eval(void *self, const sl_seq *out, const sl_seq *target,
                      double *value, float *grad)
{
    tloss *l = self;
    if (!out || !target || !value || !out->data || !target->data)
        return l->h->xError(l->ctx, NULL, SL_EINVAL, "xEval: NULL argument");
    const size_t B = out->batch, T = out->time, C = out->channels;
    if (target->batch != B || target->channels != C || B == 0 || T == 0 ||
        C == 0)
        return l->h->xError(l->ctx, NULL, SL_EINVAL, "xEval: the target "
                            "[%zu][%zu][%zu] does not match the output "
                            "[%zu][%zu][%zu]", target->batch, target->time,
                            target->channels, B, T, C);
    const double tau = l->tau;
    double sum = 0;
    if (grad)
        memset(grad, 0, B * T * C * sizeof *grad);
    for (size_t b = 0; b < B; b++) {
        const float *t = out->data + b * T * C; /* slot 0: first spikes */
        const float *y = target->data + b * target->time * C;
        size_t c = 0;
        for (size_t k = 1; k < C; k++)
            if (y[k] > y[c])
                c = k;
        float *g = grad ? grad + b * T * C : NULL;
        if (!l->ce) {
            for (size_t k = 0; k < C; k++) {
                double tk = t[k], tt = k == c ? l->t_correct : l->t_wrong;
                int clip = !(tk < l->t_clip);
                double d = ((clip ? l->t_clip : tk) - tt) / tau;
                sum += d * d;
                if (g)
                    g[k] = clip ? 0.0f
                                : (float)(2.0 * d / (tau * (double)B));
            }
            continue;
        }
        double mx = -INFINITY;
        for (size_t k = 0; k < C; k++) {
            double tk = t[k] < l->t_clip ? t[k] : l->t_clip;
            if (-tk / tau > mx)
                mx = -tk / tau;
        }
        double z = 0;
        for (size_t k = 0; k < C; k++) {
            double tk = t[k] < l->t_clip ? t[k] : l->t_clip;
            z += exp(-tk / tau - mx);
        }
        double tc = t[c] < l->t_clip ? t[c] : l->t_clip;
        sum += tc / tau + mx + log(z);
        if (g)
            for (size_t k = 0; k < C; k++) {
                if (!(t[k] < l->t_clip))
                    continue;
                double p = exp(-(double)t[k] / tau - mx) / z;
                g[k] = (float)(((k == c) - p) / (tau * (double)B));
            }
    }
    *value = sum / (double)B;
    if (!isfinite(*value))
        return l->h->xError(l->ctx, NULL, SL_ENUMERIC, "loss is %g",
                            *value);
    return SL_OK;
}

const sl_loss_iface lev__ttfs_mse_iface = {
    sizeof(sl_loss_iface), 0, mse_create, tloss_destroy, tloss_eval, NULL,
};
const sl_loss_iface lev__ttfs_ce_iface = {
    sizeof(sl_loss_iface), 0, ce_create, tloss_destroy, tloss_eval, NULL,
};
