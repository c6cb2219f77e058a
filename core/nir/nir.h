/* core/nir/nir.h — NIR files (the Neuromorphic Intermediate
 * Representation, github:neuromorphs/NIR) read into and written from a
 * plain graph, with libhdf5. The format only: what the nodes mean for
 * spikelab's layers is the engine's (engine/nirmap.c).
 *
 * The layout, as NIR's nir/serialization.py writes it (h5py):
 *   /version                 string
 *   /node                    the top graph: a group with
 *     type = "NIRGraph"      (a scalar string dataset, in every node)
 *     nodes/NAME/...         one group per node, recursively
 *     edges                  strings [n][2]: (source, target) names
 *     metadata/...           optional, scalar datasets
 * and every other node a group of its `type` and one dataset per field
 * (LIF: tau, r, v_leak, v_threshold, v_reset; Affine: weight [out][in],
 * bias; Conv2d: input_shape, weight [out][in/groups][kh][kw], stride,
 * padding (numbers or the string "same"/"valid"), dilation, groups, bias;
 * Input/Output: shape; ...). Strings are variable- or fixed-length, numbers
 * any integer or float type (read as double), scalars of shape ().
 *
 * Reading checks the structure (every group has a type, every node type
 * is one NIR defines, its required datasets are there and numeric, edges
 * name existing nodes) and values (no NaN or infinity; time constants > 0)
 * and reports "FILE: node NAME (TYPE): problem". HDF5's own error stack is
 * silenced (H5Eset_auto): messages are ours. Because libhdf5 can hang or
 * crash on a damaged file, a child process reads it first (fork, CPU
 * limit): a file it cannot finish is refused as damaged.
 *
 * Internal to the core (sl__ prefix). Includes only util/. */
#ifndef SL_CORE_NIR_H
#define SL_CORE_NIR_H

#include <stddef.h>
#include <stdio.h>

#include "util/err.h"

#define SL__NIR_MAX_DIM 8

/* One numeric field of a node: values as double, C order. */
typedef struct sl__nir_arr {
    char *name;
    size_t ndim;                   /* 0 for a scalar */
    size_t shape[SL__NIR_MAX_DIM];
    size_t n;                      /* elements (1 for a scalar) */
    double *v;                     /* owned */
    int is_float;                  /* stored as a float type, else integer */
} sl__nir_arr;

/* One string field of a node or of its metadata. */
typedef struct sl__nir_str {
    char *name, *value;
} sl__nir_str;

struct sl__nir_graph;

typedef struct sl__nir_node {
    char *name;          /* its key in the graph's nodes group (after
                            sl__nir_flatten: "outer.inner" for a node of a
                            nested graph) */
    char *type;          /* "LIF", "Affine", ... */
    sl__nir_arr *arr;    /* numeric fields, owned */
    size_t n_arr;
    sl__nir_str *str;    /* string fields (Conv padding "same"), owned */
    size_t n_str;
    sl__nir_arr *meta;   /* numeric metadata entries, owned */
    size_t n_meta;
    sl__nir_str *smeta;  /* string metadata entries, owned */
    size_t n_smeta;
    struct sl__nir_graph *sub; /* type "NIRGraph": the nested graph */
} sl__nir_node;

typedef struct sl__nir_graph {
    sl__nir_node *nodes;
    size_t n_nodes, cap_nodes;
    char **src, **dst;   /* edges, owned strings */
    size_t n_edges, cap_edges;
    char *version;       /* top graph only; may be NULL */
} sl__nir_graph;

/* Read a NIR file (a regular file of at most 512 MiB) into *out (owned
 * by the caller, sl__nir_free). SL_OK; SL_ECONFIG with "PATH: ..." on err
 * for a file that is not NIR or breaks its rules; SL_EIO, SL_ENOMEM. */
int sl__nir_read(const char *path, sl__nir_graph **out, sl__err *err);
/* The same from a file image in memory (data borrowed); `name` names it
 * in messages. */
int sl__nir_read_mem(const void *data, size_t size, const char *name,
                     sl__nir_graph **out, sl__err *err);

/* Write g to path (replaced only when complete, util/file.h's afile).
 * Weights and biases as float32 where they were given with is_float and
 * fit it, every other number as float64 or int64. SL_OK, SL_EIO,
 * SL_ENOMEM. */
int sl__nir_write(const char *path, const sl__nir_graph *g, sl__err *err);

void sl__nir_free(sl__nir_graph *g);

/* Building a graph (the writer's side and the tests'): each returns the
 * new element (owned by g) or NULL when out of memory. */
sl__nir_graph *sl__nir_new(void);
sl__nir_node *sl__nir_add_node(sl__nir_graph *g, const char *name,
                               const char *type);
/* A numeric field of ndim dims (shape may be NULL for ndim 0); values
 * copied from v (float) or vd (double; one of them non-NULL). */
sl__nir_arr *sl__nir_add_arr(sl__nir_node *nd, const char *name,
                             size_t ndim, const size_t *shape,
                             const float *v, const double *vd, int is_float);
sl__nir_arr *sl__nir_add_meta(sl__nir_node *nd, const char *name, double v);
int sl__nir_add_smeta(sl__nir_node *nd, const char *name, const char *v);
int sl__nir_add_str(sl__nir_node *nd, const char *name, const char *v);
int sl__nir_add_edge(sl__nir_graph *g, const char *src, const char *dst);

/* Lookups; NULL when absent. */
sl__nir_node *sl__nir_node_find(const sl__nir_graph *g, const char *name);
const sl__nir_arr *sl__nir_arr_find(const sl__nir_node *nd, const char *name);
const char *sl__nir_str_find(const sl__nir_node *nd, const char *name);
const sl__nir_arr *sl__nir_meta_find(const sl__nir_node *nd,
                                     const char *name);
const char *sl__nir_smeta_find(const sl__nir_node *nd, const char *name);

/* Replace every nested NIRGraph node by its nodes, named "outer.inner",
 * with edges into the graph's name going to its Input node and edges
 * from it leaving its Output node; the inner Input and Output nodes stay
 * as pass-through nodes of type "Identity". SL_ECONFIG with
 * "name: problem" for a nested graph whose edges cannot be resolved (no
 * single Input or Output where an edge needs one). */
int sl__nir_flatten(sl__nir_graph *g, sl__err *err);

/* Print the graph: one line per node (name, type, fields with shapes and,
 * for small ones, values), then the edges; nested graphs indented. */
void sl__nir_print(FILE *f, const sl__nir_graph *g);

#endif
