/* core/cmd/textplot.c — text plot of a curve (see textplot.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/textplot.h"

int sl__text_plot(FILE *f, const char *indent, const char *name,
                  const int64_t *x, const double *y, size_t n, int cols,
                  int rows)
{
    if (rows < 2)
        rows = 2;
    if (cols < 8)
        cols = 8;
    double lo = INFINITY, hi = -INFINITY;
    size_t n_bad = 0, n_ok = 0;
    int64_t x0 = 0, x1 = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i])) {
            n_bad++;
            continue;
        }
        if (n_ok == 0)
            x0 = x[i];
        x1 = x[i];
        n_ok++;
        if (y[i] < lo)
            lo = y[i];
        if (y[i] > hi)
            hi = y[i];
    }
    if (n_ok == 0)
        return 0;
    int logy = lo > 0 && hi / lo >= 100;
    double a = logy ? log10(lo) : lo, b = logy ? log10(hi) : hi;
    char *grid = malloc((size_t)rows * (size_t)cols);
    if (!grid)
        return -1;
    memset(grid, ' ', (size_t)rows * (size_t)cols);
    double span = (double)(x1 - x0);
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(y[i]))
            continue;
        int c = span > 0 ? (int)((double)(x[i] - x0) / span * (cols - 1) + 0.5)
                         : 0;
        double v = logy ? log10(y[i]) : y[i];
        /* a flat curve sits in the middle */
        int r = b > a ? (int)((b - v) / (b - a) * (rows - 1) + 0.5)
                      : rows / 2;
        if (c < 0)
            c = 0;
        if (c >= cols)
            c = cols - 1;
        if (r < 0)
            r = 0;
        if (r >= rows)
            r = rows - 1;
        grid[(size_t)r * (size_t)cols + (size_t)c] = '*';
    }
    /* fill each column between its highest and lowest mark */
    for (int c = 0; c < cols; c++) {
        int top = -1, bot = -1;
        for (int r = 0; r < rows; r++)
            if (grid[(size_t)r * (size_t)cols + (size_t)c] == '*') {
                if (top < 0)
                    top = r;
                bot = r;
            }
        for (int r = top + 1; top >= 0 && r < bot; r++)
            grid[(size_t)r * (size_t)cols + (size_t)c] = '*';
    }
    char hl[32], ll[32];
    snprintf(hl, sizeof hl, "%.4g", hi);
    snprintf(ll, sizeof ll, "%.4g", lo);
    int lw = (int)(strlen(hl) > strlen(ll) ? strlen(hl) : strlen(ll));
    fprintf(f, "%s%s: %zu values, steps %lld..%lld%s", indent, name, n_ok,
            (long long)x0, (long long)x1, logy ? ", log scale" : "");
    if (n_bad)
        fprintf(f, " (%zu not finite, left out)", n_bad);
    fputc('\n', f);
    for (int r = 0; r < rows; r++) {
        const char *label = r == 0 ? hl : r == rows - 1 ? ll : "";
        int len = cols;
        while (len > 0 && grid[(size_t)r * (size_t)cols + (size_t)len - 1] == ' ')
            len--;
        fprintf(f, "%s  %*s |%.*s\n", indent, lw, label, len,
                grid + (size_t)r * (size_t)cols);
    }
    fprintf(f, "%s  %*s +", indent, lw, "");
    for (int c = 0; c < cols; c++)
        fputc('-', f);
    char xl[24], xr[24];
    snprintf(xl, sizeof xl, "%lld", (long long)x0);
    snprintf(xr, sizeof xr, "%lld", (long long)x1);
    int gap = cols - (int)strlen(xl) - (int)strlen(xr);
    fprintf(f, "\n%s  %*s  %s%*s%s\n", indent, lw, "", xl, gap > 1 ? gap : 1,
            "", x1 != x0 ? xr : "");
    free(grid);
    return 0;
}
