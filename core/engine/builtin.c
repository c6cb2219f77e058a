/* core/engine/builtin.c — components built into the core: the dense "linear"
 * connection and the default software backend "sim".
 *
 * linear: y[b][t][o] = Σ_i x[b][t][i]·W[i][o] (+ bias[o]).
 * The whole sequence is one (batch·time × n_in)·(n_in × n_out) product
 * through CBLAS, so the time loop lives inside the BLAS kernel. Settings:
 *   n_out (required), bias (false), init "kaiming_uniform" (U(±gain·√(6/n_in)),
 *   Rockpool's "kaiming" for dense layers) | "uniform" (low, high) |
 *   "normal" (mean, std) | "zeros", gain (1.0). The draw comes from the
 *   layer's stream "weight". W is [pre][post] like every weight in spikelab.
 *   sparse_input (false): for spike inputs that are mostly zeros (the SHD
 *   benchmark: 1 % of 700 channels), each row of the output is the sum of
 *   the rows of W its nonzero inputs pick, and dL/dW gets x·g only where
 *   x ≠ 0 — own fixed-order loops (the same bits on every machine)
 *   instead of the dense product, whose work is ~99 % multiplications by
 *   0 there. dL/dx stays a product (it is dense).
 */
#include <math.h>
#include <string.h>

#include "spikelab/spikelab.h"
#include "engine/registry.h"

typedef struct linear {
    const sl_host *h;
    size_t n_in, n_out, batch, time;
    int has_bias;
    int sparse;     /* sparse_input */
    float *w, *gw, *b, *gb;
    const float *x; /* input of the last forward (borrowed from caller) */
} linear;

static int lin_create(const sl_host *h, sl_ctx *ctx, const sl_layer_info *info,
                      void **self, size_t *n_out)
{
    int64_t nout;
    int bias, sparse;
    const char *init;
    double gain, a, b;
    int rc;
    if ((rc = h->xGetInt(ctx, "n_out", 0, &nout)) ||
        (rc = h->xGetBool(ctx, "bias", 0, &bias)) ||
        (rc = h->xGetString(ctx, "init", "kaiming_uniform", &init)) ||
        (rc = h->xGetFloat(ctx, "gain", 1.0, &gain)) ||
        (rc = h->xGetBool(ctx, "sparse_input", 0, &sparse)))
        return rc;
    if (nout < 1)
        return h->xError(ctx, "n_out", SL_ECONFIG,
                         "linear layer needs n_out >= 1 (its output width)");
    if (info->n_in < 1)
        return h->xError(ctx, NULL, SL_ECONFIG, "linear layer with no inputs");
    linear *l = h->xAlloc(sizeof *l);
    if (!l)
        return SL_ENOMEM;
    l->h = h;
    l->n_in = info->n_in;
    l->n_out = (size_t)nout;
    l->has_bias = bias;
    l->sparse = sparse;
    size_t n = l->n_in * l->n_out;
    l->w = h->xAlloc(n * sizeof(float));
    l->gw = h->xAlloc(n * sizeof(float));
    l->b = h->xAlloc(l->n_out * sizeof(float));
    l->gb = h->xAlloc(l->n_out * sizeof(float));
    if (!l->w || !l->gw || !l->b || !l->gb) {
        h->xFree(l->w), h->xFree(l->gw), h->xFree(l->b), h->xFree(l->gb);
        h->xFree(l);
        return SL_ENOMEM;
    }
    sl_rng rng;
    h->xRngDerive(ctx, "weight", &rng);
    if (strcmp(init, "kaiming_uniform") == 0) {
        double lim = gain * sqrt(6.0 / (double)l->n_in);
        for (size_t i = 0; i < n; i++)
            l->w[i] = (float)(lim * (2.0 * h->xRngUniform(&rng) - 1.0));
    } else if (strcmp(init, "uniform") == 0) {
        if ((rc = h->xGetFloat(ctx, "low", -1.0, &a)) ||
            (rc = h->xGetFloat(ctx, "high", 1.0, &b)))
            goto fail;
        for (size_t i = 0; i < n; i++)
            l->w[i] = (float)(a + (b - a) * h->xRngUniform(&rng));
    } else if (strcmp(init, "normal") == 0) {
        if ((rc = h->xGetFloat(ctx, "mean", 0.0, &a)) ||
            (rc = h->xGetFloat(ctx, "std", 1.0, &b)))
            goto fail;
        for (size_t i = 0; i < n; i++)
            l->w[i] = (float)(a + b * h->xRngNormal(&rng));
    } else if (strcmp(init, "zeros") != 0) {
        rc = h->xError(ctx, "init", SL_ECONFIG,
                       "unknown init '%s' (kaiming_uniform, uniform, normal, "
                       "zeros)", init);
        goto fail;
    }
    *self = l;
    *n_out = l->n_out;
    return SL_OK;
fail:
    h->xFree(l->w), h->xFree(l->gw), h->xFree(l->b), h->xFree(l->gb);
    h->xFree(l);
    return rc;
}

static void lin_destroy(void *self)
{
    linear *l = self;
    const sl_host *h = l->h;
    h->xFree(l->w), h->xFree(l->gw), h->xFree(l->b), h->xFree(l->gb);
    h->xFree(l);
}

static int lin_params(void *self, sl_param *out, size_t cap, size_t *count)
{
    linear *l = self;
    size_t k = 0;
    if (k < cap)
        out[k] = (sl_param){sizeof(sl_param), SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT,
                            "weight", l->w, l->gw, l->n_in * l->n_out, 2,
                            {l->n_in, l->n_out}};
    k++;
    if (l->has_bias) {
        if (k < cap)
            out[k] = (sl_param){sizeof(sl_param), SL_PARAM_TRAINABLE, "bias",
                                l->b, l->gb, l->n_out, 1, {l->n_out, 0}};
        k++;
    }
    *count = k;
    return SL_OK;
}

static int lin_prepare(void *self, size_t batch, size_t time, uint32_t mode)
{
    linear *l = self;
    l->batch = batch;
    l->time = time;
    return SL_OK;
}

static int lin_forward(void *self, const float *in, float *out)
{
    linear *l = self;
    int rows = (int)(l->batch * l->time);
    int ni = (int)l->n_in, no = (int)l->n_out;
    l->x = in;
    if (l->has_bias)
        for (int r = 0; r < rows; r++)
            memcpy(out + (size_t)r * no, l->b, (size_t)no * sizeof(float));
    if (l->sparse) {
        for (size_t r = 0; r < (size_t)rows; r++) {
            const float *restrict x = in + r * (size_t)ni;
            float *restrict y = out + r * (size_t)no;
            if (!l->has_bias)
                memset(y, 0, (size_t)no * sizeof(float));
            for (size_t i = 0; i < (size_t)ni; i++) {
                if (x[i] == 0.0f)
                    continue;
                const float xi = x[i];
                const float *restrict w = l->w + i * (size_t)no;
                for (size_t o = 0; o < (size_t)no; o++)
                    y[o] += xi * w[o];
            }
        }
        return SL_OK;
    }
    l->h->xGemm(0, 0, (size_t)rows, (size_t)no, (size_t)ni, 1.0f, in,
                   (size_t)ni, l->w, (size_t)no, l->has_bias ? 1.0f : 0.0f,
                   out, (size_t)no);
    return SL_OK;
}

static int lin_backward(void *self, const float *dout, float *din)
{
    linear *l = self;
    int rows = (int)(l->batch * l->time);
    int ni = (int)l->n_in, no = (int)l->n_out;
    /* gW[i][o] += Σ_r x[r][i]·g[r][o] */
    if (l->sparse) {
        for (size_t r = 0; r < (size_t)rows; r++) {
            const float *restrict x = l->x + r * (size_t)ni;
            const float *restrict g = dout + r * (size_t)no;
            for (size_t i = 0; i < (size_t)ni; i++) {
                if (x[i] == 0.0f)
                    continue;
                const float xi = x[i];
                float *restrict gw = l->gw + i * (size_t)no;
                for (size_t o = 0; o < (size_t)no; o++)
                    gw[o] += xi * g[o];
            }
        }
    } else {
        l->h->xGemm(1, 0, (size_t)ni, (size_t)no, (size_t)rows, 1.0f, l->x,
                    (size_t)ni, dout, (size_t)no, 1.0f, l->gw, (size_t)no);
    }
    if (l->has_bias)
        for (int r = 0; r < rows; r++)
            for (int o = 0; o < no; o++)
                l->gb[o] += dout[(size_t)r * no + o];
    if (din) /* din[r][i] = Σ_o g[r][o]·W[i][o] */
        l->h->xGemm(0, 1, (size_t)rows, (size_t)ni, (size_t)no, 1.0f,
                       dout, (size_t)no, l->w, (size_t)no, 0.0f, din,
                       (size_t)ni);
    return SL_OK;
}

/* The output is a flat vector: the next layer sees [n_out], not the
 * input's shape (the core would pass that on for an unchanged width). */
static int lin_out_shape(void *self, size_t *shape, size_t cap, size_t *rank)
{
    linear *l = self;
    if (cap >= 1)
        shape[0] = l->n_out;
    *rank = 1;
    return SL_OK;
}

static const sl_shape_ext linear_shape = {sizeof(sl_shape_ext),
                                          lin_out_shape};

static const void *lin_extension(void *self, const char *name)
{
    (void)self;
    return name && strcmp(name, SL_EXT_SHAPE) == 0 ? &linear_shape : NULL;
}

static const sl_neuron_iface linear_iface = {
    sizeof(sl_neuron_iface), 0,
    lin_create, lin_destroy, lin_params, lin_prepare, lin_forward,
    lin_backward, NULL, lin_extension,
};

/* "sim": the core runs each layer's own forward pass; nothing to place. */
static int sim_create(const sl_host *h, sl_ctx *ctx, void **self)
{
    static const int token = 0;
    *self = (void *)&token;
    return SL_OK;
}
static void sim_destroy(void *self) {}
static int sim_place(void *self, const sl_network_view *net) { return SL_OK; }

static const sl_backend_iface sim_iface = {
    sizeof(sl_backend_iface), 0,
    sim_create, sim_destroy, sim_place, NULL, NULL, NULL, NULL,
};

static const sl_setting linear_settings[] = {
    SL_SETTING(SL_SET_INT, "n_out", NULL, NULL,
               SL_BOUNDS(SL_SET_REQUIRED | SL_SET_MIN, 1, 0),
               "output width (number of post-synaptic channels)"),
    SL_SETTING(SL_SET_BOOL, "bias", "false", NULL, SL_ANY,
               "add a trainable bias per output channel (initialised to 0)"),
    SL_SETTING(SL_SET_STRING, "init", "kaiming_uniform", NULL,
               SL_CHOICES("kaiming_uniform|uniform|normal|zeros"),
               "weight initialisation: U(±gain·sqrt(6/n_in)), U(low, high), "
               "N(mean, std) or 0"),
    SL_SETTING(SL_SET_FLOAT, "gain", "1.0", "1", SL_ANY,
               "kaiming_uniform: scale of the bound"),
    SL_SETTING(SL_SET_FLOAT, "low", "-1.0", "1", SL_ANY,
               "init = uniform: lower bound"),
    SL_SETTING(SL_SET_FLOAT, "high", "1.0", "1", SL_ANY,
               "init = uniform: upper bound"),
    SL_SETTING(SL_SET_FLOAT, "mean", "0.0", "1", SL_ANY,
               "init = normal: mean"),
    SL_SETTING(SL_SET_FLOAT, "std", "1.0", "1", SL_MIN(0),
               "init = normal: standard deviation"),
    SL_SETTING(SL_SET_BOOL, "sparse_input", "false", NULL, SL_ANY,
               "the input is mostly zeros (spikes): add up only the rows "
               "of W its nonzero entries pick, forward and in dL/dW"),
};

static const sl_setting sim_settings[] = {SL_NO_SETTINGS};

static const sl_component builtin_components[] = {
    SL_COMPONENT(SL_KIND_NEURON, "linear",
                 "dense weight matrix [pre][post] between layers (CBLAS)",
                 &linear_iface, linear_settings),
    SL_COMPONENT(SL_KIND_BACKEND, "sim",
                 "software simulation of the network's own layers (default)",
                 &sim_iface, sim_settings),
};

const sl_plugin_desc sl__builtin_desc =
    SL_PLUGIN_DESC("core", PACKAGE_VERSION, "components built into the core",
                   builtin_components);
