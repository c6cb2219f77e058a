/* core/engine/network.h — the network container: layers in sequence, each run over
 * the whole [batch][time][channel] sequence; BPTT backward through them. */
#ifndef SL_CORE_NETWORK_H
#define SL_CORE_NETWORK_H

#include "spikelab/spikelab.h"
#include "config/config.h"
#include "engine/registry.h"
#include "engine/host.h"

/* dynapsim with synapses = "dendrites" lists w_rec and 19 currents */
#define SL__MAX_LAYER_PARAMS 32

typedef struct sl__layer {
    const sl__entry *entry;
    const sl_neuron_iface *iface;
    void *self;
    sl_ctx ctx;               /* stable address: the layer may keep it */
    size_t n_in, n_out;
    char *label;              /* "name" setting or "type#index" */
    int record;               /* `record = true`: store its traces */
    sl_param params[SL__MAX_LAYER_PARAMS];
    size_t n_params;
    float *out;               /* [batch][time][n_out], owned */
    float *gout;              /* dL/d(out), owned (train mode) */
} sl__layer;

typedef struct sl__network {
    size_t n_layers;          /* layers created */
    size_t n_alloc;           /* entries of layers[] */
    sl__layer *layers;
    double dt;
    size_t n_in, n_out;
    size_t batch, time;
    uint32_t mode;
    sl_param *trainable;      /* copies of the trainable layers' params */
    size_t n_trainable;
    /* batches in shards on threads (parallel.h), or NULL; par_active: the
     * last prepare went through it (batch > one shard, no recording) */
    struct sl__par *par;
    int par_active;
} sl__network;

/* Build the layers listed in `group` (a "network" group with dt and a
 * layers list) for inputs of n_in channels. Components come from reg and
 * are created with `host` (sl__host_for the run's numerics; kept). */
int sl__network_build(sl__network *net, sl__config *cfg, sl__setting *group,
                      const sl__registry *reg, const sl_host *host,
                      size_t n_in, uint64_t seed, sl__err *err);
void sl__network_free(sl__network *net);
/* 1 when the layer offers a spiking twin (SL_EXT_TWIN, neuron.h). */
int sl__layer_has_twin(const sl__layer *l);

/* SL_EVENTS_IN/OUT of a layer (spikelab/events.h): 0 for a layer that
 * does not offer SL_EXT_EVENTS (dense on both sides). */
uint32_t sl__layer_events(const sl__layer *l);
/* Make every layer ready for sequences of this shape; allocates.
 * SL_MODE_SPIKING in mode reaches only the layers with a twin. */
int sl__network_prepare(sl__network *net, size_t batch, size_t time,
                        uint32_t mode, sl__err *err);
/* in: [batch][time][n_in]; the result is net->layers[last].out. */
int sl__network_forward(sl__network *net, const float *in, sl__err *err);
/* dout: dL/d(output of the last layer); accumulates parameter grads. */
int sl__network_backward(sl__network *net, const float *dout, sl__err *err);
void sl__network_zero_grad(sl__network *net);
const float *sl__network_output(const sl__network *net);
/* The same calls on this network's own layers only, whatever its
 * sl__par (parallel.c runs each shard through them). */
int sl__network_prepare_seq(sl__network *net, size_t batch, size_t time,
                            uint32_t mode, sl__err *err);
int sl__network_forward_seq(sl__network *net, const float *in, sl__err *err);
int sl__network_backward_seq(sl__network *net, const float *dout,
                             sl__err *err);
const float *sl__network_output_seq(const sl__network *net);
/* Fill a backend's view of the network (views has n_layers entries). */
void sl__network_view(const sl__network *net, sl_layer_view *views,
                      sl_network_view *out);

#endif
