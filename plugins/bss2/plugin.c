/*
 * plugins/bss2/plugin.c — bss2.so: component "bss2", an emulated
 * BrainScaleS-2 (HICANN-X) chip as a backend that runs networks
 * (SL_BACKEND_RUNS). Its settings, creation and descriptor; placement is in
 * place.c, the dynamics and readout in run.c (specs/bss2.md).
 *
 * Networks it runs: builtin "linear" layers (no bias: the chip has none),
 * each followed by a "lif" layer, or for the last one by an "li" readout
 * (a chip neuron whose threshold is never reached). The first layer is a
 * linear one (the input events enter through synapse rows). Recurrent lif
 * and forward = "smooth" are refused. The neuron settings (tau_mem,
 * tau_syn, v_th, v_leak, v_reset) are read from each layer's own group
 * with the lif/li defaults, so the same experiment file describes the
 * software network and the emulated one.
 *
 * Dynamics: exactly the time-discrete LIF/LI of plugins/lif (lif.c, li.c:
 * same order of operations, same float32 expressions, strict threshold
 * v_dec > v_th), with per-neuron constants; with the imperfections and the
 * ADC off (ideal = true) the traces equal the lif model's bit for bit when
 * the software weights are gain·w_hw and gain is a power of two (sums of
 * multiples of gain are then exact in any order), to float rounding
 * otherwise. Per step and neuron (lif):
 *   d  = V + a_mem·((v_leak − V) + I)       (a_mem = dt/tau_mem)
 *   d += σ·n,  n ~ N(0,1)                   temporal noise (σ below)
 *   d  = clip(d, v_lo, v_hi)                membrane range
 *   d  = v_reset while refractory
 *   z  = Θ(d − v_th), V = z ? v_reset : d, start refractory on a spike
 *   I  = (1 − dt/tau_syn)·I + g_exc·Σ exc LSB − g_inh·Σ inh LSB
 * and for li (input first, as li.c): j = I + x; V += a_mem·((v_leak − V) +
 * j); noise; clip; I = (1 − dt/tau_syn)·j.
 *
 * Weights: w_hw = round-half-even(clip(weight_scale·w, −63, 63)); the
 * excitatory row of a source gets w_hw where w_hw ≥ 0, the inhibitory row
 * −w_hw where w_hw < 0 (6-bit 0..63 each, the SuperSpike tutorial's
 * set_weights); recomputed from the linear layer's weights at every run.
 * A source event adds g_exc·w_exc − g_inh·w_inh to the target's I, with
 * g = gain (per-neuron fixed-pattern factors apart).
 *
 * Readout (xTrace(layer, idx), layers in network order, linear layers
 * have none): idx 0 "v_mem" (SL_TRACE_V_MEM) the pre-reset membrane d of
 * every step (what the comparator saw; the li output V), idx 1 "spikes"
 * (SL_TRACE_SPIKES, lif only), both [batch][time][n] in the layer's model
 * units, unit "1". The membrane goes through the ADC: model → LSB
 * mapping by the calibration (v_leak ↦ adc leak LSB, v_th ↦ adc threshold
 * LSB; for li v_leak + li_range ↦ threshold LSB), rounded half-even,
 * clipped to the ADC's range, mapped back. xRun's output is the last
 * layer's output: its spikes, or the li membrane as read out.
 *
 * Time: the network dt and the taus are in chip time unless time = "bio"
 * (then they are biological time, 1000× slower than the chip). The
 * dynamics only see dt/tau, which is the same in both; `time` decides how
 * dt relates to the chip's 8 ns FPGA clock (spike_grid) and how
 * plausibility warnings read the taus. Spike-time grid: an event of step
 * n (input or recorded output) is stamped with the clock cycle
 * c = ceil(n·dt_chip/spike_grid) and lands in step floor(c·spike_grid/
 * dt_chip). With dt_chip ≥ spike_grid (every practical case: the
 * tutorial's 0.1 µs step is 12.5 cycles) this maps every step onto itself
 * and the emulator skips it; with a finer dt, events of several steps
 * merge onto the step of their clock edge (the spikes trace and output
 * then carry counts). On-chip routing between layers is not stamped.
 *
 * Imperfections (each switchable; all off and ADC off with ideal = true,
 * whose defaults they follow unless set explicitly):
 *  - fixed-pattern variation after calibration, per physical neuron,
 *    constant for a chip (the backend's seed): factors N(1, σ²) truncated
 *    at ±4σ on tau_mem, tau_syn, the leak→threshold distance and the
 *    exc / inh synaptic gain (independent draws), and an additive leak
 *    offset σ_leak·span; drawn once at creation from the stream
 *    "fixed_pattern", applied at xPlace through the placement.
 *  - temporal membrane noise of stationary std noise·span, from an own
 *    xoshiro256** generator seeded from the stream "temporal_noise" at
 *    creation: it advances run after run, and two backends with the same
 *    seed give the same sequence of runs.
 *  - the membrane clip to the CADC's representable range.
 *  - the spike-time grid.
 *
 * Event mode (evrun.c has the model): a network whose layers are all
 * "lif_event" takes spike times in and gives each layer's recorded spike
 * times (trace idx 0 "spike_times", [batch][slots][n] seconds, +inf where
 * none); the same fixed pattern (fp_tau_mem, fp_tau_syn, fp_threshold,
 * fp_gain), and of its own threshold_noise (per run and neuron), jitter
 * and jitter_bias (recorded times), input_latency, spike_time_offset and
 * refractory; spike_grid stamps recorded times (floor) and inputs (round).
 *
 * Chip limits checked by xPlace (error SL_EFIT naming the limit): 512
 * neurons; at most 128 sources per neuron layer (fan-in: each source takes
 * an exc and an inh synapse row in every half holding targets, 256 rows per
 * half); 256 rows and 256 neuron columns per half. Placement: layers in
 * order, each into the first half with room for its neurons and rows, else
 * split over both halves (its sources then take rows in both). Also
 * refused: gain·1 LSB larger than a layer's span (no calibration makes one
 * LSB exceed the whole leak→threshold swing), taus at or below dt after
 * the fixed pattern (Euler stability, as lif checks).
 *
 * Settings (keys of the backend group):
 *   ideal          false: true turns the imperfections and the ADC off
 *   time           "chip" (default) | "bio": units of dt, taus, refractory
 *   weight_scale   1.0: software weight → LSB (1: weights already in LSB,
 *                  as the SuperSpike tutorial; jaxsnn's Yin-Yang uses 58)
 *   gain           1/weight_scale: current jump per LSB in model units.
 *                  SuperSpike tutorial (weights N(27,1) LSB, 25 inputs at
 *                  Bernoulli(1e-3), 2000 steps of 0.1 us, tau_mem 10 us,
 *                  tau_syn 5 us, v_leak = v_reset = 0, v_th = 1): gain =
 *                  0.024 gives a mean of 3.1 output spikes over 200 draws
 *                  on the ideal chip and 3.8 with the default
 *                  imperfections (tests/test_bss2.c, test_tutorial_gain;
 *                  spec superspike Q4)
 *   adc            "cadc" (8 bit) | "madc" (10 bit) | "off" ("off" when
 *                  ideal)
 *   cadc_leak 80, cadc_threshold 150   CADC LSB of v_leak and v_th
 *                  (jaxsnn's Yin-Yang calibration)
 *   madc_leak 320, madc_threshold 600  MADC LSB of v_leak and v_th
 *                  (4× the CADC: two more bits, assumed; spec Q1)
 *   li_range       1.0: model units of an li membrane above v_leak that
 *                  map onto the threshold LSB (li has no v_th)
 *   noise          0.015 (0 when ideal): std of the temporal membrane
 *                  noise as a fraction of the span (≈ 1 CADC LSB at
 *                  80→150), stationary: the free membrane fluctuates by
 *                  this much; each step draws σ = noise·span·√(1−(1−a)²),
 *                  a = dt/tau_mem, which the leak integrates to it
 *   fixed_pattern  true (false when ideal): master switch of the fp_*
 *   fp_tau_mem 0.02, fp_tau_syn 0.02, fp_threshold 0.02, fp_gain 0.03
 *                  σ of the N(1, σ²) factors ("a few %", spec §5; ≤ 0.25)
 *   fp_leak        0.01: σ of the leak offset, fraction of the span
 *   membrane_clip  true (false when ideal): hold the membrane inside the
 *                  CADC's full scale, 0..255 LSB of the cadc calibration
 *   spike_grid     8e-9 (0 when ideal): clock period in CHIP seconds
 *   refractory     0: refractory time (units of `time`); the membrane is
 *                  held at v_reset for round(refractory/dt) steps after a
 *                  spike. Not an imperfection (ideal keeps it); lif has no
 *                  refractory period, so equality with lif needs 0.
 */
#include <math.h>
#include <string.h>

#include "bss2.h"

static void bss2_destroy(void *self_)
{
    bss2 *s = self_;
    if (s == NULL)
        return;
    bss2__free_layers(s);
    s->host->xFree(s->step_map);
    s->host->xFree(s);
}

/* A σ setting in [0, 0.25], default def. */
static int get_sigma(bss2 *s, const char *key, double def, double *out)
{
    int rc = s->host->xGetFloat(s->ctx, key, def, out);
    if (rc < 0)
        return rc;
    if (!(*out >= 0 && *out <= 0.25))
        return s->host->xError(s->ctx, key, SL_ECONFIG,
                               "%s = %g: a relative spread must lie in "
                               "0 .. 0.25 (0 turns it off; a few %% is "
                               "typical after calibration, e.g. 0.02)",
                               key, *out);
    return SL_OK;
}

/* An ADC calibration pair: 0 <= leak < threshold <= max. */
static int get_adc_pair(bss2 *s, const char *kl, const char *kt, double dl,
                        double dth, double max, double *l, double *t)
{
    const sl_host *h = s->host;
    int rc;
    if ((rc = h->xGetFloat(s->ctx, kl, dl, l)) < 0 ||
        (rc = h->xGetFloat(s->ctx, kt, dth, t)) < 0)
        return rc;
    if (!(*l >= 0 && *l <= max))
        return h->xError(s->ctx, kl, SL_ECONFIG,
                         "%s = %g LSB is outside the ADC's range 0 .. %g",
                         kl, *l, max);
    if (!(*t > *l && *t <= max))
        return h->xError(s->ctx, kt, SL_ECONFIG,
                         "%s = %g LSB must lie above %s = %g and at most "
                         "%g (the ADC's full scale)",
                         kt, *t, kl, *l, max);
    return SL_OK;
}

static int bss2_settings(bss2 *s)
{
    const sl_host *h = s->host;
    sl_ctx *ctx = s->ctx;
    const char *time, *adc;
    int rc;

    if ((rc = h->xGetBool(ctx, "ideal", 0, &s->ideal)) < 0 ||
        (rc = h->xGetString(ctx, "time", "chip", &time)) < 0 ||
        (rc = h->xGetFloat(ctx, "weight_scale", 1.0, &s->weight_scale)) < 0)
        return rc;
    if (strcmp(time, "chip") == 0)
        s->bio = 0;
    else if (strcmp(time, "bio") == 0)
        s->bio = 1;
    else
        return h->xError(ctx, "time", SL_ECONFIG,
                         "time = \"%s\" is not known: use \"chip\" (dt and "
                         "taus in the chip's accelerated time, e.g. tau_mem "
                         "= 1e-5) or \"bio\" (biological time, 1000x slower)",
                         time);
    if (!(s->weight_scale > 0) || !isfinite(s->weight_scale))
        return h->xError(ctx, "weight_scale", SL_ECONFIG,
                         "weight_scale must be a positive number of LSB per "
                         "weight unit (got %g); 1 when the weights are "
                         "already in LSB",
                         s->weight_scale);
    if ((rc = h->xGetFloat(ctx, "gain", 1.0 / s->weight_scale, &s->gain)) < 0)
        return rc;
    if (!(s->gain > 0) || !isfinite(s->gain))
        return h->xError(ctx, "gain", SL_ECONFIG,
                         "gain must be a positive current jump per weight "
                         "LSB in model units (got %g)",
                         s->gain);

    if ((rc = h->xGetString(ctx, "adc", s->ideal ? "off" : "cadc", &adc)) < 0)
        return rc;
    if (strcmp(adc, "cadc") == 0)
        s->adc = ADC_CADC;
    else if (strcmp(adc, "madc") == 0)
        s->adc = ADC_MADC;
    else if (strcmp(adc, "off") == 0)
        s->adc = ADC_OFF;
    else
        return h->xError(ctx, "adc", SL_ECONFIG,
                         "adc = \"%s\" is not known: use \"cadc\" (8 bit, "
                         "every neuron), \"madc\" (10 bit) or \"off\"",
                         adc);
    if ((rc = get_adc_pair(s, "cadc_leak", "cadc_threshold", 80, 150, 255,
                           &s->cadc_leak, &s->cadc_threshold)) < 0 ||
        (rc = get_adc_pair(s, "madc_leak", "madc_threshold", 320, 600, 1023,
                           &s->madc_leak, &s->madc_threshold)) < 0)
        return rc;
    if ((rc = h->xGetFloat(ctx, "li_range", 1.0, &s->li_range)) < 0)
        return rc;
    if (!(s->li_range > 0) || !isfinite(s->li_range))
        return h->xError(ctx, "li_range", SL_ECONFIG,
                         "li_range must be a positive membrane range in "
                         "model units (got %g)",
                         s->li_range);

    if ((rc = h->xGetFloat(ctx, "noise", s->ideal ? 0.0 : 0.015,
                           &s->noise)) < 0)
        return rc;
    if (!(s->noise >= 0 && s->noise <= 1))
        return h->xError(ctx, "noise", SL_ECONFIG,
                         "noise = %g: the membrane noise sigma, a fraction "
                         "of the leak-threshold span, must lie in 0 .. 1 "
                         "(0 turns it off; 0.015 is about 1 CADC LSB)",
                         s->noise);

    if ((rc = h->xGetBool(ctx, "fixed_pattern", !s->ideal,
                          &s->fixed_pattern)) < 0 ||
        (rc = get_sigma(s, "fp_tau_mem", 0.02, &s->fp[FP_TAU_MEM])) < 0 ||
        (rc = get_sigma(s, "fp_tau_syn", 0.02, &s->fp[FP_TAU_SYN])) < 0 ||
        (rc = get_sigma(s, "fp_threshold", 0.02, &s->fp[FP_THRESHOLD])) < 0 ||
        (rc = get_sigma(s, "fp_leak", 0.01, &s->fp[FP_LEAK])) < 0 ||
        (rc = get_sigma(s, "fp_gain", 0.03, &s->fp[FP_GAIN_EXC])) < 0)
        return rc;
    s->fp[FP_GAIN_INH] = s->fp[FP_GAIN_EXC];
    if (!s->fixed_pattern)
        for (size_t k = 0; k < FP_COUNT; k++)
            s->fp[k] = 0.0;

    if ((rc = h->xGetBool(ctx, "membrane_clip", !s->ideal,
                          &s->membrane_clip)) < 0 ||
        (rc = h->xGetFloat(ctx, "spike_grid", s->ideal ? 0.0 : 8e-9,
                           &s->spike_grid)) < 0 ||
        (rc = h->xGetFloat(ctx, "refractory", 0.0, &s->refractory)) < 0)
        return rc;
    if (!(s->spike_grid >= 0) || !isfinite(s->spike_grid))
        return h->xError(ctx, "spike_grid", SL_ECONFIG,
                         "spike_grid must be a clock period >= 0 in chip "
                         "seconds (got %g; the FPGA clock is 8e-9, 0 turns "
                         "the grid off)",
                         s->spike_grid);
    if (!(s->refractory >= 0) || !isfinite(s->refractory))
        return h->xError(ctx, "refractory", SL_ECONFIG,
                         "refractory must be a time >= 0 (got %g)",
                         s->refractory);
    if ((rc = h->xGetBool(ctx, "weight_quant", 1, &s->weight_quant)) < 0 ||
        (rc = h->xGetFloat(ctx, "threshold_noise", s->ideal ? 0.0 : 0.015,
                           &s->threshold_noise)) < 0 ||
        (rc = h->xGetFloat(ctx, "jitter", s->ideal ? 0.0 : 1e-7,
                           &s->jitter)) < 0 ||
        (rc = h->xGetFloat(ctx, "jitter_bias", 0.0, &s->jitter_bias)) < 0 ||
        (rc = h->xGetFloat(ctx, "input_latency", s->ideal ? 0.0 : 8e-8,
                           &s->input_latency)) < 0 ||
        (rc = h->xGetFloat(ctx, "spike_time_offset", 0.0,
                           &s->spike_time_offset)) < 0)
        return rc;
    if (!(s->threshold_noise >= 0 && s->threshold_noise <= 1))
        return h->xError(ctx, "threshold_noise", SL_ECONFIG,
                         "threshold_noise = %g: the trial-to-trial "
                         "threshold sigma, a fraction of the "
                         "leak-threshold span, must lie in 0 .. 1 (spec: "
                         "0.015)",
                         s->threshold_noise);
    if (!(s->jitter >= 0 && s->jitter <= 1e-3))
        return h->xError(ctx, "jitter", SL_ECONFIG,
                         "jitter = %g s: the spike-time sigma in chip "
                         "seconds must lie in 0 .. 1e-3 (spec: 1e-7)",
                         s->jitter);
    if (!(fabs(s->jitter_bias) <= 1e-3) || !(s->input_latency >= 0 &&
                                             s->input_latency <= 1e-3) ||
        !(fabs(s->spike_time_offset) <= 1e-3))
        return h->xError(ctx, !(fabs(s->jitter_bias) <= 1e-3) ? "jitter_bias"
                              : !(s->input_latency >= 0 &&
                                  s->input_latency <= 1e-3)
                                  ? "input_latency"
                                  : "spike_time_offset",
                         SL_ECONFIG,
                         "jitter_bias, spike_time_offset (within +-1e-3) and "
                         "input_latency (0 .. 1e-3) are chip seconds");
    return SL_OK;
}

/* Truncated N(0,1): redraw beyond ±4 (keeps every factor positive for the
 * σ ≤ 0.25 allowed). */
static float fp_normal(const sl_host *h, sl_rng *rng)
{
    for (;;) {
        double x = h->xRngNormal(rng);
        if (fabs(x) <= 4.0)
            return (float)x;
    }
}

static int bss2_create(const sl_host *host, sl_ctx *ctx, void **self)
{
    int rc;
    if (self == NULL)
        return host->xError(ctx, NULL, SL_EINVAL, "xCreate: NULL output");
    *self = NULL;
    bss2 *s = host->xAlloc(sizeof *s);
    if (s == NULL)
        return host->xError(ctx, NULL, SL_ENOMEM, "cannot allocate the chip");
    s->host = host;
    s->ctx = ctx;
    if ((rc = bss2_settings(s)) < 0) {
        bss2_destroy(s);
        return rc;
    }

    /* the chip's fixed pattern: one draw per physical neuron and factor,
     * whatever is switched on, so switching one factor off leaves the
     * others' values unchanged */
    sl_rng rng;
    host->xRngDerive(ctx, "fixed_pattern", &rng);
    for (size_t k = 0; k < BSS2_NEURONS; k++)
        for (size_t f = 0; f < FP_COUNT; f++)
            s->fp_draw[k][f] = fp_normal(host, &rng);

    host->xRngDerive(ctx, "temporal_noise", &rng);
    bss2__rng_seed(s, &rng);
    if (s->noise > 0 || s->threshold_noise > 0 || s->jitter > 0)
        bss2__norm_table(s->norm_table);
    *self = s;
    return SL_OK;
}

/* state.h: the temporal-noise generator advances run after run (training
 * and evaluations), so a checkpoint keeps its four words; the fixed
 * pattern is drawn again from the same stream when the chip is created. */
static size_t bss2_state_size(void *self)
{
    (void)self;
    return sizeof(((bss2 *)0)->rng);
}

static int bss2_state_save(void *self, void *buf, size_t size)
{
    bss2 *s = self;
    if (!buf || size != sizeof s->rng)
        return s->host->xError(s->ctx, NULL, SL_EINVAL, "state buffer of "
                               "%zu bytes, need %zu", size, sizeof s->rng);
    memcpy(buf, s->rng, sizeof s->rng);
    return SL_OK;
}

static int bss2_state_load(void *self, const void *buf, size_t size)
{
    bss2 *s = self;
    uint64_t r[4];
    if (!buf || size != sizeof r)
        return s->host->xError(s->ctx, NULL, SL_EDATA, "chip state of %zu "
                               "bytes, expected %zu", size, sizeof r);
    memcpy(r, buf, sizeof r);
    if ((r[0] | r[1] | r[2] | r[3]) == 0) /* xoshiro's fixed point */
        return s->host->xError(s->ctx, NULL, SL_EDATA, "chip state: an "
                               "all-zero noise generator");
    memcpy(s->rng, r, sizeof r);
    return SL_OK;
}

static const sl_state_ext bss2_state = {sizeof(sl_state_ext),
                                        bss2_state_size, bss2_state_save,
                                        bss2_state_load};

static const void *bss2_extension(void *self, const char *name)
{
    (void)self;
    if (name && strcmp(name, SL_EXT_STATE) == 0)
        return &bss2_state;
    return NULL;
}

static const sl_backend_iface bss2_iface = {
    .struct_size = sizeof(sl_backend_iface),
    .flags = SL_BACKEND_RUNS,
    .xCreate = bss2_create,
    .xDestroy = bss2_destroy,
    .xPlace = bss2__place,
    .xRun = bss2__run,
    .xTrace = bss2__trace,
    .xExport = NULL,
    .xExtension = bss2_extension,
};

/* As bss2_settings reads them; defaults that depend on `ideal` have none
 * here and say so. Times in the chip's seconds (time = "chip"). */
#define BSS2_FP(key_, def_, what_)                                            \
    SL_SETTING(SL_SET_FLOAT, key_, def_, "1", SL_RANGE(0, 0.25),             \
               "fixed-pattern spread (relative sigma) of " what_)
static const sl_setting bss2_table[] = {
    SL_SETTING(SL_SET_BOOL, "ideal", "false", NULL, SL_ANY,
               "an ideal chip: no ADC, noise, fixed pattern, clipping or "
               "spike grid unless set"),
    SL_SETTING(SL_SET_STRING, "time", "chip", NULL, SL_CHOICES("chip|bio"),
               "dt and taus in the chip's accelerated time, or biological "
               "time (1000x slower)"),
    SL_SETTING(SL_SET_FLOAT, "weight_scale", "1.0", "1", SL_GT(0),
               "LSB per weight unit (1: the weights are in LSB)"),
    SL_SETTING(SL_SET_FLOAT, "gain", NULL, "1", SL_GT(0),
               "current jump per weight LSB in model units; default "
               "1/weight_scale"),
    SL_SETTING(SL_SET_STRING, "adc", NULL, NULL,
               SL_CHOICES("cadc|madc|off"),
               "membrane readout: CADC (8 bit), MADC (10 bit) or none; "
               "default cadc, off when ideal"),
    SL_SETTING(SL_SET_FLOAT, "cadc_leak", "80.0", "LSB", SL_RANGE(0, 255),
               "CADC reading of the leak potential"),
    SL_SETTING(SL_SET_FLOAT, "cadc_threshold", "150.0", "LSB",
               SL_RANGE(0, 255),
               "CADC reading of the threshold (above cadc_leak)"),
    SL_SETTING(SL_SET_FLOAT, "madc_leak", "320.0", "LSB", SL_RANGE(0, 1023),
               "MADC reading of the leak potential"),
    SL_SETTING(SL_SET_FLOAT, "madc_threshold", "600.0", "LSB",
               SL_RANGE(0, 1023),
               "MADC reading of the threshold (above madc_leak)"),
    SL_SETTING(SL_SET_FLOAT, "li_range", "1.0", "1", SL_GT(0),
               "membrane range of a leaky-integrator readout in model "
               "units"),
    SL_SETTING(SL_SET_FLOAT, "noise", NULL, "1", SL_RANGE(0, 1),
               "membrane noise sigma as a fraction of the leak-threshold "
               "span; default 0.015, 0 when ideal"),
    SL_SETTING(SL_SET_BOOL, "fixed_pattern", NULL, NULL, SL_ANY,
               "draw per-neuron fixed-pattern deviations; default true, "
               "false when ideal"),
    BSS2_FP("fp_tau_mem", "0.02", "tau_mem"),
    BSS2_FP("fp_tau_syn", "0.02", "tau_syn"),
    BSS2_FP("fp_threshold", "0.02", "the threshold"),
    BSS2_FP("fp_leak", "0.01", "the leak potential"),
    BSS2_FP("fp_gain", "0.03", "the synaptic gain"),
    SL_SETTING(SL_SET_BOOL, "membrane_clip", NULL, NULL, SL_ANY,
               "clip the membrane to the ADC range; default true, false "
               "when ideal"),
    SL_SETTING(SL_SET_FLOAT, "spike_grid", NULL, "s", SL_MIN(0),
               "spike times on the FPGA clock grid; default 8e-9, 0 (off) "
               "when ideal"),
    SL_SETTING(SL_SET_FLOAT, "refractory", "0.0", "s", SL_MIN(0),
               "refractory period"),
    SL_SETTING(SL_SET_BOOL, "weight_quant", "true", NULL, SL_ANY,
               "weights rounded (half to even) and clipped to 6 bit; false: "
               "weight_scale*w unrounded and unclipped"),
    SL_SETTING(SL_SET_FLOAT, "threshold_noise", NULL, "1", SL_RANGE(0, 1),
               "event mode: trial-to-trial threshold sigma, fraction of "
               "the leak-threshold span; default 0.015, 0 when ideal"),
    SL_SETTING(SL_SET_FLOAT, "jitter", NULL, "s", SL_RANGE(0, 1e-3),
               "event mode: sigma of the recorded spike times (chip s); "
               "default 1e-7, 0 when ideal"),
    SL_SETTING(SL_SET_FLOAT, "jitter_bias", "0.0", "s", SL_RANGE(-1e-3, 1e-3),
               "event mode: mean shift of the recorded spike times (chip s; "
               "jaxsnn mock: 4e-7)"),
    SL_SETTING(SL_SET_FLOAT, "input_latency", NULL, "s", SL_RANGE(0, 1e-3),
               "event mode: delay of every input spike (chip s); default "
               "8e-8, 0 when ideal"),
    SL_SETTING(SL_SET_FLOAT, "spike_time_offset", "0.0", "s",
               SL_RANGE(-1e-3, 1e-3),
               "event mode: added to recorded spike times, then clamped at "
               "0 (jaxsnn time_offset: -8.037e-8)"),
};

static const sl_component bss2_components[] = {
    SL_COMPONENT(SL_KIND_BACKEND, "bss2",
                 "emulated BrainScaleS-2 chip: 512 LIF neurons, 6-bit "
                 "exc/inh synapses, CADC/MADC readout, fixed-pattern and "
                 "temporal noise",
                 &bss2_iface, bss2_table),
};

static const sl_plugin_desc bss2_desc =
    SL_PLUGIN_DESC("bss2", "0.1.0",
                   "emulated BrainScaleS-2 (HICANN-X) backend that runs "
                   "linear+lif/li networks",
                   bss2_components);

/* Entry point: the static descriptor, or NULL for another ABI major or a
 * host table lacking functions this plugin calls. */
SL_EXPORT const sl_plugin_desc *spikelab_plugin_init(const sl_host *host)
{
    if (host == NULL || host->abi_major != SL_ABI_MAJOR ||
        !SL_HAS_FIELD(sl_host, host, xFree))
        return NULL;
    return &bss2_desc;
}
