/*
 * plugins/dynapse2_export/place.c — from a network view to a Dynap-SE2
 * placement, its limits, and the quantised network it stands for
 * (specs/dynapse2_export.md §2.3, §3, §5; our corrected multi-core rules
 * of §5.6).
 *
 * Steps (d2_place_network):
 *  1. Read the view: a "linear" layer (weight [n_in][n], no bias) feeding
 *     a "dynapsim" layer (optional w_rec [n][n]); the 13 currents from the
 *     dynapsim layer's parameters of those names, else its settings; its
 *     Iscale setting (1e-8 A).
 *  2. Core parameters are shared by the 256 neurons of a core. With
 *     core_parameters = "split" (default) neurons are grouped by the bias
 *     codes (coarse, fine) their 13 currents convert to: neurons needing
 *     different biases never share a core. Groups are ordered by their
 *     lowest neuron. With "mean" (Rockpool) there is one group and each
 *     core gets the mean of its members' currents.
 *  3. Each group of g neurons is split into k = ceil(g / neurons_per_core)
 *     clusters: "greedy" gives contiguous blocks, member i (0-based in the
 *     group) → block floor(i·k/g) (sizes differ by at most 1; Rockpool's
 *     floor(i/floor(g/k)) makes extra ids when k ∤ g); "random" deals a
 *     permutation of i mod k from the stream (export, "cluster").
 *     Cluster c → chip c / 4, core c % 4; at most 4·chips clusters.
 *     Members take slots 0, 1, … in ascending global index.
 *  4. Per cluster, the quantiser (quantise.c) on the magnitudes of the
 *     non-zero weights into the cluster's neurons, row-major over
 *     [w_in; w_rec] (typed input: over (pre, post, type)); base weight
 *     Iw_k = c_k·Iscale → SYAM_Wk_P (coarse, fine); masks and dendrites
 *     (sign > 0 → AMPA, < 0 → GABA; the dendrite model: negative w_rec on
 *     its inhibitory type's, typed input and a type map on their type's,
 *     dynapse2_synapses.md §5).
 *  5. Limits, each error naming it: tags (n_in + n <= 2047: input channel
 *     i has tag i, neuron j tag n_in + j; 2047 stays the runtime's),
 *     fan-in (<= 64 CAM entries of mask > 0 per neuron), fan-out (<= 4
 *     SRAM entries: the monitor route and one per target chip), cores per
 *     chip (4) and chips (setting `chips`).
 * The quantised network (d2_place_write): weight = sign·Σ_k bit_k(mask)·
 * Iw_k(core of the post neuron, as the chip's generator gives it)/Iscale
 * (typed input and type maps: the magnitude, on the column or connection
 * of the entry's type);
 * every current = the generator's value of its core's bias, except
 *  - Idc = 0 for a neuron whose latch_so_dc is off (we set the latch when
 *    the core's Idc > 0, §5.5; without it the chip injects nothing);
 *  - Itau_syn / Igain_syn: the chip has one bias per dendrite; when the
 *    four agree (always, for our exports) their value, else the average
 *    weighted by the sums of the neuron's masks per dendrite (Rockpool's
 *    reverse rule, §7.1 step 5), AMPA's when the neuron has none.
 * Import reads a d2_place from the file and writes it with the same
 * function, so quantise and import(export) agree bit for bit.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "d2.h"

/* ----------------------------------------------------------- view → net */

static const sl_param *find_param(const sl_layer_view *l, const char *name)
{
    for (size_t k = 0; k < l->n_params; k++)
        if (l->params[k].name && strcmp(l->params[k].name, name) == 0)
            return &l->params[k];
    return NULL;
}

/* Check the view's shape; *lin, *ds are the two layers; *typed: the
 * dynapsim layer takes typed input (4 channels per neuron, AMPA, GABA_B,
 * NMDA, GABA_A: the linear layer's n_out = 4·n). */
static int check_view(const sl_host *h, sl_ctx *ctx, const sl_network_view *v,
                      const sl_layer_view **lin, const sl_layer_view **ds,
                      int *typed)
{
    if (v == NULL || v->n_layers != 2 || v->layers == NULL ||
        v->layers[0].type == NULL || v->layers[1].type == NULL ||
        strcmp(v->layers[0].type, "linear") != 0 ||
        strcmp(v->layers[1].type, "dynapsim") != 0) {
        char got[200] = "";
        for (size_t i = 0; v && v->layers && i < v->n_layers && i < 6; i++)
            snprintf(got + strlen(got), sizeof got - strlen(got), "%s%s",
                     i ? " -> " : "",
                     v->layers[i].type ? v->layers[i].type : "?");
        return h->xError(ctx, NULL, SL_ENOTSUP,
                         "the Dynap-SE2 exporter takes a network of a "
                         "'linear' layer (input weights, no bias) feeding "
                         "one 'dynapsim' layer; this network is %s",
                         got[0] ? got : "empty");
    }
    *lin = &v->layers[0];
    *ds = &v->layers[1];
    *typed = (*ds)->n_out > 0 && (*ds)->n_in == 4 * (*ds)->n_out;
    if ((*lin)->n_out != (*ds)->n_in ||
        ((*ds)->n_in != (*ds)->n_out && !*typed))
        return h->xError(ctx, NULL, SL_EINVAL,
                         "inconsistent layer sizes in the network view");
    if (find_param(*lin, "bias"))
        return h->xError(ctx, NULL, SL_ENOTSUP,
                         "the input 'linear' layer has a bias, which the "
                         "chip cannot represent: set bias = false");
    const sl_param *w = find_param(*lin, "weight");
    if (w == NULL || w->data == NULL || w->ndim != 2 ||
        w->shape[0] != (*lin)->n_in || w->shape[1] != (*lin)->n_out)
        return h->xError(ctx, NULL, SL_EINVAL,
                         "the 'linear' layer has no weight [%zu][%zu]",
                         (*lin)->n_in, (*lin)->n_out);
    const sl_param *r = find_param(*ds, "w_rec");
    if (r && (r->data == NULL || r->ndim != 2 ||
              r->shape[0] != (*ds)->n_out || r->shape[1] != (*ds)->n_out))
        return h->xError(ctx, NULL, SL_EINVAL,
                         "the 'dynapsim' layer's w_rec is not [%zu][%zu]",
                         (*ds)->n_out, (*ds)->n_out);
    return SL_OK;
}

/* A latch of the dynapsim layer (0/1 per neuron) into out[n]: its
 * parameter when it exposes one (a re-imported network), else its
 * setting. */
static int read_latch(const sl_host *h, sl_ctx *ctx, const sl_layer_view *ds,
                      const char *name, size_t n, float *tmp, uint8_t *out)
{
    const sl_param *p = find_param(ds, name);
    const float *src = tmp;
    int rc = SL_OK;
    if (p && p->data && p->n == n)
        src = p->data;
    else if (ds->ctx)
        rc = h->xGetFloatVec(ds->ctx, name, 1.0, tmp, n);
    else
        for (size_t j = 0; j < n; j++)
            tmp[j] = 1.0f;
    for (size_t j = 0; rc == SL_OK && j < n; j++)
        out[j] = src[j] != 0.0f;
    (void)ctx;
    return rc;
}

/* How a dendrite-model layer sends w_rec to its dendrites, from its
 * settings as dynapsim.c reads them: D2R_SIGN (w > 0 AMPA, w < 0 the
 * type *inh: 1 GABA_B or 3 GABA_A), D2R_AMPA (the signed sum into AMPA)
 * or D2R_MAP (*map [pre][post] the type 0..3 of each connection, which
 * carries |w|; allocated here, the caller frees). Without settings (no
 * ctx): sign, GABA_B. */
enum { D2R_SIGN, D2R_AMPA, D2R_MAP };
static int rec_routing(const sl_host *h, sl_ctx *ctx, const sl_layer_view *ds,
                       size_t n, int *mode, int *inh, uint8_t **map)
{
    static const char *const tn[4] = {"ampa", "gaba_b", "nmda", "gaba_a"};
    const char *rs = "sign", *v = "gaba_b";
    int rc;
    *mode = D2R_SIGN;
    *inh = 1;
    *map = NULL;
    if (ds->ctx == NULL)
        return SL_OK;
    if (h->xGetString(ds->ctx, "rec_synapses", "sign", &rs) == SL_OK) {
        *mode = strcmp(rs, "ampa") == 0 ? D2R_AMPA : D2R_SIGN;
        if ((rc = h->xGetString(ds->ctx, "inhibitory", "gaba_b", &v)) < 0)
            return rc;
        *inh = strcmp(v, "gaba_a") == 0 ? 3 : 1;
        return SL_OK;
    }
    /* a list of n·n type names [pre][post], which the layer has checked
     * when it was made */
    uint8_t *m = h->xAlloc(n * n + 1);
    if (m == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    for (size_t k = 0; k < n * n; k++) {
        char key[48];
        int kn = snprintf(key, sizeof key, "rec_synapses.[%zu]", k);
        int t = -1;
        if (kn > 0 && (size_t)kn < sizeof key &&
            h->xGetString(ds->ctx, key, NULL, &v) == SL_OK && v)
            for (int q = 0; q < 4; q++)
                if (strcmp(v, tn[q]) == 0)
                    t = q;
        if (t < 0) {
            h->xFree(m);
            return h->xError(ctx, NULL, SL_EINVAL,
                             "the dynapsim layer's rec_synapses is neither "
                             "\"sign\", \"ampa\" nor a list of %zu type "
                             "names (entry %zu)",
                             n * n, k);
        }
        m[k] = (uint8_t)t;
    }
    *mode = D2R_MAP;
    *map = m;
    return SL_OK;
}

/* The synapse model of the dynapsim layer (dynapse2_synapses.md §5):
 * merged → the per-type currents are Itau_syn/Igain_syn (export as
 * before); dendrites → its own per-type currents, negative w_rec on the
 * dendrite of its `inhibitory` type or each connection on the dendrite
 * its type map names, typed input on the dendrite of its channel, and
 * the AHP and NMDA latches. The DC latch (dc_en) of either model. */
static int read_dendrites(const sl_host *h, sl_ctx *ctx,
                          const sl_layer_view *ds, d2_net *net, float *tmp)
{
    const size_t n = net->n;
    const char *v = "merged";
    int rc;
    if (ds->ctx && (rc = h->xGetString(ds->ctx, "synapses", "merged", &v)) < 0)
        return rc;
    net->dend = strcmp(v, "dendrites") == 0;
    net->lat_ahp = h->xAlloc(3 * n);
    if (net->lat_ahp == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    net->lat_nmda = net->lat_ahp + n;
    net->lat_dc = net->lat_ahp + 2 * n;
    if ((rc = read_latch(h, ctx, ds, "dc_en", n, tmp, net->lat_dc)) < 0)
        return rc;
    if (!net->dend) {
        static const int cp[6][2] = {
            {D2_ITAU_GABA, D2_ITAU_SYN},   {D2_IGAIN_GABA, D2_IGAIN_SYN},
            {D2_ITAU_NMDA, D2_ITAU_SYN},   {D2_IGAIN_NMDA, D2_IGAIN_SYN},
            {D2_ITAU_SHUNT, D2_ITAU_SYN},  {D2_IGAIN_SHUNT, D2_IGAIN_SYN}};
        for (int k = 0; k < 6; k++)
            memcpy(net->cur + (size_t)cp[k][0] * n,
                   net->cur + (size_t)cp[k][1] * n, n * sizeof(double));
        return SL_OK;
    }
    int mode = D2R_SIGN, inh = 1;
    if (find_param(ds, "w_rec") != NULL &&
        (rc = rec_routing(h, ctx, ds, n, &mode, &inh, &net->rec_map)) < 0)
        return rc;
    net->neg_rec_den = inh == 3 ? D2_DEN_SHUNT : D2_DEN_GABA;
    if (mode == D2R_AMPA) {
        /* "ampa": the signed sum into AMPA, as the merged model; the chip
         * has no such sum, so negative weights become GABA_B entries as
         * in a merged export (and the re-evaluation, like the merged
         * one, does not show their inhibition) */
        net->neg_rec_den = D2_DEN_GABA;
        h->xLog(ctx, SL_LOG_WARN,
                "rec_synapses = \"ampa\": negative w_rec become GABA_B "
                "synapses on the chip, which the simulation (a signed sum "
                "into AMPA) does not model; rec_synapses = \"sign\" "
                "simulates them");
    }
    if ((rc = read_latch(h, ctx, ds, "ahp_en", n, tmp, net->lat_ahp)) < 0 ||
        (rc = read_latch(h, ctx, ds, "nmda_en", n, tmp, net->lat_nmda)) < 0)
        return rc;
    return SL_OK;
}

int d2_net_read(const sl_host *h, sl_ctx *ctx, const sl_network_view *v,
                d2_net *net)
{
    const sl_layer_view *lin, *ds;
    memset(net, 0, sizeof *net);
    int rc = check_view(h, ctx, v, &lin, &ds, &net->typed_in);
    if (rc)
        return rc;
    const size_t n = ds->n_out;
    net->n_in = lin->n_in;
    net->n = n;
    net->dt = v->dt;
    net->w_in = find_param(lin, "weight")->data;
    const sl_param *r = find_param(ds, "w_rec");
    net->w_rec = r ? r->data : NULL;
    net->iscale = 1e-8;
    if (ds->ctx && (rc = h->xGetFloat(ds->ctx, "Iscale", 1e-8,
                                      &net->iscale)) < 0)
        return rc;
    if (!(net->iscale > 0) || !isfinite(net->iscale))
        return h->xError(ctx, NULL, SL_EINVAL,
                         "the dynapsim layer's Iscale %g A is not positive",
                         net->iscale);
    net->cur = h->xAlloc(D2_NCUR * n * sizeof(double));
    float *tmp = h->xAlloc(n * sizeof(float));
    if (net->cur == NULL || tmp == NULL) {
        h->xFree(tmp);
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory (%zu neurons)",
                         n);
    }
    for (int k = 0; k < D2_NCUR && rc == SL_OK; k++) {
        const sl_param *p = find_param(ds, d2_cur_names[k]);
        const float *src = NULL;
        if (p) {
            if (p->data == NULL || p->n != n)
                rc = h->xError(ctx, NULL, SL_EINVAL,
                               "the dynapsim parameter %s has %zu values "
                               "for %zu neurons",
                               d2_cur_names[k], p->n, n);
            src = p->data;
        } else if (ds->ctx) {
            /* not a parameter of this dynapsim: its setting (the nominal
             * value, before mismatch) */
            rc = h->xGetFloatVec(ds->ctx, d2_cur_names[k],
                                 d2_cur_defaults[k], tmp, n);
            src = tmp;
        } else {
            for (size_t j = 0; j < n; j++)
                tmp[j] = (float)d2_cur_defaults[k];
            src = tmp;
        }
        for (size_t j = 0; rc == SL_OK && j < n; j++) {
            double x = src[j];
            if (!(x >= 0) || !isfinite(x)) {
                rc = h->xError(ctx, NULL, SL_EINVAL,
                               "current %s of neuron %zu is %g A: bias "
                               "currents must be finite and >= 0",
                               d2_cur_names[k], j, x);
                break;
            }
            net->cur[(size_t)k * n + j] = x;
        }
    }
    if (rc == SL_OK)
        rc = read_dendrites(h, ctx, ds, net, tmp);
    h->xFree(tmp);
    if (rc == SL_OK) {
        const size_t cols = net->typed_in ? 4 * n : n, nw = net->n_in * cols;
        size_t neg = 0, first = 0;
        for (size_t i = 0; i < nw; i++) {
            if (!isfinite(net->w_in[i]))
                return h->xError(ctx, NULL, SL_ENUMERIC,
                                 "input weight [%zu][%zu] is %g",
                                 i / cols, i % cols, (double)net->w_in[i]);
            if (net->typed_in && net->w_in[i] < 0 && neg++ == 0)
                first = i;
        }
        /* a CAM entry adds a positive current to one dendrite: a typed
         * input's negative weight (which in the simulation only cancels
         * positive drive of the same type within a step) has nothing on
         * the chip; said, and counted as dropped */
        if (neg) {
            static const char *const tn[4] = {"AMPA", "GABA_B", "NMDA",
                                              "GABA_A"};
            h->xLog(ctx, SL_LOG_WARN,
                    "%zu typed input weight%s negative (the first: input "
                    "%zu -> neuron %zu, %s, %g): a chip synapse cannot "
                    "subtract from its dendrite, so %s not exported and "
                    "the quantised network has 0 there",
                    neg, neg == 1 ? " is" : "s are", first / cols,
                    first % cols / 4, tn[first % 4],
                    (double)net->w_in[first], neg == 1 ? "it is" : "they are");
        }
        for (size_t i = 0; net->w_rec && i < n * n; i++)
            if (!isfinite(net->w_rec[i]))
                return h->xError(ctx, NULL, SL_ENUMERIC,
                                 "w_rec[%zu][%zu] is %g", i / n, i % n,
                                 (double)net->w_rec[i]);
    }
    return rc;
}

void d2_net_free(const sl_host *h, d2_net *net)
{
    h->xFree(net->cur);
    h->xFree(net->lat_ahp);
    h->xFree(net->rec_map);
    net->cur = NULL;
    net->lat_ahp = net->lat_nmda = net->lat_dc = NULL;
    net->rec_map = NULL;
}

/* ------------------------------------------------------------ placement */

void d2_place_free(const sl_host *h, d2_place *p)
{
    h->xFree(p->chip);
    h->xFree(p->core);
    h->xFree(p->slot);
    h->xFree(p->latch_dc);
    h->xFree(p->latch_ahp);
    h->xFree(p->mask_in);
    h->xFree(p->mask_rec);
    h->xFree(p->den_in);
    h->xFree(p->den_rec);
    memset(p, 0, sizeof *p);
}

int d2_place_alloc(const sl_host *h, d2_place *p, size_t n_in, size_t n,
                   int has_rec)
{
    memset(p, 0, sizeof *p);
    p->n_in = n_in;
    p->n = n;
    p->has_rec = has_rec;
    if (n == 0 || n > D2_MAX_CORES * D2_NEURONS)
        return SL_EINVAL;
    size_t nr = has_rec ? n * n : 1;
    p->chip = h->xAlloc(n);
    p->core = h->xAlloc(n);
    p->slot = h->xAlloc(n * sizeof(uint16_t));
    p->latch_dc = h->xAlloc(n);
    p->latch_ahp = h->xAlloc(2 * n);
    p->latch_nmda = p->latch_ahp ? p->latch_ahp + n : NULL;
    p->mask_in = h->xAlloc(n_in * n * D2_SLOTS + 1);
    p->den_in = h->xAlloc((n_in * n * D2_SLOTS + 1) * sizeof(uint16_t));
    p->mask_rec = h->xAlloc(nr);
    p->den_rec = h->xAlloc(nr * sizeof(uint16_t));
    if (!p->chip || !p->core || !p->slot || !p->latch_dc || !p->latch_ahp ||
        !p->mask_in ||
        !p->den_in || !p->mask_rec || !p->den_rec) {
        d2_place_free(h, p);
        return SL_ENOMEM;
    }
    return SL_OK;
}

double d2_weight(unsigned m, unsigned dendrite, const double Iw[4],
                 double iscale)
{
    if (m == 0)
        return 0.0;
    double mag = d2_level(Iw, m) / iscale;
    switch (dendrite) {
    case D2_DEN_AMPA:
    case D2_DEN_NMDA:
        return mag;
    case D2_DEN_GABA:
    case D2_DEN_SHUNT:
        return -mag;
    default:
        return 0.0;
    }
}

void d2_core_iw(const d2_gen *g, const d2_place *p, size_t gc, double Iw[4])
{
    for (int k = 0; k < 4; k++) {
        const d2_biasdef *b = &d2_biases[D2_B_W0 + k];
        Iw[k] = d2_d2a(g, b->type, b->scale, p->coarse[gc][D2_B_W0 + k],
                       p->fine[gc][D2_B_W0 + k]);
    }
}

/* Bias codes of one neuron's currents (the first bias of each current). */
static void codes_of(const d2_gen *g, const double *cur, size_t n, size_t j,
                     uint8_t cc[D2_NCUR], uint8_t ff[D2_NCUR])
{
    for (int k = 0; k < D2_NCUR; k++) {
        const d2_biasdef *b = &d2_biases[d2_bias_of_current(k)];
        int C, F;
        d2_a2d(g, b->type, b->scale, cur[(size_t)k * n + j], &C, &F);
        cc[k] = (uint8_t)C;
        ff[k] = (uint8_t)F;
    }
}

static size_t gcore(const d2_place *p, size_t j)
{
    return (size_t)p->chip[j] * D2_CORES + p->core[j];
}

int d2_place_check(const sl_host *h, sl_ctx *ctx, const d2_place *p,
                   const char *what)
{
    const size_t n = p->n, n_in = p->n_in;
    if (n_in + n > D2_TAGS - 1)
        return h->xError(ctx, NULL, SL_EFIT,
                         "%s: tags: %zu input channels + %zu neurons need "
                         "%zu tags, the chip has %d (11 bits; 2047 is kept "
                         "for the runtime's control events)",
                         what, n_in, n, n_in + n, D2_TAGS - 1);
    /* slots: unique per core, < 256 */
    uint8_t *seen = h->xAlloc((size_t)D2_MAX_CORES * D2_NEURONS);
    if (seen == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    int rc = SL_OK;
    for (size_t j = 0; j < n && rc == SL_OK; j++) {
        if (p->chip[j] >= D2_MAX_CHIPS || p->core[j] >= D2_CORES ||
            p->slot[j] >= D2_NEURONS)
            rc = h->xError(ctx, NULL, SL_EFIT,
                           "%s: neuron %zu at chip %u core %u slot %u: "
                           "limits are %d chips, %d cores per chip, %d "
                           "neurons per core",
                           what, j, p->chip[j], p->core[j], p->slot[j],
                           D2_MAX_CHIPS, D2_CORES, D2_NEURONS);
        else if (seen[gcore(p, j) * D2_NEURONS + p->slot[j]]++)
            rc = h->xError(ctx, NULL, SL_EDATA,
                           "%s: two neurons in chip %u core %u slot %u",
                           what, p->chip[j], p->core[j], p->slot[j]);
    }
    h->xFree(seen);
    if (rc)
        return rc;
    /* fan-in: CAM entries of mask > 0 per post-synaptic neuron */
    for (size_t j = 0; j < n; j++) {
        size_t k = 0;
        for (size_t i = 0; i < n_in; i++)
            for (size_t d = 0; d < D2_SLOTS; d++)
                k += p->mask_in[(i * n + j) * D2_SLOTS + d] != 0;
        for (size_t i = 0; p->has_rec && i < n; i++)
            k += p->mask_rec[i * n + j] != 0;
        if (k > D2_CAM)
            return h->xError(ctx, NULL, SL_EFIT,
                             "%s: fan-in: neuron %zu (chip %u core %u slot "
                             "%u) has %zu incoming connections after "
                             "quantisation; a neuron has %d CAM entries "
                             "(synapses). Make the weights sparser (at most "
                             "%d non-zero per column of [w_in; w_rec], the "
                             "4 columns of a neuron with typed input "
                             "together)",
                             what, j, p->chip[j], p->core[j], p->slot[j], k,
                             D2_CAM, D2_CAM);
    }
    /* fan-out: the monitor route + one destination per target chip */
    for (size_t i = 0; p->has_rec && i < n; i++) {
        unsigned chips = 0;
        for (size_t j = 0; j < n; j++)
            if (p->mask_rec[i * n + j])
                chips |= 1u << p->chip[j];
        size_t k = 1;
        for (int c = 0; c < D2_MAX_CHIPS; c++)
            k += (chips >> c) & 1u;
        if (k > D2_SRAM)
            return h->xError(ctx, NULL, SL_EFIT,
                             "%s: fan-out: neuron %zu (chip %u) projects to "
                             "%zu chips; a neuron has %d SRAM entries "
                             "(destinations), one is the monitor route, so "
                             "at most %d target chips",
                             what, i, p->chip[i], k - 1, D2_SRAM,
                             D2_SRAM - 1);
    }
    /* hops between chips at positions (chip + 1, 0) */
    if (p->n_chips > D2_MAX_HOP + 1)
        return h->xError(ctx, NULL, SL_EFIT,
                         "%s: hops: %zu chips in a row exceed the %d-hop "
                         "routing range",
                         what, p->n_chips, D2_MAX_HOP);
    return SL_OK;
}

/* Cluster ids per neuron; returns the number of clusters or < 0. */
static int cluster(const sl_host *h, sl_ctx *ctx, const d2_gen *g,
                   const d2_opts *o, const d2_net *net, uint32_t *cid,
                   size_t *n_cluster)
{
    const size_t n = net->n;
    uint32_t *grp = h->xAlloc(n * sizeof(uint32_t));
    uint8_t(*cc)[D2_NCUR] = h->xAlloc(n * sizeof *cc);
    uint8_t(*ff)[D2_NCUR] = h->xAlloc(n * sizeof *ff);
    size_t *gsize = h->xAlloc(n * sizeof(size_t));
    size_t *gpos = h->xAlloc(n * sizeof(size_t));
    size_t *perm = h->xAlloc(n * sizeof(size_t));
    int rc = SL_OK;
    if (!grp || !cc || !ff || !gsize || !gpos || !perm) {
        rc = h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
        goto out;
    }
    size_t ng = 0;
    for (size_t j = 0; j < n; j++) {
        if (o->mean) {
            grp[j] = 0;
            ng = 1;
            continue;
        }
        codes_of(g, net->cur, n, j, cc[j], ff[j]);
        size_t q;
        for (q = 0; q < j; q++)
            if (memcmp(cc[q], cc[j], D2_NCUR) == 0 &&
                memcmp(ff[q], ff[j], D2_NCUR) == 0)
                break;
        grp[j] = q < j ? grp[q] : (uint32_t)ng++;
    }
    for (size_t j = 0; j < n; j++)
        gpos[j] = gsize[grp[j]]++;
    size_t base = 0, npc = (size_t)o->neurons_per_core;
    sl_rng rng;
    if (o->random)
        h->xRngDerive(ctx, "cluster", &rng);
    for (size_t q = 0; q < ng; q++) {
        size_t gs = gsize[q], k = (gs + npc - 1) / npc;
        /* random: a random permutation of (i mod k) over the group */
        if (o->random) {
            for (size_t i = 0; i < gs; i++)
                perm[i] = i % k;
            for (size_t i = gs; i > 1; i--) {
                size_t r = (size_t)(h->xRngUniform(&rng) * (double)i);
                size_t t = perm[i - 1];
                perm[i - 1] = perm[r];
                perm[r] = t;
            }
        }
        for (size_t j = 0; j < n; j++) {
            if (grp[j] != q)
                continue;
            size_t i = gpos[j];
            size_t blk = o->random ? perm[i] : i * k / gs;
            cid[j] = (uint32_t)(base + blk);
        }
        base += k;
    }
    *n_cluster = base;
    size_t cap = (size_t)o->chips * D2_CORES;
    if (base > cap)
        rc = h->xError(ctx, "chips", SL_EFIT,
                       "cores: the network needs %zu cores (%zu neurons in "
                       "%zu group%s of equal core parameters, at most %lld "
                       "neurons per core) but %lld chip%s of %d cores have "
                       "%zu; raise chips (at most %d) or neurons_per_core "
                       "(at most %d), or use core_parameters = \"mean\"",
                       base, n, ng, ng == 1 ? "" : "s",
                       (long long)o->neurons_per_core, (long long)o->chips,
                       o->chips == 1 ? "" : "s", D2_CORES, cap, D2_MAX_CHIPS,
                       D2_NEURONS);
out:
    h->xFree(grp);
    h->xFree(cc);
    h->xFree(ff);
    h->xFree(gsize);
    h->xFree(gpos);
    h->xFree(perm);
    return rc;
}

static double mean_cur(const d2_net *net, const uint32_t *cid, uint32_t c,
                       int k)
{
    double s = 0;
    size_t m = 0;
    for (size_t j = 0; j < net->n; j++)
        if (cid[j] == c) {
            s += net->cur[(size_t)k * net->n + j];
            m++;
        }
    return m ? s / (double)m : 0.0;
}

int d2_slot(unsigned dendrite)
{
    switch (dendrite) {
    case D2_DEN_AMPA:
        return 0;
    case D2_DEN_GABA:
        return 1;
    case D2_DEN_NMDA:
        return 2;
    case D2_DEN_SHUNT:
        return 3;
    default:
        return -1;
    }
}

unsigned d2_type_dendrite(int k, int swap)
{
    static const unsigned den[2][4] = {
        {D2_DEN_AMPA, D2_DEN_GABA, D2_DEN_NMDA, D2_DEN_SHUNT},
        {D2_DEN_AMPA, D2_DEN_SHUNT, D2_DEN_NMDA, D2_DEN_GABA}};
    return k >= 0 && k < 4 ? den[swap != 0][k] : D2_DEN_NONE;
}

/* The chip dendrite of the non-zero weight w in row i of [w_in; w_rec],
 * column c (neuron, or 4·neuron + type with typed input): typed input
 * and a type map by their type (|w| for the map), otherwise by the sign
 * (negative inputs and merged recurrent weights on GABA, as the chip
 * takes them; the dendrite model's negative w_rec on neg_rec, its
 * inhibitory type). D2_DEN_NONE for a negative typed input weight, which
 * has no chip synapse. */
static unsigned entry_den(const d2_net *net, unsigned neg_rec, int swap,
                          size_t i, size_t c, float w)
{
    if (i < net->n_in) {
        if (net->typed_in)
            return w > 0 ? d2_type_dendrite((int)(c % 4), swap)
                         : D2_DEN_NONE;
        return w > 0 ? D2_DEN_AMPA : D2_DEN_GABA;
    }
    if (net->rec_map)
        return d2_type_dendrite(net->rec_map[(i - net->n_in) * net->n + c],
                                swap);
    return w > 0 ? D2_DEN_AMPA : net->dend ? neg_rec : D2_DEN_GABA;
}

int d2_place_network(const sl_host *h, sl_ctx *ctx, const d2_gen *g,
                     const d2_opts *o, const d2_net *net, d2_place *p,
                     d2_stats *st)
{
    const size_t n = net->n, n_in = net->n_in;
    int rc = d2_place_alloc(h, p, n_in, n, net->w_rec != NULL);
    if (rc == SL_EINVAL)
        return h->xError(ctx, NULL, SL_EFIT,
                         "neurons: %zu neurons and %zu inputs; the largest "
                         "system has %d chips x %d cores x %d neurons and "
                         "%d tags",
                         n, n_in, D2_MAX_CHIPS, D2_CORES, D2_NEURONS,
                         D2_TAGS);
    if (rc)
        return h->xError(ctx, NULL, rc, "out of memory");
    p->iscale = net->iscale;
    p->dt = net->dt;
    p->dend = net->dend;
    p->inh_swap = o->inh_swap;
    /* the chip dendrite of the inhibitory type of negative w_rec */
    unsigned neg_rec = net->neg_rec_den;
    if (o->inh_swap && net->dend)
        neg_rec = neg_rec == D2_DEN_GABA ? D2_DEN_SHUNT : D2_DEN_GABA;
    const int swap = o->inh_swap && net->dend;
    /* columns of w_in: 4 per neuron with typed input */
    const size_t per_in = net->typed_in ? 4 : 1, cols_in = per_in * n;
    for (size_t j = 0; j < n; j++) {
        p->latch_ahp[j] = net->dend ? net->lat_ahp[j] : 0;
        p->latch_nmda[j] = net->dend ? net->lat_nmda[j] : 0;
    }
    uint32_t *cid = h->xAlloc(n * sizeof(uint32_t));
    double *a = NULL;
    uint8_t *m = NULL;
    size_t nc = 0;
    if (!cid) {
        rc = h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
        goto out;
    }
    if ((rc = cluster(h, ctx, g, o, net, cid, &nc)))
        goto out;
    /* room for the weights into the largest cluster */
    size_t big = 0, csize[D2_MAX_CORES] = {0};
    for (size_t j = 0; j < n; j++)
        if (++csize[cid[j]] > big)
            big = csize[cid[j]];
    a = h->xAlloc((n_in * per_in + n) * big * sizeof(double) + 1);
    m = h->xAlloc((n_in * per_in + n) * big + 1);
    if (!a || !m) {
        rc = h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
        goto out;
    }
    /* locations: cluster c → chip c/4, core c%4, slots in index order */
    size_t fill[D2_MAX_CORES] = {0};
    for (size_t j = 0; j < n; j++) {
        p->chip[j] = (uint8_t)(cid[j] / D2_CORES);
        p->core[j] = (uint8_t)(cid[j] % D2_CORES);
        p->slot[j] = (uint16_t)fill[cid[j]]++;
        p->core_used[cid[j]] = 1;
        if ((size_t)p->chip[j] + 1 > p->n_chips)
            p->n_chips = (size_t)p->chip[j] + 1;
    }
    p->n_cores = nc;
    double sq_w = 0, sq_e = 0, sq_codes = 0, max_e = 0;
    size_t n_conn = 0, n_drop = 0;
    for (uint32_t c = 0; c < nc; c++) {
        /* core currents: the members' common codes (split) or the mean */
        size_t first = 0;
        while (cid[first] != c)
            first++;
        for (int b = 0; b < D2_NBIAS; b++) {
            const d2_biasdef *bd = &d2_biases[b];
            if (bd->cur < 0)
                continue;
            const int bc = d2_swap_cur(bd->cur, o->inh_swap && net->dend);
            double I = o->mean ? mean_cur(net, cid, c, bc)
                               : net->cur[(size_t)bc * n + first];
            int C, F;
            d2_a2d(g, bd->type, bd->scale, I, &C, &F);
            p->coarse[c][b] = (uint8_t)C;
            p->fine[c][b] = (uint8_t)F;
        }
        double idc = o->mean ? mean_cur(net, cid, c, D2_IDC)
                             : net->cur[(size_t)D2_IDC * n + first];
        for (size_t j = 0; j < n; j++)
            if (cid[j] == c)
                p->latch_dc[j] = idc > 0 && net->lat_dc[j];
        /* weights into the cluster, row-major over [w_in; w_rec] (typed
         * input: over (pre, post, type), spec §5b) */
        size_t M = 0;
        double amax = 0, amin = INFINITY;
        for (size_t i = 0; i < n_in + (net->w_rec ? n : 0); i++) {
            const float *row = i < n_in ? net->w_in + i * cols_in
                                        : net->w_rec + (i - n_in) * n;
            const size_t per = i < n_in ? per_in : 1;
            for (size_t col = 0; col < n * per; col++)
                if (cid[col / per] == c && row[col] != 0 &&
                    entry_den(net, neg_rec, swap, i, col, row[col]) !=
                        D2_DEN_NONE) {
                    a[M] = fabs((double)row[col]);
                    amax = fmax(amax, a[M]);
                    amin = fmin(amin, a[M]);
                    M++;
                }
        }
        double cw[4], mse;
        const int best = o->quantiser == D2_Q_RESTARTS;
        int q = best ? d2_quantise_best(a, M, cw, m, &mse)
                     : d2_quantise(a, M, cw, m, &mse);
        if (q < 0) {
            rc = h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
            goto out;
        }
        memcpy(p->code_c[c], cw, sizeof cw);
        p->core_mse[c] = mse;
        /* Rockpool's scale s = 1/(max − min + 1) */
        double s = M ? 1.0 / (amax - amin + 1.0) : 0.0;
        p->core_mse_scaled[c] = mse * s * s;
        p->core_conn[c] = M;
        sq_codes += mse * (double)M;
        for (int k = 0; k < 4; k++) {
            const d2_biasdef *bd = &d2_biases[D2_B_W0 + k];
            int C, F;
            d2_a2d(g, bd->type, bd->scale, cw[k] * net->iscale, &C, &F);
            p->coarse[c][D2_B_W0 + k] = (uint8_t)C;
            p->fine[c][D2_B_W0 + k] = (uint8_t)F;
        }
        double Iw[4];
        d2_core_iw(g, p, c, Iw);
        size_t t = 0, lost = 0;
        for (size_t i = 0; i < n_in + (net->w_rec ? n : 0); i++) {
            const float *row = i < n_in ? net->w_in + i * cols_in
                                        : net->w_rec + (i - n_in) * n;
            const size_t per = i < n_in ? per_in : 1;
            /* typed input and a type map: the layer uses the magnitude */
            const int mag = i < n_in ? net->typed_in : net->rec_map != NULL;
            for (size_t col = 0; col < n * per; col++) {
                const size_t j = col / per;
                if (cid[j] != c || row[col] == 0)
                    continue;
                /* negative weights: GABA (merged: what the chip does with
                 * them, which the merged model never simulated), or the
                 * dendrite model's inhibitory type of w_rec */
                const unsigned den =
                    entry_den(net, neg_rec, swap, i, col, row[col]);
                double wq = 0, w = row[col];
                if (den == D2_DEN_NONE) {
                    lost++; /* a negative typed input weight */
                } else {
                    uint8_t mj = m[t++];
                    const uint16_t dq = mj == 0 ? D2_DEN_NONE : (uint16_t)den;
                    if (i < n_in) {
                        size_t e = (i * n + j) * D2_SLOTS + (size_t)d2_slot(den);
                        p->mask_in[e] = mj;
                        p->den_in[e] = dq;
                    } else {
                        p->mask_rec[(i - n_in) * n + j] = mj;
                        p->den_rec[(i - n_in) * n + j] = dq;
                    }
                    p->core_dropped[c] += mj == 0;
                    wq = (float)d2_weight(mj, den, Iw, net->iscale);
                    if (mag) {
                        wq = fabs(wq);
                        w = fabs(w);
                    }
                }
                double e = wq - w;
                sq_e += e * e;
                sq_w += w * w;
                max_e = fmax(max_e, fabs(e));
            }
        }
        n_conn += M + lost;
        n_drop += p->core_dropped[c] + lost;
    }
    if ((rc = d2_place_check(h, ctx, p, "network")))
        goto out;
    if (st) {
        st->n_in = n_in;
        st->n_neurons = n;
        st->n_chips = p->n_chips;
        st->n_cores = nc;
        st->n_connections = n_conn;
        st->n_dropped = n_drop;
        st->weight_mse = n_conn ? sq_e / (double)n_conn : 0;
        st->weight_mse_codes = n_conn ? sq_codes / (double)n_conn : 0;
        st->weight_rel_rmse = sq_w > 0 ? sqrt(sq_e / sq_w) : 0;
        st->weight_max_abs_error = max_e;
        double cmax = 0;
        for (size_t j = 0; j < n; j++)
            for (int k = 0; k < D2_NCUR; k++) {
                double I = net->cur[(size_t)k * n + j];
                if (!(I > 0))
                    continue;
                int b = d2_bias_of_current(
                    d2_swap_cur(k, o->inh_swap && net->dend));
                size_t gc = gcore(p, j);
                double Iq = d2_d2a(g, d2_biases[b].type, d2_biases[b].scale,
                                   p->coarse[gc][b], p->fine[gc][b]);
                cmax = fmax(cmax, fabs(Iq - I) / I);
            }
        st->current_max_rel_error = cmax;
    }
out:
    h->xFree(cid);
    h->xFree(a);
    h->xFree(m);
    if (rc)
        d2_place_free(h, p);
    return rc;
}

/* ---------------------------------------------------- quantised network */

static sl_param *find_param_w(const sl_layer_view *l, const char *name)
{
    return (sl_param *)find_param(l, name);
}

int d2_place_write(const sl_host *h, sl_ctx *ctx, const d2_gen *g,
                   const d2_place *p, const sl_network_view *out,
                   size_t *skipped)
{
    const sl_layer_view *lin, *ds;
    int typed = 0;
    int rc = check_view(h, ctx, out, &lin, &ds, &typed);
    if (rc)
        return rc;
    const size_t n = p->n, n_in = p->n_in;
    if (lin->n_in != n_in || ds->n_out != n)
        return h->xError(ctx, NULL, SL_EINVAL,
                         "the configuration has %zu inputs and %zu neurons "
                         "but the network %zu and %zu",
                         n_in, n, lin->n_in, ds->n_out);
    sl_param *w = find_param_w(lin, "weight");
    sl_param *r = find_param_w(ds, "w_rec");
    int any_rec = 0;
    for (size_t i = 0; p->has_rec && i < n * n; i++)
        any_rec |= p->mask_rec[i] != 0;
    if (any_rec && r == NULL)
        return h->xError(ctx, NULL, SL_EINVAL,
                         "the configuration has recurrent connections but "
                         "the dynapsim layer is not recurrent: set "
                         "recurrent = true");
    if (ds->ctx) {
        double is;
        if ((rc = h->xGetFloat(ds->ctx, "Iscale", 1e-8, &is)) < 0)
            return rc;
        if (is != p->iscale)
            return h->xError(ctx, NULL, SL_EINVAL,
                             "the configuration was made for Iscale = %.17g "
                             "A but the dynapsim layer has %.17g A: set its "
                             "Iscale to match",
                             p->iscale, is);
    }
    /* a dendrite-model layer (it has per-type currents) takes each
     * connection on the dendrite its routing gives it: typed input on
     * any, untyped input on AMPA (negative: GABA, as the exporter writes
     * it), w_rec by sign (AMPA and its inhibitory type's dendrite) or by
     * its type map (the dendrite of the connection's type); what it
     * cannot represent is refused, naming the connection */
    const int dend_out = find_param(ds, "Itau_gaba") != NULL;
    /* the routing is in the layer's settings: without them (a view made
     * in code) the sign rule of Rockpool's reverse path */
    const int routed = dend_out && ds->ctx != NULL;
    int mode = D2R_SIGN, inh = 1;
    uint8_t *map = NULL;
    if (routed && r && (rc = rec_routing(h, ctx, ds, n, &mode, &inh,
                                           &map)) < 0)
        return rc;
    static const char *const dn[5] = {"AMPA", "GABA", "NMDA", "SHUNT", "?"};
    for (size_t i = 0; i < n_in && !typed; i++)
        for (size_t j = 0; j < n; j++) {
            const size_t e = (i * n + j) * D2_SLOTS;
            int k = 0, d1 = -1;
            for (int d = 0; d < D2_SLOTS; d++)
                if (p->mask_in[e + (size_t)d] && k++ == 0)
                    d1 = d;
            if (k > 1 || (routed && d1 >= 2)) {
                h->xFree(map);
                if (k > 1)
                    return h->xError(
                        ctx, NULL, SL_EINVAL,
                        "input %zu -> neuron %zu has synapses on %d "
                        "dendrites (typed input) but the dynapsim layer's "
                        "input goes to AMPA only: set input_synapses = "
                        "\"typed\"",
                        i, j, k);
                return h->xError(
                    ctx, NULL, SL_EINVAL,
                    "input %zu -> neuron %zu is on the %s dendrite but the "
                    "dynapsim layer's input goes to AMPA only: set "
                    "input_synapses = \"typed\"",
                    i, j, dn[d1]);
            }
        }
    const unsigned want = d2_type_dendrite(inh, p->inh_swap);
    for (size_t k = 0; routed && r && p->has_rec && mode != D2R_AMPA &&
                       k < n * n;
         k++) {
        const unsigned d = p->den_rec[k];
        if (p->mask_rec[k] == 0)
            continue;
        const unsigned ok = mode == D2R_MAP
                                ? d2_type_dendrite(map[k], p->inh_swap)
                                : d == D2_DEN_AMPA ? D2_DEN_AMPA : want;
        if (d == ok)
            continue;
        const int ds_ = d2_slot(d), os = d2_slot(ok);
        if (mode == D2R_MAP)
            rc = h->xError(
                ctx, NULL, SL_EINVAL,
                "recurrent connection %zu -> %zu is on the %s dendrite but "
                "the dynapsim layer's rec_synapses map puts it on %s "
                "(inh_roles %s): the layer needs the type map the file was "
                "made with",
                k / n, k % n, dn[ds_ < 0 ? 4 : ds_], dn[os < 0 ? 4 : os],
                p->inh_swap ? "rockpool2022" : "spec");
        else
            rc = h->xError(
                ctx, NULL, SL_EINVAL,
                "recurrent connection %zu -> %zu is on the %s dendrite but "
                "the dynapsim layer sends negative w_rec to %s and positive "
                "to AMPA (inh_roles %s): %s",
                k / n, k % n, dn[ds_ < 0 ? 4 : ds_],
                inh == 3 ? "gaba_a" : "gaba_b",
                p->inh_swap ? "rockpool2022" : "spec",
                d == D2_DEN_GABA || d == D2_DEN_SHUNT
                    ? "set its inhibitory to the other type"
                    : "set its rec_synapses to the file's type map");
        h->xFree(map);
        return rc;
    }
    h->xFree(map);
    double (*Iw)[4] = h->xAlloc(D2_MAX_CORES * sizeof *Iw);
    if (Iw == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    for (size_t c = 0; c < D2_MAX_CORES; c++)
        if (p->core_used[c])
            d2_core_iw(g, p, c, Iw[c]);
    for (size_t j = 0; j < n; j++) {
        const double *iw = Iw[gcore(p, j)];
        for (size_t i = 0; i < n_in; i++) {
            const size_t e = (i * n + j) * D2_SLOTS;
            if (typed) {
                /* channel 4·j + k: the magnitude on type k's dendrite */
                for (int k = 0; k < 4; k++) {
                    const int d = d2_slot(d2_type_dendrite(k, p->inh_swap));
                    w->data[i * 4 * n + 4 * j + (size_t)k] =
                        (float)(p->mask_in[e + (size_t)d]
                                    ? d2_level(iw, p->mask_in[e + (size_t)d]) /
                                          p->iscale
                                    : 0.0);
                }
                continue;
            }
            float v = 0.0f; /* at most one entry (checked above) */
            for (int d = 0; d < D2_SLOTS; d++)
                if (p->mask_in[e + (size_t)d])
                    v = (float)d2_weight(p->mask_in[e + (size_t)d],
                                         p->den_in[e + (size_t)d], iw,
                                         p->iscale);
            w->data[i * n + j] = v;
        }
        for (size_t i = 0; r && i < n; i++) {
            float v = p->has_rec ? (float)d2_weight(p->mask_rec[i * n + j],
                                                    p->den_rec[i * n + j], iw,
                                                    p->iscale)
                                 : 0.0f;
            /* a type map's connection carries its magnitude */
            r->data[i * n + j] = mode == D2R_MAP ? fabsf(v) : v;
        }
    }
    h->xFree(Iw);
    size_t skip = 0;
    /* a dendrite-model layer has a current per dendrite: each reads its
     * own bias (no averaging) */
    const sl_param *dcp = find_param(ds, "dc_en");
    const int dc_param = dcp && dcp->data && dcp->n == n;
    for (int k = 0; k < D2_NCUR; k++) {
        sl_param *cp = find_param_w(ds, d2_cur_names[k]);
        if (cp == NULL || cp->data == NULL || cp->n != n) {
            skip += k < D2_NCUR_MERGED;
            continue;
        }
        int b = d2_bias_of_current(d2_swap_cur(k, p->inh_swap && dend_out));
        for (size_t j = 0; j < n; j++) {
            size_t gc = gcore(p, j);
            double v;
            if (!dend_out && (k == D2_ITAU_SYN || k == D2_IGAIN_SYN)) {
                const int *db = k == D2_ITAU_SYN ? d2_tau_syn_bias
                                                 : d2_gain_syn_bias;
                int same = 1;
                for (int d = 1; d < 4; d++)
                    same &= p->coarse[gc][db[d]] == p->coarse[gc][db[0]] &&
                            p->fine[gc][db[d]] == p->fine[gc][db[0]];
                double Id[4];
                for (int d = 0; d < 4; d++)
                    Id[d] = d2_d2a(g, d2_biases[db[d]].type,
                                   d2_biases[db[d]].scale,
                                   p->coarse[gc][db[d]], p->fine[gc][db[d]]);
                v = Id[0];
                if (!same) {
                    /* Rockpool's rule: weighted by mask sums per dendrite
                     * (AMPA, GABA, NMDA, SHUNT) */
                    static const unsigned dv[4] = {D2_DEN_AMPA, D2_DEN_GABA,
                                                   D2_DEN_NMDA, D2_DEN_SHUNT};
                    double ws[4] = {0, 0, 0, 0}, tot = 0;
                    for (size_t i = 0; i < n_in + (p->has_rec ? n : 0); i++)
                        for (size_t q = 0; q < (i < n_in ? D2_SLOTS : 1);
                             q++) {
                            size_t o = i < n_in ? (i * n + j) * D2_SLOTS + q
                                                : (i - n_in) * n + j;
                            unsigned mm = i < n_in ? p->mask_in[o]
                                                   : p->mask_rec[o];
                            unsigned dd =
                                i < n_in ? p->den_in[o] : p->den_rec[o];
                            for (int d = 0; d < 4; d++)
                                if (dd == dv[d])
                                    ws[d] += mm;
                        }
                    double acc = 0;
                    for (int d = 0; d < 4; d++) {
                        acc += ws[d] * Id[d];
                        tot += ws[d];
                    }
                    if (tot > 0)
                        v = acc / tot;
                }
            } else {
                v = d2_d2a(g, d2_biases[b].type, d2_biases[b].scale,
                           p->coarse[gc][b], p->fine[gc][b]);
                /* latch_so_dc off: no Idc, unless the layer has the
                 * latch itself (dc_en, written below), which keeps the
                 * core's value, so that a re-export puts the neuron in
                 * the same core */
                if (k == D2_IDC && !p->latch_dc[j] && !dc_param)
                    v = 0.0;
            }
            cp->data[j] = (float)v;
        }
    }
    /* latches into a layer that exposes them (the dendrite model) */
    static const char *const lk[3] = {"ahp_en", "nmda_en", "dc_en"};
    for (int k = 0; k < 3; k++) {
        sl_param *lp = find_param_w(ds, lk[k]);
        if (lp == NULL || lp->data == NULL || lp->n != n)
            continue;
        const uint8_t *src = k == 0   ? p->latch_ahp
                             : k == 1 ? p->latch_nmda
                                      : p->latch_dc;
        for (size_t j = 0; j < n; j++)
            lp->data[j] = src[j] ? 1.0f : 0.0f;
    }
    if (skipped)
        *skipped = skip;
    return SL_OK;
}
