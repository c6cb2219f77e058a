/* core/api/init_from.c — a network's parameters from a recorded run
 * (init_from = { run = ID; db = "runs.db"; }; api.h). The engine reads
 * the setting; the database is the API's to open, so the parameters are
 * put in here, before the new run is recorded: a mismatch is a
 * configuration error (exit 2) with nothing recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "util/npy.h"

typedef struct stored {
    char *layer, *param; /* from params/LAYER/PARAM.npy */
    float *data;         /* owned copy of the values */
    size_t count;
    int used;
} stored;

typedef struct listing {
    stored *v;
    size_t n, cap;
    int oom;
} listing;

static int collect(void *user, const sl_artifact_info *a)
{
    listing *l = user;
    size_t len = strlen(a->name);
    if (!a->kind || strcmp(a->kind, "parameters") != 0 || len < 12 ||
        strncmp(a->name, "params/", 7) != 0 ||
        strcmp(a->name + len - 4, ".npy") != 0)
        return 0;
    /* the parameter's name is the last component: layer names may hold
     * a '/', parameter names do not */
    const char *slash = strrchr(a->name, '/');
    if (slash <= a->name + 7)
        return 0;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        stored *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return 1;
        }
        l->v = v;
        l->cap = cap;
    }
    stored *s = &l->v[l->n];
    memset(s, 0, sizeof *s);
    s->layer = strndup(a->name + 7, (size_t)(slash - a->name - 7));
    s->param = strndup(slash + 1, (size_t)(a->name + len - 4 - slash - 1));
    if (!s->layer || !s->param) {
        free(s->layer);
        free(s->param);
        l->oom = 1;
        return 1;
    }
    l->n++;
    return 0;
}

/* Append a line to the mismatch report (at most ~4 KB of it). */
static void note(char *buf, size_t len, size_t *n, int *count,
                 const char *fmt, const char *a, const char *b, size_t x,
                 size_t y)
{
    (*count)++;
    if (*n + 200 >= len)
        return;
    int w = snprintf(buf + *n, len - *n, fmt, a, b, x, y);
    if (w > 0)
        *n += (size_t)w < len - *n ? (size_t)w : len - *n - 1;
}

int sl__api_init_from(sl__experiment *exp, const char *db_default,
                      sl__err *err)
{
    int64_t run = exp->init_from_run;
    if (run <= 0)
        return SL_OK;
    const char *path = exp->init_from_db ? exp->init_from_db : db_default;
    sl__db *db = NULL;
    sl__err e;
    /* as `spikelab show` opens it: an older schema is migrated */
    int rc = sl__db_open_ex(path, SL__DB_MUST_EXIST, &db, &e);
    if (rc)
        return sl__fail(err, rc == SL_ENOTFOUND ? SL_ENOTFOUND : rc,
                        "init_from: %s", rc == SL_ENOTFOUND
                            ? "no run database there" : e.msg);
    listing l = {NULL, 0, 0, 0};
    rc = sl__db_artifacts(db, run, collect, &l, &e);
    if (rc == SL_ENOTFOUND) {
        rc = sl__fail(err, SL_ENOTFOUND, "init_from: no run %lld in %s",
                      (long long)run, path);
        goto out;
    }
    if (l.oom) {
        rc = sl__fail(err, SL_ENOMEM, "out of memory");
        goto out;
    }
    if (rc) {
        rc = sl__fail(err, rc, "init_from: %s", e.msg);
        goto out;
    }
    if (l.n == 0) {
        rc = sl__fail(err, SL_ENOTFOUND, "init_from: run %lld in %s has no "
                      "stored parameters (params/LAYER/PARAM.npy): it "
                      "failed before training, or recorded none",
                      (long long)run, path);
        goto out;
    }
    for (size_t i = 0; i < l.n; i++) {
        char name[1024];
        snprintf(name, sizeof name, "params/%s/%s.npy", l.v[i].layer,
                 l.v[i].param);
        void *b;
        size_t size, count;
        if ((rc = sl__db_artifact_read(db, run, name, &b, &size, &e))) {
            rc = sl__fail(err, rc, "init_from: %s", e.msg);
            goto out;
        }
        const float *d = sl__npy_f32_data(b, size, &count);
        if (d && (l.v[i].data = malloc((count ? count : 1) * sizeof(float))))
            memcpy(l.v[i].data, d, count * sizeof(float));
        free(b);
        if (!d) {
            rc = sl__fail(err, SL_EDATA, "init_from: run %lld's %s is not a "
                          "float32 .npy as spikelab writes them",
                          (long long)run, name);
            goto out;
        }
        if (!l.v[i].data) {
            rc = sl__fail(err, SL_ENOMEM, "out of memory");
            goto out;
        }
        l.v[i].count = count;
    }
    /* every trainable tensor of the network, and nothing else */
    char report[4096];
    size_t rn = 0;
    int bad = 0;
    sl__network *net = &exp->net;
    for (size_t i = 0; i < net->n_layers; i++) {
        sl__layer *ly = &net->layers[i];
        for (size_t k = 0; k < ly->n_params; k++) {
            sl_param *p = &ly->params[k];
            if (!(p->flags & SL_PARAM_TRAINABLE) || !p->data)
                continue;
            const char *pn = p->name ? p->name : "param";
            stored *s = NULL;
            for (size_t j = 0; j < l.n && !s; j++)
                if (strcmp(l.v[j].layer, ly->label) == 0 &&
                    strcmp(l.v[j].param, pn) == 0)
                    s = &l.v[j];
            if (!s)
                note(report, sizeof report, &rn, &bad, "\n  missing: "
                     "%s/%s (the network has it, the run does not)%.0zu%.0zu",
                     ly->label, pn, 0, 0);
            else if (s->count != p->n)
                note(report, sizeof report, &rn, &bad, "\n  shape: %s/%s has "
                     "%zu values in the run, %zu in the network", ly->label,
                     pn, s->count, p->n);
            if (s)
                s->used = 1;
        }
    }
    for (size_t j = 0; j < l.n; j++)
        if (!l.v[j].used)
            note(report, sizeof report, &rn, &bad, "\n  extra: %s/%s (the "
                 "run has it, the network does not)%.0zu%.0zu", l.v[j].layer,
                 l.v[j].param, 0, 0);
    if (bad) {
        rc = sl__fail(err, SL_ECONFIG, "init_from: run %lld of %s does not "
                      "fit this network (%d mismatch%s, by layer and "
                      "parameter name):%s", (long long)run, path, bad,
                      bad == 1 ? "" : "es", report);
        goto out;
    }
    for (size_t i = 0; i < net->n_layers; i++) {
        sl__layer *ly = &net->layers[i];
        for (size_t k = 0; k < ly->n_params; k++) {
            sl_param *p = &ly->params[k];
            if (!(p->flags & SL_PARAM_TRAINABLE) || !p->data)
                continue;
            for (size_t j = 0; j < l.n; j++)
                if (strcmp(l.v[j].layer, ly->label) == 0 &&
                    strcmp(l.v[j].param, p->name ? p->name : "param") == 0)
                    memcpy(p->data, l.v[j].data, p->n * sizeof(float));
        }
    }
    rc = SL_OK;
out:
    for (size_t i = 0; i < l.n; i++) {
        free(l.v[i].layer);
        free(l.v[i].param);
        free(l.v[i].data);
    }
    free(l.v);
    sl__db_close(db);
    return rc;
}
