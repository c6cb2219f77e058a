/* core/engine/network.c — layers in sequence over whole sequences. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libconfig.h>

#include "engine/network.h"
#include "engine/parallel.h"
#include "engine/settings.h"
#include "engine/nirmap.h"

static int layer_error(sl__layer *l, int rc, sl__err *err, const char *what)
{
    sl__err e;
    sl__ctx_take_error(&l->ctx, rc, &e);
    return sl__fail(err, rc, "%s (layer %s, %s)", e.msg, l->label, what);
}

/* The shape of layer l's output step into shape/rank (which hold its
 * input's): what it reports through SL_EXT_SHAPE; without the extension
 * the input's shape when the width is unchanged (a neuron layer acts per
 * channel), [n_out] otherwise. A report that does not multiply to n_out
 * is the plugin's bug. */
static int out_shape(sl__layer *l, size_t *shape, size_t *rank, sl__err *err)
{
    const sl_shape_ext *ext =
        SL_HAS_FIELD(sl_neuron_iface, l->iface, xExtension) &&
                l->iface->xExtension
            ? l->iface->xExtension(l->self, SL_EXT_SHAPE)
            : NULL;
    if (!ext || !SL_HAS_FIELD(sl_shape_ext, ext, xOutShape) ||
        !ext->xOutShape) {
        if (l->n_out != l->n_in)
            shape[0] = l->n_out, *rank = 1;
        return SL_OK;
    }
    size_t s[SL_MAX_RANK], r = 0, prod = 1;
    int rc = ext->xOutShape(l->self, s, SL_MAX_RANK, &r);
    if (rc)
        return layer_error(l, rc, err, "reporting its output shape");
    for (size_t k = 0; k < r && r <= SL_MAX_RANK; k++)
        prod *= s[k];
    if (r < 1 || r > SL_MAX_RANK || prod != l->n_out)
        return sl__fail(err, SL_EPLUGIN, "layer %s reports an output shape "
                        "of rank %zu with %zu elements but has %zu outputs "
                        "(a bug in its plugin)", l->label, r,
                        r <= SL_MAX_RANK ? prod : 0, l->n_out);
    memcpy(shape, s, r * sizeof *s);
    *rank = r;
    return SL_OK;
}

uint32_t sl__layer_events(const sl__layer *l)
{
    const sl_events_ext *ext =
        SL_HAS_FIELD(sl_neuron_iface, l->iface, xExtension) &&
                l->iface->xExtension && l->self
            ? l->iface->xExtension(l->self, SL_EXT_EVENTS)
            : NULL;
    if (!ext || !SL_HAS_FIELD(sl_events_ext, ext, flags))
        return 0;
    return ext->flags & (SL_EVENTS_IN | SL_EVENTS_OUT);
}

static int build_layers(sl__network *net, sl__config *cfg,
                        sl__setting *group, const sl__registry *reg,
                        const sl_host *host, size_t n_in, uint64_t seed,
                        sl__nirmap *nm, sl__err *err);

/* The layers of `layers`, or of the NIR graph `nir` names (engine/
 * nirmap.c: the layers are added to the group, then the graph's
 * parameters set), then the parameters `load` names. */
int sl__network_build(sl__network *net, sl__config *cfg, sl__setting *group,
                      const sl__registry *reg, const sl_host *host,
                      size_t n_in, uint64_t seed, sl__err *err)
{
    sl__nirmap nm;
    memset(&nm, 0, sizeof nm);
    int rc = build_layers(net, cfg, group, reg, host, n_in, seed, &nm, err);
    if (rc == SL_OK && nm.n_layers)
        rc = sl__nirmap_set_params(&nm, net, err);
    sl__nirmap_free(&nm);
    if (rc == SL_OK)
        rc = sl__nirmap_load_npy(cfg, group, net, err);
    return rc;
}

static int build_layers(sl__network *net, sl__config *cfg,
                        sl__setting *group, const sl__registry *reg,
                        const sl_host *host, size_t n_in, uint64_t seed,
                        sl__nirmap *nm, sl__err *err)
{
    memset(net, 0, sizeof *net);
    net->n_in = n_in;
    int rc = sl__declare_section(cfg, group, SL__SEC_NETWORK);
    if (rc)
        return sl__fail(err, rc, "out of memory");
    rc = sl__cfg_float(cfg, group, "dt", 1e-3, &net->dt, err);
    if (rc)
        return rc;
    if (!(net->dt > 0))
        return sl__cfg_error(cfg, sl__config_find(cfg, group, "dt"), err,
                             SL_ECONFIG, "dt must be > 0 (seconds per step)");
    /* a network built again from the same group (a thread's replica,
     * parallel.c) finds the layers the graph became and builds those */
    if (sl__config_find(cfg, group, "nir") &&
        !sl__config_is_generated(cfg, sl__config_find(cfg, group, "layers")) &&
        (rc = sl__nirmap_network(cfg, group, net->dt, nm, err)))
        return rc;
    sl__setting *layers = sl__config_find(cfg, group, "layers");
    if (!layers)
        return sl__cfg_error(cfg, group, err, SL_ECONFIG,
                             "missing 'layers': a list of layer groups, e.g. "
                             "layers = ( { type = \"linear\"; n_out = 2; } ), "
                             "or nir = \"FILE.nir\"");
    int nl = config_setting_length(layers);
    if (config_setting_type(layers) != CONFIG_TYPE_LIST || nl < 1)
        return sl__cfg_error(cfg, layers, err, SL_ECONFIG,
                             "'layers' must be a non-empty list ( {...}, ... )");
    net->layers = calloc((size_t)nl, sizeof *net->layers);
    if (!net->layers)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    net->n_alloc = (size_t)nl;
    size_t width = n_in;
    /* shape of one step between layers (sl_layer_info.in_shape) */
    size_t shape[SL_MAX_RANK] = {n_in}, rank = 1;
    for (int i = 0; i < nl; i++) {
        sl__layer *l = &net->layers[i];
        sl__setting *lg = config_setting_get_elem(layers, (unsigned)i);
        if (config_setting_type(lg) != CONFIG_TYPE_GROUP)
            return sl__cfg_error(cfg, lg, err, SL_ECONFIG,
                                 "each layer must be a group { type = ...; }");
        const char *type, *name;
        if ((rc = sl__declare_section(cfg, lg, SL__SEC_LAYER)))
            return sl__fail(err, rc, "out of memory");
        if ((rc = sl__cfg_string(cfg, lg, "type", NULL, &type, err)))
            return rc;
        if (!type)
            return sl__cfg_error(cfg, lg, err, SL_ECONFIG,
                                 "layer without 'type' (e.g. type = \"lif\";)");
        if ((rc = sl__cfg_string(cfg, lg, "name", NULL, &name, err)) ||
            (rc = sl__cfg_bool(cfg, lg, "record", 0, &l->record, err)))
            return rc;
        if (name && !name[0])
            return sl__cfg_error(cfg, sl__config_find(cfg, lg, "name"), err,
                                 SL_ECONFIG, "a layer name must not be "
                                 "empty: it names the layer's stored "
                                 "parameters (params/NAME/...) and its "
                                 "random streams; remove it for the default "
                                 "%s#%d", type, i);
        /* the whole name, never cut: two names that agree only in their
         * first characters are different layers */
        if (name)
            l->label = strdup(name);
        else if ((l->label = malloc(strlen(type) + 16)) != NULL)
            sprintf(l->label, "%s#%d", type, i);
        if (!l->label)
            return sl__fail(err, SL_ENOMEM, "out of memory");
        const char *label = l->label;
        /* a layer's name keys its stored parameters and its streams: a
         * second layer of the same name would silently overwrite the
         * first one's weights in the run record */
        for (int j = 0; j < i; j++) {
            if (strcmp(net->layers[j].label, label) != 0)
                continue;
            sl__setting *other = net->layers[j].ctx.group;
            sl__setting *on = sl__config_find(cfg, other, "name");
            char where[512];
            sl__cfg_where(cfg, on ? on : other, where, sizeof where);
            sl__setting *mine = sl__config_find(cfg, lg, "name");
            return sl__cfg_error(cfg, mine ? mine : lg, err, SL_ECONFIG,
                                 "layer %d is named '%s', as layer %d is "
                                 "(%s%s); layer names must be unique: "
                                 "give one a different name = \"...\"",
                                 i, label, j, where,
                                 on ? "" : ", its default name");
        }
        l->entry = sl__registry_find(reg, SL_KIND_NEURON, type);
        if (!l->entry) {
            sl__err e;
            sl__registry_missing(reg, SL_KIND_NEURON, type, &e);
            return sl__cfg_error(cfg, sl__config_find(cfg, lg, "type"), err,
                                 SL_ECONFIG, "%s", e.msg);
        }
        l->iface = l->entry->comp->iface;
        char *ctxname = malloc(strlen(label) + 16);
        if (!ctxname)
            return sl__fail(err, SL_ENOMEM, "out of memory");
        sprintf(ctxname, "network.layers.%s", label);
        sl__ctx_init(&l->ctx, cfg, lg, seed, ctxname);
        free(ctxname);
        if ((rc = sl__declare_component(cfg, lg, SL__SEC_LAYER, l->entry)))
            return sl__fail(err, rc, "out of memory");
        sl_layer_info info = {sizeof info, width, net->dt, shape, rank};
        l->n_in = width;
        rc = l->iface->xCreate(host, &l->ctx, &info, &l->self, &l->n_out);
        if (rc) {
            l->self = NULL;
            sl__ctx_take_error(&l->ctx, rc, err);
            return rc;
        }
        net->n_layers = (size_t)i + 1;
        if (l->n_out == 0)
            return sl__cfg_error(cfg, lg, err, SL_ECONFIG,
                                 "layer %s has no outputs", label);
        size_t np = 0;
        rc = l->iface->xParams(l->self, l->params, SL__MAX_LAYER_PARAMS, &np);
        if (rc)
            return layer_error(l, rc, err, "listing parameters");
        if (np > SL__MAX_LAYER_PARAMS)
            return sl__fail(err, SL_EPLUGIN, "layer %s has %zu parameter "
                            "tensors; at most %d supported", label, np,
                            SL__MAX_LAYER_PARAMS);
        l->n_params = np;
        if ((rc = out_shape(l, shape, &rank, err)))
            return rc;
        /* an event sequence and a dense one share the buffer but not its
         * meaning (times vs values): a mismatch is refused here, naming
         * both layers, instead of running on nonsense */
        if (i > 0) {
            const sl__layer *p = &net->layers[i - 1];
            int pe = (sl__layer_events(p) & SL_EVENTS_OUT) != 0;
            int ce = (sl__layer_events(l) & SL_EVENTS_IN) != 0;
            if (pe != ce)
                return sl__cfg_error(cfg, lg, err, SL_ECONFIG,
                                     "layer %s gives %s sequence but layer "
                                     "%s takes %s one; convert on the side "
                                     "of the event layer (its input or "
                                     "output = \"dense\")", p->label,
                                     pe ? "an event" : "a dense", label,
                                     ce ? "an event" : "a dense");
        }
        width = l->n_out;
    }
    net->n_out = width;
    size_t total = 0;
    for (size_t i = 0; i < net->n_layers; i++)
        total += net->layers[i].n_params;
    net->trainable = calloc(total ? total : 1, sizeof *net->trainable);
    if (!net->trainable)
        return sl__fail(err, SL_ENOMEM, "out of memory");
    for (size_t i = 0; i < net->n_layers; i++)
        for (size_t k = 0; k < net->layers[i].n_params; k++) {
            sl_param *p = &net->layers[i].params[k];
            if ((p->flags & SL_PARAM_TRAINABLE) && p->grad)
                net->trainable[net->n_trainable++] = *p;
        }
    return SL_OK;
}

void sl__network_free(sl__network *net)
{
    sl__par_free(net);
    for (size_t i = 0; i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        if (l->self)
            l->iface->xDestroy(l->self);
        free(l->out);
        free(l->gout);
    }
    for (size_t i = 0; i < net->n_alloc; i++) {
        free(net->layers[i].label);
        sl__ctx_fini(&net->layers[i].ctx);
    }
    free(net->layers);
    free(net->trainable);
    memset(net, 0, sizeof *net);
}

int sl__layer_has_twin(const sl__layer *l)
{
    return l->iface->xExtension &&
           l->iface->xExtension(l->self, SL_EXT_TWIN) != NULL;
}

/* With a pool (parallel.h), a batch of more than one shard runs sharded;
 * recording (traces of every layer of the whole batch) runs here. */
static int sharded(const sl__network *net, size_t batch, uint32_t mode)
{
    return net->par && !(mode & SL_MODE_RECORD) && sl__par_shards(batch) > 1;
}

int sl__network_prepare(sl__network *net, size_t batch, size_t time,
                        uint32_t mode, sl__err *err)
{
    if (batch == net->batch && time == net->time && mode == net->mode)
        return SL_OK;
    if (sharded(net, batch, mode)) {
        int rc = sl__par_prepare(net, batch, time, mode, err);
        if (rc)
            net->batch = net->time = 0, net->mode = 0;
        else
            net->time = time, net->mode = mode;
        return rc;
    }
    return sl__network_prepare_seq(net, batch, time, mode, err);
}

int sl__network_prepare_seq(sl__network *net, size_t batch, size_t time,
                            uint32_t mode, sl__err *err)
{
    net->par_active = 0;
    if (batch == net->batch && time == net->time && mode == net->mode)
        return SL_OK;
    for (size_t i = 0; i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        size_t need = batch * time * l->n_out;
        free(l->out);
        free(l->gout);
        l->out = calloc(need ? need : 1, sizeof(float));
        l->gout = (mode & SL_MODE_TRAIN) ? calloc(need ? need : 1, sizeof(float))
                                         : NULL;
        if (!l->out || ((mode & SL_MODE_TRAIN) && !l->gout))
            return sl__fail(err, SL_ENOMEM, "out of memory for %zu x %zu x "
                            "%zu buffers", batch, time, l->n_out);
        /* SL_MODE_SPIKING only reaches layers with a spiking twin: the
         * others (convolutions, linear) run as they always do */
        uint32_t lm = mode;
        if ((mode & SL_MODE_SPIKING) && !sl__layer_has_twin(l))
            lm &= ~(uint32_t)SL_MODE_SPIKING;
        int rc = l->iface->xPrepare(l->self, batch, time, lm);
        if (rc)
            return layer_error(l, rc, err, "preparing buffers");
    }
    net->batch = batch;
    net->time = time;
    net->mode = mode;
    return SL_OK;
}

int sl__network_forward(sl__network *net, const float *in, sl__err *err)
{
    if (net->par_active)
        return sl__par_forward(net, in, err);
    return sl__network_forward_seq(net, in, err);
}

int sl__network_forward_seq(sl__network *net, const float *in, sl__err *err)
{
    const float *x = in;
    for (size_t i = 0; i < net->n_layers; i++) {
        sl__layer *l = &net->layers[i];
        int rc = l->iface->xForward(l->self, x, l->out);
        if (rc)
            return layer_error(l, rc, err, "forward pass");
        x = l->out;
    }
    return SL_OK;
}

int sl__network_backward(sl__network *net, const float *dout, sl__err *err)
{
    if (!(net->mode & SL_MODE_TRAIN))
        return sl__fail(err, SL_EINVAL, "backward pass without train mode");
    if (net->par_active)
        return sl__par_backward(net, dout, err);
    return sl__network_backward_seq(net, dout, err);
}

int sl__network_backward_seq(sl__network *net, const float *dout,
                             sl__err *err)
{
    if (!(net->mode & SL_MODE_TRAIN))
        return sl__fail(err, SL_EINVAL, "backward pass without train mode");
    const float *g = dout;
    for (size_t i = net->n_layers; i-- > 0;) {
        sl__layer *l = &net->layers[i];
        float *din = i > 0 ? net->layers[i - 1].gout : NULL;
        /* experiment.c refuses such a layer before training; this keeps a
         * caller that skipped that check from a NULL call */
        if (!l->iface->xBackward)
            return sl__fail(err, SL_ENOTSUP, "layer %s (%s) has no backward "
                            "pass (xBackward is NULL)", l->label,
                            l->entry->comp->name);
        int rc = l->iface->xBackward(l->self, g, din);
        if (rc)
            return layer_error(l, rc, err, "backward pass");
        g = din;
    }
    return SL_OK;
}

void sl__network_zero_grad(sl__network *net)
{
    for (size_t i = 0; i < net->n_trainable; i++)
        memset(net->trainable[i].grad, 0, net->trainable[i].n * sizeof(float));
}

const float *sl__network_output(const sl__network *net)
{
    if (net->par_active)
        return sl__par_output(net);
    return sl__network_output_seq(net);
}

const float *sl__network_output_seq(const sl__network *net)
{
    return net->layers[net->n_layers - 1].out;
}

void sl__network_view(const sl__network *net, sl_layer_view *views,
                      sl_network_view *out)
{
    for (size_t i = 0; i < net->n_layers; i++) {
        const sl__layer *l = &net->layers[i];
        views[i] = (sl_layer_view){sizeof(sl_layer_view), l->entry->comp->name,
                                   l->n_in, l->n_out, (sl_ctx *)&l->ctx,
                                   l->n_params, l->params};
    }
    *out = (sl_network_view){sizeof(sl_network_view), net->dt, net->n_layers,
                             views};
}
