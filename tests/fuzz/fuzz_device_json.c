/*
 * tests/fuzz/fuzz_device_json.c — the Dynap-SE2 configuration reader
 * (plugins/dynapse2_export: json.c, config.c), which `export-device` and
 * the exporter's read-back (xRead) run on a file a user gives. The
 * plugin's sources are compiled in, as tests/test_dynapse2_export does.
 *
 * The input is the file. It goes through the JSON parser alone, then
 * through d2_config_read as xRead does it (a path; the host table and a
 * context without settings), and when that accepts it: the chip limits
 * (d2_place_check), the quantised network written into network views of
 * the file's sizes, one with one input channel per neuron and one with
 * typed input (4 per neuron: the dendrite model's input_synapses =
 * "typed"; d2_place_write, fitted bias model), and the file
 * written again (d2_config_write) must read back to the same placement —
 * config.c promises that a written configuration reads back bit for bit.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine/host.h"
#include "../../plugins/dynapse2_export/d2.h"
#include "../../plugins/dynapse2_export/json.h"

/* linear (n_in → per·n) → dynapsim (n), as the exporter requires (per 4:
 * typed input); the dynapsim layer has its w_rec when the file has
 * recurrent synapses, the currents of the dendrite model and its
 * latches */
typedef struct view {
    float *w_in, *w_rec, *cur, *lat;
    sl_param lp[1], dp[1 + D2_NCUR + 3];
    sl_layer_view lv[2];
    sl_network_view v;
} view;

static int view_init(view *t, size_t n_in, size_t n, int rec, size_t per)
{
    memset(t, 0, sizeof *t);
    t->w_in = calloc(n_in * per * n + 1, sizeof(float));
    t->w_rec = rec ? calloc(n * n + 1, sizeof(float)) : NULL;
    t->cur = calloc(D2_NCUR * n + 1, sizeof(float));
    t->lat = calloc(3 * n + 1, sizeof(float));
    if (!t->w_in || (rec && !t->w_rec) || !t->cur || !t->lat)
        return -1;
    t->lp[0] = (sl_param){sizeof(sl_param),
                          SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT, "weight",
                          t->w_in, NULL, n_in * per * n, 2,
                          {n_in, per * n}};
    size_t np = 0;
    if (rec)
        t->dp[np++] = (sl_param){sizeof(sl_param),
                                 SL_PARAM_TRAINABLE | SL_PARAM_WEIGHT,
                                 "w_rec", t->w_rec, NULL, n * n, 2, {n, n}};
    for (int k = 0; k < D2_NCUR; k++)
        t->dp[np++] = (sl_param){sizeof(sl_param), 0, d2_cur_names[k],
                                 t->cur + (size_t)k * n, NULL, n, 1, {n, 0}};
    static const char *const lk[3] = {"ahp_en", "nmda_en", "dc_en"};
    for (int k = 0; k < 3; k++)
        t->dp[np++] = (sl_param){sizeof(sl_param), 0, lk[k],
                                 t->lat + (size_t)k * n, NULL, n, 1, {n, 0}};
    t->lv[0] = (sl_layer_view){sizeof(sl_layer_view), "linear", n_in,
                               per * n, NULL, 1, t->lp};
    t->lv[1] = (sl_layer_view){sizeof(sl_layer_view), "dynapsim", per * n, n,
                               NULL, np, t->dp};
    t->v = (sl_network_view){sizeof(sl_network_view), 1e-3, 2, t->lv};
    return 0;
}

static void view_free(view *t)
{
    free(t->w_in);
    free(t->w_rec);
    free(t->cur);
    free(t->lat);
}

#define SAME(field, count)                                                    \
    FUZZ_CHECK(memcmp(a->field, b->field, (count) * sizeof *a->field) == 0,  \
               "%s differs after write and read", #field)

static void same_place(const d2_place *a, const d2_place *b)
{
    FUZZ_CHECK(a->n_in == b->n_in && a->n == b->n, "sizes differ");
    FUZZ_CHECK(memcmp(&a->iscale, &b->iscale, sizeof a->iscale) == 0 &&
                   memcmp(&a->dt, &b->dt, sizeof a->dt) == 0,
               "Iscale or dt differ after write and read");
    FUZZ_CHECK(a->has_rec == b->has_rec || a->n == 0,
               "recurrence differs after write and read");
    size_t n = a->n, n_in = a->n_in;
    SAME(chip, n);
    SAME(core, n);
    SAME(slot, n);
    SAME(latch_dc, n);
    SAME(latch_ahp, n); /* dendrite model (dynapse2_synapses.md §5) */
    SAME(latch_nmda, n);
    SAME(mask_in, n_in * n * D2_SLOTS); /* per dendrite (typed input) */
    SAME(den_in, n_in * n * D2_SLOTS);
    if (a->has_rec && b->has_rec) {
        SAME(mask_rec, n * n);
        SAME(den_rec, n * n);
    }
    for (size_t c = 0; c < D2_MAX_CORES; c++) {
        FUZZ_CHECK(!a->core_used[c] == !b->core_used[c],
                   "core %zu used in one only", c);
        if (a->core_used[c]) {
            SAME(coarse[c], D2_NBIAS);
            SAME(fine[c], D2_NBIAS);
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    /* the parser on its own */
    d2_json root;
    char err[240];
    if (d2_json_parse((const char *)data, size, &root, err, sizeof err))
        d2_json_free(&root);

    /* the reader as xRead runs it */
    const char *path = fuzz_write_file("device.json", data, size);
    if (path == NULL)
        return 0;
    sl_ctx ctx;
    sl__ctx_init(&ctx, NULL, NULL, 0, "export");
    d2_place p;
    if (d2_config_read(&sl__host, &ctx, path, &p) != SL_OK)
        return 0;
    d2_place_check(&sl__host, &ctx, &p, "the configuration");
    d2_gen gen;
    d2_gen_model(&gen);
    for (size_t per = 1; per <= 4; per += 3) {
        view t;
        if (view_init(&t, p.n_in, p.n, p.has_rec, per) == 0) {
            size_t skipped = 0;
            d2_place_write(&sl__host, &ctx, &gen, &p, &t.v, &skipped);
        }
        view_free(&t);
    }

    /* written again, it reads back the same */
    const char *bpath = fuzz_write_file("back.json", (const uint8_t *)"", 0);
    if (bpath && d2_config_write(&sl__host, &ctx, &p, &gen, bpath) == SL_OK) {
        d2_place q;
        int rc = d2_config_read(&sl__host, &ctx, bpath, &q);
        FUZZ_CHECK(rc == SL_OK, "a configuration written from one read "
                   "does not read back: %s", ctx.err.msg);
        same_place(&p, &q);
        d2_place_free(&sl__host, &q);
    }
    d2_place_free(&sl__host, &p);
    return 0;
}
