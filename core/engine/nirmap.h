/* core/engine/nirmap.h — NIR graphs (nir/nir.h) onto spikelab layers and
 * back: `spikelab nir import/export`, `network = { nir = "FILE"; }`.
 *
 * How NIR's continuous-time nodes become time-discrete layers. NIR fixes
 * no time step and no discretisation; spikelab reads a graph as driven by
 * signals held constant over each step of dt (a spike is the value 1 for
 * one step), which is how snnTorch's and Norse's exports are written:
 *   Affine W, b        linear: y = W·x + b        (weight stored [in][out])
 *   Linear W           linear without bias
 *   Scale s            folded into the preceding linear layer, else a
 *                      diagonal linear layer
 *   LIF                lif, synapse = false: tau·dV/dt = (v_leak − V) + x
 *                      with x = r·(input)
 *   CubaLIF            lif with synapse: I jumps by x = g·r·w_in·(input)
 *                      per step, g = dt/tau_syn (euler) or 1 − e^(−dt/tau_syn)
 *                      (exp_euler, exact): the step of tau_syn·dI/dt =
 *                      −I + w_in·(input)
 *   IF                 lif, leak = false, tau_mem = 1/max|r|, x = r·tau_mem·(input)
 *   LI, CubaLI         li (synapse = false for LI); li is forward Euler
 *                      with the input first
 *   LI|CubaLI|I → Threshold   lif (synapse/leak as above), reset = "none"
 *   Conv1d, Conv2d, SumPool2d, AvgPool2d, Flatten   the conv plugin's
 *                      conv1d, conv2d, sumpool2d, avgpool2d, flatten
 * The per-neuron gains r, w_in (and g) are folded into the preceding
 * weights and bias (exact: they multiply the neuron's input); every other
 * parameter must be the same for all neurons of a node (lif takes one
 * value per layer). A neuron's recurrence is an Affine/Linear node whose
 * only input and output is that neuron (NIR's drawing of it); it becomes
 * the lif layer's w_rec, acting with one step's delay. Nested graphs are
 * flattened. What cannot be mapped is refused naming the node, its type
 * and why.
 *
 * With neuron "dynapsim" (the Dynap-SE2 path) a CubaLIF becomes a
 * dynapsim layer instead: tau_mem and tau_syn set Itau_mem and Itau_syn
 * exactly (specs/dynapsim.md: Itau = (Ut/κ)·C/tau with the default C, κ,
 * Ut), Igain_mem and Igain_syn keep the default gain ratios, and the
 * weights (gains folded as for lif) become DynapSim weights in units of
 * Iscale. Approximated, because the DPI neuron has no counterpart of
 * them: v_threshold, v_reset and v_leak (DynapSim spikes when its
 * membrane current crosses Ispkthr and resets by its own dynamics), the
 * linear membrane (DynapSim's is log-domain with positive feedback), and
 * the weight scale (a weight of 1 is Iscale of synaptic current, not a
 * jump of 1 in V); training on the DynapSim model adapts the weights.
 *
 * Export writes the inverse with r = 1 and w_in = 1/g, so that importing
 * it again gives the same settings and bit-identical weights, and records
 * the discretisation it ran with in each neuron node's metadata
 * (spikelab_scheme, spikelab_input_order, spikelab_dt), which the import
 * takes as its default. */
#ifndef SL_ENGINE_NIRMAP_H
#define SL_ENGINE_NIRMAP_H

#include <stdio.h>

#include "config/config.h"
#include "engine/network.h"
#include "nir/nir.h"

#define SL__NIRMAP_MAX_SETS 16
#define SL__NIRMAP_MAX_PARS 4

typedef struct sl__nirmap_set {
    char key[24];
    char kind;          /* 'i' int, 'f' float, 'b' bool, 's' string,
                           'l' list of ints */
    double num;
    char str[24];
    int64_t ivec[3];
    size_t n_ivec;
} sl__nirmap_set;

typedef struct sl__nirmap_par {
    char name[16];
    size_t ndim, shape[4], n;
    float *data; /* owned */
} sl__nirmap_par;

typedef struct sl__nirmap_layer {
    char *name;          /* layer name: from the NIR node, owned */
    char type[16];       /* linear, lif, li, conv2d, ... */
    char from[96];       /* NIR node(s) it comes from, for messages */
    sl__nirmap_set sets[SL__NIRMAP_MAX_SETS];
    size_t n_sets;
    sl__nirmap_par pars[SL__NIRMAP_MAX_PARS];
    size_t n_pars;
} sl__nirmap_layer;

typedef struct sl__nirmap {
    sl__nirmap_layer *layers;
    size_t n_layers, cap;
    size_t n_in, n_out;  /* channels per step */
    double dt;
} sl__nirmap;

typedef struct sl__nirmap_opts {
    double dt;                /* s; <= 0: from the file's metadata */
    const char *scheme;       /* lif scheme; NULL: metadata, else "euler" */
    const char *input_order;  /* NULL: metadata, else "end" */
    const char *file;         /* names the file in messages */
    const char *neuron;       /* spiking layers: "lif" (NULL) or
                                 "dynapsim" (CubaLIF only, see below) */
} sl__nirmap_opts;

/* Map a NIR graph onto layers. g is flattened in place. SL_ECONFIG with
 * "FILE: node NAME (TYPE): why" for what cannot be mapped. m is owned by
 * the caller (sl__nirmap_free), also after a failure. */
int sl__nirmap_from_graph(sl__nir_graph *g, const sl__nirmap_opts *o,
                          sl__nirmap *m, sl__err *err);
void sl__nirmap_free(sl__nirmap *m);

/* An experiment file for the mapped network: network.layers with every
 * setting, network.load naming the .npy files (written as
 * PREFIX.LAYER.PARAM.npy, PREFIX relative to the file's directory),
 * and data/loss/optimizer/train placeholders the user completes.
 * `dir` is the directory the .npy files go into. */
int sl__nirmap_write_experiment(const sl__nirmap *m, FILE *f,
                                const char *nir_file, const char *dir,
                                const char *prefix, sl__err *err);

/* Add the mapped layers as `layers` to the network group (marked as
 * generated: the effective configuration keeps `nir = "..."` only). */
int sl__nirmap_to_config(const sl__nirmap *m, sl__config *cfg,
                         sl__setting *netg, sl__err *err);

/* Copy the mapped parameters into the built network's layers (by layer
 * and parameter name; shapes checked). */
int sl__nirmap_set_params(const sl__nirmap *m, sl__network *net,
                          sl__err *err);

/* The network as a NIR graph (owned by the caller). SL_ECONFIG naming
 * the layer for a layer or setting NIR cannot express. */
int sl__nirmap_export(const sl__network *net, sl__config *cfg,
                      sl__nir_graph **out, sl__err *err);

/* `network = { nir = "FILE"; }` (network.c): read, map, add the layers. *m
 * is owned by the caller. */
int sl__nirmap_network(sl__config *cfg, sl__setting *netg, double dt,
                       sl__nirmap *m, sl__err *err);
/* `network = { load = { LAYER = { PARAM = "file.npy"; }; }; }`: the
 * parameters from .npy files (float32, the layer's shape), after the
 * layers are built. */
int sl__nirmap_load_npy(sl__config *cfg, sl__setting *netg,
                        sl__network *net, sl__err *err);

#endif
