#!/usr/bin/env python3
"""Workload 1: do spikelab and Brian2 give the same rates?  For each seed,
Brian2's script (../shared/peers/brian2_lif_net.py, cython target, in a
child process that also saves its per-neuron spike counts) and spikelab's
experiments/balanced_lif.cfg with float64 and with float32 state (the
artifact spikes/count.npy) run on the same N. The networks differ by
seed (connectivity, v(0), Poisson input are random, and each side has
its own random numbers), and at N = 1,000 the rate of one network
varies by tens of per cent between seeds, so the comparison is over
seeds: the mean over seeds of each side's mean rate (with its standard
error), Welch's t-test of the per-seed rates, and the two-sample
Kolmogorov-Smirnov test (scipy.stats.ks_2samp, Debian's python3-scipy)
over the per-neuron rates of all seeds pooled, and over the rates
divided by their network's mean (the shape of the distribution; pooled
raw rates also differ when only the per-seed means do).

    /usr/bin/python3 bench/lif_rates_ks.py N [SEED ...]    (default 1..8)

Run from anywhere in a build tree. Last line: N, seeds, mean rates, their
ratio, the KS statistic and p-value of spikelab float64 vs Brian2.
"""
import io
import os
import sqlite3
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

N = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
seeds = [int(s) for s in sys.argv[2:]] or list(range(1, 9))
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
peer = os.environ.get('PEER', '/work/shared/peers/brian2_lif_net.py')
py = os.environ.get('PYTHON', '/usr/bin/python3')

env = dict(os.environ)
env['SPIKELAB_PLUGIN_PATH'] = ':'.join(
    os.path.join(top, 'plugins', d, '.libs')
    for d in sorted(os.listdir(os.path.join(top, 'plugins')))
    if os.path.isdir(os.path.join(top, 'plugins', d, '.libs')))

CHILD = r'''
import io, runpy, sys
import numpy as np
peer, N, seed, out = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sys.argv = [peer, '--N', str(N), '--target', 'cython', '--seed', seed]
keep = sys.stdout
sys.stdout = io.StringIO()
g = runpy.run_path(peer, run_name='__main__')
sys.stdout = keep
np.save(out, np.bincount(np.asarray(g['si']), minlength=N))
print(g['res']['cv_isi_mean'])
'''


def spikelab(seed, precision):
    ne = (8 * N + 5) // 10
    with tempfile.TemporaryDirectory() as d:
        db = os.path.join(d, 'runs.db')
        subprocess.run([os.path.join(top, 'core', 'spikelab'), 'run',
                        os.path.join(top, 'experiments', 'balanced_lif.cfg'),
                        'seed=%d' % seed, 'model.n=%d' % N,
                        'model.populations.E.to=%d' % ne,
                        'model.populations.I.from=%d' % ne,
                        'model.populations.I.to=%d' % N,
                        'model.precision="%s"' % precision,
                        'model.record.spikes=0', '--db', db, '--quiet'],
                       check=True, env=env, stdout=subprocess.DEVNULL)
        con = sqlite3.connect(db)
        blob, = con.execute("select data from artifacts where name = "
                            "'spikes/count.npy'").fetchone()
        cv, = con.execute("select value from results where name = "
                          "'cv_isi_mean'").fetchone()
        con.close()
    return np.load(io.BytesIO(blob)).astype(float), cv


def brian2(seed):
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 'counts.npy')
        r = subprocess.run([py, '-c', CHILD, peer, str(N), str(seed), out],
                           check=True, capture_output=True, text=True)
        return np.load(out).astype(float), float(r.stdout.split()[-1])


sides = {'spikelab-f64': [], 'spikelab-f32': [], 'brian2': []}
for s in seeds:
    row = {'brian2': brian2(s), 'spikelab-f64': spikelab(s, 'float64'),
           'spikelab-f32': spikelab(s, 'float32')}
    print('seed %d: ' % s + ', '.join(
        '%s %.3f Hz cv %.3f' % (k, v[0].mean(), v[1]) for k, v in row.items()),
        flush=True)
    for k, v in row.items():
        sides[k].append(v)
mean = {}
for k, v in sides.items():
    rates = np.array([c.mean() for c, _ in v])
    cvs = np.array([cv for _, cv in v])
    mean[k] = rates
    print('%-13s N %d, %d seeds: mean rate %.3f Hz (s.e. %.3f, min %.3f, '
          'max %.3f), CV ISI %.3f' % (k, N, len(v), rates.mean(),
                                      rates.std(ddof=1) / np.sqrt(len(v))
                                      if len(v) > 1 else 0, rates.min(),
                                      rates.max(), cvs.mean()))
pooled = {k: np.concatenate([c for c, _ in v]) for k, v in sides.items()}
# the shape of the distribution apart from each network's mean rate:
# rates over the network's mean, pooled
shape = {k: np.concatenate([c / c.mean() for c, _ in v if c.mean() > 0])
         for k, v in sides.items()}
res = {}
for a, b in [('spikelab-f64', 'brian2'), ('spikelab-f32', 'brian2'),
             ('spikelab-f32', 'spikelab-f64')]:
    ks = stats.ks_2samp(pooled[a], pooled[b])
    res[(a, b)] = ks
    t = stats.ttest_ind(mean[a], mean[b], equal_var=False) \
        if len(seeds) > 1 else None
    kr = stats.ks_2samp(shape[a], shape[b])
    print('%s vs %s: per-neuron rates pooled, KS D = %.4f, p = %.3g; '
          'rates / network mean pooled, KS D = %.4f, p = %.3g; per-seed '
          'mean rates, Welch t p = %s' %
          (a, b, ks.statistic, ks.pvalue, kr.statistic, kr.pvalue,
           '%.3g' % t.pvalue if t is not None else 'n/a'))
ks = res[('spikelab-f64', 'brian2')]
a, b = mean['spikelab-f64'].mean(), mean['brian2'].mean()
print('N = %d, %d seeds: spikelab %.3f Hz, Brian2 %.3f Hz (%+.1f %%); '
      'per-neuron rates KS D = %.4f, p = %.3g' %
      (N, len(seeds), a, b, 100 * (a / b - 1), ks.statistic, ks.pvalue))
