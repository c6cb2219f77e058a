/*
 * plugins/dynapsim/vec.h — the small SIMD vocabulary of dynapsim's lane
 * loops: DS_VL floats at a time with GCC/Clang vector extensions, or one
 * float at a time on other compilers. The kernels are written once
 * against these helpers; arithmetic uses the ordinary operators, which
 * both representations support.
 *
 * Why explicit vectors: the per-step update has selects (clips, masks),
 * bit-level log2/exp2 and divisions, which GCC at -O2 does not
 * auto-vectorise; one vector of 4 lanes (for the frozen-noise task: both
 * neurons of both batch elements) makes the step ~4x cheaper.
 *
 * Vectors live in registers; vld/vst read and write DS_VL floats at a
 * float pointer (memcpy: no alignment or aliasing assumption).
 */
#ifndef SL_PLUGIN_DYNAPSIM_VEC_H
#define SL_PLUGIN_DYNAPSIM_VEC_H

#include <stdint.h>
#include <string.h>

#if defined(__GNUC__) && !defined(DS_NO_SIMD)
#define DS_VL 4
typedef float vf __attribute__((vector_size(16)));
typedef int32_t vi __attribute__((vector_size(16))); /* also masks */

static inline vf vsplat(float x) { return (vf){x, x, x, x}; }
static inline vi visplat(int32_t x) { return (vi){x, x, x, x}; }
static inline vf vld(const float *p)
{
    vf v;
    memcpy(&v, p, sizeof v);
    return v;
}
static inline void vst(float *p, vf v) { memcpy(p, &v, sizeof v); }
/* lanes of a where m is true (all bits set), else of b */
static inline vf vsel(vi m, vf a, vf b)
{
    return (vf)((m & (vi)a) | (~m & (vi)b));
}
static inline vi vbits(vf x) { return (vi)x; }
static inline vf vfrombits(vi x) { return (vf)x; }
static inline vf vcvt(vi x) { return __builtin_convertvector(x, vf); }
static inline vi vtrunc(vf x) { return __builtin_convertvector(x, vi); }
/* true if any lane of m is set (m from a comparison) */
static inline int vany(vi m) { return (m[0] | m[1] | m[2] | m[3]) != 0; }
#else
#define DS_VL 1
typedef float vf;
typedef int32_t vi; /* masks are 0 / 1 here, from C comparisons */

static inline vf vsplat(float x) { return x; }
static inline vi visplat(int32_t x) { return x; }
static inline vf vld(const float *p) { return *p; }
static inline void vst(float *p, vf v) { *p = v; }
static inline vf vsel(vi m, vf a, vf b) { return m ? a : b; }
static inline vi vbits(vf x)
{
    vi u;
    memcpy(&u, &x, sizeof u);
    return u;
}
static inline vf vfrombits(vi x)
{
    vf f;
    memcpy(&f, &x, sizeof f);
    return f;
}
static inline vf vcvt(vi x) { return (vf)x; }
static inline vi vtrunc(vf x) { return (vi)x; }
static inline int vany(vi m) { return m != 0; }
#endif

/* a > b ? a : b and a < b ? a : b per lane (b where either is NaN): one
 * SSE instruction each where available, which is exactly this rule */
#if DS_VL == 4 && defined(__SSE__) && !defined(__clang__)
static inline vf vmax(vf a, vf b) { return __builtin_ia32_maxps(a, b); }
static inline vf vmin(vf a, vf b) { return __builtin_ia32_minps(a, b); }
#else
static inline vf vmax(vf a, vf b) { return vsel(a > b, a, b); }
static inline vf vmin(vf a, vf b) { return vsel(a < b, a, b); }
#endif

#endif
