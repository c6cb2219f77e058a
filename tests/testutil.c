/* tests/testutil.c — loading a build-tree plugin for a test. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "engine/settings.h"

sl__registry *sl_test_load_plugin(const char *name, const sl__plugin **plugin)
{
    const char *top = getenv("top_builddir");
    if (!top) {
        fprintf(stderr, "top_builddir is not set (run through make check)\n");
        return NULL;
    }
    char path[4096];
    snprintf(path, sizeof path, "%s/plugins/%s/.libs/%s.so", top, name, name);
    sl__registry *reg = sl__registry_new();
    sl__err err = {0};
    if (!reg || sl__registry_load_file(reg, path, NULL, &err) != SL_OK) {
        fprintf(stderr, "cannot load %s: %s\n", path, err.msg);
        sl__registry_free(reg);
        return NULL;
    }
    const sl__plugin *found = NULL;
    for (size_t i = 0; i < sl__registry_n_plugins(reg); i++) {
        const sl__plugin *p = sl__registry_plugin(reg, i);
        if (p->desc && p->desc->name && strcmp(p->desc->name, name) == 0)
            found = p;
    }
    if (!found) {
        fprintf(stderr, "%s loaded but offers no plugin named %s\n", path,
                name);
        sl__registry_free(reg);
        return NULL;
    }
    if (plugin)
        *plugin = found;
    return reg;
}

void sl_test_declare(sl_ctx *ctx, const sl__entry *e)
{
    static const sl__section_id by_kind[] = {
        [SL_KIND_NEURON] = SL__SEC_LAYER, [SL_KIND_LOSS] = SL__SEC_LOSS,
        [SL_KIND_OPTIMIZER] = SL__SEC_OPTIMIZER,
        [SL_KIND_DATASET] = SL__SEC_DATASET,
        [SL_KIND_BACKEND] = SL__SEC_BACKEND};
    if (!ctx->cfg || !ctx->group || !e || e->comp->kind < SL_KIND_NEURON ||
        e->comp->kind > SL_KIND_BACKEND)
        abort();
    if (sl__declare_component(ctx->cfg, ctx->group, by_kind[e->comp->kind],
                              e) != SL_OK)
        abort();
}
