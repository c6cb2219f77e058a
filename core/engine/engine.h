/* core/engine/engine.h — the engine library's contract: what the rest of
 * the core (api/, the embedding API, and cmd/, the command) may use of
 * the engine. Files outside core/engine/ include this header, never the
 * engine's other headers (tests/includes.sh checks it; unit tests may
 * reach further).
 *
 *   experiment.h  an experiment file → live components, checked up front
 *                 (sl__experiment_load/_free), and its parts: registry,
 *                 network, datasets, loss, optimizer, backend
 *   train.h       training epochs and evaluations (sl__train,
 *                 sl__evaluate_all, hooks for progress and results)
 *   forward.h     where a forward pass runs; the teacher
 *   deploy.h      the `export` section and `export-device` (exporters
 *                 through include/spikelab/deploy.h)
 *   registry.h    the plugin loader (spikelab plugins)
 *   settings.h    the core sections' settings tables (spikelab plugins
 *                 --markdown)
 *   numenv.h      the numeric environment a run records (BLAS and its
 *                 kernel, CPU, compiler)
 *   nirmap.h      NIR graphs onto layers and back (nir import/export)
 *   simulate.h    the simulate mode: a model run over time, its probes
 *   models.h      parameters from files, init_from, record's samples
 *   checkpoint.h  the training state as an image (checkpoints, resume)
 *   datasel.h     data selection (limit, validation split, store), the
 *                 epoch order, fetching samples, the data's identity
 *
 * The engine knows neither the run database nor the command: results,
 * metrics and artifacts leave it through hooks (sl__hooks,
 * sl__export_sink) that the caller records. */
#ifndef SL_ENGINE_ENGINE_H
#define SL_ENGINE_ENGINE_H

#include "engine/experiment.h"
#include "engine/train.h"
#include "engine/forward.h"
#include "engine/deploy.h"
#include "engine/registry.h"
#include "engine/settings.h"
#include "engine/numenv.h"
#include "engine/nirmap.h"
#include "engine/simulate.h"
#include "engine/models.h"
#include "engine/checkpoint.h"
#include "engine/datasel.h"
#include "engine/parallel.h"

#endif
