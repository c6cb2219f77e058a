/* core/engine/models.h — where a network's parameters come from and where
 * its training state goes, as far as the engine is concerned:
 *
 *   network.layers.N.params = { PARAM = "file.npy"; ... };
 *       any parameter tensor of any layer (the names its xParams lists,
 *       e.g. linear's weight and bias, lif's w_rec) set from a .npy after
 *       the layer is created, shape and dtype checked (util/npy_read.h);
 *       also PARAM = { file = "file.npy"; }. One mechanism in the core for
 *       every layer and plugin, and not the issue's `init = { file = ...;
 *       }`, because `init` is already a setting of some components (the
 *       linear layer's string "kaiming_uniform", ...), and a layer with
 *       several tensors needs to say which one a file is for.
 *   init_from = { run = 42; db = "other.db"; };
 *       every trained parameter of a recorded run, by layer and parameter
 *       name; read from the database by the caller (api/session.c), which
 *       the engine does not know: the engine only reads the settings.
 *   train.checkpoint_every = N   (checkpoint.h)
 *   record = { data = "test"; samples = [0, 5]; };
 *       the samples the recorded traces are of (layers with record = true,
 *       `run --traces`); default the first training sample.
 * Relative paths are relative to the experiment file's directory, as
 * plugin_path and @include are. */
#ifndef SL_CORE_MODELS_H
#define SL_CORE_MODELS_H

#include "engine/experiment.h"

/* Read the settings above and set the parameters given by files. Called
 * by the loader once the network and the optimizer exist; SL_ECONFIG
 * (file:line: key: what is wrong), SL_EDATA / SL_EIO for a bad file. */
int sl__models_load(sl__experiment *exp, sl__err *err);
void sl__models_free(sl__experiment *exp);

/* A parameter of exp by layer name and parameter name; NULL if none. */
sl_param *sl__models_param(sl__experiment *exp, const char *layer,
                           const char *param);

#endif
