/*
 * core/cmd/plugins.c — `spikelab plugins`: what the loader found, where, and
 * what it refused and why. The first thing to run when an experiment says
 * a component is missing.
 *
 * Text mode: the list on stdout, refusals and shadowed files on stderr (so a
 * script piping the list sees only plugins). JSON mode: one object on
 * stdout holding everything, refusals included.
 *
 * `plugins NAME` (a plugin or a component): the settings table of each of
 * its components (text or --json). `plugins --markdown`: the reference of
 * every component's settings and of the core's own sections, as checked
 * in at docs/settings.md (no paths or versions in it, so it only changes
 * when a table does).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cmd.h"
#include "cmd/json.h"
#include "engine/engine.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: spikelab plugins [--json] [--plugin-path DIR[:DIR...]]\n"
            "       spikelab plugins NAME [--json] [--plugin-path ...]\n"
            "       spikelab plugins --markdown [--plugin-path ...]\n"
            "\n"
            "List the plugins spikelab loads, their components and ABI\n"
            "versions, and every plugin file it refused, with the reason.\n"
            "With NAME (a plugin or a component, e.g. lif): the settings of\n"
            "each of its components: name, type, default, allowed values,\n"
            "unit and what it does.\n"
            "\n"
            "  --json               print one JSON object instead of text\n"
            "  --markdown           print the settings reference of every\n"
            "                       component and of the experiment file's\n"
            "                       own sections (docs/settings.md)\n"
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

/* "key": [{"file": F, "<what>": W}, ...] of a registry list whose entry
 * i is get(reg, i, &W) = F (refused files with their reason, shadowed
 * files with the path that won). */
static void json_files(sl__json *w, const char *key, const char *what,
                       const sl__registry *reg, size_t n,
                       const char *(*get)(const sl__registry *, size_t,
                                          const char **))
{
    sl__json_key(w, key);
    sl__json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        const char *val;
        const char *file = get(reg, i, &val);
        sl__json_object_begin(w);
        sl__json_key(w, "file");
        sl__json_string(w, file);
        sl__json_key(w, what);
        sl__json_string(w, val);
        sl__json_object_end(w);
    }
    sl__json_array_end(w);
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
    json_files(&w, "refused", "reason", reg, sl__registry_n_refused(reg),
               sl__registry_refused);
    json_files(&w, "shadowed", "by", reg, sl__registry_n_shadowed(reg),
               sl__registry_shadowed);
    sl__json_key(&w, "searched");
    sl__json_array_begin(&w);
    for (size_t i = 0; i < sl__registry_n_searched(reg); i++)
        sl__json_string(&w, sl__registry_searched(reg, i));
    sl__json_array_end(&w);
    sl__json_object_end(&w);
    return sl__json_finish(&w);
}


/* ---- settings tables ------------------------------------------------ */

/* What a setting's default column says: its default, "required", or "-"
 * (derived from other settings; the doc says how). */
static const char *def_text(const sl_setting *st)
{
    if (st->def)
        return st->def;
    return st->flags & SL_SET_REQUIRED ? "required" : "-";
}

static size_t n_entries(const sl_setting *t, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += sl__decl_at(t, i)->name != NULL;
    return k;
}

static void table_text(const sl_setting *t, size_t n, const char *indent)
{
    if (!t) {
        printf("%sno settings table: the keys it reads are its settings\n",
               indent);
        return;
    }
    if (n_entries(t, n) == 0) {
        printf("%sno settings\n", indent);
        return;
    }
    printf("%s%-20s %-9s %-24s %-22s %-5s %s\n", indent, "NAME", "TYPE",
           "DEFAULT", "ALLOWED", "UNIT", "DESCRIPTION");
    for (size_t i = 0; i < n; i++) {
        const sl_setting *st = sl__decl_at(t, i);
        char range[256];
        if (!st->name)
            continue;
        printf("%s%-20s %-9s %-24s %-22s %-5s %s\n", indent, st->name,
               sl__setting_type_name(st->type), def_text(st),
               sl__setting_range_text(st, range, sizeof range),
               st->unit ? st->unit : "", st->doc ? st->doc : "");
    }
}

static void table_json(sl__json *w, const sl_setting *t, size_t n)
{
    if (!t) {
        sl__json_null(w);
        return;
    }
    sl__json_array_begin(w);
    for (size_t i = 0; i < n; i++) {
        const sl_setting *st = sl__decl_at(t, i);
        if (!st->name)
            continue;
        sl__json_object_begin(w);
        sl__json_key(w, "name");
        sl__json_string(w, st->name);
        sl__json_key(w, "type");
        sl__json_string(w, sl__setting_type_name(st->type));
        sl__json_key(w, "default");
        sl__json_string(w, st->def);
        sl__json_key(w, "required");
        sl__json_bool(w, (st->flags & SL_SET_REQUIRED) != 0);
        sl__json_key(w, "min");
        if (st->flags & SL_SET_MIN)
            sl__json_number(w, st->min);
        else
            sl__json_null(w);
        sl__json_key(w, "min_exclusive");
        sl__json_bool(w, (st->flags & SL_SET_MIN_OPEN) != 0);
        sl__json_key(w, "max");
        if (st->flags & SL_SET_MAX)
            sl__json_number(w, st->max);
        else
            sl__json_null(w);
        sl__json_key(w, "max_exclusive");
        sl__json_bool(w, (st->flags & SL_SET_MAX_OPEN) != 0);
        sl__json_key(w, "choices");
        if (st->choices) {
            sl__json_array_begin(w);
            for (const char *c = st->choices; c;) {
                const char *bar = strchr(c, '|');
                sl__json_string_n(w, c, bar ? (size_t)(bar - c) : strlen(c));
                c = bar ? bar + 1 : NULL;
            }
            sl__json_array_end(w);
        } else {
            sl__json_null(w);
        }
        sl__json_key(w, "unit");
        sl__json_string(w, st->unit);
        sl__json_key(w, "doc");
        sl__json_string(w, st->doc);
        sl__json_object_end(w);
    }
    sl__json_array_end(w);
}

/* The core section whose keys join a component of this kind. */
static const sl__section *section_of(sl_kind kind)
{
    switch (kind) {
    case SL_KIND_NEURON: return &sl__sections[SL__SEC_LAYER];
    case SL_KIND_DATASET: return &sl__sections[SL__SEC_DATASET];
    case SL_KIND_LOSS: return &sl__sections[SL__SEC_LOSS];
    case SL_KIND_OPTIMIZER: return &sl__sections[SL__SEC_OPTIMIZER];
    case SL_KIND_BACKEND: return &sl__sections[SL__SEC_BACKEND];
    default: return NULL;
    }
}

/* `plugins NAME`: every component of plugin NAME, or component NAME. */
static int print_settings(const sl__registry *reg, const char *name, int json)
{
    sl__json w;
    size_t found = 0;
    if (json) {
        sl__json_init(&w, stdout, 2);
        sl__json_object_begin(&w);
        sl__json_key(&w, "components");
        sl__json_array_begin(&w);
    }
    for (size_t i = 0; i < sl__registry_n_plugins(reg); i++) {
        const sl__plugin *p = sl__registry_plugin(reg, i);
        const sl_plugin_desc *d = p->desc;
        int whole = strcmp(d->name, name) == 0;
        for (size_t c = 0; c < d->n_components; c++) {
            const sl_component *comp = component(d, c);
            if (!whole && strcmp(comp->name, name) != 0)
                continue;
            const sl__entry *e = sl__registry_find(reg, (sl_kind)comp->kind,
                                                   comp->name);
            if (!e)
                continue;
            found++;
            const sl__section *sec = section_of((sl_kind)comp->kind);
            if (json) {
                sl__json_object_begin(&w);
                sl__json_key(&w, "plugin");
                sl__json_string(&w, d->name);
                sl__json_key(&w, "file");
                sl__json_string(&w, shown(p));
                sl__json_key(&w, "kind");
                sl__json_string(&w, sl__kind_name((sl_kind)comp->kind));
                sl__json_key(&w, "name");
                sl__json_string(&w, comp->name);
                sl__json_key(&w, "description");
                sl__json_string(&w, comp->description);
                sl__json_key(&w, "settings");
                table_json(&w, e->settings, e->n_settings);
                sl__json_key(&w, "common");
                table_json(&w, sec ? sec->table : NULL, sec ? sec->n : 0);
                sl__json_object_end(&w);
                continue;
            }
            printf("%s%s (%s) from plugin %s, %s\n", found > 1 ? "\n" : "",
                   comp->name, sl__kind_name((sl_kind)comp->kind), d->name,
                   shown(p));
            if (comp->description)
                printf("  %s\n", comp->description);
            table_text(e->settings, e->n_settings, "  ");
            if (sec) {
                printf("  the core also reads here:");
                for (size_t k = 0; k < sec->n; k++)
                    printf("%s %s", k ? "," : "", sec->table[k].name);
                printf(" (`spikelab plugins --markdown`)\n");
            }
        }
    }
    if (json) {
        sl__json_array_end(&w);
        sl__json_object_end(&w);
        if (sl__json_finish(&w))
            return 1;
    }
    if (found == 0) {
        fprintf(stderr, "spikelab plugins: no plugin or component named "
                        "'%s' (`spikelab plugins` lists them)\n", name);
        return 2;
    }
    return 0;
}

/* A markdown table cell: '|' escaped, "" as a dash. */
static void md_cell(const char *s)
{
    fputs("| ", stdout);
    if (!s || !*s)
        fputs("-", stdout);
    for (; s && *s; s++) {
        if (*s == '|')
            fputc('\\', stdout);
        fputc(*s, stdout);
    }
    fputc(' ', stdout);
}

static void table_md(const sl_setting *t, size_t n)
{
    if (!t) {
        puts("No settings table: the keys it reads are its settings.\n");
        return;
    }
    if (n_entries(t, n) == 0) {
        puts("No settings.\n");
        return;
    }
    puts("| setting | type | default | allowed | unit | description |");
    puts("|---|---|---|---|---|---|");
    for (size_t i = 0; i < n; i++) {
        const sl_setting *st = sl__decl_at(t, i);
        char range[256], name[200];
        if (!st->name)
            continue;
        snprintf(name, sizeof name, "`%s`", st->name);
        md_cell(name);
        md_cell(sl__setting_type_name(st->type));
        md_cell(def_text(st));
        md_cell(sl__setting_range_text(st, range, sizeof range));
        md_cell(st->unit);
        md_cell(st->doc);
        puts("|");
    }
    putchar('\n');
}

static int by_plugin_name(const void *a, const void *b)
{
    const sl__plugin *pa = *(const sl__plugin *const *)a;
    const sl__plugin *pb = *(const sl__plugin *const *)b;
    return strcmp(pa->desc->name, pb->desc->name);
}

/* The reference: core sections, then plugins by name, their components
 * in their own order. Nothing machine-specific (no paths, no versions). */
static int print_markdown(const sl__registry *reg)
{
    puts("# Settings reference\n");
    puts("Generated by `spikelab plugins --markdown` from the settings "
         "tables the core and");
    puts("every plugin declare (include/spikelab/plugin.h); do not edit. "
         "Regenerate with");
    puts("`make settings-doc` after changing a table (`make check` fails "
         "while this file");
    puts("differs from the tables).\n");
    puts("Default `required`: the setting must be given; `-`: derived "
         "from other settings");
    puts("(the description says how). Unit `1`: a dimensionless "
         "quantity. A component's");
    puts("settings sit in its own group (`network.layers.N`, `data.NAME`, "
         "`loss`,");
    puts("`optimizer`, `backend`, `export`) next to the keys the core "
         "reads there.\n");
    puts("## The experiment file\n");
    for (int i = 0; i < SL__SEC_COUNT; i++) {
        const sl__section *sec = &sl__sections[i];
        printf("### `%s`: %s\n\n", sec->path[0] ? sec->path : "(top level)",
               sec->title);
        table_md(sec->table, sec->n);
    }
    size_t np = sl__registry_n_plugins(reg);
    const sl__plugin **ps = calloc(np ? np : 1, sizeof *ps);
    if (!ps)
        return 1;
    for (size_t i = 0; i < np; i++)
        ps[i] = sl__registry_plugin(reg, i);
    qsort(ps, np, sizeof *ps, by_plugin_name);
    puts("## Components\n");
    for (size_t i = 0; i < np; i++) {
        const sl_plugin_desc *d = ps[i]->desc;
        for (size_t c = 0; c < d->n_components; c++) {
            const sl_component *comp = component(d, c);
            const sl__entry *e = sl__registry_find(reg, (sl_kind)comp->kind,
                                                   comp->name);
            if (!e)
                continue;
            printf("### `%s` (%s, plugin %s)\n\n", comp->name,
                   sl__kind_name((sl_kind)comp->kind), d->name);
            if (comp->description)
                printf("%s\n\n", comp->description);
            table_md(e->settings, e->n_settings);
        }
    }
    free(ps);
    return 0;
}

int sl__cmd_plugins(int argc, char **argv)
{
    int json = 0, markdown = 0;
    const char *name = NULL;
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
        } else if (strcmp(a, "--markdown") == 0) {
            markdown = 1;
        } else if (a[0] != '-' && !name) {
            name = a;
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
    int bad = 0, rc = 0;
    if (markdown && (json || name)) {
        fputs("spikelab plugins: --markdown takes no NAME and no --json\n",
              stderr);
        rc = 2;
    } else if (markdown) {
        bad = print_markdown(reg) != 0;
    } else if (name) {
        rc = print_settings(reg, name, json);
        bad = rc == 1;
    } else if (json) {
        bad = print_json(reg) != 0;
    } else {
        print_text(reg);
    }
    sl__registry_free(reg);
    free(extra);
    if (fflush(stdout) != 0 || ferror(stdout) || bad) {
        fputs("spikelab plugins: error writing output\n", stderr);
        return 1;
    }
    return rc;
}
