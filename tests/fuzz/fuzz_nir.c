/*
 * tests/fuzz/fuzz_nir.c — the NIR reader (core/nir/nir.c, over libhdf5)
 * and the mapping onto layers (core/engine/nirmap.c), as `spikelab nir
 * import` and `network = { nir = ...; }` run them on a file a user names.
 *
 * The input is written to a temporary file and read with sl__nir_read,
 * as a run reads it. When the reader accepts it, the graph must survive
 * the writer: written with sl__nir_write and read again, it has the same
 * nodes, types, fields, values and edges. Then the graph is mapped onto
 * layers (dt 1 ms; a refusal is fine, a crash or leak is not) and, when
 * mapped, written as an experiment (into memory; its .npy files into the
 * temporary directory).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "spikelab/abi.h"
#include "engine/nirmap.h"
#include "nir/nir.h"

static void same_graph(const sl__nir_graph *a, const sl__nir_graph *b)
{
    FUZZ_CHECK(a->n_nodes == b->n_nodes, "%zu nodes written, %zu read",
               a->n_nodes, b->n_nodes);
    FUZZ_CHECK(a->n_edges == b->n_edges, "%zu edges written, %zu read",
               a->n_edges, b->n_edges);
    for (size_t e = 0; e < a->n_edges; e++)
        FUZZ_CHECK(!strcmp(a->src[e], b->src[e]) &&
                       !strcmp(a->dst[e], b->dst[e]),
                   "edge %zu differs", e);
    for (size_t i = 0; i < a->n_nodes; i++) {
        const sl__nir_node *x = &a->nodes[i];
        const sl__nir_node *y = sl__nir_node_find(b, x->name);
        FUZZ_CHECK(y != NULL, "node %s lost", x->name);
        FUZZ_CHECK(!strcmp(x->type, y->type), "node %s: type %s became %s",
                   x->name, x->type, y->type);
        FUZZ_CHECK(x->n_arr == y->n_arr && x->n_str == y->n_str,
                   "node %s: fields differ", x->name);
        for (size_t k = 0; k < x->n_arr; k++) {
            const sl__nir_arr *p = &x->arr[k];
            const sl__nir_arr *q = sl__nir_arr_find(y, p->name);
            FUZZ_CHECK(q && q->n == p->n && q->ndim == p->ndim,
                       "node %s: field %s differs", x->name, p->name);
            FUZZ_CHECK(p->n == 0 || memcmp(p->v, q->v, p->n *
                                                        sizeof *p->v) == 0,
                       "node %s: values of %s differ", x->name, p->name);
        }
        if (x->sub)
            same_graph(x->sub, y->sub);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > FUZZ_MAX_INPUT)
        return 0;
    const char *path = fuzz_write_file("in.nir", data, size);
    if (path == NULL)
        return 0;
    char in[4096];
    snprintf(in, sizeof in, "%s", path);
    sl__nir_graph *g = NULL;
    sl__err err;
    if (sl__nir_read(in, &g, &err) != SL_OK)
        return 0;
    const char *dir = fuzz_tmpdir();
    char out[4096];
    snprintf(out, sizeof out, "%s/out.nir", dir);
    if (sl__nir_write(out, g, &err) == SL_OK) {
        sl__nir_graph *back = NULL;
        int rc = sl__nir_read(out, &back, &err);
        FUZZ_CHECK(rc == SL_OK, "the written graph does not read back: %s",
                   err.msg);
        same_graph(g, back);
        sl__nir_free(back);
    }
    sl__nirmap m;
    /* odd-sized inputs also through the DynapSim path */
    sl__nirmap_opts o = {1e-3, NULL, NULL, "in.nir",
                         (size & 1) ? "dynapsim" : NULL};
    if (sl__nirmap_from_graph(g, &o, &m, &err) == SL_OK) {
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);
        if (f) {
            sl__nirmap_write_experiment(&m, f, "in.nir", dir, "exp", &err);
            fclose(f);
        }
        free(text);
    }
    sl__nirmap_free(&m);
    sl__nir_free(g);
    return 0;
}
