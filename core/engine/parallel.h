/* core/engine/parallel.h — a batch split into shards, each run by its own
 * replica of the network's layers, on a small pool of threads; the results
 * are the same bits for any number of threads (ARCHITECTURE.md, "Threads").
 *
 * network.c calls these from sl__network_prepare, _forward, _output and
 * _backward when the network has a sl__par (sl__par_attach) and the batch
 * has more than one shard; nothing else needs to know. */
#ifndef SL_ENGINE_PARALLEL_H
#define SL_ENGINE_PARALLEL_H

#include "engine/network.h"

/* Samples per shard (the last shards of a batch may have one less): the
 * split depends on the batch size only, never on the thread count. */
#define SL__SHARD_SAMPLES 16

/* Shards of a batch of b samples: ceil(b / SL__SHARD_SAMPLES). */
size_t sl__par_shards(size_t b);

/* Give net (built from cfg's group `group` with reg, n_in, seed, as by
 * sl__network_build) a pool of `threads` threads (the caller's included;
 * 0: one per online CPU) and the means to build its replicas. Replicas
 * are built when a batch first needs them. The arguments are borrowed and
 * must outlive net. SL_OK or an error in err. */
int sl__par_attach(sl__network *net, sl__config *cfg, sl__setting *group,
                   const sl__registry *reg, const sl_host *host, size_t n_in,
                   uint64_t seed, int64_t threads, sl__err *err);

/* Threads the pool runs on (the caller's included); 1 without a pool. */
size_t sl__par_threads(const sl__network *net);

/* Stop the pool's threads and free the replicas (sl__network_free). */
void sl__par_free(sl__network *net);

/* The sharded counterparts of network.h's calls (network.c uses them
 * when net->par_active). */
int sl__par_prepare(sl__network *net, size_t batch, size_t time,
                    uint32_t mode, sl__err *err);
int sl__par_forward(sl__network *net, const float *in, sl__err *err);
const float *sl__par_output(const sl__network *net);
int sl__par_backward(sl__network *net, const float *dout, sl__err *err);

#endif
