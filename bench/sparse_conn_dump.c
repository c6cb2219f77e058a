/* bench/sparse_conn_dump.c — write the fixed in-degree connectivity that
 * sparse.so draws (plugins/sparse/connect.c, the very function the plugin
 * calls, without autapses) as (source, target) int32 pairs, so that
 * bench/lif_conn_stats.py can compare its distribution with the
 * connectivity of Brian2's script (numpy's choice). The key is the one
 * kernel.c derives from a seed for the connectivity, sp_key(seed, 2).
 *
 *   bench/sparse_conn_dump N K SEED OUT
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sparse.h"

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s N K SEED OUT\n", argv[0]);
        return 2;
    }
    char *e1, *e2, *e3;
    errno = 0;
    unsigned long n = strtoul(argv[1], &e1, 10);
    unsigned long k = strtoul(argv[2], &e2, 10);
    unsigned long long seed = strtoull(argv[3], &e3, 10);
    if (errno || *e1 || *e2 || *e3 || n < 2 || n > 100000000 || k < 1) {
        fprintf(stderr, "%s: N (2 .. 10^8), K (>= 1) and SEED must be "
                "non-negative integers\n", argv[0]);
        return 2;
    }
    sp_params p;
    memset(&p, 0, sizeof p);
    p.n = (uint32_t)n;
    p.rule = SP_INDEGREE;
    p.k = (uint32_t)k;
    p.n_pops = 1; /* the weights do not enter the index arrays */
    p.pops[0].hi = p.n;
    p.pops[0].w = 1.0;
    uint32_t cut[2] = {0, p.n};
    sp_csr csr;
    uint64_t nnz;
    char msg[256];
    uint32_t *outdeg = malloc((size_t)n * sizeof *outdeg);
    if (!outdeg) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
        return 1;
    }
    int rc = sp_connect(&p, sp_key(seed, 2), cut, 1, &csr, outdeg, &nnz, msg,
                        sizeof msg);
    free(outdeg);
    if (rc) {
        fprintf(stderr, "%s: %s\n", argv[0], rc == -1 ? "out of memory" : msg);
        return rc == -1 ? 1 : 2;
    }
    FILE *f = fopen(argv[4], "wb");
    if (!f) {
        fprintf(stderr, "%s: cannot write '%s'\n", argv[0], argv[4]);
        sp_csr_free(&csr);
        return 1;
    }
    int ok = 1;
    for (uint32_t i = 0; i < p.n && ok; i++)
        for (uint64_t q = csr.off[i]; q < csr.off[i + 1] && ok; q++) {
            int32_t pair[2] = {(int32_t)i, (int32_t)csr.tgt[q]};
            ok = fwrite(pair, sizeof pair, 1, f) == 1;
        }
    ok &= fclose(f) == 0;
    sp_csr_free(&csr);
    if (!ok) {
        fprintf(stderr, "%s: cannot write '%s'\n", argv[0], argv[4]);
        return 1;
    }
    return 0;
}
