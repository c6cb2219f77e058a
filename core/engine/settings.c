/* core/engine/settings.c — the core's own settings tables (settings.h).
 * Each default here is the one experiment.c, network.c and deploy.c
 * apply: the getters refuse a read whose default differs. */
#include <stdio.h>

#include "engine/settings.h"

#define COUNT(t) (sizeof(t) / sizeof((t)[0]))

static const sl_setting root_settings[] = {
    SL_SETTING(SL_SET_STRING, "name", "experiment", NULL, SL_ANY,
               "experiment name, recorded with each run"),
    SL_SETTING(SL_SET_INT, "seed", "0", NULL, SL_ANY,
               "run seed: every random stream derives from it (64-bit: "
               "write 4294967296L in a file)"),
    SL_SETTING(SL_SET_STRING, "numerics", "blas", NULL,
               SL_CHOICES("blas|portable"),
               "matrix products: \"blas\" (the linked BLAS; its bits "
               "depend on the kernel it picks per CPU) or \"portable\" "
               "(the engine's fixed-order kernels: the same bits on any "
               "x86-64 machine; ARCHITECTURE.md)"),
    SL_SETTING(SL_SET_INT, "threads", "0", NULL, SL_RANGE(0, 1024),
               "threads that train and evaluate (0: one per CPU); batches "
               "of more than 16 samples run in shards of 16 on them, and "
               "the results are the same bits for any count"),
    SL_SETTING(SL_SET_STRING, "description", NULL, NULL, SL_ANY,
               "free text, kept with the configuration"),
    SL_SETTING(SL_SET_LIST, "plugin_path", NULL, NULL, SL_ANY,
               "directory or list of directories searched first for "
               "plugins (relative to the experiment file)"),
    SL_SETTING(SL_SET_GROUP, "data", NULL, NULL, SL_REQUIRED,
               "named datasets: NAME = { type = \"...\"; ... } (see the "
               "dataset components)"),
    SL_SETTING(SL_SET_GROUP, "network", NULL, NULL, SL_REQUIRED,
               "dt and the list of layers"),
    SL_SETTING(SL_SET_GROUP, "loss", NULL, NULL, SL_REQUIRED,
               "{ type = \"...\"; ... }: a loss component"),
    SL_SETTING(SL_SET_GROUP, "optimizer", NULL, NULL, SL_REQUIRED,
               "{ type = \"...\"; ... }: an optimizer or learning rule"),
    SL_SETTING(SL_SET_GROUP, "backend", NULL, NULL, SL_ANY,
               "where the network runs; default { type = \"sim\"; }"),
    SL_SETTING(SL_SET_GROUP, "train", NULL, NULL, SL_ANY,
               "the training schedule"),
    SL_SETTING(SL_SET_LIST, "evaluate", NULL, NULL, SL_ANY,
               "evaluations: a list of groups, one per metric and dataset"),
    SL_SETTING(SL_SET_GROUP, "teacher", NULL, NULL, SL_ANY,
               "targets made by the network itself with drawn parameters"),
    SL_SETTING(SL_SET_GROUP, "export", NULL, NULL, SL_ANY,
               "write the trained network as a device configuration"),
    SL_SETTING(SL_SET_GROUP, "simulate", NULL, NULL, SL_ANY,
               "run a model over time instead of training (then only "
               "'model' and the top-level keys; data, network, loss and "
               "optimizer are not used)"),
    SL_SETTING(SL_SET_GROUP, "model", NULL, NULL, SL_ANY,
               "with simulate: { type = \"...\"; ... }, a component that "
               "runs a model over time (e.g. nef)"),
    SL_SETTING(SL_SET_GROUP, "init_from", NULL, NULL, SL_ANY,
               "optional: start from every trained parameter of a recorded "
               "run (matched by layer and parameter name)"),
    SL_SETTING(SL_SET_INT, "init_from.run", "0", NULL, SL_MIN(0),
               "the run's id (spikelab runs)"),
    SL_SETTING(SL_SET_STRING, "init_from.db", NULL, NULL, SL_ANY,
               "its run database (relative to the experiment file); "
               "default the database this run records into"),
    SL_SETTING(SL_SET_GROUP, "record", NULL, NULL, SL_ANY,
               "optional: which samples the recorded traces (layers with "
               "record = true, run --traces) are of"),
    SL_SETTING(SL_SET_STRING, "record.data", NULL, NULL, SL_ANY,
               "the dataset; default the training set"),
    SL_SETTING(SL_SET_LIST, "record.samples", NULL, NULL, SL_ANY,
               "sample indices, e.g. [0, 5]; default [0]"),
};

static const sl_setting network_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-3", "s", SL_GT(0),
               "time step of every layer and dataset"),
    SL_SETTING(SL_SET_LIST, "layers", NULL, NULL, SL_ANY,
               "the layers in order: ( { type = \"...\"; ... }, ... ); "
               "required unless nir is given"),
    SL_SETTING(SL_SET_STRING, "nir", NULL, NULL, SL_ANY,
               "a NIR file (HDF5) whose graph is the network, with its "
               "parameters; instead of layers (README.md, NIR)"),
    SL_SETTING(SL_SET_STRING, "nir_scheme", NULL, NULL,
               SL_CHOICES("euler|exp_euler|exact"),
               "nir: the lif layers' scheme; default the file's "
               "spikelab_scheme metadata, else euler"),
    SL_SETTING(SL_SET_STRING, "nir_input_order", NULL, NULL,
               SL_CHOICES("end|start"),
               "nir: the lif layers' input_order; default the file's "
               "metadata, else end"),
    SL_SETTING(SL_SET_STRING, "nir_neuron", "lif", NULL,
               SL_CHOICES("lif|dynapsim"),
               "nir: the spiking layers' model; dynapsim maps CubaLIF onto "
               "Dynap-SE2 neurons (time constants exact, the rest "
               "approximated: README.md, NIR)"),
    SL_SETTING(SL_SET_GROUP, "load", NULL, NULL, SL_ANY,
               "parameters from .npy files after the layers are made: "
               "{ LAYER = { PARAM = \"file.npy\"; }; } (paths relative to "
               "the experiment file)"),
};

static const sl_setting train_settings[] = {
    SL_SETTING(SL_SET_STRING, "data", NULL, NULL, SL_ANY,
               "dataset to train on; default \"train\" when there is one, "
               "else the first"),
    SL_SETTING(SL_SET_INT, "epochs", "100", NULL, SL_MIN(0),
               "training epochs"),
    SL_SETTING(SL_SET_INT, "batch_size", NULL, NULL, SL_MIN(1),
               "samples per optimizer step; default (and at most) all "
               "samples of the dataset"),
    SL_SETTING(SL_SET_BOOL, "shuffle", "false", NULL, SL_ANY,
               "shuffle the samples every epoch"),
    SL_SETTING(SL_SET_INT, "log_every", "0", NULL, SL_MIN(0),
               "print the loss every N epochs; 0 = about 20 lines per run"),
    SL_SETTING(SL_SET_INT, "checkpoint_every", "0", NULL, SL_MIN(0),
               "store the full training state every N epochs in the run "
               "database (spikelab resume); 0 = never"),
    SL_SETTING(SL_SET_GROUP, "mismatch", NULL, NULL, SL_ANY,
               "optional: re-draw w_eff = w·(1 + σ·n) of every weight "
               "tensor during training"),
    SL_SETTING(SL_SET_INT, "mismatch.every", "100", NULL, SL_MIN(0),
               "epochs between re-draws; 0 = off"),
    SL_SETTING(SL_SET_FLOAT, "mismatch.deviation", "0.3", "1", SL_MIN(0),
               "relative deviation (0.30 = 30 %)"),
    SL_SETTING(SL_SET_FLOAT, "mismatch.sigma_rule", "3.0", "1", SL_GT(0),
               "σ = deviation / sigma_rule"),
};

static const sl_setting evaluate_settings[] = {
    SL_SETTING(SL_SET_STRING, "data", NULL, NULL, SL_REQUIRED,
               "the dataset to evaluate on"),
    SL_SETTING(SL_SET_STRING, "metric", "frr", NULL,
               SL_CHOICES("frr|accuracy|loss|spike_times"),
               "what to measure"),
    SL_SETTING(SL_SET_STRING, "frr_mode", "target", NULL,
               SL_CHOICES("target|max_min"),
               "frr: target rate over the highest other rate, or highest "
               "over lowest rate"),
    SL_SETTING(SL_SET_BOOL, "per_sample", NULL, NULL, SL_ANY,
               "store one result per sample; default true for <= 10 "
               "samples"),
    SL_SETTING(SL_SET_BOOL, "before", "false", NULL, SL_ANY,
               "also evaluate before training (initial_...)"),
    SL_SETTING(SL_SET_INT, "every", "0", NULL, SL_MIN(0),
               "also every N epochs during training, as metrics; 0 = only "
               "after training"),
    SL_SETTING(SL_SET_FLOAT, "tolerance", "2e-6", "s", SL_MIN(0),
               "metric spike_times: matching window"),
    SL_SETTING(SL_SET_BOOL, "spiking", "false", NULL, SL_ANY,
               "run every layer's spiking twin (softlif) instead of its "
               "rate model; metric accuracy, recorded as DATA_spiking_"
               "accuracy"),
    SL_SETTING(SL_SET_INT, "n_steps", "30", NULL, SL_RANGE(1, 1000000),
               "spiking: steps each (one-step) sample is presented"),
    SL_SETTING(SL_SET_FLOAT, "synapse", "0.1", "s", SL_MIN(0),
               "spiking: lowpass time constant on the network output, "
               "read at the last step (0: unfiltered)"),
};

static const sl_setting teacher_settings[] = {
    SL_SETTING(SL_SET_STRING, "layer", NULL, NULL, SL_REQUIRED,
               "name of the layer whose parameter is drawn"),
    SL_SETTING(SL_SET_STRING, "param", "weight", NULL, SL_ANY,
               "the parameter tensor drawn"),
    SL_SETTING(SL_SET_FLOAT, "mean", "0.0", NULL, SL_ANY,
               "mean of the normal draw"),
    SL_SETTING(SL_SET_FLOAT, "std", "1.0", NULL, SL_MIN(0),
               "standard deviation of the normal draw"),
    SL_SETTING(SL_SET_INT, "numpy_seed", "-1", NULL,
               SL_RANGE(-1, 4294967295.0),
               "draw from NumPy's legacy stream with this seed; -1 = the "
               "run's own stream"),
    SL_SETTING(SL_SET_GROUP, "init", NULL, NULL, SL_ANY,
               "optional: draw the training start next from the same "
               "stream"),
    SL_SETTING(SL_SET_FLOAT, "init.mean", "0.0", NULL, SL_ANY,
               "mean of the training start"),
    SL_SETTING(SL_SET_FLOAT, "init.std", "1.0", NULL, SL_MIN(0),
               "standard deviation of the training start"),
    SL_SETTING(SL_SET_LIST, "data", NULL, NULL, SL_ANY,
               "datasets whose targets the teacher makes; default all"),
};

static const sl_setting layer_settings[] = {
    SL_SETTING(SL_SET_STRING, "type", NULL, NULL, SL_REQUIRED,
               "the neuron component (linear, lif, li, dynapsim, ...)"),
    SL_SETTING(SL_SET_STRING, "name", NULL, NULL, SL_ANY,
               "layer name for overrides, streams and artifacts; unique, "
               "not empty; default TYPE#INDEX"),
    SL_SETTING(SL_SET_BOOL, "record", "false", NULL, SL_ANY,
               "store this layer's traces (of the samples the top-level "
               "record group names; default the first training sample)"),
    SL_SETTING(SL_SET_GROUP, "params", NULL, NULL, SL_ANY,
               "parameters from .npy files: { PARAM = \"w.npy\"; } (any "
               "tensor the layer lists; shape and dtype checked)"),
};

static const sl_setting dataset_settings[] = {
    SL_SETTING(SL_SET_STRING, "type", NULL, NULL, SL_REQUIRED,
               "the dataset component"),
    SL_SETTING(SL_SET_INT, "limit", "0", NULL, SL_MIN(0),
               "use only the first K samples of the component; 0 = all"),
    SL_SETTING(SL_SET_STRING, "store", "auto", NULL,
               SL_CHOICES("auto|memory|stream"),
               "memory: every sample drawn once as float32; stream: "
               "fetched per batch (data larger than memory); auto: memory "
               "up to 1 GiB (or a quarter of RAM)"),
    SL_SETTING(SL_SET_GROUP, "validation", NULL, NULL, SL_ANY,
               "optional: hold out a seeded split as another dataset"),
    SL_SETTING(SL_SET_FLOAT, "validation.fraction", "0.0", "1",
               SL_BOUNDS(SL_SET_MIN | SL_SET_MAX | SL_SET_MAX_OPEN, 0, 1),
               "fraction of the (limited) samples held out; or count"),
    SL_SETTING(SL_SET_INT, "validation.count", "0", NULL, SL_MIN(0),
               "number of samples held out; or fraction"),
    SL_SETTING(SL_SET_INT, "validation.seed", "0", NULL, SL_ANY,
               "the split's own seed: the same samples held out whatever "
               "the run seed"),
    SL_SETTING(SL_SET_STRING, "validation.name", NULL, NULL, SL_ANY,
               "name of the held-out dataset; default NAME_val"),
};

static const sl_setting loss_settings[] = {
    SL_SETTING(SL_SET_STRING, "type", NULL, NULL, SL_REQUIRED,
               "the loss component"),
};

static const sl_setting optimizer_settings[] = {
    SL_SETTING(SL_SET_STRING, "type", NULL, NULL, SL_REQUIRED,
               "the optimizer component (a gradient optimizer or a local "
               "learning rule)"),
};

static const sl_setting backend_settings[] = {
    SL_SETTING(SL_SET_STRING, "type", "sim", NULL, SL_ANY,
               "the backend component"),
};

static const sl_setting export_settings[] = {
    SL_SETTING(SL_SET_STRING, "type", NULL, NULL, SL_REQUIRED,
               "the exporter (a backend that exports, e.g. dynapse2)"),
    SL_SETTING(SL_SET_BOOL, "evaluate", "true", NULL, SL_ANY,
               "also evaluate the exported (quantised) network"),
};

static const sl_setting simulate_settings[] = {
    SL_SETTING(SL_SET_FLOAT, "duration", NULL, "s", SL_GT(0),
               "simulated time; round(duration/dt) steps (required)"),
    SL_SETTING(SL_SET_FLOAT, "dt", "1e-3", "s", SL_GT(0), "time step"),
    SL_SETTING(SL_SET_BOOL, "record", "true", NULL, SL_ANY,
               "store every probe as a trace (probes/NAME.npy, float32); "
               "summaries and results are recorded either way"),
};

static const sl_setting model_settings[] = {
    SL_SETTING(SL_SET_STRING, "type", NULL, NULL, SL_REQUIRED,
               "the model component (offers sl.simulate.v1)"),
};

const sl__section sl__sections[SL__SEC_COUNT] = {
    [SL__SEC_ROOT] = {"", "top level", root_settings, COUNT(root_settings),
                      0},
    [SL__SEC_NETWORK] = {"network", "the network", network_settings,
                         COUNT(network_settings), 0},
    [SL__SEC_TRAIN] = {"train", "the training schedule", train_settings,
                       COUNT(train_settings), 0},
    [SL__SEC_EVALUATE] = {"evaluate.N", "each evaluation",
                          evaluate_settings, COUNT(evaluate_settings), 0},
    [SL__SEC_TEACHER] = {"teacher", "targets made by the network",
                         teacher_settings, COUNT(teacher_settings), 0},
    [SL__SEC_LAYER] = {"network.layers.N", "keys of every layer",
                       layer_settings, COUNT(layer_settings),
                       SL_KIND_NEURON},
    [SL__SEC_DATASET] = {"data.NAME", "keys of every dataset",
                         dataset_settings, COUNT(dataset_settings),
                         SL_KIND_DATASET},
    [SL__SEC_LOSS] = {"loss", "keys of the loss", loss_settings,
                      COUNT(loss_settings), SL_KIND_LOSS},
    [SL__SEC_OPTIMIZER] = {"optimizer", "keys of the optimizer",
                           optimizer_settings, COUNT(optimizer_settings),
                           SL_KIND_OPTIMIZER},
    [SL__SEC_BACKEND] = {"backend", "keys of the backend", backend_settings,
                         COUNT(backend_settings), SL_KIND_BACKEND},
    [SL__SEC_EXPORT] = {"export", "keys of the export section",
                        export_settings, COUNT(export_settings),
                        SL_KIND_BACKEND},
    [SL__SEC_SIMULATE] = {"simulate", "the simulate mode",
                          simulate_settings, COUNT(simulate_settings), 0},
    [SL__SEC_MODEL] = {"model", "keys of the model (simulate mode)",
                       model_settings, COUNT(model_settings),
                       SL_KIND_BACKEND},
};

int sl__declare_section(sl__config *cfg, sl__setting *group,
                        sl__section_id id)
{
    const sl__section *sec = &sl__sections[id];
    static const char *owners[SL__SEC_COUNT] = {
        [SL__SEC_ROOT] = "the top level",
        [SL__SEC_NETWORK] = "section 'network'",
        [SL__SEC_TRAIN] = "section 'train'",
        [SL__SEC_EVALUATE] = "each 'evaluate' entry",
        [SL__SEC_TEACHER] = "section 'teacher'",
        [SL__SEC_LAYER] = "a layer",
        [SL__SEC_DATASET] = "a dataset",
        [SL__SEC_LOSS] = "section 'loss'",
        [SL__SEC_OPTIMIZER] = "section 'optimizer'",
        [SL__SEC_BACKEND] = "section 'backend'",
        [SL__SEC_EXPORT] = "section 'export'",
        [SL__SEC_SIMULATE] = "section 'simulate'",
        [SL__SEC_MODEL] = "section 'model'",
    };
    sl__decl d = {owners[id], sec->table, sec->n, NULL, 0, 0};
    return sl__config_declare(cfg, group, &d);
}

int sl__declare_component(sl__config *cfg, sl__setting *group,
                          sl__section_id id, const sl__entry *entry)
{
    const sl__section *sec = &sl__sections[id];
    /* the owner names the component; entries live as long as the registry,
     * which outlives the configuration's checks */
    sl__decl d = {entry->comp->name, entry->settings, entry->n_settings,
                  sec->table, sec->n, 1};
    return sl__config_declare(cfg, group, &d);
}
