/*
 * spikelab/backend.h — where a network runs, or what it becomes.
 *
 * The default backend "sim" (built into the core) runs each layer's own
 * forward pass. An emulated chip (bss2) places the network under its
 * constraints and runs it itself, returning output spikes and recorded
 * traces as the hardware would (SL_BACKEND_RUNS). An exporter (dynapse2)
 * turns a trained network into a device configuration file
 * (SL_BACKEND_EXPORTS); what else the core does with an exporter —
 * quantise, read a file back, report figures — is the extension
 * SL_EXT_DEPLOY of deploy.h.
 */
#ifndef SPIKELAB_BACKEND_H
#define SPIKELAB_BACKEND_H

#include "abi.h"
#include "neuron.h"

#ifdef __cplusplus
extern "C" {
#endif

enum {
    SL_BACKEND_RUNS = 1u << 0,   /* implements xRun */
    SL_BACKEND_EXPORTS = 1u << 1 /* implements xExport */
};

/* A read-only view of one layer for a backend. `ctx` lets the backend read
 * the layer's settings with the host getters (e.g. "tau_mem"). */
typedef struct sl_layer_view {
    uint32_t struct_size;
    const char *type; /* component name, e.g. "linear", "lif" */
    size_t n_in, n_out;
    sl_ctx *ctx;
    size_t n_params;
    const sl_param *params;
} sl_layer_view;

typedef struct sl_network_view {
    uint32_t struct_size;
    double dt;
    size_t n_layers;
    const sl_layer_view *layers;
} sl_network_view;

typedef struct sl_backend_iface {
    uint32_t struct_size;
    uint32_t flags; /* SL_BACKEND_* */

    /* --- ABI 1.0 --- */
    int (*xCreate)(const sl_host *host, sl_ctx *ctx, void **self);
    void (*xDestroy)(void *self);
    /* Check that the network fits (sizes, fan-in, weight range...). An
     * error names the violated limit through the context. */
    int (*xPlace)(void *self, const sl_network_view *net);
    /* Run the placed network on input [batch][time][n_in]; *output is
     * borrowed ([batch][time][n_out]) until the next call. Recorded traces
     * of layer l are read with xTrace. NULL unless SL_BACKEND_RUNS. */
    int (*xRun)(void *self, const sl_network_view *net, const sl_seq *input,
                sl_seq *output);
    /* Observable idx of layer `layer` from the last xRun, or SL_ENOTFOUND
     * past the last one. Required with SL_BACKEND_RUNS: the core refuses
     * at experiment load a backend that runs networks without it. */
    int (*xTrace)(void *self, size_t layer, size_t idx, sl_observable *out);
    /* Write a device configuration for the network to `path`. NULL unless
     * SL_BACKEND_EXPORTS. The rest of deployment: deploy.h. */
    int (*xExport)(void *self, const sl_network_view *net, const char *path);

    const void *(*xExtension)(void *self, const char *name);
} sl_backend_iface;

#ifdef __cplusplus
}
#endif
#endif
