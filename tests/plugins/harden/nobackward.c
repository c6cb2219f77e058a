/*
 * tests/plugins/harden/nobackward.c — plugins that a careless author could
 * write, for tests/harden.sh (issue 12).
 *
 * Built twice (tests/harden.mk):
 *  - nobackward.so: a working layer "passthrough" (out = in, no parameters)
 *    whose xBackward is NULL. The core must refuse an experiment that
 *    trains through it with a gradient optimizer, and run it otherwise.
 *  - data_entry.so (-DDATA_ENTRY): its entry symbol spikelab_plugin_init is
 *    a data object, not a function. The loader must refuse it, not call it.
 */
#include <stddef.h>
#include <string.h>

#include "spikelab/spikelab.h"

#ifdef DATA_ENTRY
/* Writable data, so it lies in a non-executable segment whatever the
 * linker does with read-only data. Bytes that are not valid code either. */
SL_EXPORT unsigned char spikelab_plugin_init[64] = {0xff, 0xff, 0xff, 0xff};
#else
typedef struct pass {
    const sl_host *h;
    size_t n, batch, time;
} pass;

static int create(const sl_host *h, sl_ctx *ctx, const sl_layer_info *info,
                  void **self, size_t *n_out)
{
    (void)ctx;
    pass *p = h->xAlloc(sizeof *p);
    if (!p)
        return SL_ENOMEM;
    p->h = h;
    p->n = info->n_in;
    *self = p;
    *n_out = info->n_in;
    return SL_OK;
}
static void destroy(void *self)
{
    pass *p = self;
    p->h->xFree(p);
}
static int params(void *self, sl_param *out, size_t cap, size_t *count)
{
    (void)self, (void)out, (void)cap;
    *count = 0;
    return SL_OK;
}
static int prepare(void *self, size_t batch, size_t time, uint32_t mode)
{
    pass *p = self;
    (void)mode;
    p->batch = batch;
    p->time = time;
    return SL_OK;
}
static int forward(void *self, const float *in, float *out)
{
    pass *p = self;
    memcpy(out, in, p->batch * p->time * p->n * sizeof *out);
    return SL_OK;
}

static const sl_neuron_iface iface = {
    sizeof(sl_neuron_iface), 0, create, destroy, params, prepare, forward,
    NULL /* xBackward */, NULL, NULL,
};

static const sl_setting no_settings[] = {SL_NO_SETTINGS};
static const sl_component comps[] = {
    SL_COMPONENT(SL_KIND_NEURON, "passthrough", "out = in; no backward pass",
                 &iface, no_settings),
};
static const sl_plugin_desc desc =
    SL_PLUGIN_DESC("nobackward", "1", "a layer without xBackward", comps);

SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *h)
{
    return h && h->abi_major == SL_ABI_MAJOR ? &desc : NULL;
}
#endif
