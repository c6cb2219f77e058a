/* core/engine/train.h — the training loop and evaluations of an experiment. */
#ifndef SL_CORE_TRAIN_H
#define SL_CORE_TRAIN_H

#include <signal.h>
#include <stdio.h>

#include "engine/experiment.h"

/* Where a recorder stores on_counts' tables: the artifact
 * SL__COUNTS_DIR NAME ".npy" (int64 [rows][cols]), e.g.
 * "evaluations/test_confusion.npy"; a quantised evaluation's under
 * "quantised_NAME" (deploy.h). */
#define SL__COUNTS_DIR "evaluations/"

typedef struct sl__hooks {
    void *user;
    /* After every epoch (epoch counts from 1). Non-zero return stops the
     * run with that status. */
    int (*on_epoch)(void *user, int64_t epoch, double loss);
    /* Each evaluation result, e.g. ("train_frr_0", 3.1). */
    int (*on_result)(void *user, const char *name, double value);
    FILE *report; /* human-readable evaluation report; NULL = none */
    /* Results of the evaluations with `every` during training, as metrics
     * at that epoch, e.g. (50000, "test_frr_median", 1.2). May be NULL. */
    int (*on_metric)(void *user, int64_t step, const char *name,
                     double value);
    /* train.checkpoint_every: the training state after `epoch` (every
     * metric up to it already reported), an image of checkpoint.h's
     * format, borrowed for the call. May be NULL (no checkpoints). */
    int (*on_checkpoint)(void *user, int64_t epoch, const void *image,
                         size_t size);
    /* The confusion matrix of an accuracy evaluation before or after
     * training (not of those during it), named as its results are, e.g.
     * ("test_confusion", counts, 3, 3) beside "test_accuracy":
     * counts[true class · cols + predicted class], rows = the target's
     * classes, cols = the output's; borrowed for the call. May be NULL
     * (no matrix is counted). */
    int (*on_counts)(void *user, const char *name, const int64_t *counts,
                     size_t rows, size_t cols);
    /* After each chunk of an evaluation and each minibatch of training:
     * where a long step is (sl_run_hooks.on_progress). May be NULL. */
    int (*on_progress)(void *user, const char *what, uint64_t done,
                       uint64_t total);
} sl__hooks;

/* Train for exp->epochs epochs. SL_EINTR when *exp->stop was set. */
int sl__train(sl__experiment *exp, const sl__hooks *hooks, sl__err *err);

/* Run every evaluation flagged `before` (phase 0) or all (phase 1). */
int sl__evaluate_all(sl__experiment *exp, int phase, const sl__hooks *hooks,
                     sl__err *err);

#endif
