/*
 * plugins/lifevent/lifevent.h — what lifevent.so's files share: the
 * component interfaces (prefix lev__). Internal to the plugin.
 */
#ifndef LIFEVENT_LIFEVENT_H
#define LIFEVENT_LIFEVENT_H

#include "spikelab/spikelab.h"

extern const sl_neuron_iface lev__layer_iface;
extern const sl_loss_iface lev__ttfs_mse_iface;
extern const sl_loss_iface lev__ttfs_ce_iface;

#endif
