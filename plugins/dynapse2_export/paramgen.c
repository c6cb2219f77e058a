/*
 * plugins/dynapse2_export/paramgen.c — the Dynap-SE2 bias generator:
 * (type, coarse, fine) → current and back (specs/dynapse2_export.md §4),
 * and the DynapSim current ↔ chip parameter map (§4.3, §4.4).
 *
 * The chip's generator is a measured table (2 types × 6 coarse × 256
 * fine). The table is reference data and is not part of the project: by
 * default this plugin uses a compact MODEL fitted to it, and loads the
 * exact table only when the user gives its path (`paramgen_table`).
 *
 * Model (fit_paramgen.py in this directory shows how it was fitted): the
 * fine value drives an 8-bit binary-weighted current DAC, so
 *     I(type, C, F) = a0 + Σ_{k=0..7} bit_k(F)·a_{k+1}
 * with 9 coefficients per (type, coarse) — 108 numbers, evaluated in that
 * order in double. a0 is the current at F = 0 (never 0 on the chip); the
 * binary weights reproduce the table's small dips at F = 32, 64, …, 224.
 * Fit: least squares on the relative error (weights 1/I²) followed by 30
 * rounds of Lawson's reweighting towards the minimax relative error,
 * against ../shared/data/dynapse2_paramgen.txt (SHA-256 895a6918…).
 * Relative error of the model against all 3072 table values:
 *   worst 6.72 % (N, coarse 0, fine 15); per coarse 0..5 the worst is
 *   N: 6.72, 4.33, 0.77, 0.11, 0.10, 0.23 %; P: 6.12, 3.53, 0.64, 0.10,
 *   0.48, 0.86 %; mean over all 0.28 %. The large errors sit in coarse 0
 *   and 1 at a few fine values (sub-pA to pA currents, where the table is
 *   noisy). tests/test_dynapse2_export.c recomputes the worst error from
 *   the table when it is there and checks it stays below 6.8 %.
 * Scale factors (§4.3) multiply the generator's value: I = T·scale.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "d2.h"

/* Fitted coefficients [type N, P][coarse][a0, a1..a8] (A). */
static const double d2_model[2][6][9] = {
    {
        /* N 0: max 6.72 % at F=15, mean 0.942 % */
        {4.6045379e-13, 2.12288158e-13, 4.67600823e-13,
         9.95395893e-13, 2.14028783e-12, 4.50812998e-12,
         9.05968846e-12, 1.79635521e-11, 3.53565804e-11},
        /* N 1: max 4.33 % at F=3, mean 0.348 % */
        {8.94902492e-13, 1.90774553e-12, 4.45241256e-12,
         9.32883217e-12, 1.88272716e-11, 3.73242165e-11,
         7.34764129e-11, 1.44116484e-10, 2.82081594e-10},
        /* N 2: max 0.77 % at F=3, mean 0.073 % */
        {1.05308338e-12, 1.99023884e-11, 3.96816702e-11,
         7.84168665e-11, 1.54081536e-10, 3.01906763e-10,
         5.89936605e-10, 1.15011589e-09, 2.23725701e-09},
        /* N 3: max 0.11 % at F=255, mean 0.047 % */
        {1.07922787e-12, 1.70551108e-10, 3.30828017e-10,
         6.45130414e-10, 1.2572987e-09, 2.44505839e-09,
         4.74207828e-09, 9.17156126e-09, 1.76983595e-08},
        /* N 4: max 0.10 % at F=63, mean 0.043 % */
        {1.0812544e-12, 1.41582534e-09, 2.71883654e-09,
         5.25164905e-09, 1.01383182e-08, 1.95403922e-08,
         3.76444134e-08, 7.26923957e-08, 1.41235152e-07},
        /* N 5: max 0.23 % at F=1, mean 0.099 % */
        {1.08295737e-12, 1.07320606e-08, 2.03332189e-08,
         3.89671721e-08, 7.50914767e-08, 1.45743543e-07,
         2.85792856e-07, 5.67147002e-07, 1.13724948e-06},
    },
    {
        /* P 0: max 6.12 % at F=3, mean 0.853 % */
        {3.50405928e-13, 2.07166237e-13, 4.53156686e-13,
         9.49004251e-13, 2.03136425e-12, 4.22205429e-12,
         8.45361195e-12, 1.67444347e-11, 3.29681579e-11},
        /* P 1: max 3.53 % at F=3, mean 0.295 % */
        {6.36006572e-13, 1.9069312e-12, 4.24160604e-12,
         8.77604665e-12, 1.76069104e-11, 3.4843216e-11,
         6.85949666e-11, 1.34664846e-10, 2.63909066e-10},
        /* P 2: max 0.64 % at F=3, mean 0.066 % */
        {7.4229163e-13, 1.87234984e-11, 3.71400533e-11,
         7.33363146e-11, 1.44137793e-10, 2.82608914e-10,
         5.5310064e-10, 1.08045485e-09, 2.1060451e-09},
        /* P 3: max 0.10 % at F=7, mean 0.023 % */
        {7.58054949e-13, 1.59567664e-10, 3.10251972e-10,
         6.05708425e-10, 1.18216574e-09, 2.30260352e-09,
         4.47310358e-09, 8.66425188e-09, 1.67407195e-08},
        /* P 4: max 0.48 % at F=2, mean 0.172 % */
        {7.58101392e-13, 1.33379639e-09, 2.57109034e-09,
         4.96595452e-09, 9.60213308e-09, 1.85329833e-08,
         3.57509286e-08, 6.91413534e-08, 1.34709734e-07},
        /* P 5: max 0.86 % at F=1, mean 0.412 % */
        {7.54515749e-13, 1.02367333e-08, 1.94190455e-08,
         3.72494885e-08, 7.18868726e-08, 1.39922119e-07,
         2.75837572e-07, 5.52010753e-07, 1.11985022e-06},
    },
};

const char *const d2_cur_names[D2_NCUR] = {
    "Idc",       "If_nmda",  "Igain_ahp", "Igain_mem", "Igain_syn",
    "Ipulse_ahp", "Ipulse",  "Iref",      "Ispkthr",   "Itau_ahp",
    "Itau_mem",  "Itau_syn", "Iw_ahp",    "Itau_gaba", "Igain_gaba",
    "Itau_nmda", "Igain_nmda", "Itau_shunt", "Igain_shunt"};

/* DynapSim defaults (specs/dynapsim.md §2; dynapse2_export.md §8.2): used
 * only when the dynapsim layer neither exposes a current as a parameter
 * nor sets it. */
const double d2_cur_defaults[D2_NCUR] = {
    5e-13,                  /* Idc */
    5e-13,                  /* If_nmda */
    2.8368794326241126e-11, /* Igain_ahp */
    2.1276595744680848e-11, /* Igain_mem */
    8.687943262411346e-09,  /* Igain_syn */
    3.5e-07,                /* Ipulse_ahp */
    3.4999999999999996e-08, /* Ipulse */
    1.0499999999999999e-09, /* Iref */
    1e-07,                  /* Ispkthr */
    2.8368794326241126e-11, /* Itau_ahp */
    5.319148936170212e-12,  /* Itau_mem */
    8.687943262411346e-11,  /* Itau_syn */
    5e-13,                  /* Iw_ahp */
    8.865248226950353e-11,  /* Itau_gaba (25 pF, 10 ms) */
    8.865248226950353e-09,  /* Igain_gaba */
    8.865248226950353e-11,  /* Itau_nmda */
    8.865248226950353e-09,  /* Igain_nmda */
    8.687943262411346e-11,  /* Itau_shunt (24.5 pF, 10 ms) */
    8.687943262411346e-09,  /* Igain_shunt */
};

/* The 23 biases per core, §4.4 (name, type, scale, current). */
const d2_biasdef d2_biases[D2_NBIAS] = {
    {"SOIF_DC_P", 1, 0.38, D2_IDC},
    {"DENM_NMREV_N", 0, 1.05, D2_IF_NMDA},
    {"SOAD_GAIN_P", 1, 0.68, D2_IGAIN_AHP},
    {"SOIF_GAIN_N", 0, 1.05, D2_IGAIN_MEM},
    {"DEAM_EGAIN_P", 1, 0.68, D2_IGAIN_SYN},
    {"DEGA_IGAIN_P", 1, 0.68, D2_IGAIN_GABA},
    {"DENM_EGAIN_P", 1, 0.68, D2_IGAIN_NMDA},
    {"DESC_IGAIN_P", 1, 0.68, D2_IGAIN_SHUNT},
    {"SOAD_PWTAU_N", 0, 0.92, D2_IPULSE_AHP},
    {"SYPD_EXT_N", 0, 0.92, D2_IPULSE},
    {"SOIF_REFR_N", 0, 1.05, D2_IREF},
    {"SOIF_SPKTHR_P", 1, 0.38, D2_ISPKTHR},
    {"SOAD_TAU_P", 1, 0.2, D2_ITAU_AHP},
    {"SOIF_LEAK_N", 0, 0.61, D2_ITAU_MEM},
    {"DEAM_ETAU_P", 1, 0.2, D2_ITAU_SYN},
    {"DEGA_ITAU_P", 1, 0.2, D2_ITAU_GABA},
    {"DENM_ETAU_P", 1, 0.2, D2_ITAU_NMDA},
    {"DESC_ITAU_P", 1, 0.2, D2_ITAU_SHUNT},
    {"SOAD_W_N", 0, 0.92, D2_IW_AHP},
    {"SYAM_W0_P", 1, 0.22, -1},
    {"SYAM_W1_P", 1, 0.22, -2},
    {"SYAM_W2_P", 1, 0.22, -3},
    {"SYAM_W3_P", 1, 0.22, -4},
};

/* AMPA, GABA, NMDA, SHUNT */
const int d2_gain_syn_bias[4] = {4, 5, 6, 7};
const int d2_tau_syn_bias[4] = {14, 15, 16, 17};

int d2_bias_of_current(int cur)
{
    for (int b = 0; b < D2_NBIAS; b++)
        if (d2_biases[b].cur == cur)
            return b;
    return -1;
}

int d2_swap_cur(int cur, int swap)
{
    if (!swap)
        return cur;
    switch (cur) {
    case D2_ITAU_GABA: return D2_ITAU_SHUNT;
    case D2_ITAU_SHUNT: return D2_ITAU_GABA;
    case D2_IGAIN_GABA: return D2_IGAIN_SHUNT;
    case D2_IGAIN_SHUNT: return D2_IGAIN_GABA;
    default: return cur;
    }
}

int d2_bias_find(const char *name)
{
    for (int b = 0; b < D2_NBIAS; b++)
        if (strcmp(d2_biases[b].name, name) == 0)
            return b;
    return -1;
}

void d2_gen_model(d2_gen *g)
{
    for (int t = 0; t < 2; t++)
        for (int c = 0; c < 6; c++)
            for (int f = 0; f < 256; f++) {
                const double *a = d2_model[t][c];
                double acc = a[0];
                for (int k = 0; k < 8; k++)
                    if ((f >> k) & 1)
                        acc += a[k + 1];
                g->T[t][c][f] = acc;
            }
    g->exact = 0;
}

FILE *d2_fopen_regular(const sl_host *h, sl_ctx *ctx, const char *key,
                       const char *path, size_t max, int *rc)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        *rc = h->xError(ctx, key, SL_EIO, "cannot read '%s': %s", path,
                        strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        *rc = h->xError(ctx, key, SL_ECONFIG, "'%s' is not a regular file",
                        path);
        return NULL;
    }
    if ((uintmax_t)st.st_size > max) {
        close(fd);
        *rc = h->xError(ctx, key, SL_ECONFIG, "'%s' is larger than %zu "
                        "bytes: not the file expected here", path, max);
        return NULL;
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    FILE *f = fdopen(fd, "rb");
    if (f == NULL) {
        close(fd);
        *rc = h->xError(ctx, key, SL_ENOMEM, "'%s': out of memory", path);
    }
    return f;
}

/* A bad table is a configuration error (SL_ECONFIG, exit 2): the user
 * named the file in paramgen_table, and the message says which line of
 * it is wrong, after the setting's own file:line. */
int d2_gen_load(d2_gen *g, const sl_host *h, sl_ctx *ctx, const char *path)
{
    int orc = SL_OK;
    /* 3072 lines of "N 5 255 1.23456789e-07": some 100 KB; 4 MiB leaves
     * room for any comment or spacing and none for a wrong file */
    FILE *fp = d2_fopen_regular(h, ctx, "paramgen_table", path,
                                (size_t)4 << 20, &orc);
    if (fp == NULL)
        return orc;
    char line[256];
    int n = 0, rc = SL_OK;
    while (fgets(line, sizeof line, fp)) {
        char type, extra;
        int c, f;
        double v;
        if (n >= 3072) {
            if (strspn(line, " \t\r\n") == strlen(line))
                continue;
            rc = h->xError(ctx, "paramgen_table", SL_ECONFIG,
                           "%s:%d: more than 3072 lines", path, n + 1);
            break;
        }
        int t = n / 1536, ec = (n / 256) % 6, ef = n % 256;
        if (sscanf(line, " %c %d %d %lf %c", &type, &c, &f, &v, &extra) !=
                4 ||
            type != "NP"[t] || c != ec || f != ef) {
            rc = h->xError(ctx, "paramgen_table", SL_ECONFIG,
                           "%s:%d: expected \"%c %d %d CURRENT\" (3072 "
                           "lines TYPE COARSE FINE CURRENT_A, N then P, "
                           "coarse 0..5, fine 0..255)",
                           path, n + 1, "NP"[t], ec, ef);
            break;
        }
        if (!(v > 0) || !isfinite(v) || v > 1e-3) {
            rc = h->xError(ctx, "paramgen_table", SL_ECONFIG,
                           "%s:%d: current %g A is not a positive bias "
                           "current",
                           path, n + 1, v);
            break;
        }
        g->T[t][ec][ef] = v;
        n++;
    }
    if (rc == SL_OK && ferror(fp))
        rc = h->xError(ctx, "paramgen_table", SL_EIO, "%s: read error",
                       path);
    fclose(fp);
    if (rc == SL_OK && n != 3072)
        rc = h->xError(ctx, "paramgen_table", SL_ECONFIG,
                       "%s: %d lines, the table has 3072 (truncated?)", path,
                       n);
    if (rc == SL_OK)
        g->exact = 1;
    return rc;
}

void d2_a2d(const d2_gen *g, int type, double scale, double I, int *C,
            int *F)
{
    double best = INFINITY;
    int bc = 0, bf = 0;
    for (int c = 0; c < 6; c++)
        for (int f = 0; f < 256; f++) {
            double e = fabs(g->T[type][c][f] * scale - I);
            if (e < best) {
                best = e;
                bc = c;
                bf = f;
            }
        }
    *C = bc;
    *F = bf;
}

double d2_d2a(const d2_gen *g, int type, double scale, int C, int F)
{
    return g->T[type][C][F] * scale;
}
