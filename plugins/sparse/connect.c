/* plugins/sparse/connect.c — random and explicit connectivity as one
 * CSR-by-source per thread range (sparse.h).
 *
 * Every rule is a generator of rows: fixed in-degree, fixed probability
 * and an explicit list give the sources of target j, fixed out-degree
 * the targets of source i; row r's draws come from the stream
 * sp_key(key, r) alone. The CSR is built in two passes over the rows
 * (count, then fill), drawing each row twice instead of keeping the
 * N·K pairs: at N = 10^6, K = 100 the pairs would be another 400 MB. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparse.h"

typedef struct gen {
    const sp_params *p;
    uint64_t key;
    uint64_t *bits; /* N bits of scratch, all zero between rows */
    uint32_t *row;  /* the row's indices */
    double lq;      /* log(1 - p) for the probability rule */
} gen;

/* K distinct values of {0 .. m-1} by Floyd's algorithm (uniform over the
 * K-subsets, K draws); the bitmap is left clean. */
static void floyd(gen *g, uint64_t key, uint32_t m, uint32_t k)
{
    uint32_t c = 0;
    for (uint32_t r = m - k; r < m; r++) {
        uint32_t t = (uint32_t)sp_below(sp_draw(key, c), (uint64_t)r + 1);
        if (g->bits[t >> 6] >> (t & 63) & 1)
            t = r;
        g->bits[t >> 6] |= 1ULL << (t & 63);
        g->row[c++] = t;
    }
    for (uint32_t i = 0; i < k; i++)
        g->bits[g->row[i] >> 6] = 0;
}

/* The indices of row r into g->row; their count. */
static uint32_t gen_row(gen *g, uint32_t r)
{
    const sp_params *p = g->p;
    uint64_t key = sp_key(g->key, r);
    uint32_t n = p->n, m = p->autapses ? n : n - 1, k = 0;
    switch (p->rule) {
    case SP_INDEGREE:
    case SP_OUTDEGREE:
        /* uniform over the K-subsets of the others, as workload 1 and
         * Brian2's script (numpy's choice of K of N - 1, shifted past j)
         * draw them: the same distribution, other numbers
         * (bench/lif_conn_stats.py compares the two over seeds) */
        k = p->k;
        floyd(g, key, m, k);
        break;
    case SP_PROBABILITY: {
        /* skip over the absent ones: geometric gaps */
        if (p->p <= 0)
            return 0;
        int64_t pos = -1;
        for (uint64_t c = 0;; c++) {
            if (p->p < 1) {
                double u = 1.0 - sp_u01(sp_draw(key, c)); /* (0, 1] */
                double gap = floor(log(u) / g->lq);
                if (gap >= (double)m)
                    break;
                pos += 1 + (int64_t)gap;
            } else {
                pos++;
            }
            if (pos >= (int64_t)m)
                break;
            g->row[k++] = (uint32_t)pos;
        }
        break;
    }
    case SP_FILE: {
        uint64_t a = p->file_row[r], b = p->file_row[r + 1];
        for (uint64_t i = a; i < b; i++)
            g->row[k++] = p->file_src[i];
        return k; /* explicit: no autapse mapping */
    }
    }
    if (!p->autapses) /* drawn from the n - 1 others: skip r itself */
        for (uint32_t i = 0; i < k; i++)
            g->row[i] += g->row[i] >= r;
    return k;
}

static int range_of(const uint32_t *cut, int n_cut, uint32_t j)
{
    int t = 0;
    while (t + 1 < n_cut && j >= cut[t + 1])
        t++;
    return t;
}

void sp_csr_free(sp_csr *c)
{
    free(c->off);
    free(c->tgt);
    free(c->w);
    memset(c, 0, sizeof *c);
}

static double normal(uint64_t key, uint64_t i)
{
    double u1 = 1.0 - sp_u01(sp_draw(key, 2 * i));
    double u2 = sp_u01(sp_draw(key, 2 * i + 1));
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

int sp_connect(const sp_params *p, uint64_t key, const uint32_t *cut,
               int n_cut, sp_csr *csr, uint32_t *outdeg, uint64_t *nnz,
               char *msg, size_t msg_len)
{
    uint32_t n = p->n;
    uint32_t m = p->autapses ? n : n - 1;
    if ((p->rule == SP_INDEGREE || p->rule == SP_OUTDEGREE) && p->k > m) {
        snprintf(msg, msg_len, "connect.k = %u: a neuron has only %u "
                 "possible %s (%s autapses), so %u distinct ones cannot be "
                 "drawn", p->k, m, p->rule == SP_INDEGREE ? "sources"
                                                          : "targets",
                 p->autapses ? "with" : "without", p->k);
        return -2;
    }
    int per_syn = 0;
    for (size_t i = 0; i < p->n_pops; i++)
        per_syn |= p->pops[i].w_sd > 0;
    size_t wsz = p->f32 ? sizeof(float) : sizeof(double);
    uint8_t *pop_of = NULL;
    uint64_t **cur = calloc((size_t)n_cut, sizeof *cur);
    gen g = {p, key, calloc(((size_t)n + 63) / 64, 8),
             malloc((size_t)n * sizeof(uint32_t)), 0.0};
    int rc = -1;
    if (!cur || !g.bits || !g.row)
        goto out;
    if (p->rule == SP_PROBABILITY && p->p < 1)
        g.lq = log1p(-p->p);
    memset(csr, 0, (size_t)n_cut * sizeof *csr);
    memset(outdeg, 0, (size_t)n * sizeof *outdeg);
    for (int t = 0; t < n_cut; t++)
        if (!(csr[t].off = calloc((size_t)n + 1, sizeof(uint64_t))) ||
            !(cur[t] = malloc(((size_t)n + 1) * sizeof(uint64_t))))
            goto out;
    int by_src = p->rule == SP_OUTDEGREE;
    /* pass 1: count per (range, source) */
    for (uint32_t r = 0; r < n; r++) {
        uint32_t k = gen_row(&g, r);
        if (by_src) {
            for (uint32_t i = 0; i < k; i++)
                csr[range_of(cut, n_cut, g.row[i])].off[r + 1]++;
        } else {
            sp_csr *c = &csr[range_of(cut, n_cut, r)];
            for (uint32_t i = 0; i < k; i++)
                c->off[g.row[i] + 1]++;
        }
    }
    uint64_t total = 0;
    for (int t = 0; t < n_cut; t++) {
        uint64_t *o = csr[t].off;
        for (uint32_t i = 0; i < n; i++) {
            outdeg[i] += (uint32_t)o[i + 1];
            o[i + 1] += o[i];
        }
        total += o[n];
        memcpy(cur[t], o, ((size_t)n + 1) * sizeof(uint64_t));
        if (!(csr[t].tgt = malloc((o[n] ? o[n] : 1) * sizeof(uint32_t))))
            goto out;
        if (per_syn && !(csr[t].w = malloc((o[n] ? o[n] : 1) * wsz)))
            goto out;
    }
    if (per_syn && !(pop_of = malloc(n)))
        goto out;
    for (size_t i = 0; pop_of && i < p->n_pops; i++)
        memset(pop_of + p->pops[i].lo, (int)i, p->pops[i].hi - p->pops[i].lo);
    /* pass 2: the same rows again, into place */
    uint64_t wkey = sp_key(key, 0xffffffffffULL);
    for (uint32_t r = 0; r < n; r++) {
        uint32_t k = gen_row(&g, r);
        for (uint32_t i = 0; i < k; i++) {
            uint32_t src = by_src ? r : g.row[i], tgt = by_src ? g.row[i] : r;
            int t = range_of(cut, n_cut, tgt);
            uint64_t at = cur[t][src]++;
            csr[t].tgt[at] = tgt;
            if (per_syn) {
                const sp_pop *pp = &p->pops[pop_of[src]];
                /* keyed by the synapse, not by its place in the CSR */
                double w = pp->w + (pp->w_sd > 0
                                        ? pp->w_sd * normal(wkey, (uint64_t)src * n + tgt)
                                        : 0.0);
                if (p->f32)
                    ((float *)csr[t].w)[at] = (float)w;
                else
                    ((double *)csr[t].w)[at] = w;
            }
        }
    }
    *nnz = total;
    rc = 0;
out:
    for (int t = 0; cur && t < n_cut; t++)
        free(cur[t]);
    free(cur);
    free(g.bits);
    free(g.row);
    free(pop_of);
    if (rc)
        for (int t = 0; t < n_cut; t++)
            sp_csr_free(&csr[t]);
    return rc;
}

int sp_check_file(const uint64_t *row, const uint32_t *src, uint32_t n,
                  uint64_t nnz, int autapses, char *msg, size_t msg_len)
{
    if (row[0] != 0 || row[n] != nnz) {
        snprintf(msg, msg_len, "indptr must start at 0 and end at the "
                 "number of indices (%llu), not %llu .. %llu",
                 (unsigned long long)nnz, (unsigned long long)row[0],
                 (unsigned long long)row[n]);
        return -2;
    }
    uint64_t *seen = calloc(((size_t)n + 63) / 64, 8);
    if (!seen)
        return -1;
    int rc = 0;
    for (uint32_t j = 0; j < n && !rc; j++) {
        if (row[j + 1] < row[j]) {
            snprintf(msg, msg_len, "indptr decreases at target %u (%llu "
                     "then %llu)", j, (unsigned long long)row[j],
                     (unsigned long long)row[j + 1]);
            rc = -2;
            break;
        }
        if (row[j + 1] > nnz) { /* only the last was checked above */
            snprintf(msg, msg_len, "indptr of target %u is %llu, past the "
                     "%llu indices", j, (unsigned long long)row[j + 1],
                     (unsigned long long)nnz);
            rc = -2;
            break;
        }
        if (row[j + 1] - row[j] > n) {
            snprintf(msg, msg_len, "target %u has %llu sources, more than "
                     "the %u neurons", j,
                     (unsigned long long)(row[j + 1] - row[j]), n);
            rc = -2;
            break;
        }
        uint64_t i;
        for (i = row[j]; i < row[j + 1]; i++) {
            uint32_t s = src[i];
            if (s >= n) {
                snprintf(msg, msg_len, "index %llu: source %u of target %u "
                         "is out of range (%u neurons)",
                         (unsigned long long)i, s, j, n);
                rc = -2;
                break;
            }
            if (s == j && !autapses) {
                snprintf(msg, msg_len, "index %llu: target %u is its own "
                         "source (set connect.autapses = true to allow "
                         "it)", (unsigned long long)i, j);
                rc = -2;
                break;
            }
            if (seen[s >> 6] >> (s & 63) & 1) {
                snprintf(msg, msg_len, "index %llu: source %u appears twice "
                         "for target %u", (unsigned long long)i, s, j);
                rc = -2;
                break;
            }
            seen[s >> 6] |= 1ULL << (s & 63);
        }
        for (uint64_t q = row[j]; q < i; q++) /* clean the bits set */
            seen[src[q] >> 6] = 0;
    }
    free(seen);
    return rc;
}

/* ---- .npy integer arrays ------------------------------------------ */

int sp_npy_ints(const unsigned char *b, size_t size, uint64_t **out,
                size_t *count, char *msg, size_t msg_len)
{
    *out = NULL;
    *count = 0;
    if (size < 10 || memcmp(b, "\x93NUMPY", 6) != 0) {
        snprintf(msg, msg_len, "not a .npy file");
        return -2;
    }
    size_t hlen, pre;
    if (b[6] == 1) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8;
        pre = 10;
    } else if ((b[6] == 2 || b[6] == 3) && size >= 12) {
        hlen = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 |
               (size_t)b[11] << 24;
        pre = 12;
    } else {
        snprintf(msg, msg_len, ".npy format version %u is not known", b[6]);
        return -2;
    }
    if (hlen > size - pre || hlen > 65536) {
        snprintf(msg, msg_len, "the .npy header is cut off");
        return -2;
    }
    char h[65537];
    memcpy(h, b + pre, hlen);
    h[hlen] = '\0';
    if (strlen(h) != hlen) {
        snprintf(msg, msg_len, "the .npy header holds a zero byte");
        return -2;
    }
    const char *d = strstr(h, "'descr':");
    const char *f = strstr(h, "'fortran_order':");
    const char *s = strstr(h, "'shape':");
    if (!d || !f || !s) {
        snprintf(msg, msg_len, "the .npy header lacks descr, "
                 "fortran_order or shape");
        return -2;
    }
    d += 8;
    while (*d == ' ')
        d++;
    size_t el;
    int sgn;
    if (!strncmp(d, "'<i4'", 5)) {
        el = 4;
        sgn = 1;
    } else if (!strncmp(d, "'<u4'", 5)) {
        el = 4;
        sgn = 0;
    } else if (!strncmp(d, "'<i8'", 5)) {
        el = 8;
        sgn = 1;
    } else if (!strncmp(d, "'<u8'", 5)) {
        el = 8;
        sgn = 0;
    } else {
        snprintf(msg, msg_len, "the array must hold little-endian integers "
                 "(<i4, <u4, <i8, <u8), not %.12s", d);
        return -2;
    }
    f += 16;
    while (*f == ' ')
        f++;
    if (strncmp(f, "False", 5) != 0) {
        snprintf(msg, msg_len, "the array must be in C order");
        return -2;
    }
    s += 8;
    while (*s == ' ')
        s++;
    unsigned long long n0;
    int used = 0;
    if (sscanf(s, "(%llu,)%n", &n0, &used) != 1 || used == 0) {
        snprintf(msg, msg_len, "the array must be one-dimensional");
        return -2;
    }
    size_t data = pre + hlen;
    if (n0 > (size - data) / el || n0 * el != size - data) {
        snprintf(msg, msg_len, "the .npy file holds %zu bytes of data, its "
                 "shape says %llu values of %zu bytes", size - data, n0, el);
        return -2;
    }
    uint64_t *v = malloc((n0 ? n0 : 1) * sizeof *v);
    if (!v)
        return -1;
    const unsigned char *q = b + data;
    for (size_t i = 0; i < n0; i++, q += el) {
        uint64_t x = 0;
        for (size_t k = 0; k < el; k++)
            x |= (uint64_t)q[k] << (8 * k);
        if (sgn && (x >> (8 * el - 1) & 1)) {
            snprintf(msg, msg_len, "value %zu is negative", i);
            free(v);
            return -2;
        }
        v[i] = x;
    }
    *out = v;
    *count = n0;
    return 0;
}
