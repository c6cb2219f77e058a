/*
 * spikelab/abi.h — the versioned plugin ABI shared by every interface:
 * version numbers, status codes, the host table a plugin receives, the
 * seeded random stream and the parameter tensor descriptor.
 *
 * Rules every struct crossing the plugin boundary follows:
 *  - it starts with `struct_size` (bytes, as the writer compiled it);
 *  - fields are only ever appended, each group marked with the ABI minor
 *    version that introduced it;
 *  - the reader only touches fields covered by struct_size.
 * A plugin built for ABI major M loads in any core whose major is M and
 * whose minor is >= the plugin's minor.
 */
#ifndef SPIKELAB_ABI_H
#define SPIKELAB_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SL_ABI_MAJOR 1
#define SL_ABI_MINOR 3

#if defined(_WIN32)
#define SL_EXPORT __declspec(dllexport)
#else
#define SL_EXPORT __attribute__((visibility("default")))
#endif

/* True when a struct of `size` bytes (as reported by its struct_size) covers
 * the member `field` of type `type`. Readers MUST check before touching a
 * field newer than the first ABI version. */
#define SL_HAS_FIELD(type, ptr, field)                                        \
    ((ptr) != NULL &&                                                         \
     (ptr)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* Status codes: 0 is success, errors are negative. sl_strerror() gives the
 * text; the detailed message lives on the context that reported it. */
#define SL_STATUS_LIST(X)                                                    \
    X(SL_OK, 0, "success")                                                   \
    X(SL_ENOMEM, -1, "out of memory")                                        \
    X(SL_EINVAL, -2, "invalid argument or parameter")                        \
    X(SL_ECONFIG, -3, "configuration error")                                 \
    X(SL_EPLUGIN, -4, "plugin could not be loaded")                          \
    X(SL_EABI, -5, "plugin ABI mismatch")                                    \
    X(SL_EIO, -6, "input/output error")                                      \
    X(SL_EDATA, -7, "malformed or corrupt data")                             \
    X(SL_ENOTFOUND, -8, "not found")                                         \
    X(SL_ENOTSUP, -9, "operation not supported")                             \
    X(SL_EFIT, -10, "network does not fit the target")                       \
    X(SL_EDB, -11, "run database error")                                     \
    X(SL_ENUMERIC, -12, "numerical failure (NaN or overflow)")               \
    X(SL_EINTR, -13, "interrupted")

typedef enum sl_status {
#define SL__STATUS_ENUM(name, value, text) name = value,
    SL_STATUS_LIST(SL__STATUS_ENUM)
#undef SL__STATUS_ENUM
} sl_status;

/* Context of one component instance (a layer, a loss, a dataset...).
 * Opaque, owned by the core, valid from xCreate until xDestroy returns.
 * Through it a plugin reads its parameters, reports errors and derives its
 * random streams. */
typedef struct sl_ctx sl_ctx;

/* A seeded random stream (xoshiro256**). Plain data so plugins can keep it
 * by value; only the host functions below advance it. */
typedef struct sl_rng {
    uint64_t s[4];
} sl_rng;

/* Log levels for xLog. Messages go to stderr, never stdout. */
enum { SL_LOG_ERROR = 0, SL_LOG_WARN = 1, SL_LOG_INFO = 2, SL_LOG_DEBUG = 3 };

/* Flags of a parameter tensor. */
enum {
    SL_PARAM_TRAINABLE = 1u << 0, /* the optimizer updates it */
    SL_PARAM_WEIGHT = 1u << 1     /* a synaptic weight matrix [pre][post] */
};

/* A named parameter tensor of a component. data and grad are owned by the
 * component and stay valid until it is destroyed; grad has the same shape,
 * accumulates during xBackward and is zeroed by the core after each
 * optimizer step. Row-major, contiguous float32. */
typedef struct sl_param {
    uint32_t struct_size;
    uint32_t flags;     /* SL_PARAM_* */
    const char *name;   /* e.g. "weight", "w_rec"; borrowed, static */
    float *data;
    float *grad;        /* NULL when not trainable */
    size_t n;           /* number of elements */
    uint32_t ndim;      /* 1 or 2 */
    size_t shape[2];
} sl_param;

/* A dense sequence [batch][time][channels], contiguous float32. A target
 * whose time is 1 is broadcast over every step. sl_seq has no struct_size
 * and is embedded by value in other ABI structs: it can never grow. */
typedef struct sl_seq {
    const float *data;
    size_t batch, time, channels;
    double dt; /* s per step */
} sl_seq;

/* The table of host services a plugin receives at init. Plugins never link
 * against core symbols; they call through this table. Every function taking
 * an sl_ctx is safe to call from xCreate until xDestroy. Every function
 * tolerates NULL arguments where a pointer is expected: a NULL context,
 * key, output, format or stream is a plugin bug reported as SL_EINVAL (on
 * the context when there is one; getters still store `def` when *out
 * exists), never a crash; with a NULL stream the random functions return
 * 0.
 *
 * Which table: the host gives each component instance a table at xCreate,
 * and the instance must keep and call THAT one (not the table its
 * plugin's entry point received, nor one kept from another instance or in
 * a global): tables differ between runs (xGemm follows the run's
 * `numerics`, ABI 1.2), and two runs in one process may use different
 * ones. */
typedef struct sl_host {
    uint32_t struct_size;
    uint16_t abi_major, abi_minor;

    /* --- ABI 1.0 --- */

    /* Typed parameter getters. Each reads `key` (a name inside the
     * component's own settings; dots descend into groups) and stores the
     * value in *out, or `def` when the key is absent. A present key of the
     * wrong type is an error (SL_ECONFIG) with file and line recorded on the
     * context. An int is accepted where a float is asked for. With a
     * settings table (plugin.h, ABI 1.1) the read is checked against it:
     * an undeclared key, another type or another `def` than the table's is
     * an error (a plugin bug), a value outside its range or choices too.
     * Without one, reading a key marks it as known: keys nobody reads are
     * refused as unknown. */
    int (*xGetInt)(sl_ctx *ctx, const char *key, int64_t def, int64_t *out);
    int (*xGetFloat)(sl_ctx *ctx, const char *key, double def, double *out);
    int (*xGetBool)(sl_ctx *ctx, const char *key, int def, int *out);
    /* *out is borrowed: valid while the context lives. */
    int (*xGetString)(sl_ctx *ctx, const char *key, const char *def,
                      const char **out);
    /* A scalar (broadcast to all n) or a list of exactly n numbers. */
    int (*xGetFloatVec)(sl_ctx *ctx, const char *key, double def, float *out,
                        size_t n);
    /* 1 if the key is present, 0 otherwise (does not mark it as read). */
    int (*xHasKey)(sl_ctx *ctx, const char *key);

    /* Record an error on the context and return `code`. With a non-NULL key
     * the message names the key and the file and line where it was set. */
    int (*xError)(sl_ctx *ctx, const char *key, int code, const char *fmt,
                  ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 4, 5)))
#endif
        ;
    void (*xLog)(sl_ctx *ctx, int level, const char *fmt, ...)
#if defined(__GNUC__)
        __attribute__((format(printf, 3, 4)))
#endif
        ;

    /* Derive a stream from (run seed, this component, purpose): the same
     * config and seed give the same stream whatever else runs. */
    void (*xRngDerive)(sl_ctx *ctx, const char *purpose, sl_rng *out);
    /* Seed a stream directly from an integer (e.g. a dataset's own seed). */
    void (*xRngSeed)(sl_rng *rng, uint64_t seed, const char *purpose);
    uint64_t (*xRngNext)(sl_rng *rng);
    double (*xRngUniform)(sl_rng *rng);            /* [0, 1) */
    double (*xRngNormal)(sl_rng *rng);             /* N(0, 1) */
    uint32_t (*xRngPoisson)(sl_rng *rng, double mean);

    /* Zeroed, 64-byte aligned memory; free with xFree. NULL on failure. */
    void *(*xAlloc)(size_t bytes);
    void (*xFree)(void *p);

    /* --- ABI 1.2 --- */

    /* Dense float32 matrix product, row-major:
     *   C = alpha * op(A) * op(B) + beta * C
     * op(A) is m x k (A stored k x m when trans_a), op(B) is k x n (B
     * stored n x k when trans_b), C is m x n; lda, ldb, ldc are the row
     * strides of A, B, C as stored. beta == 0: C is written, never read.
     * The kernel follows the numerics mode of the run whose component was
     * given this table at xCreate: BLAS by default; in portable mode the
     * engine's own fixed-order kernel (ARCHITECTURE.md, "What is
     * bit-identical"). A layer that multiplies matrices in its hot loop
     * calls this, once per product, through the table it was created
     * with, so that portable mode covers it. */
    void (*xGemm)(int trans_a, int trans_b, size_t m, size_t n, size_t k,
                  float alpha, const float *a, size_t lda, const float *b,
                  size_t ldb, float beta, float *c, size_t ldc);
} sl_host;

/* Text of a status code; static, never NULL. */
SL_EXPORT const char *sl_strerror(int status);

#ifdef __cplusplus
}
#endif
#endif
