/* core/engine/experiment.h — an experiment file turned into live components.
 *
 * Layout of an experiment (libconfig):
 *   name = "...";  seed = 0;  plugin_path = "dir" | ["dir", ...];
 *   numerics = "blas" | "portable";
 *   data = { NAME = { type = "frozen_noise"; ... }; ... };   // named datasets
 *   network = { dt = 1e-3; layers = ( { type = "linear"; ... }, ... ); };
 *   loss = { type = "mse"; ... };
 *   optimizer = { type = "adam"; ... };
 *   backend = { type = "sim"; };                           // optional
 *   train = { data = "train"; epochs = 100; batch_size = 2; shuffle = false;
 *             log_every = 0;
 *             mismatch = { every = 100; deviation = 0.30; sigma_rule = 3.0; }; };
 *   evaluate = ( { data = "train"; metric = "frr"; ... }, ... );
 * Everything is created and checked (types, values, unknown keys) before
 * anything runs.
 */
#ifndef SL_CORE_EXPERIMENT_H
#define SL_CORE_EXPERIMENT_H

#include <signal.h>

#include "config/config.h"
#include "engine/host.h"
#include "engine/network.h"
#include "engine/registry.h"

#define SL__MAX_DATASETS 8
#define SL__MAX_EVALS 16

typedef struct sl__dataset {
    char *name;
    const sl__entry *entry;
    const sl_dataset_iface *iface;
    void *self;
    sl_ctx ctx;
    sl_dataset_info info;
    float *inputs;  /* all samples [n][n_steps][n_in], loaded once;
                       NULL when streamed */
    float *targets; /* [n][target_steps][n_out]; NULL when streamed */
    /* Data selection (datasel.c). info.n_samples is the number of samples
     * this dataset presents (after `limit` and a validation split); sel
     * maps each to the component's own index (NULL: the identity). */
    size_t *sel;
    size_t n_source;     /* the component's own n_samples */
    struct sl__dataset *owner; /* the slot whose component this is: itself,
                                  or the dataset a validation split was
                                  taken from (then self is not ours) */
    int streamed;        /* 1: samples are fetched from the component per
                            batch (store = "stream", or too large) */
    const char *store;   /* "auto" | "memory" | "stream" */
    char **ident;        /* identity key/value pairs recorded with the run */
    size_t n_ident;
} sl__dataset;

typedef struct sl__eval {
    sl__dataset *data;
    const char *metric; /* "frr" | "accuracy" | "loss" */
    const char *frr_mode; /* "target" | "max_min" */
    int per_sample;     /* store one result per sample */
    int before;         /* also evaluate before training */
    int64_t every;      /* > 0: also every this many epochs, as metrics */
    double tolerance;   /* spike_times: match window, s */
    int spiking;        /* run the layers' spiking twins (SL_EXT_TWIN) */
    int64_t n_steps;    /* spiking: steps each sample is presented */
    double synapse;     /* spiking: lowpass τ on the output, s (0: none) */
} sl__eval;

/* `teacher`: targets made by the network itself with other parameters
 * (the SuperSpike tutorial's target neuron, weights N(27, 1)). Before
 * anything else runs, the parameter is drawn, the network runs (on the
 * backend) over the listed datasets, its output replaces their targets,
 * and the parameter is restored. */
typedef struct sl__teacher {
    int on;
    size_t layer;       /* index into net.layers */
    sl_param *param;    /* the parameter drawn for the teacher */
    double mean, std;   /* normal draw, stream (teacher, PARAM) */
    int64_t numpy_seed; /* >= 0: draw from NumPy's legacy stream instead */
    int has_init;       /* then draw the training start from it too */
    double init_mean, init_std;
    sl__dataset *data[SL__MAX_DATASETS];
    size_t n_data;
} sl__teacher;

typedef struct sl__component {
    const sl__entry *entry;
    const void *iface;
    void *self;
    sl_ctx ctx;
} sl__component;

typedef struct sl__experiment {
    sl__config *cfg;
    sl__registry *reg;
    const char *name;
    int64_t seed;
    /* `numerics`, and the host table every component of this run is
     * created with (sl__host_for): its xGemm is the mode's kernel */
    sl__numerics numerics;
    const sl_host *host;
    int64_t threads; /* `threads` as set (0: one per CPU; parallel.h) */
    sl__dataset data[SL__MAX_DATASETS];
    size_t n_data;
    sl__network net;
    sl__component loss, optimizer, backend;
    /* train settings */
    sl__dataset *train_data;
    int64_t epochs, batch_size, log_every;
    int shuffle;
    /* weight mismatch re-drawn during training (every == 0: off) */
    int64_t mismatch_every;
    double mismatch_deviation, mismatch_sigma_rule;
    sl__eval evals[SL__MAX_EVALS];
    size_t n_evals;
    /* how training runs, derived from the optimizer's and backend's flags:
     * trace_rule  the optimizer is a local rule (SL_OPT_TRACES): forward
     *             with recorded traces, xRuleUpdate, no backward pass;
     * on_backend  the backend runs the network (SL_BACKEND_RUNS): every
     *             forward pass (training and evaluation) is its xRun;
     * both off: software forward + BPTT; on_backend with a gradient
     * optimizer: hardware-in-the-loop BPTT (hil.h). */
    int trace_rule, on_backend;
    sl__teacher teacher;
    struct sl__export *export_state; /* `export` section (export.h) or NULL */
    /* Set asynchronously (sl_session_interrupt, possibly from a signal
     * handler) to stop training at the next epoch, an evaluation at its
     * next chunk; NULL: never. The session's flag, not a global: two
     * sessions stop independently. */
    const volatile sig_atomic_t *stop;
    /* a `simulate` experiment (simulate.h): its model and run; NULL for
     * a training experiment */
    struct sl__simulate *sim;
    /* models.c: train.checkpoint_every (0: none); epochs already done
     * when resumed from a checkpoint (0: a fresh start); init_from (run 0:
     * none; db NULL: the database the run records into); `record`: which
     * samples of which dataset the traces are of */
    int64_t checkpoint_every, start_epoch;
    int64_t init_from_run;
    const char *init_from_db;
    sl__dataset *record_data;
    size_t *record_samples, n_record_samples;
} sl__experiment;

/* Load `path`, apply overrides, create every component, refuse unknown
 * keys. On failure returns SL_ECONFIG (or another code) with the message in
 * err and leaves *exp freed. `text` non-NULL: parse it instead of reading
 * the file (re-runs), `path` then only names it in messages. */
int sl__experiment_load(sl__experiment *exp, const char *path,
                        const char *text, char *const *overrides,
                        size_t n_overrides, sl__err *err);
/* The same, with plugin_path (':'-separated directories, may be NULL)
 * searched after the experiment's own plugin_path and before
 * $SPIKELAB_PLUGIN_PATH (a session's plugin path, session.h). */
int sl__experiment_load_ex(sl__experiment *exp, const char *path,
                           const char *text, char *const *overrides,
                           size_t n_overrides, const char *plugin_path,
                           sl__err *err);
void sl__experiment_free(sl__experiment *exp);

#endif
