/*
 * example_relu.c — a complete out-of-tree spikelab plugin, as a template.
 *
 * One component, the neuron (layer) kind "example_relu":
 *     y = x          for x >= 0
 *     y = slope · x  for x <  0         (leaky rectifier, analog output)
 * Setting: slope (float, default 0.01, 0 <= slope <= 1).
 * Backward: din = dout where x >= 0, slope · dout elsewhere. No parameters.
 *
 * Build it against an installed spikelab (see Makefile):
 *     cc -shared -fPIC $(pkg-config --cflags spikelab) example_relu.c \
 *        -o example_relu.so
 * It needs no library: every host service arrives through the sl_host table
 * passed to spikelab_plugin_init. Then
 *     spikelab plugins --plugin-path .
 * lists it, and an experiment uses it as a layer: { type = "example_relu";
 * slope = 0.1; }, with plugin_path = ["DIR"] naming this directory.
 */
#include <stddef.h>

#include <spikelab/spikelab.h>

/* One instance. Allocated with host->xAlloc in xCreate, freed in xDestroy;
 * the mask buffer is sized in xPrepare so that xForward/xBackward never
 * allocate (the ABI's rule for the hot path). */
typedef struct relu {
    const sl_host *h;
    size_t n, batch, time;
    uint32_t mode;
    float slope;
    unsigned char *neg; /* x < 0 per element of the last forward (train) */
    size_t neg_cap;
} relu;

static int relu_create(const sl_host *h, sl_ctx *ctx,
                       const sl_layer_info *info, void **self, size_t *n_out)
{
    double slope;
    int rc = h->xGetFloat(ctx, "slope", 0.01, &slope);
    if (rc != SL_OK)
        return rc; /* the host recorded which key and line were wrong */
    if (!(slope >= 0.0 && slope <= 1.0))
        return h->xError(ctx, "slope", SL_ECONFIG,
                         "example_relu: slope must lie in [0, 1], got %g",
                         slope);
    relu *r = h->xAlloc(sizeof *r);
    if (!r)
        return SL_ENOMEM;
    r->h = h;
    r->n = info->n_in;
    r->slope = (float)slope;
    *self = r;
    *n_out = info->n_in; /* element-wise: as many outputs as inputs */
    return SL_OK;
}

static void relu_destroy(void *self)
{
    relu *r = self;
    if (r) {
        r->h->xFree(r->neg);
        r->h->xFree(r);
    }
}

static int relu_params(void *self, sl_param *out, size_t cap, size_t *count)
{
    (void)self, (void)out, (void)cap;
    *count = 0; /* nothing to train */
    return SL_OK;
}

static int relu_prepare(void *self, size_t batch, size_t time, uint32_t mode)
{
    relu *r = self;
    size_t need = batch * time * r->n;
    if ((mode & SL_MODE_TRAIN) && need > r->neg_cap) {
        r->h->xFree(r->neg);
        r->neg = r->h->xAlloc(need);
        r->neg_cap = r->neg ? need : 0;
        if (!r->neg)
            return SL_ENOMEM;
    }
    r->batch = batch;
    r->time = time;
    r->mode = mode;
    return SL_OK;
}

static int relu_forward(void *self, const float *in, float *out)
{
    relu *r = self;
    size_t n = r->batch * r->time * r->n;
    int train = (r->mode & SL_MODE_TRAIN) != 0;
    for (size_t i = 0; i < n; i++) {
        int neg = in[i] < 0.0f;
        out[i] = neg ? r->slope * in[i] : in[i];
        if (train)
            r->neg[i] = (unsigned char)neg;
    }
    return SL_OK;
}

static int relu_backward(void *self, const float *dout, float *din)
{
    relu *r = self;
    if (!(r->mode & SL_MODE_TRAIN))
        return SL_EINVAL; /* no tape: xPrepare was not in train mode */
    if (!din)
        return SL_OK; /* no parameters, nothing else to compute */
    size_t n = r->batch * r->time * r->n;
    for (size_t i = 0; i < n; i++)
        din[i] = r->neg[i] ? r->slope * dout[i] : dout[i];
    return SL_OK;
}

static const sl_neuron_iface relu_iface = {
    sizeof(sl_neuron_iface), /* struct_size: how the core knows our ABI */
    0,                       /* flags: analog output, not spikes */
    relu_create,
    relu_destroy,
    relu_params,
    relu_prepare,
    relu_forward,
    relu_backward,
    NULL, /* xObservable: nothing to record */
    NULL, /* xExtension: no optional capabilities */
};

/* Every setting the component reads, with its default (the one passed to
 * xGetFloat: the host checks they agree), range, unit and one line of
 * documentation; `spikelab plugins example_relu` prints it. */
static const sl_setting relu_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "slope", "0.01", "1", SL_RANGE(0, 1),
               "slope for negative inputs"),
};

static const sl_component components[] = {
    SL_COMPONENT(SL_KIND_NEURON, "example_relu",
                 "leaky rectifier y = max(x, slope x) (out-of-tree example)",
                 &relu_iface, relu_settings),
};

/* Static storage: the core keeps pointers into it while the .so is
 * loaded. */
static const sl_plugin_desc descriptor =
    SL_PLUGIN_DESC("example_relu", "1.0.0",
                   "example plugin built out of tree with pkg-config",
                   components);

/* The one exported symbol. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    (void)host;
    return &descriptor;
}
