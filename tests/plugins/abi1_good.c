/*
 * tests/plugins/abi1_good.c — a working plugin built against the FROZEN
 * ABI 1.0 headers in tests/abi1/include (see tests/abi1/README), never the
 * current ones. That it keeps loading and computing through the current
 * core is the proof that the ABI is stable.
 *
 * Components:
 *   abi1_scale  (neuron)  y[b][t][i] = a · x[b][t][i]; one trainable
 *                         parameter "a" (setting "a", default 1.0, must
 *                         satisfy |a| <= 1e6). Backward: din = a · dout,
 *                         dL/da += Σ dout · x.
 *   abi1_mse    (loss)    L = mean over [batch][time][channel] of
 *                         (out − target)², target broadcast when its time
 *                         is 1; dL/dout = 2 (out − target) / N.
 */
#include <math.h>
#include <string.h>

#include "spikelab/spikelab.h"

#if SL_ABI_MAJOR != 1 || SL_ABI_MINOR != 0
#error "abi1_good.c must be compiled against tests/abi1/include (ABI 1.0)"
#endif

typedef struct scale {
    const sl_host *h;
    size_t n, batch, time;
    uint32_t mode;
    float a, ga;
    float *tape; /* copy of the last input when training; owned */
} scale;

static int scale_create(const sl_host *h, sl_ctx *ctx,
                        const sl_layer_info *info, void **self, size_t *n_out)
{
    double a;
    int rc = h->xGetFloat(ctx, "a", 1.0, &a);
    if (rc != SL_OK)
        return rc;
    if (!(fabs(a) <= 1e6))
        return h->xError(ctx, "a", SL_ECONFIG,
                         "abi1_scale: a = %g is out of range (|a| <= 1e6)",
                         a);
    if (info->n_in == 0)
        return h->xError(ctx, NULL, SL_ECONFIG, "abi1_scale: no inputs");
    scale *s = h->xAlloc(sizeof *s);
    if (!s)
        return SL_ENOMEM;
    s->h = h;
    s->n = info->n_in;
    s->a = (float)a;
    *self = s;
    *n_out = info->n_in;
    return SL_OK;
}

static void scale_destroy(void *self)
{
    scale *s = self;
    if (!s)
        return;
    s->h->xFree(s->tape);
    s->h->xFree(s);
}

static int scale_params(void *self, sl_param *out, size_t cap, size_t *count)
{
    scale *s = self;
    *count = 1;
    if (cap >= 1) {
        memset(&out[0], 0, sizeof out[0]);
        out[0].struct_size = sizeof out[0];
        out[0].flags = SL_PARAM_TRAINABLE;
        out[0].name = "a";
        out[0].data = &s->a;
        out[0].grad = &s->ga;
        out[0].n = 1;
        out[0].ndim = 1;
        out[0].shape[0] = 1;
    }
    return SL_OK;
}

static int scale_prepare(void *self, size_t batch, size_t time, uint32_t mode)
{
    scale *s = self;
    if ((mode & SL_MODE_TRAIN) &&
        (!s->tape || batch * time > s->batch * s->time)) {
        s->h->xFree(s->tape);
        s->tape = s->h->xAlloc(batch * time * s->n * sizeof(float));
        if (!s->tape) {
            s->batch = s->time = 0;
            return SL_ENOMEM;
        }
    }
    s->batch = batch;
    s->time = time;
    s->mode = mode;
    return SL_OK;
}

static int scale_forward(void *self, const float *in, float *out)
{
    scale *s = self;
    size_t n = s->batch * s->time * s->n;
    for (size_t i = 0; i < n; i++)
        out[i] = s->a * in[i];
    if (s->mode & SL_MODE_TRAIN)
        memcpy(s->tape, in, n * sizeof(float));
    return SL_OK;
}

static int scale_backward(void *self, const float *dout, float *din)
{
    scale *s = self;
    if (!(s->mode & SL_MODE_TRAIN))
        return SL_EINVAL;
    size_t n = s->batch * s->time * s->n;
    double g = 0.0;
    for (size_t i = 0; i < n; i++) {
        g += (double)dout[i] * s->tape[i];
        if (din)
            din[i] = s->a * dout[i];
    }
    s->ga += (float)g;
    return SL_OK;
}

static const sl_neuron_iface scale_iface = {
    sizeof(sl_neuron_iface),
    0,
    scale_create,
    scale_destroy,
    scale_params,
    scale_prepare,
    scale_forward,
    scale_backward,
    NULL,
    NULL,
};

static int mse_create(const sl_host *h, sl_ctx *ctx, void **self)
{
    (void)h, (void)ctx;
    *self = NULL; /* stateless */
    return SL_OK;
}

static void mse_destroy(void *self) { (void)self; }

static int mse_eval(void *self, const sl_seq *out, const sl_seq *target,
                    double *value, float *grad)
{
    (void)self;
    if (target->batch != out->batch || target->channels != out->channels ||
        (target->time != out->time && target->time != 1))
        return SL_EINVAL;
    size_t n = out->batch * out->time * out->channels;
    double sum = 0.0;
    for (size_t b = 0; b < out->batch; b++)
        for (size_t t = 0; t < out->time; t++)
            for (size_t c = 0; c < out->channels; c++) {
                size_t i = (b * out->time + t) * out->channels + c;
                size_t tt = target->time == 1 ? 0 : t;
                size_t j = (b * target->time + tt) * target->channels + c;
                double d = (double)out->data[i] - target->data[j];
                sum += d * d;
                if (grad)
                    grad[i] = (float)(2.0 * d / (double)n);
            }
    *value = n ? sum / (double)n : 0.0;
    return SL_OK;
}

static const sl_loss_iface mse_iface = {
    sizeof(sl_loss_iface), 0, mse_create, mse_destroy, mse_eval, NULL,
};

static const sl_component components[] = {
    {sizeof(sl_component), SL_KIND_NEURON, "abi1_scale",
     "y = a x (ABI 1.0 test layer)", &scale_iface},
    {sizeof(sl_component), SL_KIND_LOSS, "abi1_mse",
     "mean squared error (ABI 1.0 test loss)", &mse_iface},
};

static const sl_plugin_desc desc =
    SL_PLUGIN_DESC("abi1_good", "1.0.0", "built against the frozen ABI 1.0",
                   components);

SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *h)
{
    /* A 1.0 plugin may rely on the 1.0 host table only; refusing a host
     * that lacks it (rather than crashing) is what a plugin should do. */
    if (!h || h->abi_major != SL_ABI_MAJOR ||
        h->struct_size < offsetof(sl_host, xFree) + sizeof h->xFree)
        return NULL;
    return &desc;
}
