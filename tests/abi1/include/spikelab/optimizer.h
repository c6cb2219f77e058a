/*
 * spikelab/optimizer.h — optimizers and local learning rules.
 *
 * A gradient optimizer (Adam, SGD) updates parameters from the gradients the
 * backward pass accumulated (flag SL_OPT_GRADIENT, method xStep). A local
 * learning rule (SuperSpike) computes its update from the traces of the last
 * forward pass — per-layer input, output and recorded observables — and the
 * target (flag SL_OPT_TRACES, method xRuleUpdate); the core then runs no
 * backward pass and records the observables the rule asks for.
 */
#ifndef SPIKELAB_OPTIMIZER_H
#define SPIKELAB_OPTIMIZER_H

#include "abi.h"
#include "neuron.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SL_OPT_GRADIENT = 1u << 0, /* consumes BPTT gradients via xStep */
    SL_OPT_TRACES = 1u << 1    /* consumes recorded traces via xRuleUpdate */
};

/* What one layer did in the last forward pass. All borrowed, valid during
 * the xRuleUpdate call only. */
typedef struct sl_layer_trace {
    uint32_t struct_size;
    const char *type;      /* component name, e.g. "lif" */
    sl_seq input;          /* [batch][time][n_in] */
    sl_seq output;         /* [batch][time][n_out] */
    size_t n_observables;
    const sl_observable *observables;
    size_t n_params;
    sl_param *params;      /* the layer's parameters; the rule updates data */
} sl_layer_trace;

typedef struct sl_trace_view {
    uint32_t struct_size;
    size_t n_layers;
    const sl_layer_trace *layers; /* in network order */
    sl_seq target;                /* target of the last layer */
} sl_trace_view;

typedef struct sl_optimizer_iface {
    uint32_t struct_size;
    uint32_t flags; /* SL_OPT_* */

    /* --- ABI 1.0 --- */
    int (*xCreate)(const sl_host *host, sl_ctx *ctx, void **self);
    void (*xDestroy)(void *self);
    /* Called once with every trainable parameter of the network, before
     * the first step; the optimizer allocates its state here. The array
     * and the tensors stay valid until xDestroy. */
    int (*xBind)(void *self, sl_param *params, size_t n);
    /* One update from the accumulated gradients (SL_OPT_GRADIENT).
     * MUST NOT allocate. */
    int (*xStep)(void *self);
    /* One update from traces (SL_OPT_TRACES); NULL for gradient optimizers. */
    int (*xRuleUpdate)(void *self, const sl_trace_view *traces);

    const void *(*xExtension)(void *self, const char *name);
} sl_optimizer_iface;

#ifdef __cplusplus
}
#endif
#endif
