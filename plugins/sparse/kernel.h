/* plugins/sparse/kernel.h — the network (state, connectivity, threads)
 * and its time loop; the model is described in sparse.h. */
#ifndef SPARSE_KERNEL_H
#define SPARSE_KERNEL_H

#include "sparse.h"

/* What a run produced, borrowed from the network (valid until the next
 * sp_net_run or sp_net_free). */
typedef struct sp_net_view {
    uint32_t n;
    uint64_t steps; /* run so far */
    double dt;
    const uint32_t *cnt;     /* [n] spikes per neuron */
    const int64_t *s1;       /* [n] sum of inter-spike intervals (steps) */
    const double *s2;        /* [n] sum of their squares */
    const int32_t *ev;       /* [n_ev][2] (neuron, step) */
    uint64_t n_ev;
    const int32_t *per_step; /* [steps] spikes of all neurons per step */
    uint64_t rec_events;     /* recurrent synaptic events delivered */
    uint64_t nnz;            /* synapses */
    uint64_t conn_bytes;     /* memory of the connectivity */
    int threads;
} sp_net_view;

/* Build the network of p for `steps` steps of dt seconds from `seed`
 * (the run seed): connectivity, initial state, external input, threads.
 * p->state_idx and p->file_* are borrowed and must outlive the network.
 * *out owned by the caller (sp_net_free). 0; -1 without memory; -2 with
 * msg (an impossible parameter, a recording over the budget). */
int sp_net_new(const sp_params *p, double dt, uint64_t steps, uint64_t seed,
               sp_net **out, char *msg, size_t msg_len);
/* 0 when the recording of p over `steps` steps of dt fits
 * p->budget_mb, else -2 with msg giving the figure. */
int sp_budget(const sp_params *p, double dt, uint64_t steps, char *msg,
              size_t msg_len);
/* Advance n steps (the caller keeps within the steps built for); out
 * NULL or out[0], out[1]: n rows of the state probes' v and I. */
void sp_net_run(sp_net *s, uint64_t n, double *const *out);
void sp_net_info(const sp_net *s, sp_net_view *out);
void sp_net_free(sp_net *s);

#endif
