/* core/host.h — contexts handed to components and the host table. */
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
    char name[128];      /* e.g. "network.layers.[1]" */
    sl__err err;         /* last error reported through xError */
};

extern const sl_host sl__host;

void sl__ctx_init(sl_ctx *ctx, sl__config *cfg, sl__setting *group,
                  uint64_t seed, const char *name);
/* Copy ctx's error to err; if ctx has none, describe `code` generically. */
int sl__ctx_take_error(sl_ctx *ctx, int code, sl__err *err);

#endif
