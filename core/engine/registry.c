/*
 * core/registry.c — plugin loading (dlopen) and the component registry.
 *
 * A plugin is trusted only as far as its descriptor has been checked: every
 * pointer and size the core will later follow is validated here, once, so
 * that the rest of the core can use a registered component without
 * re-checking it. A plugin that fails any check is refused with a message
 * "FILE: reason", dlclosed, and leaves the registry exactly as it was.
 *
 * Ownership: the registry owns its plugin records, their dlopen handles and
 * every string it keeps; descriptors and components stay owned by the
 * plugin (static data inside the .so), so entries are valid until
 * sl__registry_free.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/host.h"
#include "engine/registry.h"
#include "config/decl.h"
#include "util/suggest.h"

/* Size of a struct up to and including `field`: the size the first ABI
 * version of the struct had when `field` is its last 1.0 member. Fields are
 * only ever appended, so these stay the 1.0 sizes forever. */
#define SL__END(type, field) \
    (offsetof(type, field) + sizeof(((type *)0)->field))

#define SL__DESC_V1_SIZE SL__END(sl_plugin_desc, components)
#define SL__COMP_V1_SIZE SL__END(sl_component, iface)
#define SL__SETTING_V1_SIZE SL__END(sl_setting, doc)
/* The descriptor prefix needed to read the ABI version at all. */
#define SL__DESC_VERSION_SIZE SL__END(sl_plugin_desc, abi_minor)
/* More components than this is a garbage count, not a plugin. */
#define SL__MAX_COMPONENTS 4096

/* A plugin as the registry keeps it: the public record first, so a
 * pointer to one is a pointer to the other. Entries are allocated per
 * plugin and never move, which keeps sl__registry_find results valid for
 * the registry's lifetime. */
typedef struct plugin_rec {
    sl__plugin pub;
    sl__entry *entries;
    size_t n_entries;
} plugin_rec;

/* A note about a file: a refusal (reason) or a shadowing (the file that
 * won). Both strings owned. */
typedef struct note {
    char *file;
    char *text;
} note;

typedef struct note_list {
    note *v;
    size_t n, cap;
} note_list;

struct sl__registry {
    plugin_rec **plugins; /* owned, in load order; [0] = built in */
    size_t n_plugins, cap_plugins;
    note_list refused;  /* file + reason */
    note_list shadowed; /* file + path of the plugin that shadows it */
    note_list searched; /* directories scanned (text unused) */
    char *warnings;     /* refusals as "file: reason\n"..., owned */
    size_t warn_len, warn_cap;
};

static char *xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

static const char *display_path(const sl__plugin *p)
{
    return p->path ? p->path : "(built in)";
}

/* Append a note; on allocation failure the note is dropped (notes are
 * diagnostics, losing one must not fail a load). */
static int note_add(note_list *l, const char *file, const char *text)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 8;
        note *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return SL_ENOMEM;
        l->v = v;
        l->cap = cap;
    }
    char *f = xstrdup(file), *t = xstrdup(text ? text : "");
    if (!f || !t) {
        free(f);
        free(t);
        return SL_ENOMEM;
    }
    l->v[l->n].file = f;
    l->v[l->n].text = t;
    l->n++;
    return SL_OK;
}

static void note_free(note_list *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].file);
        free(l->v[i].text);
    }
    free(l->v);
    memset(l, 0, sizeof *l);
}

static void warn_append(sl__registry *reg, const char *file,
                        const char *reason)
{
    size_t need = strlen(file) + 2 + strlen(reason) + 2;
    if (reg->warn_len + need > reg->warn_cap) {
        size_t cap = reg->warn_cap ? reg->warn_cap : 256;
        while (cap < reg->warn_len + need)
            cap *= 2;
        char *w = realloc(reg->warnings, cap);
        if (!w)
            return;
        reg->warnings = w;
        reg->warn_cap = cap;
    }
    reg->warn_len += (size_t)snprintf(reg->warnings + reg->warn_len,
                                      reg->warn_cap - reg->warn_len,
                                      "%s: %s\n", file, reason);
}

/* Record a refusal found while scanning (kept for `spikelab plugins` and
 * for the missing-component message). */
static void refuse_note(sl__registry *reg, const char *file,
                        const char *reason)
{
    note_add(&reg->refused, file, reason);
    warn_append(reg, file, reason);
}

const char *sl__kind_name(sl_kind kind)
{
    switch (kind) {
    case SL_KIND_NEURON:
        return "neuron";
    case SL_KIND_LOSS:
        return "loss";
    case SL_KIND_OPTIMIZER:
        return "optimizer";
    case SL_KIND_DATASET:
        return "dataset";
    case SL_KIND_BACKEND:
        return "backend";
    }
    return "unknown";
}

/* ---------------------------------------------------------------------
 * Descriptor validation. Each check writes its reason (without the file
 * name) into `why` and returns the status; the caller prefixes the file.
 * ------------------------------------------------------------------- */

typedef struct reason {
    char text[768];
} reason;

static int say(reason *why, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int say(reason *why, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why->text, sizeof why->text, fmt, ap);
    va_end(ap);
    return code;
}

/* Component i of a descriptor. The array stride is the plugin's own
 * sizeof(sl_component) (its struct_size), not the core's: a plugin built
 * against ABI 1.0 keeps its 1.0-sized array when sl_component grows. */
static const sl_component *comp_at(const sl_plugin_desc *d, size_t stride,
                                   size_t i)
{
    return (const sl_component *)((const char *)d->components + i * stride);
}

/* The 1.0 size of each kind's interface table, or 0 for an unknown kind. */
static size_t iface_v1_size(uint32_t kind)
{
    switch (kind) {
    case SL_KIND_NEURON:
        return SL__END(sl_neuron_iface, xExtension);
    case SL_KIND_LOSS:
        return SL__END(sl_loss_iface, xExtension);
    case SL_KIND_OPTIMIZER:
        return SL__END(sl_optimizer_iface, xExtension);
    case SL_KIND_DATASET:
        return SL__END(sl_dataset_iface, xExtension);
    case SL_KIND_BACKEND:
        return SL__END(sl_backend_iface, xExtension);
    }
    return 0;
}

/* Required methods of an interface whose size has been checked. Anything
 * the core calls without a NULL test must be here; optional methods
 * (xBackward, xObservable, xTrace, xExtension) are tested at call time. */
static const char *missing_method(uint32_t kind, const void *iface)
{
    switch (kind) {
    case SL_KIND_NEURON: {
        const sl_neuron_iface *n = iface;
        if (!n->xCreate)
            return "xCreate";
        if (!n->xDestroy)
            return "xDestroy";
        if (!n->xParams)
            return "xParams";
        if (!n->xPrepare)
            return "xPrepare";
        if (!n->xForward)
            return "xForward";
        return NULL;
    }
    case SL_KIND_LOSS: {
        const sl_loss_iface *l = iface;
        if (!l->xCreate)
            return "xCreate";
        if (!l->xDestroy)
            return "xDestroy";
        if (!l->xEval)
            return "xEval";
        return NULL;
    }
    case SL_KIND_OPTIMIZER: {
        const sl_optimizer_iface *o = iface;
        if (!o->xCreate)
            return "xCreate";
        if (!o->xDestroy)
            return "xDestroy";
        if (!o->xBind)
            return "xBind";
        if (!(o->flags & (SL_OPT_GRADIENT | SL_OPT_TRACES)))
            return "flags: neither SL_OPT_GRADIENT nor SL_OPT_TRACES is set";
        if ((o->flags & SL_OPT_GRADIENT) && !o->xStep)
            return "xStep (flag SL_OPT_GRADIENT)";
        if ((o->flags & SL_OPT_TRACES) && !o->xRuleUpdate)
            return "xRuleUpdate (flag SL_OPT_TRACES)";
        return NULL;
    }
    case SL_KIND_DATASET: {
        const sl_dataset_iface *s = iface;
        if (!s->xCreate)
            return "xCreate";
        if (!s->xDestroy)
            return "xDestroy";
        if (!s->xGet)
            return "xGet";
        return NULL;
    }
    case SL_KIND_BACKEND: {
        const sl_backend_iface *b = iface;
        if (!b->xCreate)
            return "xCreate";
        if (!b->xDestroy)
            return "xDestroy";
        if (!b->xPlace)
            return "xPlace";
        if ((b->flags & SL_BACKEND_RUNS) && !b->xRun)
            return "xRun (flag SL_BACKEND_RUNS)";
        if ((b->flags & SL_BACKEND_EXPORTS) && !b->xExport)
            return "xExport (flag SL_BACKEND_EXPORTS)";
        return NULL;
    }
    }
    return NULL;
}

/* The component named `name` already registered, or NULL. Names are
 * global across kinds (plugin.h), so the kind is not compared. */
static const sl__entry *find_any(const sl__registry *reg, const char *name)
{
    for (size_t p = 0; p < reg->n_plugins; p++) {
        const plugin_rec *r = reg->plugins[p];
        for (size_t i = 0; i < r->n_entries; i++)
            if (strcmp(r->entries[i].comp->name, name) == 0)
                return &r->entries[i];
    }
    return NULL;
}

static const plugin_rec *find_plugin(const sl__registry *reg,
                                     const char *name)
{
    for (size_t p = 0; p < reg->n_plugins; p++)
        if (strcmp(reg->plugins[p]->pub.desc->name, name) == 0)
            return reg->plugins[p];
    return NULL;
}

/* A component's settings table: sized entries, valid types, unique names,
 * defaults that parse and lie in their own range (decl.c). */
static int check_settings(const sl_component *c, size_t i, reason *why)
{
    if (c->n_settings == 0 || c->n_settings > 4096)
        return say(why, SL_EPLUGIN,
                   "component %zu ('%s'): settings table with %zu entries "
                   "(a component without settings uses SL_NO_SETTINGS)",
                   i, c->name, c->n_settings);
    size_t stride = c->settings[0].struct_size;
    if (stride < SL__SETTING_V1_SIZE)
        return say(why, SL_EPLUGIN,
                   "component %zu ('%s'): settings entry struct_size %zu is "
                   "smaller than the ABI 1.1 sl_setting (%zu bytes)",
                   i, c->name, stride, (size_t)SL__SETTING_V1_SIZE);
    for (size_t k = 0; k < c->n_settings; k++) {
        const sl_setting *st = sl__decl_at(c->settings, k);
        char msg[300];
        if (st->struct_size != stride)
            return say(why, SL_EPLUGIN,
                       "component %zu ('%s'): settings entry %zu has "
                       "struct_size %u, entry 0 has %zu", i, c->name, k,
                       (unsigned)st->struct_size, stride);
        if (sl__setting_validate(st, msg, sizeof msg))
            return say(why, SL_EPLUGIN, "component %zu ('%s'): %s", i,
                       c->name, msg);
        for (size_t j = 0; st->name && j < k; j++) {
            const char *o = sl__decl_at(c->settings, j)->name;
            if (o && strcmp(o, st->name) == 0)
                return say(why, SL_EPLUGIN,
                           "component %zu ('%s'): setting '%s' is declared "
                           "twice", i, c->name, st->name);
        }
    }
    return SL_OK;
}

/* Header checks: everything needed to trust desc->name. */
static int check_header(const sl_plugin_desc *d, reason *why)
{
    if (d->struct_size < SL__DESC_VERSION_SIZE)
        return say(why, SL_EPLUGIN,
                   "descriptor struct_size %u is too small to hold an ABI "
                   "version (need at least %zu bytes)",
                   (unsigned)d->struct_size, (size_t)SL__DESC_VERSION_SIZE);
    /* The version comes before the full size check: another major may lay
     * the descriptor out differently, and its version is the useful
     * message. */
    if (d->abi_major != SL_ABI_MAJOR)
        return say(why, SL_EABI,
                   "built for ABI %u.%u, this spikelab speaks %d.%d (rebuild "
                   "the plugin against this spikelab's headers)",
                   (unsigned)d->abi_major, (unsigned)d->abi_minor,
                   SL_ABI_MAJOR, SL_ABI_MINOR);
    if (d->abi_minor > SL_ABI_MINOR)
        return say(why, SL_EABI,
                   "built for ABI %u.%u, newer than this spikelab's %d.%d "
                   "(upgrade spikelab or rebuild the plugin)",
                   (unsigned)d->abi_major, (unsigned)d->abi_minor,
                   SL_ABI_MAJOR, SL_ABI_MINOR);
    if (d->struct_size < SL__DESC_V1_SIZE)
        return say(why, SL_EPLUGIN,
                   "descriptor struct_size %u is smaller than the ABI %d.0 "
                   "descriptor (%zu bytes)",
                   (unsigned)d->struct_size, SL_ABI_MAJOR,
                   (size_t)SL__DESC_V1_SIZE);
    if (!d->name || !d->name[0])
        return say(why, SL_EPLUGIN, "descriptor has no plugin name");
    if (!d->version)
        return say(why, SL_EPLUGIN, "plugin '%s' has no version string",
                   d->name);
    return SL_OK;
}

/* Component checks, against the plugin itself and the registry. */
static int check_components(const sl__registry *reg, const sl_plugin_desc *d,
                            reason *why)
{
    if (d->n_components == 0 || !d->components)
        return say(why, SL_EPLUGIN,
                   "plugin '%s' offers no components (n_components %zu, "
                   "components %s)",
                   d->name, d->n_components, d->components ? "set" : "NULL");
    if (d->n_components > SL__MAX_COMPONENTS)
        return say(why, SL_EPLUGIN,
                   "plugin '%s' claims %zu components (more than %d: a "
                   "corrupt descriptor)",
                   d->name, d->n_components, SL__MAX_COMPONENTS);
    size_t stride = d->components[0].struct_size;
    if (stride < SL__COMP_V1_SIZE)
        return say(why, SL_EPLUGIN,
                   "component 0: struct_size %zu is smaller than the ABI "
                   "%d.0 sl_component (%zu bytes)",
                   stride, SL_ABI_MAJOR, (size_t)SL__COMP_V1_SIZE);
    for (size_t i = 0; i < d->n_components; i++) {
        const sl_component *c = comp_at(d, stride, i);
        if (c->struct_size != stride)
            return say(why, SL_EPLUGIN,
                       "component %zu: struct_size %u differs from "
                       "component 0's %zu (all elements of the array must "
                       "have the same size)",
                       i, (unsigned)c->struct_size, stride);
        if (!c->name || !c->name[0])
            return say(why, SL_EPLUGIN, "component %zu has no name", i);
        size_t need = iface_v1_size(c->kind);
        if (need == 0)
            return say(why, SL_EPLUGIN,
                       "component %zu ('%s'): unknown kind %u (known: 1 "
                       "neuron .. 5 backend)",
                       i, c->name, (unsigned)c->kind);
        const char *kn = sl__kind_name((sl_kind)c->kind);
        if (!c->iface)
            return say(why, SL_EPLUGIN,
                       "component %zu ('%s'): %s interface is NULL", i,
                       c->name, kn);
        /* every interface table starts with its uint32_t struct_size */
        uint32_t isz = *(const uint32_t *)c->iface;
        if (isz < need)
            return say(why, SL_EPLUGIN,
                       "component %zu ('%s'): %s interface struct_size %u "
                       "is smaller than the ABI %d.0 table (%zu bytes)",
                       i, c->name, kn, (unsigned)isz, SL_ABI_MAJOR, need);
        const char *m = missing_method(c->kind, c->iface);
        if (m && strncmp(m, "flags:", 6) == 0)
            return say(why, SL_EPLUGIN,
                       "component %zu ('%s'): %s interface %s", i, c->name,
                       kn, m);
        if (m)
            return say(why, SL_EPLUGIN,
                       "component %zu ('%s'): %s interface lacks required "
                       "method %s",
                       i, c->name, kn, m);
        if (SL_HAS_FIELD(sl_component, c, settings) && c->settings) {
            int rc = check_settings(c, i, why);
            if (rc)
                return rc;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(comp_at(d, stride, j)->name, c->name) == 0)
                return say(why, SL_EPLUGIN,
                           "component name '%s' appears twice in the plugin "
                           "(components %zu and %zu)",
                           c->name, j, i);
        const sl__entry *e = find_any(reg, c->name);
        if (e)
            return say(why, SL_EPLUGIN,
                       "component '%s' is already provided by %s (plugin "
                       "'%s'); component names must be unique",
                       c->name, display_path(e->plugin),
                       e->plugin->desc->name);
    }
    return SL_OK;
}

/* Append a checked plugin. Only allocation can fail here, and it happens
 * before the registry changes. */
static int add_plugin(sl__registry *reg, const sl_plugin_desc *d,
                      const char *path, void *handle)
{
    if (reg->n_plugins == reg->cap_plugins) {
        size_t cap = reg->cap_plugins ? 2 * reg->cap_plugins : 8;
        plugin_rec **v = realloc(reg->plugins, cap * sizeof *v);
        if (!v)
            return SL_ENOMEM;
        reg->plugins = v;
        reg->cap_plugins = cap;
    }
    plugin_rec *r = calloc(1, sizeof *r);
    if (!r)
        return SL_ENOMEM;
    r->entries = calloc(d->n_components, sizeof *r->entries);
    r->pub.path = path ? xstrdup(path) : NULL;
    if (!r->entries || (path && !r->pub.path)) {
        free(r->entries);
        free(r->pub.path);
        free(r);
        return SL_ENOMEM;
    }
    r->pub.handle = handle;
    r->pub.desc = d;
    size_t stride = d->components[0].struct_size;
    for (size_t i = 0; i < d->n_components; i++) {
        const sl_component *c = comp_at(d, stride, i);
        r->entries[i].comp = c;
        r->entries[i].plugin = &r->pub;
        /* a 1.0 component ends at iface: its table fields are not there */
        if (SL_HAS_FIELD(sl_component, c, settings) && c->settings) {
            r->entries[i].settings = c->settings;
            r->entries[i].n_settings = c->n_settings;
        }
    }
    r->n_entries = d->n_components;
    reg->plugins[reg->n_plugins++] = r;
    return SL_OK;
}

/* Check and register a descriptor that is already in memory. */
static int add_desc(sl__registry *reg, const sl_plugin_desc *desc,
                    const char *path, reason *why)
{
    int rc;
    if (!desc)
        return say(why, SL_EPLUGIN, "NULL descriptor");
    if ((rc = check_header(desc, why)) != SL_OK ||
        (rc = check_components(reg, desc, why)) != SL_OK)
        return rc;
    if (find_plugin(reg, desc->name))
        return say(why, SL_EPLUGIN, "a plugin named '%s' is already loaded",
                   desc->name);
    if (add_plugin(reg, desc, path, NULL) != SL_OK)
        return say(why, SL_ENOMEM, "out of memory");
    return SL_OK;
}

int sl__registry_add_desc(sl__registry *reg, const sl_plugin_desc *desc,
                          const char *path, sl__err *err)
{
    reason why;
    int rc = add_desc(reg, desc, path, &why);
    if (rc != SL_OK)
        return sl__fail(err, rc, "%s: %s", path ? path : "(built in)",
                        why.text);
    sl__err_clear(err);
    return SL_OK;
}

sl__registry *sl__registry_new(void)
{
    sl__registry *reg = calloc(1, sizeof *reg);
    if (!reg)
        return NULL;
    reason why;
    int rc = add_desc(reg, &sl__builtin_desc, NULL, &why);
    if (rc == SL_ENOMEM) {
        sl__registry_free(reg);
        return NULL;
    }
    /* A malformed built-in is a core bug, but reporting it like any plugin
     * keeps the command usable and the bug visible. */
    if (rc != SL_OK)
        refuse_note(reg, "(built in)", why.text);
    return reg;
}

void sl__registry_free(sl__registry *reg)
{
    if (!reg)
        return;
    /* Unload in reverse order of loading, like the dynamic linker does. */
    for (size_t i = reg->n_plugins; i-- > 0;) {
        plugin_rec *r = reg->plugins[i];
        if (r->pub.handle)
            dlclose(r->pub.handle);
        free(r->pub.path);
        free(r->entries);
        free(r);
    }
    free(reg->plugins);
    note_free(&reg->refused);
    note_free(&reg->shadowed);
    note_free(&reg->searched);
    free(reg->warnings);
    free(reg);
}

/* The body of sl__registry_load_file; the reason is given without the file
 * name so that scans can keep file and reason apart. */
static int load_file(sl__registry *reg, const char *path, int *shadowed,
                     reason *why)
{
    if (shadowed)
        *shadowed = 0;
    dlerror(); /* clear any stale error */
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        const char *e = dlerror();
        return say(why, SL_EPLUGIN, "cannot load: %s",
                   e ? e : "unknown dlopen error");
    }
    /* The same file reached twice (a directory listed twice, a symlink):
     * dlopen hands back the handle it already has. Nothing new. */
    for (size_t i = 0; i < reg->n_plugins; i++)
        if (reg->plugins[i]->pub.handle == h) {
            dlclose(h);
            if (shadowed)
                *shadowed = 1;
            return SL_OK;
        }
    /* Converting a data pointer to a function pointer is how dlsym is
     * meant to be used (POSIX); going through a union keeps -Wpedantic
     * quiet. */
    union {
        void *obj;
        sl_plugin_init_fn fn;
    } entry;
    dlerror();
    entry.obj = dlsym(h, SL_PLUGIN_ENTRY_NAME);
    if (!entry.obj) {
        dlclose(h);
        return say(why, SL_EPLUGIN,
                   "no entry symbol '%s' (not a spikelab plugin, or built "
                   "without SL_EXPORT)",
                   SL_PLUGIN_ENTRY_NAME);
    }
    const sl_plugin_desc *d = entry.fn(&sl__host);
    if (!d) {
        dlclose(h);
        return say(why, SL_EPLUGIN, "%s() returned NULL (the plugin "
                                    "failed to initialise)",
                   SL_PLUGIN_ENTRY_NAME);
    }
    int rc = check_header(d, why);
    if (rc != SL_OK) {
        dlclose(h);
        return rc;
    }
    /* Shadowing: a plugin whose name is already loaded from an earlier
     * place in the search order is skipped, not refused. This is how a
     * build tree (SPIKELAB_PLUGIN_PATH) or a user's own directory
     * (plugin_path) overrides the copy installed in SL_PLUGINDIR: the
     * earlier place wins. Checked before the components, since the
     * shadowed copy's components would all clash with the winner's. */
    const plugin_rec *won = find_plugin(reg, d->name);
    if (won) {
        note_add(&reg->shadowed, path, display_path(&won->pub));
        dlclose(h);
        if (shadowed)
            *shadowed = 1;
        return SL_OK;
    }
    if ((rc = check_components(reg, d, why)) != SL_OK) {
        dlclose(h);
        return rc;
    }
    if (add_plugin(reg, d, path, h) != SL_OK) {
        dlclose(h);
        return say(why, SL_ENOMEM, "out of memory");
    }
    return SL_OK;
}

int sl__registry_load_file(sl__registry *reg, const char *path, int *shadowed,
                           sl__err *err)
{
    reason why;
    int rc = load_file(reg, path, shadowed, &why);
    if (rc != SL_OK)
        return sl__fail(err, rc, "%s: %s", path, why.text);
    sl__err_clear(err);
    return SL_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int ends_with_so(const char *name)
{
    size_t n = strlen(name);
    /* ".so" alone is a hidden file, not a plugin */
    return n > 3 && strcmp(name + n - 3, ".so") == 0;
}

int sl__registry_load_dir(sl__registry *reg, const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        if (errno == ENOENT)
            return SL_OK;
        reason why;
        say(&why, SL_EIO, "cannot read plugin directory: %s",
            strerror(errno));
        refuse_note(reg, dir, why.text);
        return SL_EIO;
    }
    note_add(&reg->searched, dir, NULL);
    /* Collect and sort the names: readdir order depends on the file
     * system, and load order decides which of two clashing plugins wins. */
    char **names = NULL;
    size_t n = 0, cap = 0;
    int rc = SL_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!ends_with_so(de->d_name))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 16;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) {
                rc = SL_ENOMEM;
                break;
            }
            names = v;
        }
        if (!(names[n] = xstrdup(de->d_name))) {
            rc = SL_ENOMEM;
            break;
        }
        n++;
    }
    closedir(d);
    if (n > 1)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && rc == SL_OK; i++) {
        size_t len = strlen(dir) + 1 + strlen(names[i]) + 1;
        char *path = malloc(len);
        if (!path) {
            rc = SL_ENOMEM;
            break;
        }
        snprintf(path, len, "%s/%s", dir, names[i]);
        reason why;
        if (load_file(reg, path, NULL, &why) != SL_OK)
            refuse_note(reg, path, why.text);
        free(path);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

void sl__registry_load_path(sl__registry *reg, const char *path_list)
{
    if (!path_list)
        return;
    const char *p = path_list;
    while (*p) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        /* empty entries ("a::b", a trailing ':') are skipped, not taken as
         * the current directory: loading code from "." by accident is the
         * classic LD_LIBRARY_PATH mistake */
        if (len > 0) {
            char *dir = malloc(len + 1);
            if (!dir)
                return;
            memcpy(dir, p, len);
            dir[len] = '\0';
            sl__registry_load_dir(reg, dir);
            free(dir);
        }
        if (!end)
            break;
        p = end + 1;
    }
}

#ifndef SL_PLUGINDIR
#define SL_PLUGINDIR "/usr/local/lib/spikelab/plugins"
#endif

/* Each element of extra may itself be a ':'-separated list (the command's
 * --plugin-path takes one). */
void sl__registry_load_default(sl__registry *reg, const char *const *extra,
                               size_t n_extra)
{
    for (size_t i = 0; i < n_extra; i++)
        sl__registry_load_path(reg, extra[i]);
    sl__registry_load_path(reg, getenv("SPIKELAB_PLUGIN_PATH"));
    /* SPIKELAB_PLUGIN_SYSTEM_PATH replaces the installed directory when
     * set (empty: none), so tests and relocated installs can keep a
     * machine-wide installation out of the search. */
    const char *sys = getenv("SPIKELAB_PLUGIN_SYSTEM_PATH");
    sl__registry_load_path(reg, sys ? sys : SL_PLUGINDIR);
}

const sl__entry *sl__registry_find(const sl__registry *reg, sl_kind kind,
                                   const char *name)
{
    if (!reg || !name)
        return NULL;
    const sl__entry *e = find_any(reg, name);
    return e && e->comp->kind == (uint32_t)kind ? e : NULL;
}

size_t sl__registry_n_plugins(const sl__registry *reg)
{
    return reg->n_plugins;
}

const sl__plugin *sl__registry_plugin(const sl__registry *reg, size_t i)
{
    return i < reg->n_plugins ? &reg->plugins[i]->pub : NULL;
}

const char *sl__registry_warnings(const sl__registry *reg)
{
    return reg->warnings ? reg->warnings : "";
}

size_t sl__registry_n_refused(const sl__registry *reg)
{
    return reg->refused.n;
}

const char *sl__registry_refused(const sl__registry *reg, size_t i,
                                 const char **reason_out)
{
    if (i >= reg->refused.n)
        return NULL;
    if (reason_out)
        *reason_out = reg->refused.v[i].text;
    return reg->refused.v[i].file;
}

size_t sl__registry_n_shadowed(const sl__registry *reg)
{
    return reg->shadowed.n;
}

const char *sl__registry_shadowed(const sl__registry *reg, size_t i,
                                  const char **by)
{
    if (i >= reg->shadowed.n)
        return NULL;
    if (by)
        *by = reg->shadowed.v[i].text;
    return reg->shadowed.v[i].file;
}

size_t sl__registry_n_searched(const sl__registry *reg)
{
    return reg->searched.n;
}

const char *sl__registry_searched(const sl__registry *reg, size_t i)
{
    return i < reg->searched.n ? reg->searched.v[i].file : NULL;
}

/* ---------------------------------------------------------------------
 * The missing-component message.
 * ------------------------------------------------------------------- */

/* A growing string; on allocation failure it stops growing (the message
 * is then shorter, never wrong). */
typedef struct sbuf {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void sb_printf(sbuf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + (size_t)n + 1)
            cap *= 2;
        char *s = realloc(b->s, cap);
        if (!s)
            return;
        b->s = s;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Levenshtein distance, capped: only small distances matter for a
 * "did you mean" hint, and names are short. */
int sl__registry_missing(const sl__registry *reg, sl_kind kind,
                         const char *name, sl__err *err)
{
    const char *kn = sl__kind_name(kind);
    sbuf b = {0};
    sb_printf(&b, "no %s component named '%s'", kn, name ? name : "(null)");
    const sl__entry *other = name ? find_any(reg, name) : NULL;
    if (other)
        sb_printf(&b, " ('%s' is a %s, from %s)", name,
                  sl__kind_name((sl_kind)other->comp->kind),
                  display_path(other->plugin));
    /* the closest name of the right kind, if it is a plausible typo */
    sl__suggest sg;
    sl__suggest_init(&sg, name, 3);
    size_t n_avail = 0;
    for (size_t p = 0; p < reg->n_plugins; p++)
        for (size_t i = 0; i < reg->plugins[p]->n_entries; i++) {
            const sl__entry *e = &reg->plugins[p]->entries[i];
            if (e->comp->kind != (uint32_t)kind)
                continue;
            n_avail++;
            sl__suggest_add(&sg, e->comp->name);
        }
    if (sg.best)
        sb_printf(&b, "; did you mean '%s'?", sg.best);
    sb_printf(&b, "\navailable %s components:", kn);
    if (n_avail == 0)
        sb_printf(&b, " none");
    for (size_t p = 0; p < reg->n_plugins; p++)
        for (size_t i = 0; i < reg->plugins[p]->n_entries; i++) {
            const sl__entry *e = &reg->plugins[p]->entries[i];
            if (e->comp->kind == (uint32_t)kind)
                sb_printf(&b, "\n  %s (%s)", e->comp->name,
                          display_path(e->plugin));
        }
    sb_printf(&b, "\nsearched:");
    if (reg->searched.n == 0)
        sb_printf(&b, " no plugin directory");
    for (size_t i = 0; i < reg->searched.n; i++)
        sb_printf(&b, "%s %s", i ? "," : "", reg->searched.v[i].file);
    sb_printf(&b, "\nadd the plugin's directory with plugin_path = "
                  "[\"DIR\"] in the experiment file or "
                  "SPIKELAB_PLUGIN_PATH=DIR[:DIR] in the environment; "
                  "`spikelab plugins` lists what loads and what is refused");
    /* last: the longest part, and the one to lose if the message must be
     * cut to fit err->msg */
    if (reg->refused.n) {
        sb_printf(&b, "\nplugins refused while searching:");
        for (size_t i = 0; i < reg->refused.n; i++)
            sb_printf(&b, "\n  %s: %s", reg->refused.v[i].file,
                      reg->refused.v[i].text);
    }
    int rc = sl__fail(err, SL_ENOTFOUND, "%s", b.s ? b.s : "no component");
    /* a message longer than err->msg ends visibly cut, not silently */
    if (err && b.len >= sizeof err->msg)
        memcpy(err->msg + sizeof err->msg - 5, "...", 4);
    free(b.s);
    return rc;
}
