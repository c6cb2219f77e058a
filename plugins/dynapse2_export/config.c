/*
 * plugins/dynapse2_export/config.c — the configuration file: writing a
 * placement as JSON and reading one back (specs/dynapse2_export.md §6.3,
 * §7; the format is documented in README.md, "Deploying to Dynap-SE2").
 *
 *   { "format": "spikelab.dynapse2.config", "version": 1,
 *     "meta": { "Iscale", "dt", "n_in", "n_neuron", "n_cluster",
 *               "generator": "model" | "table",
 *               "neurons": [[chip, core, slot], ...],   (global index →)
 *               "input_channel_map": [[Destination, ...], ...],
 *               "clusters": [{"chip", "core", "c": [4], "Iw": [4],
 *                             "connections", "mse", "mse_scaled",
 *                             "masks_dropped"}, ...] },
 *     "chips": [ { "cores": [ { "parameters": { NAME: {"type": "N",
 *                   "coarseValue": C, "fineValue": F}, ... 23 },
 *                 "neurons": [ 256 × { 14 latch keys, "synapses": [64 ×
 *                   {"dendrite", "stp", "weight": [4 bools],
 *                    "preciseDelay", "mismatchedDelay", "tag"}],
 *                   "destinations": [4 × {"core": [4 bools], "xHop",
 *                    "yHop", "tag"}] } ] } × 4 ] }, ... ] }
 *
 * Choices where the spec leaves room:
 *  - `chips` holds chips 0..highest used with all 4 cores; an unused core
 *    is {"parameters": {}, "neurons": []} (device defaults); a used core
 *    lists its 256 slots, a slot without a network neuron as
 *    {"synapses": [], "destinations": []} (empty = device defaults; the
 *    spec's 64 empty entries would only make the file 100 times larger).
 *  - Member slots list all 64 CAM and 4 SRAM entries, padded with empty
 *    ones, and all 14 latches (latchSoDc as §5.5; for a network of the
 *    dendrite model also latchSoAdaptation = ahp_en and latchDenmNmda =
 *    nmda_en, dynapse2_synapses.md §5d; the rest false).
 *  - Typed input (dynapse2_synapses.md §5): an input may reach a neuron
 *    on up to four dendrites, one entry each (AMPA, GABA, NMDA, SHUNT
 *    order); a recurrent pair has one entry (one type per connection).
 *  - Reading: a synapse with weight bits is recurrent when a non-monitor
 *    destination with its tag routes to its chip and core (hop = position
 *    of the synapse's chip − position of the owner's chip, core bit set);
 *    two such owners are an error (ambiguous); otherwise it is input
 *    channel `tag` (< n_in). Columns come from meta.neurons, so a neuron
 *    without synapses keeps its place (§7.2, "unrepresentable").
 * Doubles are written with %.17g, so they read back bit for bit.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "d2.h"
#include "json.h"

static const char *const latch_keys[14] = {
    "latchSoDc",          "latchSoAdaptation", "latchSoifKill",
    "latchCohoCaMem",     "latchHoEnable",     "latchHoSoDe",
    "latchDeamAmpa",      "latchDenmNmda",     "latchDeConductance",
    "latchDeamAlpha",     "latchDenmAlpha",    "latchDeMux",
    "latchSoifType",      "latchHoActive"};

#define TF(b) ((b) ? "true" : "false")

static size_t gc_of(const d2_place *p, size_t j)
{
    return (size_t)p->chip[j] * D2_CORES + p->core[j];
}

static void write_dest(FILE *f, unsigned cores, int x, int y, unsigned tag)
{
    fprintf(f, "{\"core\": [%s, %s, %s, %s], \"xHop\": %d, \"yHop\": %d, "
               "\"tag\": %u}",
            TF(cores & 1u), TF(cores & 2u), TF(cores & 4u), TF(cores & 8u), x,
            y, tag);
}

static void write_syn(FILE *f, unsigned den, unsigned m, unsigned tag)
{
    fprintf(f, "{\"dendrite\": %u, \"stp\": false, \"weight\": [%s, %s, %s, "
               "%s], \"preciseDelay\": false, \"mismatchedDelay\": false, "
               "\"tag\": %u}",
            den, TF(m & 1u), TF(m & 2u), TF(m & 4u), TF(m & 8u), tag);
}

static void write_neuron(FILE *f, const d2_place *p, size_t j)
{
    const size_t n = p->n, n_in = p->n_in;
    fputs("{", f);
    for (int k = 0; k < 14; k++)
        fprintf(f, "%s\"%s\": %s", k ? ", " : "", latch_keys[k],
                TF((k == 0 && p->latch_dc[j]) ||
                   (k == 1 && p->dend && p->latch_ahp[j]) ||
                   (k == 7 && p->dend && p->latch_nmda[j])));
    fputs(",\n       \"synapses\": [", f);
    size_t e = 0;
    /* inputs, then recurrent; an input reaching j on several dendrites
     * (typed) has one entry per dendrite, in the slot order AMPA, GABA,
     * NMDA, SHUNT */
    for (size_t i = 0; i < n_in + (p->has_rec ? n : 0); i++)
        for (size_t q = 0; q < (i < n_in ? D2_SLOTS : 1); q++) {
            const size_t o = i < n_in ? (i * n + j) * D2_SLOTS + q
                                      : (i - n_in) * n + j;
            unsigned m = i < n_in ? p->mask_in[o] : p->mask_rec[o];
            unsigned d = i < n_in ? p->den_in[o] : p->den_rec[o];
            if (m == 0)
                continue;
            fputs(e ? ",\n        " : "\n        ", f);
            /* tag i: input i, or n_in + pre */
            write_syn(f, d, m, (unsigned)i);
            e++;
        }
    for (; e < D2_CAM; e++) {
        fputs(e ? ",\n        " : "\n        ", f);
        write_syn(f, D2_DEN_NONE, 0, 0);
    }
    fputs("],\n       \"destinations\": [\n        ", f);
    write_dest(f, 15, -D2_MAX_HOP, -D2_MAX_HOP, (unsigned)j); /* monitor */
    e = 1;
    for (unsigned h = 0; p->has_rec && h < D2_MAX_CHIPS; h++) {
        unsigned cores = 0;
        for (size_t t = 0; t < n; t++)
            if (p->mask_rec[j * n + t] && p->chip[t] == h)
                cores |= 1u << p->core[t];
        if (!cores)
            continue;
        fputs(",\n        ", f);
        write_dest(f, cores, (int)h - (int)p->chip[j], 0,
                   (unsigned)(n_in + j));
        e++;
    }
    for (; e < D2_SRAM; e++) {
        fputs(",\n        ", f);
        write_dest(f, 0, 0, 0, 0);
    }
    fputs("]}", f);
}

int d2_config_write(const sl_host *h, sl_ctx *ctx, const d2_place *p,
                    const d2_gen *g, const char *path)
{
    FILE *f = fopen(path, "w");
    if (f == NULL)
        return h->xError(ctx, NULL, SL_EIO, "cannot write '%s': %s", path,
                         strerror(errno));
    const size_t n = p->n, n_in = p->n_in;
    fprintf(f, "{\"format\": \"spikelab.dynapse2.config\", \"version\": 1,\n"
               " \"meta\": {\"Iscale\": %.17g, \"dt\": %.17g, \"n_in\": %zu, "
               "\"n_neuron\": %zu, \"n_cluster\": %zu,\n  \"generator\": "
               "\"%s\",\n  \"neurons\": [",
            p->iscale, p->dt, n_in, n, p->n_cores,
            g->exact ? "table" : "model");
    for (size_t j = 0; j < n; j++)
        fprintf(f, "%s[%u, %u, %u]", j ? ", " : "", p->chip[j], p->core[j],
                p->slot[j]);
    fputs("],\n  \"input_channel_map\": [", f);
    for (size_t i = 0; i < n_in; i++) {
        fputs(i ? ",\n   [" : "\n   [", f);
        int first = 1;
        for (unsigned c = 0; c < D2_MAX_CHIPS; c++) {
            unsigned cores = 0;
            for (size_t j = 0; j < n; j++)
                for (size_t q = 0; q < D2_SLOTS; q++)
                    if (p->mask_in[(i * n + j) * D2_SLOTS + q] &&
                        p->chip[j] == c)
                        cores |= 1u << p->core[j];
            if (!cores)
                continue;
            if (!first)
                fputs(", ", f);
            /* inputs enter as from chip 0 (Rockpool's convention) */
            write_dest(f, cores, (int)c, 0, (unsigned)i);
            first = 0;
        }
        fputs("]", f);
    }
    fputs("],\n  \"clusters\": [", f);
    int first = 1;
    for (size_t c = 0; c < D2_MAX_CORES; c++) {
        if (!p->core_used[c])
            continue;
        double Iw[4];
        d2_core_iw(g, p, c, Iw);
        fprintf(f, "%s\n   {\"chip\": %zu, \"core\": %zu, \"c\": [%.17g, "
                   "%.17g, %.17g, %.17g], \"Iw\": [%.17g, %.17g, %.17g, "
                   "%.17g], \"connections\": %zu, \"mse\": %.17g, "
                   "\"mse_scaled\": %.17g, \"masks_dropped\": %zu}",
                first ? "" : ",", c / D2_CORES, c % D2_CORES, p->code_c[c][0],
                p->code_c[c][1], p->code_c[c][2], p->code_c[c][3], Iw[0],
                Iw[1], Iw[2], Iw[3], p->core_conn[c], p->core_mse[c],
                p->core_mse_scaled[c], p->core_dropped[c]);
        first = 0;
    }
    fputs("]},\n \"chips\": [", f);
    /* slot → neuron per core */
    long *who = h->xAlloc((size_t)D2_MAX_CORES * D2_NEURONS * sizeof(long));
    if (who == NULL) {
        fclose(f);
        return h->xError(ctx, NULL, SL_ENOMEM, "out of memory");
    }
    for (size_t k = 0; k < (size_t)D2_MAX_CORES * D2_NEURONS; k++)
        who[k] = -1;
    for (size_t j = 0; j < n; j++)
        who[gc_of(p, j) * D2_NEURONS + p->slot[j]] = (long)j;
    for (size_t c = 0; c < p->n_chips; c++) {
        fprintf(f, "%s\n  {\"cores\": [", c ? "," : "");
        for (size_t k = 0; k < D2_CORES; k++) {
            size_t gc = c * D2_CORES + k;
            fputs(k ? ",\n   " : "\n   ", f);
            if (!p->core_used[gc]) {
                fputs("{\"parameters\": {}, \"neurons\": []}", f);
                continue;
            }
            fputs("{\"parameters\": {", f);
            for (int b = 0; b < D2_NBIAS; b++)
                fprintf(f, "%s\n     \"%s\": {\"type\": \"%c\", "
                           "\"coarseValue\": %u, \"fineValue\": %u}",
                        b ? "," : "", d2_biases[b].name,
                        "NP"[d2_biases[b].type], p->coarse[gc][b],
                        p->fine[gc][b]);
            fputs("},\n    \"neurons\": [", f);
            for (size_t s = 0; s < D2_NEURONS; s++) {
                long j = who[gc * D2_NEURONS + s];
                fputs(s ? ",\n      " : "\n      ", f);
                if (j < 0)
                    fputs("{\"synapses\": [], \"destinations\": []}", f);
                else
                    write_neuron(f, p, (size_t)j);
            }
            fputs("]}", f);
        }
        fputs("]}", f);
    }
    fputs("]}\n", f);
    h->xFree(who);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad)
        return h->xError(ctx, NULL, SL_EIO, "writing '%s' failed: %s", path,
                         strerror(errno));
    return SL_OK;
}

/* --------------------------------------------------------------- reading */

typedef struct reader {
    const sl_host *h;
    sl_ctx *ctx;
    const char *path;
} reader;

static int bad(reader *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int bad(reader *r, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return r->h->xError(r->ctx, NULL, SL_EDATA, "%s: %s", r->path, msg);
}

/* An integer member in [lo, hi]. */
static int get_int(reader *r, const d2_json *o, const char *key, long lo,
                   long hi, const char *where, long *out)
{
    const d2_json *v = d2_json_get(o, key);
    if (v == NULL || v->type != D2_JNUM || v->num != floor(v->num) ||
        v->num < (double)lo || v->num > (double)hi)
        return bad(r, "%s.%s must be an integer in %ld..%ld", where, key, lo,
                   hi);
    *out = (long)v->num;
    return SL_OK;
}

static int get_bool(reader *r, const d2_json *o, const char *key, int def,
                    const char *where, int *out)
{
    const d2_json *v = d2_json_get(o, key);
    if (v == NULL) {
        *out = def;
        return SL_OK;
    }
    if (v->type != D2_JBOOL)
        return bad(r, "%s.%s must be true or false", where, key);
    *out = v->num != 0;
    return SL_OK;
}

/* A list of 4 booleans → bits. */
static int get_bits4(reader *r, const d2_json *o, const char *key,
                     const char *where, unsigned *out)
{
    const d2_json *v = d2_json_get(o, key);
    if (v == NULL || v->type != D2_JARR || v->n != 4)
        return bad(r, "%s.%s must be a list of 4 booleans", where, key);
    *out = 0;
    for (size_t k = 0; k < 4; k++) {
        if (v->items[k].type != D2_JBOOL)
            return bad(r, "%s.%s must be a list of 4 booleans", where, key);
        if (v->items[k].num != 0)
            *out |= 1u << k;
    }
    return SL_OK;
}

static int read_text(reader *r, char **text, size_t *len)
{
    int orc = SL_OK;
    FILE *f = d2_fopen_regular(r->h, r->ctx, NULL, r->path,
                               (size_t)256 << 20, &orc);
    if (f == NULL)
        return orc;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    int rc = SL_OK;
    while (buf) {
        if (n == cap) {
            if (cap >= ((size_t)256 << 20)) {
                rc = bad(r, "larger than 256 MiB: not a configuration");
                break;
            }
            char *nb = realloc(buf, cap * 2);
            if (nb == NULL)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t k = fread(buf + n, 1, cap - n, f);
        n += k;
        if (k == 0)
            break;
    }
    if (buf == NULL && rc == SL_OK)
        rc = r->h->xError(r->ctx, NULL, SL_ENOMEM, "out of memory");
    if (rc == SL_OK && ferror(f))
        rc = r->h->xError(r->ctx, NULL, SL_EIO, "reading '%s' failed",
                          r->path);
    fclose(f);
    if (rc) {
        free(buf);
        return rc;
    }
    *text = buf;
    *len = n;
    return SL_OK;
}

typedef struct dest {
    size_t owner;
    unsigned cores;
    int x, y;
    long next; /* next destination with the same tag, -1 */
} dest;

typedef struct syn {
    size_t post;
    unsigned tag, mask, den;
} syn;

static int read_core_params(reader *r, const d2_json *core, size_t gc,
                            const char *where, d2_place *p)
{
    const d2_json *pars = d2_json_get(core, "parameters");
    if (pars == NULL || pars->type != D2_JOBJ)
        return bad(r, "%s.parameters must be an object", where);
    for (int b = 0; b < D2_NBIAS; b++) {
        char w[400];
        snprintf(w, sizeof w, "%s.parameters.%s", where, d2_biases[b].name);
        const d2_json *e = d2_json_get(pars, d2_biases[b].name);
        if (e == NULL || e->type != D2_JOBJ)
            return bad(r, "%s is missing: a core with neurons needs all %d "
                          "biases", w, D2_NBIAS);
        const d2_json *t = d2_json_get(e, "type");
        char want[2] = {"NP"[d2_biases[b].type], 0};
        if (t == NULL || t->type != D2_JSTR || strcmp(t->str, want) != 0)
            return bad(r, "%s.type must be \"%s\"", w, want);
        long C, F;
        int rc;
        if ((rc = get_int(r, e, "coarseValue", 0, 5, w, &C)) ||
            (rc = get_int(r, e, "fineValue", 0, 255, w, &F)))
            return rc;
        p->coarse[gc][b] = (uint8_t)C;
        p->fine[gc][b] = (uint8_t)F;
    }
    p->core_used[gc] = 1;
    return SL_OK;
}

static int read_tree(reader *r, const d2_json *root, d2_place *p)
{
    const sl_host *h = r->h;
    int rc;
    if (root->type != D2_JOBJ)
        return bad(r, "not a JSON object");
    const d2_json *fmt = d2_json_get(root, "format");
    if (fmt == NULL || fmt->type != D2_JSTR ||
        strcmp(fmt->str, "spikelab.dynapse2.config") != 0)
        return bad(r, "\"format\" is not \"spikelab.dynapse2.config\": not "
                      "a configuration written by spikelab's exporter");
    long ver;
    if ((rc = get_int(r, root, "version", 0, 1000000, "(top)", &ver)))
        return rc;
    if (ver != 1)
        return bad(r, "version %ld is not supported (this reader knows 1)",
                   ver);
    const d2_json *meta = d2_json_get(root, "meta");
    if (meta == NULL || meta->type != D2_JOBJ)
        return bad(r, "\"meta\" object missing");
    const d2_json *isc = d2_json_get(meta, "Iscale");
    const d2_json *dt = d2_json_get(meta, "dt");
    if (isc == NULL || isc->type != D2_JNUM || !(isc->num > 0) ||
        !isfinite(isc->num))
        return bad(r, "meta.Iscale must be a positive number (A)");
    if (dt == NULL || dt->type != D2_JNUM || !(dt->num > 0) ||
        !isfinite(dt->num))
        return bad(r, "meta.dt must be a positive number (s)");
    long n_in, n;
    if ((rc = get_int(r, meta, "n_in", 0, D2_TAGS - 2, "meta", &n_in)) ||
        (rc = get_int(r, meta, "n_neuron", 1, D2_MAX_CORES * D2_NEURONS,
                      "meta", &n)))
        return rc;
    const d2_json *nl = d2_json_get(meta, "neurons");
    if (nl == NULL || nl->type != D2_JARR || nl->n != (size_t)n)
        return bad(r, "meta.neurons must list [chip, core, slot] for each "
                      "of the %ld neurons", n);
    /* the input channel map: informational (inputs are read from the
     * synapse tags), but it must be well formed */
    const d2_json *icm = d2_json_get(meta, "input_channel_map");
    if (icm == NULL || icm->type != D2_JARR || icm->n != (size_t)n_in)
        return bad(r, "meta.input_channel_map must list the destinations "
                      "of each of the %ld input channels", n_in);
    for (size_t i = 0; i < icm->n; i++) {
        const d2_json *l = &icm->items[i];
        if (l->type != D2_JARR || l->n > D2_MAX_CHIPS)
            return bad(r, "meta.input_channel_map[%zu] must be a list of at "
                          "most %d destinations", i, D2_MAX_CHIPS);
        for (size_t e = 0; e < l->n; e++) {
            char w[120];
            long x, t;
            unsigned cb;
            snprintf(w, sizeof w, "meta.input_channel_map[%zu][%zu]", i, e);
            if (l->items[e].type != D2_JOBJ)
                return bad(r, "%s must be an object", w);
            if ((rc = get_bits4(r, &l->items[e], "core", w, &cb)) ||
                (rc = get_int(r, &l->items[e], "xHop", -D2_MAX_HOP,
                              D2_MAX_HOP, w, &x)) ||
                (rc = get_int(r, &l->items[e], "yHop", -D2_MAX_HOP,
                              D2_MAX_HOP, w, &x)) ||
                (rc = get_int(r, &l->items[e], "tag", (long)i, (long)i, w,
                              &t)))
                return rc;
        }
    }
    const d2_json *chips = d2_json_get(root, "chips");
    if (chips == NULL || chips->type != D2_JARR)
        return bad(r, "\"chips\" must be a list");
    if ((rc = d2_place_alloc(h, p, (size_t)n_in, (size_t)n, 1)))
        return h->xError(r->ctx, NULL, rc, "out of memory");
    p->iscale = isc->num;
    p->dt = dt->num;
    for (size_t j = 0; j < (size_t)n; j++) {
        const d2_json *e = &nl->items[j];
        static const long lim[3] = {D2_MAX_CHIPS - 1, D2_CORES - 1,
                                    D2_NEURONS - 1};
        if (e->type != D2_JARR || e->n != 3)
            return bad(r, "meta.neurons[%zu] must be [chip, core, slot]", j);
        long v[3];
        for (int k = 0; k < 3; k++) {
            const d2_json *x = &e->items[k];
            if (x->type != D2_JNUM || x->num != floor(x->num) || x->num < 0 ||
                x->num > (double)lim[k])
                return bad(r, "meta.neurons[%zu] = [chip 0..%d, core 0..%d, "
                              "slot 0..%d] expected",
                           j, D2_MAX_CHIPS - 1, D2_CORES - 1, D2_NEURONS - 1);
            v[k] = (long)x->num;
        }
        p->chip[j] = (uint8_t)v[0];
        p->core[j] = (uint8_t)v[1];
        p->slot[j] = (uint16_t)v[2];
        if ((size_t)v[0] + 1 > p->n_chips)
            p->n_chips = (size_t)v[0] + 1;
    }
    if (chips->n < p->n_chips)
        return bad(r, "meta.neurons uses chip %zu but \"chips\" has %zu",
                   p->n_chips - 1, chips->n);
    /* per neuron: core parameters, latches, CAM and SRAM */
    size_t nsyn = 0, ndest = 0;
    syn *sy = malloc((size_t)n * D2_CAM * sizeof *sy);
    dest *de = malloc((size_t)n * D2_SRAM * sizeof *de);
    long *head = malloc(D2_TAGS * sizeof *head);
    if (!sy || !de || !head) {
        rc = h->xError(r->ctx, NULL, SL_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t t = 0; t < D2_TAGS; t++)
        head[t] = -1;
    for (size_t j = 0; j < (size_t)n; j++) {
        char where[160];
        size_t gc = gc_of(p, j);
        snprintf(where, sizeof where, "chips[%u].cores[%u]", p->chip[j],
                 p->core[j]);
        const d2_json *cores = d2_json_get(&chips->items[p->chip[j]],
                                           "cores");
        if (cores == NULL || cores->type != D2_JARR || cores->n != D2_CORES) {
            rc = bad(r, "chips[%u].cores must be a list of %d cores",
                     p->chip[j], D2_CORES);
            goto out;
        }
        const d2_json *core = &cores->items[p->core[j]];
        if (!p->core_used[gc] &&
            (rc = read_core_params(r, core, gc, where, p)))
            goto out;
        const d2_json *neu = d2_json_get(core, "neurons");
        if (neu == NULL || neu->type != D2_JARR || neu->n <= p->slot[j] ||
            neu->n > D2_NEURONS) {
            rc = bad(r, "%s.neurons must list the core's %d slots (neuron "
                        "%zu is in slot %u)",
                     where, D2_NEURONS, j, p->slot[j]);
            goto out;
        }
        const d2_json *nj = &neu->items[p->slot[j]];
        snprintf(where + strlen(where), sizeof where - strlen(where),
                 ".neurons[%u]", p->slot[j]);
        if (nj->type != D2_JOBJ) {
            rc = bad(r, "%s must be an object", where);
            goto out;
        }
        int dc = 0;
        if ((rc = get_bool(r, nj, "latchSoDc", 0, where, &dc)))
            goto out;
        p->latch_dc[j] = (uint8_t)dc;
        /* the dendrite model's latches (dynapse2_synapses.md §5d, import:
         * "flags from latches"); the alpha, conductance and diffusion
         * ones are not modelled (Q3, Q4) and stay unread */
        int ahp = 0, nmda = 0;
        if ((rc = get_bool(r, nj, "latchSoAdaptation", 0, where, &ahp)) ||
            (rc = get_bool(r, nj, "latchDenmNmda", 0, where, &nmda)))
            goto out;
        p->latch_ahp[j] = (uint8_t)ahp;
        p->latch_nmda[j] = (uint8_t)nmda;
        p->dend |= ahp | nmda;
        const d2_json *ss = d2_json_get(nj, "synapses");
        const d2_json *ds = d2_json_get(nj, "destinations");
        if (ss == NULL || ss->type != D2_JARR || ss->n > D2_CAM) {
            rc = bad(r, "%s.synapses must be a list of at most %d CAM "
                        "entries (the chip's fan-in limit)",
                     where, D2_CAM);
            goto out;
        }
        if (ds == NULL || ds->type != D2_JARR || ds->n > D2_SRAM) {
            rc = bad(r, "%s.destinations must be a list of at most %d SRAM "
                        "entries (the chip's fan-out limit)",
                     where, D2_SRAM);
            goto out;
        }
        for (size_t e = 0; e < ss->n; e++) {
            char w[200];
            snprintf(w, sizeof w, "%s.synapses[%zu]", where, e);
            const d2_json *x = &ss->items[e];
            long den, tag;
            unsigned m;
            if (x->type != D2_JOBJ) {
                rc = bad(r, "%s must be an object", w);
                goto out;
            }
            if ((rc = get_int(r, x, "dendrite", 0, 1024, w, &den)) ||
                (rc = get_int(r, x, "tag", 0, D2_TAGS - 1, w, &tag)) ||
                (rc = get_bits4(r, x, "weight", w, &m)))
                goto out;
            if (den != D2_DEN_NONE && den != D2_DEN_SHUNT &&
                den != D2_DEN_NMDA && den != D2_DEN_GABA &&
                den != D2_DEN_AMPA) {
                rc = bad(r, "%s.dendrite %ld is not one of 0 (none), 128 "
                            "(shunt), 256 (nmda), 512 (gaba), 1024 (ampa)",
                         w, den);
                goto out;
            }
            if (m == 0)
                continue; /* an empty entry */
            if (den == D2_DEN_NONE) {
                rc = bad(r, "%s has weight bits but dendrite 0 (none)", w);
                goto out;
            }
            sy[nsyn++] = (syn){j, (unsigned)tag, m, (unsigned)den};
        }
        for (size_t e = 0; e < ds->n; e++) {
            char w[200];
            snprintf(w, sizeof w, "%s.destinations[%zu]", where, e);
            const d2_json *x = &ds->items[e];
            long xh, yh, tag;
            unsigned cb;
            if (x->type != D2_JOBJ) {
                rc = bad(r, "%s must be an object", w);
                goto out;
            }
            if ((rc = get_bits4(r, x, "core", w, &cb)) ||
                (rc = get_int(r, x, "xHop", -D2_MAX_HOP, D2_MAX_HOP, w,
                              &xh)) ||
                (rc = get_int(r, x, "yHop", -D2_MAX_HOP, D2_MAX_HOP, w,
                              &yh)) ||
                (rc = get_int(r, x, "tag", 0, D2_TAGS - 1, w, &tag)))
                goto out;
            if (cb == 0 || (xh == -D2_MAX_HOP && yh == -D2_MAX_HOP))
                continue; /* empty, or the monitor route to the FPGA */
            de[ndest] = (dest){j, cb, (int)xh, (int)yh, head[tag]};
            head[tag] = (long)ndest++;
        }
    }
    /* resolve every synapse: recurrent (a destination routes its tag
     * here) or input channel `tag` */
    for (size_t s = 0; s < nsyn; s++) {
        const syn *q = &sy[s];
        size_t j = q->post;
        long found = -1;
        for (long d = head[q->tag]; d >= 0; d = de[d].next) {
            const dest *x = &de[d];
            if (x->y != 0 || x->x != (int)p->chip[j] - (int)p->chip[x->owner] ||
                !(x->cores & (1u << p->core[j])))
                continue;
            if (found >= 0 && de[found].owner != x->owner) {
                rc = bad(r, "tag %u reaching chip %u core %u is sent by two "
                            "neurons (%zu and %zu): ambiguous",
                         q->tag, p->chip[j], p->core[j], de[found].owner,
                         x->owner);
                goto out;
            }
            found = d;
        }
        uint8_t *mk;
        uint16_t *dk;
        if (found >= 0) {
            size_t i = de[found].owner;
            mk = &p->mask_rec[i * (size_t)n + j];
            dk = &p->den_rec[i * (size_t)n + j];
            if (*mk) {
                /* one type per recurrent connection (its sign's or its
                 * type map's): two entries cannot be represented */
                rc = bad(r, "neuron %zu has two synapses from neuron %zu "
                            "(tag %u, dendrites %u and %u): a recurrent "
                            "connection has one synapse type",
                         j, i, q->tag, (unsigned)*dk, q->den);
                goto out;
            }
        } else {
            if (q->tag >= (unsigned)n_in) {
                rc = bad(r, "neuron %zu has a synapse with tag %u, which is "
                            "neither an input channel (n_in = %ld) nor sent "
                            "to its core by any neuron",
                         j, q->tag, n_in);
                goto out;
            }
            /* one entry per dendrite (a typed input, spec §5) */
            const size_t e = ((size_t)q->tag * (size_t)n + j) * D2_SLOTS +
                             (size_t)d2_slot(q->den);
            mk = &p->mask_in[e];
            dk = &p->den_in[e];
            if (*mk) {
                rc = bad(r, "neuron %zu has two synapses from input %u on "
                            "the same dendrite (%u)",
                         j, q->tag, q->den);
                goto out;
            }
        }
        *mk = (uint8_t)q->mask;
        *dk = (uint16_t)q->den;
    }
    for (size_t c = 0; c < D2_MAX_CORES; c++)
        p->n_cores += p->core_used[c] != 0;
    rc = d2_place_check(h, r->ctx, p, r->path);
out:
    free(sy);
    free(de);
    free(head);
    return rc;
}

int d2_config_read(const sl_host *h, sl_ctx *ctx, const char *path,
                   d2_place *p)
{
    reader r = {h, ctx, path};
    char *text = NULL;
    size_t len = 0;
    memset(p, 0, sizeof *p);
    int rc = read_text(&r, &text, &len);
    if (rc)
        return rc;
    d2_json root;
    char err[240];
    if (!d2_json_parse(text, len, &root, err, sizeof err)) {
        free(text);
        return bad(&r, "not valid JSON: %s", err);
    }
    free(text);
    rc = read_tree(&r, &root, p);
    d2_json_free(&root);
    if (rc)
        d2_place_free(h, p);
    return rc;
}
