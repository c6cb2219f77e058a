/*
 * tests/fuzz/fuzz_sweepspec.c — `spikelab sweep`'s argument grammar
 * (core/cmd/sweepspec.c): key=v1,v2 / range(a,b[,step]) / choice(...).
 *
 * The input is a list of arguments, one per line. Each is parsed in turn;
 * a refused one leaves the grid as it was and its message names it in
 * quotes. Of the grid: every axis has 1..SL__SWEEP_MAX_VALUES non-empty
 * values without control characters, keys are distinct, the point count
 * is their product, and the first, last and a middle point read back as
 * one line of exactly n_axes "key=value" fields whose values are the
 * axes' values at that index (so the runs of a sweep map back to their
 * points).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "cmd/sweepspec.h"

static void check_point(const sl__sweep_spec *sp, uint64_t i)
{
    char *line = sl__sweep_point_line(sp, i);
    if (!line)
        return;
    char *p = line;
    for (size_t a = 0; a < sp->n_axes; a++) {
        char *t = strchr(p, '\t');
        if (t)
            *t = 0;
        FUZZ_CHECK(a + 1 < sp->n_axes ? t != NULL : t == NULL,
                   "point %llu: %zu axes but the fields differ",
                   (unsigned long long)i, sp->n_axes);
        size_t kl = strlen(sp->axes[a].key);
        FUZZ_CHECK(strncmp(p, sp->axes[a].key, kl) == 0 && p[kl] == '=' &&
                       strcmp(p + kl + 1, sl__sweep_value(sp, i, a)) == 0,
                   "point %llu: field %zu is not key=value", (unsigned long long)i,
                   a);
        if (!t)
            break;
        p = t + 1;
    }
    free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = 0;
    sl__sweep_spec sp = {0};
    char msg[512];
    for (char *arg = text, *next; arg; arg = next) {
        next = strchr(arg, '\n');
        if (next)
            *next++ = 0;
        size_t before = sp.n_axes;
        msg[0] = 0;
        int rc = sl__sweep_parse(&sp, arg, msg, sizeof msg);
        if (rc) {
            FUZZ_CHECK(sp.n_axes == before, "a refused argument added an axis");
            FUZZ_CHECK(msg[0] == '\'' && strstr(msg, "': "),
                       "the message does not name the argument: %s", msg);
        } else {
            FUZZ_CHECK(sp.n_axes == before + 1, "an argument gave no axis");
        }
    }
    uint64_t n = 1;
    int overflow = 0;
    for (size_t a = 0; a < sp.n_axes; a++) {
        const sl__sweep_axis *ax = &sp.axes[a];
        FUZZ_CHECK(ax->n >= 1 && ax->n <= SL__SWEEP_MAX_VALUES,
                   "axis %s: %zu values", ax->key, ax->n);
        for (size_t b = 0; b < a; b++)
            FUZZ_CHECK(strcmp(sp.axes[b].key, ax->key) != 0, "key %s twice",
                       ax->key);
        for (size_t j = 0; j < ax->n; j++) {
            FUZZ_CHECK(ax->values[j][0] != 0, "axis %s: empty value", ax->key);
            for (const char *c = ax->values[j]; *c; c++)
                FUZZ_CHECK((unsigned char)*c >= 0x20 && *c != 0x7f,
                           "axis %s: control character", ax->key);
        }
        if (!overflow && n > UINT64_MAX / ax->n)
            overflow = 1;
        else
            n *= ax->n;
    }
    uint64_t got = sl__sweep_n_points(&sp);
    FUZZ_CHECK(overflow ? got == UINT64_MAX : got == n,
               "%llu points, the product is %llu", (unsigned long long)got,
               (unsigned long long)n);
    if (!overflow) {
        check_point(&sp, 0);
        check_point(&sp, n - 1);
        check_point(&sp, n / 2);
    }
    sl__sweep_free(&sp);
    free(text);
    return 0;
}
