/*
 * plugins/conv/conv.h — what the layers of conv.so share: the geometry of
 * a 2-d sliding window over [C][H][W] tensors, how it is read from the
 * settings, and the layer struct every component of the plugin uses.
 *
 * Data layout (every component): one time step of a sequence is the
 * tensor in PyTorch's order, channel c, row h, column w at c*H*W + h*W + w;
 * a sequence is [batch][time][C*H*W]. A 1-d layer is the 2-d one with
 * H = 1 (in_shape [C, L] is [C, 1, L]), so one kernel serves both.
 *
 * Internal to conv.so: names carry the `cv__` prefix and stay hidden
 * (-fvisibility=hidden; the plugin exports only spikelab_plugin_init).
 */
#ifndef SL_PLUGIN_CONV_H
#define SL_PLUGIN_CONV_H

#include <stddef.h>
#include <stdint.h>

#include "spikelab/spikelab.h"

/* Largest rank of an in_shape (flatten takes any rank up to this). */
#define CV__MAX_RANK 8

/* What a layer computes. */
typedef enum cv__op {
    CV__CONV = 1, /* conv2d and conv1d: im2col + GEMM */
    CV__SUMPOOL,  /* sum over the window */
    CV__AVGPOOL,  /* sum over the window / (kh*kw), padding counted */
    CV__FLATTEN   /* identity: the data is already flat per step */
} cv__op;

typedef struct cv__layer {
    const sl_host *host; /* borrowed: the table given at xCreate */
    sl_ctx *ctx;         /* borrowed, valid from xCreate until xDestroy */
    cv__op op;
    int dim; /* 2, or 1 for conv1d (its output shape is [O, L_out]) */

    /* geometry: input [C][H][W], output [O][Ho][Wo] */
    size_t C, H, W, O, Ho, Wo;
    size_t kh, kw, sh, sw, ph, pw, dh, dw, groups;
    size_t n_in, n_out;

    /* CV__CONV parameters: weight [O][C/groups][kh][kw], bias [O];
     * owned (host->xAlloc) */
    int has_bias;
    float *w, *gw, *b, *gb;

    /* sequence shape of the last xPrepare; chunk = samples (batch·time
     * steps) per GEMM, bounded so the column buffer stays small */
    size_t batch, time, chunk;
    uint32_t mode;
    int prepared;
    const float *x; /* input of the last forward (borrowed from caller) */

    /* buffers of xPrepare (owned, capacities in floats): col is the
     * im2col matrix of one group [K][chunk·P], ybuf one group's output or
     * output gradient [O/groups][chunk·P], dcol the gradient of col */
    float *col, *ybuf, *dcol;
    size_t cap_col, cap_ybuf, cap_dcol;
} cv__layer;

/* Read an integer setting that is "a scalar or a list of n" (kernel,
 * stride, padding, dilation, in_shape of fixed rank) into out[n]: a scalar
 * is broadcast, a list must have exactly n elements. def < 0: required.
 * Each value must be >= min. Returns SL_OK or SL_ECONFIG recorded on ctx
 * naming the key. scalar_ok = 0 refuses a scalar (in_shape). */
int cv__get_ints(cv__layer *l, const char *key, int64_t def, size_t n,
                 int64_t min, int scalar_ok, size_t *out);

/* Read a list of any length up to CV__MAX_RANK (flatten's in_shape) into
 * out; *rank = 0 when the key is absent. */
int cv__get_shape(cv__layer *l, const char *key, size_t *out, size_t *rank);

/* Check in_shape against the incoming width: C*H*W == n_in, or an error
 * naming in_shape with both numbers. */
int cv__check_n_in(cv__layer *l, const size_t *shape, size_t rank,
                   size_t n_in);

/* The input shape of a layer that needs n dimensions (dims: their
 * names, "[C, H, W]"): in_shape when set (checked against n_in), else the
 * shape the layer before reported (sl_layer_info, ABI 1.2) when it has n
 * dimensions, else an error naming in_shape. */
int cv__in_shape(cv__layer *l, const sl_layer_info *info, size_t n,
                 const char *dims, size_t *out);

/* SL_EXT_SHAPE of every layer here: [O, Ho, Wo], [O, L_out] or [n]. */
int cv__out_shape(void *self, size_t *shape, size_t cap, size_t *rank);
const void *cv__extension(void *self, const char *name);

/* Output length of one axis (PyTorch's formula, floor mode), or an error
 * naming `key` when the dilated kernel exceeds the padded input. */
int cv__out_len(cv__layer *l, const char *key, const char *axis, size_t in,
                size_t k, size_t s, size_t p, size_t d, size_t *out);

/* The neuron interfaces (conv.c, pool.c). */
extern const sl_neuron_iface cv__conv2d_iface, cv__conv1d_iface,
    cv__sumpool2d_iface, cv__avgpool2d_iface, cv__flatten_iface;

/* Shared by every component (conv.c). */
void cv__destroy(void *self);
int cv__prepare(void *self, size_t batch, size_t time, uint32_t mode);
int cv__layer_new(const sl_host *host, sl_ctx *ctx, const sl_layer_info *info,
                  void **self, size_t *n_out, cv__layer **out);

#endif
