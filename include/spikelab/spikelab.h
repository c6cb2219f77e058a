/*
 * spikelab/spikelab.h — umbrella header: everything a plugin needs.
 * Build a plugin with `pkg-config --cflags spikelab`; it needs no library,
 * since the core hands it the host table (sl_host) at init.
 */
#ifndef SPIKELAB_SPIKELAB_H
#define SPIKELAB_SPIKELAB_H

#include "abi.h"
#include "plugin.h"
#include "neuron.h"
#include "loss.h"
#include "optimizer.h"
#include "dataset.h"
#include "backend.h"
#include "hil.h"
#include "deploy.h"

#endif
