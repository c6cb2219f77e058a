/* core/engine/checkpoint.h — the training state of an experiment as one
 * byte image (train.checkpoint_every; `spikelab resume`).
 *
 * What a checkpoint after epoch E holds, and why that is all:
 *   - every parameter tensor of every layer (the clean weights when
 *     train.mismatch is on), by layer name and parameter name;
 *   - the state of the optimizer (Adam's moments and step count), of the
 *     backend (a chip emulator's noise generator) and of any layer that
 *     offers one, through include/spikelab/state.h;
 *   - E.
 * The rest is a function of (configuration, seed, E) and is rebuilt, not
 * stored: the datasets (generated again at load), the sample order and
 * the mismatch draws (train.c replays them up to E), the streams every
 * component derives at creation. A component whose state matters but who
 * cannot save it is refused before the run starts (sl__checkpoint_check).
 *
 * Image (byte order of the host that wrote it; the header says which, and
 * another order is refused rather than misread):
 *   "SLCKPT\x01\x00"  magic and format version 1
 *   u32 0x01020304    byte-order mark
 *   i64 E
 *   entries to the end: u32 name length, name bytes (no NUL),
 *                       u64 data length, data bytes
 * Entry names: "param/LAYER/PARAM" (float32 values), "state/optimizer",
 * "state/backend", "state/layer/LAYER". */
#ifndef SL_CORE_CHECKPOINT_H
#define SL_CORE_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include "engine/experiment.h"
#include "engine/train.h"

/* Can this experiment's state be saved? SL_ECONFIG naming the optimizer
 * or backend that keeps state it cannot save (no SL_EXT_STATE). */
int sl__checkpoint_check(sl__experiment *exp, sl__err *err);

/* The image of exp's state after `epoch` (the parameters as they are now)
 * into *out (malloc'd, owned by the caller). */
int sl__checkpoint_encode(sl__experiment *exp, int64_t epoch, void **out,
                          size_t *size, sl__err *err);

/* Encode and hand the image to hooks->on_checkpoint (train.c). */
int sl__checkpoint_emit(sl__experiment *exp, int64_t epoch,
                        const sl__hooks *hooks, sl__err *err);

/* Walk an image: *epoch, then cb once per entry (name not NUL-terminated:
 * name_len bytes; data borrowed). SL_EDATA with what is wrong for an
 * image that is not one (bad magic, another byte order, an entry past
 * the end); a non-zero return of cb is returned as is. The decoder of
 * outside input (the database's bytes): tests/fuzz/fuzz_checkpoint.c. */
int sl__checkpoint_parse(const void *image, size_t size, int64_t *epoch,
                         int (*cb)(void *user, const char *name,
                                   size_t name_len, const void *data,
                                   size_t len),
                         void *user, sl__err *err);

/* Put the state of an image into exp (loaded from the same configuration,
 * teacher done): parameters, component states, exp->start_epoch. Every
 * tensor and state must be there with its size, and nothing else
 * (SL_EDATA naming each mismatch: a checkpoint of another network). */
int sl__checkpoint_restore(sl__experiment *exp, const void *image,
                           size_t size, sl__err *err);

#endif
