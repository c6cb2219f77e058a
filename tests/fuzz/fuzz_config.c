/*
 * tests/fuzz/fuzz_config.c — experiment files and command-line overrides
 * through the configuration layer (core/config/): libconfig's parser, the
 * scan for integers beyond 32 bits (with @include), overrides, the typed
 * getters checked against the core's settings tables, the unknown-key
 * check, flattening and the effective configuration a run stores.
 * No plugin is loaded and nothing runs: components would generate data
 * and train, which is not a decoder and not bounded in time.
 *
 * The input is an experiment file, optionally followed by a line "%%"
 * and then one override ("a.b=value") per line:
 *     train = { epochs = 3; };
 *     %%
 *     train.epochs=5
 * The file is written to a private directory and loaded by path, as
 * `spikelab run FILE` does, so relative @includes resolve there; beside
 * it lies "included.cfg" (below), for the @include paths of the loader
 * and the integer scan to have something to read. The
 * overrides are applied in order until one is refused, as the experiment
 * loader does. Invariant: the effective configuration (sl__config_dump,
 * what `rerun` runs again) of any accepted file loads again and flattens
 * to the same keys, types and values (except for infinite floats, which
 * no run can store: has_nonfinite).
 */
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "config/config.h"
#include "config/flatten.h"
#include "engine/settings.h"

#define MAX_OVERRIDES 16

/* what `@include "included.cfg"` finds: a group, a list of groups and a
 * 64-bit integer written correctly */
static const char included[] =
    "data = { train = { type = \"frozen_noise\"; n_samples = 2;\n"
    "                   seed = 3000000000L; }; };\n"
    "evaluate = ( { data = \"train\"; metric = \"frr\"; } );\n";

/* Read every entry of section id's table below group, with the getter of
 * its type and its documented default, as the engine reads them. */
static void read_section(sl__config *cfg, sl__setting *group,
                         sl__section_id id)
{
    if (sl__declare_section(cfg, group, id) != SL_OK)
        return;
    const sl__section *sec = &sl__sections[id];
    for (size_t i = 0; i < sec->n; i++) {
        const sl_setting *s = sl__decl_at(sec->table, i);
        if (s->name == NULL)
            continue;
        double def = 0;
        sl__setting_def_number(s, &def);
        sl__err err;
        int64_t iv;
        double dv;
        int bv;
        const char *sv;
        float fv[3];
        switch (s->type) {
        case SL_SET_INT:
            sl__cfg_int(cfg, group, s->name, (int64_t)def, &iv, &err);
            break;
        case SL_SET_FLOAT:
            sl__cfg_float(cfg, group, s->name, def, &dv, &err);
            break;
        case SL_SET_BOOL:
            sl__cfg_bool(cfg, group, s->name, def != 0, &bv, &err);
            break;
        case SL_SET_STRING:
            sl__cfg_string(cfg, group, s->name, s->def, &sv, &err);
            break;
        case SL_SET_FLOATS:
            sl__cfg_floatvec(cfg, group, s->name, def, fv, 3, &err);
            break;
        default: /* lists and groups: their readers check the elements */
            break;
        }
    }
}

/* The same for each element of the list at path (layers, evaluations). */
static void read_list(sl__config *cfg, const char *path, sl__section_id id)
{
    sl__setting *list = sl__config_find(cfg, NULL, path);
    int n = list && config_setting_is_aggregate(list)
                ? config_setting_length(list) : 0;
    for (int i = 0; i < n && i < 64; i++) {
        sl__setting *e = config_setting_get_elem(list, (unsigned)i);
        if (e && config_setting_is_group(e))
            read_section(cfg, e, id);
    }
}

/* 1 when a float setting is infinite or NaN (1e999 reads as inf). The
 * getters refuse such a value wherever it is read, and one nobody reads
 * is an unknown key, so no run ever stores one, and its dump ("inf")
 * need not load again. */
static int has_nonfinite(sl__config *cfg)
{
    sl__kv *kv = NULL;
    size_t n = 0;
    sl__err err;
    int found = 0;
    if (sl__config_flatten(cfg, &kv, &n, &err) != SL_OK)
        return 1;
    for (size_t i = 0; i < n && !found; i++)
        found = kv[i].has_num && !isfinite(kv[i].num);
    sl__kv_free(kv, n);
    return found;
}

static void check_effective(sl__config *cfg)
{
    if (has_nonfinite(cfg))
        return;
    char *dump = sl__config_dump(cfg);
    if (dump == NULL)
        return;
    sl__config *again = NULL;
    sl__err err;
    int rc = sl__config_load_string(dump, "effective", &again, &err);
    FUZZ_CHECK(rc == SL_OK || rc == SL_ENOMEM,
               "the effective configuration does not load again: %s\n%s",
               err.msg, dump);
    sl__kv *a = NULL, *b = NULL;
    size_t na = 0, nb = 0;
    if (again && sl__config_flatten(cfg, &a, &na, &err) == SL_OK &&
        sl__config_flatten(again, &b, &nb, &err) == SL_OK) {
        FUZZ_CHECK(na == nb, "%zu settings, %zu after dump and load", na,
                   nb);
        for (size_t i = 0; i < na; i++)
            FUZZ_CHECK(strcmp(a[i].key, b[i].key) == 0 &&
                           strcmp(a[i].type, b[i].type) == 0 &&
                           strcmp(a[i].text, b[i].text) == 0,
                       "%s = %s (%s) becomes %s = %s (%s) after dump and "
                       "load", a[i].key, a[i].text, a[i].type, b[i].key,
                       b[i].text, b[i].type);
    }
    sl__kv_free(a, na);
    sl__kv_free(b, nb);
    sl__config_free(again);
    free(dump);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    char *text = malloc(size + 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    size_t text_len = size;
    char *ov = strstr(text, "\n%%\n");
    if (ov) {
        text_len = (size_t)(ov - text) + 1;
        ov[1] = '\0';
        ov += 4;
    }

    static int have_included;
    if (!have_included)
        have_included = fuzz_write_file("included.cfg",
                                        (const uint8_t *)included,
                                        sizeof included - 1) != NULL;
    const char *path = fuzz_write_file("experiment.cfg", data, text_len);
    sl__config *cfg = NULL;
    sl__err err;
    if (path == NULL || sl__config_load(path, &cfg, &err) != SL_OK) {
        FUZZ_CHECK(path == NULL || err.msg[0], "refused without a message");
        free(text);
        return 0;
    }
    /* the same text from memory (a stored run's, sl_experiment_load_string)
     * unless it includes files: from memory those resolve against the
     * working directory, which is not the harness's to read */
    if (strstr(text, "@include") == NULL) {
        sl__config *mem = NULL;
        sl__config_load_string(text, "memory", &mem, &err);
        sl__config_free(mem);
    }

    for (int i = 0; ov && *ov && i < MAX_OVERRIDES; i++) {
        char *nl = strchr(ov, '\n');
        if (nl)
            *nl = '\0';
        if (sl__config_override(cfg, ov, &err) != SL_OK) {
            FUZZ_CHECK(err.msg[0], "override refused without a message");
            break;
        }
        ov = nl ? nl + 1 : NULL;
    }

    read_section(cfg, NULL, SL__SEC_ROOT);
    static const struct {
        const char *path;
        sl__section_id id;
    } sections[] = {{"network", SL__SEC_NETWORK}, {"train", SL__SEC_TRAIN},
                    {"teacher", SL__SEC_TEACHER}, {"export", SL__SEC_EXPORT}};
    for (size_t i = 0; i < sizeof sections / sizeof *sections; i++) {
        sl__setting *g = sl__config_section(cfg, sections[i].path);
        if (g)
            read_section(cfg, g, sections[i].id);
    }
    read_list(cfg, "network.layers", SL__SEC_LAYER);
    read_list(cfg, "evaluate", SL__SEC_EVALUATE);
    size_t nd = 0;
    sl__config_defaults(cfg, &nd);
    if (sl__config_check_unused(cfg, &err) != SL_OK)
        FUZZ_CHECK(err.msg[0], "unknown key refused without a message");

    check_effective(cfg);
    sl__config_free(cfg);
    free(text);
    return 0;
}
