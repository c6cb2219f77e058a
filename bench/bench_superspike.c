/* bench/bench_superspike.c — wall time per epoch of the BrainScaleS-2
 * SuperSpike tutorial (experiments/superspike_bss2.cfg) on the emulated
 * chip, beside the chip's own 200 µs per run.
 *
 * One epoch = one emulated run of 25 inputs × 2000 steps (200 µs chip
 * time at 0.1 µs) onto one neuron with ADC readout and temporal noise,
 * the van Rossum loss, and the SuperSpike update (PSC/PSP/VRD kernels of
 * 1001 taps over 2000 steps for 25 inputs). The teacher run that makes the
 * target is done before the clock starts. One thread, no run database.
 *
 *   bench/bench_superspike [EXPERIMENT.cfg] [--epochs N] [--repeat R]
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

#include "engine/forward.h"
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
    const char *file = SL_SRCDIR "/experiments/superspike_bss2.cfg";
    long epochs = 1000, repeat = 3;
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
            puts("usage: bench_superspike [EXPERIMENT.cfg] [--epochs N] "
                 "[--repeat R] [--cpu] [key=value ...]");
            return 0;
        } else if (strchr(argv[i], '=') && n_ovs < 16) {
            ovs[n_ovs++] = argv[i]; /* key=value, e.g. numerics=portable */
        } else
            file = argv[i];
    }
    if (epochs < 1 || repeat < 1) {
        fprintf(stderr, "bench_superspike: --epochs and --repeat must be "
                        ">= 1\n");
        return 2;
    }
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1);
#endif
    if (!getenv("SPIKELAB_PLUGIN_PATH"))
        setenv("SPIKELAB_PLUGIN_PATH", SL_BENCH_PLUGIN_PATH, 1);
    snprintf(ov, sizeof ov, "train.epochs=%ld", epochs);
    double best = 1e300;
    for (long r = 0; r < repeat; r++) {
        sl__experiment exp;
        sl__err err;
        if (sl__experiment_load(&exp, file, NULL, ovs, n_ovs, &err)) {
            fprintf(stderr, "bench_superspike: %s\n", err.msg);
            return 1;
        }
        if (sl__engine_teacher(&exp, NULL, &err)) {
            fprintf(stderr, "bench_superspike: %s\n", err.msg);
            sl__experiment_free(&exp);
            return 1;
        }
        double t0 = cpu ? cpu_time() : sl__mono_time();
        int rc = sl__train(&exp, NULL, &err);
        double dt = (cpu ? cpu_time() : sl__mono_time()) - t0;
        sl__experiment_free(&exp);
        if (rc) {
            fprintf(stderr, "bench_superspike: %s\n", err.msg);
            return 1;
        }
        double us = dt / (double)epochs * 1e6;
        printf("repeat %ld: %ld epochs in %.3f s = %.1f us per epoch\n",
               r + 1, epochs, dt, us);
        if (us < best)
            best = us;
    }
    for (size_t i = 1; i < n_ovs; i++)
        printf("override: %s\n", ovs[i]);
    if (cpu)
        printf("timed by CPU time (--cpu)\n");
    printf("workload: %s (1 neuron, 25 inputs, 2000 steps of 0.1 us, "
           "SuperSpike rule), 1 thread\n", file);
    printf("chip: 200 us per run (the experiment's duration on "
           "BrainScaleS-2, 1000x faster than biology)\n");
    printf("emulated SuperSpike epoch: %.1f us wall (%.2fx the chip's "
           "200 us) (best of %ld)\n", best, best / 200.0, repeat);
    return 0;
}
