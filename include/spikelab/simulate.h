/*
 * spikelab/simulate.h — a model that runs over time (the `simulate` mode).
 *
 * An experiment with a `simulate` section has no datasets, epochs or
 * loss: its `model` group names a component (kind SL_KIND_BACKEND) whose
 * xExtension(self, SL_EXT_SIMULATE) returns an sl_simulate_iface. The
 * core then
 *   1. calls xBuild with the time step and the number of steps of the
 *      run (the component read its settings at xCreate);
 *   2. asks for the probes (name, dimensions) with xProbe;
 *   3. calls xRun in chunks (a progress line and an interrupt between
 *      chunks), each writing every probe's values of those steps, float64,
 *      into buffers the core owns;
 *   4. records every probe as a trace (artifact probes/NAME.npy,
 *      [steps][dims]) and its summary (results probe_NAME_mean/_rms/_min/
 *      _max, per dimension), then asks xResults for the component's own
 *      figures (named numbers, recorded as results).
 * An extension by name, as sl.deploy.v1: the backend table and the ABI
 * minor stay as they are, and any backend able to run a model over time
 * (an NEF model, a large sparse simulation) can offer it.
 */
#ifndef SPIKELAB_SIMULATE_H
#define SPIKELAB_SIMULATE_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_EXT_SIMULATE "sl.simulate.v1"

typedef struct sl_probe_info {
    uint32_t struct_size;
    const char *name; /* borrowed: valid while the component lives */
    size_t dims;      /* values per step */
} sl_probe_info;

typedef struct sl_simulate_iface {
    uint32_t struct_size;
    /* Build the model for steps of dt seconds and a run of n_steps steps
     * (seeds, decoders, tables); seed is the run seed (the experiment's
     * `seed`), for models whose own seeding scheme starts from one number
     * (an NEF model: Nengo's network seed). An error names the object
     * through the component's context (xError with its key). */
    int (*xBuild)(void *self, double dt, uint64_t n_steps, int64_t seed);
    /* The number of probes, then each one's name and size. */
    size_t (*xProbeCount)(void *self);
    int (*xProbe)(void *self, size_t i, sl_probe_info *out);
    /* Advance n steps. out[p] (owned by the core) receives n rows of
     * probe p's values, row-major; out itself may be NULL (nothing
     * recorded). Never allocates. */
    int (*xRun)(void *self, uint64_t n, double *const *out);
    /* Named figures computed from the recorded probes (all steps of the
     * run: data[p] is [steps][dims] of probe p). emit(user, name, value)
     * once per figure; a non-zero return of emit stops and is returned.
     * May be NULL. */
    int (*xResults)(void *self, const double *const *data, uint64_t steps,
                    int (*emit)(void *user, const char *name, double value),
                    void *user);
} sl_simulate_iface;

/* ---- sl.simulate.v2: v1 plus arrays of the model's own shape --------
 *
 * A model whose record is not one row of numbers per step (a spike
 * monitor: events (neuron, step); per-neuron counts) offers
 * SL_EXT_SIMULATE_V2 in addition: the core asks for v2 first and runs
 * v2->v1 exactly as a v1 model; after the run (also a run stopped
 * early) it calls xArrays once, and stores every array emitted as an
 * artifact NAME.npy of the run. A model built against v1 is untouched.
 */
#define SL_EXT_SIMULATE_V2 "sl.simulate.v2"

enum { SL_ARRAY_INT32 = 1, SL_ARRAY_FLOAT64 = 2, SL_ARRAY_INT64 = 3 };

typedef struct sl_sim_array {
    uint32_t struct_size;
    const char *name;   /* artifact name without ".npy" ("spikes/events"):
                           1 to 64 of [A-Za-z0-9_/-]; borrowed */
    uint32_t dtype;     /* SL_ARRAY_* */
    uint32_t ndim;      /* 1 or 2 */
    size_t shape[2];    /* C order */
    const void *data;   /* borrowed: read during the emit call only */
    const char *unit;   /* of the values ("1", "Hz", "step"); may be NULL */
} sl_sim_array;

typedef struct sl_simulate_v2_iface {
    uint32_t struct_size; /* sizeof(sl_simulate_v2_iface) */
    sl_simulate_iface v1; /* the v1 slots, v1.struct_size as in v1 */
    /* Hand the model's arrays over, each by one call of emit(user, a);
     * steps is the number of steps actually run. A non-zero return of
     * emit stops and is returned. May be NULL. */
    int (*xArrays)(void *self, uint64_t steps,
                   int (*emit)(void *user, const sl_sim_array *a),
                   void *user);
    /* Checks that need the time step and the run's length (a recording
     * over its budget), made when the experiment is loaded, before any
     * run is recorded; an error names the key through the context. May
     * be NULL. */
    int (*xCheck)(void *self, double dt, uint64_t n_steps);
} sl_simulate_v2_iface;

#ifdef __cplusplus
}
#endif
#endif
