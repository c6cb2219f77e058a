/* core/host.c — the host table plugins receive, and component contexts. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/host.h"
#include "engine/rng.h"

void sl__ctx_init(sl_ctx *ctx, sl__config *cfg, sl__setting *group,
                  uint64_t seed, const char *name)
{
    memset(ctx, 0, sizeof *ctx);
    ctx->cfg = cfg;
    ctx->group = group;
    ctx->seed = seed;
    snprintf(ctx->name, sizeof ctx->name, "%s", name ? name : "component");
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

/* Getters: without a config (a component made in code) every key is
 * absent and the default applies. Errors land on the context. */
static int h_get_int(sl_ctx *c, const char *key, int64_t def, int64_t *out)
{
    if (!c->cfg || !c->group) { *out = def; return SL_OK; }
    return sl__cfg_int(c->cfg, c->group, key, def, out, &c->err);
}

static int h_get_float(sl_ctx *c, const char *key, double def, double *out)
{
    if (!c->cfg || !c->group) { *out = def; return SL_OK; }
    return sl__cfg_float(c->cfg, c->group, key, def, out, &c->err);
}

static int h_get_bool(sl_ctx *c, const char *key, int def, int *out)
{
    if (!c->cfg || !c->group) { *out = def; return SL_OK; }
    return sl__cfg_bool(c->cfg, c->group, key, def, out, &c->err);
}

static int h_get_string(sl_ctx *c, const char *key, const char *def,
                        const char **out)
{
    if (!c->cfg || !c->group) { *out = def; return SL_OK; }
    return sl__cfg_string(c->cfg, c->group, key, def, out, &c->err);
}

static int h_get_floatvec(sl_ctx *c, const char *key, double def, float *out,
                          size_t n)
{
    if (!c->cfg || !c->group) {
        for (size_t i = 0; i < n; i++)
            out[i] = (float)def;
        return SL_OK;
    }
    return sl__cfg_floatvec(c->cfg, c->group, key, def, out, n, &c->err);
}

static int h_has_key(sl_ctx *c, const char *key)
{
    return c->cfg && c->group && sl__config_find(c->cfg, c->group, key);
}

static int h_error(sl_ctx *c, const char *key, int code, const char *fmt, ...)
{
    char msg[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (code >= 0)
        code = SL_EINVAL;
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
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "spikelab: %s: %s: ", c ? c->name : "?", names[level]);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void h_rng_derive(sl_ctx *c, const char *purpose, sl_rng *out)
{
    sl__rng_derive(out, c->seed, c->name, purpose);
}

static void *h_alloc(size_t bytes)
{
    size_t rounded = (bytes + 63) & ~(size_t)63;
    void *p = aligned_alloc(64, rounded ? rounded : 64);
    if (p)
        memset(p, 0, rounded ? rounded : 64);
    return p;
}

static void h_free(void *p) { free(p); }

const sl_host sl__host = {
    sizeof(sl_host), SL_ABI_MAJOR, SL_ABI_MINOR,
    h_get_int, h_get_float, h_get_bool, h_get_string, h_get_floatvec,
    h_has_key, h_error, h_log,
    h_rng_derive, sl__rng_seed, sl__rng_next, sl__rng_uniform,
    sl__rng_normal, sl__rng_poisson,
    h_alloc, h_free,
};
