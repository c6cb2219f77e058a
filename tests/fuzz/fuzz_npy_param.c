/*
 * tests/fuzz/fuzz_npy_param.c — the reader of parameter files
 * (core/util/npy_read.c: `params = { weight = "w.npy"; }`), which takes
 * .npy files NumPy wrote anywhere: float32/float64, either byte order,
 * format 1.0 to 3.0.
 *
 * The input is a .npy image. When sl__npy_decode accepts it, every value
 * must be a finite float32, the count must be the shape's product, and
 * the values written again by sl__npy_f32 with that shape must decode to
 * the same bits (reader and writer agree).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "spikelab/abi.h"
#include "util/npy_read.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    unsigned char *b = malloc(size ? size : 1);
    if (!b)
        return 0;
    if (size)
        memcpy(b, data, size);
    sl__npy_array a;
    sl__err err;
    int rc = sl__npy_decode(b, size, "fuzz.npy", &a, &err);
    free(b);
    if (rc != SL_OK) {
        FUZZ_CHECK(a.data == NULL, "a refused image left data behind");
        return 0;
    }
    size_t count = 1;
    for (size_t i = 0; i < a.ndim; i++)
        count *= a.shape[i];
    FUZZ_CHECK(count == a.count, "count %zu, shape says %zu", a.count, count);
    for (size_t i = 0; i < a.count; i++)
        FUZZ_CHECK(isfinite(a.data[i]), "value %zu is not finite", i);
    void *img = NULL;
    size_t isz = 0;
    if (sl__npy_f32(a.data, a.shape, a.ndim, &img, &isz, &err) == SL_OK) {
        sl__npy_array back;
        FUZZ_CHECK(sl__npy_decode(img, isz, "again.npy", &back, &err) ==
                       SL_OK,
                   "the writer's image is refused: %s", err.msg);
        FUZZ_CHECK(back.count == a.count && back.ndim == a.ndim,
                   "shape differs after a round trip");
        FUZZ_CHECK(a.count == 0 ||
                       memcmp(back.data, a.data, a.count * sizeof(float)) == 0,
                   "values differ after a round trip");
        sl__npy_array_free(&back);
        free(img);
    }
    sl__npy_array_free(&a);
    return 0;
}
