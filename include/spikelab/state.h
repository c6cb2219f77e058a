/*
 * spikelab/state.h — a component's training state, for checkpoints.
 *
 * `train.checkpoint_every = N` stores everything a run needs to continue
 * bit-identically after a crash (`spikelab resume`): the parameters, the
 * core's own counters and, through this extension, the state a component
 * keeps between calls — an optimizer's moments and step count, a chip
 * emulator's noise generator. The core asks the optimizer, the backend
 * and every layer for SL_EXT_STATE through xExtension:
 *   - an optimizer or a backend other than `sim` without it cannot be
 *     checkpointed (the run is refused before it starts: its state would
 *     silently restart, and the resumed run would differ);
 *   - a layer without it is taken to keep no state between forward passes
 *     (every xForward starts from rest), as every layer in the tree does.
 * A component with nothing to keep offers the extension with xSize
 * returning 0, which says so.
 *
 * An extension rather than new slots of the interfaces, so the ABI minor
 * and the interface tables stay as they are and a plugin built before it
 * still loads (and is refused only where its state matters).
 */
#ifndef SPIKELAB_STATE_H
#define SPIKELAB_STATE_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_EXT_STATE "sl.state.v1"

typedef struct sl_state_ext {
    uint32_t struct_size;
    /* Bytes of the state now (after xBind for an optimizer, xPlace for a
     * backend). 0: the component keeps no state. */
    size_t (*xSize)(void *self);
    /* Write exactly `size` (= xSize) bytes of state to buf (borrowed for
     * the call). The layout is the component's own; it is read back only
     * by the same component built with the same settings. */
    int (*xSave)(void *self, void *buf, size_t size);
    /* Restore a state xSave wrote, into a component created (and bound,
     * placed) with the same settings: afterwards it continues exactly as
     * the saved one would have. A size or content it does not accept is
     * SL_EDATA, reported on the component's context, with nothing
     * changed. buf is borrowed for the call. */
    int (*xLoad)(void *self, const void *buf, size_t size);
} sl_state_ext;

#ifdef __cplusplus
}
#endif
#endif
