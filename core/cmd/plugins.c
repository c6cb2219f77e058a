/*
 * core/cmd_plugins.c — `spikelab plugins`: what the loader found, where, and
 * what it refused and why. The first thing to run when an experiment says
 * a component is missing.
 *
 * Text mode: the list on stdout, refusals and shadowed files on stderr (so a
 * script piping the list sees only plugins). JSON mode: one object on
 * stdout holding everything, refusals included.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/json.h"
#include "engine/registry.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: spikelab plugins [--json] [--plugin-path DIR[:DIR...]]\n"
            "\n"
            "List the plugins spikelab loads, their components and ABI\n"
            "versions, and every plugin file it refused, with the reason.\n"
            "\n"
            "  --json               print one JSON object instead of text\n"
            "  --plugin-path LIST   search these directories first (may be\n"
            "                       repeated; ':' separates directories)\n"
            "  -h, --help           show this help\n"
            "\n"
            "Search order: --plugin-path, then $SPIKELAB_PLUGIN_PATH, then\n"
            "the installed directory %s\n"
            "(or $SPIKELAB_PLUGIN_SYSTEM_PATH instead, when set).\n"
            "A plugin whose name was already loaded from an earlier place is\n"
            "skipped (shadowed).\n",
            sl__registry_plugindir());
}

static const char *shown(const sl__plugin *p)
{
    return p->path ? p->path : "(built in)";
}

/* Component c of a descriptor the registry checked, strided by the
 * plugin's own sizeof(sl_component) (see registry.c). */
static const sl_component *component(const sl_plugin_desc *d, size_t c)
{
    size_t stride = d->components[0].struct_size;
    return (const sl_component *)((const char *)d->components + c * stride);
}

static void print_text(const sl__registry *reg)
{
    for (size_t i = 0; i < sl__registry_n_plugins(reg); i++) {
        const sl__plugin *p = sl__registry_plugin(reg, i);
        const sl_plugin_desc *d = p->desc;
        printf("%s %s (ABI %u.%u)  %s\n", d->name, d->version,
               (unsigned)d->abi_major, (unsigned)d->abi_minor, shown(p));
        if (d->description)
            printf("    %s\n", d->description);
        for (size_t c = 0; c < d->n_components; c++) {
            const sl_component *comp = component(d, c);
            printf("    %-9s %-20s %s\n",
                   sl__kind_name((sl_kind)comp->kind), comp->name,
                   comp->description ? comp->description : "");
        }
    }
    /* the list first, then the notes, also when both go to one terminal */
    fflush(stdout);
    for (size_t i = 0; i < sl__registry_n_shadowed(reg); i++) {
        const char *by;
        const char *file = sl__registry_shadowed(reg, i, &by);
        fprintf(stderr, "spikelab: note: %s: shadowed by %s\n", file, by);
    }
    for (size_t i = 0; i < sl__registry_n_refused(reg); i++) {
        const char *why;
        const char *file = sl__registry_refused(reg, i, &why);
        fprintf(stderr, "spikelab: refused %s: %s\n", file, why);
    }
}

static int print_json(const sl__registry *reg)
{
    sl__json w;
    char abi[32];
    sl__json_init(&w, stdout, 2);
    sl__json_object_begin(&w);
    snprintf(abi, sizeof abi, "%d.%d", SL_ABI_MAJOR, SL_ABI_MINOR);
    sl__json_key(&w, "abi");
    sl__json_string(&w, abi);
    sl__json_key(&w, "plugins");
    sl__json_array_begin(&w);
    for (size_t i = 0; i < sl__registry_n_plugins(reg); i++) {
        const sl__plugin *p = sl__registry_plugin(reg, i);
        const sl_plugin_desc *d = p->desc;
        sl__json_object_begin(&w);
        sl__json_key(&w, "file");
        sl__json_string(&w, shown(p));
        sl__json_key(&w, "builtin");
        sl__json_bool(&w, p->path == NULL);
        sl__json_key(&w, "name");
        sl__json_string(&w, d->name);
        sl__json_key(&w, "version");
        sl__json_string(&w, d->version);
        snprintf(abi, sizeof abi, "%u.%u", (unsigned)d->abi_major,
                 (unsigned)d->abi_minor);
        sl__json_key(&w, "abi");
        sl__json_string(&w, abi);
        sl__json_key(&w, "description");
        sl__json_string(&w, d->description);
        sl__json_key(&w, "components");
        sl__json_array_begin(&w);
        for (size_t c = 0; c < d->n_components; c++) {
            const sl_component *comp = component(d, c);
            sl__json_object_begin(&w);
            sl__json_key(&w, "kind");
            sl__json_string(&w, sl__kind_name((sl_kind)comp->kind));
            sl__json_key(&w, "name");
            sl__json_string(&w, comp->name);
            sl__json_key(&w, "description");
            sl__json_string(&w, comp->description);
            sl__json_object_end(&w);
        }
        sl__json_array_end(&w);
        sl__json_object_end(&w);
    }
    sl__json_array_end(&w);
    sl__json_key(&w, "refused");
    sl__json_array_begin(&w);
    for (size_t i = 0; i < sl__registry_n_refused(reg); i++) {
        const char *why;
        const char *file = sl__registry_refused(reg, i, &why);
        sl__json_object_begin(&w);
        sl__json_key(&w, "file");
        sl__json_string(&w, file);
        sl__json_key(&w, "reason");
        sl__json_string(&w, why);
        sl__json_object_end(&w);
    }
    sl__json_array_end(&w);
    sl__json_key(&w, "shadowed");
    sl__json_array_begin(&w);
    for (size_t i = 0; i < sl__registry_n_shadowed(reg); i++) {
        const char *by;
        const char *file = sl__registry_shadowed(reg, i, &by);
        sl__json_object_begin(&w);
        sl__json_key(&w, "file");
        sl__json_string(&w, file);
        sl__json_key(&w, "by");
        sl__json_string(&w, by);
        sl__json_object_end(&w);
    }
    sl__json_array_end(&w);
    sl__json_key(&w, "searched");
    sl__json_array_begin(&w);
    for (size_t i = 0; i < sl__registry_n_searched(reg); i++)
        sl__json_string(&w, sl__registry_searched(reg, i));
    sl__json_array_end(&w);
    sl__json_object_end(&w);
    return sl__json_finish(&w);
}

int sl__cmd_plugins(int argc, char **argv)
{
    int json = 0;
    /* at most argc - 1 --plugin-path values */
    const char **extra = calloc(argc > 1 ? (size_t)argc : 1, sizeof *extra);
    size_t n_extra = 0;
    if (!extra) {
        fputs("spikelab plugins: out of memory\n", stderr);
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            usage(stdout);
            free(extra);
            return 0;
        } else if (strcmp(a, "--plugin-path") == 0) {
            if (i + 1 >= argc) {
                fputs("spikelab plugins: --plugin-path needs a directory\n",
                      stderr);
                usage(stderr);
                free(extra);
                return 2;
            }
            extra[n_extra++] = argv[++i];
        } else if (strncmp(a, "--plugin-path=", 14) == 0) {
            extra[n_extra++] = a + 14;
        } else {
            fprintf(stderr, "spikelab plugins: unknown argument '%s'\n", a);
            usage(stderr);
            free(extra);
            return 2;
        }
    }
    sl__registry *reg = sl__registry_new();
    if (!reg) {
        fputs("spikelab plugins: out of memory\n", stderr);
        free(extra);
        return 1;
    }
    sl__registry_load_default(reg, extra, n_extra);
    int bad = 0;
    if (json)
        bad = print_json(reg) != 0;
    else
        print_text(reg);
    sl__registry_free(reg);
    free(extra);
    if (fflush(stdout) != 0 || ferror(stdout) || bad) {
        fputs("spikelab plugins: error writing output\n", stderr);
        return 1;
    }
    return 0;
}
