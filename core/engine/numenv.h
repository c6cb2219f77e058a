/* core/engine/numenv.h — the numeric environment of this process: what
 * decides the bits of a run besides its configuration and seed (issue 12,
 * "reproducibility across machines"). OpenBLAS picks its kernel per CPU
 * when it loads, so one configuration and seed give other bits on another
 * kind of CPU; a run records these so that `rerun` can say which of them
 * changed when its results differ.
 *
 * Keys (a key is left out when this process cannot tell it):
 *   blas.library      "OpenBLAS 0.3.21" (openblas_get_config), or the
 *                     pkg-config name of another BLAS
 *   blas.build        the rest of OpenBLAS's build string, without the
 *                     kernel ("NO_AFFINITY MAX_THREADS=64")
 *   blas.kernel       the kernel OpenBLAS chose for this CPU
 *                     (openblas_get_corename: "Haswell", "SkylakeX")
 *   blas.threads      OpenBLAS's thread count (the command sets 1)
 *   cpu.model         /proc/cpuinfo "model name"
 *   cpu.simd          the vector extensions among the CPU's flags that a
 *                     kernel may use ("sse4_2 avx avx2 fma avx512f ...")
 *   cpu.flags_sha256  SHA-256 (hex) of the whole flags line
 *   compiler          the core's compiler ("gcc (Debian 12.2.0-14) 12.2.0")
 *   compiler.flags    the core's CFLAGS as built
 *   libc              "glibc 2.36" (gnu_get_libc_version): its libm's
 *                     double exp, log, pow, expm1 differ between versions
 *                     and between its FMA and non-FMA variants
 *   libc.tunables     $GLIBC_TUNABLES, when set (it can switch those
 *                     variants: glibc.cpu.hwcaps=-AVX2,-FMA)
 * and session.c adds engine.threads, the threads training ran on
 * (parallel.h; the results do not depend on it).
 */
#ifndef SL_ENGINE_NUMENV_H
#define SL_ENGINE_NUMENV_H

#include <stddef.h>

#include "util/err.h"

/* Collect the environment as key/value pairs: (*pairs)[2i] is a key,
 * (*pairs)[2i+1] its value, i < *n, in the order listed above. Owned by
 * the caller (sl__numenv_free). SL_OK or SL_ENOMEM. */
int sl__numenv_collect(char ***pairs, size_t *n, sl__err *err);
void sl__numenv_free(char **pairs, size_t n);

#endif
