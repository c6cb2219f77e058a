/*
 * tests/fuzz/fuzz_npy.c — the .npy reader (core/util/npy.c), which
 * export-device runs over the parameter artifacts of a run database.
 *
 * The input is a .npy image. When sl__npy_f32_data accepts it, the payload
 * is copied out as export-device copies it (so ASan sees every byte it
 * claims), and the reader must agree with the writer: the payload written
 * again as a 1-d array by sl__npy_f32 reads back with the same values. The
 * input also drives the writer: its first bytes pick a shape for the
 * values, and that image must read back exactly. The int64 reader
 * (sl__npy_i64_shape: the confusion matrices `spikelab plot` and the UI
 * draw) gets the same input and the same checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "spikelab/abi.h"
#include "util/npy.h"

static void round_trip(const float *v, const size_t *shape, size_t ndim,
                       size_t count)
{
    void *img = NULL;
    size_t size = 0;
    sl__err err;
    if (sl__npy_f32(v, shape, ndim, &img, &size, &err) != SL_OK)
        return; /* out of memory */
    size_t back = 0;
    const float *d = sl__npy_f32_data(img, size, &back);
    size_t shp[SL__NPY_MAX_DIM], nd = 0;
    FUZZ_CHECK(sl__npy_f32_shape(img, size, shp, SL__NPY_MAX_DIM, &nd) ==
                       d && nd == ndim,
               "shape reader refuses sl__npy_f32's image");
    for (size_t i = 0; i < nd && i < ndim; i++)
        FUZZ_CHECK(shp[i] == shape[i], "extent %zu: wrote %zu, read %zu", i,
                   shape[i], shp[i]);
    FUZZ_CHECK(d != NULL, "sl__npy_f32_data refuses sl__npy_f32's image");
    FUZZ_CHECK(back == count, "wrote %zu values, read %zu", count, back);
    FUZZ_CHECK(count == 0 || memcmp(d, v, count * sizeof(float)) == 0,
               "values differ after a round trip");
    FUZZ_CHECK(size % 64 == (count * sizeof(float)) % 64,
               "data does not start at a multiple of 64 bytes");
    free(img);
}

/* The int64 reader on the image b: when it accepts, its payload lies in
 * b, its shape covers exactly the payload, and the values written again
 * by sl__npy_typed read back equal. */
static void check_i64(const unsigned char *b, size_t size)
{
    size_t shp[SL__NPY_MAX_DIM], nd = 0;
    const unsigned char *d = sl__npy_i64_shape(b, size, shp, SL__NPY_MAX_DIM,
                                               &nd);
    if (!d)
        return;
    size_t prod = 1;
    for (size_t i = 0; i < nd; i++)
        prod *= shp[i];
    FUZZ_CHECK(d >= b && d + prod * 8 == b + size,
               "int64 payload of %zu values is not the image's end", prod);
    int64_t *v = malloc(prod ? prod * 8 : 1);
    if (!v)
        return;
    if (prod)
        memcpy(v, d, prod * 8);
    void *img = NULL;
    size_t isz = 0, shp2[SL__NPY_MAX_DIM], nd2 = 0;
    sl__err err;
    if (sl__npy_typed(v, 'i', 8, shp, nd, &img, &isz, &err) == SL_OK) {
        const unsigned char *d2 = sl__npy_i64_shape(img, isz, shp2,
                                                    SL__NPY_MAX_DIM, &nd2);
        FUZZ_CHECK(d2 && nd2 == nd, "int64 reader refuses sl__npy_typed's "
                   "image");
        for (size_t i = 0; d2 && i < nd; i++)
            FUZZ_CHECK(shp2[i] == shp[i], "int64 extent %zu: %zu, read %zu",
                       i, shp[i], shp2[i]);
        FUZZ_CHECK(!d2 || prod == 0 || memcmp(d2, v, prod * 8) == 0,
                   "int64 values differ after a round trip");
        /* a float32 image is never read as int64, nor the reverse */
        size_t nf;
        FUZZ_CHECK(d2 == NULL || sl__npy_f32_data(img, isz, &nf) == NULL,
                   "an int64 image read as float32");
        free(img);
    }
    free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    /* the reader, on the input as a file image; a private copy so that
     * the input's own alignment does not matter */
    unsigned char *b = calloc(size ? size : 1, 1);
    if (b == NULL)
        return 0;
    if (size)
        memcpy(b, data, size);
    size_t count = 0;
    const float *d = sl__npy_f32_data(b, size, &count);
    check_i64(b, size);
    /* the shape reader (spikelab plot, ui) agrees with the payload */
    size_t shp[SL__NPY_MAX_DIM], nd = 0;
    const float *ds = sl__npy_f32_shape(b, size, shp, SL__NPY_MAX_DIM, &nd);
    if (ds) {
        size_t prod = 1;
        for (size_t i = 0; i < nd; i++)
            prod *= shp[i];
        FUZZ_CHECK(ds == d && prod == count,
                   "shape reader: %zu values in the shape, %zu in the data",
                   prod, count);
    }
    if (d) {
        FUZZ_CHECK((const unsigned char *)d >= b &&
                       (const unsigned char *)d + count * sizeof(float) <=
                           b + size,
                   "payload outside the image");
        float *v = malloc(count ? count * sizeof(float) : 1);
        if (v) {
            if (count)
                memcpy(v, d, count * sizeof(float));
            size_t shape[1] = {count};
            round_trip(v, shape, 1, count);
            free(v);
        }
    }
    free(b);

    /* the writer: byte 0 = ndim (0..SL__NPY_MAX_DIM + 1, the last one
     * refused), bytes 1.. = extents 0..3; the rest are the values */
    if (size >= 1) {
        size_t ndim = data[0] % (SL__NPY_MAX_DIM + 2), n = 1, shape[16];
        if (size < 1 + ndim)
            return 0;
        for (size_t i = 0; i < ndim; i++)
            n *= shape[i] = data[1 + i] % 4;
        const uint8_t *rest = data + 1 + ndim;
        size_t avail = (size - 1 - ndim) / sizeof(float);
        if (ndim > SL__NPY_MAX_DIM) {
            void *img = NULL;
            size_t isz = 0;
            sl__err err;
            FUZZ_CHECK(sl__npy_f32(NULL, shape, ndim, &img, &isz, &err) ==
                           SL_EINVAL,
                       "ndim %zu accepted", ndim);
            return 0;
        }
        if (n > avail)
            return 0;
        float *v = malloc(n * sizeof(float) + 1);
        if (v == NULL)
            return 0;
        memcpy(v, rest, n * sizeof(float));
        round_trip(v, shape, ndim, n);
        free(v);
    }
    return 0;
}
