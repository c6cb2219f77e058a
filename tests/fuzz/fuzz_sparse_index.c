/*
 * tests/fuzz/fuzz_sparse_index.c — the explicit connectivity of sparse.so
 * (plugins/sparse/connect.c, compiled in): the .npy integer reader, the
 * check of a CSR-by-target index list (offsets, range, duplicates,
 * autapses) and, for an accepted list, the CSR-by-source build over two
 * thread ranges.
 *
 * Input: byte 0 gives n (1 to 64 neurons), bit 7 of byte 0 allows
 * autapses, bytes 1-2 (little-endian) where the indptr file ends; the
 * rest is the indptr .npy then the indices .npy. An accepted list must
 * build into CSRs holding exactly its synapses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "../../plugins/sparse/sparse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 3 || size > 1 << 20)
        return 0;
    uint32_t n = (uint32_t)(data[0] & 63) + 1;
    int autapses = data[0] >> 7;
    size_t cut = (size_t)data[1] | (size_t)data[2] << 8;
    data += 3;
    size -= 3;
    if (cut > size)
        cut = size;
    char msg[256];
    uint64_t *row = NULL, *src = NULL;
    size_t nr = 0, ns = 0;
    if (sp_npy_ints(data, cut, &row, &nr, msg, sizeof msg) ||
        sp_npy_ints(data + cut, size - cut, &src, &ns, msg, sizeof msg) ||
        nr != (size_t)n + 1) {
        free(row);
        free(src);
        return 0;
    }
    uint32_t *s32 = malloc((ns ? ns : 1) * sizeof *s32);
    FUZZ_CHECK(s32, "no memory");
    for (size_t i = 0; i < ns; i++) /* as plugin.c: range checked next */
        s32[i] = src[i] > UINT32_MAX ? UINT32_MAX : (uint32_t)src[i];
    if (sp_check_file(row, s32, n, ns, autapses, msg, sizeof msg) == 0) {
        sp_params p;
        memset(&p, 0, sizeof p);
        p.n = n;
        p.rule = SP_FILE;
        p.autapses = autapses;
        p.file_row = row;
        p.file_src = s32;
        p.n_pops = 1;
        p.pops[0].hi = n;
        p.pops[0].w = 1.0;
        p.pops[0].w_sd = 0.5;
        uint32_t cuts[3] = {0, n / 2, n};
        sp_csr csr[2];
        uint32_t *outdeg = malloc(n * sizeof *outdeg);
        uint64_t nnz = 0;
        FUZZ_CHECK(outdeg, "no memory");
        int rc = sp_connect(&p, 7, cuts, 2, csr, outdeg, &nnz, msg,
                            sizeof msg);
        FUZZ_CHECK(rc == 0, "an accepted index list did not build: %s", msg);
        FUZZ_CHECK(nnz == ns, "%zu synapses built of %zu", (size_t)nnz, ns);
        uint64_t deg = 0;
        for (uint32_t i = 0; i < n; i++)
            deg += outdeg[i];
        FUZZ_CHECK(deg == ns, "out-degrees sum to %zu, not %zu", (size_t)deg,
                   ns);
        for (int t = 0; t < 2; t++) {
            for (uint64_t k = 0; k < csr[t].off[n]; k++)
                FUZZ_CHECK(csr[t].tgt[k] >= cuts[t] &&
                               csr[t].tgt[k] < cuts[t + 1],
                           "target %u outside range %d", csr[t].tgt[k], t);
            sp_csr_free(&csr[t]);
        }
        free(outdeg);
    }
    free(s32);
    free(row);
    free(src);
    return 0;
}
