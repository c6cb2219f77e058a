#!/usr/bin/env python3
"""Workload 1: is sparse.so's fixed in-degree connectivity drawn from the
same distribution as Brian2's script's?  For each seed, the network of
../shared/peers/brian2_lif_net.py (its numpy calls: default_rng(seed), per
target j a choice of K of the N - 1 others, c[c >= j] += 1) and the network
sparse.so draws (bench/sparse_conn_dump, the plugin's own connect.c).
Both must hold exactly K distinct sources per target and no autapse (the
script checks it); then per network: the spread of the out-degrees (all,
excitatory and inhibitory sources), the largest out-degree, the excitatory
inputs per target (mean, spread, smallest; hypergeometric in theory), the
reciprocal pairs, and the correlation of a neuron's out-degree with its
excitatory inputs. Each statistic over the seeds: mean and sd per side,
Welch's t-test and the two-sample KS test (scipy) of the per-network
values; and the pooled per-neuron excitatory inputs and out-degrees.

    /usr/bin/python3 bench/lif_conn_stats.py N [SEEDS]    (default 1000 200)

Run from a build tree (after make). Last line: N, seeds, the smallest
Welch p over the statistics (with a Bonferroni bound).
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
S = int(sys.argv[2]) if len(sys.argv) > 2 else 200
K = 100
NE = int(round(0.8 * N))
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
dump = os.path.join(top, 'bench', 'sparse_conn_dump')


def brian2(seed):
    rng = np.random.default_rng(seed)
    pre = np.empty(N * K, np.int64)
    for j in range(N):
        c = rng.choice(N - 1, size=K, replace=False)
        c[c >= j] += 1
        pre[j * K:(j + 1) * K] = c
    return pre, np.repeat(np.arange(N, dtype=np.int64), K)


def sparse(seed, d):
    out = os.path.join(d, 'pairs.bin')
    subprocess.run([dump, str(N), str(K), str(seed), out], check=True)
    a = np.fromfile(out, np.int32).reshape(-1, 2).astype(np.int64)
    return a[:, 0], a[:, 1]


def feats(pre, post):
    if not (np.all(np.bincount(post, minlength=N) == K) and
            not np.any(pre == post) and
            np.unique(post * N + pre).size == pre.size):
        sys.exit('not K distinct sources per target without autapses')
    od = np.bincount(pre, minlength=N)
    ne = np.bincount(post, weights=(pre < NE), minlength=N)
    key = np.sort(post * N + pre)
    back = pre * N + post
    pos = np.minimum(np.searchsorted(key, back), key.size - 1)
    recip = int((key[pos] == back).sum()) // 2
    return {'outdeg sd': od.std(), 'outdeg sd E': od[:NE].std(),
            'outdeg sd I': od[NE:].std(), 'outdeg max': od.max(),
            'E inputs mean': ne.mean(), 'E inputs sd': ne.std(),
            'E inputs min': ne.min(), 'reciprocal pairs': recip,
            'corr(outdeg, E in)': np.corrcoef(od, ne)[0, 1]}, ne, od


side = {'brian2': ({}, [], []), 'sparse': ({}, [], [])}
with tempfile.TemporaryDirectory() as d:
    for s in range(1, S + 1):
        for name, net in (('brian2', brian2(s)), ('sparse', sparse(s, d))):
            f, ne, od = feats(*net)
            for k, v in f.items():
                side[name][0].setdefault(k, []).append(v)
            side[name][1].append(ne)
            side[name][2].append(od)
print('N = %d, K = %d, N_E = %d, %d networks per side (seeds 1..%d)' %
      (N, K, NE, S, S))
print('%-20s %22s %22s %9s %9s' % ('per network', 'Brian2 (numpy) mean sd',
                                   'sparse.so mean sd', 'Welch p', 'KS p'))
ps = []
for k in side['brian2'][0]:
    a = np.array(side['brian2'][0][k], float)
    b = np.array(side['sparse'][0][k], float)
    w = stats.ttest_ind(a, b, equal_var=False).pvalue
    ps.append(w)
    print('%-20s %12.4f %9.4f %12.4f %9.4f %9.3g %9.3g' %
          (k, a.mean(), a.std(ddof=1), b.mean(), b.std(ddof=1), w,
           stats.ks_2samp(a, b).pvalue))
m = N - 1
hv = K * (NE / m) * (1 - NE / m) * (m - K) / (m - 1)
print('out-degree variance in theory (independent targets, K of N - 1 '
      'each): %.3f' % (m * (K / m) * (1 - K / m)))
print('E inputs variance in theory (hypergeometric, K of N - 1 with N_E '
      'excitatory, about): %.3f' % hv)
for i, nm in ((1, 'E inputs per target'), (2, 'out-degree')):
    a = np.concatenate(side['brian2'][i]).astype(float)
    b = np.concatenate(side['sparse'][i]).astype(float)
    print('%s, all neurons pooled: Brian2 mean %.4f var %.3f, sparse.so '
          'mean %.4f var %.3f' % (nm, a.mean(), a.var(), b.mean(), b.var()))
pmin = min(ps)
print('N = %d, %d networks per side: smallest Welch p over %d statistics '
      '%.3g (Bonferroni %.3g)' % (N, S, len(ps), pmin,
                                   min(1.0, pmin * len(ps))))
