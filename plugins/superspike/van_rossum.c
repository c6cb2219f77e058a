/*
 * plugins/superspike/van_rossum.c — loss "van_rossum" of superspike.so
 * (the SuperSpike rule's loss, beside it): the van Rossum distance
 * between output and target spike trains as the SuperSpike tutorial
 * measures it (specs/superspike.md §6 steps 3 and 5), for any model.
 *
 * Per batch element b and channel c, with d = target − output on the grid:
 *   e = convolve_same(d, kernel_vrd)        (kernel_vrd = the PSP-shaped
 *       kernel exp(−k/(tau_syn/dt)) − exp(−k/(tau_mem/dt)) of §4, causal
 *       with a one-step delay; ss_kernels.h)
 *   norm "l1" (default): L_bc = Σ_t |e[t]|   (the tutorial's per-epoch loss)
 *   norm "l2":           L_bc = ½ Σ_t e[t]²  (the paper's ½∫e²)
 *   value = (1/B) Σ_b Σ_c L_bc              (sum over time and channels,
 *                                             mean over the batch)
 * Gradient w.r.t. the output (d = y − o, so de/do = −kernel):
 *   l2: dL/do[s] = −(1/B) Σ_t e[t]·k(t − s)   exact (the correlation of e
 *       with the kernel: the transpose of the filter)
 *   l1: dL/do[s] = −(1/B) Σ_t sign(e[t])·k(t − s), sign(0) = 0: a
 *       subgradient, the derivative wherever no e[t] is exactly 0.
 * e is the FIR sum exactly (kernel tails scattered at the nonzero steps of
 * d, so steps no spike reaches stay exactly 0 and sign(e) is right there);
 * the gradient's correlation runs the windowed exponential recursion
 * (ss_corr_exp, O(T), FIR up to rounding ~1e-15 relative).
 * The target may have time 1 (broadcast in time), as for every loss.
 *
 * Settings (loss group; seconds of the network's dt):
 *   norm           "l1"      "l1" or "l2"
 *   tau_mem        10e-6 s   } the kernel; tau_mem ≠ tau_syn
 *   tau_syn        5e-6 s    }
 *   kernel_length  100e-6 s  } K = floor(kernel_length/dt), made odd; must
 *                              cover at least 2 steps of dt
 *
 * Memory: the kernel depends on dt and the scratch on the sequence length,
 * which a loss first sees in xEval. Both are allocated at the first call
 * and again only when dt changes or a longer sequence arrives; every other
 * xEval allocates nothing (the one exception to "xEval MUST NOT allocate",
 * amortised to once per shape). Sums in double. A non-finite value (NaN or
 * inf in the output) returns SL_ENUMERIC.
 */
#include <math.h>
#include <string.h>

#include "spikelab/spikelab.h"
#include "ss_kernels.h"
#include "superspike.h"

typedef struct vr_loss {
    const sl_host *h;
    sl_ctx *ctx;
    double tau_mem, tau_syn, kernel_length;
    int l2;
    double dt;      /* kernel built for this dt; 0 = not yet */
    size_t K, H;
    ss_exp syn, mem;   /* for the gradient's recursion */
    double *psc, *psp; /* [K] */
    size_t cap_t;
    double *d, *e;  /* [cap_t] scratch */
} vr_loss;

static void vr_destroy(void *self)
{
    vr_loss *l = self;
    if (!l)
        return;
    l->h->xFree(l->psc), l->h->xFree(l->psp);
    l->h->xFree(l->d), l->h->xFree(l->e);
    l->h->xFree(l);
}

static int vr_create(const sl_host *h, sl_ctx *ctx, void **self)
{
    vr_loss *l = h->xAlloc(sizeof *l);
    if (!l)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    l->h = h;
    l->ctx = ctx;
    const char *norm = NULL;
    int rc;
    if ((rc = h->xGetString(ctx, "norm", "l1", &norm)) ||
        (rc = ss_read_kernel_settings(h, ctx, &l->tau_mem, &l->tau_syn,
                                      &l->kernel_length)))
        goto fail;
    if (strcmp(norm, "l1") == 0)
        l->l2 = 0;
    else if (strcmp(norm, "l2") == 0)
        l->l2 = 1;
    else {
        rc = h->xError(ctx, "norm", SL_ECONFIG,
                       "norm = \"%s\" is not known: use \"l1\" (Σ|e|, the "
                       "tutorial's loss) or \"l2\" (½Σe²)", norm);
        goto fail;
    }
    *self = l;
    return SL_OK;
fail:
    h->xFree(l);
    return rc;
}

/* Kernel for dt and scratch for T; allocates only when they change. */
static int vr_ensure(vr_loss *l, double dt, size_t T)
{
    const sl_host *h = l->h;
    if (l->dt != dt || !l->psc) {
        size_t K = ss_kernel_size(l->kernel_length, dt);
        if (K < 3)
            return h->xError(l->ctx, "kernel_length", SL_ECONFIG,
                             "kernel_length = %g s is less than 2 steps of "
                             "the sequence's dt = %g s: the kernel would be "
                             "empty (give kernel_length, tau_mem and tau_syn "
                             "in the same seconds as dt)",
                             l->kernel_length, dt);
        h->xFree(l->psc), h->xFree(l->psp);
        l->psc = h->xAlloc(K * sizeof(double));
        l->psp = h->xAlloc(K * sizeof(double));
        l->dt = 0.0;
        if (!l->psc || !l->psp)
            return h->xError(l->ctx, NULL, SL_ENOMEM,
                             "cannot allocate a kernel of %zu taps", K);
        ss_kernel_build(l->tau_mem, l->tau_syn, dt, K, l->psc, l->psp);
        l->syn = ss_exp_of(l->tau_syn, dt, K / 2);
        l->mem = ss_exp_of(l->tau_mem, dt, K / 2);
        l->K = K;
        l->H = K / 2;
        l->dt = dt;
    }
    if (T > l->cap_t) {
        h->xFree(l->d), h->xFree(l->e);
        l->d = h->xAlloc(T * sizeof(double));
        l->e = h->xAlloc(T * sizeof(double));
        l->cap_t = 0;
        if (!l->d || !l->e)
            return h->xError(l->ctx, NULL, SL_ENOMEM,
                             "cannot allocate scratch for %zu steps", T);
        l->cap_t = T;
    }
    return SL_OK;
}

static int vr_eval(void *self, const sl_seq *out, const sl_seq *target,
                   double *value, float *grad)
{
    vr_loss *l = self;
    const sl_host *h = l->h;
    if (!out || !target || !out->data || !target->data || !value)
        return h->xError(l->ctx, NULL, SL_EINVAL,
                         "loss called without output or target data");
    size_t B = out->batch, T = out->time, C = out->channels;
    if (B == 0 || T == 0 || C == 0)
        return h->xError(l->ctx, NULL, SL_EINVAL,
                         "empty output sequence [%zu][%zu][%zu]", B, T, C);
    if (target->batch != B || target->channels != C ||
        (target->time != 1 && target->time != T))
        return h->xError(l->ctx, NULL, SL_EINVAL,
                         "target shape [%zu][%zu][%zu] does not match output "
                         "[%zu][%zu][%zu]: batch and channels must be equal "
                         "and target time 1 (broadcast) or equal to the "
                         "output's",
                         target->batch, target->time, target->channels, B, T,
                         C);
    double dt = out->dt;
    if (!(dt > 0) || !isfinite(dt))
        return h->xError(l->ctx, NULL, SL_EINVAL,
                         "the output sequence carries no time step (dt = %g)",
                         dt);
    int rc = vr_ensure(l, dt, T);
    if (rc)
        return rc;
    const size_t H = l->H;
    const double *tail = l->psp + l->K / 2 + 1;
    const size_t ystride = target->time == 1 ? 0 : C;
    const double gscale = -1.0 / (double)B;
    double total = 0.0;
    for (size_t b = 0; b < B; b++) {
        const float *o = out->data + b * T * C;
        const float *y = target->data + b * target->time * C;
        for (size_t c = 0; c < C; c++) {
            for (size_t t = 0; t < T; t++)
                l->d[t] = (double)y[t * ystride + c] - (double)o[t * C + c];
            ss_scatter_tail_d(l->d, T, tail, H, l->e);
            double sum = 0.0;
            if (l->l2)
                for (size_t t = 0; t < T; t++)
                    sum += l->e[t] * l->e[t];
            else
                for (size_t t = 0; t < T; t++)
                    sum += fabs(l->e[t]);
            total += l->l2 ? 0.5 * sum : sum;
            if (!grad)
                continue;
            /* w = e (l2) or sign(e) (l1), then the filter's transpose */
            for (size_t t = 0; t < T; t++) {
                double e = l->e[t];
                l->d[t] = l->l2 ? e : (double)((e > 0.0) - (e < 0.0));
            }
            ss_corr_exp(l->d, T, l->syn, &l->mem, H, l->e);
            float *g = grad + b * T * C;
            for (size_t s = 0; s < T; s++)
                g[s * C + c] = (float)(gscale * l->e[s]);
        }
    }
    *value = total / (double)B;
    if (!isfinite(*value))
        return h->xError(l->ctx, NULL, SL_ENUMERIC,
                         "loss is %g: the network output contains NaN or inf",
                         *value);
    return SL_OK;
}

static const void *vr_extension(void *self, const char *name)
{
    (void)self;
    (void)name;
    return NULL;
}

const sl_loss_iface ss__van_rossum_iface = {
    .struct_size = sizeof(sl_loss_iface),
    .flags = 0,
    .xCreate = vr_create,
    .xDestroy = vr_destroy,
    .xEval = vr_eval,
    .xExtension = vr_extension,
};
