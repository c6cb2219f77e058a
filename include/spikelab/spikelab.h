/*
 * spikelab/spikelab.h — umbrella header: everything a plugin needs.
 * Build a plugin with `pkg-config --cflags spikelab`; it needs no library,
 * since the core hands it the host table (sl_host) at init.
 * A program that embeds spikelab (runs experiments, reads run databases)
 * includes spikelab/session.h and spikelab/rundb.h instead and links
 * with `pkg-config --libs spikelab`; they are not part of this header,
 * so a plugin cannot call into the library by accident.
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
#include "events.h"
#include "deploy.h"
#include "state.h"

#endif
