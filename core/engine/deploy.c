/* core/engine/deploy.c — the experiment's `export` section (see
 * deploy.h): create the exporter, place the network at load, and after
 * training hand the device configuration to the caller as a run artifact
 * and evaluate the re-imported, quantised network beside the float one.
 * Only the backend interface and <spikelab/deploy.h>: no exporter is
 * known here by name. */
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spikelab/deploy.h"
#include "engine/deploy.h"
#include "engine/settings.h"
#include "engine/train.h"
#include "util/file.h"
#include "util/npy.h"

struct sl__export {
    const sl__entry *entry;
    const sl_backend_iface *iface;
    const sl_deploy_ext *ext; /* NULL: the exporter only writes (ABI 1.0) */
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
    sl__ctx_fini(&x->ctx);
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
    sl__ctx_init(&x->ctx, g ? cfg : NULL, g, (uint64_t)exp->seed, "export");
    if (g && sl__declare_component(cfg, g, SL__SEC_EXPORT, x->entry))
        return sl__fail(err, SL_ENOMEM, "out of memory");
    int rc = x->iface->xCreate(exp->host, &x->ctx, &x->self);
    if (rc) {
        x->self = NULL;
        return sl__ctx_take_error(&x->ctx, rc, err);
    }
    /* the deployment extension: a table without the v1 slots (or with a
     * file_ext that cannot name a file) is not one */
    if (SL_HAS_FIELD(sl_backend_iface, x->iface, xExtension) &&
        x->iface->xExtension) {
        const sl_deploy_ext *e = x->iface->xExtension(x->self, SL_EXT_DEPLOY);
        if (SL_HAS_FIELD(sl_deploy_ext, e, xFigures))
            x->ext = e;
    }
    const char *ext = x->ext && x->ext->file_ext ? x->ext->file_ext : "";
    if (strlen(ext) > 16 || strchr(ext, '/') || strchr(ext, '.'))
        return sl__fail(err, SL_EPLUGIN, "exporter '%s': file_ext \"%s\" "
                        "is not a file name extension (e.g. \"json\")",
                        type, ext);
    snprintf(x->artifact, sizeof x->artifact, "device/%s%s%s", type,
             *ext ? "." : "", ext);
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

const char *sl__export_type(const sl__experiment *exp)
{
    const sl__export *x = exp->export_state;
    return x ? x->entry->comp->name : NULL;
}

const char *sl__export_file_ext(const sl__experiment *exp)
{
    const sl__export *x = exp->export_state;
    return x == NULL ? NULL : x->ext && x->ext->file_ext ? x->ext->file_ext
                                                         : "";
}

/* Prints the SL_FIGURE_REPORT figures and, when `sink` is set, passes the
 * SL_FIGURE_RESULT ones to it as "export_NAME". */
typedef struct figs {
    FILE *report;
    const sl__export_sink *sink;
    int bad;     /* the exporter emitted a malformed figure */
    int sink_rc; /* what the sink returned, when not 0 */
} figs;

/* [a-z0-9_]+ and short enough for "export_NAME" */
static int good_name(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 100)
        return 0;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return 0;
    return 1;
}

static int on_figure(void *user, const sl_figure *f)
{
    figs *g = user;
    if (!SL_HAS_FIELD(sl_figure, f, value) || !good_name(f->name)) {
        g->bad = 1;
        return SL_EINVAL;
    }
    if ((f->flags & SL_FIGURE_REPORT) && g->report) {
        if (f->text)
            fprintf(g->report, "  %.200s\n", f->text);
        else
            fprintf(g->report, "  %s = %g\n", f->name, f->value);
    }
    if ((f->flags & SL_FIGURE_RESULT) && g->sink && g->sink->on_result) {
        char name[160], text[201];
        snprintf(name, sizeof name, "export_%s", f->name);
        if (f->text)
            snprintf(text, sizeof text, "%s", f->text);
        g->sink_rc = g->sink->on_result(g->sink->user, name, f->value,
                                        f->text ? text : NULL);
        return g->sink_rc;
    }
    return SL_OK;
}

/* The exporter's figures of `what` (no-op without xFigures). An error of
 * the sink (a positive or negative status it returned) is passed on; the
 * exporter's own are taken from its context. */
static int figures(sl__export *x, int what, FILE *report,
                   const sl__export_sink *sink, sl__err *err)
{
    if (x->ext == NULL || x->ext->xFigures == NULL)
        return SL_OK;
    figs g = {report, sink, 0, 0};
    sl__err_clear(&x->ctx.err);
    int rc = x->ext->xFigures(x->self, what, on_figure, &g);
    if (rc == SL_OK)
        return SL_OK;
    if (g.sink_rc)
        return g.sink_rc; /* the sink holds its own message */
    if (g.bad)
        return sl__fail(err, SL_EINVAL, "exporter '%s': a figure whose "
                        "name is not [a-z0-9_]+ (at most 100) or of an "
                        "unknown struct_size",
                        x->entry->comp->name);
    return sl__ctx_take_error(&x->ctx, rc, err);
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
    /* the exporter writes a temporary file beside path, renamed over it
     * only when complete: an exporter that fails or is killed mid-write
     * leaves the previous file, never a truncated one (issue 12,
     * finding 7) */
    sl__afile af;
    if ((rc = sl__afile_open(&af, path, err))) {
        free(views);
        return rc;
    }
    fclose(af.f); /* the exporter opens the file by name itself */
    af.f = NULL;
    rc = x->iface->xExport(x->self, &nv, sl__afile_name(&af));
    free(views);
    if (rc) {
        int tmp = af.tmp != NULL;
        sl__afile_abort(&af);
        rc = sl__ctx_take_error(&x->ctx, rc, err);
        if (tmp && err) { /* the exporter named the temporary file */
            char msg[sizeof err->msg];
            snprintf(msg, sizeof msg, "%s", err->msg);
            sl__fail(err, rc, "%s (a temporary file beside %s, removed; %s "
                     "is left as it was)", msg, path, path);
        }
        return rc;
    }
    if ((rc = sl__afile_commit(&af, err)))
        return rc;
    return figures(x, SL_DEPLOY_WRITTEN, report, NULL, err);
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
    const sl__export_sink *sink;
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
        const sl__export_sink *k = q->sink;
        if (k && k->float_result && k->float_result(k->user, name, &fv) == 1)
            fprintf(q->report, "  %-28s float %-12g quantised %g\n", name,
                    fv, v);
        else
            fprintf(q->report, "  %-28s quantised %g\n", name, v);
    }
    if (q->sink && q->sink->on_result)
        return q->sink->on_result(q->sink->user, qn, v, NULL);
    return SL_OK;
}

/* A quantised evaluation's confusion matrix: the artifact
 * evaluations/quantised_NAME.npy (int64 [true][predicted]), beside the
 * float network's evaluations/NAME.npy. */
static int q_counts(void *user, const char *name, const int64_t *counts,
                    size_t rows, size_t cols)
{
    qhooks *q = user;
    char an[300];
    if (snprintf(an, sizeof an, "%squantised_%s.npy", SL__COUNTS_DIR,
                 name) >= (int)sizeof an)
        return SL_EINVAL;
    size_t shape[2] = {rows, cols};
    void *img;
    size_t size;
    sl__err e;
    if (sl__npy_typed(counts, 'i', sizeof *counts, shape, 2, &img, &size,
                      &e))
        return SL_ENOMEM;
    int rc = q->sink->on_artifact(q->sink->user, an, "evaluation",
                                  "application/x-npy", img, size);
    free(img);
    return rc;
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
                        const char *label, const sl__export_sink *sink,
                        int *same, sl__err *err)
{
    sl__export *x = exp->export_state;
    if (x == NULL || x->ext == NULL || x->ext->xRead == NULL)
        return sl__fail(err, SL_ENOTSUP, "the exporter '%s' cannot read "
                        "configurations back (no xRead in its %s "
                        "extension)",
                        x ? x->entry->comp->name : "(none)", SL_EXT_DEPLOY);
    FILE *rep = sink ? sink->report : NULL;
    saved sv;
    scratch sc;
    sl_layer_view *views = NULL;
    sl_network_view nv;
    memset(&sc, 0, sizeof sc);
    *same = 1;
    int rc = save(exp, &sv, err);
    if (rc == SL_OK)
        rc = view(exp, &views, &nv, err);
    /* quantise(net) into a scratch copy, import(export(net)) into the
     * network itself, and compare */
    int quantise = x->ext->xQuantise != NULL;
    if (rc == SL_OK && quantise)
        rc = scratch_make(&nv, &sc, err);
    if (rc == SL_OK && quantise &&
        (rc = x->ext->xQuantise(x->self, &nv, &sc.nv)))
        rc = sl__ctx_take_error(&x->ctx, rc, err);
    if (rc == SL_OK && (rc = x->ext->xRead(x->self, path, &nv)))
        rc = sl__ctx_take_error(&x->ctx, rc, err);
    if (rc == SL_OK) {
        if (quantise)
            *same = same_bits(&nv, &sc.nv);
        if (rep && quantise)
            fprintf(rep, "  re-imported network = quantise(network) bit "
                         "for bit: %s\n",
                    *same ? "yes" : "NO");
        rc = figures(x, SL_DEPLOY_READ, rep, NULL, err);
        if (rc == SL_OK && rep)
            fprintf(rep, "quantised network (%s re-imported):\n",
                    label ? label : path);
    }
    if (rc == SL_OK) {
        qhooks q = {sink, rep};
        sl__hooks h2 = {&q, NULL, q_result, NULL, NULL, NULL,
                        sink && sink->on_artifact ? q_counts : NULL, NULL};
        rc = sl__evaluate_all(exp, 1, &h2, err);
    }
    restore(&sv);
    saved_free(&sv);
    scratch_free(&sc);
    free(views);
    return rc;
}

/* The weights the device gets beside the float ones, for every weight
 * tensor (SL_PARAM_WEIGHT) of the network: the artifact
 * quantisation/LAYER/PARAM.npy, float32 [2][pre][post] (the trained
 * float weights, then those the configuration at path encodes: read back
 * with xRead, else xQuantise's, equal to them by the extension's
 * contract). Read into a scratch copy, so the network and the exported
 * file stay as they are; what `spikelab plot ID quantisation` draws. A
 * tensor the device does not hold keeps its float values (on the
 * identity line). */
static int store_quantisation(sl__experiment *exp, sl__export *x,
                              const char *path, const sl__export_sink *sink,
                              sl__err *err)
{
    if (!sink || !sink->on_artifact || !x->ext ||
        (!x->ext->xRead && !x->ext->xQuantise))
        return SL_OK;
    sl_layer_view *views = NULL;
    sl_network_view nv;
    scratch sc;
    memset(&sc, 0, sizeof sc);
    int rc = view(exp, &views, &nv, err);
    if (rc == SL_OK)
        rc = scratch_make(&nv, &sc, err);
    if (rc == SL_OK) {
        rc = x->ext->xRead ? x->ext->xRead(x->self, path, &sc.nv)
                           : x->ext->xQuantise(x->self, &nv, &sc.nv);
        if (rc)
            rc = sl__ctx_take_error(&x->ctx, rc, err);
    }
    for (size_t i = 0; rc == SL_OK && i < nv.n_layers; i++)
        for (size_t k = 0; rc == SL_OK && k < nv.layers[i].n_params; k++) {
            const sl_param *p = &nv.layers[i].params[k];
            const sl_param *q = &sc.nv.layers[i].params[k];
            if (!(p->flags & SL_PARAM_WEIGHT) || !p->data || !q->data ||
                p->n == 0)
                continue;
            const char *label = exp->net.layers[i].label;
            const char *pn = p->name ? p->name : "param";
            size_t len = strlen(label) + strlen(pn) + sizeof "quantisation//.npy";
            char *name = malloc(len);
            float *both = malloc(2 * p->n * sizeof *both);
            void *img = NULL;
            size_t size = 0;
            if (!name || !both) {
                rc = sl__fail(err, SL_ENOMEM, "out of memory");
            } else {
                snprintf(name, len, "quantisation/%s/%s.npy", label, pn);
                memcpy(both, p->data, p->n * sizeof *both);
                memcpy(both + p->n, q->data, p->n * sizeof *both);
                size_t shape[3] = {2, p->n, 0}, nd = 2;
                if (p->ndim == 2 && p->shape[0] * p->shape[1] == p->n) {
                    shape[1] = p->shape[0];
                    shape[2] = p->shape[1];
                    nd = 3;
                }
                rc = sl__npy_f32(both, shape, nd, &img, &size, err);
            }
            if (rc == SL_OK)
                rc = sink->on_artifact(sink->user, name, "quantisation",
                                       "application/x-npy", img, size);
            free(img);
            free(both);
            free(name);
        }
    scratch_free(&sc);
    free(views);
    return rc;
}

/* The whole file at path, malloc'd (caller frees): the exporter's file,
 * stored as an artifact, so at most what SQLite stores in one value
 * (SQLITE_MAX_LENGTH, 10^9 bytes by default); only a regular file (the
 * exporter could have replaced it by anything). */
static int slurp(const char *path, char **data, size_t *size, sl__err *err)
{
    sl__err e;
    int rc = sl__file_read(path, (size_t)1000000000, SL__FILE_REGULAR, data,
                           size, &e);
    if (rc)
        return sl__fail(err, rc == SL_ENOMEM ? rc : SL_EIO,
                        "cannot read back the exported file: %s", e.msg);
    return SL_OK;
}

int sl__export_after_run(sl__experiment *exp, const sl__export_sink *sink,
                         sl__err *err)
{
    sl__export *x = exp->export_state;
    if (x == NULL)
        return SL_OK;
    FILE *rep = sink ? sink->report : NULL;
    const char *tmpdir = getenv("TMPDIR");
    const char *ext = sl__export_file_ext(exp);
    char path[512];
    /* the temporary file keeps the exporter's extension (".json") */
    snprintf(path, sizeof path, "%s/spikelab-export-XXXXXX%s%s",
             tmpdir && *tmpdir ? tmpdir : "/tmp", *ext ? "." : "", ext);
    int fd = mkstemps(path, *ext ? (int)strlen(ext) + 1 : 0);
    if (fd < 0)
        return sl__fail(err, SL_EIO, "cannot create a temporary file %s",
                        path);
    close(fd);
    if (rep)
        fprintf(rep, "export (%s):\n", x->entry->comp->name);
    /* the report lines first, as export-device prints them; the results
     * after the artifact */
    int rc = sl__export_write(exp, path, rep, err);
    char *data = NULL;
    size_t size = 0;
    if (rc == SL_OK)
        rc = slurp(path, &data, &size, err);
    if (rc == SL_OK && sink && sink->on_artifact)
        rc = sink->on_artifact(sink->user, x->artifact, "device",
                               x->ext && x->ext->mime
                                   ? x->ext->mime
                                   : "application/octet-stream",
                               data, size);
    free(data);
    if (rc == SL_OK && rep)
        fprintf(rep, "  configuration stored as artifact %s (%zu bytes)\n",
                x->artifact, size);
    if (rc == SL_OK)
        rc = figures(x, SL_DEPLOY_WRITTEN, NULL, sink, err);
    if (rc == SL_OK)
        rc = store_quantisation(exp, x, path, sink, err);
    if (rc == SL_OK && x->evaluate && exp->n_evals) {
        if (x->ext && x->ext->xRead) {
            int same = 1;
            rc = sl__export_evaluate(exp, path, x->artifact, sink, &same,
                                     err);
            if (rc == SL_OK && x->ext->xQuantise && sink && sink->on_result)
                rc = sink->on_result(sink->user,
                                     "export_roundtrip_identical",
                                     same ? 1.0 : 0.0, NULL);
        } else if (rep) {
            fprintf(rep, "  (exporter '%s' cannot read configurations "
                         "back: no quantised evaluation)\n",
                    x->entry->comp->name);
        }
    }
    remove(path);
    return rc;
}
