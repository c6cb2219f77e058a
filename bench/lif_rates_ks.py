#!/usr/bin/env python3
"""Workload 1: do spikelab and Brian2 give the same rates?  For each seed,
one process at a time:

  brian2        Brian2's script (../shared/peers/brian2_lif_net.py, cython
                target) in a child process that also saves the per-neuron
                spike counts and the connectivity it drew;
  spikelab      experiments/balanced_lif.cfg, float64 state: spikelab's
                own network (its own random numbers) of that seed;
  spikelab-b2net  the same file on Brian2's network of that seed (the
                child's connectivity through connect.rule = "file"); v(0)
                and the Poisson input remain spikelab's own;
  spikelab-f32  (with --f32) spikelab's own network, float32 state.

The networks differ by seed, and at N = 1,000 one network's rate varies
by tens of per cent between seeds, so the comparison is over seeds:

* the mean over seeds of each side's mean rate (with its standard error)
  and of the mean CV of the inter-spike intervals (neurons with >= 3
  spikes, as the peer's script);
* Welch's t-test of the per-seed mean rates (scipy.stats.ttest_ind,
  equal_var=False): spikelab's own networks against Brian2's;
* the paired t-test (scipy.stats.ttest_rel) of spikelab-b2net against
  Brian2 on the same networks: whether the dynamics differ where the
  connectivity is the same;
* two-sample Kolmogorov-Smirnov tests (scipy.stats.ks_2samp, Debian's
  python3-scipy) over the per-neuron rates: (a) all seeds' neurons pooled,
  with scipy's p (which takes the neurons as independent) and with p from
  permutations of whole networks between the sides (valid: the neurons of
  one network share its mean rate); (b) per seed (the median p and how
  many seeds give p < 0.05; meaningful only on the same network).

    /usr/bin/python3 bench/lif_rates_ks.py N [SEED ...] [--f32]  (default 1..10)

Run from anywhere in a build tree; one process at a time (for a shared
machine). It prints the load average at the start and the end, a line per
seed, the table and, last, the headline: N, seeds, the mean rates of
spikelab and Brian2, their ratio, Welch's p and the pooled KS test.
"""
import io
import os
import sqlite3
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

argv = [a for a in sys.argv[1:] if not a.startswith('--')]
f32 = '--f32' in sys.argv[1:]
N = int(argv[0]) if argv else 10000
seeds = [int(s) for s in argv[1:]] or list(range(1, 11))
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
peer = os.environ.get('PEER', '/work/shared/peers/brian2_lif_net.py')
py = os.environ.get('PYTHON', '/usr/bin/python3')

env = dict(os.environ)
env['SPIKELAB_PLUGIN_PATH'] = ':'.join(
    os.path.join(top, 'plugins', d, '.libs')
    for d in sorted(os.listdir(os.path.join(top, 'plugins')))
    if os.path.isdir(os.path.join(top, 'plugins', d, '.libs')))

# runs the peer's script unchanged and keeps what it computed: the
# per-neuron counts, its CV, and the connectivity it drew (pre[j K ..
# (j+1) K) are the sources of target j) as sparse.so's index files
CHILD = r'''
import io, os, runpy, sys
import numpy as np
peer, N, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sys.argv = [peer, '--N', str(N), '--target', 'cython', '--seed', seed]
keep = sys.stdout
sys.stdout = io.StringIO()
g = runpy.run_path(peer, run_name='__main__')
sys.stdout = keep
np.save(os.path.join(out, 'counts.npy'),
        np.bincount(np.asarray(g['si']), minlength=N))
K = g['K']
np.save(os.path.join(out, 'indptr.npy'),
        np.arange(0, N * K + 1, K, dtype=np.int64))
np.save(os.path.join(out, 'indices.npy'), np.asarray(g['pre'], np.int32))
print(g['res']['cv_isi_mean'])
'''


def loadavg():
    with open('/proc/loadavg') as f:
        return ' '.join(f.read().split()[:3])


def spikelab(seed, precision, net=None):
    ne = (8 * N + 5) // 10
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, 'runs.db')
        cmd = [os.path.join(top, 'core', 'spikelab'), 'run',
               os.path.join(top, 'experiments', 'balanced_lif.cfg'),
               'seed=%d' % seed, 'model.n=%d' % N,
               'model.populations.E.to=%d' % ne,
               'model.populations.I.from=%d' % ne,
               'model.populations.I.to=%d' % N,
               'model.precision="%s"' % precision,
               'model.record.spikes=0', '--db', db, '--quiet']
        if net:
            cmd += ['model.connect.rule="file"',
                    'model.connect.indptr="%s"' % os.path.join(net,
                                                               'indptr.npy'),
                    'model.connect.indices="%s"' % os.path.join(
                        net, 'indices.npy')]
        subprocess.run(cmd, check=True, env=env, stdout=subprocess.DEVNULL)
        con = sqlite3.connect(db)
        blob, = con.execute("select data from artifacts where name = "
                            "'spikes/count.npy'").fetchone()
        cv, = con.execute("select value from results where name = "
                          "'cv_isi_mean'").fetchone()
        con.close()
    return np.load(io.BytesIO(blob)).astype(float), cv


def brian2(seed, d):
    r = subprocess.run([py, '-c', CHILD, peer, str(N), str(seed), d],
                       check=True, capture_output=True, text=True)
    return (np.load(os.path.join(d, 'counts.npy')).astype(float),
            float(r.stdout.split()[-1]))


names = ['brian2', 'spikelab', 'spikelab-b2net'] + (['spikelab-f32']
                                                    if f32 else [])
sides = {k: [] for k in names}
print('load average at the start: %s' % loadavg(), flush=True)
for s in seeds:
    with tempfile.TemporaryDirectory() as d:
        row = {'brian2': brian2(s, d)}
        row['spikelab'] = spikelab(s, 'float64')
        row['spikelab-b2net'] = spikelab(s, 'float64', d)
        if f32:
            row['spikelab-f32'] = spikelab(s, 'float32')
    print('seed %d: ' % s + ', '.join(
        '%s %.3f Hz cv %.3f' % (k, v[0].mean(), v[1]) for k, v in row.items()),
        flush=True)
    for k, v in row.items():
        sides[k].append(v)

PERMS = 1000


def ks_d(ha, hb):
    """KS statistic of two samples of spike counts given as histograms
    over the counts 0, 1, ... (the counts are integers, so the largest
    distance of the two empirical cdfs is at one of them): exact, and
    cheap enough for 1,000 permutations of 10^5 neurons."""
    return np.abs(np.cumsum(ha) / ha.sum() - np.cumsum(hb) / hb.sum()).max()


def ks_perm(xa, xb, paired):
    """KS statistic D of the pooled per-neuron rates of two lists of
    networks, and its p-value under exchangeable networks: the networks'
    labels permuted (paired: swapped within each seed), the neurons of a
    network kept together."""
    ca, cb = [c for c, _ in xa], [c for c, _ in xb]
    top = int(max(c.max() for c in ca + cb)) + 1
    ha = [np.bincount(c.astype(np.int64), minlength=top) for c in ca]
    hb = [np.bincount(c.astype(np.int64), minlength=top) for c in cb]
    d0 = ks_d(sum(ha), sum(hb))
    nets = ha + hb
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(PERMS):
        if paired:
            sw = rng.random(len(ha)) < 0.5
            pa = [b if s else a for a, b, s in zip(ha, hb, sw)]
            pb = [a if s else b for a, b, s in zip(ha, hb, sw)]
        else:
            o = rng.permutation(len(nets))
            pa = [nets[i] for i in o[:len(ha)]]
            pb = [nets[i] for i in o[len(ha):]]
        hits += ks_d(sum(pa), sum(pb)) >= d0 - 1e-12
    return (1 + hits) / (1 + PERMS)


save = os.environ.get('SAVE')
if save:  # the raw per-seed counts, for analyses after the run
    np.savez(save, seeds=np.array(seeds), **{
        k.replace('-', '_') + '_%d' % s: c for k, v in sides.items()
        for s, (c, _) in zip(seeds, v)}, **{
        k.replace('-', '_') + '_cv': np.array([cv for _, cv in v])
        for k, v in sides.items()})
mean = {k: np.array([c.mean() for c, _ in v]) for k, v in sides.items()}
cvs = {k: np.array([cv for _, cv in v]) for k, v in sides.items()}
pooled = {k: np.concatenate([c for c, _ in v]) for k, v in sides.items()}
n = len(seeds)
print()
print('N = %d, %d seeds (%s), float64 unless named; rates in Hz' %
      (N, n, ' '.join(map(str, seeds))))
print('%-15s %8s %7s %7s %7s %8s' % ('side', 'rate', 's.e.', 'min', 'max',
                                      'CV ISI'))
for k in names:
    r = mean[k]
    print('%-15s %8.3f %7.3f %7.3f %7.3f %8.3f' %
          (k, r.mean(), r.std(ddof=1) / np.sqrt(n) if n > 1 else 0,
           r.min(), r.max(), cvs[k].mean()))
print()
print('%-30s %9s %9s %10s %10s %10s %11s' % (
    'comparison', 'rate diff', 'Welch p', 'paired p', 'KS pooled',
    'KS perm.', 'KS per seed'))
pairs = [('spikelab', 'brian2'), ('spikelab-b2net', 'brian2'),
         ('spikelab', 'spikelab-b2net')]
if f32:
    pairs += [('spikelab-f32', 'brian2'), ('spikelab-f32', 'spikelab')]
res = {}
for a, b in pairs:
    w = stats.ttest_ind(mean[a], mean[b], equal_var=False).pvalue \
        if n > 1 else float('nan')
    # the paired test only where the two ran the same network
    pr = stats.ttest_rel(mean[a], mean[b]).pvalue \
        if n > 1 and {a, b} == {'spikelab-b2net', 'brian2'} else None
    ks = stats.ks_2samp(pooled[a], pooled[b])
    per = [stats.ks_2samp(x[0], y[0]).pvalue
           for x, y in zip(sides[a], sides[b])]
    kp = ks_perm(sides[a], sides[b], {a, b} == {'spikelab-b2net', 'brian2'})
    res[(a, b)] = (w, ks, kp)
    print('%-30s %+8.1f%% %9.3g %10s %10s %10s %11s' % (
        a + ' vs ' + b, 100 * (mean[a].mean() / mean[b].mean() - 1), w,
        '%.3g' % pr if pr is not None else '-',
        'p %.3g' % ks.pvalue, 'p %.3g' % kp,
        '%.2g (%d/%d)' % (np.median(per), sum(p < 0.05 for p in per), n)))
print('KS pooled: the per-neuron rates of all seeds pooled, scipy\'s p, '
      'which takes the neurons as independent; KS perm.: the same D with p '
      'from %d permutations of whole networks between the sides (within '
      'each seed where both ran the same network): neurons of one network '
      'share its mean rate, so only this p is valid over seeds; KS per '
      'seed: the median p of the per-seed tests, and in brackets how many '
      'seeds give p < 0.05 (different networks differ, so only meaningful '
      'on the same network)' % PERMS)
print('load average at the end: %s' % loadavg())
w, ks, kp = res[('spikelab', 'brian2')]
a, b = mean['spikelab'].mean(), mean['brian2'].mean()
print('N = %d, %d seeds: spikelab %.3f Hz, Brian2 %.3f Hz (%+.1f %%), '
      'Welch p = %.3g; per-neuron rates pooled, KS D = %.4f, p = %.3g '
      '(networks permuted)' %
      (N, n, a, b, 100 * (a / b - 1), w, ks.statistic, kp))
