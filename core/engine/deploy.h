/* core/engine/deploy.h — deploying a trained network to a device: the
 * optional `export` section of an experiment and `spikelab export-device`.
 *
 *   export = { type = "dynapse2";      // a backend flagged SL_BACKEND_EXPORTS
 *              evaluate = true;        // re-import and evaluate (core key)
 *              ... };                  // the exporter's own settings
 *
 * The engine talks to the exporter only through the backend interface
 * (xPlace, xExport) and the public extension SL_EXT_DEPLOY
 * (<spikelab/deploy.h>: xQuantise, xRead, xFigures); it knows no exporter
 * by name. At load the exporter is created and placed on the (untrained)
 * network, so a network that cannot fit is refused before training. After
 * training (sl__export_after_run) the configuration is written and handed
 * to the caller as the artifact "device/TYPE.EXT" (kind "device"), the
 * exporter's result figures as results "export_NAME"; when evaluate is
 * true and the exporter can read configurations back, the file is read
 * back into the network — the quantised network as the device would run
 * it — and every evaluation of the experiment is repeated on it, with
 * results "quantised_NAME" printed beside the float ones. The float
 * parameters are restored afterwards.
 *
 * The engine stores nothing itself: whoever records the run receives
 * artifacts and results through sl__export_sink.
 */
#ifndef SL_ENGINE_DEPLOY_H
#define SL_ENGINE_DEPLOY_H

#include <stdio.h>

#include "engine/experiment.h"

typedef struct sl__export sl__export;

/* Where the results of a deployment go. Every callback MAY be NULL (the
 * thing is then dropped); a non-zero return stops the deployment with
 * that status (the callee keeps its own error message). */
typedef struct sl__export_sink {
    void *user;
    /* A result of the run: a number (text NULL), or a short string with
     * value 0 or the number it stands for. name is borrowed for the call. */
    int (*on_result)(void *user, const char *name, double value,
                     const char *text);
    /* The configuration file's bytes, e.g. ("device/dynapse2.json",
     * "device", "application/json", data, size); all borrowed for the
     * call. */
    int (*on_artifact)(void *user, const char *name, const char *kind,
                       const char *mime, const void *data, size_t size);
    /* The float network's result NAME (e.g. "train_frr_0"), to print
     * beside the quantised one: 1 and *value when known, 0 when not. */
    int (*float_result)(void *user, const char *name, double *value);
    FILE *report; /* human-readable report; NULL = none */
} sl__export_sink;

/* Create exp->export_state from the experiment's `export` group (none:
 * NULL, SL_OK) and place the network. Errors name the key. */
int sl__export_load(sl__experiment *exp, sl__err *err);
/* Without an `export` group: an exporter of `type` with default
 * settings (export-device --type). No-op when the experiment has one. */
int sl__export_default(sl__experiment *exp, const char *type, sl__err *err);
void sl__export_free(sl__export *x);

/* The exporter's component name and file name extension ("" for none),
 * borrowed from the plugin; NULL without an exporter. */
const char *sl__export_type(const sl__experiment *exp);
const char *sl__export_file_ext(const sl__experiment *exp);

/* After training (no-op without an export section): write the
 * configuration, hand it to sink->on_artifact and the exporter's result
 * figures to sink->on_result, then, when evaluate is true and the exporter
 * can read back, evaluate the re-imported network (as
 * sl__export_evaluate) and pass export_roundtrip_identical (1/0, when the
 * exporter can quantise). sink may be NULL. */
int sl__export_after_run(sl__experiment *exp, const sl__export_sink *sink,
                         sl__err *err);

/* Read the configuration at path back into the network (the quantised
 * network; label names it in the report, NULL = path), check that it
 * equals quantise(network) bit for bit (*same = 1/0; 1 when the exporter
 * cannot quantise), run every evaluation on it with results
 * "quantised_NAME" passed to sink->on_result and printed to sink->report
 * beside sink->float_result, then restore the float parameters.
 * SL_ENOTSUP when the exporter cannot read configurations back. */
int sl__export_evaluate(sl__experiment *exp, const char *path,
                        const char *label, const sl__export_sink *sink,
                        int *same, sl__err *err);

/* Write the configuration of the network as it is to path and print the
 * exporter's report figures to report (may be NULL). */
int sl__export_write(sl__experiment *exp, const char *path, FILE *report,
                     sl__err *err);

#endif
