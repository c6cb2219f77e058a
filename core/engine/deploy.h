/* core/export.h — deploying a trained network to a device: the optional
 * `export` section of an experiment and `spikelab export-device`.
 *
 *   export = { type = "dynapse2";      // a backend flagged SL_BACKEND_EXPORTS
 *              evaluate = true;        // re-import and evaluate (core key)
 *              ... };                  // the exporter's own settings
 *
 * At load the exporter is created and placed on the (untrained) network,
 * so a network that cannot fit is refused before training. After
 * training the configuration is written, stored as the run artifact
 * "device/<type>.json" (kind "device"), and, when the exporter offers the
 * "sl.dynapse2.v1" extension and evaluate is true, read back into the
 * network — the quantised network as the chip would run it — and every
 * evaluation of the experiment is repeated on it; its results are stored
 * with the prefix "quantised_" (e.g. quantised_train_frr_0) and printed
 * beside the float ones. The float parameters are restored afterwards.
 */
#ifndef SL_CORE_EXPORT_H
#define SL_CORE_EXPORT_H

#include <stdio.h>

#include "engine/experiment.h"
#include "db/db.h"
#include "engine/train.h"

typedef struct sl__export sl__export;

/* Create exp->export_state from the experiment's `export` group (none:
 * NULL, SL_OK) and place the network. Errors name the key. */
int sl__export_load(sl__experiment *exp, sl__err *err);
/* Without an `export` group: an exporter of `type` with default
 * settings (for export-device). */
int sl__export_default(sl__experiment *exp, const char *type, sl__err *err);
void sl__export_free(sl__export *x);

/* After training (no-op without an export section): export, store the
 * artifact and results, evaluate the re-imported network. */
int sl__export_after_run(sl__experiment *exp, sl__db *db, int64_t run_id,
                         const sl__hooks *hooks, sl__err *err);

/* Read the configuration at path back into the network (the quantised
 * network; label names it in the report, NULL = path), check that it
 * equals quantise(network) bit for bit (*same),
 * run every evaluation on it with results "quantised_NAME" passed to
 * hooks->on_result (hooks may be NULL) and printed to rep beside the
 * float results of run_id found in db (may be NULL), then restore the
 * float parameters. */
struct sqlite3;
int sl__export_evaluate(sl__experiment *exp, const char *path,
                        const char *label, struct sqlite3 *db, int64_t run_id,
                        const sl__hooks *hooks, FILE *rep, int *same,
                        sl__err *err);

/* Write the configuration of the network as it is to path and print a
 * summary (figures of the quantisation) to report (may be NULL). */
int sl__export_write(sl__experiment *exp, const char *path, FILE *report,
                     sl__err *err);


#endif
