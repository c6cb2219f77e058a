/*
 * plugins/conv/conv.c — the "conv2d" and "conv1d" layers, and what every
 * layer of conv.so shares (creation, buffers, destruction).
 *
 * Per time step, as PyTorch's Conv2d (cross-correlation):
 *   y[o][oh][ow] = bias[o] + Σ_{c in group(o)} Σ_{i<kh, j<kw}
 *                  w[o][c - g·C/G][i][j] · x[c][oh·sh − ph + i·dh]
 *                                            [ow·sw − pw + j·dw]
 * with x = 0 outside the input (zero padding), G groups (output channel o
 * belongs to group g = o / (O/G), which sees input channels g·C/G ...),
 * H_out = floor((H + 2·ph − dh·(kh − 1) − 1) / sh) + 1, W_out alike.
 * conv1d is the same with H = 1, kh = 1, no vertical stride/padding.
 *
 * Every (batch, time) step is a sample: the steps are independent, so the
 * whole sequence is one batch of batch·time images. For each chunk of
 * samples and each group, the input windows are unrolled into a column
 * matrix col[K][n·P] (im2col; K = C/G·kh·kw rows in the weight's order,
 * P = H_out·W_out positions per sample) and the output is one product
 *   Y_g[O/G][n·P] = W_g[O/G][K] · col[K][n·P]
 * through host->xGemm. Backward, with dY_g gathered the same way:
 *   gW_g += dY_g · colᵀ,   dcol = W_gᵀ · dY_g,   din += col2im(dcol).
 * The chunk bounds the column buffer (CV__COL_FLOATS); buffers are made in
 * xPrepare, never in forward or backward.
 *
 * Weight initialisation as the linear layer's (core/engine/builtin.c),
 * with fan_in = C/G·kh·kw: kaiming_uniform U(±gain·√(6/fan_in)) (note:
 * PyTorch's own Conv2d default is U(±1/√fan_in), i.e. gain = 1/√6),
 * uniform (low, high), normal (mean, std), zeros; drawn in the weight's
 * memory order from the layer's stream "weight". The bias starts at 0.
 */
#include <math.h>
#include <string.h>

#include "conv.h"

/* Floats of one column buffer at most (8 MiB): large enough that a
 * chunk holds many samples of a small image, small enough for any net. */
#define CV__COL_FLOATS ((size_t)1 << 21)

/* ------------------------------------------------------------ shared */

void cv__destroy(void *self)
{
    cv__layer *l = self;
    if (!l)
        return;
    const sl_host *h = l->host;
    h->xFree(l->w), h->xFree(l->gw), h->xFree(l->b), h->xFree(l->gb);
    h->xFree(l->col), h->xFree(l->ybuf), h->xFree(l->dcol);
    h->xFree(l);
}

int cv__layer_new(const sl_host *host, sl_ctx *ctx, const sl_layer_info *info,
                  void **self, size_t *n_out, cv__layer **out)
{
    if (self)
        *self = NULL;
    if (!host || !self || !n_out)
        return host ? host->xError(ctx, NULL, SL_EINVAL,
                                   "xCreate: NULL output")
                    : SL_EINVAL;
    if (!info || !SL_HAS_FIELD(sl_layer_info, info, n_in))
        return host->xError(ctx, NULL, SL_EINVAL,
                            "layer info missing or too old (struct_size)");
    if (info->n_in == 0)
        return host->xError(ctx, NULL, SL_ECONFIG,
                            "the layer has no input channels: put a layer "
                            "with at least one output before it");
    cv__layer *l = host->xAlloc(sizeof *l);
    if (!l)
        return SL_ENOMEM;
    l->host = host;
    l->ctx = ctx;
    l->n_in = info->n_in;
    l->groups = 1;
    l->kh = l->kw = l->sh = l->sw = l->dh = l->dw = 1;
    *out = l;
    return SL_OK;
}

/* Grow buffer *p to at least n floats (owned, zeroed when new). */
static int grow(const sl_host *h, float **p, size_t *cap, size_t n)
{
    if (n <= *cap)
        return SL_OK;
    float *q = h->xAlloc(n * sizeof(float));
    if (!q)
        return SL_ENOMEM;
    h->xFree(*p);
    *p = q;
    *cap = n;
    return SL_OK;
}

int cv__prepare(void *self, size_t batch, size_t time, uint32_t mode)
{
    cv__layer *l = self;
    l->prepared = 0;
    l->x = NULL;
    if (batch == 0 || time == 0)
        return l->host->xError(l->ctx, NULL, SL_EINVAL,
                               "xPrepare: empty sequence (batch %zu, time "
                               "%zu)",
                               batch, time);
    l->batch = batch;
    l->time = time;
    l->mode = mode;
    if (l->op == CV__CONV) {
        size_t N = batch * time;
        size_t K = l->C / l->groups * l->kh * l->kw;
        size_t P = l->Ho * l->Wo;
        size_t chunk = CV__COL_FLOATS / (K * P);
        if (chunk < 1)
            chunk = 1;
        if (chunk > N)
            chunk = N;
        l->chunk = chunk;
        int rc;
        if ((rc = grow(l->host, &l->col, &l->cap_col, K * chunk * P)) ||
            (rc = grow(l->host, &l->ybuf, &l->cap_ybuf,
                       l->O / l->groups * chunk * P)))
            return rc;
        if ((mode & SL_MODE_TRAIN) &&
            (rc = grow(l->host, &l->dcol, &l->cap_dcol, K * chunk * P)))
            return rc;
    }
    l->prepared = 1;
    return SL_OK;
}

/* ------------------------------------------------------- conv kernels */

/* col[K][nc·P] of group g from the samples x[nc][C·H·W]. */
static void im2col(const cv__layer *l, const float *x, size_t nc, size_t g,
                   float *col)
{
    const size_t Cg = l->C / l->groups, P = l->Ho * l->Wo, HW = l->H * l->W;
    const size_t ld = nc * P;
    for (size_t cl = 0; cl < Cg; cl++) {
        const size_t c = g * Cg + cl;
        for (size_t i = 0; i < l->kh; i++)
            for (size_t j = 0; j < l->kw; j++) {
                float *dst = col + ((cl * l->kh + i) * l->kw + j) * ld;
                const ptrdiff_t oi = (ptrdiff_t)(i * l->dh) -
                                     (ptrdiff_t)l->ph;
                const ptrdiff_t oj = (ptrdiff_t)(j * l->dw) -
                                     (ptrdiff_t)l->pw;
                for (size_t n = 0; n < nc; n++) {
                    const float *xs = x + n * l->n_in + c * HW;
                    float *d = dst + n * P;
                    for (size_t oh = 0; oh < l->Ho; oh++) {
                        ptrdiff_t ih = (ptrdiff_t)(oh * l->sh) + oi;
                        float *row = d + oh * l->Wo;
                        if (ih < 0 || ih >= (ptrdiff_t)l->H) {
                            memset(row, 0, l->Wo * sizeof(float));
                            continue;
                        }
                        const float *xr = xs + (size_t)ih * l->W;
                        for (size_t ow = 0; ow < l->Wo; ow++) {
                            ptrdiff_t iw = (ptrdiff_t)(ow * l->sw) + oj;
                            row[ow] = (iw >= 0 && iw < (ptrdiff_t)l->W)
                                          ? xr[iw]
                                          : 0.0f;
                        }
                    }
                }
            }
    }
}

/* din[nc][C·H·W] += col2im(dcol) of group g: the adjoint of im2col. */
static void col2im(const cv__layer *l, const float *dcol, size_t nc, size_t g,
                   float *din)
{
    const size_t Cg = l->C / l->groups, P = l->Ho * l->Wo, HW = l->H * l->W;
    const size_t ld = nc * P;
    for (size_t cl = 0; cl < Cg; cl++) {
        const size_t c = g * Cg + cl;
        for (size_t i = 0; i < l->kh; i++)
            for (size_t j = 0; j < l->kw; j++) {
                const float *src = dcol + ((cl * l->kh + i) * l->kw + j) * ld;
                const ptrdiff_t oi = (ptrdiff_t)(i * l->dh) -
                                     (ptrdiff_t)l->ph;
                const ptrdiff_t oj = (ptrdiff_t)(j * l->dw) -
                                     (ptrdiff_t)l->pw;
                for (size_t n = 0; n < nc; n++) {
                    float *xs = din + n * l->n_in + c * HW;
                    const float *s = src + n * P;
                    for (size_t oh = 0; oh < l->Ho; oh++) {
                        ptrdiff_t ih = (ptrdiff_t)(oh * l->sh) + oi;
                        if (ih < 0 || ih >= (ptrdiff_t)l->H)
                            continue;
                        const float *row = s + oh * l->Wo;
                        float *xr = xs + (size_t)ih * l->W;
                        for (size_t ow = 0; ow < l->Wo; ow++) {
                            ptrdiff_t iw = (ptrdiff_t)(ow * l->sw) + oj;
                            if (iw >= 0 && iw < (ptrdiff_t)l->W)
                                xr[iw] += row[ow];
                        }
                    }
                }
            }
    }
}

static int conv_forward(void *self, const float *in, float *out)
{
    cv__layer *l = self;
    if (!l->prepared || !in || !out)
        return l->host->xError(l->ctx, NULL, SL_EINVAL,
                               "xForward: %s",
                               l->prepared ? "NULL sequence"
                                           : "xPrepare has not succeeded");
    const size_t N = l->batch * l->time, G = l->groups;
    const size_t K = l->C / G * l->kh * l->kw, P = l->Ho * l->Wo;
    const size_t Og = l->O / G;
    l->x = in;
    for (size_t n0 = 0; n0 < N; n0 += l->chunk) {
        const size_t nc = N - n0 < l->chunk ? N - n0 : l->chunk;
        for (size_t g = 0; g < G; g++) {
            im2col(l, in + n0 * l->n_in, nc, g, l->col);
            l->host->xGemm(0, 0, Og, nc * P, K, 1.0f, l->w + g * Og * K, K,
                           l->col, nc * P, 0.0f, l->ybuf, nc * P);
            for (size_t o = 0; o < Og; o++)
                for (size_t n = 0; n < nc; n++)
                    memcpy(out + (n0 + n) * l->n_out + (g * Og + o) * P,
                           l->ybuf + o * nc * P + n * P, P * sizeof(float));
        }
    }
    if (l->has_bias)
        for (size_t n = 0; n < N; n++)
            for (size_t o = 0; o < l->O; o++) {
                float *y = out + n * l->n_out + o * P;
                const float bo = l->b[o];
                for (size_t p = 0; p < P; p++)
                    y[p] += bo;
            }
    return SL_OK;
}

static int conv_backward(void *self, const float *dout, float *din)
{
    cv__layer *l = self;
    if (!l->prepared || !l->x || !(l->mode & SL_MODE_TRAIN) || !dout)
        return l->host->xError(l->ctx, NULL, SL_EINVAL,
                               "xBackward needs xPrepare with SL_MODE_TRAIN "
                               "and a forward pass first");
    const size_t N = l->batch * l->time, G = l->groups;
    const size_t K = l->C / G * l->kh * l->kw, P = l->Ho * l->Wo;
    const size_t Og = l->O / G;
    if (din)
        memset(din, 0, N * l->n_in * sizeof(float));
    for (size_t n0 = 0; n0 < N; n0 += l->chunk) {
        const size_t nc = N - n0 < l->chunk ? N - n0 : l->chunk;
        for (size_t g = 0; g < G; g++) {
            for (size_t o = 0; o < Og; o++)
                for (size_t n = 0; n < nc; n++)
                    memcpy(l->ybuf + o * nc * P + n * P,
                           dout + (n0 + n) * l->n_out + (g * Og + o) * P,
                           P * sizeof(float));
            im2col(l, l->x + n0 * l->n_in, nc, g, l->col);
            l->host->xGemm(0, 1, Og, K, nc * P, 1.0f, l->ybuf, nc * P,
                           l->col, nc * P, 1.0f, l->gw + g * Og * K, K);
            if (din) {
                l->host->xGemm(1, 0, K, nc * P, Og, 1.0f, l->w + g * Og * K,
                               K, l->ybuf, nc * P, 0.0f, l->dcol, nc * P);
                col2im(l, l->dcol, nc, g, din + n0 * l->n_in);
            }
        }
    }
    if (l->has_bias)
        for (size_t n = 0; n < N; n++)
            for (size_t o = 0; o < l->O; o++) {
                const float *d = dout + n * l->n_out + o * P;
                float s = 0.0f;
                for (size_t p = 0; p < P; p++)
                    s += d[p];
                l->gb[o] += s;
            }
    return SL_OK;
}

static int conv_params(void *self, sl_param *out, size_t cap, size_t *count)
{
    cv__layer *l = self;
    size_t k = 0, K = l->C / l->groups * l->kh * l->kw;
    /* sl_param has two dimensions: [O][C/G·kh·kw] is the row-major view
     * of [O][C/G][kh][kw] */
    if (k < cap)
        out[k] = (sl_param){sizeof(sl_param),
                            SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT, "weight",
                            l->w, l->gw, l->O * K, 2, {l->O, K}};
    k++;
    if (l->has_bias) {
        if (k < cap)
            out[k] = (sl_param){sizeof(sl_param), SL_PARAM_TRAINABLE, "bias",
                                l->b, l->gb, l->O, 1, {l->O, 0}};
        k++;
    }
    *count = k;
    return SL_OK;
}

/* ------------------------------------------------------------ creation */

/* Draw the weights as init says (see the header comment). */
static int conv_init_weights(cv__layer *l, size_t fan_in)
{
    const sl_host *h = l->host;
    sl_ctx *ctx = l->ctx;
    const char *init;
    double gain, a, b;
    int rc;
    if ((rc = h->xGetString(ctx, "init", "kaiming_uniform", &init)) ||
        (rc = h->xGetFloat(ctx, "gain", 1.0, &gain)))
        return rc;
    size_t n = l->O * fan_in;
    sl_rng rng;
    h->xRngDerive(ctx, "weight", &rng);
    if (strcmp(init, "kaiming_uniform") == 0) {
        double lim = gain * sqrt(6.0 / (double)fan_in);
        for (size_t i = 0; i < n; i++)
            l->w[i] = (float)(lim * (2.0 * h->xRngUniform(&rng) - 1.0));
    } else if (strcmp(init, "uniform") == 0) {
        if ((rc = h->xGetFloat(ctx, "low", -1.0, &a)) ||
            (rc = h->xGetFloat(ctx, "high", 1.0, &b)))
            return rc;
        for (size_t i = 0; i < n; i++)
            l->w[i] = (float)(a + (b - a) * h->xRngUniform(&rng));
    } else if (strcmp(init, "normal") == 0) {
        if ((rc = h->xGetFloat(ctx, "mean", 0.0, &a)) ||
            (rc = h->xGetFloat(ctx, "std", 1.0, &b)))
            return rc;
        for (size_t i = 0; i < n; i++)
            l->w[i] = (float)(a + b * h->xRngNormal(&rng));
    } else if (strcmp(init, "zeros") != 0) {
        return h->xError(ctx, "init", SL_ECONFIG,
                         "unknown init '%s' (kaiming_uniform, uniform, "
                         "normal, zeros)",
                         init);
    }
    return SL_OK;
}

/* conv2d (dim 2) and conv1d (dim 1). */
static int conv_create(const sl_host *host, sl_ctx *ctx,
                       const sl_layer_info *info, void **self, size_t *n_out,
                       int dim)
{
    cv__layer *l;
    int rc = cv__layer_new(host, ctx, info, self, n_out, &l);
    if (rc)
        return rc;
    const sl_host *h = host;
    size_t shp[3], k[2], s[2], p[2], d[2];
    int64_t oc, groups;
    l->op = CV__CONV;
    l->dim = dim;
    if ((rc = cv__in_shape(l, info, (size_t)dim + 1,
                           dim == 2 ? "[C, H, W]" : "[C, L]", shp)) ||
        (rc = h->xGetInt(ctx, "out_channels", 0, &oc)) ||
        (rc = cv__get_ints(l, "kernel", -1, (size_t)dim, 1, 1, k)) ||
        (rc = cv__get_ints(l, "stride", 1, (size_t)dim, 1, 1, s)) ||
        (rc = cv__get_ints(l, "padding", 0, (size_t)dim, 0, 1, p)) ||
        (rc = cv__get_ints(l, "dilation", 1, (size_t)dim, 1, 1, d)) ||
        (rc = h->xGetInt(ctx, "groups", 1, &groups)) ||
        (rc = h->xGetBool(ctx, "bias", 0, &l->has_bias)))
        goto fail;
    if (oc < 1 || oc > 10000000) {
        rc = h->xError(ctx, "out_channels", SL_ECONFIG,
                       "required: the number of output channels (>= 1)");
        goto fail;
    }
    l->C = shp[0];
    l->O = (size_t)oc;
    if (dim == 2) {
        l->H = shp[1], l->W = shp[2];
        l->kh = k[0], l->kw = k[1], l->sh = s[0], l->sw = s[1];
        l->ph = p[0], l->pw = p[1], l->dh = d[0], l->dw = d[1];
    } else {
        l->H = 1, l->W = shp[1];
        l->kh = 1, l->kw = k[0], l->sh = 1, l->sw = s[0];
        l->ph = 0, l->pw = p[0], l->dh = 1, l->dw = d[0];
    }
    if (groups < 1 || l->C % (size_t)groups || l->O % (size_t)groups) {
        rc = h->xError(ctx, "groups", SL_ECONFIG,
                       "groups = %lld must be >= 1 and divide both the "
                       "input channels (%zu) and out_channels (%zu)",
                       (long long)groups, l->C, l->O);
        goto fail;
    }
    l->groups = (size_t)groups;
    if ((dim == 2 && (rc = cv__out_len(l, "kernel", "the height", l->H, l->kh,
                                       l->sh, l->ph, l->dh, &l->Ho))) ||
        (rc = cv__out_len(l, "kernel", dim == 2 ? "the width" : "the length",
                          l->W, l->kw, l->sw, l->pw, l->dw, &l->Wo)))
        goto fail;
    if (dim == 1)
        l->Ho = 1;
    l->n_out = l->O * l->Ho * l->Wo;
    size_t fan_in = l->C / l->groups * l->kh * l->kw;
    size_t nw = l->O * fan_in;
    l->w = h->xAlloc(nw * sizeof(float));
    l->gw = h->xAlloc(nw * sizeof(float));
    l->b = h->xAlloc(l->O * sizeof(float));
    l->gb = h->xAlloc(l->O * sizeof(float));
    if (!l->w || !l->gw || !l->b || !l->gb) {
        rc = h->xError(ctx, "out_channels", SL_ENOMEM,
                       "out of memory for %zu x %zu weights", l->O, fan_in);
        goto fail;
    }
    if ((rc = conv_init_weights(l, fan_in)))
        goto fail;
    *self = l;
    *n_out = l->n_out;
    return SL_OK;
fail:
    cv__destroy(l);
    return rc;
}

static int conv2d_create(const sl_host *host, sl_ctx *ctx,
                         const sl_layer_info *info, void **self,
                         size_t *n_out)
{
    return conv_create(host, ctx, info, self, n_out, 2);
}

static int conv1d_create(const sl_host *host, sl_ctx *ctx,
                         const sl_layer_info *info, void **self,
                         size_t *n_out)
{
    return conv_create(host, ctx, info, self, n_out, 1);
}

const sl_neuron_iface cv__conv2d_iface = {
    sizeof(sl_neuron_iface), 0,
    conv2d_create, cv__destroy, conv_params, cv__prepare, conv_forward,
    conv_backward, NULL, cv__extension,
};

const sl_neuron_iface cv__conv1d_iface = {
    sizeof(sl_neuron_iface), 0,
    conv1d_create, cv__destroy, conv_params, cv__prepare, conv_forward,
    conv_backward, NULL, cv__extension,
};
