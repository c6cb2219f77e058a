/*
 * tests/plugins/exporter/json_weights.c — a second exporter, to prove that
 * the deployment interface (<spikelab/deploy.h>) carries any device: the
 * core knows nothing of this plugin. Built only for `make check`
 * (tests/export_json.sh), loaded from tests/plugins/exporter/.libs.
 *
 * Component "json_weights" (SL_KIND_BACKEND, SL_BACKEND_EXPORTS): the
 * "device" holds every tensor flagged SL_PARAM_WEIGHT rounded to a
 * multiple of `step` (setting, >= 0; 0 = float32 as it is):
 * q = (float)(step · nearbyint(w / step)).
 *
 *   {"format": "spikelab.test.json_weights", "step": S,
 *    "layers": [{"type": "linear", "weights": {"weight": [q, ...]}}, ...]}
 *
 * Values are printed with %.9g, so strtof reads back the very float.
 * xQuantise writes q into a network; xRead reads the file into one (layer
 * types and tensor sizes must match: SL_EINVAL; anything unparsable:
 * SL_EDATA); figures: results tensors, values, step, one report line.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spikelab/spikelab.h"

typedef struct jw {
    const sl_host *h;
    sl_ctx *ctx;
    double step;
    size_t tensors, values; /* of the last file written; tensors 0: none */
    int have_read;
    size_t read_tensors;    /* of the last file read */
} jw;

static float q(const jw *s, float w)
{
    return s->step > 0 ? (float)(s->step * nearbyint(w / s->step)) : w;
}

static int jw_create(const sl_host *h, sl_ctx *ctx, void **self)
{
    *self = NULL;
    jw *s = h->xAlloc(sizeof *s);
    if (s == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    s->h = h;
    s->ctx = ctx;
    int rc = h->xGetFloat(ctx, "step", 0.0, &s->step);
    if (rc == SL_OK && !(s->step >= 0 && isfinite(s->step)))
        rc = h->xError(ctx, "step", SL_ECONFIG,
                       "step = %g: a weight grid >= 0 (0 = float32)",
                       s->step);
    if (rc < 0) {
        h->xFree(s);
        return rc;
    }
    *self = s;
    return SL_OK;
}

static void jw_destroy(void *self)
{
    jw *s = self;
    if (s)
        s->h->xFree(s);
}

static int jw_place(void *self, const sl_network_view *net)
{
    (void)self;
    (void)net;
    return SL_OK; /* any network fits */
}

static int jw_export(void *self, const sl_network_view *net, const char *path)
{
    jw *s = self;
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return s->h->xError(s->ctx, NULL, SL_EIO, "cannot write %s", path);
    size_t nt = 0, nv = 0;
    fprintf(f, "{\"format\": \"spikelab.test.json_weights\", \"step\": "
               "%.17g,\n \"layers\": [",
            s->step);
    for (size_t i = 0; i < net->n_layers; i++) {
        const sl_layer_view *l = &net->layers[i];
        fprintf(f, "%s\n  {\"type\": \"%s\", \"weights\": {", i ? "," : "",
                l->type);
        int first = 1;
        for (size_t k = 0; k < l->n_params; k++) {
            const sl_param *p = &l->params[k];
            if (!(p->flags & SL_PARAM_WEIGHT) || !p->data)
                continue;
            fprintf(f, "%s\"%s\": [", first ? "" : ", ", p->name);
            for (size_t j = 0; j < p->n; j++)
                fprintf(f, "%s%.9g", j ? ", " : "", (double)q(s, p->data[j]));
            fputc(']', f);
            first = 0;
            nt++;
            nv += p->n;
        }
        fputs("}}", f);
    }
    fputs("\n ]}\n", f);
    if (fclose(f) != 0)
        return s->h->xError(s->ctx, NULL, SL_EIO, "cannot write %s", path);
    s->tensors = nt;
    s->values = nv;
    return SL_OK;
}

static int jw_quantise(void *self, const sl_network_view *net,
                       const sl_network_view *out)
{
    jw *s = self;
    for (size_t i = 0; i < net->n_layers && i < out->n_layers; i++)
        for (size_t k = 0; k < net->layers[i].n_params; k++) {
            const sl_param *p = &net->layers[i].params[k];
            const sl_param *o = &out->layers[i].params[k];
            if ((p->flags & SL_PARAM_WEIGHT) && p->data && o->data)
                for (size_t j = 0; j < p->n; j++)
                    o->data[j] = q(s, p->data[j]);
        }
    return SL_OK;
}

static int jw_read(void *self, const char *path, const sl_network_view *out)
{
    jw *s = self;
    const sl_host *h = s->h;
    enum { CAP = 1 << 22 }; /* 4 MiB: plenty for a test network */
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return h->xError(s->ctx, NULL, SL_EIO, "cannot read %s", path);
    char *buf = h->xAlloc(CAP);
    size_t len = buf ? fread(buf, 1, CAP - 1, f) : 0;
    fclose(f);
    if (buf == NULL)
        return h->xError(s->ctx, NULL, SL_ENOMEM, "out of memory");
    buf[len] = '\0';
    int rc = SL_OK;
    size_t nt = 0;
    const char *at = strstr(buf, "\"format\": \"spikelab.test.json_weights\"");
    if (at == NULL || len == CAP - 1)
        rc = h->xError(s->ctx, NULL, SL_EDATA, "%s: not a json_weights "
                       "file (or larger than %d bytes)", path, CAP - 1);
    for (size_t i = 0; rc == SL_OK && i < out->n_layers; i++) {
        const sl_layer_view *l = &out->layers[i];
        char key[160];
        snprintf(key, sizeof key, "{\"type\": \"%s\", ", l->type);
        at = strstr(at, "{\"type\": ");
        if (at == NULL || strncmp(at, key, strlen(key)) != 0) {
            rc = h->xError(s->ctx, NULL, SL_EINVAL, "%s: layer %zu is not "
                           "a '%s' layer", path, i, l->type);
            break;
        }
        at += strlen(key);
        const char *layer_end = strstr(at, "}}");
        for (size_t k = 0; rc == SL_OK && k < l->n_params; k++) {
            const sl_param *p = &l->params[k];
            if (!(p->flags & SL_PARAM_WEIGHT) || !p->data)
                continue;
            snprintf(key, sizeof key, "\"%s\": [", p->name);
            const char *v = strstr(at, key);
            if (v == NULL || layer_end == NULL || v > layer_end) {
                rc = h->xError(s->ctx, NULL, SL_EINVAL, "%s: layer %zu has "
                               "no tensor '%s'", path, i, p->name);
                break;
            }
            at = v + strlen(key);
            for (size_t j = 0; j < p->n; j++) {
                char *end;
                float x = strtof(at, &end);
                if (end == at || (*end != ',' && *end != ']') ||
                    (*end == ']') != (j + 1 == p->n)) {
                    rc = h->xError(s->ctx, NULL, SL_EDATA, "%s: layer %zu "
                                   "'%s': %zu values expected", path, i,
                                   p->name, p->n);
                    break;
                }
                p->data[j] = x;
                at = end + 1;
            }
            nt++;
        }
    }
    h->xFree(buf);
    if (rc == SL_OK) {
        s->have_read = 1;
        s->read_tensors = nt;
    }
    return rc;
}

static int jw_figures(void *self, int what, sl_figure_fn emit, void *user)
{
    jw *s = self;
    char line[200];
    int rc;
    if (what == SL_DEPLOY_READ) {
        if (!s->have_read)
            return SL_OK;
        snprintf(line, sizeof line, "read back %zu weight tensors",
                 s->read_tensors);
        sl_figure r = {sizeof r, SL_FIGURE_REPORT, "read", line, 0};
        return emit(user, &r);
    }
    if (s->tensors == 0)
        return SL_OK;
    snprintf(line, sizeof line, "%zu weight tensors, %zu values on a grid "
             "of %g", s->tensors, s->values, s->step);
    const sl_figure f[] = {
        {sizeof(sl_figure), SL_FIGURE_REPORT, "summary", line, 0},
        {sizeof(sl_figure), SL_FIGURE_RESULT, "tensors", NULL,
         (double)s->tensors},
        {sizeof(sl_figure), SL_FIGURE_RESULT, "values", NULL,
         (double)s->values},
        {sizeof(sl_figure), SL_FIGURE_RESULT | SL_FIGURE_REPORT, "step", NULL,
         s->step},
        {sizeof(sl_figure), SL_FIGURE_RESULT, "format",
         "spikelab.test.json_weights", 1},
    };
    for (size_t k = 0; k < sizeof f / sizeof *f; k++)
        if ((rc = emit(user, &f[k])) != 0)
            return rc;
    return SL_OK;
}

static const sl_deploy_ext jw_deploy = {
    .struct_size = sizeof(sl_deploy_ext),
    .file_ext = "json",
    .mime = "application/json",
    .xQuantise = jw_quantise,
    .xRead = jw_read,
    .xFigures = jw_figures,
};

static const void *jw_extension(void *self, const char *name)
{
    (void)self;
    return name && strcmp(name, SL_EXT_DEPLOY) == 0 ? &jw_deploy : NULL;
}

static const sl_backend_iface jw_iface = {
    .struct_size = sizeof(sl_backend_iface),
    .flags = SL_BACKEND_EXPORTS,
    .xCreate = jw_create,
    .xDestroy = jw_destroy,
    .xPlace = jw_place,
    .xExport = jw_export,
    .xExtension = jw_extension,
};

static const sl_setting jw_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "step", "0", "1", SL_MIN(0),
               "weight grid the export rounds to (0 = float32 as trained)"),
};

static const sl_component jw_components[] = {
    SL_COMPONENT(SL_KIND_BACKEND, "json_weights",
                 "test exporter: weights on a grid as JSON, and back",
                 &jw_iface, jw_settings),
};

static const sl_plugin_desc jw_desc =
    SL_PLUGIN_DESC("json_weights", "0.1.0", "test exporter (make check)",
                   jw_components);

SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    if (host == NULL || host->abi_major != SL_ABI_MAJOR ||
        !SL_HAS_FIELD(sl_host, host, xFree))
        return NULL;
    return &jw_desc;
}
