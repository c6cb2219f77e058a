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

/* --- Settings tables (ABI 1.1) -------------------------------------------
 *
 * A component declares every setting it reads (SQLite's and LV2's way of
 * describing a plugin's parameters as static data): name, type, default,
 * allowed range or choices, unit and one line of documentation. The core
 * then
 *  - checks each value the component reads against its entry (type, range,
 *    choices) and names the key, its file:line and what is allowed;
 *  - refuses a read of a key the table does not declare (a plugin bug);
 *  - suggests the nearest declared name for an unknown key (a typo);
 *  - records every default a run used with the run's parameters;
 *  - prints the table (`spikelab plugins NAME`, docs/settings.md).
 * A component without a table (settings == NULL, e.g. built for ABI 1.0)
 * keeps the older behaviour: the keys it reads are its settings.
 *
 * Tables are static const data of the plugin; the core only reads them.
 * The array stride is settings[0].struct_size (as for components). */
typedef enum sl_setting_type {
    SL_SET_INT = 1,    /* xGetInt: an integer (64 bits) */
    SL_SET_FLOAT = 2,  /* xGetFloat: a number; an integer is accepted */
    SL_SET_BOOL = 3,   /* xGetBool: true or false */
    SL_SET_STRING = 4, /* xGetString; `choices` may list the allowed values */
    SL_SET_FLOATS = 5, /* xGetFloatVec: one number, or one per neuron */
    SL_SET_LIST = 6,   /* a list or array read element by element
                          ("KEY.[i]"); the component checks the elements */
    SL_SET_GROUP = 7   /* a sub-group; its members are declared as
                          "GROUP.member" entries of the same table */
} sl_setting_type;

/* sl_setting.flags */
enum {
    SL_SET_MIN = 1u << 0,      /* value >= min (> min with MIN_OPEN) */
    SL_SET_MAX = 1u << 1,      /* value <= max (< max with MAX_OPEN) */
    SL_SET_MIN_OPEN = 1u << 2,
    SL_SET_MAX_OPEN = 1u << 3,
    SL_SET_REQUIRED = 1u << 4  /* no default: the setting must be given */
};

typedef struct sl_setting {
    uint32_t struct_size; /* sizeof(sl_setting) as the plugin compiled it */
    uint32_t type;        /* sl_setting_type */
    const char *name;     /* relative to the component's group; dots for
                             members of sub-groups ("init.std"); NULL only
                             in SL_NO_SETTINGS */
    const char *def;      /* the default as the component applies it, in
                             libconfig syntax without quotes ("1e-2",
                             "true", "step"); the host checks that the
                             component's own default equals it. NULL: no
                             fixed default (required, or derived from
                             other settings: `doc` says how) */
    const char *unit;     /* "s", "A", "Hz", "V", "1" (dimensionless
                             quantity); NULL when not a quantity */
    uint32_t flags;       /* SL_SET_* */
    double min, max;      /* bounds when flags say so (ints and numbers,
                             each element of FLOATS) */
    const char *choices;  /* strings: allowed values separated by '|'
                             ("step|step_pwl"); NULL = any string */
    const char *doc;      /* one line */
} sl_setting;

/* One table entry: SL_SETTING(type, name, default, unit, RANGE, doc) with
 * RANGE one of the macros below, e.g.
 *   SL_SETTING(SL_SET_FLOAT, "tau_mem", "1e-2", "s", SL_GT(0),
 *              "membrane time constant") */
#define SL_SETTING(type_, name_, def_, unit_, range_, doc_)                    \
    {sizeof(sl_setting), (type_), (name_), (def_), (unit_), range_, (doc_)}
#define SL_ANY 0u, 0.0, 0.0, NULL                         /* no bound */
#define SL_MIN(lo) SL_SET_MIN, (lo), 0.0, NULL            /* >= lo */
#define SL_GT(lo) SL_SET_MIN | SL_SET_MIN_OPEN, (lo), 0.0, NULL /* > lo */
#define SL_RANGE(lo, hi) SL_SET_MIN | SL_SET_MAX, (lo), (hi), NULL
#define SL_BOUNDS(flags_, lo, hi) (flags_), (lo), (hi), NULL /* any mix */
#define SL_CHOICES(list_) 0u, 0.0, 0.0, (list_)           /* "a|b|c" */
#define SL_REQUIRED SL_SET_REQUIRED, 0.0, 0.0, NULL       /* must be set */
/* The whole table of a component that reads no setting at all (a table
 * with this single entry, so a read is still caught). */
#define SL_NO_SETTINGS                                                         \
    {sizeof(sl_setting), 0u, NULL, NULL, NULL, 0u, 0.0, 0.0, NULL, NULL}

typedef struct sl_component {
    uint32_t struct_size;
    uint32_t kind;           /* sl_kind */
    const char *name;        /* unique name used in experiment files */
    const char *description; /* one line, may be NULL */
    const void *iface;       /* the kind's interface table; starts with
                                its own struct_size */

    /* --- ABI 1.1 --- */
    size_t n_settings;           /* entries in settings */
    const sl_setting *settings;  /* NULL: no table (the keys it reads are
                                    its settings, as in ABI 1.0) */
} sl_component;

/* A component with its settings table, in one line:
 *   SL_COMPONENT(SL_KIND_NEURON, "lif", "LIF neurons", &lif_iface,
 *                lif_settings) */
#define SL_COMPONENT(kind_, name_, desc_, iface_, settings_)                  \
    {sizeof(sl_component), (kind_), (name_), (desc_), (iface_),                \
     sizeof(settings_) / sizeof((settings_)[0]), (settings_)}

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
