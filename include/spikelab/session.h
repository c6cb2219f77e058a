/*
 * spikelab/session.h — the embedding API: load an experiment, run it while
 * recording into a run database, read its outcome. `spikelab run` and
 * `spikelab rerun` are clients of exactly these functions.
 *
 * Link with `pkg-config --cflags --libs spikelab` (libspikelab.so exports
 * the functions of this header, of rundb.h and sl_strerror, nothing else).
 *
 *     sl_session *s;  sl_experiment *e;  int64_t id;
 *     if (sl_session_new(NULL, &s) < 0) ...;            (only SL_ENOMEM)
 *     const char *ov[] = {"train.epochs=50"};
 *     if (sl_experiment_load(s, "exp.cfg", ov, 1, &e) < 0)
 *         fprintf(stderr, "%s\n", sl_session_errmsg(s));  (file:line: key: ...)
 *     sl_run_opts o = {.struct_size = sizeof o, .db_path = "runs.db"};
 *     int rc = sl_run(s, e, &o, NULL, &id);              (run id even on error)
 *     sl_experiment_free(e);  sl_session_free(s);
 *
 * Errors: every function returning int gives 0 (SL_OK) or a negative
 * sl_status (abi.h); the detailed message is sl_session_errmsg(s), which
 * names the file, line and key for configuration errors.
 *
 * Output: the library never writes to stdout. Progress and results reach
 * the caller through sl_run_hooks; the human-readable evaluation report
 * is written only to the FILE* the caller puts in hooks->report.
 * Diagnostics of plugins (xLog) go to stderr.
 *
 * Threads: a session and its experiments MUST be used from one thread at a
 * time; sl_session_interrupt is the exception (any thread, or a signal
 * handler). Separate sessions are independent.
 *
 * Versioned structs: sl_session_opts, sl_run_opts and sl_run_hooks start
 * with struct_size (set it to sizeof, as compiled by the caller); fields
 * are only ever appended, and the library reads only fields that
 * struct_size covers.
 */
#ifndef SPIKELAB_SESSION_H
#define SPIKELAB_SESSION_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "abi.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A session: plugin search settings, the interrupt flag, the error message
 * and the outcome of the last run. Opaque; sl_session_new / _free. */
typedef struct sl_session sl_session;
/* A loaded, fully checked experiment, ready to run once. Opaque;
 * sl_experiment_load / _free. */
typedef struct sl_experiment sl_experiment;

typedef struct sl_session_opts {
    uint32_t struct_size; /* sizeof(sl_session_opts) */
    /* --- ABI 1.0 --- */
    /* ':'-separated plugin directories, searched after an experiment's own
     * plugin_path and before $SPIKELAB_PLUGIN_PATH and the installed
     * plugin directory (earlier places shadow later ones). NULL: none.
     * Copied by sl_session_new. */
    const char *plugin_path;
} sl_session_opts;

/* Create a session. opts may be NULL (defaults); it is only read during
 * the call. On success *out is owned by the caller (sl_session_free).
 * Errors: SL_EINVAL (out NULL, or opts->struct_size too small to hold
 * struct_size), SL_ENOMEM (*out NULL then). */
SL_EXPORT int sl_session_new(const sl_session_opts *opts, sl_session **out);

/* Free the session. Experiments loaded through it stay valid and must be
 * freed with sl_experiment_free (before or after). NULL is a no-op. */
SL_EXPORT void sl_session_free(sl_session *s);

/* The message of the last error on s: borrowed, valid until the next call
 * on s (or its experiments); "" when the last call succeeded. s NULL:
 * a fixed text about a missing session. */
SL_EXPORT const char *sl_session_errmsg(const sl_session *s);

/* Load the experiment file at path, apply the "key=value" overrides in
 * order (layers by index or name: network.layers.lif.tau_mem=0.02), load
 * the plugins and create and check every component. Nothing runs and
 * nothing is recorded. path and overrides are borrowed for the call.
 * On success *out is owned by the caller (sl_experiment_free).
 * Errors (message: "FILE:LINE: key: what is wrong" where it applies):
 * SL_ECONFIG (syntax, types, values, unknown keys, missing components),
 * SL_EIO (file unreadable), SL_EFIT (the network does not fit the export
 * target), SL_EPLUGIN / SL_EABI (a plugin named by the experiment), SL_ENOMEM,
 * SL_EINVAL (NULL arguments, n_overrides > 0 with overrides NULL);
 * any other status a plugin reports while being created. */
SL_EXPORT int sl_experiment_load(sl_session *s, const char *path,
                                 const char *const *overrides,
                                 size_t n_overrides, sl_experiment **out);

/* As sl_experiment_load, from configuration text. name names the
 * configuration in messages ("name:LINE: ...") and, when it contains a
 * '/', its directory anchors @include and a relative plugin_path. name
 * NULL: "(string)". text is borrowed for the call. */
SL_EXPORT int sl_experiment_load_string(sl_session *s, const char *text,
                                        const char *name,
                                        const char *const *overrides,
                                        size_t n_overrides,
                                        sl_experiment **out);

/* Free an experiment (its components and plugins). NULL is a no-op. */
SL_EXPORT void sl_experiment_free(sl_experiment *e);

/* What an experiment says about itself. Strings are borrowed from e and
 * live until sl_experiment_free. */
SL_EXPORT const char *sl_experiment_name(const sl_experiment *e);
SL_EXPORT int64_t sl_experiment_seed(const sl_experiment *e);
SL_EXPORT int64_t sl_experiment_epochs(const sl_experiment *e);
/* The name of the training dataset (train.data). */
SL_EXPORT const char *sl_experiment_train_data(const sl_experiment *e);
/* train.log_every: how many epochs apart a non-interactive progress
 * display should print a line; 0 when the experiment leaves it open. */
SL_EXPORT int64_t sl_experiment_log_every(const sl_experiment *e);

typedef struct sl_run_opts {
    uint32_t struct_size; /* sizeof(sl_run_opts) */
    /* --- ABI 1.0 --- */
    /* The run database to record into (created when missing); required.
     * sl_rundb_default_path (rundb.h) gives the command's default. */
    const char *db_path;
    /* Non-zero: after training, record the traces of every layer for the
     * first training sample (as `spikelab run --traces`). Layers with
     * `record = true` are recorded in any case. */
    int traces;
    /* What the run record names as its origin. NULL: what was loaded (the
     * file's text as written, the overrides given). A re-run records the
     * original's text and overrides here (overrides: "k=v" lines). */
    const char *record_text;
    const char *record_overrides;
    /* The run this one re-runs (runs.parent_id); 0: none. */
    int64_t parent_id;
    /* --- added with checkpoints (spikelab resume) --- */
    /* Non-zero: do not record a new run but continue run resume_id of
     * db_path from its last checkpoint (train.checkpoint_every), into
     * that run's own record; e must be loaded from that run's stored
     * effective configuration (sl_rundb_run: config_effective, named by
     * config_path). Metrics after the checkpoint's epoch and the ended
     * attempt's final results and parameters are dropped, the evaluations
     * before training are not repeated, and training continues with the
     * next epoch; the outcome is bit-identical to a run never stopped.
     * record_text, record_overrides, parent_id are not used then.
     * Errors before anything changes: SL_ENOTFOUND (no such run, or no
     * checkpoint), SL_EINVAL (the run is finished or still running),
     * SL_EDATA (a checkpoint of another configuration or network). */
    int64_t resume_id;
} sl_run_opts;

/* Callbacks of a run. Every member may be NULL. A callback returning
 * non-zero stops the run with that status (the run is recorded as failed,
 * or interrupted for SL_EINTR). Callbacks run on the calling thread, from
 * inside sl_run; they MUST NOT call sl_run or free the session or the
 * experiment. Strings passed to them are borrowed for the call. */
typedef struct sl_run_hooks {
    uint32_t struct_size; /* sizeof(sl_run_hooks) */
    /* --- ABI 1.0 --- */
    void *user; /* passed to every callback */
    /* Once the run is recorded (its row committed), before anything runs:
     * the moment to announce the run. */
    int (*on_start)(void *user, int64_t run_id);
    /* After each training epoch (from 1 to the epoch count), with its mean
     * loss; already recorded as metric "loss". */
    int (*on_epoch)(void *user, int64_t epoch, double loss);
    /* Each value of an evaluation during training (`every = N`), e.g.
     * (500, "test_frr_median", 1.2); already recorded as a metric. */
    int (*on_metric)(void *user, int64_t step, const char *name,
                     double value);
    /* Each final result (before and after training, e.g. "train_frr_0",
     * "initial_test_frr_median", "quantised_..."); already recorded. */
    int (*on_result)(void *user, const char *name, double value);
    /* The human-readable report (evaluations, "trained N epochs in ...");
     * NULL: none. Borrowed; the library writes to it and never closes it. */
    FILE *report;
    /* --- ABI 1.3 --- */
    /* Progress inside a long step, not recorded: after each chunk of an
     * evaluation (what = "evaluating 'test'" or "evaluating 'test'
     * (spiking)", done of total samples, done counting up to total) and
     * each minibatch of a training epoch (what = "epoch 3", done of total
     * samples), so that a caller can show where a minutes-long epoch or
     * spiking evaluation is. */
    int (*on_progress)(void *user, const char *what, uint64_t done,
                       uint64_t total);
} sl_run_hooks;

/* Run a loaded experiment and record it into o->db_path: the run row (config
 * text as written and as run, overrides, seed, flattened settings, host,
 * plugin versions) is committed first, then the teacher (if any), the
 * evaluations marked `before`, training (loss per epoch as metric "loss",
 * flushed at least every 0.25 s), the final evaluations, the trained
 * parameters (artifacts params/LAYER/PARAM.npy, also when interrupted),
 * the export section (if any) and traces (if asked for); at the end the
 * run's status: finished, interrupted or failed with its error.
 * *run_id (may be NULL) receives the run's id as soon as it is recorded,
 * 0 when the run could not be recorded. hooks may be NULL. An experiment
 * runs once: its parameters are trained afterwards (SL_EINVAL the second
 * time; load it again for a fresh run).
 * Returns SL_OK (finished), SL_EINTR (sl_session_interrupt; the run is
 * recorded as interrupted), or the first error: the run's (recorded as
 * failed) or else the database's (opening it, recording the run or its
 * end: SL_EDB, SL_ENOTFOUND for a parent_id that is not in the
 * database). The message: sl_session_errmsg(s). */
/* Simulated time of an experiment with `simulate` (s); 0 for a training
 * experiment. Its progress reaches on_metric about 100 times as
 * (steps done, "sim_time", simulated seconds done), also recorded as a
 * metric. */
SL_EXPORT double sl_experiment_duration(const sl_experiment *e);

SL_EXPORT int sl_run(sl_session *s, sl_experiment *e, const sl_run_opts *o,
                     const sl_run_hooks *hooks, int64_t *run_id);

/* Ask the run in progress on s to stop at the next epoch boundary; sl_run
 * then records the run as interrupted and returns SL_EINTR. Only sets a
 * flag: async-signal-safe, callable from any thread or a signal handler.
 * A request made while no run trains is kept and stops the next run at
 * its first epoch; sl_run clears it when it returns. s MUST stay valid
 * while a signal handler may call this. */
SL_EXPORT void sl_session_interrupt(sl_session *s);

/* The last run started on s: its id (0: none recorded) and its final
 * results in the order they were reported. sl_session_result returns the
 * name (borrowed, valid until the next sl_run or sl_session_free) and
 * stores the value in *value (may be NULL); NULL when i is out of range. */
SL_EXPORT int64_t sl_session_run_id(const sl_session *s);
SL_EXPORT size_t sl_session_n_results(const sl_session *s);
SL_EXPORT const char *sl_session_result(const sl_session *s, size_t i,
                                        double *value);

/* The numeric environment of this process, as a run started now would
 * record it: the keys of sl_rundb_env (rundb.h), in that order, each
 * passed to cb (key and value borrowed for the call). `rerun` compares it
 * with a run's recorded one before it runs. A nonzero return from cb
 * stops the walk and is returned. Errors: SL_EINVAL (cb NULL),
 * SL_ENOMEM. */
SL_EXPORT int sl_numeric_env(int (*cb)(void *user, const char *key,
                                       const char *value),
                             void *user);

#ifdef __cplusplus
}
#endif

#endif
