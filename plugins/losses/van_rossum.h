/* plugins/losses/van_rossum.h — the "van_rossum" loss interface
 * (van_rossum.c), listed in losses.c's descriptor. */
#ifndef LOSSES_VAN_ROSSUM_H
#define LOSSES_VAN_ROSSUM_H

#include "spikelab/spikelab.h"

extern const sl_loss_iface losses__van_rossum_iface;

#endif
