/*
 * spikelab/neuron.h — neuron models, and any layer of a network.
 *
 * A layer maps an input sequence [batch][time][n_in] to an output sequence
 * [batch][time][n_out] in one call over the whole sequence, keeps what it
 * needs for the backward pass (the tape) and back-propagates through time.
 *
 * Call order (MUST): xCreate, then any number of
 *   xPrepare(batch, time, mode) → xForward → [xBackward] → [xObservable...]
 * then xDestroy. xPrepare allocates every buffer the next forward/backward
 * needs; xForward and xBackward MUST NOT allocate. xPrepare with the same
 * shape and mode as the previous call SHOULD be cheap.
 * Every sequence starts from the model's initial state: batch elements and
 * calls are independent.
 */
#ifndef SPIKELAB_NEURON_H
#define SPIKELAB_NEURON_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Largest rank of a step's shape the core passes between layers. */
#define SL_MAX_RANK 8

/* What the core tells a layer at creation. */
typedef struct sl_layer_info {
    uint32_t struct_size;
    size_t n_in;  /* channels of the incoming sequence */
    double dt;    /* s per step (network setting) */

    /* --- ABI 1.2 --- */

    /* Shape of one step of the incoming sequence, outermost first
     * (PyTorch order: [C, H, W] is element c*H*W + h*W + w), product
     * n_in; borrowed, valid during xCreate. The layer before reports it
     * through SL_EXT_SHAPE; a layer without that extension passes its own
     * input's shape on when its width is unchanged (neurons act per
     * channel) and gives [n_out] otherwise; the network's input is
     * [n_in]. A layer that needs a shape (a convolution) takes it from
     * here unless its settings give one. */
    const size_t *in_shape;
    size_t in_rank; /* 1 .. SL_MAX_RANK; 0 with in_shape NULL: unknown */
} sl_layer_info;

/* Modes of xPrepare. */
enum {
    SL_MODE_TRAIN = 1u << 0, /* keep the tape for xBackward */
    SL_MODE_RECORD = 1u << 1, /* keep observables for xObservable */
    /* ABI 1.2: run the layer's spiking twin (extension SL_EXT_TWIN)
     * instead of its rate model; only a layer offering SL_EXT_TWIN is
     * given it, never with SL_MODE_TRAIN. */
    SL_MODE_SPIKING = 1u << 2
};

/* Flags of a neuron interface. */
enum {
    SL_NEURON_SPIKING = 1u << 0 /* output is spikes (counts), not analog */
};

/* One recorded observable, [batch][time][channels], borrowed from the
 * layer: valid until its next xPrepare/xForward or xDestroy. */
typedef struct sl_observable {
    uint32_t struct_size;
    const char *name; /* e.g. "v_mem", "i_syn" (NIR names where they exist) */
    const char *unit; /* e.g. "V", "A", "1" */
    const float *data;
    size_t batch, time, channels;
} sl_observable;

/* Extension SL_EXT_SHAPE (returned by xExtension): the shape of one step
 * of the layer's output, so the next layer needs no shape setting. */
#define SL_EXT_SHAPE "sl.shape.v1"
typedef struct sl_shape_ext {
    uint32_t struct_size;
    /* Fill up to cap entries of shape (outermost first) and set *rank
     * (1 .. SL_MAX_RANK); the product MUST equal the layer's n_out.
     * Called after xCreate, before xPrepare. Returns SL_OK or an error
     * recorded on the layer's context. */
    int (*xOutShape)(void *self, size_t *shape, size_t cap, size_t *rank);
} sl_shape_ext;

/* Extension SL_EXT_TWIN: the layer is a rate model (trained one step
 * per sample) with a spiking twin of identical parameters, which it runs
 * when xPrepare's mode has SL_MODE_SPIKING (the `spiking` evaluation:
 * train with rates, run with spikes). Asked for by the core before it
 * passes that bit, so a layer without it never sees the bit. */
#define SL_EXT_TWIN "sl.twin.v1"
typedef struct sl_twin_ext {
    uint32_t struct_size;
    const char *twin; /* static: what the twin is, one line */
} sl_twin_ext;

typedef struct sl_neuron_iface {
    uint32_t struct_size;
    uint32_t flags; /* SL_NEURON_* */

    /* --- ABI 1.0 --- */

    /* Create an instance reading its parameters through host/ctx. Sets
     * *self (owned by the caller, freed with xDestroy) and *n_out.
     * Returns SL_OK or an error recorded on ctx (bad parameters:
     * SL_ECONFIG/SL_EINVAL naming the key). */
    int (*xCreate)(const sl_host *host, sl_ctx *ctx, const sl_layer_info *info,
                   void **self, size_t *n_out);
    void (*xDestroy)(void *self);

    /* Describe parameter tensors: fills up to cap entries of out, sets
     * *count to the total. Pointers stay valid until xDestroy. */
    int (*xParams)(void *self, sl_param *out, size_t cap, size_t *count);

    /* Allocate buffers for sequences of this shape; mode is SL_MODE_*. */
    int (*xPrepare)(void *self, size_t batch, size_t time, uint32_t mode);

    /* in: [batch][time][n_in] (borrowed); out: [batch][time][n_out],
     * written by the layer. */
    int (*xForward)(void *self, const float *in, float *out);

    /* dout: dL/d(out) of the last forward; din: dL/d(in), written (not
     * accumulated) unless NULL; parameter gradients are accumulated into
     * their grad arrays. Requires SL_MODE_TRAIN at xPrepare.
     * OPTIONAL. NULL: the layer cannot be trained through by gradients;
     * the core refuses, at experiment load, an experiment whose optimizer
     * back-propagates (SL_OPT_GRADIENT) with epochs > 0, naming the layer,
     * and runs it otherwise (learning rules, evaluation only). */
    int (*xBackward)(void *self, const float *dout, float *din);

    /* Observable number idx of the last forward (SL_MODE_RECORD), or
     * SL_ENOTFOUND past the last one. May be NULL: records nothing. */
    int (*xObservable)(void *self, size_t idx, sl_observable *out);

    /* Optional capability by name, e.g. SL_EXT_SUBSTITUTE
     * ("sl.substitute.v1", spikelab/hil.h) or SL_EXT_SHAPE (above), or
     * NULL when the component
     * does not offer it. May be NULL itself: no extensions. (Device
     * mismatch needs no extension: the core perturbs every tensor flagged
     * SL_PARAM_WEIGHT.) */
    const void *(*xExtension)(void *self, const char *name);
} sl_neuron_iface;

#ifdef __cplusplus
}
#endif
#endif
