/* bench/bench_peers.c — training throughput of the peers' BPTT workloads
 * (../shared/peers/README.md, workload 2), built twice: bench_shd
 * (experiments/peers_shd.cfg, 2c) and bench_yinyang
 * (experiments/peers_yinyang.cfg, 2b), chosen by SL_BENCH_CFG.
 *
 * One iteration is what torch_bptt.py times: forward over all steps for a
 * batch, loss, backward, Adam update. The experiment is loaded and its
 * data generated first (not timed, as the peers' data generation and
 * model construction are not); then --warmup epochs run untimed and
 * --epochs epochs are timed with the monotonic clock. Prints training
 * samples per second on the last line (and the process CPU time, which
 * on a machine shared with other jobs says more than the wall time for
 * one thread). No run database.
 *
 *   bench/bench_shd [EXPERIMENT.cfg] [--threads N] [--epochs N]
 *                   [--warmup N] [key=value ...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
#include <cblas.h>
#endif

#include "engine/experiment.h"
#include "engine/parallel.h"
#include "engine/train.h"
#include "util/util.h"

static double cpu_time(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    const char *file = SL_SRCDIR "/experiments/" SL_BENCH_CFG;
    long epochs = SL_BENCH_EPOCHS, warmup = 1, threads = 1;
    char *ovs[64];
    int n_ov = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--epochs") == 0 && i + 1 < argc)
            epochs = atol(argv[++i]);
        else if (strcmp(argv[i], "--warmup") == 0 && i + 1 < argc)
            warmup = atol(argv[++i]);
        else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc)
            threads = atol(argv[++i]);
        else if (strcmp(argv[i], "--help") == 0) {
            puts("usage: " SL_BENCH_NAME " [EXPERIMENT.cfg] [--threads N] "
                 "[--epochs N] [--warmup N] [key=value ...]\n"
                 "Trains the experiment (default " SL_BENCH_CFG ") for "
                 "--warmup untimed and --epochs timed epochs; the last line "
                 "gives training samples/s. --threads 0: one per CPU.");
            return 0;
        } else if (strchr(argv[i], '=') && n_ov < 60)
            ovs[n_ov++] = argv[i];
        else if (argv[i][0] == '-') {
            fprintf(stderr, SL_BENCH_NAME ": unknown option %s\n", argv[i]);
            return 2;
        } else
            file = argv[i];
    }
    if (epochs < 1 || warmup < 0 || threads < 0) {
        fprintf(stderr, SL_BENCH_NAME ": --epochs >= 1, --warmup >= 0, "
                "--threads >= 0\n");
        return 2;
    }
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1); /* as `spikelab run`: threads are ours */
#endif
    if (!getenv("SPIKELAB_PLUGIN_PATH"))
        setenv("SPIKELAB_PLUGIN_PATH", SL_BENCH_PLUGIN_PATH, 1);
    char th[64];
    snprintf(th, sizeof th, "threads=%ld", threads);
    ovs[n_ov++] = th;

    sl__experiment exp;
    sl__err err;
    if (sl__experiment_load(&exp, file, NULL, ovs, (size_t)n_ov, &err)) {
        fprintf(stderr, SL_BENCH_NAME ": %s\n", err.msg);
        return 1;
    }
    const size_t n = exp.train_data->info.n_samples;
    const size_t B = (size_t)exp.batch_size;
    if (warmup > 0) {
        exp.epochs = warmup;
        if (sl__train(&exp, NULL, &err)) {
            fprintf(stderr, SL_BENCH_NAME ": %s\n", err.msg);
            sl__experiment_free(&exp);
            return 1;
        }
    }
    exp.epochs = epochs;
    double c0 = cpu_time(), t0 = sl__mono_time();
    int rc = sl__train(&exp, NULL, &err);
    double dt = sl__mono_time() - t0, dc = cpu_time() - c0;
    if (rc) {
        fprintf(stderr, SL_BENCH_NAME ": %s\n", err.msg);
        sl__experiment_free(&exp);
        return 1;
    }
    double samples = (double)epochs * (double)n;
    printf("workload: %s, batch %zu, %zu samples per epoch, %ld warm-up + "
           "%ld timed epochs\n", file, B, n, warmup, epochs);
    printf("timed: %.0f samples in %.3f s wall, %.3f s CPU (%.0f samples "
           "per CPU second)\n", samples, dt, dc, samples / dc);
    printf("%s training: %.1f samples/s (%zu thread%s)\n", SL_BENCH_NAME,
           samples / dt, sl__par_threads(&exp.net),
           sl__par_threads(&exp.net) == 1 ? "" : "s");
    sl__experiment_free(&exp);
    return 0;
}
