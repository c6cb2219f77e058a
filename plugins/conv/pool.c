/*
 * plugins/conv/pool.c — "sumpool2d", "avgpool2d" and "flatten".
 *
 * Pooling, per time step and channel (PyTorch's AvgPool2d / NIR's
 * SumPool2d and AvgPool2d, floor mode):
 *   y[c][oh][ow] = s · Σ_{i<kh, j<kw} x[c][oh·sh − ph + i][ow·sw − pw + j]
 * with x = 0 in the padding; s = 1 (sum) or 1/(kh·kw) (average: the full
 * window area, padding included — PyTorch's and NIR's default
 * count_include_pad = True). No parameters; the gradient is the adjoint,
 * din[window] += s·dout. A window is a few elements, so the loops run
 * directly (no GEMM: nothing to multiply).
 *
 * Flatten: the identity. A step's data is already the flat tensor, so
 * the layer exists only so that a graph of other tools (NIR's Flatten)
 * maps one to one; in_shape is optional and only checked against the
 * input width.
 */
#include <string.h>

#include "conv.h"

static int pool_forward(void *self, const float *in, float *out)
{
    cv__layer *l = self;
    if (!l->prepared || !in || !out)
        return l->host->xError(l->ctx, NULL, SL_EINVAL, "xForward: %s",
                               l->prepared ? "NULL sequence"
                                           : "xPrepare has not succeeded");
    const size_t N = l->batch * l->time, HW = l->H * l->W;
    const size_t P = l->Ho * l->Wo;
    const float s = l->op == CV__AVGPOOL ? 1.0f / (float)(l->kh * l->kw)
                                         : 1.0f;
    l->x = in;
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < l->C; c++) {
            const float *x = in + n * l->n_in + c * HW;
            float *y = out + n * l->n_out + c * P;
            for (size_t oh = 0; oh < l->Ho; oh++)
                for (size_t ow = 0; ow < l->Wo; ow++) {
                    float acc = 0.0f;
                    for (size_t i = 0; i < l->kh; i++) {
                        ptrdiff_t ih = (ptrdiff_t)(oh * l->sh + i) -
                                       (ptrdiff_t)l->ph;
                        if (ih < 0 || ih >= (ptrdiff_t)l->H)
                            continue;
                        for (size_t j = 0; j < l->kw; j++) {
                            ptrdiff_t iw = (ptrdiff_t)(ow * l->sw + j) -
                                           (ptrdiff_t)l->pw;
                            if (iw >= 0 && iw < (ptrdiff_t)l->W)
                                acc += x[(size_t)ih * l->W + (size_t)iw];
                        }
                    }
                    y[oh * l->Wo + ow] = s * acc;
                }
        }
    return SL_OK;
}

static int pool_backward(void *self, const float *dout, float *din)
{
    cv__layer *l = self;
    if (!l->prepared || !l->x || !(l->mode & SL_MODE_TRAIN) || !dout)
        return l->host->xError(l->ctx, NULL, SL_EINVAL,
                               "xBackward needs xPrepare with SL_MODE_TRAIN "
                               "and a forward pass first");
    if (!din)
        return SL_OK; /* no parameters: nothing else to compute */
    const size_t N = l->batch * l->time, HW = l->H * l->W;
    const size_t P = l->Ho * l->Wo;
    const float s = l->op == CV__AVGPOOL ? 1.0f / (float)(l->kh * l->kw)
                                         : 1.0f;
    memset(din, 0, N * l->n_in * sizeof(float));
    for (size_t n = 0; n < N; n++)
        for (size_t c = 0; c < l->C; c++) {
            float *dx = din + n * l->n_in + c * HW;
            const float *dy = dout + n * l->n_out + c * P;
            for (size_t oh = 0; oh < l->Ho; oh++)
                for (size_t ow = 0; ow < l->Wo; ow++) {
                    const float g = s * dy[oh * l->Wo + ow];
                    for (size_t i = 0; i < l->kh; i++) {
                        ptrdiff_t ih = (ptrdiff_t)(oh * l->sh + i) -
                                       (ptrdiff_t)l->ph;
                        if (ih < 0 || ih >= (ptrdiff_t)l->H)
                            continue;
                        for (size_t j = 0; j < l->kw; j++) {
                            ptrdiff_t iw = (ptrdiff_t)(ow * l->sw + j) -
                                           (ptrdiff_t)l->pw;
                            if (iw >= 0 && iw < (ptrdiff_t)l->W)
                                dx[(size_t)ih * l->W + (size_t)iw] += g;
                        }
                    }
                }
        }
    return SL_OK;
}

static int no_params(void *self, sl_param *out, size_t cap, size_t *count)
{
    (void)self;
    (void)out;
    (void)cap;
    *count = 0;
    return SL_OK;
}

static int pool_create(const sl_host *host, sl_ctx *ctx,
                       const sl_layer_info *info, void **self, size_t *n_out,
                       cv__op op)
{
    cv__layer *l;
    int rc = cv__layer_new(host, ctx, info, self, n_out, &l);
    if (rc)
        return rc;
    size_t shp[3], k[2], s[2], p[2];
    l->op = op;
    l->dim = 2;
    if ((rc = cv__in_shape(l, info, 3, "[C, H, W]", shp)) ||
        (rc = cv__get_ints(l, "kernel", -1, 2, 1, 1, k)))
        goto fail;
    /* stride defaults to the kernel (PyTorch, NIR): read it only when set,
     * so its absence is not recorded as a fixed number */
    if (host->xHasKey(ctx, "stride")) {
        if ((rc = cv__get_ints(l, "stride", 1, 2, 1, 1, s)))
            goto fail;
    } else {
        s[0] = k[0], s[1] = k[1];
    }
    if ((rc = cv__get_ints(l, "padding", 0, 2, 0, 1, p)))
        goto fail;
    l->C = l->O = shp[0], l->H = shp[1], l->W = shp[2];
    l->kh = k[0], l->kw = k[1], l->sh = s[0], l->sw = s[1];
    l->ph = p[0], l->pw = p[1];
    if (2 * l->ph > l->kh || 2 * l->pw > l->kw) {
        /* PyTorch's rule: a window could otherwise lie in the padding */
        rc = host->xError(ctx, "padding", SL_ECONFIG,
                          "padding [%zu, %zu] is more than half the kernel "
                          "[%zu, %zu]: at most kernel/2 on each side",
                          l->ph, l->pw, l->kh, l->kw);
        goto fail;
    }
    if ((rc = cv__out_len(l, "kernel", "the height", l->H, l->kh, l->sh,
                          l->ph, 1, &l->Ho)) ||
        (rc = cv__out_len(l, "kernel", "the width", l->W, l->kw, l->sw,
                          l->pw, 1, &l->Wo)))
        goto fail;
    l->n_out = l->C * l->Ho * l->Wo;
    *self = l;
    *n_out = l->n_out;
    return SL_OK;
fail:
    cv__destroy(l);
    return rc;
}

static int sumpool_create(const sl_host *host, sl_ctx *ctx,
                          const sl_layer_info *info, void **self,
                          size_t *n_out)
{
    return pool_create(host, ctx, info, self, n_out, CV__SUMPOOL);
}

static int avgpool_create(const sl_host *host, sl_ctx *ctx,
                          const sl_layer_info *info, void **self,
                          size_t *n_out)
{
    return pool_create(host, ctx, info, self, n_out, CV__AVGPOOL);
}

/* ------------------------------------------------------------- flatten */

static int flatten_create(const sl_host *host, sl_ctx *ctx,
                          const sl_layer_info *info, void **self,
                          size_t *n_out)
{
    cv__layer *l;
    int rc = cv__layer_new(host, ctx, info, self, n_out, &l);
    if (rc)
        return rc;
    size_t shp[CV__MAX_RANK], rank;
    l->op = CV__FLATTEN;
    if ((rc = cv__get_shape(l, "in_shape", shp, &rank)) ||
        (rank && (rc = cv__check_n_in(l, shp, rank, info->n_in)))) {
        cv__destroy(l);
        return rc;
    }
    l->n_out = l->n_in;
    *self = l;
    *n_out = l->n_out;
    return SL_OK;
}

static int flatten_forward(void *self, const float *in, float *out)
{
    cv__layer *l = self;
    if (!l->prepared || !in || !out)
        return l->host->xError(l->ctx, NULL, SL_EINVAL, "xForward: %s",
                               l->prepared ? "NULL sequence"
                                           : "xPrepare has not succeeded");
    l->x = in;
    memcpy(out, in, l->batch * l->time * l->n_in * sizeof(float));
    return SL_OK;
}

static int flatten_backward(void *self, const float *dout, float *din)
{
    cv__layer *l = self;
    if (!l->prepared || !l->x || !(l->mode & SL_MODE_TRAIN) || !dout)
        return l->host->xError(l->ctx, NULL, SL_EINVAL,
                               "xBackward needs xPrepare with SL_MODE_TRAIN "
                               "and a forward pass first");
    if (din)
        memcpy(din, dout, l->batch * l->time * l->n_in * sizeof(float));
    return SL_OK;
}

const sl_neuron_iface cv__sumpool2d_iface = {
    sizeof(sl_neuron_iface), 0,
    sumpool_create, cv__destroy, no_params, cv__prepare, pool_forward,
    pool_backward, NULL, cv__extension,
};

const sl_neuron_iface cv__avgpool2d_iface = {
    sizeof(sl_neuron_iface), 0,
    avgpool_create, cv__destroy, no_params, cv__prepare, pool_forward,
    pool_backward, NULL, cv__extension,
};

const sl_neuron_iface cv__flatten_iface = {
    sizeof(sl_neuron_iface), 0,
    flatten_create, cv__destroy, no_params, cv__prepare, flatten_forward,
    flatten_backward, NULL, cv__extension,
};
