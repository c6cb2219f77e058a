/*
 * spikelab/plugin.h — how a plugin .so describes itself.
 *
 * A plugin exports exactly one symbol, SL_PLUGIN_ENTRY_NAME:
 *
 *     SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *h);
 *
 * It MUST return a pointer to a descriptor with static storage duration (or
 * NULL on failure); the core never frees it. It MUST NOT print to stdout,
 * call exit() or abort(). The host table stays valid while the plugin is
 * loaded; a plugin may keep the pointer.
 *
 * One plugin may carry several components (LV2 style): e.g. superspike.so
 * holds a learning rule and a loss. Component names are global: two plugins
 * offering the same name are refused by the loader.
 *
 * The loader walks `components` with the stride of the plugin's own
 * components[0].struct_size (an older plugin's array keeps its older
 * element size); the core never indexes it with its own sizeof.
 */
#ifndef SPIKELAB_PLUGIN_H
#define SPIKELAB_PLUGIN_H

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SL_PLUGIN_ENTRY_NAME "spikelab_plugin_init"

/* The five kinds of component. Values are stable ABI. */
typedef enum sl_kind {
    SL_KIND_NEURON = 1,    /* sl_neuron_iface (neuron.h): also any layer */
    SL_KIND_LOSS = 2,      /* sl_loss_iface (loss.h) */
    SL_KIND_OPTIMIZER = 3, /* sl_optimizer_iface (optimizer.h) */
    SL_KIND_DATASET = 4,   /* sl_dataset_iface (dataset.h) */
    SL_KIND_BACKEND = 5    /* sl_backend_iface (backend.h) */
} sl_kind;

typedef struct sl_component {
    uint32_t struct_size;
    uint32_t kind;           /* sl_kind */
    const char *name;        /* unique name used in experiment files */
    const char *description; /* one line, may be NULL */
    const void *iface;       /* the kind's interface table; starts with
                                its own struct_size */
} sl_component;

typedef struct sl_plugin_desc {
    uint32_t struct_size;
    uint16_t abi_major, abi_minor; /* SL_ABI_MAJOR/MINOR it was built for */
    const char *name;              /* plugin name, e.g. "lif" */
    const char *version;           /* plugin version, e.g. "0.1.0" */
    const char *description;       /* may be NULL */
    size_t n_components;
    const sl_component *components; /* array of n_components */
} sl_plugin_desc;

typedef const sl_plugin_desc *(*sl_plugin_init_fn)(const sl_host *host);

/* Convenience initialiser for a descriptor built against these headers. */
#define SL_PLUGIN_DESC(name_, version_, desc_, comps_)                        \
    {sizeof(sl_plugin_desc), SL_ABI_MAJOR, SL_ABI_MINOR, (name_), (version_), \
     (desc_), sizeof(comps_) / sizeof((comps_)[0]), (comps_)}

#ifdef __cplusplus
}
#endif
#endif
