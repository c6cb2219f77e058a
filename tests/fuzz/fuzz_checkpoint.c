/*
 * tests/fuzz/fuzz_checkpoint.c — the checkpoint reader
 * (core/engine/checkpoint.c, sl__checkpoint_parse), which `spikelab
 * resume` runs over bytes from a run database (a file anyone may edit).
 *
 * The input is a checkpoint image. When the parser accepts it, every
 * entry it reports must lie inside the input, and writing the epoch and
 * the entries again in the documented format (checkpoint.h) must give
 * back exactly the input: the parser accepts that format and nothing
 * else, and loses nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "engine/checkpoint.h"

typedef struct again {
    const unsigned char *in;
    size_t size;
    unsigned char *out;
    size_t n;
} again;

static int entry(void *user, const char *name, size_t nl, const void *data,
                 size_t len)
{
    again *a = user;
    const unsigned char *n = (const unsigned char *)name,
                        *d = (const unsigned char *)data;
    FUZZ_CHECK(n >= a->in && n + nl <= a->in + a->size,
               "a name outside the input");
    FUZZ_CHECK(d >= a->in && d + len <= a->in + a->size,
               "data outside the input");
    uint32_t l32 = (uint32_t)nl;
    uint64_t l64 = len;
    memcpy(a->out + a->n, &l32, 4);
    memcpy(a->out + a->n + 4, name, nl);
    memcpy(a->out + a->n + 4 + nl, &l64, 8);
    memcpy(a->out + a->n + 12 + nl, data, len);
    a->n += 12 + nl + len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    unsigned char *b = malloc(size ? size : 1);
    again a = {b, size, malloc(size + 64), 20};
    if (!b || !a.out) {
        free(b);
        free(a.out);
        return 0;
    }
    if (size)
        memcpy(b, data, size);
    int64_t epoch = -1;
    sl__err err;
    if (sl__checkpoint_parse(b, size, &epoch, entry, &a, &err) == SL_OK) {
        FUZZ_CHECK(epoch >= 0, "a negative epoch accepted");
        memcpy(a.out, b, 20); /* magic, byte-order mark, epoch */
        FUZZ_CHECK(a.n == size && memcmp(a.out, b, size) == 0,
                   "the image written again differs (%zu of %zu bytes)",
                   a.n, size);
    }
    free(b);
    free(a.out);
    return 0;
}
