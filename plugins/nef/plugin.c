/* plugins/nef/plugin.c — the "nef" component: an NEF model read from the
 * experiment's `model` group, run by the core's simulate mode through
 * the extension sl.simulate.v1 (spikelab/simulate.h).
 *
 *   model = {
 *     type = "nef";
 *     ensembles = ( { name = "pre"; n_neurons = 60; dimensions = 1; }, ... );
 *     nodes = ( { name = "stim"; output = "white_signal"; high = 5.0; }, ... );
 *     connections = ( { from = "pre"; to = "post"; function = "random";
 *                       pes = { learning_rate = 1e-4; }; }, ... );
 *     probes = ( { name = "post_p"; target = "post"; synapse = 0.01; }, ... );
 *     results = "function() return { x = rms('post_p', 0, 2) } end";
 *   };
 * Every object is read and checked here, at experiment load: unknown
 * names, slices out of range, sizes that do not match and Lua that does
 * not compile are errors naming the object's key and line. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <spikelab/backend.h>
#include <spikelab/plugin.h>
#include <spikelab/simulate.h>

#include "nef.h"

static const sl_host *H;

/* snprintf whose cut is harmless here: keys are far shorter than the
 * buffers (names are at most 64 characters), and a cut message is still
 * a message */
static void fmt_to(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt_to(char *buf, size_t len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, len, fmt, ap);
    va_end(ap);
    if (n < 0 && len)
        buf[0] = '\0';
}

typedef struct nef_self {
    sl_ctx *ctx;
    nef_model m;
    int built;
    size_t n_probes;
} nef_self;

#define MAXOBJ 4096

static size_t list_len(sl_ctx *ctx, const char *list)
{
    char k[64];
    size_t n = 0;
    for (; n < MAXOBJ; n++) {
        fmt_to(k, sizeof k, "%s.[%zu]", list, n);
        if (!H->xHasKey(ctx, k))
            break;
    }
    return n;
}

/* "key.member" of list element `base` ("nodes.[3]") */
static const char *mk(char *buf, size_t len, const char *base,
                      const char *member)
{
    fmt_to(buf, len, "%s.%s", base, member);
    return buf;
}

static int get_name(sl_ctx *ctx, const char *base, const char *member,
                    int required, char **out)
{
    char k[96];
    const char *s = NULL;
    int rc = H->xGetString(ctx, mk(k, sizeof k, base, member), NULL, &s);
    if (rc)
        return rc;
    if (!s) {
        *out = NULL;
        return required ? H->xError(ctx, base, SL_ECONFIG, "missing '%s'",
                                    member)
                        : SL_OK;
    }
    if (!*s || strpbrk(s, "[]. ") || strlen(s) > 64)
        return H->xError(ctx, k, SL_ECONFIG, "'%s' is not a valid name (1 "
                         "to 64 characters, no '.', '[', ']' or space)", s);
    *out = strdup(s);
    return *out ? SL_OK : SL_ENOMEM;
}

/* Find an object name among ensembles, nodes and named connections. */
static int find_obj(const nef_model *m, const char *name, size_t len,
                    int *kind, size_t *idx)
{
    for (size_t i = 0; i < m->n_ens; i++)
        if (strlen(m->ens[i].name) == len && !strncmp(m->ens[i].name, name, len)) {
            *kind = NEF_REF_ENS;
            *idx = i;
            return 1;
        }
    for (size_t i = 0; i < m->n_nodes; i++)
        if (strlen(m->nodes[i].name) == len &&
            !strncmp(m->nodes[i].name, name, len)) {
            *kind = NEF_REF_NODE;
            *idx = i;
            return 1;
        }
    for (size_t i = 0; i < m->n_conns; i++)
        if (m->conns[i].name && strlen(m->conns[i].name) == len &&
            !strncmp(m->conns[i].name, name, len)) {
            *kind = NEF_REF_RULE;
            *idx = i;
            return 1;
        }
    return 0;
}

/* "name", "name[a:b]", "name.neurons", "name.learning_rule" */
static int parse_ref(nef_self *s, const char *key, const char *txt,
                     nef_ref *r)
{
    sl_ctx *ctx = s->ctx;
    const nef_model *m = &s->m;
    size_t len = strcspn(txt, "[.");
    int kind;
    size_t idx;
    if (!find_obj(m, txt, len, &kind, &idx))
        return H->xError(ctx, key, SL_ECONFIG, "no ensemble, node or named "
                         "connection called '%.*s'", (int)len, txt);
    const char *rest = txt + len;
    r->idx = idx;
    if (!strcmp(rest, ".neurons")) {
        if (kind != NEF_REF_ENS)
            return H->xError(ctx, key, SL_ECONFIG, "'%.*s' is not an "
                             "ensemble: only ensembles have .neurons",
                             (int)len, txt);
        r->kind = NEF_REF_NEURONS;
        r->lo = 0;
        r->hi = m->ens[idx].n;
        return SL_OK;
    }
    if (!strcmp(rest, ".learning_rule")) {
        if (kind != NEF_REF_RULE || !m->conns[idx].pes)
            return H->xError(ctx, key, SL_ECONFIG, "'%.*s' is not a "
                             "connection with a learning rule (pes = "
                             "{ ... })", (int)len, txt);
        r->kind = NEF_REF_RULE;
        r->lo = 0;
        r->hi = m->conns[idx].d_out;
        return SL_OK;
    }
    if (kind == NEF_REF_RULE)
        return H->xError(ctx, key, SL_ECONFIG, "'%.*s' is a connection: "
                         "connect to '%.*s.learning_rule'", (int)len, txt,
                         (int)len, txt);
    size_t dims = kind == NEF_REF_ENS ? m->ens[idx].d : m->nodes[idx].d;
    r->kind = kind;
    r->lo = 0;
    r->hi = dims;
    if (!*rest)
        return SL_OK;
    long a, b;
    int used = 0;
    if (sscanf(rest, "[%ld:%ld]%n", &a, &b, &used) == 2 &&
        rest[used] == '\0') {
        if (a < 0 || b <= a || (size_t)b > dims)
            return H->xError(ctx, key, SL_ECONFIG, "slice [%ld:%ld] of '%.*s' "
                             "is out of range: it has %zu dimensions", a, b,
                             (int)len, txt, dims);
        r->lo = (size_t)a;
        r->hi = (size_t)b;
        return SL_OK;
    }
    return H->xError(ctx, key, SL_ECONFIG, "cannot read '%s': write NAME, "
                     "NAME[a:b], NAME.neurons or CONNECTION.learning_rule",
                     txt);
}

static int get_range(sl_ctx *ctx, const char *key, double lo, double hi,
                     double *out_lo, double *out_hi)
{
    float v[2];
    *out_lo = lo;
    *out_hi = hi;
    if (!H->xHasKey(ctx, key))
        return SL_OK;
    int rc = H->xGetFloatVec(ctx, key, 0.0, v, 2);
    if (rc)
        return rc;
    /* the file's numbers as written: re-read them as doubles */
    char k[128];
    double d0, d1;
    fmt_to(k, sizeof k, "%s.[0]", key);
    if ((rc = H->xGetFloat(ctx, k, 0.0, &d0)))
        return rc;
    fmt_to(k, sizeof k, "%s.[1]", key);
    if ((rc = H->xGetFloat(ctx, k, 0.0, &d1)))
        return rc;
    if (!(d0 < d1))
        return H->xError(ctx, key, SL_ECONFIG, "[low, high] with low < high");
    *out_lo = d0;
    *out_hi = d1;
    return SL_OK;
}

/* A list of doubles at key (or one number when scalar_ok): *n values. */
static int get_doubles(sl_ctx *ctx, const char *key, double **out, size_t *n)
{
    char k[128];
    *out = NULL;
    *n = 0;
    double v;
    if (!H->xHasKey(ctx, key))
        return SL_OK;
    fmt_to(k, sizeof k, "%s.[0]", key);
    if (!H->xHasKey(ctx, k)) {
        int rc = H->xGetFloat(ctx, key, 0.0, &v);
        if (rc)
            return rc;
        *out = malloc(sizeof(double));
        if (!*out)
            return SL_ENOMEM;
        **out = v;
        *n = 1;
        return SL_OK;
    }
    size_t len = list_len(ctx, key);
    /* mark the list itself as read */
    float f;
    (void)H->xGetFloatVec(ctx, key, 0.0, &f, 0);
    *out = malloc((len ? len : 1) * sizeof(double));
    if (!*out)
        return SL_ENOMEM;
    for (size_t i = 0; i < len; i++) {
        fmt_to(k, sizeof k, "%s.[%zu]", key, i);
        int rc = H->xGetFloat(ctx, k, 0.0, &(*out)[i]);
        if (rc)
            return rc;
    }
    *n = len;
    return SL_OK;
}

static int read_ensembles(nef_self *s)
{
    sl_ctx *ctx = s->ctx;
    nef_model *m = &s->m;
    size_t n = list_len(ctx, "ensembles");
    m->ens = calloc(n + 1, sizeof *m->ens);
    if (!m->ens)
        return SL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        nef_ens *e = &m->ens[i];
        m->n_ens = i + 1;
        char *b = e->key, k[96];
        fmt_to(b, sizeof e->key, "ensembles.[%zu]", i);
        int64_t nn, d, seed, ne;
        double radius, tau_rc, tau_ref;
        int rc;
        if ((rc = get_name(ctx, b, "name", 1, &e->name)) ||
            (rc = H->xGetInt(ctx, mk(k, sizeof k, b, "n_neurons"), 0, &nn)) ||
            (rc = H->xGetInt(ctx, mk(k, sizeof k, b, "dimensions"), 1, &d)) ||
            (rc = H->xGetInt(ctx, mk(k, sizeof k, b, "seed"), -1, &seed)) ||
            (rc = H->xGetInt(ctx, mk(k, sizeof k, b, "n_eval_points"), 0,
                             &ne)) ||
            (rc = H->xGetFloat(ctx, mk(k, sizeof k, b, "radius"), 1.0,
                               &radius)) ||
            (rc = H->xGetFloat(ctx, mk(k, sizeof k, b, "tau_rc"), 0.02,
                               &tau_rc)) ||
            (rc = H->xGetFloat(ctx, mk(k, sizeof k, b, "tau_ref"), 0.002,
                               &tau_ref)) ||
            (rc = get_range(ctx, mk(k, sizeof k, b, "max_rates"), 200, 400,
                            &e->max_rate_lo, &e->max_rate_hi)) ||
            (rc = get_range(ctx, mk(k, sizeof k, b, "intercepts"), -1, 0.9,
                            &e->icpt_lo, &e->icpt_hi)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->ens[j].name, e->name))
                return H->xError(ctx, mk(k, sizeof k, b, "name"), SL_ECONFIG,
                                 "two ensembles are called '%s'", e->name);
        if (nn < 1 || nn > 1000000)
            return H->xError(ctx, mk(k, sizeof k, b, "n_neurons"), SL_ECONFIG,
                             "ensemble '%s': n_neurons must be 1 to 1000000",
                             e->name);
        if (d < 1 || d > 64)
            return H->xError(ctx, mk(k, sizeof k, b, "dimensions"),
                             SL_ECONFIG, "ensemble '%s': dimensions must be "
                             "1 to 64", e->name);
        if (seed < -1 || seed > 0xFFFFFFFFLL)
            return H->xError(ctx, mk(k, sizeof k, b, "seed"), SL_ECONFIG,
                             "ensemble '%s': seed must be 0 to 2^32-1",
                             e->name);
        if (ne < 0 || ne > 100000)
            return H->xError(ctx, mk(k, sizeof k, b, "n_eval_points"),
                             SL_ECONFIG, "ensemble '%s': 0 (default) to "
                             "100000", e->name);
        if (!(radius > 0) || !(tau_rc > 0) || !(tau_ref >= 0))
            return H->xError(ctx, b, SL_ECONFIG, "ensemble '%s': radius and "
                             "tau_rc must be > 0, tau_ref >= 0", e->name);
        if (!(e->max_rate_lo > 0) || !(e->max_rate_hi < 1.0 / tau_ref))
            return H->xError(ctx, mk(k, sizeof k, b, "max_rates"), SL_ECONFIG,
                             "ensemble '%s': max rates must lie in (0, "
                             "1/tau_ref = %g Hz)", e->name, 1.0 / tau_ref);
        if (!(e->icpt_lo >= -1e6) || !(e->icpt_hi < 1.0))
            return H->xError(ctx, mk(k, sizeof k, b, "intercepts"),
                             SL_ECONFIG, "ensemble '%s': intercepts must be "
                             "< 1", e->name);
        e->n = (size_t)nn;
        e->d = (size_t)d;
        e->seed = seed;
        e->n_eval = ne;
        e->radius = radius;
        e->lif = (nef_lif)NEF_LIF_DEFAULT;
        e->lif.tau_rc = tau_rc;
        e->lif.tau_ref = tau_ref;
    }
    return SL_OK;
}

static int is_lua(const char *s)
{
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    return !strncmp(s, "function", 8);
}

static int read_nodes(nef_self *s)
{
    sl_ctx *ctx = s->ctx;
    nef_model *m = &s->m;
    size_t n = list_len(ctx, "nodes");
    m->nodes = calloc(n + 1, sizeof *m->nodes);
    if (!m->nodes)
        return SL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        nef_node *nd = &m->nodes[i];
        m->n_nodes = i + 1;
        char *b = nd->key, k[96];
        fmt_to(b, sizeof nd->key, "nodes.[%zu]", i);
        int rc;
        int64_t d, seed;
        if ((rc = get_name(ctx, b, "name", 1, &nd->name)) ||
            (rc = H->xGetInt(ctx, mk(k, sizeof k, b, "dimensions"), 0, &d)) ||
            (rc = H->xGetInt(ctx, mk(k, sizeof k, b, "seed"), -1, &seed)))
            return rc;
        for (size_t j = 0; j < m->n_ens; j++)
            if (!strcmp(m->ens[j].name, nd->name))
                return H->xError(ctx, mk(k, sizeof k, b, "name"), SL_ECONFIG,
                                 "'%s' already names an ensemble", nd->name);
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->nodes[j].name, nd->name))
                return H->xError(ctx, mk(k, sizeof k, b, "name"), SL_ECONFIG,
                                 "two nodes are called '%s'", nd->name);
        if (d < 0 || d > 64 || seed < -1 || seed > 0xFFFFFFFFLL)
            return H->xError(ctx, b, SL_ECONFIG, "node '%s': dimensions 1 "
                             "to 64, seed 0 to 2^32-1", nd->name);
        nd->seed = seed;
        const char *out = NULL;
        mk(k, sizeof k, b, "output");
        if (!H->xHasKey(ctx, k))
            return H->xError(ctx, b, SL_ECONFIG, "node '%s': missing "
                             "'output' (numbers, \"white_signal\", "
                             "\"schedule\" or a Lua function(t))", nd->name);
        char ok[96];
        fmt_to(ok, sizeof ok, "%s.[0]", k);
        int is_str = !H->xHasKey(ctx, ok) &&
                     H->xGetString(ctx, k, NULL, &out) == SL_OK && out;
        if (!is_str) {
            if ((rc = get_doubles(ctx, k, &nd->value, &nd->d)))
                return rc;
            if (nd->d == 0)
                return H->xError(ctx, k, SL_ECONFIG, "node '%s': an empty "
                                 "output", nd->name);
            if (d && (size_t)d != nd->d)
                return H->xError(ctx, k, SL_ECONFIG, "node '%s': %zu values "
                                 "but dimensions = %lld", nd->name, nd->d,
                                 (long long)d);
            nd->kind = NEF_NODE_CONST;
            continue;
        }
        nd->d = d ? (size_t)d : 1;
        if (!strcmp(out, "white_signal")) {
            nd->kind = NEF_NODE_WHITE;
            if ((rc = H->xGetFloat(ctx, mk(k, sizeof k, b, "period"), 10.0,
                                   &nd->period)) ||
                (rc = H->xGetFloat(ctx, mk(k, sizeof k, b, "high"), 0.0,
                                   &nd->high)) ||
                (rc = H->xGetFloat(ctx, mk(k, sizeof k, b, "rms"), 0.5,
                                   &nd->rms)))
                return rc;
            if (!(nd->period > 0) || !(nd->high > 0) || !(nd->rms >= 0) ||
                nd->period > 1e5)
                return H->xError(ctx, b, SL_ECONFIG, "node '%s': "
                                 "white_signal needs period > 0 (at most "
                                 "1e5 s), high > 0 and rms >= 0", nd->name);
        } else if (!strcmp(out, "schedule")) {
            nd->kind = NEF_NODE_SCHEDULE;
            size_t nv;
            if ((rc = H->xGetFloat(ctx, mk(k, sizeof k, b, "period"), 10.0,
                                   &nd->period)) ||
                (rc = get_doubles(ctx, mk(k, sizeof k, b, "value"),
                                  &nd->value, &nv)))
                return rc;
            if (!(nd->period >= 0))
                return H->xError(ctx, k, SL_ECONFIG, "node '%s': period >= "
                                 "0 (0: not periodic)", nd->name);
            double *full = calloc(nd->d, sizeof(double));
            if (!full)
                return SL_ENOMEM;
            if (nv == 1)
                for (size_t q = 0; q < nd->d; q++)
                    full[q] = nd->value[0];
            else if (nv == nd->d)
                memcpy(full, nd->value, nd->d * sizeof(double));
            else if (nv) {
                free(full);
                return H->xError(ctx, mk(k, sizeof k, b, "value"),
                                 SL_ECONFIG, "node '%s': %zu values, "
                                 "dimensions = %zu", nd->name, nv, nd->d);
            }
            free(nd->value);
            nd->value = full;
            char pk[96];
            mk(pk, sizeof pk, b, "pieces");
            size_t np = list_len(ctx, pk);
            nd->pieces = calloc(np + 1, sizeof *nd->pieces);
            if (!nd->pieces)
                return SL_ENOMEM;
            for (size_t p = 0; p < np; p++) {
                nef_piece *pc = &nd->pieces[p];
                nd->n_pieces = p + 1;
                char pb[96];
                fmt_to(pb, sizeof pb, "%s.[%zu]", pk, p);
                if ((rc = H->xGetFloat(ctx, mk(k, sizeof k, pb, "from"), 0.0,
                                       &pc->from)) ||
                    (rc = H->xGetFloat(ctx, mk(k, sizeof k, pb, "to"), 0.0,
                                       &pc->to)) ||
                    (rc = get_doubles(ctx, mk(k, sizeof k, pb, "value"),
                                      &pc->value, &nv)))
                    return rc;
                if (nv == 1 && nd->d > 1) {
                    double v = pc->value[0];
                    free(pc->value);
                    if (!(pc->value = malloc(nd->d * sizeof(double))))
                        return SL_ENOMEM;
                    for (size_t q = 0; q < nd->d; q++)
                        pc->value[q] = v;
                } else if (nv != nd->d) {
                    return H->xError(ctx, k, SL_ECONFIG, "node '%s': a piece "
                                     "with %zu values, dimensions = %zu",
                                     nd->name, nv, nd->d);
                }
                if (!(pc->from < pc->to))
                    return H->xError(ctx, pb, SL_ECONFIG, "node '%s': a "
                                     "piece needs from < to", nd->name);
            }
        } else if (is_lua(out)) {
            nd->kind = NEF_NODE_LUA;
            char e[300];
            if ((rc = nef_lua_compile(m->lua, out, nd->name, &nd->lua_ref, e,
                                      sizeof e)))
                return H->xError(ctx, k, rc, "node '%s': %s", nd->name, e);
            /* the length is checked at build, at every step */
            if (!d) {
                double t = 0.0, v[64];
                size_t got;
                if ((rc = nef_lua_call(m->lua, nd->lua_ref, &t, 1, 0, v, 64,
                                       &got, e, sizeof e)))
                    return H->xError(ctx, k, rc, "node '%s': output "
                                     "function at t = 0: %s", nd->name, e);
                if (got == 0)
                    return H->xError(ctx, k, SL_ECONFIG, "node '%s': the "
                                     "function returned no value", nd->name);
                nd->d = got;
            }
        } else {
            return H->xError(ctx, k, SL_ECONFIG, "node '%s': unknown output "
                             "'%s' (numbers, \"white_signal\", \"schedule\" "
                             "or a Lua \"function(t) ... end\")", nd->name,
                             out);
        }
    }
    return SL_OK;
}

static int read_connections(nef_self *s)
{
    sl_ctx *ctx = s->ctx;
    nef_model *m = &s->m;
    size_t n = list_len(ctx, "connections");
    m->conns = calloc(n + 1, sizeof *m->conns);
    if (!m->conns)
        return SL_ENOMEM;
    /* names and learning rules first, so that an error connection may
     * refer to a rule whatever the order of the list */
    for (size_t i = 0; i < n; i++) {
        nef_conn *c = &m->conns[i];
        m->n_conns = i + 1;
        fmt_to(c->key, sizeof c->key, "connections.[%zu]", i);
        char k[96];
        int rc;
        if ((rc = get_name(ctx, c->key, "name", 0, &c->name)))
            return rc;
        int kind;
        size_t idx;
        if (c->name) {
            m->n_conns = i; /* only the earlier ones */
            int dup = find_obj(m, c->name, strlen(c->name), &kind, &idx);
            m->n_conns = i + 1;
            if (dup)
                return H->xError(ctx, mk(k, sizeof k, c->key, "name"),
                                 SL_ECONFIG, "'%s' already names another "
                                 "object", c->name);
        }
        mk(k, sizeof k, c->key, "pes");
        if (H->xHasKey(ctx, k)) {
            c->pes = 1;
            if ((rc = H->xGetFloat(ctx, mk(k, sizeof k, c->key,
                                           "pes.learning_rate"), 1e-4,
                                   &c->kappa)) ||
                (rc = H->xGetFloat(ctx, mk(k, sizeof k, c->key,
                                           "pes.pre_synapse"), 0.005,
                                   &c->tau_pre)))
                return rc;
            if (!(c->kappa >= 0) || !(c->tau_pre > 0))
                return H->xError(ctx, mk(k, sizeof k, c->key, "pes"),
                                 SL_ECONFIG, "learning_rate >= 0 and "
                                 "pre_synapse > 0");
            if (c->kappa >= 1)
                H->xLog(ctx, SL_LOG_WARN, "%s: a PES learning_rate >= 1 "
                        "(%g) is likely to diverge", c->key, c->kappa);
        }
    }
    /* then ends, functions, transforms and sizes, in order (an error
     * connection's size is its rule connection's d_out: rules first) */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n; i++) {
            nef_conn *c = &m->conns[i];
            char k[96];
            int rc;
            const char *from = NULL, *to = NULL;
            if ((rc = H->xGetString(ctx, mk(k, sizeof k, c->key, "to"), NULL,
                                    &to)))
                return rc;
            if (!to)
                return H->xError(ctx, c->key, SL_ECONFIG, "missing 'to'");
            int into_rule = strstr(to, ".learning_rule") != NULL;
            if (into_rule != pass)
                continue;
            if ((rc = H->xGetString(ctx, mk(k, sizeof k, c->key, "from"),
                                    NULL, &from)))
                return rc;
            if (!from)
                return H->xError(ctx, c->key, SL_ECONFIG, "missing 'from'");
            if ((rc = parse_ref(s, k, from, &c->pre)))
                return rc;
            if (c->pre.kind == NEF_REF_NEURONS || c->pre.kind == NEF_REF_RULE)
                return H->xError(ctx, k, SL_ECONFIG, "a connection starts "
                                 "at an ensemble or a node (decoded), not "
                                 "at '%s'", from);
            if ((rc = parse_ref(s, mk(k, sizeof k, c->key, "to"), to,
                                &c->post)))
                return rc;
            if (c->post.kind == NEF_REF_NODE)
                return H->xError(ctx, k, SL_ECONFIG, "'%s' is a node: nodes "
                                 "take no input here", to);
            c->d_out = c->post.hi - c->post.lo;
            if (c->pes && c->pre.kind != NEF_REF_ENS)
                return H->xError(ctx, c->key, SL_ECONFIG, "PES learns "
                                 "decoders: the connection must start at "
                                 "an ensemble");
            if (c->pes && c->post.kind == NEF_REF_RULE)
                return H->xError(ctx, c->key, SL_ECONFIG, "a connection "
                                 "into a learning rule carries an error "
                                 "signal; it cannot learn itself (remove "
                                 "pes)");
            if (c->pes && c->post.kind == NEF_REF_NEURONS)
                return H->xError(ctx, c->key, SL_ECONFIG, "PES into "
                                 ".neurons is not supported (decoded "
                                 "connections only)");
            double tau;
            if ((rc = H->xGetFloat(ctx, mk(k, sizeof k, c->key, "synapse"),
                                   0.005, &tau)))
                return rc;
            if (!(tau > 0))
                return H->xError(ctx, k, SL_ECONFIG, "synapse must be a "
                                 "time constant > 0 s (a connection without "
                                 "a synapse is not supported)");
            c->tau = tau;
            /* function */
            const char *fn = NULL;
            size_t din = c->pre.hi - c->pre.lo;
            if ((rc = H->xGetString(ctx, mk(k, sizeof k, c->key, "function"),
                                    NULL, &fn)))
                return rc;
            char fk[96];
            memcpy(fk, k, sizeof fk);
            if (!fn || !strcmp(fn, "identity"))
                c->fn = NEF_FN_IDENTITY;
            else if (!strcmp(fn, "zero"))
                c->fn = NEF_FN_ZERO;
            else if (!strcmp(fn, "random"))
                c->fn = NEF_FN_RANDOM;
            else if (is_lua(fn))
                c->fn = NEF_FN_LUA;
            else
                return H->xError(ctx, fk, SL_ECONFIG, "unknown function '%s' "
                                 "(identity, zero, random or a Lua "
                                 "\"function(x) ... end\")", fn);
            if (c->fn != NEF_FN_IDENTITY && c->pre.kind == NEF_REF_NODE)
                return H->xError(ctx, fk, SL_ECONFIG, "a function on a "
                                 "connection from a node is not supported: "
                                 "give the node the function");
            /* transform */
            mk(k, sizeof k, c->key, "transform");
            char tk[96];
            memcpy(tk, k, sizeof tk);
            double *tv = NULL;
            size_t nt = 0;
            double fill = 0.0;
            int has_fill = H->xHasKey(ctx, mk(k, sizeof k, c->key, "fill"));
            if ((rc = get_doubles(ctx, tk, &tv, &nt)) ||
                (rc = H->xGetFloat(ctx, k, 0.0, &fill))) {
                free(tv);
                return rc;
            }
            if (has_fill && nt) {
                free(tv);
                return H->xError(ctx, k, SL_ECONFIG, "give transform or "
                                 "fill, not both");
            }
            size_t dm;
            if (c->fn == NEF_FN_IDENTITY) {
                dm = din;
            } else if (c->fn == NEF_FN_LUA) {
                char e[300];
                if ((rc = nef_lua_compile(m->lua, fn, c->key, &c->lua_ref, e,
                                          sizeof e))) {
                    free(tv);
                    return H->xError(ctx, fk, rc, "connection %s: %s",
                                     c->name ? c->name : c->key, e);
                }
                /* the size from a call at x = 0 (all eval points are
                 * checked at build) */
                double x[64] = {0}, v[4096];
                if ((rc = nef_lua_call(m->lua, c->lua_ref, x, din, 1, v, 4096,
                                       &dm, e, sizeof e))) {
                    free(tv);
                    return H->xError(ctx, fk, rc, "connection %s: function "
                                     "at x = 0: %s",
                                     c->name ? c->name : c->key, e);
                }
            } else if (c->fn == NEF_FN_RANDOM) {
                dm = 1;
            } else {
                dm = has_fill ? 1 : nt > 1 ? nt / (c->d_out ? c->d_out : 1)
                                           : c->d_out;
            }
            c->d_mid = dm;
            if (has_fill) {
                c->tkind = NEF_T_FILL;
                c->scalar = fill;
            } else if (nt == 0) {
                c->tkind = NEF_T_NONE;
            } else if (nt == 1 && dm == c->d_out) {
                c->tkind = NEF_T_SCALAR;
                c->scalar = tv[0];
            } else {
                c->tkind = NEF_T_MATRIX;
                c->mat = tv;
                c->n_mat = nt;
                tv = NULL;
                if (nt != c->d_out * dm)
                    return H->xError(ctx, tk, SL_ECONFIG, "a transform of "
                                     "%zu values, but %s → %s needs %zu × "
                                     "%zu = %zu (row-major) or one number "
                                     "when the sizes agree", nt, from, to,
                                     c->d_out, dm, c->d_out * dm);
            }
            free(tv);
            if ((c->tkind == NEF_T_NONE || c->tkind == NEF_T_SCALAR) &&
                dm != c->d_out)
                return H->xError(ctx, c->key, SL_ECONFIG, "'%s' gives %zu "
                                 "dimensions (%s) but '%s' takes %zu: give "
                                 "a transform (d_out × d_in) or fill",
                                 from, dm, c->fn == NEF_FN_IDENTITY
                                               ? "its slice"
                                               : "the function's output",
                                 to, c->d_out);
        }
    return SL_OK;
}

static int read_probes(nef_self *s)
{
    sl_ctx *ctx = s->ctx;
    nef_model *m = &s->m;
    size_t n = list_len(ctx, "probes");
    m->probes = calloc(n + 1, sizeof *m->probes);
    if (!m->probes)
        return SL_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        nef_probe *p = &m->probes[i];
        m->n_probes = i + 1;
        fmt_to(p->key, sizeof p->key, "probes.[%zu]", i);
        char k[96];
        const char *tg = NULL;
        int rc;
        if ((rc = get_name(ctx, p->key, "name", 1, &p->name)) ||
            (rc = H->xGetString(ctx, mk(k, sizeof k, p->key, "target"), NULL,
                                &tg)))
            return rc;
        for (size_t j = 0; j < i; j++)
            if (!strcmp(m->probes[j].name, p->name))
                return H->xError(ctx, mk(k, sizeof k, p->key, "name"),
                                 SL_ECONFIG, "two probes are called '%s'",
                                 p->name);
        if (!tg)
            return H->xError(ctx, p->key, SL_ECONFIG, "missing 'target'");
        if ((rc = parse_ref(s, k, tg, &p->target)))
            return rc;
        if ((p->target.kind != NEF_REF_ENS && p->target.kind != NEF_REF_NODE) ||
            p->target.lo != 0 ||
            p->target.hi != (p->target.kind == NEF_REF_ENS
                                 ? m->ens[p->target.idx].d
                                 : m->nodes[p->target.idx].d))
            return H->xError(ctx, k, SL_ECONFIG, "probes read a whole "
                             "ensemble (decoded) or node: '%s'", tg);
        double tau = 0.0;
        if ((rc = H->xGetFloat(ctx, mk(k, sizeof k, p->key, "synapse"), 0.0,
                               &tau)))
            return rc;
        if (!(tau >= 0))
            return H->xError(ctx, k, SL_ECONFIG, "synapse >= 0 s (0: none)");
        p->tau = tau;
    }
    return SL_OK;
}

static void nef_destroy(void *self)
{
    nef_self *s = self;
    if (!s)
        return;
    nef_model_free(&s->m);
    free(s);
}

static int nef_create(const sl_host *host, sl_ctx *ctx, void **self)
{
    H = host;
    *self = NULL;
    nef_self *s = calloc(1, sizeof *s);
    if (!s)
        return SL_ENOMEM;
    s->ctx = ctx;
    int64_t budget;
    const char *res = NULL;
    int rc;
    if ((rc = H->xGetFloat(ctx, "reg", 0.1, &s->m.reg)) ||
        (rc = H->xGetInt(ctx, "lua_budget", 1000000, &budget)) ||
        (rc = H->xGetString(ctx, "results", NULL, &res))) {
        nef_destroy(s);
        return rc;
    }
    char e[300];
    if ((rc = nef_lua_new(&s->m.lua, budget, e, sizeof e))) {
        nef_destroy(s);
        return H->xError(ctx, NULL, rc, "%s", e);
    }
    if ((rc = read_ensembles(s)) || (rc = read_nodes(s)) ||
        (rc = read_connections(s)) || (rc = read_probes(s))) {
        nef_destroy(s);
        return rc;
    }
    if (res) {
        if (!is_lua(res) ||
            (rc = nef_lua_compile(s->m.lua, res, "results", &s->m.results_ref,
                                  e, sizeof e))) {
            if (!is_lua(res))
                fmt_to(e, sizeof e, "write a Lua \"function() return "
                         "{ name = value, ... } end\"");
            nef_destroy(s);
            return H->xError(ctx, "results", SL_ECONFIG, "results: %s", e);
        }
    }
    if (s->m.n_ens + s->m.n_nodes == 0) {
        nef_destroy(s);
        return H->xError(ctx, NULL, SL_ECONFIG, "the model has no ensemble "
                         "and no node");
    }
    s->n_probes = s->m.n_probes;
    *self = s;
    return SL_OK;
}

static int nef_place(void *self, const sl_network_view *net)
{
    (void)self;
    (void)net;
    return SL_OK;
}

/* ---- sl.simulate.v1 ---------------------------------------------- */

static int sim_build(void *self, double dt, uint64_t n_steps, int64_t seed)
{
    nef_self *s = self;
    char msg[400] = "";
    const char *key = NULL;
    if (s->built)
        return H->xError(s->ctx, NULL, SL_EINVAL, "the model is already "
                         "built");
    /* the run seed is Nengo's network seed, Network(seed=S), whose
     * RandomState takes 32 bits */
    if (seed < 0 || seed > 0xFFFFFFFFLL)
        return H->xError(s->ctx, NULL, SL_ECONFIG, "an NEF model needs a "
                         "run seed of 0 to 2^32-1 (Nengo's network seed), "
                         "not %lld", (long long)seed);
    int rc = nef_model_build(&s->m, (uint32_t)seed, dt, n_steps, msg,
                             sizeof msg, &key);
    if (rc == SL_ENOMEM)
        return H->xError(s->ctx, NULL, rc, "out of memory building the "
                         "model");
    if (rc)
        return H->xError(s->ctx, key, rc, "%s", msg[0] ? msg : "build "
                         "failed");
    s->built = 1;
    return SL_OK;
}

static size_t sim_probe_count(void *self)
{
    return ((nef_self *)self)->m.n_probes;
}

static int sim_probe(void *self, size_t i, sl_probe_info *out)
{
    nef_self *s = self;
    if (i >= s->m.n_probes || !out)
        return SL_ENOTFOUND;
    const nef_probe *p = &s->m.probes[i];
    out->name = p->name;
    out->dims = p->target.hi - p->target.lo;
    return SL_OK;
}

static int sim_run(void *self, uint64_t n, double *const *out)
{
    nef_self *s = self;
    if (!s->built)
        return H->xError(s->ctx, NULL, SL_EINVAL, "run before build");
    if (s->m.step + n > s->m.n_steps)
        return H->xError(s->ctx, NULL, SL_EINVAL, "run past the %llu steps "
                         "the model was built for",
                         (unsigned long long)s->m.n_steps);
    nef_model_run(&s->m, n, out);
    for (size_t p = 0; out && p < s->m.n_probes; p++) {
        const double *v = out[p];
        size_t cnt = (size_t)n * s->m.probes[p].d;
        for (size_t q = 0; v && q < cnt; q++)
            if (!isfinite(v[q]))
                return H->xError(s->ctx, s->m.probes[p].key, SL_ENUMERIC,
                                 "probe '%s' is not finite at t = %g s",
                                 s->m.probes[p].name,
                                 (double)(s->m.step - n + q / s->m.probes[p].d
                                          + 1) * s->m.dt);
    }
    return SL_OK;
}

static int sim_results(void *self, const double *const *data, uint64_t steps,
                       int (*emit)(void *user, const char *name,
                                   double value),
                       void *user)
{
    nef_self *s = self;
    if (!s->m.results_ref)
        return SL_OK;
    nef_probe_data pd[256];
    size_t n = s->m.n_probes < 256 ? s->m.n_probes : 256;
    for (size_t i = 0; i < n; i++) {
        pd[i].name = s->m.probes[i].name;
        pd[i].dims = s->m.probes[i].d;
        pd[i].steps = (size_t)steps;
        pd[i].dt = s->m.dt;
        pd[i].data = data[i];
    }
    char e[400];
    int rc = nef_lua_results(s->m.lua, s->m.results_ref, pd, n, emit, user,
                             e, sizeof e);
    if (rc == SL_ECONFIG)
        return H->xError(s->ctx, "results", rc, "results: %s", e);
    return rc;
}

static const sl_simulate_iface nef_sim = {
    sizeof(sl_simulate_iface), sim_build, sim_probe_count, sim_probe,
    sim_run, sim_results,
};

static const void *nef_extension(void *self, const char *name)
{
    (void)self;
    return name && !strcmp(name, SL_EXT_SIMULATE) ? &nef_sim : NULL;
}

static const sl_backend_iface nef_iface = {
    .struct_size = sizeof(sl_backend_iface),
    .flags = 0,
    .xCreate = nef_create,
    .xDestroy = nef_destroy,
    .xPlace = nef_place,
    .xExtension = nef_extension,
};

static const sl_setting nef_settings[] = {
    SL_SETTING(SL_SET_LIST, "ensembles", NULL, NULL, SL_ANY,
               "( { name; n_neurons; dimensions = 1; radius = 1.0; "
               "max_rates = [200.0, 400.0]; intercepts = [-1.0, 0.9]; "
               "tau_rc = 0.02; tau_ref = 0.002; n_eval_points = 0 "
               "(Nengo's default); seed = -1 (from the run seed) }, ... ): "
               "LIF ensembles, Nengo's defaults"),
    SL_SETTING(SL_SET_LIST, "nodes", NULL, NULL, SL_ANY,
               "( { name; output = numbers | \"white_signal\" (period = "
               "10.0, high, rms = 0.5, seed) | \"schedule\" (period = 10.0, "
               "value, pieces = ( { from; to; value; } ): value where from < "
               "t mod period < to) | \"function(t) ... end\" (Lua); "
               "dimensions }, ... )"),
    SL_SETTING(SL_SET_LIST, "connections", NULL, NULL, SL_ANY,
               "( { name; from = \"ens\" | \"ens[a:b]\" | \"node\"; to = "
               "\"ens\" | \"ens[a:b]\" | \"ens.neurons\" | "
               "\"conn.learning_rule\"; function = \"identity\" | "
               "\"zero\" | \"random\" | \"function(x) ... end\"; "
               "transform (number or d_out × d_in list) | fill (every "
               "entry); synapse = 0.005 s; pes = { learning_rate = 1e-4; "
               "pre_synapse = 0.005; } }, ... )"),
    SL_SETTING(SL_SET_LIST, "probes", NULL, NULL, SL_ANY,
               "( { name; target = \"ens\" | \"node\"; synapse = 0 (none) "
               "}, ... ): recorded as traces and summaries"),
    SL_SETTING(SL_SET_FLOAT, "reg", "0.1", "1", SL_MIN(0),
               "LstsqL2 regularisation (σ = reg · max rate)"),
    SL_SETTING(SL_SET_INT, "lua_budget", "1000000", NULL, SL_RANGE(1000, 1e12),
               "Lua instructions per function call before it is stopped"),
    SL_SETTING(SL_SET_STRING, "results", NULL, NULL, SL_ANY,
               "Lua function() returning { name = value } from the probes: "
               "rms(p, t0, t1 [, dim]), rms_diff(a, b, t0, t1 [, dim]), "
               "max_abs(p, t0, t1 [, dim]), at(p, t [, dim]); windows are "
               "t0 < t <= t1"),
};

static const sl_component nef_components[] = {
    SL_COMPONENT(SL_KIND_BACKEND, "nef",
                 "Neural Engineering Framework model as Nengo runs it "
                 "(simulate mode)", &nef_iface, nef_settings),
};

static const sl_plugin_desc nef_desc =
    SL_PLUGIN_DESC("nef", "0.1.0", "NEF ensembles, decoded connections, "
                   "nodes, synapses, probes and PES", nef_components);

SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    H = host;
    return &nef_desc;
}
