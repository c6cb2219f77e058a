/* core/util/npy.c — float32 arrays as .npy file images (see npy.h). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/abi.h"
#include "util/npy.h"

int sl__npy_f32(const float *data, const size_t *shape, size_t ndim,
                void **out, size_t *size, sl__err *err)
{
    return sl__npy_typed(data, 'f', sizeof(float), shape, ndim, out, size,
                         err);
}

int sl__npy_typed(const void *data, char kind, size_t elsize,
                  const size_t *shape, size_t ndim, void **out, size_t *size,
                  sl__err *err)
{
    *out = NULL;
    *size = 0;
    if (!((kind == 'f' && (elsize == 4 || elsize == 8)) ||
          ((kind == 'i' || kind == 'u') &&
           (elsize == 1 || elsize == 2 || elsize == 4 || elsize == 8))))
        return sl__fail(err, SL_EINVAL, ".npy: no type '%c%zu'", kind,
                        elsize);
    if (ndim > SL__NPY_MAX_DIM || (ndim && !shape))
        return sl__fail(err, SL_EINVAL, ".npy: %zu dimensions (at most %d)",
                        ndim, SL__NPY_MAX_DIM);
    const uint16_t one = 1;
    const int little = *(const unsigned char *)&one == 1;
    char dict[400];
    size_t count = 1;
    int n = snprintf(dict, sizeof dict,
                     "{'descr': '%c%c%zu', 'fortran_order': False, "
                     "'shape': (", elsize == 1 ? '|' : little ? '<' : '>',
                     kind, elsize);
    for (size_t i = 0; i < ndim; i++) {
        if (shape[i] && count > SIZE_MAX / elsize / shape[i])
            return sl__fail(err, SL_EINVAL, ".npy: the array is too large");
        count *= shape[i];
        /* a 1-tuple needs its trailing comma: (5,) */
        n += snprintf(dict + n, sizeof dict - (size_t)n, "%zu%s", shape[i],
                      ndim == 1 ? "," : i + 1 < ndim ? ", " : "");
    }
    n += snprintf(dict + n, sizeof dict - (size_t)n, "), }");
    if (count && !data)
        return sl__fail(err, SL_EINVAL, ".npy: no data");
    /* magic(6) + version(2) + hlen(2) + dict + padding + '\n' ≡ 0 mod 64 */
    size_t pre = 10 + (size_t)n + 1;
    size_t hlen = (size_t)n + 1 + (64 - pre % 64) % 64;
    size_t bytes = count * elsize;
    unsigned char *b = malloc(10 + hlen + bytes);
    if (!b)
        return sl__fail(err, SL_ENOMEM, ".npy: out of memory");
    memcpy(b, "\x93NUMPY\x01\x00", 8);
    b[8] = (unsigned char)(hlen & 0xff);
    b[9] = (unsigned char)(hlen >> 8);
    memcpy(b + 10, dict, (size_t)n);
    memset(b + 10 + n, ' ', hlen - (size_t)n - 1);
    b[10 + hlen - 1] = '\n';
    if (bytes)
        memcpy(b + 10 + hlen, data, bytes);
    *out = b;
    *size = 10 + hlen + bytes;
    return SL_OK;
}

/* The payload of a .npy image of type '<T' / '>T' (this host's byte
 * order; T e.g. "f4", "i8") of elsize bytes per value, in C order: a
 * pointer into b and *count values; NULL when b is not one. */
static const unsigned char *payload(const unsigned char *b, size_t size,
                                    const char *type, size_t elsize,
                                    size_t *count)
{
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return NULL;
    size_t hl, off;
    if (b[6] == 1) {
        hl = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if (b[6] == 2 || b[6] == 3) {
        if (size < 12)
            return NULL;
        hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
             (size_t)b[11] << 24;
        off = 12;
    } else {
        return NULL;
    }
    if (off + hl > size)
        return NULL;
    const uint16_t one = 1;
    char want[16];
    snprintf(want, sizeof want, "'%c%s'",
             *(const unsigned char *)&one == 1 ? '<' : '>', type);
    char hdr[512];
    size_t k = hl < sizeof hdr - 1 ? hl : sizeof hdr - 1;
    memcpy(hdr, b + off, k);
    hdr[k] = '\0';
    if (!strstr(hdr, want) || strstr(hdr, "'fortran_order': True"))
        return NULL;
    size_t bytes = size - off - hl;
    if (bytes % elsize)
        return NULL;
    *count = bytes / elsize;
    return b + off + hl;
}

const float *sl__npy_f32_data(const unsigned char *b, size_t size,
                              size_t *count)
{
    return (const float *)(const void *)payload(b, size, "f4", sizeof(float),
                                                count);
}

/* The extents of the 'shape' tuple of an image whose payload starts at
 * d, when their product is count. */
static int shape_of(const unsigned char *b, const unsigned char *d,
                    size_t count, size_t *shape, size_t maxdim, size_t *ndim)
{
    /* the header is the ASCII text between the length and the payload */
    size_t off = b[6] == 1 ? 10 : 12;
    const char *h = (const char *)b + off;
    size_t hl = (size_t)(d - b) - off;
    const char key[] = "'shape':";
    const char *p = NULL;
    for (size_t i = 0; i + sizeof key - 1 <= hl; i++)
        if (memcmp(h + i, key, sizeof key - 1) == 0) {
            p = h + i + sizeof key - 1;
            break;
        }
    const char *end = h + hl;
    if (!p)
        return 0;
    while (p < end && *p == ' ')
        p++;
    if (p >= end || *p++ != '(')
        return 0;
    size_t n = 0, prod = 1;
    int overflow = 0; /* a product past SIZE_MAX: refused, even when the
                         payload is empty (0 cannot stand for it) */
    for (;;) {
        while (p < end && *p == ' ')
            p++;
        if (p >= end)
            return 0;
        if (*p == ')')
            break;
        if (*p < '0' || *p > '9' || n == maxdim)
            return 0;
        size_t v = 0;
        while (p < end && *p >= '0' && *p <= '9') {
            if (v > (SIZE_MAX - 9) / 10)
                return 0;
            v = v * 10 + (size_t)(*p++ - '0');
        }
        shape[n++] = v;
        if (v && prod > SIZE_MAX / v)
            overflow = 1;
        else
            prod *= v;
        while (p < end && *p == ' ')
            p++;
        if (p < end && *p == ',')
            p++;
        else if (p >= end || *p != ')')
            return 0;
    }
    if (overflow || prod != count)
        return 0;
    *ndim = n;
    return 1;
}

const float *sl__npy_f32_shape(const unsigned char *b, size_t size,
                               size_t *shape, size_t maxdim, size_t *ndim)
{
    size_t count;
    const float *d = sl__npy_f32_data(b, size, &count);
    if (!d || !shape_of(b, (const unsigned char *)d, count, shape, maxdim,
                        ndim))
        return NULL;
    return d;
}

const unsigned char *sl__npy_i64_shape(const unsigned char *b, size_t size,
                                       size_t *shape, size_t maxdim,
                                       size_t *ndim)
{
    size_t count;
    const unsigned char *d = payload(b, size, "i8", 8, &count);
    if (!d || !shape_of(b, d, count, shape, maxdim, ndim))
        return NULL;
    return d;
}
