/*
 * plugins/dynapsim/params.c — the layer's parameters: reading them (a
 * scalar or one value per neuron), validating them, frozen device
 * mismatch (spec §6), and the quantities fixed for a run (spec §3).
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
};

/* Check every parameter of neuron-vector form; `why` is the key to blame
 * (the parameter's own, or percent_mismatch after the draw). */
static int check_params(ds__layer *s, int after_mismatch)
{
    const sl_host *h = s->host;
    for (size_t p = 0; p < DS_NPAR; p++) {
        const ds__pardef *d = &ds__pardefs[p];
        for (size_t k = 0; k < s->n; k++) {
            float v = s->par[p][k];
            int ok = isfinite(v) && (d->zero_ok ? v >= 0.0f : v > 0.0f);
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

/* Frozen mismatch at construction (spec §6): each element x of every
 * listed parameter becomes x·(1 + σ·z), σ = percent_mismatch/sigma_rule,
 * z ~ N(0, 1) independent per neuron and parameter, from the layer's
 * stream "mismatch". Draw order: parameter by parameter in the order of
 * the spec's list (ds__pardefs), neuron by neuron; it fixes which neuron
 * gets which draw, so a given seed always gives the same device. */
static void apply_mismatch(ds__layer *s)
{
    const double sigma = s->percent_mismatch / s->sigma_rule;
    sl_rng rng;
    s->host->xRngDerive(s->ctx, "mismatch", &rng);
    for (size_t p = 0; p < DS_NPAR; p++)
        for (size_t k = 0; k < s->n; k++) {
            double z = s->host->xRngNormal(&rng);
            s->par[p][k] = (float)((double)s->par[p][k] * (1.0 + sigma * z));
        }
}

static inline double clip_io(double x, double io) { return x > io ? x : io; }

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
        for (size_t p = 0; p < DS_NPAR; p++)
            P[p] = s->par[p][k];
        const double io = P[DS_IO];
        const double kappa = 0.5 * (P[DS_KAPPA_N] + P[DS_KAPPA_P]);
        const double utk = P[DS_UT] / kappa;
        const double t_ref = P[DS_VTH] * P[DS_C_REF] / P[DS_IREF];
        const double t_pulse = P[DS_VTH] * P[DS_C_PULSE] / P[DS_IPULSE];
        const double t_pulse_ahp =
            P[DS_VTH] * P[DS_C_PULSE_AHP] / P[DS_IPULSE_AHP];
        const double itau_syn = clip_io(P[DS_ITAU_SYN], io);
        const double igain_syn = clip_io(P[DS_IGAIN_SYN], io);
        const double itau_ahp = clip_io(P[DS_ITAU_AHP], io);
        const double igain_ahp = clip_io(P[DS_IGAIN_AHP], io);
        const double itau_mem = clip_io(P[DS_ITAU_MEM], io);
        const double igain_mem = clip_io(P[DS_IGAIN_MEM], io);
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
    for (size_t p = 0; p < DS_NPAR; p++)
        P[p] = s->par[p][k];
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

    /* DS_NPAR vectors + Io before mismatch + DL_COUNT derived vectors */
    if (n > SIZE_MAX / sizeof(float) / (DS_NPAR + 1 + DL_COUNT))
        return h->xError(ctx, NULL, SL_ENOMEM, "too many neurons (%zu)", n);
    s->parblock = h->xAlloc((DS_NPAR + 1 + DL_COUNT) * n * sizeof(float));
    if (s->parblock == NULL)
        return h->xError(ctx, NULL, SL_ENOMEM,
                         "cannot allocate the parameters of %zu neurons", n);
    for (size_t p = 0; p < DS_NPAR; p++)
        s->par[p] = s->parblock + p * n;
    s->io0 = s->parblock + DS_NPAR * n;
    s->dn = s->parblock + (DS_NPAR + 1) * n;

    for (size_t p = 0; p < DS_NPAR; p++)
        if ((rc = h->xGetFloatVec(ctx, ds__pardefs[p].key, ds__pardefs[p].def,
                                  s->par[p], n)) < 0)
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
    memcpy(s->io0, s->par[DS_IO], n * sizeof(float));
    if (s->percent_mismatch > 0) {
        apply_mismatch(s);
        if ((rc = check_params(s, 1)) < 0)
            return rc;
    }
    derive(s);
    return SL_OK;
}
