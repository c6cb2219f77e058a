#!/usr/bin/env python3
"""Workload 1 on one network, many trials on each side: Brian2's network
of SEED (../shared/peers/brian2_lif_net.py: its connectivity and v(0)
from numpy's default_rng(SEED)) run R times by Brian2 (cython) with R
seeds of Brian2's own generator (the Poisson input; trial 0 is the
peer's script unchanged, trial t > 0 calls brian2.seed(SEED + 1000003 t)
instead of brian2.seed(SEED)), and R times by spikelab on the same
connectivity (connect.rule = "file", run seeds 1..R: its own v(0) and
Poisson input), interleaved A B A B, one process at a time. At
N = 1,000 one network's rate varies between trials by several per cent,
so a single trial (peers/README.md quotes trial 0 of seed 12345) is not
the network's rate: this compares the means over trials (Welch's t-test)
and the per-neuron rates of all trials pooled (two-sample KS, scipy's p
and p from permuting whole trials between the sides).

    /usr/bin/python3 bench/lif_same_net.py N [SEED] [R]   (default 12345, 10)

Run from a build tree. Last line: N, SEED, R, the two means, their
ratio, Welch's p.
"""
import io
import os
import sqlite3
import subprocess
import sys
import tempfile

import numpy as np
from scipy import stats

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
SEED = int(sys.argv[2]) if len(sys.argv) > 2 else 12345
R = int(sys.argv[3]) if len(sys.argv) > 3 else 10
top = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
peer = os.environ.get('PEER', '/work/shared/peers/brian2_lif_net.py')
py = os.environ.get('PYTHON', '/usr/bin/python3')
env = dict(os.environ)
env['SPIKELAB_PLUGIN_PATH'] = ':'.join(
    os.path.join(top, 'plugins', d, '.libs')
    for d in sorted(os.listdir(os.path.join(top, 'plugins')))
    if os.path.isdir(os.path.join(top, 'plugins', d, '.libs')))

CHILD = r'''
import io, os, runpy, sys
import numpy as np
import brian2
peer, N, seed, trial, out = (sys.argv[1], int(sys.argv[2]), int(sys.argv[3]),
                             int(sys.argv[4]), sys.argv[5])
if trial:  # another Poisson input on the same network
    orig = brian2.seed
    brian2.seed = lambda s: orig(s + 1000003 * trial)
sys.argv = [peer, '--N', str(N), '--target', 'cython', '--seed', str(seed)]
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


def brian2(trial, d):
    r = subprocess.run([py, '-c', CHILD, peer, str(N), str(SEED), str(trial),
                        d], check=True, capture_output=True, text=True)
    return (np.load(os.path.join(d, 'counts.npy')).astype(float),
            float(r.stdout.split()[-1]))


def spikelab(run_seed, d):
    ne = (8 * N + 5) // 10
    db = os.path.join(d, 'runs.db')
    if os.path.exists(db):
        os.remove(db)
    subprocess.run([os.path.join(top, 'core', 'spikelab'), 'run',
                    os.path.join(top, 'experiments', 'balanced_lif.cfg'),
                    'seed=%d' % run_seed, 'model.n=%d' % N,
                    'model.populations.E.to=%d' % ne,
                    'model.populations.I.from=%d' % ne,
                    'model.populations.I.to=%d' % N,
                    'model.connect.rule="file"',
                    'model.connect.indptr="%s"' % os.path.join(d,
                                                               'indptr.npy'),
                    'model.connect.indices="%s"' % os.path.join(
                        d, 'indices.npy'),
                    'model.record.spikes=0', '--db', db, '--quiet'],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    con = sqlite3.connect(db)
    blob, = con.execute("select data from artifacts where name = "
                        "'spikes/count.npy'").fetchone()
    cv, = con.execute("select value from results where name = "
                      "'cv_isi_mean'").fetchone()
    con.close()
    return np.load(io.BytesIO(blob)).astype(float), cv


print('load average at the start: %s' % loadavg(), flush=True)
side = {'brian2': [], 'spikelab': []}
with tempfile.TemporaryDirectory() as d:
    for t in range(R):
        side['brian2'].append(brian2(t, d))
        side['spikelab'].append(spikelab(t + 1, d))
        print('trial %d: brian2 %.3f Hz cv %.3f, spikelab %.3f Hz cv %.3f' %
              (t, side['brian2'][-1][0].mean(), side['brian2'][-1][1],
               side['spikelab'][-1][0].mean(), side['spikelab'][-1][1]),
              flush=True)
m = {k: np.array([c.mean() for c, _ in v]) for k, v in side.items()}
for k in side:
    print('%-9s N %d, network of seed %d, %d trials: mean rate %.3f Hz '
          '(s.e. %.3f, sd %.3f, min %.3f, max %.3f), CV ISI %.3f' %
          (k, N, SEED, R, m[k].mean(), m[k].std(ddof=1) / np.sqrt(R),
           m[k].std(ddof=1), m[k].min(), m[k].max(),
           np.mean([cv for _, cv in side[k]])))
w = stats.ttest_ind(m['spikelab'], m['brian2'], equal_var=False).pvalue
ca = [c for c, _ in side['spikelab']]
cb = [c for c, _ in side['brian2']]
d0 = stats.ks_2samp(np.concatenate(ca), np.concatenate(cb))
rng = np.random.default_rng(0)
nets, hits, P = ca + cb, 0, 1000
for _ in range(P):
    o = rng.permutation(2 * R)
    hits += stats.ks_2samp(np.concatenate([nets[i] for i in o[:R]]),
                           np.concatenate([nets[i] for i in o[R:]])
                           ).statistic >= d0.statistic
print('per-neuron rates of all trials pooled: KS D = %.4f, scipy p = %.3g '
      '(neurons taken as independent), p = %.3g from %d permutations of '
      'whole trials' % (d0.statistic, d0.pvalue, (1 + hits) / (1 + P), P))
print('load average at the end: %s' % loadavg())
a, b = m['spikelab'].mean(), m['brian2'].mean()
print('N = %d, Brian2 network of seed %d, %d trials each: spikelab %.3f Hz, '
      'Brian2 %.3f Hz (%+.1f %%), Welch p = %.3g' %
      (N, SEED, R, a, b, 100 * (a / b - 1), w))
