/* plugins/superspike/superspike.h — superspike.so's internal declarations:
 * the component interfaces its files define (plugin.c lists them). */
#ifndef SS_SUPERSPIKE_H
#define SS_SUPERSPIKE_H

#include "spikelab/spikelab.h"

extern const sl_optimizer_iface ss__rule_iface;    /* rule.c */
extern const sl_dataset_iface ss__input_iface;     /* input.c */
extern const sl_loss_iface ss__van_rossum_iface;   /* van_rossum.c */

#endif
