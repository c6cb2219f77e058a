/* core/engine/numenv.c — the numeric environment of this process
 * (numenv.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cblas.h>
#ifdef __GLIBC__
#include <gnu/libc-version.h>
#endif

#include "spikelab/abi.h"
#include "buildenv.h"
#include "engine/numenv.h"
#include "util/sha256.h"

#ifndef SL_BLAS_PKG
#define SL_BLAS_PKG "blas"
#endif

typedef struct envlist {
    char **v;
    size_t n, cap; /* pairs */
    int oom;
} envlist;

static void put(envlist *l, const char *key, const char *value)
{
    if (l->oom || !value || !*value)
        return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 16;
        char **v = realloc(l->v, 2 * cap * sizeof *v);
        if (!v) {
            l->oom = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    char *k = strdup(key), *x = strdup(value);
    if (!k || !x) {
        free(k);
        free(x);
        l->oom = 1;
        return;
    }
    /* trailing blanks (cpuinfo pads, OpenBLAS ends with one) */
    for (size_t e = strlen(x); e > 0 && (x[e - 1] == ' ' || x[e - 1] == '\n' ||
                                         x[e - 1] == '\t');)
        x[--e] = '\0';
    l->v[2 * l->n] = k;
    l->v[2 * l->n + 1] = x;
    l->n++;
}

/* Does the space-separated list hold word? */
static int has_word(const char *list, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ' || p[-1] == '\t') &&
            (p[n] == '\0' || p[n] == ' ' || p[n] == '\n' || p[n] == '\t'))
            return 1;
    return 0;
}

static void blas(envlist *l)
{
#ifdef HAVE_OPENBLAS_GET_CONFIG
    /* "OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64" */
    const char *cfg = openblas_get_config();
    const char *core = NULL;
#ifdef HAVE_OPENBLAS_GET_CORENAME
    core = openblas_get_corename();
#endif
    if (cfg) {
        char lib[128] = "", build[512] = "";
        const char *p = cfg;
        for (int w = 0; *p && w < 2; w++) { /* name and version */
            size_t n = strcspn(p, " ");
            snprintf(lib + strlen(lib), sizeof lib - strlen(lib), "%s%.*s",
                     w ? " " : "", (int)n, p);
            p += n;
            p += strspn(p, " ");
        }
        /* the rest, without the kernel's name: a kernel that changes is
         * then one difference, blas.kernel, not two */
        while (*p) {
            size_t n = strcspn(p, " ");
            if (!(core && strlen(core) == n && strncmp(p, core, n) == 0))
                snprintf(build + strlen(build), sizeof build - strlen(build),
                         "%s%.*s", *build ? " " : "", (int)n, p);
            p += n;
            p += strspn(p, " ");
        }
        put(l, "blas.library", lib);
        put(l, "blas.build", build);
    }
    put(l, "blas.kernel", core);
#else
    put(l, "blas.library", SL_BLAS_PKG " (version not known)");
#endif
#ifdef HAVE_OPENBLAS_GET_NUM_THREADS
    char t[32];
    snprintf(t, sizeof t, "%d", openblas_get_num_threads());
    put(l, "blas.threads", t);
#endif
}

/* The first processor's model name and flags (x86: "flags", Arm:
 * "Features"). */
static void cpu(envlist *l)
{
    static const char *const simd[] = {
        "sse2", "ssse3", "sse4_1", "sse4_2", "avx", "avx2", "fma", "f16c",
        "avx512f", "avx512dq", "avx512cd", "avx512bw", "avx512vl",
        "avx512_vnni", "avx512_bf16", "avx512_fp16", "amx_tile",
        "asimd", "asimddp", "sve", "sve2",
    };
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return;
    char *line = NULL, *model = NULL, *flags = NULL;
    size_t cap = 0;
    while ((!model || !flags) && getline(&line, &cap, f) > 0) {
        char *colon = strchr(line, ':');
        if (!colon)
            continue;
        size_t klen = strcspn(line, "\t:");
        char *v = colon + 1 + strspn(colon + 1, " ");
        v[strcspn(v, "\n")] = '\0';
        if (!model && klen == 10 && strncmp(line, "model name", 10) == 0)
            model = strdup(v);
        else if (!flags && ((klen == 5 && strncmp(line, "flags", 5) == 0) ||
                            (klen == 8 && strncmp(line, "Features", 8) == 0)))
            flags = strdup(v);
    }
    free(line);
    fclose(f);
    put(l, "cpu.model", model);
    if (flags) {
        char sel[512] = "", hex[SL__SHA256_HEX_LEN + 1];
        for (size_t i = 0; i < sizeof simd / sizeof *simd; i++)
            if (has_word(flags, simd[i]))
                snprintf(sel + strlen(sel), sizeof sel - strlen(sel), "%s%s",
                         *sel ? " " : "", simd[i]);
        put(l, "cpu.simd", *sel ? sel : "none");
        sl__sha256_hex(flags, strlen(flags), hex);
        put(l, "cpu.flags_sha256", hex);
    }
    free(model);
    free(flags);
}

int sl__numenv_collect(char ***pairs, size_t *n, sl__err *err)
{
    envlist l = {NULL, 0, 0, 0};
    blas(&l);
    cpu(&l);
    put(&l, "compiler", SL_BUILD_CC);
    put(&l, "compiler.flags", SL_BUILD_CFLAGS);
#ifdef __GLIBC__
    /* glibc's libm (exp, log, pow, expm1 in double) picks a variant with
     * FMA or without per CPU, and its versions differ in the last bit of
     * some results; GLIBC_TUNABLES can switch the variants off */
    char libc[64];
    snprintf(libc, sizeof libc, "glibc %s", gnu_get_libc_version());
    put(&l, "libc", libc);
    put(&l, "libc.tunables", getenv("GLIBC_TUNABLES"));
#endif
    if (l.oom) {
        sl__numenv_free(l.v, l.n);
        *pairs = NULL;
        *n = 0;
        return sl__fail(err, SL_ENOMEM, "out of memory");
    }
    *pairs = l.v;
    *n = l.n;
    return SL_OK;
}

void sl__numenv_free(char **pairs, size_t n)
{
    for (size_t i = 0; i < 2 * n; i++)
        free(pairs[i]);
    free(pairs);
}
