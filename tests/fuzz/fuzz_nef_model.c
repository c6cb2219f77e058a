/*
 * tests/fuzz/fuzz_nef_model.c — an NEF model group (plugins/nef) from an
 * experiment file: the plugin's reading and checking of ensembles,
 * nodes, connections (names, slices, .neurons, .learning_rule,
 * transforms, functions), probes, PES and Lua sources, through the
 * host's getters checked against its settings table, as a run reads it;
 * then, for a model small enough, the build (seeds, ensembles, decoders,
 * node tables with Lua run at every step) and 50 steps with the probes
 * and the results function. The plugin is compiled in (it exports only
 * its entry).
 *
 * The input is an experiment file with a `model = { ... };` group.
 * Invariants: a refused model says why (a message), an accepted one
 * builds or is refused with a message, and every probe value of a run
 * that succeeded is finite.
 */
#include <libconfig.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "config/config.h"
#include "engine/host.h"
#include "engine/registry.h"
#include "engine/settings.h"

#include "../../plugins/nef/plugin.c"

#define STEPS 50

static int emit(void *u, const char *name, double v)
{
    (void)u;
    (void)name;
    (void)v;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    sl__config *cfg = NULL;
    sl__err err;
    sl__err_clear(&err);
    if (sl__config_load_string(text, "fuzz.cfg", &cfg, &err) != SL_OK) {
        free(text);
        return 0;
    }
    sl__setting *g = sl__config_find(cfg, NULL, "model");
    if (!g || config_setting_type(g) != CONFIG_TYPE_GROUP) {
        sl__config_free(cfg);
        free(text);
        return 0;
    }
    sl__entry entry = {&nef_components[0], NULL, nef_settings,
                       sizeof nef_settings / sizeof nef_settings[0]};
    sl_ctx ctx;
    sl__ctx_init(&ctx, cfg, g, 0, "model");
    void *self = NULL;
    int rc = sl__declare_component(cfg, g, SL__SEC_MODEL, &entry);
    if (!rc)
        rc = nef_create(&sl__host, &ctx, &self);
    FUZZ_CHECK(rc == SL_OK || rc == SL_ENOMEM || ctx.err.msg[0],
               "model refused (%d) without a message", rc);
    if (!rc) {
        nef_self *s = self;
        /* bounded work only: small ensembles, short white signals, a
         * modest Lua budget */
        size_t neurons = 0, evals = 0;
        int small = 1;
        for (size_t i = 0; i < s->m.n_ens; i++) {
            neurons += s->m.ens[i].n * s->m.ens[i].d;
            size_t ne = s->m.ens[i].n_eval
                            ? (size_t)s->m.ens[i].n_eval
                            : nef_default_n_eval(s->m.ens[i].n, s->m.ens[i].d);
            evals += ne * s->m.ens[i].n;
        }
        for (size_t i = 0; i < s->m.n_nodes; i++)
            if (s->m.nodes[i].kind == NEF_NODE_WHITE &&
                s->m.nodes[i].period * s->m.nodes[i].high > 200)
                small = 0;
        int64_t budget = 0;
        sl__host.xGetInt(&ctx, "lua_budget", 1000000, &budget);
        if (neurons <= 600 && evals <= 400000 && small && budget <= 1000000) {
            int brc = sim_build(self, 1e-3, STEPS, 0);
            FUZZ_CHECK(brc == SL_OK || brc == SL_ENOMEM || ctx.err.msg[0],
                       "build failed (%d) without a message", brc);
            if (brc == SL_OK) {
                size_t np = sim_probe_count(self);
                double **out = calloc(np + 1, sizeof *out);
                int ok = out != NULL;
                for (size_t p = 0; ok && p < np; p++) {
                    sl_probe_info pi = {sizeof pi, NULL, 0};
                    FUZZ_CHECK(sim_probe(self, p, &pi) == SL_OK && pi.dims,
                               "probe %zu has no size", p);
                    ok = (out[p] = calloc(STEPS * pi.dims, sizeof(double))) != NULL;
                }
                if (ok && sim_run(self, STEPS, out) == SL_OK)
                    (void)sim_results(self, (const double *const *)out, STEPS,
                                      emit, NULL);
                for (size_t p = 0; out && p < np; p++)
                    free(out[p]);
                free(out);
            }
        }
        nef_destroy(self);
    }
    sl__ctx_fini(&ctx);
    sl__config_free(cfg);
    free(text);
    return 0;
}
