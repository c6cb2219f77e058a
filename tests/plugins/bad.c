/*
 * tests/plugins/bad.c — malformed plugins the loader must refuse.
 *
 * One source, compiled once per defect: tests/loader.mk builds
 * bad_<defect>.so with -DBAD_<DEFECT>. Every variant starts from a valid
 * plugin and breaks exactly one thing, so a refusal can only come from that
 * one defect. Nothing here ever runs beyond the entry function: the methods
 * are stubs.
 */
#include <stddef.h>

#include "spikelab/spikelab.h"

static int create(const sl_host *h, sl_ctx *ctx, const sl_layer_info *info,
                  void **self, size_t *n_out)
{
    (void)info, (void)self, (void)n_out;
    return h->xError(ctx, NULL, SL_ENOTSUP, "test plugin: not creatable");
}
static void destroy(void *self) { (void)self; }
static int params(void *self, sl_param *out, size_t cap, size_t *count)
{
    (void)self, (void)out, (void)cap;
    *count = 0;
    return SL_OK;
}
static int prepare(void *self, size_t batch, size_t time, uint32_t mode)
{
    (void)self, (void)batch, (void)time, (void)mode;
    return SL_OK;
}
static int forward(void *self, const float *in, float *out)
{
    (void)self, (void)in, (void)out;
    return SL_OK;
}

static const sl_neuron_iface neuron = {
#ifdef BAD_IFACE_SMALL
    /* claims to end before xForward: a table from no ABI version at all */
    offsetof(sl_neuron_iface, xForward),
#else
    sizeof(sl_neuron_iface),
#endif
    0, create, destroy, params, prepare, forward, NULL, NULL, NULL,
};

#if defined(BAD_DUP_WITHIN)
static const sl_component comps[] = {
    {sizeof(sl_component), SL_KIND_NEURON, "bad_same", "first", &neuron, 0, NULL},
    {sizeof(sl_component), SL_KIND_NEURON, "bad_same", "second", &neuron, 0, NULL},
};
#elif defined(TWIN_A) || defined(TWIN_B)
/* two different plugins (twin_a, twin_b) offering the same component */
static const sl_component comps[] = {
    {sizeof(sl_component), SL_KIND_NEURON, "twin", "clashing name",
     &neuron, 0, NULL},
};
#elif defined(SHADOW_V1) || defined(SHADOW_V2)
/* two builds of one plugin ("shadow"): the first found must win */
static const sl_component comps[] = {
#ifdef SHADOW_V1
    {sizeof(sl_component), SL_KIND_NEURON, "shadow_layer", "version 1",
     &neuron, 0, NULL},
#else
    {sizeof(sl_component), SL_KIND_NEURON, "shadow_layer", "version 2",
     &neuron, 0, NULL},
#endif
};
#else
static const sl_component comps[] = {
#ifdef BAD_KIND
    {sizeof(sl_component), 42, "bad_kind", "kind 42 does not exist",
     &neuron, 0, NULL},
#else
    {sizeof(sl_component), SL_KIND_NEURON, "bad_layer", "a stub layer",
     &neuron, 0, NULL},
#endif
};
#endif

#if defined(TWIN_A)
#define PLUGIN_NAME "twin_a"
#elif defined(TWIN_B)
#define PLUGIN_NAME "twin_b"
#elif defined(SHADOW_V1) || defined(SHADOW_V2)
#define PLUGIN_NAME "shadow"
#else
#define PLUGIN_NAME "bad"
#endif

#ifdef SHADOW_V2
#define PLUGIN_VERSION "2"
#else
#define PLUGIN_VERSION "1"
#endif

static const sl_plugin_desc desc = {
#ifdef BAD_SMALL_DESC
    /* covers the version but not the rest of the 1.0 descriptor */
    offsetof(sl_plugin_desc, name),
#else
    sizeof(sl_plugin_desc),
#endif
#ifdef BAD_ABI_MAJOR
    99,
#else
    SL_ABI_MAJOR,
#endif
#ifdef BAD_ABI_MINOR
    SL_ABI_MINOR + 1,
#else
    SL_ABI_MINOR,
#endif
    PLUGIN_NAME, PLUGIN_VERSION, "loader test plugin",
#ifdef BAD_NO_COMPONENTS
    0,
#else
    sizeof comps / sizeof comps[0],
#endif
    comps,
};

#ifdef BAD_NO_ENTRY
/* exported, but under the wrong name */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init_v0(const sl_host *h)
#else
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *h)
#endif
{
    (void)h;
#ifdef BAD_NULL_DESC
    (void)desc; /* a valid descriptor it does not hand out */
    return NULL;
#else
    return &desc;
#endif
}
