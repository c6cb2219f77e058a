/*
 * plugins/dynapsim/kernel.c — the DynapSim time step (spec §4), forward
 * over a whole sequence and its exact reverse (BPTT, spec §5).
 *
 * Layout: every batch element is simulated at once. A "lane" is one
 * (batch element, neuron) pair, ℓ = b·n + i; state, tape rows and lane
 * constants are [lanes] vectors (padded to the SIMD width), so each step
 * is one flat, branch-free loop over vectors of lanes (vec.h); for the
 * frozen-noise task (2 × 2 lanes) that is a single vector per step. The
 * I/O of step t of a [batch][time][n] sequence goes through the lane
 * table (lane_off), the recurrence through lane_base; no memcpy per row.
 *
 * Forward, per lane, from the previous step's spikes s' and state
 * (isyn, iahp, A = imem after reset, Fb = Ifb for this step, timer):
 *   a    = KIN·(u + Σ_j w_rec[j][i]·s'_j)        KIN = (Igain/Itau)_syn·Iscale
 *   isyn = FD·isyn + FC·max(a, Io)
 *   H    = max(FDA·iahp + KAHP·s', Io)          KAHP = fc_ahp·(Igain/Itau)_ahp·Iw_ahp
 *   L    = Itau_mem' + H                        (Ileak)
 *   J    = Io if timer > 0, else max(isyn − L + Idc, Io)
 *   D    = L·(GMEM·(J − L) − A·(1 + H/Itau_mem'))/(A + Igain_mem') + Fb
 *   P    = max(A + KDT·A·D, Io)                 KDT = dt/((Ut/κ)·C_mem)
 * which is spec §4.3 rearranged (dimem·dt with tau = (Ut/κ)·C_mem/Ileak
 * and f_imem = (Ifb/Ileak)·(imem + Igain_mem') multiplied out: one
 * division instead of four). Then
 *   l    = log2(P/Io);  Fb' = Io·2^(γ·l), γ = κ'/κ = κ/(κ+1)
 * (Io·exp(κ'·vmem/Ut) with vmem = (Ut/κ)·ln(P/Io), without the detour
 * through vmem, which is only computed for recording), spikes from l
 * (below), and the reset: A = Io and timer = t_ref where P > Ispkthr,
 * else A = P and timer = max(timer − dt, 0).
 *
 * exp and log: one log2 and one exp2 per lane and step, written here as
 * short polynomials (atanh series for log, Taylor series of 2^f on
 * |f| ≤ 1/2) so the lane loop has no calls and runs on SIMD vectors
 * (vec.h); their error is ~1e-7 relative on Ifb, below the float32
 * rounding of Rockpool's own exp(κ'·vmem/Ut) path. The exponent γ·l
 * reaches ~10, where a plain float32 product would lose 5e-7, so it is
 * assembled exactly: l = e + r/ln 2 (binary exponent e, r = ln of the
 * mantissa, |r| ≤ ln2/2), γ = γh + γl with γh·e exact, and
 * 2^(γh·e − k + (γl·e + (γ/ln 2)·r)) for the nearest integer k.
 * Both polynomials use Estrin's scheme: the forward is a serial chain
 * through them from one step to the next.
 *
 * Spikes (step_pwl): s = clip(ceil(ln(P/Ispkthr)), 0, max_spikes_per_dt)
 * computed as ceil(ln2·(e − log2(Ispkthr/Io)) + r), and at least 1 whenever
 * P > Ispkthr (so "a spike" and "a reset" are the same test even when
 * P/Ispkthr rounds to 1 in float32).
 *
 * Smooth forward (forward = "smooth", for gradient checks only):
 * s = S(P) = 1/(1 + (Ispkthr/P)^α) ∈ (0, 1), a logistic in ln P, the
 * reset uses b = S (imem = (1−S)·P + S·Io) and its exact derivative
 * dS/dP = α·S·(1−S)/P is used in the backward. The refractory timer
 * still starts where P > Ispkthr (a hard, piecewise-constant decision, as
 * the mask is a constant in the backward either way).
 */
#include <math.h>
#include <string.h>

#include "dynapsim.h"
#include "vec.h"

#define DS_LN2 0.69314718055994530942

/* The step functions are instantiated once per spike function (a constant
 * argument) and must be inlined for that to remove the branch and to
 * hoist the vector constants and pointers out of the time loop. */
#if defined(__GNUC__)
#define DS_INLINE static inline __attribute__((always_inline))
#else
#define DS_INLINE static inline
#endif

/* log(x) for positive normal floats, as e·ln 2 + r: *e gets the binary
 * exponent (as float), the return value r = ln(m), m ∈ [√½, √2), from
 * 2·atanh(t) with t = (m−1)/(m+1), series to t⁹ (error < 1e-9). The
 * series is evaluated in Estrin's scheme, which is shorter in latency
 * than Horner's: the forward is a serial chain through this function. */
static inline vf ds_log_split(vf x, vf *e)
{
    const vi u = vbits(x);
    const vf m0 = vfrombits((u & 0x007fffff) | 0x3f800000);
    const vi big = m0 > vsplat(1.41421356f);
    const vf m = vsel(big, vsplat(0.5f) * m0, m0);
    const vf e0 = vcvt((u >> 23) - 127);
    *e = vsel(big, e0 + vsplat(1.0f), e0);
    const vf t = (m - vsplat(1.0f)) / (m + vsplat(1.0f));
    const vf u1 = t * t, u2 = u1 * u1;
    const vf lo = vsplat(2.0f) + vsplat((float)(2.0 / 3.0)) * u1;
    const vf hi = (vsplat((float)(2.0 / 5.0)) +
                   vsplat((float)(2.0 / 7.0)) * u1) +
                  vsplat((float)(2.0 / 9.0)) * u2;
    return t * (lo + u2 * hi);
}

/* 2^(yh + yl) where yh − k is exact for the nearest integer k (see the
 * header): 2^f by its Taylor series to degree 7 on |f| ≤ ½ (coefficients
 * ln2^j/j!, error < 1e-8; Estrin's scheme), 2^k through the exponent
 * bits. The caller keeps yh + yl within ±120. */
static inline vf ds_exp2_split(vf yh, vf yl)
{
    /* round to nearest: adding 1.5·2^23 pushes the fraction out */
    const vf magic = vsplat(12582912.0f);
    const vf r = ((yh + yl) + magic) - magic;
    const vf f = (yh - r) + yl;
    const double c1 = DS_LN2, c2 = c1 * DS_LN2 / 2, c3 = c2 * DS_LN2 / 3,
                 c4 = c3 * DS_LN2 / 4, c5 = c4 * DS_LN2 / 5,
                 c6 = c5 * DS_LN2 / 6, c7 = c6 * DS_LN2 / 7;
    const vf f2 = f * f, f4 = f2 * f2;
    const vf p01 = vsplat(1.0f) + vsplat((float)c1) * f;
    const vf p23 = vsplat((float)c2) + vsplat((float)c3) * f;
    const vf p45 = vsplat((float)c4) + vsplat((float)c5) * f;
    const vf p67 = vsplat((float)c6) + vsplat((float)c7) * f;
    const vf p = (p01 + f2 * p23) + f4 * (p45 + f2 * p67);
    return p * vfrombits((vtrunc(r) + 127) << 23);
}

/* 2^y for any y (clamped to ±120, far outside any current here). */
static inline vf ds_exp2(vf y)
{
    return ds_exp2_split(vmin(vmax(y, vsplat(-120.0f)), vsplat(120.0f)),
                         vsplat(0.0f));
}

/* step_pwl count from P and ln(P/Ispkthr) = x: clip(ceil(x), 1, smax)
 * where P > Ispkthr, else 0. ceil by truncation and correction (x < 2^31
 * always: x ≤ ~90 for any finite float current). */
static inline vf ds_count(vf P, vf x, vf ispk, vf smax)
{
    const vf c0 = vcvt(vtrunc(x));
    vf c = vsel(c0 < x, c0 + vsplat(1.0f), c0);
    c = vmin(vmax(c, vsplat(1.0f)), smax);
    return vsel(P > ispk, c, vsplat(0.0f));
}

/* Smooth spike function S = 1/(1 + (Ispkthr/P)^α) = 1/(1 + 2^−a), given
 * a = α·log2(P/Ispkthr). */
static inline vf ds_smooth(vf a)
{
    return vsplat(1.0f) / (vsplat(1.0f) + ds_exp2(-a));
}

/* Ifb = Io·(P/Io)^γ = Io·2^(γ·log2(P/Io)) as the step computes it (see
 * the header), for the membrane sub-steps of the dendrite model. */
static inline vf ds_ifb(vf P, vf io, vf rio, vf gamh, vf gaml, vf gamln)
{
    vf e;
    const vf r = ds_log_split(P * rio, &e);
    return io * ds_exp2_split(gamh * e, gaml * e + gamln * r);
}

#define LC(k) (s->lc + (size_t)(k) * V)
#define WV(k) (s->work + (size_t)(k) * V)
#define TR(row, k) ((row) + (size_t)(k) * V)

/* One step of every lane (spec §4 steps 1-5, see the header), on the
 * vectors of fwd_run. `smooth` is a constant at each call site, so the
 * compiler drops the other spike function. */
typedef struct fwd_ptrs {
    const float *FD, *FC, *KIN, *IO, *RIO, *FDA, *KAHP, *ITM, *RITM, *IGM,
        *GMEM, *IDC, *KDT, *GAMH, *GAML, *GAMLN, *ISPK, *TREF, *LSPK;
    float *isyn, *iahp, *imem, *fb, *sp, *spp, *timer, *drv;
    /* dendrite model only */
    const float *FDG, *FCG, *KING, *FDN, *FCN, *KINN, *FDS, *FCS, *KINS,
        *IFN, *NEN;
    float *ig, *in, *is, *drvg, *drvn, *drvs;
} fwd_ptrs;

DS_INLINE vf fwd_lanes(const fwd_ptrs *q, size_t V, float *row, int smooth,
                       int cg, float dtf, float smax, float alpha, vf chk)
{
    const vf vdt = vsplat(dtf), vsmax = vsplat(smax), zero = vsplat(0.0f),
             one = vsplat(1.0f);
    for (size_t l = 0; l < V; l += DS_VL) {
        const vf io = vld(q->IO + l);
        /* 1. synapse: negative drive is cut at Io (spec §9.3) */
        const vf a = vld(q->KIN + l) * vld(q->drv + l);
        const vi c = a > io;
        const vf is = vld(q->FD + l) * vld(q->isyn + l) +
                      vld(q->FC + l) * vsel(c, a, io);
        /* 2. AHP, driven by the neuron's own previous spikes */
        const vf spp = vld(q->spp + l);
        const vf H = vmax(vld(q->FDA + l) * vld(q->iahp + l) +
                              vld(q->KAHP + l) * spp,
                          io);
        /* 3. membrane, forward Euler; Iin blocked while refractory */
        const vf L = vld(q->ITM + l) + H;
        const vf timer = vld(q->timer + l);
        const vf J =
            vsel(timer > zero, io, vmax(is - L + vld(q->IDC + l), io));
        const vf A = vld(q->imem + l), F = vld(q->fb + l);
        const vf D = L *
                         (vld(q->GMEM + l) * (J - L) -
                          A * (one + H * vld(q->RITM + l))) /
                         (A + vld(q->IGM + l)) +
                     F;
        const vf X = A + vld(q->KDT + l) * A * D;
        chk += (a - a) + (X - X);
        const vf P = vmax(X, io);
        /* Ifb of the next step: Io·(P/Io)^γ = Io·2^(γ·log2(P/Io)),
         * log2(P/Io) = e + r/ln 2 */
        vf e;
        const vf r = ds_log_split(P * vld(q->RIO + l), &e);
        const vf yh = vld(q->GAMH + l) * e;
        const vf yl = vld(q->GAML + l) * e + vld(q->GAMLN + l) * r;
        vst(q->fb + l, io * ds_exp2_split(yh, yl));
        /* 4. spikes from log2(P/Ispkthr) = (e − LSPK) + r/ln 2;
         * 5. reset */
        const vf ispk = vld(q->ISPK + l);
        const vf el = e - vld(q->LSPK + l);
        const vi spiked = P > ispk;
        vf sc, an;
        if (smooth) {
            sc = ds_smooth(vsplat(alpha) *
                           (el + r * vsplat((float)(1.0 / DS_LN2))));
            an = (one - sc) * P + sc * io;
        } else {
            sc = ds_count(P, vsplat((float)DS_LN2) * el + r, ispk, vsmax);
            an = vsel(spiked, io, P);
        }
        vst(q->timer + l,
            vsel(spiked, vld(q->TREF + l), vmax(timer - vdt, zero)));
        vst(q->isyn + l, is);
        vst(q->iahp + l, H);
        vst(q->imem + l, an);
        vst(q->sp + l, sc);
        vst(TR(row, DT_P) + l, P);
        vst(TR(row, DT_H) + l, H);
        vst(TR(row, DT_J) + l, J);
        vst(TR(row, DT_F) + l, F);
        vst(TR(row, DT_C) + l, vsel(c, one, zero));
        vst(TR(row, DT_S) + l, sc);
        if (cg) { /* what the current gradients need besides */
            vst(TR(row, DT_I) + l, is);
            vst(TR(row, DT_A) + l, vsel(c, a, io));
        }
    }
    return chk;
}

/* One step of the dendrite model (specs/dynapse2_synapses.md §2, §4): the
 * merged step above with four DPI synapses (AMPA = isyn, GABA_B, NMDA,
 * GABA_A), each  I_k = FD_k·I_k + FC_k·max(KIN_k·drive_k, Io)  (a disabled
 * type has FD = FC = KIN = 0 and stays 0), the NMDA gate from the carried
 * (post-reset) imem A,
 *   g    = nmda_en ? A/(A + If_nmda) : 1            (§2.3; Q2: latch off → 1)
 *   Ish  = H + I_gabaa                               (§2.5, shunting)
 *   L    = Itau_mem' + Ish
 *   J    = Io if refractory, else max((I_ampa + g·I_nmda) − I_gabab − L + Idc, Io)
 *   D    = L·(GMEM·(J − L) − A·(1 + Ish/Itau_mem'))/(A + Igain_mem') + Fb
 * and the rest as merged. With the NMDA, GABA_B and GABA_A currents all 0
 * every operation gives the merged step's value bit for bit (x + 0 = x,
 * x − 0 = x, g·0 = 0), which test_dendrites_ampa_only checks. */
DS_INLINE vf fwd_lanes_d(const fwd_ptrs *q, size_t V, float *row, int smooth,
                         float dtf, float smax, float alpha, vf chk,
                         int nsub)
{
    const vf vdt = vsplat(dtf), vsmax = vsplat(smax), zero = vsplat(0.0f),
             one = vsplat(1.0f);
    for (size_t l = 0; l < V; l += DS_VL) {
        const vf io = vld(q->IO + l);
        /* 1. the four synapses; negative drive cut at Io in each */
        const vf a = vld(q->KIN + l) * vld(q->drv + l);
        const vi c = a > io;
        const vf is = vld(q->FD + l) * vld(q->isyn + l) +
                      vld(q->FC + l) * vsel(c, a, io);
        const vf ag = vld(q->KING + l) * vld(q->drvg + l);
        const vi cg = ag > io;
        const vf ig = vld(q->FDG + l) * vld(q->ig + l) +
                      vld(q->FCG + l) * vsel(cg, ag, io);
        const vf an = vld(q->KINN + l) * vld(q->drvn + l);
        const vi cn = an > io;
        const vf in = vld(q->FDN + l) * vld(q->in + l) +
                      vld(q->FCN + l) * vsel(cn, an, io);
        const vf as = vld(q->KINS + l) * vld(q->drvs + l);
        const vi cs = as > io;
        const vf ish = vld(q->FDS + l) * vld(q->is + l) +
                       vld(q->FCS + l) * vsel(cs, as, io);
        /* 2. AHP (its latch is in KAHP) */
        const vf spp = vld(q->spp + l);
        const vf H = vmax(vld(q->FDA + l) * vld(q->iahp + l) +
                              vld(q->KAHP + l) * spp,
                          io);
        /* 3. NMDA gate, membrane with subtractive and shunting inhibition */
        const vf A = vld(q->imem + l), F = vld(q->fb + l);
        const vf g = vsel(vld(q->NEN + l) > zero, A / (A + vld(q->IFN + l)),
                          one);
        const vf Sh = H + ish;
        const vf L = vld(q->ITM + l) + Sh;
        const vf timer = vld(q->timer + l);
        const vf Iexc = is + g * in;
        const vf J = vsel(timer > zero, io,
                          vmax(Iexc - ig - L + vld(q->IDC + l), io));
        const vf D = L *
                         (vld(q->GMEM + l) * (J - L) -
                          A * (one + Sh * vld(q->RITM + l))) /
                         (A + vld(q->IGM + l)) +
                     F;
        vf X = A + vld(q->KDT + l) * A * D;
        if (nsub > 1) {
            /* spec §2.6 option: nsub Euler steps of dt/nsub, Ifb (vmem)
             * refreshed after each, J, L and Ish frozen */
            const vf kdm = vld(q->KDT + l) * vsplat(1.0f / (float)nsub);
            const vf gj = vld(q->GMEM + l) * (J - L),
                     h = one + Sh * vld(q->RITM + l), igm = vld(q->IGM + l);
            vf Ak = A, Fk = F;
            for (int k = 0;; k++) {
                const vf Dk = L * (gj - Ak * h) / (Ak + igm) + Fk;
                X = Ak + kdm * Ak * Dk;
                if (k == nsub - 1)
                    break;
                chk += X - X;
                Ak = vmax(X, io);
                Fk = ds_ifb(Ak, io, vld(q->RIO + l), vld(q->GAMH + l),
                            vld(q->GAML + l), vld(q->GAMLN + l));
            }
        }
        chk += (a - a) + (ag - ag) + (an - an) + (as - as) + (X - X);
        const vf P = vmax(X, io);
        vf e;
        const vf r = ds_log_split(P * vld(q->RIO + l), &e);
        const vf yh = vld(q->GAMH + l) * e;
        const vf yl = vld(q->GAML + l) * e + vld(q->GAMLN + l) * r;
        vst(q->fb + l, io * ds_exp2_split(yh, yl));
        const vf ispk = vld(q->ISPK + l);
        const vf el = e - vld(q->LSPK + l);
        const vi spiked = P > ispk;
        vf sc, anew;
        if (smooth) {
            sc = ds_smooth(vsplat(alpha) *
                           (el + r * vsplat((float)(1.0 / DS_LN2))));
            anew = (one - sc) * P + sc * io;
        } else {
            sc = ds_count(P, vsplat((float)DS_LN2) * el + r, ispk, vsmax);
            anew = vsel(spiked, io, P);
        }
        vst(q->timer + l,
            vsel(spiked, vld(q->TREF + l), vmax(timer - vdt, zero)));
        vst(q->isyn + l, is);
        vst(q->ig + l, ig);
        vst(q->in + l, in);
        vst(q->is + l, ish);
        vst(q->iahp + l, H);
        vst(q->imem + l, anew);
        vst(q->sp + l, sc);
        vst(TR(row, DT_P) + l, P);
        vst(TR(row, DT_H) + l, H);
        vst(TR(row, DT_J) + l, J);
        vst(TR(row, DT_F) + l, F);
        vst(TR(row, DT_C) + l, vsel(c, one, zero));
        vst(TR(row, DT_S) + l, sc);
        vst(TR(row, DT_I) + l, is);
        vst(TR(row, DT_A) + l, vsel(c, a, io));
        vst(TR(row, DT_IG) + l, ig);
        vst(TR(row, DT_IN) + l, in);
        vst(TR(row, DT_IS) + l, ish);
        vst(TR(row, DT_CG) + l, vsel(cg, one, zero));
        vst(TR(row, DT_CN) + l, vsel(cn, one, zero));
        vst(TR(row, DT_CS) + l, vsel(cs, one, zero));
        vst(TR(row, DT_AG) + l, vsel(cg, ag, io));
        vst(TR(row, DT_AN) + l, vsel(cn, an, io));
        vst(TR(row, DT_AS) + l, vsel(cs, as, io));
        vst(TR(row, DT_GN) + l, g);
    }
    return chk;
}

/* The recurrent drive of the previous step's spikes spp into drv:
 * drv[b·n + i] += Σ_j spp[b·n + j]·w[j][i] (silent neurons skipped). One
 * flat loop over lanes through the lane table: n is small in the tasks
 * that need speed, where nested batch/neuron loops cost more. */
static inline void rec_drive(const ds__layer *s, const float *w,
                             const float *spp, float *drv)
{
    const size_t n = s->n, lanes = s->lanes, *base = s->lane_base;
    for (size_t l = 0; l < lanes; l++) {
        const float sj = spp[l];
        if (sj == 0.0f)
            continue;
        const float *restrict wr = w + (l - base[l]) * n;
        float *restrict d = drv + base[l];
        for (size_t i = 0; i < n; i++)
            d[i] += sj * wr[i];
    }
}

DS_INLINE int fwd_run(ds__layer *s, const float *in, float *out,
                      const int smooth, const int cg, const int dend)
{
    const size_t n = s->n, B = s->batch, T = s->time, V = s->vlanes;
    const size_t lanes = s->lanes;
    const int train = (s->mode & SL_MODE_TRAIN) != 0;
    const int record = (s->mode & SL_MODE_RECORD) != 0;
    const float dtf = (float)s->dt, smax = s->max_spikes, alpha = s->alpha;
    const size_t rowlen = s->dtk * V;
    fwd_ptrs q = {
        LC(DL_FD),   LC(DL_FC),   LC(DL_KIN),  LC(DL_IO),   LC(DL_RIO),
        LC(DL_FDA),  LC(DL_KAHP), LC(DL_ITM),  LC(DL_RITM), LC(DL_IGM),
        LC(DL_GMEM), LC(DL_IDC),  LC(DL_KDT),  LC(DL_GAMH), LC(DL_GAML),
        LC(DL_GAMLN), LC(DL_ISPK), LC(DL_TREF), LC(DL_LSPK), WV(DW_ISYN),
        WV(DW_IAHP), WV(DW_IMEM), WV(DW_FB),   WV(DW_SP),   WV(DW_SPP),
        WV(DW_TIMER), WV(DW_DRV),
        LC(DL_FDG),  LC(DL_FCG),  LC(DL_KING), LC(DL_FDN),  LC(DL_FCN),
        LC(DL_KINN), LC(DL_FDS),  LC(DL_FCS),  LC(DL_KINS), LC(DL_IFN),
        LC(DL_NEN),  WV(DW_IG),   WV(DW_IN),   WV(DW_IS),   WV(DW_DRVG),
        WV(DW_DRVN), WV(DW_DRVS)};
    const float *IO0 = LC(DL_IO0);
    const size_t *off = s->lane_off;
    float *drvk[DS_NTYPES] = {q.drv, q.drvg, q.drvn, q.drvs};

    /* state of spec §1: currents at the nominal Io, vmem = 0 (so the
     * first Ifb is Io), no spikes, not refractory; padding lanes get no
     * input */
    memcpy(q.isyn, IO0, V * sizeof(float));
    memcpy(q.iahp, IO0, V * sizeof(float));
    memcpy(q.imem, IO0, V * sizeof(float));
    memcpy(q.fb, q.IO, V * sizeof(float));
    memset(q.spp, 0, V * sizeof(float));
    memset(q.timer, 0, V * sizeof(float));
    memset(q.drv, 0, V * sizeof(float));
    /* row 0 of the tape is "step −1": the initial imem, no spikes */
    memcpy(TR(s->tape, DT_P), IO0, V * sizeof(float));
    memset(TR(s->tape, DT_S), 0, V * sizeof(float));
    if (cg || dend) { /* the previous isyn and iahp of step 0 */
        memcpy(TR(s->tape, DT_I), IO0, V * sizeof(float));
        memcpy(TR(s->tape, DT_H), IO0, V * sizeof(float));
    }
    if (dend) {
        /* enabled types start at Io (spec §3, Q9), disabled ones at 0 */
        memcpy(q.ig, LC(DL_I0G), V * sizeof(float));
        memcpy(q.in, LC(DL_I0N), V * sizeof(float));
        memcpy(q.is, LC(DL_I0S), V * sizeof(float));
        memcpy(TR(s->tape, DT_IG), q.ig, V * sizeof(float));
        memcpy(TR(s->tape, DT_IN), q.in, V * sizeof(float));
        memcpy(TR(s->tape, DT_IS), q.is, V * sizeof(float));
        for (int k = 1; k < DS_NTYPES; k++)
            memset(drvk[k], 0, V * sizeof(float));
    }

    vf chk = vsplat(0.0f); /* NaN/inf anywhere in drive or Euler step */
    for (size_t t = 0; t < T; t++) {
        float *row = s->tape + (train ? t + 1 : 1) * rowlen;

        /* drive: this step's input plus the recurrence of the previous
         * step's spikes */
        const size_t tn = t * n;
        if (dend && s->typed_in) {
            /* [batch][time][n][4]: channel 4·i + k */
            for (int k = 0; k < DS_NTYPES; k++) {
                float *d = drvk[k];
                for (size_t l = 0; l < lanes; l++)
                    d[l] = in[4 * (off[l] + tn) + (size_t)k];
            }
        } else {
            for (size_t l = 0; l < lanes; l++)
                q.drv[l] = in[off[l] + tn];
            if (dend && s->recurrent)
                for (int k = 1; k < DS_NTYPES; k++)
                    memset(drvk[k], 0, lanes * sizeof(float));
        }
        if (s->recurrent && t > 0) {
            if (!dend)
                rec_drive(s, s->w_rec, q.spp, q.drv);
            else
                for (int k = 0; k < DS_NTYPES; k++)
                    if ((s->syn_en >> k) & 1u)
                        rec_drive(s, s->wt + (size_t)k * n * n, q.spp,
                                  drvk[k]);
        }

        if (dend)
            chk = fwd_lanes_d(&q, V, row, smooth, dtf, smax, alpha, chk,
                              s->mem_substeps);
        else
            chk = fwd_lanes(&q, V, row, smooth, cg, dtf, smax, alpha, chk);

        for (size_t l = 0; l < lanes; l++)
            out[off[l] + tn] = q.sp[l];
        /* this step's spikes are the next step's previous ones */
        float *tmp = q.spp;
        q.spp = q.sp;
        q.sp = tmp;

        if (record) {
            const size_t E = B * T * n;
            float *r_isyn = s->rec, *r_iahp = s->rec + E,
                  *r_imem = s->rec + 2 * E, *r_vmem = s->rec + 3 * E,
                  *r_sp = s->rec + 4 * E;
            const float *UTK = LC(DL_UTK), *tP = TR(row, DT_P);
            for (size_t b = 0; b < B; b++)
                for (size_t i = 0; i < n; i++) {
                    const size_t l = b * n + i, o = (b * T + t) * n + i;
                    r_isyn[o] = q.isyn[l];
                    r_iahp[o] = q.iahp[l];
                    r_imem[o] = q.imem[l];
                    /* pre-reset, as Rockpool records it */
                    r_vmem[o] = (float)((double)UTK[l] *
                                        log((double)tP[l] * (double)q.RIO[l]));
                    r_sp[o] = q.spp[l]; /* swapped above */
                    if (dend) {
                        s->rec[5 * E + o] = q.ig[l];
                        s->rec[6 * E + o] = q.in[l];
                        s->rec[7 * E + o] = q.is[l];
                        s->rec[8 * E + o] = TR(row, DT_GN)[l];
                    }
                }
        }
    }
    float c[DS_VL];
    vst(c, chk);
    for (size_t k = 0; k < DS_VL; k++)
        if (!isfinite(c[k]))
            return s->host->xError(s->ctx, NULL, SL_ENUMERIC,
                                   "the input or the membrane became NaN or "
                                   "infinite: check the input scale (Iscale, "
                                   "weights) and the currents");
    return SL_OK;
}

/*
 * Backward: adjoints swept from the last step to the first. Per lane, the
 * adjoints entering step t (from step t+1) are gI = dL/disyn, gH =
 * dL/diahp, gA = dL/dimem (after reset), gP = dL/dP (through the next
 * step's Ifb), gsn = dL/ds (the next step's recurrence and AHP). With
 * gs = dout + gsn, b the reset switch, A0/s0/P0 the previous step's
 * (tape row t−1, or the initial state):
 *   reset   gb = (Io − P)·gA
 *           step_pwl: gP += [no spike]·gA + [P > Io]·(gs + cb·gb),
 *                     surrogate ds/dP = [P > Io] (spec §5, per ampere),
 *                     cb = db/ds = reset_grad (0.5) for s ∈ {0, 1},
 *                     0 for s ≥ 2 (JAX's rule at the ties of clip)
 *           smooth:   gP += (1 − S)·gA + (gs + gb)·S'(P)
 *   clip    gX = [P > Io]·gP
 *   Euler   gA0 = gX·(1 + KDT·D) + ∂D/∂A0 terms, gD = gX·KDT·A0,
 *           E = GMEM·(J − L) − A0·h, D = L·E/q + F:
 *           gE = gD·L/q, gL = gD·E/q − GMEM·gE, gA0 −= gE·(E/q + h),
 *           gJ = [J > Io]·GMEM·gE (0 when masked or clipped),
 *           gisyn += gJ, gL −= gJ, giahp += gL − gE·A0/Itau_mem'
 *   Ifb     gP0 = gD·γ·F/P0
 *   AHP     gy = [H > Io]·giahp; giahp ← FDA·gy; gs0 += KAHP·gy
 *   synapse gdrive = [a > Io]·FC·KIN·gisyn; gisyn ← FD·gisyn
 *   input   din = gdrive; dL/dw_rec[j][i] += s0_j·gdrive_i;
 *           gs0_j += Σ_i w_rec[j][i]·gdrive_i
 * The refractory mask and the timer get no gradient; clips pass the
 * gradient strictly above their bound (0 at a tie).
 */
typedef struct bwd_ptrs {
    const float *FD, *FC, *KIN, *IO, *FDA, *KAHP, *ITM, *RITM, *IGM, *GMEM,
        *KDT, *GAM, *ISPK;
    float *gI, *gH, *gA, *gP, *gsn, *gdrv, *gout;
    /* accumulators of dL/d(lane constant), trainable currents only */
    float *aFD, *aIA, *aIAC, *aFDA, *aKAHP, *aITM, *aRITM, *aGMEM, *aIGM,
        *aIDC, *aSPK;
    /* dendrite model only */
    const float *FDG, *FCG, *KING, *FDN, *FCN, *KINN, *FDS, *FCS, *KINS,
        *IFN, *NEN;
    float *gG, *gN, *gS, *gdrvg, *gdrvn, *gdrvs, *aFDG, *aIAG, *aIACG,
        *aFDN, *aIAN, *aIACN, *aFDS, *aIAS, *aIACS, *aIFN;
    const float *RIO, *GAMH, *GAML, *GAMLN;
    float *sub; /* [2·nsub][DS_VL] scratch of the membrane sub-steps */
} bwd_ptrs;

/* acc[l..] += x */
static inline void vacc(float *acc, vf x) { vst(acc, vld(acc) + x); }

DS_INLINE void bwd_lanes(const bwd_ptrs *q, size_t V, const float *row,
                         const float *prev, int smooth, int cg, float alpha,
                         float rg, float keep_p)
{
    const vf zero = vsplat(0.0f), one = vsplat(1.0f), vrg = vsplat(rg);
    for (size_t l = 0; l < V; l += DS_VL) {
        const vf io = vld(q->IO + l), P = vld(TR(row, DT_P) + l),
                 H = vld(TR(row, DT_H) + l), J = vld(TR(row, DT_J) + l),
                 F = vld(TR(row, DT_F) + l), S = vld(TR(row, DT_S) + l);
        const vf ispk = vld(q->ISPK + l);
        const vf gs = vld(q->gout + l) + vld(q->gsn + l);
        const vf gA = vld(q->gA + l);
        const vf gb = (io - P) * gA;
        vf gPt;
        if (smooth) {
            const vf dS = vsplat(alpha) * S * (one - S) / P;
            gPt = vld(q->gP + l) + (one - S) * gA + (gs + gb) * dS;
        } else {
            const vf cb = vsel(S <= one, vrg, zero);
            gPt = vld(q->gP + l) + vsel(P > ispk, zero, gA) +
                  vsel(P > io, gs + cb * gb, zero);
        }
        const vf gX = vsel(P > io, gPt, zero);

        /* the step's start: imem after the previous reset */
        const vf P0 = vld(TR(prev, DT_P) + l), S0 = vld(TR(prev, DT_S) + l);
        const vf A0 = smooth ? (one - S0) * P0 + S0 * io
                             : vsel(P0 > ispk, io, P0);
        const vf ritm = vld(q->RITM + l), gmem = vld(q->GMEM + l),
                 kdt = vld(q->KDT + l);
        const vf L = vld(q->ITM + l) + H, h = one + H * ritm;
        const vf rq = one / (A0 + vld(q->IGM + l));
        const vf E = gmem * (J - L) - A0 * h;
        const vf D = L * E * rq + F;
        const vf gD = gX * kdt * A0;
        const vf gE = gD * L * rq;
        const vf gJ = vsel(J > io, gmem * gE, zero);
        const vf gL = gD * E * rq - gmem * gE - gJ;
        const vf gIs = vld(q->gI + l) + gJ;
        const vf gy = vsel(H > io, vld(q->gH + l) + gL - gE * A0 * ritm, zero);
        vst(q->gA + l, gX * (one + kdt * D) - gE * (E * rq + h));
        vst(q->gP + l, vsplat(keep_p) * gD * vld(q->GAM + l) * F / P0);
        vst(q->gH + l, vld(q->FDA + l) * gy);
        vst(q->gI + l, vld(q->FD + l) * gIs);
        vst(q->gdrv + l, vld(TR(row, DT_C) + l) * vld(q->FC + l) *
                             vld(q->KIN + l) * gIs);
        vst(q->gsn + l, vld(q->KAHP + l) * gy);
        if (cg) { /* see ds__current_grads (params.c) */
            const vf Ac = vld(TR(row, DT_A) + l);
            vacc(q->aFD + l, gIs * vld(TR(prev, DT_I) + l));
            vacc(q->aIA + l, gIs * Ac);
            vacc(q->aIAC + l, gIs * vld(TR(row, DT_C) + l) * Ac);
            vacc(q->aFDA + l, gy * vld(TR(prev, DT_H) + l));
            vacc(q->aKAHP + l, gy * S0);
            vacc(q->aITM + l, gL);
            vacc(q->aRITM + l, -(gE * A0 * H));
            vacc(q->aGMEM + l, gE * (J - L));
            vacc(q->aIGM + l, -(gD * L * E * rq * rq));
            vacc(q->aIDC + l, gJ);
            if (smooth)
                vacc(q->aSPK + l, (gs + gb) * S * (one - S));
        }
    }
}

/*
 * Backward of the dendrite step (fwd_lanes_d), the merged backward's
 * rules plus (spec §4): with gJ = dL/dJ and gL = dL/dL as there,
 *   gSh  = gL − gE·A0/Itau_mem'           (Ish in L and in h = 1 + Ish/Itau)
 *   AMPA  gI += gJ;  GABA_B gG −= gJ;  NMDA gN += g·gJ;  GABA_A gS += gSh
 *   AHP   gy = [H > Io]·(gH + gSh)
 *   gate  gg = gJ·I_nmda: gA0 += nmda_en·gg·If/(A0 + If)²  (so the gradient
 *         passes the reset of the previous step), dL/dIf −= nmda_en·gg·A0/(A0 + If)²
 *   each synapse k: gdrive_k = [a_k > Io]·FC_k·KIN_k·gI_k; gI_k ← FD_k·gI_k
 */
DS_INLINE void bwd_lanes_d(const bwd_ptrs *q, size_t V, const float *row,
                           const float *prev, int smooth, int cg,
                           float alpha, float rg, float keep_p, int nsub)
{
    const vf zero = vsplat(0.0f), one = vsplat(1.0f), vrg = vsplat(rg);
    for (size_t l = 0; l < V; l += DS_VL) {
        const vf io = vld(q->IO + l), P = vld(TR(row, DT_P) + l),
                 H = vld(TR(row, DT_H) + l), J = vld(TR(row, DT_J) + l),
                 F = vld(TR(row, DT_F) + l), S = vld(TR(row, DT_S) + l);
        const vf ispk = vld(q->ISPK + l);
        const vf gs = vld(q->gout + l) + vld(q->gsn + l);
        const vf gA = vld(q->gA + l);
        const vf gb = (io - P) * gA;
        vf gPt;
        if (smooth) {
            const vf dS = vsplat(alpha) * S * (one - S) / P;
            gPt = vld(q->gP + l) + (one - S) * gA + (gs + gb) * dS;
        } else {
            const vf cb = vsel(S <= one, vrg, zero);
            gPt = vld(q->gP + l) + vsel(P > ispk, zero, gA) +
                  vsel(P > io, gs + cb * gb, zero);
        }
        const vf gX = vsel(P > io, gPt, zero);

        const vf P0 = vld(TR(prev, DT_P) + l), S0 = vld(TR(prev, DT_S) + l);
        const vf A0 = smooth ? (one - S0) * P0 + S0 * io
                             : vsel(P0 > ispk, io, P0);
        const vf ritm = vld(q->RITM + l), gmem = vld(q->GMEM + l),
                 kdt = vld(q->KDT + l);
        const vf Sh = H + vld(TR(row, DT_IS) + l);
        const vf L = vld(q->ITM + l) + Sh, h = one + Sh * ritm;
        const vf rq = one / (A0 + vld(q->IGM + l));
        /* the membrane step(s): adjoints of J, L, Ish, A0 (through the
         * Euler step) and of the step's Ifb, and the membrane current
         * accumulators' terms */
        vf gJ, gL, gSh, gAx, gF0, tR, tG, tI;
        if (nsub == 1) {
            const vf E = gmem * (J - L) - A0 * h;
            const vf D = L * E * rq + F;
            const vf gD = gX * kdt * A0;
            const vf gE = gD * L * rq;
            gJ = vsel(J > io, gmem * gE, zero);
            gL = gD * E * rq - gmem * gE - gJ;
            gSh = gL - gE * A0 * ritm;
            gAx = gX * (one + kdt * D) - gE * (E * rq + h);
            gF0 = gD;
            tR = -(gE * A0 * Sh);
            tG = gE * (J - L);
            tI = -(gD * L * E * rq * rq);
        } else {
            /* recompute the sub-steps' A_k, Ifb_k (forward, spec §2.6),
             * then sweep them backwards; Ifb_k = Ifb(A_k) for k > 0 */
            const vf kdm = kdt * vsplat(1.0f / (float)nsub);
            const vf gj = gmem * (J - L), igm = vld(q->IGM + l);
            float *sa = q->sub, *sf = q->sub + (size_t)nsub * DS_VL;
            vst(sa, A0);
            vst(sf, F);
            for (int k = 0; k + 1 < nsub; k++) {
                const vf Ak = vld(sa + k * DS_VL), Fk = vld(sf + k * DS_VL);
                const vf Dk = L * (gj - Ak * h) / (Ak + igm) + Fk;
                const vf An = vmax(Ak + kdm * Ak * Dk, io);
                vst(sa + (k + 1) * DS_VL, An);
                vst(sf + (k + 1) * DS_VL,
                    ds_ifb(An, io, vld(q->RIO + l), vld(q->GAMH + l),
                           vld(q->GAML + l), vld(q->GAMLN + l)));
            }
            vf gXk = gX;
            gJ = gL = gSh = tR = tG = tI = gAx = gF0 = zero;
            for (int k = nsub - 1; k >= 0; k--) {
                const vf Ak = vld(sa + k * DS_VL), Fk = vld(sf + k * DS_VL);
                const vf rqk = one / (Ak + igm);
                const vf E = gj - Ak * h;
                const vf Dk = L * E * rqk + Fk;
                const vf gD = gXk * kdm * Ak;
                const vf gE = gD * L * rqk;
                const vf gJk = vsel(J > io, gmem * gE, zero);
                gJ += gJk;
                gL += gD * E * rqk - gmem * gE - gJk;
                gSh += -(gE * Ak * ritm);
                tR += -(gE * Ak * Sh);
                tG += gE * (J - L);
                tI += -(gD * L * E * rqk * rqk);
                vf gAk = gXk * (one + kdm * Dk) - gE * (E * rqk + h);
                if (k == 0) {
                    gAx = gAk;
                    gF0 = gD;
                } else {
                    gAk += gD * vld(q->GAM + l) * Fk / Ak;
                    gXk = vsel(Ak > io, gAk, zero);
                }
            }
            gSh += gL;
        }
        const vf g = vld(TR(row, DT_GN) + l);
        const vf gIs = vld(q->gI + l) + gJ;
        const vf gIg = vld(q->gG + l) - gJ;
        const vf gIn = vld(q->gN + l) + g * gJ;
        const vf gIsh = vld(q->gS + l) + gSh;
        const vf gg = gJ * vld(TR(row, DT_IN) + l);
        const vi nen = vld(q->NEN + l) > zero;
        const vf ifn = vld(q->IFN + l);
        const vf rden = one / (A0 + ifn);
        const vf gy = vsel(H > io, vld(q->gH + l) + gSh, zero);
        vst(q->gA + l, gAx + vsel(nen, gg * ifn * rden * rden, zero));
        vst(q->gP + l, vsplat(keep_p) * gF0 * vld(q->GAM + l) * F / P0);
        vst(q->gH + l, vld(q->FDA + l) * gy);
        vst(q->gI + l, vld(q->FD + l) * gIs);
        vst(q->gG + l, vld(q->FDG + l) * gIg);
        vst(q->gN + l, vld(q->FDN + l) * gIn);
        vst(q->gS + l, vld(q->FDS + l) * gIsh);
        vst(q->gdrv + l, vld(TR(row, DT_C) + l) * vld(q->FC + l) *
                             vld(q->KIN + l) * gIs);
        vst(q->gdrvg + l, vld(TR(row, DT_CG) + l) * vld(q->FCG + l) *
                              vld(q->KING + l) * gIg);
        vst(q->gdrvn + l, vld(TR(row, DT_CN) + l) * vld(q->FCN + l) *
                              vld(q->KINN + l) * gIn);
        vst(q->gdrvs + l, vld(TR(row, DT_CS) + l) * vld(q->FCS + l) *
                              vld(q->KINS + l) * gIsh);
        vst(q->gsn + l, vld(q->KAHP + l) * gy);
        if (cg) { /* see ds__current_grads (params.c) */
            const vf Ac = vld(TR(row, DT_A) + l);
            vacc(q->aFD + l, gIs * vld(TR(prev, DT_I) + l));
            vacc(q->aIA + l, gIs * Ac);
            vacc(q->aIAC + l, gIs * vld(TR(row, DT_C) + l) * Ac);
            const vf Ag = vld(TR(row, DT_AG) + l),
                     An = vld(TR(row, DT_AN) + l),
                     As = vld(TR(row, DT_AS) + l);
            vacc(q->aFDG + l, gIg * vld(TR(prev, DT_IG) + l));
            vacc(q->aIAG + l, gIg * Ag);
            vacc(q->aIACG + l, gIg * vld(TR(row, DT_CG) + l) * Ag);
            vacc(q->aFDN + l, gIn * vld(TR(prev, DT_IN) + l));
            vacc(q->aIAN + l, gIn * An);
            vacc(q->aIACN + l, gIn * vld(TR(row, DT_CN) + l) * An);
            vacc(q->aFDS + l, gIsh * vld(TR(prev, DT_IS) + l));
            vacc(q->aIAS + l, gIsh * As);
            vacc(q->aIACS + l, gIsh * vld(TR(row, DT_CS) + l) * As);
            vacc(q->aIFN + l, vsel(nen, -(gg * A0 * rden * rden), zero));
            vacc(q->aFDA + l, gy * vld(TR(prev, DT_H) + l));
            vacc(q->aKAHP + l, gy * S0);
            vacc(q->aITM + l, gL);
            vacc(q->aRITM + l, tR);
            vacc(q->aGMEM + l, tG);
            vacc(q->aIGM + l, tI);
            vacc(q->aIDC + l, gJ);
            if (smooth)
                vacc(q->aSPK + l, (gs + gb) * S * (one - S));
        }
    }
}

/* The recurrence's backward for one weight matrix w and the adjoints gd
 * of the drive it fed: gsn[l] += Σ_i w[j][i]·gd[b·n + i] and
 * gw[j][i] += s0[l]·gd[b·n + i] (j = the lane's neuron). */
static inline void rec_back(const ds__layer *s, const float *w, float *gw,
                            const float *gd, const float *s0, float *gsn)
{
    const size_t n = s->n, lanes = s->lanes, *base = s->lane_base;
    for (size_t l = 0; l < lanes; l++) {
        const size_t j = l - base[l];
        const float *restrict wr = w + j * n;
        const float *restrict g = gd + base[l];
        float acc = 0.0f;
        for (size_t i = 0; i < n; i++)
            acc += wr[i] * g[i];
        gsn[l] += acc;
        if (s0[l] != 0.0f) {
            float *restrict gr = gw + j * n;
            const float sj = s0[l];
            for (size_t i = 0; i < n; i++)
                gr[i] += sj * g[i];
        }
    }
}

DS_INLINE void bwd_run(ds__layer *s, const float *dout, float *din,
                       const int smooth, const int cg, const int dend)
{
    const size_t n = s->n, T = s->time, V = s->vlanes, lanes = s->lanes;
    const size_t rowlen = s->dtk * V;
    const size_t *off = s->lane_off;
    const bwd_ptrs q = {
        LC(DL_FD),   LC(DL_FC),   LC(DL_KIN), LC(DL_IO),   LC(DL_FDA),
        LC(DL_KAHP), LC(DL_ITM),  LC(DL_RITM), LC(DL_IGM), LC(DL_GMEM),
        LC(DL_KDT),  LC(DL_GAM),  LC(DL_ISPK), WV(DW_GI),  WV(DW_GH),
        WV(DW_GA),   WV(DW_GP),   WV(DW_GSN), WV(DW_GDRV), WV(DW_DOUT),
        WV(DW_AFD),  WV(DW_AIA),  WV(DW_AIAC), WV(DW_AFDA), WV(DW_AKAHP),
        WV(DW_AITM), WV(DW_ARITM), WV(DW_AGMEM), WV(DW_AIGM), WV(DW_AIDC),
        WV(DW_ASPK),
        LC(DL_FDG),  LC(DL_FCG),  LC(DL_KING), LC(DL_FDN),  LC(DL_FCN),
        LC(DL_KINN), LC(DL_FDS),  LC(DL_FCS),  LC(DL_KINS), LC(DL_IFN),
        LC(DL_NEN),  WV(DW_GG),   WV(DW_GN),   WV(DW_GS),   WV(DW_GDRVG),
        WV(DW_GDRVN), WV(DW_GDRVS), WV(DW_AFDG), WV(DW_AIAG), WV(DW_AIACG),
        WV(DW_AFDN), WV(DW_AIAN), WV(DW_AIACN), WV(DW_AFDS), WV(DW_AIAS),
        WV(DW_AIACS), WV(DW_AIFN), LC(DL_RIO), LC(DL_GAMH), LC(DL_GAML),
        LC(DL_GAMLN), s->sub};
    float *const gdk[DS_NTYPES] = {q.gdrv, q.gdrvg, q.gdrvn, q.gdrvs};

    memset(q.gI, 0, V * sizeof(float));
    memset(q.gH, 0, V * sizeof(float));
    memset(q.gA, 0, V * sizeof(float));
    memset(q.gP, 0, V * sizeof(float));
    memset(q.gsn, 0, V * sizeof(float));
    memset(q.gout, 0, V * sizeof(float)); /* padding lanes stay 0 */
    if (cg) /* the accumulators are consecutive work vectors */
        memset(q.aFD, 0, (size_t)(DW_ASPK + 1 - DW_AFD) * V * sizeof(float));
    if (dend) {
        memset(q.gG, 0, V * sizeof(float));
        memset(q.gN, 0, V * sizeof(float));
        memset(q.gS, 0, V * sizeof(float));
        if (cg)
            memset(q.aFDG, 0,
                   (size_t)(DW_AIFN + 1 - DW_AFDG) * V * sizeof(float));
        if (s->recurrent)
            memset(s->gwt, 0, (size_t)DS_NTYPES * n * n * sizeof(float));
    }

    for (size_t t = T; t-- > 0;) {
        const float *row = s->tape + (t + 1) * rowlen, *prev = row - rowlen;
        const size_t tn = t * n;
        for (size_t l = 0; l < lanes; l++)
            q.gout[l] = dout[off[l] + tn];

        const float keep_p = t > 0 ? 1.0f : 0.0f;
        if (dend)
            bwd_lanes_d(&q, V, row, prev, smooth, cg, s->alpha,
                        s->reset_grad, keep_p, s->mem_substeps);
        else
            bwd_lanes(&q, V, row, prev, smooth, cg, s->alpha, s->reset_grad,
                      keep_p);

        if (din != NULL) {
            if (dend && s->typed_in) {
                for (int k = 0; k < DS_NTYPES; k++)
                    for (size_t l = 0; l < lanes; l++)
                        din[4 * (off[l] + tn) + (size_t)k] = gdk[k][l];
            } else {
                for (size_t l = 0; l < lanes; l++)
                    din[off[l] + tn] = q.gdrv[l];
            }
        }
        if (s->recurrent && t > 0) {
            const float *s0 = TR(prev, DT_S);
            if (!dend)
                rec_back(s, s->w_rec, s->g_rec, q.gdrv, s0, q.gsn);
            else
                for (int k = 0; k < DS_NTYPES; k++)
                    if ((s->syn_en >> k) & 1u)
                        rec_back(s, s->wt + (size_t)k * n * n,
                                 s->gwt + (size_t)k * n * n, gdk[k], s0,
                                 q.gsn);
        }
    }
    if (dend && s->recurrent)
        ds__rec_grad(s);
}

int ds__forward(ds__layer *s, const float *in, float *out)
{
    if (s->dend) {
        if (s->recurrent)
            ds__rec_split(s);
        return s->smooth ? fwd_run(s, in, out, 1, 0, 1)
                         : fwd_run(s, in, out, 0, 0, 1);
    }
    /* the tape holds the current gradients' fields only in training */
    const int cg = s->train_mask != 0 && (s->mode & SL_MODE_TRAIN);
    if (cg)
        return s->smooth ? fwd_run(s, in, out, 1, 1, 0)
                         : fwd_run(s, in, out, 0, 1, 0);
    return s->smooth ? fwd_run(s, in, out, 1, 0, 0)
                     : fwd_run(s, in, out, 0, 0, 0);
}

void ds__backward(ds__layer *s, const float *dout, float *din)
{
    const int cg = s->train_mask != 0;
    if (s->dend) {
        if (cg)
            s->smooth ? bwd_run(s, dout, din, 1, 1, 1)
                      : bwd_run(s, dout, din, 0, 1, 1);
        else
            s->smooth ? bwd_run(s, dout, din, 1, 0, 1)
                      : bwd_run(s, dout, din, 0, 0, 1);
    } else if (cg) {
        s->smooth ? bwd_run(s, dout, din, 1, 1, 0)
                  : bwd_run(s, dout, din, 0, 1, 0);
    } else if (s->smooth) {
        bwd_run(s, dout, din, 1, 0, 0);
    } else {
        bwd_run(s, dout, din, 0, 0, 0);
    }
    if (cg)
        ds__current_grads(s);
}

/* w_rec to the per-type matrices wt (DS_REC_*, see dynapsim.h): at the
 * start of every forward, since anyone may have written w_rec. */
void ds__rec_split(ds__layer *s)
{
    const size_t nn = s->n * s->n;
    float *wa = s->wt, *wi = s->wt + (size_t)s->inh_type * nn;
    memset(s->wt, 0, (size_t)DS_NTYPES * nn * sizeof(float));
    for (size_t k = 0; k < nn; k++) {
        const float w = s->w_rec[k];
        switch (s->rec_mode) {
        case DS_REC_AMPA:
            wa[k] = w;
            break;
        case DS_REC_SIGN:
            if (w > 0.0f)
                wa[k] = w;
            else if (w < 0.0f)
                wi[k] = -w;
            break;
        default:
            s->wt[(size_t)s->rec_type[k] * nn + k] = fabsf(w);
        }
    }
}

/* dL/dw_rec from the per-type matrices' gradients gwt: the derivative of
 * the split, 0.5 to each side at the tie w = 0 (spec §4, as every max in
 * the model); the explicit map uses |w|, whose derivative at 0 is taken
 * as 0. */
void ds__rec_grad(ds__layer *s)
{
    const size_t nn = s->n * s->n;
    const float *ga = s->gwt, *gi = s->gwt + (size_t)s->inh_type * nn;
    for (size_t k = 0; k < nn; k++) {
        const float w = s->w_rec[k];
        float g;
        switch (s->rec_mode) {
        case DS_REC_AMPA:
            g = ga[k];
            break;
        case DS_REC_SIGN:
            g = w > 0.0f ? ga[k] : w < 0.0f ? -gi[k]
                                            : 0.5f * (ga[k] - gi[k]);
            break;
        default: {
            const float gt = s->gwt[(size_t)s->rec_type[k] * nn + k];
            g = w > 0.0f ? gt : w < 0.0f ? -gt : 0.0f;
        }
        }
        s->g_rec[k] += g;
    }
}

void ds__spikes(const ds__layer *s, const float *imem, float *spikes,
                size_t n)
{
    const float *IO = s->dn + (size_t)DL_IO * s->n,
                *RIO = s->dn + (size_t)DL_RIO * s->n,
                *ISPK = s->dn + (size_t)DL_ISPK * s->n,
                *LSPK = s->dn + (size_t)DL_LSPK * s->n;
    for (size_t k = 0; k < n; k++) {
        /* the same vector code as the forward, one neuron per call; the
         * forward only ever sees imem >= Io (clipped) */
        const vf P = vmax(vsplat(imem[k]), vsplat(IO[k]));
        vf e;
        const vf r = ds_log_split(P * vsplat(RIO[k]), &e);
        const vf el = e - vsplat(LSPK[k]);
        const vf sc =
            s->smooth
                ? ds_smooth(vsplat(s->alpha) *
                            (el + r * vsplat((float)(1.0 / DS_LN2))))
                : ds_count(P, vsplat((float)DS_LN2) * el + r,
                           vsplat(ISPK[k]), vsplat(s->max_spikes));
        float o[DS_VL];
        vst(o, sc);
        spikes[k] = o[0];
    }
}
