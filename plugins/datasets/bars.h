/*
 * plugins/datasets/bars.h — the "bars" dataset component of datasets.so
 * (bars.c) as seen from the rest of the plugin.
 */
#ifndef SL_PLUGIN_DATASETS_BARS_H
#define SL_PLUGIN_DATASETS_BARS_H

#include "spikelab/spikelab.h"

/* The component's table (bars.c), listed by datasets.c. */
extern const sl_dataset_iface bars__iface;

#endif
