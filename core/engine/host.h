/* core/engine/host.h — contexts handed to components and the host table. */
#ifndef SL_CORE_HOST_H
#define SL_CORE_HOST_H

#include "spikelab/spikelab.h"
#include "config/config.h"
#include "util/err.h"

/* One component instance's context: its settings group, the run seed and
 * its own name (for stream derivation and messages). */
struct sl_ctx {
    sl__config *cfg;     /* may be NULL: no settings, getters give defaults */
    sl__setting *group;  /* the component's settings */
    uint64_t seed;       /* run seed */
    /* e.g. "network.layers.lif"; it seeds the component's streams, so it
     * is never cut: name_buf when it fits, else malloc'd (sl__ctx_fini) */
    char *name;
    char name_buf[128];
    sl__err err;         /* last error reported through xError */
};

/* How a run multiplies matrices (the core setting `numerics`). */
typedef enum sl__numerics {
    SL__NUMERICS_BLAS = 0,  /* the BLAS the build links: fast, its bits
                             * depend on the kernel it picks per CPU */
    SL__NUMERICS_PORTABLE,  /* the engine's kernels (kernels.h): the same
                             * bits on any x86-64 CPU */
} sl__numerics;

/* The host tables: sl__host's xGemm is BLAS, sl__host_portable's the
 * portable kernel; everything else is shared. */
extern const sl_host sl__host;
extern const sl_host sl__host_portable;
/* The table for a run in `mode` (static, never NULL). */
const sl_host *sl__host_for(sl__numerics mode);

/* Set up ctx; name is copied whole. A name longer than name_buf is
 * allocated (on allocation failure it is cut, visibly, with "..."): call
 * sl__ctx_fini when ctx is done. */
void sl__ctx_init(sl_ctx *ctx, sl__config *cfg, sl__setting *group,
                  uint64_t seed, const char *name);
/* Free what sl__ctx_init allocated; ctx may be zeroed or NULL. */
void sl__ctx_fini(sl_ctx *ctx);
/* Copy ctx's error to err; if ctx has none, describe `code` generically. */
int sl__ctx_take_error(sl_ctx *ctx, int code, sl__err *err);

#endif
