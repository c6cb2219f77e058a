/* plugins/nef/fn.c — user functions in sandboxed Lua 5.4.
 *
 * Why Lua: a well-kept embedded language instead of a parser of our own
 * (issue 20). The sandbox: only the base (without load, loadfile, dofile,
 * require, collectgarbage, print), math, string and table libraries; no
 * io, os, package or debug; text chunks only (a binary chunk can break
 * the VM); an instruction budget per call through a count hook, so a
 * runaway function is an error, not a hang; and an allocator with a cap,
 * so a function that allocates without end is an error, not an OOM kill.
 * Node functions are evaluated at build for every step (sim.c), so no
 * Lua runs inside the time loop. */
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nef.h"

#define NEF_LUA_MEM_CAP (64u << 20)
#define NEF_LUA_HOOK_EVERY 1000

struct nef_lua {
    lua_State *L;
    int64_t budget, count;
    size_t mem;
    const nef_probe_data *probes; /* during nef_lua_results */
    size_t n_probes;
};

static void *cap_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    nef_lua *s = ud;
    if (!ptr)
        osize = 0;
    if (nsize == 0) {
        s->mem -= osize;
        free(ptr);
        return NULL;
    }
    if (nsize > osize && s->mem + (nsize - osize) > NEF_LUA_MEM_CAP)
        return NULL; /* Lua raises "not enough memory" */
    void *p = realloc(ptr, nsize);
    if (p)
        s->mem = s->mem - osize + nsize;
    return p;
}

static void count_hook(lua_State *L, lua_Debug *ar)
{
    (void)ar;
    nef_lua *s;
    lua_getallocf(L, (void **)&s);
    s->count += NEF_LUA_HOOK_EVERY;
    if (s->count > s->budget)
        luaL_error(L, "instruction budget of %I exceeded (a runaway "
                   "loop?)", (lua_Integer)s->budget);
}

int nef_lua_new(nef_lua **out, int64_t budget, char *err, size_t errlen)
{
    *out = NULL;
    nef_lua *s = calloc(1, sizeof *s);
    if (!s)
        return SL_ENOMEM;
    s->budget = budget > 0 ? budget : 1000000;
    s->L = lua_newstate(cap_alloc, s);
    if (!s->L) {
        free(s);
        snprintf(err, errlen, "cannot create a Lua state");
        return SL_ENOMEM;
    }
    lua_State *L = s->L;
    luaL_requiref(L, LUA_GNAME, luaopen_base, 1);
    luaL_requiref(L, LUA_MATHLIBNAME, luaopen_math, 1);
    luaL_requiref(L, LUA_STRLIBNAME, luaopen_string, 1);
    luaL_requiref(L, LUA_TABLIBNAME, luaopen_table, 1);
    lua_pop(L, 4);
    static const char *const banned[] = {"load", "loadfile", "dofile",
                                         "require", "collectgarbage",
                                         "print"};
    for (size_t i = 0; i < sizeof banned / sizeof banned[0]; i++) {
        lua_pushnil(L);
        lua_setglobal(L, banned[i]);
    }
    /* math.random would be a source of draws outside the run seed */
    lua_getglobal(L, "math");
    lua_pushnil(L);
    lua_setfield(L, -2, "random");
    lua_pushnil(L);
    lua_setfield(L, -2, "randomseed");
    lua_pop(L, 1);
    lua_getglobal(L, "string");
    lua_pushnil(L);
    lua_setfield(L, -2, "dump");
    lua_pop(L, 1);
    lua_sethook(L, count_hook, LUA_MASKCOUNT, NEF_LUA_HOOK_EVERY);
    *out = s;
    return SL_OK;
}

void nef_lua_free(nef_lua *s)
{
    if (!s)
        return;
    lua_close(s->L);
    free(s);
}

static int fail(lua_State *L, char *err, size_t errlen, const char *what)
{
    const char *m = lua_tostring(L, -1);
    snprintf(err, errlen, "%s: %s", what, m ? m : "error");
    lua_pop(L, 1);
    return SL_ECONFIG;
}

int nef_lua_compile(nef_lua *s, const char *src, const char *what, int *ref,
                    char *err, size_t errlen)
{
    lua_State *L = s->L;
    size_t n = strlen(src);
    char *chunk = malloc(n + 8);
    if (!chunk)
        return SL_ENOMEM;
    memcpy(chunk, "return ", 7);
    memcpy(chunk + 7, src, n + 1);
    s->count = 0;
    int rc = luaL_loadbufferx(L, chunk, n + 7, what, "t");
    free(chunk);
    if (rc != LUA_OK)
        return fail(L, err, errlen, "Lua syntax error");
    if (lua_pcall(L, 0, 1, 0) != LUA_OK)
        return fail(L, err, errlen, "Lua error");
    if (!lua_isfunction(L, -1)) {
        snprintf(err, errlen, "the Lua code is %s, not a function "
                 "(write \"function(t) ... end\")", luaL_typename(L, -1));
        lua_pop(L, 1);
        return SL_ECONFIG;
    }
    *ref = luaL_ref(L, LUA_REGISTRYINDEX);
    return SL_OK;
}

int nef_lua_call(nef_lua *s, int ref, const double *arg, size_t n_arg,
                 int vector_arg, double *out, size_t cap, size_t *len,
                 char *err, size_t errlen)
{
    lua_State *L = s->L;
    *len = 0;
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    if (vector_arg) {
        lua_createtable(L, (int)n_arg, 0);
        for (size_t i = 0; i < n_arg; i++) {
            lua_pushnumber(L, arg[i]);
            lua_rawseti(L, -2, (lua_Integer)i + 1);
        }
    } else {
        lua_pushnumber(L, arg[0]);
    }
    s->count = 0;
    if (lua_pcall(L, 1, 1, 0) != LUA_OK)
        return fail(L, err, errlen, "Lua error");
    int rc = SL_OK;
    if (lua_type(L, -1) == LUA_TNUMBER) {
        if (cap < 1) {
            snprintf(err, errlen, "returned 1 value, expected 0");
            rc = SL_ECONFIG;
        } else {
            out[0] = lua_tonumber(L, -1);
            *len = 1;
        }
    } else if (lua_type(L, -1) == LUA_TTABLE) {
        lua_Integer m = (lua_Integer)lua_rawlen(L, -1);
        if ((size_t)m > cap) {
            snprintf(err, errlen, "returned %lld values, expected %zu",
                     (long long)m, cap);
            rc = SL_ECONFIG;
        }
        for (lua_Integer i = 1; !rc && i <= m; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_type(L, -1) != LUA_TNUMBER) {
                snprintf(err, errlen, "element %lld of the returned list "
                         "is %s, not a number", (long long)i,
                         luaL_typename(L, -1));
                rc = SL_ECONFIG;
            } else {
                out[i - 1] = lua_tonumber(L, -1);
            }
            lua_pop(L, 1);
        }
        if (!rc)
            *len = (size_t)m;
    } else {
        snprintf(err, errlen, "returned %s, not a number or a list of "
                 "numbers", luaL_typename(L, -1));
        rc = SL_ECONFIG;
    }
    for (size_t i = 0; !rc && i < *len; i++)
        if (!isfinite(out[i])) {
            snprintf(err, errlen, "returned a value that is not finite "
                     "(%g) at element %zu", out[i], i + 1);
            rc = SL_ECONFIG;
        }
    lua_pop(L, 1);
    return rc;
}

/* ---- the results function and its probe helpers -------------------- */

static const nef_probe_data *probe_arg(lua_State *L, nef_lua *s, int idx)
{
    const char *name = luaL_checkstring(L, idx);
    for (size_t i = 0; i < s->n_probes; i++)
        if (strcmp(s->probes[i].name, name) == 0)
            return &s->probes[i];
    luaL_error(L, "no probe named '%s'", name);
    return NULL;
}

/* steps with t0 < t_n <= t1, t_n = n dt */
static void window(lua_State *L, const nef_probe_data *p, double t0,
                   double t1, size_t *a, size_t *b)
{
    double fa = floor(t0 / p->dt + 1e-9) + 1, fb = floor(t1 / p->dt + 1e-9);
    if (fa < 1)
        fa = 1;
    if (fb > (double)p->steps)
        fb = (double)p->steps;
    if (!(fb >= fa))
        luaL_error(L, "window (%f, %f] holds no step of the run (%I "
                   "steps of %f s)", t0, t1, (lua_Integer)p->steps, p->dt);
    *a = (size_t)fa - 1;
    *b = (size_t)fb;
}

static void dims_arg(lua_State *L, const nef_probe_data *p, int idx,
                     size_t *d0, size_t *d1)
{
    if (lua_isnoneornil(L, idx)) {
        *d0 = 0;
        *d1 = p->dims;
        return;
    }
    lua_Integer j = luaL_checkinteger(L, idx);
    if (j < 1 || (size_t)j > p->dims)
        luaL_error(L, "probe '%s' has %I dimensions, not %I", p->name,
                   (lua_Integer)p->dims, (lua_Integer)j);
    *d0 = (size_t)j - 1;
    *d1 = (size_t)j;
}

/* rms(probe, t0, t1 [, dim]) and rms_diff(a, b, t0, t1 [, dim]) */
static int l_rms_common(lua_State *L, int diff)
{
    nef_lua *s = lua_touserdata(L, lua_upvalueindex(1));
    const nef_probe_data *p = probe_arg(L, s, 1), *q = NULL;
    int at = 2;
    if (diff) {
        q = probe_arg(L, s, 2);
        if (q->dims != p->dims || q->steps != p->steps)
            luaL_error(L, "probes '%s' and '%s' differ in shape", p->name,
                       q->name);
        at = 3;
    }
    size_t a, b, d0, d1;
    window(L, p, luaL_checknumber(L, at), luaL_checknumber(L, at + 1), &a,
           &b);
    dims_arg(L, p, at + 2, &d0, &d1);
    double sum = 0.0;
    for (size_t n = a; n < b; n++)
        for (size_t j = d0; j < d1; j++) {
            double v = p->data[n * p->dims + j];
            if (q)
                v -= q->data[n * q->dims + j];
            sum += v * v;
        }
    lua_pushnumber(L, sqrt(sum / (double)((b - a) * (d1 - d0))));
    return 1;
}

static int l_rms(lua_State *L) { return l_rms_common(L, 0); }
static int l_rms_diff(lua_State *L) { return l_rms_common(L, 1); }

/* max_abs(probe, t0, t1 [, dim]) */
static int l_max_abs(lua_State *L)
{
    nef_lua *s = lua_touserdata(L, lua_upvalueindex(1));
    const nef_probe_data *p = probe_arg(L, s, 1);
    size_t a, b, d0, d1;
    window(L, p, luaL_checknumber(L, 2), luaL_checknumber(L, 3), &a, &b);
    dims_arg(L, p, 4, &d0, &d1);
    double m = 0.0;
    for (size_t n = a; n < b; n++)
        for (size_t j = d0; j < d1; j++) {
            double v = fabs(p->data[n * p->dims + j]);
            if (v > m)
                m = v;
        }
    lua_pushnumber(L, m);
    return 1;
}

/* at(probe, t [, dim]): the value at the step with t_n = t (nearest) */
static int l_at(lua_State *L)
{
    nef_lua *s = lua_touserdata(L, lua_upvalueindex(1));
    const nef_probe_data *p = probe_arg(L, s, 1);
    double t = luaL_checknumber(L, 2);
    double n = floor(t / p->dt + 0.5);
    if (n < 1 || n > (double)p->steps)
        luaL_error(L, "t = %f is outside the run (%I steps of %f s)", t,
                   (lua_Integer)p->steps, p->dt);
    size_t d0, d1;
    dims_arg(L, p, 3, &d0, &d1);
    if (d1 - d0 != 1)
        luaL_error(L, "probe '%s' has %I dimensions: give one", p->name,
                   (lua_Integer)p->dims);
    lua_pushnumber(L, p->data[((size_t)n - 1) * p->dims + d0]);
    return 1;
}

int nef_lua_results(nef_lua *s, int ref, const nef_probe_data *p, size_t n,
                    int (*emit)(void *u, const char *name, double v),
                    void *u, char *err, size_t errlen)
{
    lua_State *L = s->L;
    s->probes = p;
    s->n_probes = n;
    static const luaL_Reg fns[] = {{"rms", l_rms}, {"rms_diff", l_rms_diff},
                                   {"max_abs", l_max_abs}, {"at", l_at},
                                   {NULL, NULL}};
    for (const luaL_Reg *f = fns; f->name; f++) {
        lua_pushlightuserdata(L, s);
        lua_pushcclosure(L, f->func, 1);
        lua_setglobal(L, f->name);
    }
    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    s->count = 0;
    int rc = SL_OK;
    if (lua_pcall(L, 0, 1, 0) != LUA_OK) {
        rc = fail(L, err, errlen, "Lua error");
        goto out;
    }
    if (!lua_istable(L, -1)) {
        snprintf(err, errlen, "returned %s, not a table { name = value }",
                 luaL_typename(L, -1));
        lua_pop(L, 1);
        rc = SL_ECONFIG;
        goto out;
    }
    /* in name order, so the report does not depend on the hash order */
    {
        char *names[256];
        size_t k = 0;
        lua_pushnil(L);
        while (lua_next(L, -2) != 0) {
            if (lua_type(L, -2) == LUA_TSTRING && k < 256)
                names[k++] = strdup(lua_tostring(L, -2));
            lua_pop(L, 1);
        }
        for (size_t i = 1; i < k; i++)
            for (size_t j = i; j > 0 && names[j] && names[j - 1] &&
                               strcmp(names[j - 1], names[j]) > 0; j--) {
                char *t = names[j];
                names[j] = names[j - 1];
                names[j - 1] = t;
            }
        for (size_t i = 0; i < k; i++) {
            if (!names[i]) {
                rc = SL_ENOMEM;
                continue;
            }
            lua_getfield(L, -1, names[i]);
            double v;
            if (lua_isboolean(L, -1))
                v = lua_toboolean(L, -1) ? 1.0 : 0.0;
            else if (lua_type(L, -1) == LUA_TNUMBER)
                v = lua_tonumber(L, -1);
            else {
                if (!rc) {
                    snprintf(err, errlen, "result '%s' is %s, not a number "
                             "or a boolean", names[i], luaL_typename(L, -1));
                    rc = SL_ECONFIG;
                }
                v = NAN;
            }
            lua_pop(L, 1);
            if (!rc)
                rc = emit(u, names[i], v);
        }
        for (size_t i = 0; i < k; i++)
            free(names[i]);
    }
    lua_pop(L, 1);
out:
    s->probes = NULL;
    s->n_probes = 0;
    return rc;
}
