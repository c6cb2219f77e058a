/* tests/mkdata.c — writes small data files for the shell tests
 * (tests/filedata.sh) and the fuzz seeds:
 *   mkdata shd PATH N [ok|unit|nolabels|label|plainunits]
 *       SHD layout, N samples, 20 classes, 700 units: class c is a sweep
 *       over units from 35c with time, plus background events and two past
 *       1 s; the variants break one thing (a unit of 700, no /labels, a
 *       label of 25, units not variable-length)
 *   mkdata npy DIR N T C [ok|nan|label]
 *       DIR/x.npy float32 [N][T][C] (class-dependent rates), DIR/y.npy
 *       int64 labels i % 4 (a NaN in x, or a label of 9 with n_classes 4)
 *   mkdata idx DIR N [ok|magic|trunc]
 *       DIR/img.gz [N][8][8] and DIR/lab.gz [N] (labels i % 10), gzip'd
 * Deterministic (a fixed LCG). Exit 0, or 1 with a message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "datafiles.h"

static uint32_t lcg = 12345;
static double rnd(void)
{
    lcg = lcg * 1664525u + 1013904223u;
    return (lcg >> 8) / 16777216.0;
}

static int shd(const char *path, size_t n, const char *v)
{
    double **t = calloc(n, sizeof *t);
    int **u = calloc(n, sizeof *u), *lab = calloc(n, sizeof *lab);
    size_t *len = calloc(n, sizeof *len);
    for (size_t i = 0; i < n; i++) {
        size_t per = 120;
        t[i] = malloc(per * sizeof **t);
        u[i] = malloc(per * sizeof **u);
        len[i] = per;
        int c = (int)(i % 20);
        lab[i] = c;
        for (size_t k = 0; k < per; k++) {
            if (k < 100) {
                t[i][k] = 0.05 + 0.8 * (double)k / 100 + 0.01 * rnd();
                u[i][k] = (35 * c + (int)(k / 3)) % 700;
            } else if (k < 118) {
                t[i][k] = 0.9 * rnd();
                u[i][k] = (int)(rnd() * 700) % 700;
            } else {
                t[i][k] = 1.0 + 0.1 * rnd(); /* past 1 s: dropped */
                u[i][k] = 3;
            }
        }
    }
    int flags = 0;
    if (strcmp(v, "unit") == 0)
        u[n - 1][5] = 700;
    else if (strcmp(v, "label") == 0)
        lab[n - 1] = 25;
    else if (strcmp(v, "nolabels") == 0)
        flags = TD_SHD_NO_LABELS;
    else if (strcmp(v, "plainunits") == 0)
        flags = TD_SHD_UNITS_PLAIN;
    int rc = td_write_shd(path, n, (const double *const *)t,
                          (const int *const *)u, len, lab, 0, flags);
    for (size_t i = 0; i < n; i++) {
        free(t[i]);
        free(u[i]);
    }
    free(t);
    free(u);
    free(lab);
    free(len);
    return rc;
}

static int npy(const char *dir, size_t n, size_t T, size_t C, const char *v)
{
    float *x = malloc(n * T * C * sizeof *x);
    int64_t *y = malloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++) {
        y[i] = (int64_t)(i % 4);
        for (size_t k = 0; k < T * C; k++) {
            size_t c = k % C;
            double rate = c % 4 == (size_t)y[i] ? 0.5 : 0.05;
            x[i * T * C + k] = rnd() < rate ? 1.0f : 0.0f;
        }
    }
    if (strcmp(v, "nan") == 0)
        x[(n - 1) * T * C + 1] = 0.0f / 0.0f;
    if (strcmp(v, "label") == 0)
        y[n - 1] = 9;
    char p[4096];
    size_t xs[3] = {n, T, C}, ys[1] = {n};
    snprintf(p, sizeof p, "%s/x.npy", dir);
    int rc = td_write_npy(p, "<f4", xs, 3, x, n * T * C * sizeof *x);
    snprintf(p, sizeof p, "%s/y.npy", dir);
    rc |= td_write_npy(p, "<i8", ys, 1, y, n * sizeof *y);
    free(x);
    free(y);
    return rc;
}

static int idx(const char *dir, size_t n, const char *v)
{
    uint8_t *img = malloc(n * 64), *lab = malloc(n);
    for (size_t i = 0; i < n; i++) {
        lab[i] = (uint8_t)(i % 10);
        for (size_t k = 0; k < 64; k++)
            img[i * 64 + k] = (uint8_t)(k % 10 == lab[i] ? 200 + rnd() * 55
                                                         : rnd() * 40);
    }
    char p[4096];
    uint32_t d3[3] = {(uint32_t)n, 8, 8}, d1[1] = {(uint32_t)n};
    snprintf(p, sizeof p, "%s/img.gz", dir);
    int trunc = strcmp(v, "trunc") == 0;
    /* trunc: plain (zlib reads it as it is), 100 bytes cut off the end */
    int rc = td_write_idx(p, !trunc, d3, 3, img);
    if (trunc && !rc)
        rc = truncate(p, (off_t)(16 + n * 64 - 100));
    if (strcmp(v, "magic") == 0) {
        FILE *f = fopen(p, "wb"); /* plain, starting 0x08 0x03 */
        if (f) {
            fwrite("\x08\x03\x00\x00garbage", 1, 11, f);
            fclose(f);
        }
    }
    snprintf(p, sizeof p, "%s/lab.gz", dir);
    rc |= td_write_idx(p, 1, d1, 1, lab);
    free(img);
    free(lab);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 4 && strcmp(argv[1], "shd") == 0) {
        if (shd(argv[2], (size_t)atol(argv[3]), argc > 4 ? argv[4] : "ok"))
            goto fail;
        return 0;
    }
    if (argc >= 7 && strcmp(argv[1], "npy") == 0) {
        if (npy(argv[2], (size_t)atol(argv[3]), (size_t)atol(argv[4]),
                (size_t)atol(argv[5]), argv[6]))
            goto fail;
        return 0;
    }
    if (argc >= 4 && strcmp(argv[1], "idx") == 0) {
        if (idx(argv[2], (size_t)atol(argv[3]), argc > 4 ? argv[4] : "ok"))
            goto fail;
        return 0;
    }
    fprintf(stderr, "usage: mkdata shd PATH N [variant] | npy DIR N T C "
            "VARIANT | idx DIR N [variant]\n");
    return 1;
fail:
    fprintf(stderr, "mkdata: writing %s failed\n", argv[2]);
    return 1;
}
