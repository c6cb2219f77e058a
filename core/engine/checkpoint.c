/* core/engine/checkpoint.c — training state to and from a byte image
 * (format and reasons: checkpoint.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/checkpoint.h"
#include "spikelab/state.h"

static const char MAGIC[8] = {'S', 'L', 'C', 'K', 'P', 'T', 1, 0};
#define BOM 0x01020304u

/* The state extension of a component, NULL when it offers none. */
static const sl_state_ext *state_of(const void *(*ext)(void *, const char *),
                                    void *self)
{
    if (!ext || !self)
        return NULL;
    const sl_state_ext *s = ext(self, SL_EXT_STATE);
    return SL_HAS_FIELD(sl_state_ext, s, xLoad) && s->xSize && s->xSave &&
                   s->xLoad
               ? s
               : NULL;
}

static const sl_state_ext *optimizer_state(sl__experiment *exp)
{
    const sl_optimizer_iface *oi = exp->optimizer.iface;
    return state_of(oi->xExtension, exp->optimizer.self);
}

static int backend_is_sim(const sl__experiment *exp)
{
    return strcmp(exp->backend.entry->comp->name, "sim") == 0;
}

static const sl_state_ext *backend_state(sl__experiment *exp)
{
    const sl_backend_iface *bi = exp->backend.iface;
    return backend_is_sim(exp) ? NULL
                               : state_of(bi->xExtension, exp->backend.self);
}

static const sl_state_ext *layer_state(sl__layer *l)
{
    return state_of(l->iface->xExtension, l->self);
}

int sl__checkpoint_check(sl__experiment *exp, sl__err *err)
{
    if (!optimizer_state(exp))
        return sl__fail(err, SL_ECONFIG, "train.checkpoint_every: optimizer "
                        "'%s' cannot save its state (it offers no %s "
                        "extension), so a resumed run would not continue "
                        "as this one: remove checkpoint_every or use an "
                        "optimizer that can", exp->optimizer.entry->comp->name,
                        SL_EXT_STATE);
    if (!backend_is_sim(exp) && !backend_state(exp))
        return sl__fail(err, SL_ECONFIG, "train.checkpoint_every: backend "
                        "'%s' cannot save its state (it offers no %s "
                        "extension)", exp->backend.entry->comp->name,
                        SL_EXT_STATE);
    return SL_OK;
}

/* ---- writing ------------------------------------------------------------ */

typedef struct wbuf {
    unsigned char *b;
    size_t n, cap;
} wbuf;

static int put(wbuf *w, const void *p, size_t n)
{
    if (w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + n)
            cap *= 2;
        unsigned char *b = realloc(w->b, cap);
        if (!b)
            return SL_ENOMEM;
        w->b = b;
        w->cap = cap;
    }
    if (n)
        memcpy(w->b + w->n, p, n);
    w->n += n;
    return SL_OK;
}

/* An entry's header, its name the concatenation of a, b, c, d; the
 * caller appends len bytes of data. */
static int put_head(wbuf *w, const char *a, const char *b, const char *c,
                    const char *d, uint64_t len)
{
    const char *part[4] = {a, b, c, d};
    uint32_t nl = 0;
    for (int i = 0; i < 4; i++)
        nl += (uint32_t)strlen(part[i]);
    int rc = put(w, &nl, sizeof nl);
    for (int i = 0; i < 4 && !rc; i++)
        rc = put(w, part[i], strlen(part[i]));
    if (!rc)
        rc = put(w, &len, sizeof len);
    return rc;
}

static int put_state(wbuf *w, const sl_state_ext *st, void *self,
                     const char *a, const char *b, sl_ctx *ctx, sl__err *err)
{
    size_t n = st->xSize(self);
    /* room for the state, then xSave writes it in place */
    int rc = put_head(w, a, b, "", "", n);
    if (!rc && w->n + n > w->cap) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap < w->n + n)
            cap *= 2;
        unsigned char *nb = realloc(w->b, cap);
        if (!nb)
            rc = SL_ENOMEM;
        else {
            w->b = nb;
            w->cap = cap;
        }
    }
    if (rc)
        return sl__fail(err, rc, "out of memory for a checkpoint");
    if (n && (rc = st->xSave(self, w->b + w->n, n)))
        return sl__ctx_take_error(ctx, rc, err);
    w->n += n;
    return SL_OK;
}

int sl__checkpoint_encode(sl__experiment *exp, int64_t epoch, void **out,
                          size_t *size, sl__err *err)
{
    *out = NULL;
    *size = 0;
    wbuf w = {NULL, 0, 0};
    uint32_t bom = BOM;
    int rc = put(&w, MAGIC, sizeof MAGIC);
    if (!rc) rc = put(&w, &bom, sizeof bom);
    if (!rc) rc = put(&w, &epoch, sizeof epoch);
    sl__network *net = &exp->net;
    for (size_t i = 0; !rc && i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        for (size_t k = 0; !rc && k < l->n_params; k++) {
            const sl_param *p = &l->params[k];
            if (!p->data)
                continue;
            uint64_t len = p->n * sizeof(float);
            rc = put_head(&w, "param/", l->label, "/",
                          p->name ? p->name : "param", len);
            if (!rc)
                rc = put(&w, p->data, p->n * sizeof(float));
        }
    }
    if (rc) {
        free(w.b);
        return sl__fail(err, rc, "out of memory for a checkpoint");
    }
    const sl_state_ext *st = optimizer_state(exp);
    if (st && (rc = put_state(&w, st, exp->optimizer.self, "state/optimizer",
                              "", &exp->optimizer.ctx, err)))
        goto fail;
    if ((st = backend_state(exp)) &&
        (rc = put_state(&w, st, exp->backend.self, "state/backend", "",
                        &exp->backend.ctx, err)))
        goto fail;
    for (size_t i = 0; i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        if ((st = layer_state(l)) &&
            (rc = put_state(&w, st, l->self, "state/layer/", l->label,
                            &l->ctx, err)))
            goto fail;
    }
    *out = w.b;
    *size = w.n;
    return SL_OK;
fail:
    free(w.b);
    return rc;
}

int sl__checkpoint_emit(sl__experiment *exp, int64_t epoch,
                        const sl__hooks *hooks, sl__err *err)
{
    void *img;
    size_t size;
    int rc = sl__checkpoint_encode(exp, epoch, &img, &size, err);
    if (rc)
        return rc;
    rc = hooks->on_checkpoint(hooks->user, epoch, img, size);
    free(img);
    if (rc)
        return sl__fail(err, rc, "storing the checkpoint of epoch %lld "
                        "failed", (long long)epoch);
    return SL_OK;
}

/* ---- reading ------------------------------------------------------------ */

int sl__checkpoint_parse(const void *image, size_t size, int64_t *epoch,
                         int (*cb)(void *user, const char *name,
                                   size_t name_len, const void *data,
                                   size_t len),
                         void *user, sl__err *err)
{
    const unsigned char *b = image;
    uint32_t bom;
    if (!b || size < sizeof MAGIC + sizeof bom + sizeof *epoch ||
        memcmp(b, MAGIC, 6) != 0)
        return sl__fail(err, SL_EDATA, "not a spikelab checkpoint");
    if (memcmp(b, MAGIC, sizeof MAGIC) != 0)
        return sl__fail(err, SL_EDATA, "checkpoint format %u.%u (this "
                        "spikelab reads 1.0)", b[6], b[7]);
    memcpy(&bom, b + 8, sizeof bom);
    if (bom != BOM)
        return sl__fail(err, SL_EDATA, "checkpoint written on a machine of "
                        "another byte order");
    memcpy(epoch, b + 12, sizeof *epoch);
    if (*epoch < 0)
        return sl__fail(err, SL_EDATA, "checkpoint of epoch %lld",
                        (long long)*epoch);
    size_t at = 20;
    while (at < size) {
        uint32_t nl;
        uint64_t len;
        if (size - at < sizeof nl)
            return sl__fail(err, SL_EDATA, "checkpoint truncated at byte "
                            "%zu", at);
        memcpy(&nl, b + at, sizeof nl);
        at += sizeof nl;
        if (nl == 0 || nl > 4096 || size - at < nl ||
            size - at - nl < sizeof len)
            return sl__fail(err, SL_EDATA, "checkpoint: entry at byte %zu "
                            "runs past the end", at - sizeof nl);
        const char *name = (const char *)b + at;
        at += nl;
        memcpy(&len, b + at, sizeof len);
        at += sizeof len;
        if (len > size - at)
            return sl__fail(err, SL_EDATA, "checkpoint: entry '%.*s' needs "
                            "%llu bytes, %zu are left", (int)nl, name,
                            (unsigned long long)len, size - at);
        int rc = cb ? cb(user, name, nl, b + at, (size_t)len) : SL_OK;
        if (rc)
            return rc;
        at += (size_t)len;
    }
    return SL_OK;
}

/* What an image must hold for exp: one slot per tensor and state. */
typedef struct slot {
    char *name;
    float *param;         /* a tensor: its data */
    size_t bytes;         /* a tensor: its size */
    const sl_state_ext *st; /* a state: whose */
    void *self;
    sl_ctx *ctx;
    int seen;
} slot;

typedef struct restore {
    slot *slots;
    size_t n;
    sl__err *err;
    int phase; /* 0: check, 1: apply */
} restore;

static int restore_entry(void *user, const char *name, size_t nl,
                         const void *data, size_t len)
{
    restore *r = user;
    for (size_t i = 0; i < r->n; i++) {
        slot *s = &r->slots[i];
        if (strlen(s->name) != nl || memcmp(s->name, name, nl) != 0)
            continue;
        if (r->phase == 0) {
            if (s->seen++)
                return sl__fail(r->err, SL_EDATA, "checkpoint holds '%s' "
                                "twice", s->name);
            if (s->param && len != s->bytes)
                return sl__fail(r->err, SL_EDATA, "checkpoint: '%s' has %zu "
                                "values, the network's tensor %zu: a "
                                "checkpoint of another network", s->name,
                                len / sizeof(float),
                                s->bytes / sizeof(float));
            return SL_OK;
        }
        if (s->param) {
            memcpy(s->param, data, len);
            return SL_OK;
        }
        int rc = s->st->xLoad(s->self, data, len);
        return rc ? sl__ctx_take_error(s->ctx, rc, r->err) : SL_OK;
    }
    return sl__fail(r->err, SL_EDATA, "checkpoint holds '%.*s', which this "
                    "network does not have: a checkpoint of another network",
                    (int)nl, name);
}

static int add_slot(restore *r, size_t cap, const char *a, const char *b,
                    const char *c)
{
    if (r->n == cap)
        return SL_ENOMEM;
    size_t len = strlen(a) + strlen(b) + strlen(c) + 1;
    slot *s = &r->slots[r->n];
    memset(s, 0, sizeof *s);
    if (!(s->name = malloc(len)))
        return SL_ENOMEM;
    snprintf(s->name, len, "%s%s%s", a, b, c);
    r->n++;
    return SL_OK;
}

int sl__checkpoint_restore(sl__experiment *exp, const void *image,
                           size_t size, sl__err *err)
{
    sl__network *net = &exp->net;
    size_t cap = 2 + net->n_layers * (SL__MAX_LAYER_PARAMS + 1);
    restore r = {calloc(cap, sizeof(slot)), 0, err, 0};
    int rc = r.slots ? SL_OK : SL_ENOMEM;
    for (size_t i = 0; !rc && i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        for (size_t k = 0; !rc && k < l->n_params; k++) {
            sl_param *p = &l->params[k];
            if (!p->data)
                continue;
            if (!(rc = add_slot(&r, cap, "param/", l->label, "/"))) {
                /* append the parameter's name */
                slot *s = &r.slots[r.n - 1];
                const char *pn = p->name ? p->name : "param";
                char *full = malloc(strlen(s->name) + strlen(pn) + 1);
                if (!full) {
                    rc = SL_ENOMEM;
                    break;
                }
                sprintf(full, "%s%s", s->name, pn);
                free(s->name);
                s->name = full;
                s->param = p->data;
                s->bytes = p->n * sizeof(float);
            }
        }
        const sl_state_ext *st = layer_state(l);
        if (!rc && st && !(rc = add_slot(&r, cap, "state/layer/", l->label,
                                         ""))) {
            r.slots[r.n - 1].st = st;
            r.slots[r.n - 1].self = l->self;
            r.slots[r.n - 1].ctx = &l->ctx;
        }
    }
    const sl_state_ext *st;
    if (!rc && (st = optimizer_state(exp)) &&
        !(rc = add_slot(&r, cap, "state/optimizer", "", ""))) {
        r.slots[r.n - 1].st = st;
        r.slots[r.n - 1].self = exp->optimizer.self;
        r.slots[r.n - 1].ctx = &exp->optimizer.ctx;
    }
    if (!rc && (st = backend_state(exp)) &&
        !(rc = add_slot(&r, cap, "state/backend", "", ""))) {
        r.slots[r.n - 1].st = st;
        r.slots[r.n - 1].self = exp->backend.self;
        r.slots[r.n - 1].ctx = &exp->backend.ctx;
    }
    if (rc) {
        sl__fail(err, rc, "out of memory restoring a checkpoint");
        goto out;
    }
    int64_t epoch;
    /* check everything first, then apply: a refused image changes nothing
     * (component states check their own bytes when loading) */
    if ((rc = sl__checkpoint_parse(image, size, &epoch, restore_entry, &r,
                                   err)))
        goto out;
    for (size_t i = 0; i < r.n; i++)
        if (!r.slots[i].seen) {
            rc = sl__fail(err, SL_EDATA, "checkpoint lacks '%s': a "
                          "checkpoint of another network", r.slots[i].name);
            goto out;
        }
    if (epoch > exp->epochs) {
        rc = sl__fail(err, SL_EDATA, "checkpoint after epoch %lld, but the "
                      "run trains %lld epochs", (long long)epoch,
                      (long long)exp->epochs);
        goto out;
    }
    r.phase = 1;
    if ((rc = sl__checkpoint_parse(image, size, &epoch, restore_entry, &r,
                                   err)))
        goto out;
    exp->start_epoch = epoch;
out:
    for (size_t i = 0; i < r.n; i++)
        free(r.slots[i].name);
    free(r.slots);
    return rc;
}
