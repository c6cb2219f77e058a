/*
 * tests/fuzz/fuzz_form.c — what `spikelab ui` decodes of a request itself
 * (core/cmd/form.c): form bodies of the tag and note writes, and run ids
 * of paths and queries.
 *
 * The input is a form body. Each of the keys the UI reads is looked up;
 * an accepted value must fit its buffer and hold no NUL, and encoded again
 * (every byte as %XX) it must decode to itself. The input as an id list:
 * the ids accepted are positive, distinct, at most max, and printed back
 * as "a,b,c" they parse to the same list; each must also read back alone.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cmd/form.h"

static void check_value(const char *body, const char *key, size_t len)
{
    char *out = malloc(len);
    if (!out)
        return;
    int rc = sl__form_value(body, key, out, len);
    if (rc == 1) {
        size_t n = strlen(out);
        FUZZ_CHECK(n < len, "value of %s: %zu bytes in a %zu buffer", key, n,
                   len);
        /* encoded again, it decodes to the same bytes */
        char *enc = malloc(strlen(key) + 1 + 3 * n + 1), *back = malloc(len);
        if (enc && back) {
            size_t o = (size_t)sprintf(enc, "%s=", key);
            for (size_t i = 0; i < n; i++)
                o += (size_t)sprintf(enc + o, "%%%02X", (unsigned char)out[i]);
            FUZZ_CHECK(sl__form_value(enc, key, back, len) == 1 &&
                           strcmp(back, out) == 0,
                       "%s: the re-encoded value does not decode to itself",
                       key);
        }
        free(enc);
        free(back);
    }
    free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    char *body = malloc(size + 1);
    if (!body)
        return 0;
    memcpy(body, data, size);
    body[size] = '\0';
    static const char *const keys[] = {"tag", "text", "remove", "ids"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
        check_value(body, keys[k], 16 * 1024 + 1); /* the UI's bound */
        check_value(body, keys[k], 1 + (size % 7)); /* tiny buffers too */
    }

    int64_t ids[15], again[15];
    int n = 0, m = 0;
    if (sl__form_ids(body, ids, &n, 15) == 0) {
        FUZZ_CHECK(n >= 0 && n <= 15, "%d ids", n);
        char text[15 * 21 + 1] = "";
        size_t o = 0;
        for (int i = 0; i < n; i++) {
            FUZZ_CHECK(ids[i] > 0, "id %" PRId64, ids[i]);
            for (int j = 0; j < i; j++)
                FUZZ_CHECK(ids[i] != ids[j], "id %" PRId64 " twice", ids[i]);
            char one[24];
            snprintf(one, sizeof one, "%" PRId64, ids[i]);
            FUZZ_CHECK(sl__form_id(one) == ids[i], "id %s reads back as "
                       "another", one);
            o += (size_t)sprintf(text + o, "%s%s", i ? "," : "", one);
        }
        FUZZ_CHECK(sl__form_ids(text, again, &m, 15) == 0 && m == n &&
                       memcmp(again, ids, (size_t)n * sizeof *ids) == 0,
                   "ids printed back parse to another list");
    }
    (void)sl__form_id(body);
    free(body);
    return 0;
}
