/*
 * spikelab/events.h — event sequences: spike times instead of steps.
 *
 * An event sequence travels in the same [batch][time][channels] float32
 * buffer as a dense sequence, read differently: element [b][s][c] is the
 * time in seconds (from the start of the sample) of the s-th spike of
 * channel c, spikes of a channel in ascending time, and +INFINITY where a
 * channel has fewer spikes than the sequence has slots. So the time
 * dimension is the number of spikes each channel can hold, the shape and
 * the buffers the core allocates stay what they are, and a layer built
 * against ABI 1 (which knows only dense sequences) keeps loading: the kind
 * is told by this extension, by name (ABI-1 layers do not offer it and
 * are dense on both sides). A gradient dL/d(element) of an event sequence
 * is dL/d(that spike time); +INFINITY slots get 0.
 *
 * Conversions (done by the layer that offers the extension, on the side
 * its settings name dense; spikes have no gradient there, so a network is
 * trained only through event sides):
 *   dense → events: a step s whose value rounds to 1 gives a spike at
 *                   time s·dt (the start of its bin); 0 none, more than
 *                   one is an error;
 *   events → dense: a spike at time t adds 1 to step floor(t/dt); a spike
 *                   at or after time·dt is an error, never lost silently.
 * The core refuses, at load, a network in which a layer whose output is an
 * event sequence is followed by one that takes a dense sequence, or the
 * reverse, naming both layers; and decodes an event output by its
 * earliest spike for the "accuracy" evaluation (arg-min over channels of
 * the first spike time; ties and no spike at all: the lowest channel).
 *
 * Extension name: SL_EXT_EVENTS, returned by a neuron's xExtension for an
 * instance (self != NULL); the pointer is borrowed, valid until xDestroy.
 */
#ifndef SPIKELAB_EVENTS_H
#define SPIKELAB_EVENTS_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_EXT_EVENTS "sl.events.v1"

enum {
    SL_EVENTS_IN = 1u << 0, /* the layer takes an event sequence */
    SL_EVENTS_OUT = 1u << 1 /* the layer gives an event sequence */
};

typedef struct sl_events_ext {
    uint32_t struct_size;
    uint32_t flags; /* SL_EVENTS_* of this instance */
} sl_events_ext;

#ifdef __cplusplus
}
#endif
#endif
