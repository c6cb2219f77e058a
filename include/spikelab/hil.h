/*
 * spikelab/hil.h — hardware-in-the-loop: replacing a layer's simulated
 * forward values with what a backend measured (Cramer et al. 2022).
 *
 * In a hardware-in-the-loop epoch the core runs the network on a backend
 * that runs it (SL_BACKEND_RUNS), then runs the software network forward in
 * SL_MODE_TRAIN layer by layer and, after each layer that offers this
 * extension, hands it the backend's recorded traces of that layer. The
 * layer overwrites its tape and its output with them, so the following
 * layers see the measured activity and xBackward evaluates the surrogate
 * gradient on the measured membrane and spikes.
 *
 * Extension name: SL_EXT_SUBSTITUTE, returned by the neuron's xExtension.
 */
#ifndef SPIKELAB_HIL_H
#define SPIKELAB_HIL_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_EXT_SUBSTITUTE "sl.substitute.v1"

/* Names of the traces a running backend reports per neuron layer through
 * xTrace (sl_observable.name), all [batch][time][n_out] in the layer's own
 * model units:
 *   "v_mem"   the membrane as read out in each step, before that step's
 *             reset (the value the threshold comparator saw);
 *   "spikes"  output spikes of each step (spiking layers only). */
#define SL_TRACE_V_MEM "v_mem"
#define SL_TRACE_SPIKES "spikes"
/* An event layer's (spikelab/events.h, SL_EVENTS_OUT) measured output:
 *   "spike_times"  [batch][slots][n_out] spike times in seconds, +INFINITY
 *                  where none, the event sequence the chip recorded. */
#define SL_TRACE_SPIKE_TIMES "spike_times"

typedef struct sl_substitute_ext {
    uint32_t struct_size;
    /* Called after xForward (SL_MODE_TRAIN) of the same shape. v: measured
     * pre-reset membrane; z: measured spikes, NULL for a non-spiking layer.
     * out: the layer's output buffer of that forward, rewritten to the
     * measured output (z for a spiking layer, the membrane for a readout).
     * The next xBackward uses the measured values. MUST NOT allocate. */
    int (*xSubstitute)(void *self, const float *v, const float *z,
                       float *out);
} sl_substitute_ext;

/* The same substitution for an event layer (flag SL_EVENTS_OUT of
 * sl.events.v1): a chip that records spike times has no membrane trace.
 * Extension name SL_EXT_SUBSTITUTE_EVENTS. Called after xForward
 * (SL_MODE_TRAIN) of the same shape with the backend's "spike_times"
 * trace of the layer; `out`, the layer's output of that forward, is
 * rewritten to the measured times (those the layer's own run length
 * admits), and the next xBackward computes its gradient at the measured
 * spikes (specs/bss2.md §7.2: the layer re-simulated with the measured
 * spikes as its events, no root solving). MUST NOT allocate. */
#define SL_EXT_SUBSTITUTE_EVENTS "sl.substitute_events.v1"

typedef struct sl_substitute_events_ext {
    uint32_t struct_size;
    int (*xSubstituteEvents)(void *self, const float *times, float *out);
} sl_substitute_events_ext;

#ifdef __cplusplus
}
#endif

#endif
