/* plugins/datasets/bernoulli.h — the "bernoulli" dataset component
 * (bernoulli.c), internal to datasets.so. */
#ifndef SL_PLUGIN_DATASETS_BERNOULLI_H
#define SL_PLUGIN_DATASETS_BERNOULLI_H

#include "spikelab/spikelab.h"

extern const sl_dataset_iface bern__iface;

#endif
