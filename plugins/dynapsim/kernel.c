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

DS_INLINE int fwd_run(ds__layer *s, const float *in, float *out,
                      const int smooth, const int cg)
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
        WV(DW_TIMER), WV(DW_DRV)};
    const float *IO0 = LC(DL_IO0);
    const size_t *off = s->lane_off, *base = s->lane_base;

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
    if (cg) { /* the previous isyn and iahp of step 0 */
        memcpy(TR(s->tape, DT_I), IO0, V * sizeof(float));
        memcpy(TR(s->tape, DT_H), IO0, V * sizeof(float));
    }

    vf chk = vsplat(0.0f); /* NaN/inf anywhere in drive or Euler step */
    for (size_t t = 0; t < T; t++) {
        float *row = s->tape + (train ? t + 1 : 1) * rowlen;

        /* drive: this step's input plus the recurrence of the previous
         * step's spikes (silent neurons skipped). One flat loop over
         * lanes through the lane table: n is small in the tasks that
         * need speed, where nested batch/neuron loops or a memcpy per
         * row cost more than the copy itself */
        const size_t tn = t * n;
        for (size_t l = 0; l < lanes; l++)
            q.drv[l] = in[off[l] + tn];
        if (s->recurrent && t > 0)
            for (size_t l = 0; l < lanes; l++) {
                const float sj = q.spp[l];
                if (sj == 0.0f)
                    continue;
                const float *restrict w = s->w_rec + (l - base[l]) * n;
                float *restrict d = q.drv + base[l];
                for (size_t i = 0; i < n; i++)
                    d[i] += sj * w[i];
            }

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

DS_INLINE void bwd_run(ds__layer *s, const float *dout, float *din,
                       const int smooth, const int cg)
{
    const size_t n = s->n, T = s->time, V = s->vlanes, lanes = s->lanes;
    const size_t rowlen = s->dtk * V;
    const size_t *off = s->lane_off, *base = s->lane_base;
    const bwd_ptrs q = {
        LC(DL_FD),   LC(DL_FC),   LC(DL_KIN), LC(DL_IO),   LC(DL_FDA),
        LC(DL_KAHP), LC(DL_ITM),  LC(DL_RITM), LC(DL_IGM), LC(DL_GMEM),
        LC(DL_KDT),  LC(DL_GAM),  LC(DL_ISPK), WV(DW_GI),  WV(DW_GH),
        WV(DW_GA),   WV(DW_GP),   WV(DW_GSN), WV(DW_GDRV), WV(DW_DOUT),
        WV(DW_AFD),  WV(DW_AIA),  WV(DW_AIAC), WV(DW_AFDA), WV(DW_AKAHP),
        WV(DW_AITM), WV(DW_ARITM), WV(DW_AGMEM), WV(DW_AIGM), WV(DW_AIDC),
        WV(DW_ASPK)};

    memset(q.gI, 0, V * sizeof(float));
    memset(q.gH, 0, V * sizeof(float));
    memset(q.gA, 0, V * sizeof(float));
    memset(q.gP, 0, V * sizeof(float));
    memset(q.gsn, 0, V * sizeof(float));
    memset(q.gout, 0, V * sizeof(float)); /* padding lanes stay 0 */
    if (cg) /* the accumulators are consecutive work vectors */
        memset(q.aFD, 0, (size_t)(DW_ASPK + 1 - DW_AFD) * V * sizeof(float));

    for (size_t t = T; t-- > 0;) {
        const float *row = s->tape + (t + 1) * rowlen, *prev = row - rowlen;
        const size_t tn = t * n;
        for (size_t l = 0; l < lanes; l++)
            q.gout[l] = dout[off[l] + tn];

        const float keep_p = t > 0 ? 1.0f : 0.0f;
        bwd_lanes(&q, V, row, prev, smooth, cg, s->alpha, s->reset_grad,
                  keep_p);

        if (din != NULL)
            for (size_t l = 0; l < lanes; l++)
                din[off[l] + tn] = q.gdrv[l];
        if (s->recurrent && t > 0) {
            const float *restrict s0 = TR(prev, DT_S);
            for (size_t l = 0; l < lanes; l++) {
                const size_t j = l - base[l];
                const float *restrict w = s->w_rec + j * n;
                const float *restrict gd = q.gdrv + base[l];
                float acc = 0.0f;
                for (size_t i = 0; i < n; i++)
                    acc += w[i] * gd[i];
                q.gsn[l] += acc;
                if (s0[l] != 0.0f) {
                    float *restrict gw = s->g_rec + j * n;
                    const float sj = s0[l];
                    for (size_t i = 0; i < n; i++)
                        gw[i] += sj * gd[i];
                }
            }
        }
    }
}

int ds__forward(ds__layer *s, const float *in, float *out)
{
    /* the tape holds the current gradients' fields only in training */
    const int cg = s->train_mask != 0 && (s->mode & SL_MODE_TRAIN);
    if (cg)
        return s->smooth ? fwd_run(s, in, out, 1, 1)
                         : fwd_run(s, in, out, 0, 1);
    return s->smooth ? fwd_run(s, in, out, 1, 0) : fwd_run(s, in, out, 0, 0);
}

void ds__backward(ds__layer *s, const float *dout, float *din)
{
    if (s->train_mask != 0) {
        if (s->smooth)
            bwd_run(s, dout, din, 1, 1);
        else
            bwd_run(s, dout, din, 0, 1);
        ds__current_grads(s);
    } else if (s->smooth) {
        bwd_run(s, dout, din, 1, 0);
    } else {
        bwd_run(s, dout, din, 0, 0);
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
