/* core/engine/registry.h — plugin loading and the component registry. */
#ifndef SL_CORE_REGISTRY_H
#define SL_CORE_REGISTRY_H

#include "spikelab/spikelab.h"
#include "util/err.h"

typedef struct sl__registry sl__registry;

typedef struct sl__plugin {
    char *path;                 /* file it was loaded from; NULL = built in */
    void *handle;               /* dlopen handle */
    const sl_plugin_desc *desc; /* borrowed from the plugin */
} sl__plugin;

/* A registered component. Entries never move: a pointer from
 * sl__registry_find stays valid until sl__registry_free. comp points into
 * the plugin (static data of the .so) and has been checked: name, kind,
 * iface (covering the kind's ABI 1.0 table) and required methods are
 * valid. */
typedef struct sl__entry {
    const sl_component *comp;
    const sl__plugin *plugin;
    /* the component's settings table (ABI 1.1), checked at load; NULL
     * when it has none (built for ABI 1.0, or declares none). Entries are
     * strided by settings[0].struct_size: use sl__decl_at (decl.h). */
    const sl_setting *settings;
    size_t n_settings;
} sl__entry;

sl__registry *sl__registry_new(void);
void sl__registry_free(sl__registry *reg);

/* Load one plugin file. Refuses (SL_EPLUGIN/SL_EABI with "FILE: reason")
 * a file that does not dlopen, lacks the entry symbol, returns NULL or a
 * malformed descriptor, has another ABI major or a newer minor, or offers a
 * component name already registered. A refused plugin leaves the registry
 * as it was. A plugin whose *name* is already loaded from an earlier
 * directory is skipped (SL_OK, *shadowed = 1 if non-NULL). */
int sl__registry_load_file(sl__registry *reg, const char *path, int *shadowed,
                           sl__err *err);
/* Load every *.so of a directory; failures are kept as warnings (see
 * sl__registry_warnings) and do not stop the scan. Missing dir: SL_OK. */
int sl__registry_load_dir(sl__registry *reg, const char *dir);
/* Load a ':'-separated list of directories (empty entries skipped). */
void sl__registry_load_path(sl__registry *reg, const char *path_list);
/* The standard search: experiment plugin_path (may be NULL) first, then
 * $SPIKELAB_PLUGIN_PATH, then the installed directory SL_PLUGINDIR (or
 * $SPIKELAB_PLUGIN_SYSTEM_PATH instead, when set; empty = none); earlier
 * places shadow later ones for plugins of the same name. Each of extra[]
 * may itself be a ':'-separated list. */
void sl__registry_load_default(sl__registry *reg, const char *const *extra,
                               size_t n_extra);
/* Check and register a descriptor already in memory (the built-ins, unit
 * tests), with the same checks and messages as a file; path NULL shows as
 * "(built in)", is borrowed and copied. The descriptor is borrowed and must
 * outlive the registry. A plugin name already present is refused here
 * (SL_EPLUGIN), not shadowed. */
int sl__registry_add_desc(sl__registry *reg, const sl_plugin_desc *desc,
                          const char *path, sl__err *err);

/* Look a component up by kind and name; NULL if absent. */
const sl__entry *sl__registry_find(const sl__registry *reg, sl_kind kind,
                                   const char *name);
size_t sl__registry_n_plugins(const sl__registry *reg);
const sl__plugin *sl__registry_plugin(const sl__registry *reg, size_t i);
/* Messages of plugins refused during directory scans ('\n'-separated,
 * borrowed, "" if none). */
const char *sl__registry_warnings(const sl__registry *reg);
/* The same refusals one by one: file (returned) and reason (*reason);
 * both borrowed until sl__registry_free. NULL past the end. */
size_t sl__registry_n_refused(const sl__registry *reg);
const char *sl__registry_refused(const sl__registry *reg, size_t i,
                                 const char **reason);
/* Plugin files skipped because a plugin of the same name was loaded from
 * an earlier place: file (returned) and the winner's path (*by). */
size_t sl__registry_n_shadowed(const sl__registry *reg);
const char *sl__registry_shadowed(const sl__registry *reg, size_t i,
                                  const char **by);
/* Directories that were actually scanned, in order (borrowed). */
size_t sl__registry_n_searched(const sl__registry *reg);
const char *sl__registry_searched(const sl__registry *reg, size_t i);
/* Error text for a missing component: names kind and name and lists what
 * is available plus refusal warnings. */
int sl__registry_missing(const sl__registry *reg, sl_kind kind,
                         const char *name, sl__err *err);
/* "neuron", "loss", ... ; "unknown" for any other value. Static. */
const char *sl__kind_name(sl_kind kind);

/* Components built into the core (linear layer, sim backend). */
extern const sl_plugin_desc sl__builtin_desc;

/* The installed plugin directory of this build (from ./configure's
 * prefix; a reconfigure with another prefix rebuilds what uses it).
 * Static storage. */
const char *sl__registry_plugindir(void);

#endif
