/*
 * plugins/dynapsim/params.c — the layer's parameters: reading them (a
 * scalar or one value per neuron), validating them, frozen device
 * mismatch (spec §6), the quantities fixed for a run (spec §3), their
 * refresh when someone writes a current parameter, and the chain rule
 * from the kernels' accumulated gradients to the currents.
 */
#include <math.h>
#include <string.h>

#include "dynapsim.h"

/* Rockpool's defaults (spec §2): currents derived from target time
 * constants and gain ratios with κ = (kappa_n + kappa_p)/2 = 0.705,
 *   Itau_x = (Ut/κ)·C_x/tau_x, Igain_x = r_x·Itau_x, Ipulse_x = Vth·C_x/t_x.
 * Computed here in double from those targets rather than typed as rounded
 * decimals, so that e.g. tau_syn comes back as 10 ms to float precision. */
#define DS_UTK (0.025 / ((0.75 + 0.66) / 2.0)) /* Ut/κ, V */
#define DS_ITAU_SYN_DEF (DS_UTK * 24.5e-12 / 10e-3) /* tau_syn 10 ms */
#define DS_ITAU_MEM_DEF (DS_UTK * 3e-12 / 20e-3)    /* tau_mem 20 ms */
#define DS_ITAU_AHP_DEF (DS_UTK * 40e-12 / 50e-3)   /* tau_ahp 50 ms */
/* dendrite model (specs/dynapse2_synapses.md §3): NMDA and GABA_B 25 pF,
 * GABA_A (shunt) 24.5 pF like AMPA, all 10 ms, gain ratio 100 */
#define DS_ITAU_25_DEF (DS_UTK * 25e-12 / 10e-3)

const ds__pardef ds__pardefs[DS_NPAR] = {
    [DS_IDC] = {"Idc", 5e-13, 1, "A"},           /* constant injection */
    [DS_IF_NMDA] = {"If_nmda", 5e-13, 1, "A"},   /* NMDA gate: unused */
    [DS_IGAIN_AHP] = {"Igain_ahp", 1.0 * DS_ITAU_AHP_DEF, 0, "A"}, /* r 1 */
    [DS_IGAIN_MEM] = {"Igain_mem", 4.0 * DS_ITAU_MEM_DEF, 0, "A"}, /* r 4 */
    [DS_IGAIN_SYN] = {"Igain_syn", 100.0 * DS_ITAU_SYN_DEF, 0, "A"},
    [DS_IPULSE_AHP] = {"Ipulse_ahp", 0.7 * 0.5e-12 / 1e-6, 0, "A"}, /* 1 µs */
    [DS_IPULSE] = {"Ipulse", 0.7 * 0.5e-12 / 10e-6, 0, "A"},      /* 10 µs */
    [DS_IREF] = {"Iref", 0.7 * 1.5e-12 / 1e-3, 0, "A"},  /* t_ref 1 ms */
    [DS_ISPKTHR] = {"Ispkthr", 1e-7, 0, "A"},            /* threshold */
    [DS_ITAU_AHP] = {"Itau_ahp", DS_ITAU_AHP_DEF, 0, "A"},
    [DS_ITAU_MEM] = {"Itau_mem", DS_ITAU_MEM_DEF, 0, "A"},
    [DS_ITAU_SYN] = {"Itau_syn", DS_ITAU_SYN_DEF, 0, "A"},
    [DS_IW_AHP] = {"Iw_ahp", 5e-13, 1, "A"},   /* AHP jump per spike */
    [DS_ITAU_GABA] = {"Itau_gaba", DS_ITAU_25_DEF, 0, "A"},
    [DS_IGAIN_GABA] = {"Igain_gaba", 100.0 * DS_ITAU_25_DEF, 0, "A"},
    [DS_ITAU_NMDA] = {"Itau_nmda", DS_ITAU_25_DEF, 0, "A"},
    [DS_IGAIN_NMDA] = {"Igain_nmda", 100.0 * DS_ITAU_25_DEF, 0, "A"},
    [DS_ITAU_SHUNT] = {"Itau_shunt", DS_ITAU_SYN_DEF, 0, "A"},
    [DS_IGAIN_SHUNT] = {"Igain_shunt", 100.0 * DS_ITAU_SYN_DEF, 0, "A"},
    [DS_C_AHP] = {"C_ahp", 40e-12, 0, "F"},
    [DS_C_SYN] = {"C_syn", 24.5e-12, 0, "F"},  /* the AMPA value */
    [DS_C_PULSE_AHP] = {"C_pulse_ahp", 0.5e-12, 0, "F"},
    [DS_C_PULSE] = {"C_pulse", 0.5e-12, 0, "F"},
    [DS_C_REF] = {"C_ref", 1.5e-12, 0, "F"},
    [DS_C_MEM] = {"C_mem", 3e-12, 0, "F"},
    [DS_IO] = {"Io", 5e-13, 0, "A"},           /* dark current */
    [DS_KAPPA_N] = {"kappa_n", 0.75, 0, "1"},  /* subthreshold slopes */
    [DS_KAPPA_P] = {"kappa_p", 0.66, 0, "1"},
    [DS_UT] = {"Ut", 25e-3, 0, "V"},           /* thermal voltage */
    [DS_VTH] = {"Vth", 0.7, 0, "V"},           /* pulse comparator */
    [DS_C_GABA] = {"C_gaba", 25e-12, 0, "F"},
    [DS_C_NMDA] = {"C_nmda", 25e-12, 0, "F"},
    [DS_C_SHUNT] = {"C_shunt", 24.5e-12, 0, "F"},
};

/* the merged model's 13 (xParams order), then the dendrite model's 6 */
const int ds__currents[DS_NCUR_D] = {
    DS_ITAU_SYN, DS_IGAIN_SYN, DS_ITAU_MEM, DS_IGAIN_MEM, DS_ITAU_AHP,
    DS_IGAIN_AHP, DS_IW_AHP, DS_IPULSE, DS_IPULSE_AHP, DS_IREF, DS_ISPKTHR,
    DS_IDC, DS_IF_NMDA, DS_ITAU_GABA, DS_IGAIN_GABA, DS_ITAU_NMDA,
    DS_IGAIN_NMDA, DS_ITAU_SHUNT, DS_IGAIN_SHUNT};

const int ds__mm_order[DS_NPAR] = {
    DS_IDC, DS_IF_NMDA, DS_IGAIN_AHP, DS_IGAIN_MEM, DS_IGAIN_SYN,
    DS_IPULSE_AHP, DS_IPULSE, DS_IREF, DS_ISPKTHR, DS_ITAU_AHP, DS_ITAU_MEM,
    DS_ITAU_SYN, DS_IW_AHP, DS_C_AHP, DS_C_SYN, DS_C_PULSE_AHP, DS_C_PULSE,
    DS_C_REF, DS_C_MEM, DS_IO, DS_KAPPA_N, DS_KAPPA_P, DS_UT, DS_VTH,
    DS_ITAU_GABA, DS_IGAIN_GABA, DS_ITAU_NMDA, DS_IGAIN_NMDA,
    DS_ITAU_SHUNT, DS_IGAIN_SHUNT, DS_C_GABA, DS_C_NMDA, DS_C_SHUNT};

/* Currents that must not fall below the dark current where they are used
 * (besides the Itau/Igain currents, which spec §3 clips at Io): a pulse
 * or refractory period from a current below Io, or a threshold below the
 * membrane's floor, is meaningless, and at <= 0 the formulas break. */
static int floor_io(size_t p)
{
    return p == DS_IPULSE || p == DS_IPULSE_AHP || p == DS_IREF ||
           p == DS_ISPKTHR;
}

/* Check every parameter of neuron-vector form (the nominal values, or
 * after the mismatch draw: then percent_mismatch is the key to blame). */
static int check_params(ds__layer *s, int after_mismatch)
{
    const sl_host *h = s->host;
    float *const *par = after_mismatch ? s->par : s->nom;
    for (size_t p = 0; p < DS_NPAR; p++) {
        const ds__pardef *d = &ds__pardefs[p];
        for (size_t k = 0; k < s->n; k++) {
            float v = par[p][k];
            int ok = isfinite(v) && (d->zero_ok ? v >= 0.0f : v > 0.0f);
            if (ok && !after_mismatch && floor_io(p) &&
                !(v >= par[DS_IO][k]))
                return h->xError(s->ctx, d->key, SL_ECONFIG,
                                 "%s must be >= Io, the dark current (got "
                                 "%g A < %g A for neuron %zu); the default "
                                 "is %g A",
                                 d->key, (double)v, (double)par[DS_IO][k], k,
                                 d->def);
            if (ok)
                continue;
            if (after_mismatch)
                return h->xError(
                    s->ctx, "percent_mismatch", SL_ECONFIG,
                    "percent_mismatch = %g drew %s = %g %s for neuron %zu, "
                    "which must be %s: lower percent_mismatch",
                    s->percent_mismatch, d->key, (double)v, d->unit, k,
                    d->zero_ok ? ">= 0" : "> 0");
            return h->xError(s->ctx, d->key, SL_ECONFIG,
                             "%s must be %s (got %g %s for neuron %zu); the "
                             "default is %g %s",
                             d->key, d->zero_ok ? ">= 0" : "> 0", (double)v,
                             d->unit, k, d->def, d->unit);
        }
    }
    return SL_OK;
}

/* Frozen mismatch at construction (spec §6): the factors (1 + σ·z) by
 * which each element x of every listed parameter is multiplied (kept in
 * fac: the nominal currents stay writable), σ = percent_mismatch/sigma_rule,
 * z ~ N(0, 1) independent per neuron and parameter, from the layer's
 * stream "mismatch". Draw order: parameter by parameter in the order of
 * the spec's list (ds__mm_order: the merged model's parameters first, so
 * the dendrite model's did not change their draws), neuron by neuron; it fixes which neuron
 * gets which draw, so a given seed always gives the same device. */
static int apply_mismatch(ds__layer *s)
{
    const double sigma = s->percent_mismatch / s->sigma_rule;
    sl_rng rng;
    s->host->xRngDerive(s->ctx, "mismatch", &rng);
    for (size_t o = 0; o < DS_NPAR; o++) {
        const size_t p = (size_t)ds__mm_order[o];
        for (size_t k = 0; k < s->n; k++) {
            double z = s->host->xRngNormal(&rng);
            const double f = 1.0 + sigma * z;
            /* a factor <= 0 would flip the sign of a current the optimizer
             * later moves away from 0 (Idc, Iw_ahp may start at 0) */
            if (!(f > 0))
                return s->host->xError(
                    s->ctx, "percent_mismatch", SL_ECONFIG,
                    "percent_mismatch = %g drew a factor %g <= 0 for %s of "
                    "neuron %zu: lower percent_mismatch",
                    s->percent_mismatch, f, ds__pardefs[p].key, k);
            s->fac[(size_t)p * s->n + k] = f;
        }
    }
    return SL_OK;
}

static inline double clip_io(double x, double io) { return x > io ? x : io; }

/* Lower bound of parameter p where it is used (neuron's Io after
 * mismatch), or -INFINITY for parameters used as they are. */
static double use_bound(size_t p, double io)
{
    if (p >= DS_NCURP)
        return -INFINITY;
    return ds__pardefs[p].zero_ok ? 0.0 : io;
}

/* The parameters of neuron k as the model uses them: every current
 * clipped at its bound (spec §3 for Itau/Igain; ours for the rest, see
 * dynapsim.c "Trainable currents"), the rest as they are. */
static void used_values(const ds__layer *s, size_t k, double U[DS_NPAR])
{
    const double io = s->par[DS_IO][k];
    for (size_t p = 0; p < DS_NPAR; p++) {
        const double v = s->par[p][k], b = use_bound(p, io);
        U[p] = v > b ? v : b;
    }
}

/* Spec §3, per neuron. Computed in double from the float32 parameters and
 * rounded once to float32, the precision the kernels use (Rockpool keeps
 * float32 arrays). Doing it in double rather than op by op in float also
 * avoids the cancellation in 1 − exp(−t_pulse/tau_syn) (a float32 chain
 * loses ~4 digits there; expm1 keeps them). */
static void derive(ds__layer *s)
{
    const size_t n = s->n;
    for (size_t k = 0; k < n; k++) {
        double P[DS_NPAR];
        used_values(s, k, P); /* currents clipped at their bounds */
        const double io = P[DS_IO];
        const double kappa = 0.5 * (P[DS_KAPPA_N] + P[DS_KAPPA_P]);
        const double utk = P[DS_UT] / kappa;
        const double t_ref = P[DS_VTH] * P[DS_C_REF] / P[DS_IREF];
        const double t_pulse = P[DS_VTH] * P[DS_C_PULSE] / P[DS_IPULSE];
        const double t_pulse_ahp =
            P[DS_VTH] * P[DS_C_PULSE_AHP] / P[DS_IPULSE_AHP];
        const double itau_syn = P[DS_ITAU_SYN];
        const double igain_syn = P[DS_IGAIN_SYN];
        const double itau_ahp = P[DS_ITAU_AHP];
        const double igain_ahp = P[DS_IGAIN_AHP];
        const double itau_mem = P[DS_ITAU_MEM];
        const double igain_mem = P[DS_IGAIN_MEM];
        const double tau_syn = utk * P[DS_C_SYN] / itau_syn;
        const double tau_ahp = utk * P[DS_C_AHP] / itau_ahp;
        const double f_charge = -expm1(-t_pulse / tau_syn);
        const double f_discharge = exp(-s->dt / tau_syn);
        const double f_charge_ahp = -expm1(-t_pulse_ahp / tau_ahp);
        const double f_discharge_ahp = exp(-s->dt / tau_ahp);
        /* κ' = κ²/(κ+1); Ifb = Io·exp(κ'·vmem/Ut) with vmem =
         * (Ut/κ)·ln(imem/Io) is Io·(imem/Io)^(κ'/κ), κ'/κ = κ/(κ+1) */
        const double gam = kappa / (kappa + 1.0);

        float *d = s->dn;
#define SET(i, v) d[(size_t)(i) * n + k] = (float)(v)
        SET(DL_FD, f_discharge);
        SET(DL_FC, f_charge);
        SET(DL_KIN, igain_syn / itau_syn * s->iscale);
        SET(DL_IO, io);
        SET(DL_RIO, 1.0 / io);
        SET(DL_FDA, f_discharge_ahp);
        SET(DL_KAHP, f_charge_ahp * (igain_ahp / itau_ahp) * P[DS_IW_AHP]);
        SET(DL_ITM, itau_mem);
        SET(DL_RITM, 1.0 / itau_mem);
        SET(DL_IGM, igain_mem);
        SET(DL_GMEM, igain_mem / itau_mem);
        SET(DL_IDC, P[DS_IDC]);
        SET(DL_KDT, s->dt / (utk * P[DS_C_MEM]));
        SET(DL_GAM, gam);
        {
            /* γ split so that γh·e (e: a binary exponent, |e| < 256) is
             * exact in float32: see the Ifb exponent in kernel.c */
            float gf = (float)gam;
            uint32_t u;
            memcpy(&u, &gf, sizeof u);
            u &= 0xffffff00u;
            float gh;
            memcpy(&gh, &u, sizeof gh);
            SET(DL_GAMH, gh);
            SET(DL_GAML, gam - (double)gh);
            SET(DL_GAMLN, gam / 0.69314718055994530942);
        }
        SET(DL_ISPK, P[DS_ISPKTHR]);
        SET(DL_TREF, t_ref);
        SET(DL_UTK, utk);
        SET(DL_IO0, s->io0[k]);
        SET(DL_LSPK, log2(P[DS_ISPKTHR] / io));
        /* latches (spec §2.7, §3): the AHP's jump and Idc switched off by
         * zeroing their constants; nmda_en selects the gate */
        const float *lat = s->lat;
        if (lat[DS_LAT_AHP * n + k] == 0.0f)
            SET(DL_KAHP, 0.0);
        if (lat[DS_LAT_DC * n + k] == 0.0f)
            SET(DL_IDC, 0.0);
        SET(DL_NEN, lat[DS_LAT_NMDA * n + k]);
        SET(DL_IFN, P[DS_IF_NMDA]);
        /* the dendrite model's GABA_B, NMDA, GABA_A synapses (spec §2.1),
         * as the AMPA one above with their own currents and capacitance;
         * all 0 for a disabled type, which then holds I = 0 */
        static const int tc[3][4] = {
            {DS_GABA_B, DS_ITAU_GABA, DS_IGAIN_GABA, DS_C_GABA},
            {DS_NMDA, DS_ITAU_NMDA, DS_IGAIN_NMDA, DS_C_NMDA},
            {DS_GABA_A, DS_ITAU_SHUNT, DS_IGAIN_SHUNT, DS_C_SHUNT}};
        for (int j = 0; j < 3; j++) {
            const int on = s->dend && (s->syn_en >> tc[j][0]) & 1u;
            const double itau = P[tc[j][1]], igain = P[tc[j][2]];
            const double tau = utk * P[tc[j][3]] / itau;
            SET(DL_FDG + 3 * j, on ? exp(-s->dt / tau) : 0.0);
            SET(DL_FCG + 3 * j, on ? -expm1(-t_pulse / tau) : 0.0);
            SET(DL_KING + 3 * j, on ? igain / itau * s->iscale : 0.0);
            SET(DL_I0G + j, on ? s->io0[k] : 0.0f);
        }
#undef SET
    }
}

int ds__param_value(const ds__layer *s, const char *name, size_t k,
                    double *out)
{
    for (size_t p = 0; p < DS_NPAR; p++)
        if (strcmp(name, ds__pardefs[p].key) == 0) {
            *out = s->par[p][k];
            return SL_OK;
        }
    /* derived quantities, recomputed in double from the stored float
     * parameters and rounded like derive() does */
    double P[DS_NPAR];
    used_values(s, k, P);
    const double io = P[DS_IO];
    const double kappa = 0.5 * (P[DS_KAPPA_N] + P[DS_KAPPA_P]);
    const double utk = P[DS_UT] / kappa;
    const double tau_syn = utk * P[DS_C_SYN] / clip_io(P[DS_ITAU_SYN], io);
    const double tau_ahp = utk * P[DS_C_AHP] / clip_io(P[DS_ITAU_AHP], io);
    double v;
    if (strcmp(name, "Iscale") == 0)
        v = s->iscale;
    else if (strcmp(name, "Io_nominal") == 0)
        v = s->io0[k];
    else if (strcmp(name, "kappa") == 0)
        v = kappa;
    else if (strcmp(name, "kappa_prime") == 0)
        v = kappa * kappa / (kappa + 1.0);
    else if (strcmp(name, "tau_syn") == 0)
        v = tau_syn;
    else if (strcmp(name, "tau_ahp") == 0)
        v = tau_ahp;
    else if (strcmp(name, "tau_mem") == 0)
        v = utk * P[DS_C_MEM] / clip_io(P[DS_ITAU_MEM], io);
    else if (strcmp(name, "t_ref") == 0)
        v = s->dn[(size_t)DL_TREF * s->n + k];
    else if (strcmp(name, "t_pulse") == 0)
        v = P[DS_VTH] * P[DS_C_PULSE] / P[DS_IPULSE];
    else if (strcmp(name, "t_pulse_ahp") == 0)
        v = P[DS_VTH] * P[DS_C_PULSE_AHP] / P[DS_IPULSE_AHP];
    else if (strcmp(name, "f_charge") == 0)
        v = s->dn[(size_t)DL_FC * s->n + k];
    else if (strcmp(name, "f_discharge") == 0)
        v = s->dn[(size_t)DL_FD * s->n + k];
    else if (strcmp(name, "f_charge_ahp") == 0)
        v = -expm1(-(P[DS_VTH] * P[DS_C_PULSE_AHP] / P[DS_IPULSE_AHP]) /
                   tau_ahp);
    else if (strcmp(name, "f_discharge_ahp") == 0)
        v = s->dn[(size_t)DL_FDA * s->n + k];
    else if (strcmp(name, "f_charge_gaba") == 0)
        v = s->dn[(size_t)DL_FCG * s->n + k];
    else if (strcmp(name, "f_discharge_gaba") == 0)
        v = s->dn[(size_t)DL_FDG * s->n + k];
    else if (strcmp(name, "f_charge_nmda") == 0)
        v = s->dn[(size_t)DL_FCN * s->n + k];
    else if (strcmp(name, "f_discharge_nmda") == 0)
        v = s->dn[(size_t)DL_FDN * s->n + k];
    else if (strcmp(name, "f_charge_shunt") == 0)
        v = s->dn[(size_t)DL_FCS * s->n + k];
    else if (strcmp(name, "f_discharge_shunt") == 0)
        v = s->dn[(size_t)DL_FDS * s->n + k];
    else if (strcmp(name, "tau_gaba") == 0)
        v = utk * P[DS_C_GABA] / P[DS_ITAU_GABA];
    else if (strcmp(name, "tau_nmda") == 0)
        v = utk * P[DS_C_NMDA] / P[DS_ITAU_NMDA];
    else if (strcmp(name, "tau_shunt") == 0)
        v = utk * P[DS_C_SHUNT] / P[DS_ITAU_SHUNT];
    else
        return SL_ENOTFOUND;
    *out = (float)v;
    return SL_OK;
}

int ds__params_init(ds__layer *s)
{
    const sl_host *h = s->host;
    sl_ctx *ctx = s->ctx;
    const size_t n = s->n;
    int rc;

    /* DS_NPAR vectors + Io before mismatch + DL_COUNT derived vectors;
     * nominal, seen and gradient [DS_NPAR][n] floats; factors in double */
    if (n > SIZE_MAX / sizeof(double) / (DS_NPAR + 1 + DL_COUNT) / 3)
        return h->xError(ctx, NULL, SL_ENOMEM, "too many neurons (%zu)", n);
    s->parblock = h->xAlloc((DS_NPAR + 1 + DL_COUNT) * n * sizeof(float));
    s->nomblock = h->xAlloc(3 * (size_t)DS_NPAR * n * sizeof(float));
    s->fac = h->xAlloc((size_t)DS_NPAR * n * sizeof(double));
    if (s->parblock == NULL || s->nomblock == NULL || s->fac == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM,
                         "cannot allocate the parameters of %zu neurons", n);
    for (size_t p = 0; p < DS_NPAR; p++) {
        s->par[p] = s->parblock + p * n;
        s->nom[p] = s->nomblock + p * n;
    }
    s->seen = s->nomblock + (size_t)DS_NPAR * n;
    s->cgrad = s->nomblock + 2 * (size_t)DS_NPAR * n;
    s->io0 = s->parblock + DS_NPAR * n;
    s->dn = s->parblock + (DS_NPAR + 1) * n;

    for (size_t p = 0; p < DS_NPAR; p++)
        if ((rc = h->xGetFloatVec(ctx, ds__pardefs[p].key, ds__pardefs[p].def,
                                  s->nom[p], n)) < 0)
            return rc;
    if ((rc = check_params(s, 0)) < 0)
        return rc;

    if ((rc = h->xGetFloat(ctx, "Iscale", 1e-8, &s->iscale)) < 0)
        return rc;
    if (!(s->iscale > 0) || !isfinite(s->iscale))
        return h->xError(ctx, "Iscale", SL_ECONFIG,
                         "Iscale (the current of a unit weight, A) must be "
                         "> 0 (got %g); the default is 1e-8",
                         s->iscale);

    if ((rc = h->xGetFloat(ctx, "percent_mismatch", 0.0,
                           &s->percent_mismatch)) < 0 ||
        (rc = h->xGetFloat(ctx, "mismatch_sigma_rule", 3.0,
                           &s->sigma_rule)) < 0)
        return rc;
    if (!(s->percent_mismatch >= 0) || !isfinite(s->percent_mismatch))
        return h->xError(ctx, "percent_mismatch", SL_ECONFIG,
                         "percent_mismatch must be >= 0 (a fraction: 0.05 "
                         "is 5%% at sigma_rule standard deviations; got %g)",
                         s->percent_mismatch);
    if (!(s->sigma_rule > 0) || !isfinite(s->sigma_rule))
        return h->xError(ctx, "mismatch_sigma_rule", SL_ECONFIG,
                         "mismatch_sigma_rule must be > 0 (got %g); the "
                         "default 3 makes percent_mismatch a 3-sigma bound",
                         s->sigma_rule);

    /* the state starts from the nominal dark current (Rockpool fills the
     * state before it applies the mismatch) */
    memcpy(s->io0, s->nom[DS_IO], n * sizeof(float));
    for (size_t k = 0; k < (size_t)DS_NPAR * n; k++)
        s->fac[k] = 1.0;
    if (s->percent_mismatch > 0 && (rc = apply_mismatch(s)) < 0)
        return rc;
    for (size_t p = 0; p < DS_NPAR; p++)
        for (size_t k = 0; k < n; k++)
            s->par[p][k] =
                (float)((double)s->nom[p][k] * s->fac[p * n + k]);
    if (s->percent_mismatch > 0 && (rc = check_params(s, 1)) < 0)
        return rc;
    memcpy(s->seen, s->nomblock, (size_t)DS_NCURP * n * sizeof(float));
    derive(s);
    return SL_OK;
}

int ds__params_refresh(ds__layer *s)
{
    const size_t n = s->n, m = (size_t)DS_NCURP * n;
    const size_t nl = (size_t)DS_NLAT * n;
    /* the currents are the first DS_NCURP rows of nomblock (DS_ enum);
     * the latches (parameters of the dendrite model) are followed by
     * their last seen copy */
    const int lat_changed = memcmp(s->lat, s->lat + nl, nl * sizeof(float));
    if (memcmp(s->nomblock, s->seen, m * sizeof(float)) == 0 &&
        !lat_changed)
        return SL_OK;
    static const char *const latname[DS_NLAT] = {"ahp_en", "nmda_en",
                                                 "dc_en"};
    for (size_t k = 0; k < nl; k++)
        if (s->lat[k] != 0.0f && s->lat[k] != 1.0f)
            return s->host->xError(
                s->ctx, latname[k / n], SL_ENUMERIC,
                "the latch %s of neuron %zu became %g: a latch is 0 or 1",
                latname[k / n], k % n, (double)s->lat[k]);
    memcpy(s->lat + nl, s->lat, nl * sizeof(float));
    for (size_t p = 0; p < DS_NCURP; p++)
        for (size_t k = 0; k < n; k++)
            if (!isfinite(s->nom[p][k]))
                return s->host->xError(
                    s->ctx, ds__pardefs[p].key, SL_ENUMERIC,
                    "the parameter %s of neuron %zu became %g: a current "
                    "must stay finite (if an optimizer trains it, lower its "
                    "learning rate: currents are in A)",
                    ds__pardefs[p].key, k, (double)s->nom[p][k]);
    for (size_t p = 0; p < DS_NCURP; p++)
        for (size_t k = 0; k < n; k++)
            s->par[p][k] =
                (float)((double)s->nom[p][k] * s->fac[p * n + k]);
    memcpy(s->seen, s->nomblock, m * sizeof(float));
    derive(s);
    if (s->lc_lanes != 0)
        ds__fill_lanes(s);
    return SL_OK;
}

void ds__fill_lanes(ds__layer *s)
{
    const size_t n = s->n, V = s->vlanes, lanes = s->lanes;
    for (size_t k = 0; k < DL_COUNT; k++) {
        float *dst = s->lc + k * V;
        for (size_t l = 0; l < lanes; l += n)
            memcpy(dst + l, s->dn + k * n, n * sizeof(float));
        for (size_t l = lanes; l < V; l++)
            dst[l] = s->dn[k * n];
    }
    s->lc_lanes = lanes;
}

/* Sum of work vector `w` over the batch for neuron i, in double. */
static double lane_sum(const ds__layer *s, int w, size_t i)
{
    const float *v = s->work + (size_t)w * s->vlanes;
    double a = 0;
    for (size_t l = i; l < s->lanes; l += s->n)
        a += v[l];
    return a;
}

/*
 * dL/d(nominal current) from the accumulated dL/d(lane constant), per
 * neuron (spec §3 differentiated; u_x = the used, clipped value of
 * current x, e_x = nom_x·fac_x before the clip, du_x/dnom_x =
 * fac_x·[e_x > bound]):
 *   FD   = exp(−dt·u_ts/(utk·C_syn))          KIN = (u_gs/u_ts)·Iscale
 *   FC   = 1 − exp(−z), z = Vth·C_pulse·u_ts/(u_ip·utk·C_syn)
 *   FDA  = exp(−dt·u_ta/(utk·C_ahp))
 *   KAHP = (1 − exp(−za))·(u_ga/u_ta)·u_iw,
 *          za = Vth·C_pulse_ahp·u_ta/(u_ipa·utk·C_ahp)
 *   ITM = u_tm, RITM = 1/u_tm, GMEM = u_gm/u_tm, IGM = u_gm, IDC = u_idc
 *   smooth forward: S = 1/(1 + (u_spk/P)^α): dS/du_spk = −α·S(1−S)/u_spk
 * The kernel's accumulators (kernel.c, bwd_lanes): aFD = Σ gIs·isyn_prev,
 * aIA = Σ gIs·max(a, Io) (= dL/dFC), aIAC = Σ gIs·[a > Io]·a (dL/dKIN =
 * FC·aIAC/KIN), aFDA = Σ gy·iahp_prev, aKAHP = Σ gy·s_prev, aITM = Σ gL,
 * aRITM = Σ −gE·A0·H, aGMEM = Σ gE·(J − L), aIGM = Σ −gD·L·E/q²,
 * aIDC = Σ gJ, aSPK = Σ (gs + gb)·S(1 − S).
 */
void ds__current_grads(ds__layer *s)
{
    const size_t n = s->n;
    for (size_t i = 0; i < n; i++) {
        double U[DS_NPAR], g[DS_NPAR] = {0};
        used_values(s, i, U);
        const double kappa = 0.5 * (U[DS_KAPPA_N] + U[DS_KAPPA_P]);
        const double utk = U[DS_UT] / kappa;
        const double u_ts = U[DS_ITAU_SYN], u_gs = U[DS_IGAIN_SYN],
                     u_ip = U[DS_IPULSE], u_ta = U[DS_ITAU_AHP],
                     u_ga = U[DS_IGAIN_AHP], u_ipa = U[DS_IPULSE_AHP],
                     u_iw = U[DS_IW_AHP], u_tm = U[DS_ITAU_MEM],
                     u_gm = U[DS_IGAIN_MEM];
        const float *d = s->dn;
#define DN(c) ((double)d[(size_t)(c) * n + i])
        const double aFD = lane_sum(s, DW_AFD, i),
                     aIA = lane_sum(s, DW_AIA, i),
                     aIAC = lane_sum(s, DW_AIAC, i),
                     aFDA = lane_sum(s, DW_AFDA, i),
                     aKAHP = lane_sum(s, DW_AKAHP, i),
                     aITM = lane_sum(s, DW_AITM, i),
                     aRITM = lane_sum(s, DW_ARITM, i),
                     aGMEM = lane_sum(s, DW_AGMEM, i),
                     aIGM = lane_sum(s, DW_AIGM, i),
                     aIDC = lane_sum(s, DW_AIDC, i);
        /* synapse */
        const double gFD = aFD, gFC = aIA,
                     gKIN = DN(DL_FC) * aIAC / DN(DL_KIN);
        const double csyn = utk * U[DS_C_SYN];
        const double z = U[DS_VTH] * U[DS_C_PULSE] * u_ts / (u_ip * csyn);
        const double ez = exp(-z);
        const double kin = u_gs / u_ts * s->iscale;
        g[DS_ITAU_SYN] = gFD * (-exp(-s->dt * u_ts / csyn) * s->dt / csyn) +
                         gFC * ez * z / u_ts - gKIN * kin / u_ts;
        g[DS_IPULSE] = -gFC * ez * z / u_ip;
        g[DS_IGAIN_SYN] = gKIN * s->iscale / u_ts;
        /* AHP */
        const double cahp = utk * U[DS_C_AHP];
        const double za =
            U[DS_VTH] * U[DS_C_PULSE_AHP] * u_ta / (u_ipa * cahp);
        const double eza = exp(-za), fca = -expm1(-za);
        const double R = u_ga / u_ta;
        g[DS_ITAU_AHP] =
            aFDA * (-exp(-s->dt * u_ta / cahp) * s->dt / cahp) +
            aKAHP * (eza * (za / u_ta) * R * u_iw - fca * R * u_iw / u_ta);
        g[DS_IPULSE_AHP] = -aKAHP * eza * (za / u_ipa) * R * u_iw;
        g[DS_IGAIN_AHP] = aKAHP * fca * u_iw / u_ta;
        g[DS_IW_AHP] = aKAHP * fca * R;
        /* membrane */
        g[DS_ITAU_MEM] =
            aITM - aRITM / (u_tm * u_tm) - aGMEM * u_gm / (u_tm * u_tm);
        g[DS_IGAIN_MEM] = aIGM + aGMEM / u_tm;
        g[DS_IDC] = aIDC;
        /* latches: a switched-off AHP jump or Idc has no effect */
        if (s->lat[DS_LAT_AHP * n + i] == 0.0f) {
            g[DS_ITAU_AHP] = aFDA * (-exp(-s->dt * u_ta / cahp) * s->dt /
                                     cahp);
            g[DS_IPULSE_AHP] = g[DS_IGAIN_AHP] = g[DS_IW_AHP] = 0;
        }
        if (s->lat[DS_LAT_DC * n + i] == 0.0f)
            g[DS_IDC] = 0;
        /* dendrite model: GABA_B, NMDA, GABA_A synapses as the AMPA one
         * (its t_pulse, own Itau, Igain, C), and the NMDA gate */
        if (s->dend) {
            static const int tc[3][3] = {
                {DS_ITAU_GABA, DS_IGAIN_GABA, DS_C_GABA},
                {DS_ITAU_NMDA, DS_IGAIN_NMDA, DS_C_NMDA},
                {DS_ITAU_SHUNT, DS_IGAIN_SHUNT, DS_C_SHUNT}};
            for (int j = 0; j < 3; j++) {
                const double afd = lane_sum(s, DW_AFDG + 3 * j, i),
                             aia = lane_sum(s, DW_AIAG + 3 * j, i),
                             aiac = lane_sum(s, DW_AIACG + 3 * j, i);
                const double kinj = DN(DL_KING + 3 * j);
                if (kinj == 0) /* disabled type */
                    continue;
                const double ut = U[tc[j][0]], ug = U[tc[j][1]];
                const double cj = utk * U[tc[j][2]];
                const double zj = U[DS_VTH] * U[DS_C_PULSE] * ut / (u_ip * cj);
                const double ezj = exp(-zj);
                const double gK = DN(DL_FCG + 3 * j) * aiac / kinj;
                const double kj = ug / ut * s->iscale;
                g[tc[j][0]] = afd * (-exp(-s->dt * ut / cj) * s->dt / cj) +
                              aia * ezj * zj / ut - gK * kj / ut;
                g[tc[j][1]] = gK * s->iscale / ut;
                g[DS_IPULSE] += -aia * ezj * zj / u_ip;
            }
            g[DS_IF_NMDA] = lane_sum(s, DW_AIFN, i);
        }
        /* threshold: only the smooth forward has a gradient (spec §5) */
        if (s->smooth)
            g[DS_ISPKTHR] =
                -(double)s->alpha * lane_sum(s, DW_ASPK, i) / U[DS_ISPKTHR];
#undef DN
        /* Iref (refractory mask: a constant) and, merged, If_nmda
         * (unused): 0 */
        const double io = s->par[DS_IO][i];
        for (size_t p = 0; p < DS_NCURP; p++) {
            if (!(s->train_mask & (1u << p)))
                continue;
            const double e = s->par[p][i];
            if (e > use_bound(p, io))
                s->cgrad[p * n + i] +=
                    (float)(g[p] * s->fac[p * n + i]);
        }
    }
}
