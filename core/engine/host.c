/* core/engine/host.c — the host table plugins receive, and component contexts. */
#include <cblas.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/host.h"
#include "engine/kernels.h"
#include "engine/rng.h"

void sl__ctx_init(sl_ctx *ctx, sl__config *cfg, sl__setting *group,
                  uint64_t seed, const char *name)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->cfg = cfg;
    ctx->group = group;
    ctx->seed = seed;
    if (!name)
        name = "component";
    size_t len = strlen(name);
    ctx->name = ctx->name_buf;
    if (len >= sizeof ctx->name_buf && (ctx->name = malloc(len + 1)) == NULL) {
        ctx->name = ctx->name_buf;
        snprintf(ctx->name_buf, sizeof ctx->name_buf, "%.*s...",
                 (int)sizeof ctx->name_buf - 4, name);
        return;
    }
    memcpy(ctx->name, name, len + 1);
}

void sl__ctx_fini(sl_ctx *ctx)
{
    if (ctx && ctx->name && ctx->name != ctx->name_buf)
        free(ctx->name);
    if (ctx)
        ctx->name = ctx->name_buf;
}

int sl__ctx_take_error(sl_ctx *ctx, int code, sl__err *err)
{
    if (ctx->err.code && ctx->err.msg[0]) {
        if (err)
            *err = ctx->err;
        return ctx->err.code;
    }
    return sl__fail(err, code, "%s: %s", ctx->name, sl_strerror(code));
}

/* Every entry point of the host table tolerates NULL handles and NULL
 * pointers (issue 12): a plugin's mistake becomes a status (SL_EINVAL) and,
 * where there is a context, a message on it, never a crash of the host.
 * Getters still store `def` in *out when they can, so a plugin that ignores
 * the status reads a defined value. */
static int bad_call(sl_ctx *c, const char *fn, const char *what)
{
    if (c)
        sl__fail(&c->err, SL_EINVAL, "%s: %s called with %s", c->name, fn,
                 what);
    return SL_EINVAL;
}

/* Getters: without a config (a component made in code) every key is
 * absent and the default applies. Errors land on the context. */
static int h_get_int(sl_ctx *c, const char *key, int64_t def, int64_t *out)
{
    if (out)
        *out = def;
    if (!c || !key || !out)
        return bad_call(c, "xGetInt", !c ? "a NULL context"
                                     : !key ? "a NULL key" : "a NULL out");
    if (!c->cfg || !c->group) { *out = def; return SL_OK; }
    return sl__cfg_int(c->cfg, c->group, key, def, out, &c->err);
}

static int h_get_float(sl_ctx *c, const char *key, double def, double *out)
{
    if (out)
        *out = def;
    if (!c || !key || !out)
        return bad_call(c, "xGetFloat", !c ? "a NULL context"
                                       : !key ? "a NULL key" : "a NULL out");
    if (!c->cfg || !c->group) { *out = def; return SL_OK; }
    return sl__cfg_float(c->cfg, c->group, key, def, out, &c->err);
}

static int h_get_bool(sl_ctx *c, const char *key, int def, int *out)
{
    if (out)
        *out = def;
    if (!c || !key || !out)
        return bad_call(c, "xGetBool", !c ? "a NULL context"
                                      : !key ? "a NULL key" : "a NULL out");
    if (!c->cfg || !c->group) { *out = def; return SL_OK; }
    return sl__cfg_bool(c->cfg, c->group, key, def, out, &c->err);
}

/* def may be NULL (no default): *out is then NULL when the key is absent */
static int h_get_string(sl_ctx *c, const char *key, const char *def,
                        const char **out)
{
    if (out)
        *out = def;
    if (!c || !key || !out)
        return bad_call(c, "xGetString", !c ? "a NULL context"
                                        : !key ? "a NULL key" : "a NULL out");
    if (!c->cfg || !c->group) { *out = def; return SL_OK; }
    return sl__cfg_string(c->cfg, c->group, key, def, out, &c->err);
}

static int h_get_floatvec(sl_ctx *c, const char *key, double def, float *out,
                          size_t n)
{
    for (size_t i = 0; out && i < n; i++)
        out[i] = (float)def;
    if (!c || !key || (!out && n))
        return bad_call(c, "xGetFloatVec", !c ? "a NULL context"
                                          : !key ? "a NULL key"
                                                 : "a NULL out");
    if (!c->cfg || !c->group)
        return SL_OK;
    return sl__cfg_floatvec(c->cfg, c->group, key, def, out, n, &c->err);
}

static int h_has_key(sl_ctx *c, const char *key)
{
    return c && key && c->cfg && c->group &&
           sl__config_find(c->cfg, c->group, key);
}

static int h_error(sl_ctx *c, const char *key, int code, const char *fmt, ...)
{
    char msg[700] = "(no message: the plugin passed a NULL format)";
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
    }
    if (code >= 0)
        code = SL_EINVAL;
    if (!c) {
        /* nowhere to record it: say it rather than lose it */
        fprintf(stderr, "spikelab: a plugin reported an error without a "
                        "context: %s%s%s\n", key ? key : "", key ? ": " : "",
                msg);
        return code;
    }
    sl__setting *s = NULL;
    if (c->cfg && c->group)
        s = key ? sl__config_find(c->cfg, c->group, key) : c->group;
    if (s) {
        sl__cfg_error(c->cfg, s, &c->err, code, "%s", msg);
    } else if (c->cfg && c->group) {
        /* key absent: its default is what failed; point at the group */
        char where[512];
        char *path = sl__setting_path(c->group);
        sl__cfg_where(c->cfg, c->group, where, sizeof where);
        sl__fail(&c->err, code, "%s: %s%s%s: %s", where, path ? path : "",
                 path && *path ? "." : "", key ? key : "", msg);
        free(path);
    } else {
        sl__fail(&c->err, code, "%s%s%s: %s", c->name, key ? ": " : "",
                 key ? key : "", msg);
    }
    return code;
}

static void h_log(sl_ctx *c, int level, const char *fmt, ...)
{
    static const char *names[] = {"error", "warning", "info", "debug"};
    if (level > SL_LOG_INFO && !getenv("SPIKELAB_DEBUG"))
        return;
    if (level < 0 || level > 3)
        level = SL_LOG_INFO;
    fprintf(stderr, "spikelab: %s: %s: ", c ? c->name : "?", names[level]);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    } else {
        fputs("(NULL format)", stderr);
    }
    fputc('\n', stderr);
}

/* Random streams: a NULL stream draws nothing (0); a NULL context derives
 * from seed 0 and no name, a NULL purpose hashes as "". */
static void h_rng_derive(sl_ctx *c, const char *purpose, sl_rng *out)
{
    if (out)
        sl__rng_derive(out, c ? c->seed : 0, c ? c->name : "", purpose);
}

static void h_rng_seed(sl_rng *rng, uint64_t seed, const char *purpose)
{
    if (rng)
        sl__rng_seed(rng, seed, purpose);
}

static uint64_t h_rng_next(sl_rng *rng)
{
    return rng ? sl__rng_next(rng) : 0;
}

static double h_rng_uniform(sl_rng *rng)
{
    return rng ? sl__rng_uniform(rng) : 0.0;
}

static double h_rng_normal(sl_rng *rng)
{
    return rng ? sl__rng_normal(rng) : 0.0;
}

/* A mean beyond the result type saturates instead of running the
 * rejection loop on infinities. */
static uint32_t h_rng_poisson(sl_rng *rng, double mean)
{
    if (!rng)
        return 0;
    if (mean >= 4294967295.0)
        return UINT32_MAX;
    return sl__rng_poisson(rng, mean);
}

static void *h_alloc(size_t bytes)
{
    /* rounding up must not wrap a huge request into a tiny block */
    if (bytes > SIZE_MAX - 63)
        return NULL;
    size_t rounded = (bytes + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p)
        memset(p, 0, rounded ? rounded : 64);
    return p;
}

static void h_free(void *p) { free(p); }

/* xGemm in the default numerics mode: the BLAS the build links (its
 * kernel and thread count are recorded with each run, numenv.c). */
static void h_gemm_blas(int ta, int tb, size_t m, size_t n, size_t k,
                        float alpha, const float *a, size_t lda,
                        const float *b, size_t ldb, float beta, float *c,
                        size_t ldc)
{
    if (!m || !n)
        return;
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans,
                tb ? CblasTrans : CblasNoTrans, (int)m, (int)n,
                (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c,
                (int)ldc);
}

/* The two tables differ only in xGemm. Which one a component gets is
 * decided per run (sl__host_for), never by a global switch, so two runs
 * in one process may use different modes. */
#define SL__HOST_TABLE(gemm)                                                 \
    {                                                                        \
        sizeof(sl_host), SL_ABI_MAJOR, SL_ABI_MINOR,                         \
        h_get_int, h_get_float, h_get_bool, h_get_string, h_get_floatvec,    \
        h_has_key, h_error, h_log,                                           \
        h_rng_derive, h_rng_seed, h_rng_next, h_rng_uniform, h_rng_normal,   \
        h_rng_poisson,                                                       \
        h_alloc, h_free,                                                     \
        gemm,                                                                \
    }

const sl_host sl__host = SL__HOST_TABLE(h_gemm_blas);
/* portable numerics: the engine's fixed-order kernel (kernels.h) */
const sl_host sl__host_portable = SL__HOST_TABLE(sl__gemm_portable);

const sl_host *sl__host_for(sl__numerics mode)
{
    return mode == SL__NUMERICS_PORTABLE ? &sl__host_portable : &sl__host;
}
