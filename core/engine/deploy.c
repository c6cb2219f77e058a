/* core/export.c — the experiment's `export` section (see export.h): create
 * the exporter, place the network at load, and after training write the
 * device configuration as a run artifact and evaluate the re-imported,
 * quantised network beside the float one. */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "engine/deploy.h"
#include "engine/settings.h"
#include "../plugins/dynapse2_export/dynapse2.h"

struct sl__export {
    const sl__entry *entry;
    const sl_backend_iface *iface;
    void *self;
    sl_ctx ctx;
    int evaluate;   /* re-import and evaluate after training */
    char artifact[160];
};

void sl__export_free(sl__export *x)
{
    if (x == NULL)
        return;
    if (x->self)
        x->iface->xDestroy(x->self);
    free(x);
}

/* The view of exp->net; *views is malloc'd (caller frees). */
static int view(sl__experiment *exp, sl_layer_view **views,
                sl_network_view *nv, sl__err *err)
{
    *views = calloc(exp->net.n_layers + 1, sizeof **views);
    if (*views == NULL)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    sl__network_view(&exp->net, *views, nv);
    return SL_OK;
}

static int create(sl__experiment *exp, sl__setting *g, const char *type,
                  sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__export *x = calloc(1, sizeof *x);
    if (x == NULL)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    exp->export_state = x;
    x->evaluate = 1;
    if (g && sl__cfg_bool(cfg, g, "evaluate", 1, &x->evaluate, err))
        return err->code;
    x->entry = sl__registry_find(exp->reg, SL_KIND_BACKEND, type);
    if (x->entry == NULL) {
        sl__err e;
        sl__registry_missing(exp->reg, SL_KIND_BACKEND, type, &e);
        if (g)
            return sl__cfg_error(cfg, sl__config_find(cfg, g, "type"), err,
                                 SL_ECONFIG, "%s", e.msg);
        return sl__fail(err, SL_ECONFIG, "%s", e.msg);
    }
    x->iface = x->entry->comp->iface;
    if (!(x->iface->flags & SL_BACKEND_EXPORTS) || !x->iface->xExport)
        return sl__cfg_error(cfg, g ? sl__config_find(cfg, g, "type") : NULL,
                             err, SL_ECONFIG,
                             "backend '%s' does not export device "
                             "configurations (export.type needs an "
                             "exporter, e.g. \"dynapse2\")",
                             type);
    snprintf(x->artifact, sizeof x->artifact, "device/%s.json", type);
    sl__ctx_init(&x->ctx, g ? cfg : NULL, g, (uint64_t)exp->seed, "export");
    if (g && sl__declare_component(cfg, g, SL__SEC_EXPORT, x->entry))
        return sl__fail(err, SL_ENOMEM, "out of memory");
    int rc = x->iface->xCreate(&sl__host, &x->ctx, &x->self);
    if (rc) {
        x->self = NULL;
        return sl__ctx_take_error(&x->ctx, rc, err);
    }
    /* check now that the network fits, before anything is trained */
    sl_layer_view *views;
    sl_network_view nv;
    if ((rc = view(exp, &views, &nv, err)))
        return rc;
    rc = x->iface->xPlace(x->self, &nv);
    free(views);
    if (rc)
        return sl__ctx_take_error(&x->ctx, rc, err);
    return SL_OK;
}

int sl__export_load(sl__experiment *exp, sl__err *err)
{
    sl__config *cfg = exp->cfg;
    sl__setting *g = sl__config_find(cfg, NULL, "export");
    if (g == NULL)
        return SL_OK;
    if (config_setting_type(g) != CONFIG_TYPE_GROUP)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG,
                             "must be a group, e.g. export = { type = "
                             "\"dynapse2\"; };");
    const char *type;
    if (sl__declare_section(cfg, g, SL__SEC_EXPORT))
        return sl__fail(err, SL_ENOMEM, "out of memory");
    int rc = sl__cfg_string(cfg, g, "type", NULL, &type, err);
    if (rc)
        return rc;
    if (type == NULL)
        return sl__cfg_error(cfg, g, err, SL_ECONFIG,
                             "missing 'type' (the exporter, e.g. type = "
                             "\"dynapse2\";)");
    return create(exp, g, type, err);
}

int sl__export_default(sl__experiment *exp, const char *type, sl__err *err)
{
    if (exp->export_state)
        return SL_OK;
    return create(exp, NULL, type, err);
}

static const sl_dynapse2_ext *ext_of(const sl__export *x)
{
    if (!x->iface->xExtension)
        return NULL;
    const sl_dynapse2_ext *e = x->iface->xExtension(x->self, SL_DYNAPSE2_EXT);
    if (e == NULL || !SL_HAS_FIELD(sl_dynapse2_ext, e, xFromBias))
        return NULL;
    return e;
}

static void print_stats(FILE *f, const sl_dynapse2_stats *st)
{
    if (f == NULL)
        return;
    fprintf(f, "  %zu inputs, %zu neurons on %zu core%s of %zu chip%s; "
               "%zu connections, %zu dropped (mask 0)\n",
            st->n_in, st->n_neurons, st->n_cores, st->n_cores == 1 ? "" : "s",
            st->n_chips, st->n_chips == 1 ? "" : "s", st->n_connections,
            st->n_dropped);
    fprintf(f, "  weight quantisation: MSE %.4g (quantiser %.4g), relative "
               "RMS error %.4g, max |error| %.4g (weight units)\n",
            st->weight_mse, st->weight_mse_codes, st->weight_rel_rmse,
            st->weight_max_abs_error);
    fprintf(f, "  currents → biases: max relative error %.4g\n",
            st->current_max_rel_error);
}

int sl__export_write(sl__experiment *exp, const char *path, FILE *report,
                     sl__err *err)
{
    sl__export *x = exp->export_state;
    if (x == NULL)
        return sl__fail(err, SL_EINVAL, "no exporter");
    sl_layer_view *views;
    sl_network_view nv;
    int rc = view(exp, &views, &nv, err);
    if (rc)
        return rc;
    rc = x->iface->xExport(x->self, &nv, path);
    free(views);
    if (rc)
        return sl__ctx_take_error(&x->ctx, rc, err);
    const sl_dynapse2_ext *e = ext_of(x);
    sl_dynapse2_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    if (e && e->xStats(x->self, &st) == SL_OK)
        print_stats(report, &st);
    return SL_OK;
}

/* ------------------------------------------------------- after training */

/* Copies of every parameter tensor of the network. */
typedef struct saved {
    size_t n;
    sl_param *p[256];
    float *copy[256];
} saved;

static int save(sl__experiment *exp, saved *s, sl__err *err)
{
    memset(s, 0, sizeof *s);
    for (size_t i = 0; i < exp->net.n_layers; i++) {
        sl__layer *l = &exp->net.layers[i];
        for (size_t k = 0; k < l->n_params; k++) {
            sl_param *p = &l->params[k];
            if (!p->data || !p->n)
                continue;
            if (s->n == 256)
                return sl__fail(err, SL_ENOMEM, "too many parameters");
            s->p[s->n] = p;
            s->copy[s->n] = malloc(p->n * sizeof(float));
            if (!s->copy[s->n])
                return sl__fail(err, SL_ENOMEM, "out of memory");
            memcpy(s->copy[s->n], p->data, p->n * sizeof(float));
            s->n++;
        }
    }
    return SL_OK;
}

static void restore(saved *s)
{
    for (size_t k = 0; k < s->n; k++)
        memcpy(s->p[k]->data, s->copy[k], s->p[k]->n * sizeof(float));
}

static void saved_free(saved *s)
{
    for (size_t k = 0; k < s->n; k++)
        free(s->copy[k]);
    s->n = 0;
}

typedef struct qhooks {
    const sl__hooks *inner;
    sqlite3 *db;
    int64_t run;
    FILE *report;
} qhooks;

/* Store a quantised result under "quantised_NAME" and print it beside the
 * float one of the same name. */
static int q_result(void *user, const char *name, double v)
{
    qhooks *q = user;
    char qn[300];
    snprintf(qn, sizeof qn, "quantised_%s", name);
    if (q->report) {
        double fv = 0;
        int have = 0;
        sqlite3_stmt *st = NULL;
        if (q->db && sqlite3_prepare_v2(q->db, "SELECT value FROM results "
                                        "WHERE run_id = ?1 AND name = ?2",
                                        -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_int64(st, 1, q->run);
            sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
            if (sqlite3_step(st) == SQLITE_ROW &&
                sqlite3_column_type(st, 0) != SQLITE_NULL) {
                fv = sqlite3_column_double(st, 0);
                have = 1;
            }
        }
        sqlite3_finalize(st);
        if (have)
            fprintf(q->report, "  %-28s float %-12g quantised %g\n", name,
                    fv, v);
        else
            fprintf(q->report, "  %-28s quantised %g\n", name, v);
    }
    if (q->inner && q->inner->on_result)
        return q->inner->on_result(q->inner->user, qn, v);
    return SL_OK;
}

static int store_result(const sl__hooks *h, const char *name, double v)
{
    return h && h->on_result ? h->on_result(h->user, name, v) : SL_OK;
}

/* A copy of the network view whose tensors point into scratch buffers. */
typedef struct scratch {
    sl_layer_view *views;
    sl_param *params;
    float *data;
    sl_network_view nv;
} scratch;

static int scratch_make(const sl_network_view *src, scratch *s, sl__err *err)
{
    memset(s, 0, sizeof *s);
    size_t np = 0, nf = 0;
    for (size_t i = 0; i < src->n_layers; i++)
        for (size_t k = 0; k < src->layers[i].n_params; k++) {
            np++;
            nf += src->layers[i].params[k].n;
        }
    s->views = calloc(src->n_layers + 1, sizeof *s->views);
    s->params = calloc(np + 1, sizeof *s->params);
    s->data = calloc(nf + 1, sizeof *s->data);
    if (!s->views || !s->params || !s->data)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    size_t pi = 0, fo = 0;
    for (size_t i = 0; i < src->n_layers; i++) {
        s->views[i] = src->layers[i];
        s->views[i].params = s->params + pi;
        for (size_t k = 0; k < src->layers[i].n_params; k++) {
            sl_param p = src->layers[i].params[k];
            if (p.data) {
                memcpy(s->data + fo, p.data, p.n * sizeof(float));
                p.data = s->data + fo;
                fo += p.n;
            }
            p.grad = NULL;
            s->params[pi++] = p;
        }
    }
    s->nv = *src;
    s->nv.layers = s->views;
    return SL_OK;
}

static void scratch_free(scratch *s)
{
    free(s->views);
    free(s->params);
    free(s->data);
}

/* 1 when every tensor of a equals b's bit for bit */
static int same_bits(const sl_network_view *a, const sl_network_view *b)
{
    for (size_t i = 0; i < a->n_layers; i++)
        for (size_t k = 0; k < a->layers[i].n_params; k++) {
            const sl_param *p = &a->layers[i].params[k];
            const sl_param *q = &b->layers[i].params[k];
            if (p->data && q->data &&
                memcmp(p->data, q->data, p->n * sizeof(float)) != 0)
                return 0;
        }
    return 1;
}

int sl__export_evaluate(sl__experiment *exp, const char *path,
                        const char *label, struct sqlite3 *db, int64_t run_id,
                        const sl__hooks *hooks, FILE *rep, int *same,
                        sl__err *err)
{
    sl__export *x = exp->export_state;
    const sl_dynapse2_ext *e = x ? ext_of(x) : NULL;
    if (e == NULL)
        return sl__fail(err, SL_ENOTSUP, "the exporter cannot read "
                        "configurations back (no %s extension)",
                        SL_DYNAPSE2_EXT);
    saved sv;
    scratch sc;
    sl_layer_view *views = NULL;
    sl_network_view nv;
    sl_dynapse2_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    memset(&sc, 0, sizeof sc);
    int rc = save(exp, &sv, err);
    if (rc == SL_OK)
        rc = view(exp, &views, &nv, err);
    /* quantise(net) into a scratch copy, import(export(net)) into the
     * network itself, and compare */
    if (rc == SL_OK)
        rc = scratch_make(&nv, &sc, err);
    if (rc == SL_OK && (rc = e->xQuantise(x->self, &nv, &sc.nv)))
        rc = sl__ctx_take_error(&x->ctx, rc, err);
    if (rc == SL_OK && (rc = e->xImport(x->self, path, &nv)))
        rc = sl__ctx_take_error(&x->ctx, rc, err);
    if (rc == SL_OK) {
        *same = same_bits(&nv, &sc.nv);
        e->xStats(x->self, &st);
        if (rep) {
            fprintf(rep, "  re-imported network = quantise(network) bit "
                         "for bit: %s\n",
                    *same ? "yes" : "NO");
            if (st.currents_skipped)
                fprintf(rep, "  note: %zu of the 13 DynapSim currents are "
                             "not parameters of the layer; the quantised "
                             "network keeps their float values\n",
                        st.currents_skipped);
            fprintf(rep, "quantised network (%s re-imported):\n",
                    label ? label : path);
        }
    }
    if (rc == SL_OK) {
        qhooks q = {hooks, db, run_id, rep};
        sl__hooks h2 = {&q, NULL, q_result, NULL, NULL};
        rc = sl__evaluate_all(exp, 1, &h2, err);
    }
    restore(&sv);
    saved_free(&sv);
    scratch_free(&sc);
    free(views);
    return rc;
}

int sl__export_after_run(sl__experiment *exp, sl__db *db, int64_t run_id,
                         const sl__hooks *hooks, sl__err *err)
{
    sl__export *x = exp->export_state;
    if (x == NULL)
        return SL_OK;
    FILE *rep = hooks ? hooks->report : NULL;
    const char *tmpdir = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/spikelab-export-XXXXXX.json",
             tmpdir && *tmpdir ? tmpdir : "/tmp");
    int fd = mkstemps(path, 5);
    if (fd < 0)
        return sl__fail(err, SL_EIO, "cannot create a temporary file %s",
                        path);
    close(fd);
    if (rep)
        fprintf(rep, "export (%s):\n", x->entry->comp->name);
    int rc = sl__export_write(exp, path, rep, err);
    char *data = NULL;
    size_t size = 0;
    if (rc == SL_OK) {
        FILE *f = fopen(path, "rb");
        if (f && fseek(f, 0, SEEK_END) == 0) {
            long len = ftell(f);
            if (len >= 0 && fseek(f, 0, SEEK_SET) == 0 &&
                (data = malloc((size_t)len + 1)) != NULL &&
                fread(data, 1, (size_t)len, f) == (size_t)len)
                size = (size_t)len;
            else
                rc = sl__fail(err, SL_EIO, "cannot read back %s", path);
        } else {
            rc = sl__fail(err, SL_EIO, "cannot read back %s", path);
        }
        if (f)
            fclose(f);
    }
    if (rc == SL_OK)
        rc = sl__db_artifact(db, run_id, x->artifact, "device",
                             "application/json", data, size, err);
    free(data);
    if (rc == SL_OK && rep)
        fprintf(rep, "  configuration stored as artifact %s (%zu bytes)\n",
                x->artifact, size);
    const sl_dynapse2_ext *e = ext_of(x);
    sl_dynapse2_stats st;
    memset(&st, 0, sizeof st);
    st.struct_size = sizeof st;
    if (rc == SL_OK && e && e->xStats(x->self, &st) == SL_OK) {
        static const char *const names[] = {
            "export_cores", "export_chips", "export_connections",
            "export_dropped", "export_weight_mse", "export_weight_rel_rmse",
            "export_current_max_rel_error"};
        double vals[] = {(double)st.n_cores, (double)st.n_chips,
                         (double)st.n_connections, (double)st.n_dropped,
                         st.weight_mse, st.weight_rel_rmse,
                         st.current_max_rel_error};
        for (size_t k = 0; rc == SL_OK && k < 7; k++)
            rc = store_result(hooks, names[k], vals[k]);
    }
    if (rc == SL_OK && e && x->evaluate && exp->n_evals) {
        int same = 0;
        rc = sl__export_evaluate(exp, path, x->artifact,
                                 db ? sl__db_sqlite(db) : NULL, run_id,
                                 hooks, rep, &same, err);
        if (rc == SL_OK)
            rc = store_result(hooks, "export_roundtrip_identical",
                              same ? 1.0 : 0.0);
    }
    remove(path);
    return rc;
}
