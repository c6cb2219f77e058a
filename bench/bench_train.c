/* bench/bench_train.c — training speed on the frozen-noise workload; built
 * twice: bench_lif (experiments/frozen_noise_lif.cfg) and bench_dynapsim
 * (experiments/frozen_noise_dynapsim.cfg), chosen by SL_BENCH_CFG.
 *
 * Times whole training epochs — forward over the full batch of 2 × 500
 * steps, MSE loss, BPTT backward, Adam step (and the experiment's mismatch
 * re-draws) — on one thread, without the run database. Prints epochs per
 * second; the figure is on the last line.
 *
 *   bench/bench_lif [EXPERIMENT.cfg] [--epochs N] [--repeat R]
 *       [--cpu] [key=value ...]   (--cpu: time by the process's CPU
 *       time, not the wall clock; key=value: overrides, e.g.
 *       numerics=portable)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

#include "engine/experiment.h"
#include "engine/train.h"
#include "util/util.h"

/* CPU seconds of this process (one thread: the wall time it would take
 * on an idle core) */
static double cpu_time(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *file = SL_SRCDIR "/experiments/" SL_BENCH_CFG;
    long epochs = SL_BENCH_EPOCHS, repeat = 3;
    int cpu = 0;
    char ov[64];
    char *ovs[17] = {ov};
    size_t n_ovs = 1;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
            epochs = atol(argv[++i]);
        else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc)
            repeat = atol(argv[++i]);
        else if (strcmp(argv[i], "--cpu") == 0)
            cpu = 1; /* the process's CPU time: on a shared machine */
        else if (strcmp(argv[i], "--help") == 0) {
            puts("usage: " SL_BENCH_NAME " [EXPERIMENT.cfg] [--epochs N] "
                 "[--repeat R] [--cpu] [key=value ...]");
            return 0;
        } else if (strchr(argv[i], '=') && n_ovs < 16) {
            ovs[n_ovs++] = argv[i]; /* key=value, e.g. numerics=portable */
        } else
            file = argv[i];
    }
    if (epochs < 1 || repeat < 1) {
        fprintf(stderr, SL_BENCH_NAME ": --epochs and --repeat must be >= 1\n");
        return 2;
    }
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1);
#endif
    /* use the build tree's plugins unless told otherwise */
    if (!getenv("SPIKELAB_PLUGIN_PATH"))
        setenv("SPIKELAB_PLUGIN_PATH", SL_BENCH_PLUGIN_PATH, 1);
    snprintf(ov, sizeof ov, "train.epochs=%ld", epochs);
    double best = 0;
    for (long r = 0; r < repeat; r++) {
        sl__experiment exp;
        sl__err err;
        if (sl__experiment_load(&exp, file, NULL, ovs, n_ovs, &err)) {
            fprintf(stderr, SL_BENCH_NAME ": %s\n", err.msg);
            return 1;
        }
        double t0 = cpu ? cpu_time() : sl__mono_time();
        int rc = sl__train(&exp, NULL, &err);
        double dt = (cpu ? cpu_time() : sl__mono_time()) - t0;
        if (rc) {
            fprintf(stderr, SL_BENCH_NAME ": %s\n", err.msg);
            sl__experiment_free(&exp);
            return 1;
        }
        double eps = (double)epochs / dt;
        printf("repeat %ld: %ld epochs in %.3f s = %.0f epochs/s\n", r + 1,
               epochs, dt, eps);
        if (eps > best)
            best = eps;
        sl__experiment_free(&exp);
    }
    for (size_t i = 1; i < n_ovs; i++)
        printf("override: %s\n", ovs[i]);
    if (cpu)
        printf("timed by CPU time (--cpu)\n");
    printf("workload: %s (batch 2 x 500 steps x 60 inputs, 2 recurrent "
           "neurons, MSE, Adam), 1 thread\n", file);
#ifdef SL_BENCH_PUBLISHED
    printf("published: %s\n", SL_BENCH_PUBLISHED);
#endif
    printf("%s frozen-noise training: %.0f epochs/s (best of %ld)\n",
           SL_BENCH_MODEL, best, repeat);
    return 0;
}
