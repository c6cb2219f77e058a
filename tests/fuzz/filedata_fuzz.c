/* tests/fuzz/filedata_fuzz.c — see filedata_fuzz.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "engine/host.h"
#include "filedata_fuzz.h"
#include "fuzz.h"

static void read_sample(const sl_dataset_iface *iface, void *self,
                        const sl_dataset_info *in, size_t i, float *x,
                        float *y)
{
    int rc = iface->xGet(self, i, x, y);
    FUZZ_CHECK(rc == SL_OK, "xGet(%zu) of an accepted data set: %d", i, rc);
    for (size_t k = 0; k < in->n_steps * in->n_in; k++)
        FUZZ_CHECK(isfinite(x[k]), "input %zu of sample %zu is %g", k, i,
                   (double)x[k]);
    for (size_t k = 0; k < in->target_steps * in->n_out; k++)
        FUZZ_CHECK(isfinite(y[k]), "target %zu of sample %zu is %g", k, i,
                   (double)y[k]);
}

int fz_dataset(const sl_dataset_iface *iface, const char *text)
{
    sl__config *cfg = NULL;
    sl__err err;
    char *full = malloc(strlen(text) + 16);
    if (!full)
        return 0;
    sprintf(full, "data = { %s };", text);
    int rc = sl__config_load_string(full, "fuzz.cfg", &cfg, &err);
    free(full);
    FUZZ_CHECK(rc == SL_OK, "the harness's settings do not parse: %s",
               err.msg);
    sl_ctx ctx;
    sl__ctx_init(&ctx, cfg, sl__config_find(cfg, NULL, "data"), 1, "data");
    sl_dataset_info in;
    memset(&in, 0, sizeof in);
    in.struct_size = sizeof in;
    void *self = NULL;
    int accepted = 0;
    if (iface->xCreate(&sl__host, &ctx, &self, &in) == SL_OK) {
        accepted = 1;
        FUZZ_CHECK(in.n_samples > 0 && in.n_steps > 0 && in.n_in > 0 &&
                       in.n_out > 0 &&
                       (in.target_steps == 1 ||
                        in.target_steps == in.n_steps),
                   "impossible shape %zu %zu %zu %zu %zu", in.n_samples,
                   in.n_steps, in.n_in, in.n_out, in.target_steps);
        /* the inputs are small: a sample of them cannot be large */
        FUZZ_CHECK(in.n_steps * in.n_in <= ((size_t)1 << 26),
                   "a sample of %zu x %zu", in.n_steps, in.n_in);
        float *x = malloc(in.n_steps * in.n_in * sizeof *x);
        float *y = malloc(in.target_steps * in.n_out * sizeof *y);
        if (x && y) {
            read_sample(iface, self, &in, 0, x, y);
            read_sample(iface, self, &in, in.n_samples / 2, x, y);
            read_sample(iface, self, &in, in.n_samples - 1, x, y);
            FUZZ_CHECK(iface->xGet(self, in.n_samples, x, y) != SL_OK,
                       "xGet past the end accepted");
        }
        free(x);
        free(y);
        iface->xDestroy(self);
    }
    sl__ctx_fini(&ctx);
    sl__config_free(cfg);
    return accepted;
}
