"""The two NEF demos of spikelab's experiments/pes_channel.cfg and
pavlovian.cfg, written for Nengo's reference simulator (specs/nef.md §9),
for bench/nef_vs_nengo.sh. Prints one line per run:

    nengo DEMO seed S build B run R cpu_build CB cpu_run CR [figures]

with B the seconds of nengo.Simulator(model) (the build) and R of
sim.run(T), wall time, and CB, CR the CPU time of the thread. Nengo is run from a source checkout (NENGO_SRC) with NumPy;
the network seed is the run seed, as in spikelab, so ensembles are the
same ensembles (spikelab draws Nengo's seeds); the channel's white
signal and random initial function use other generators.

    python3 bench/nengo_demos.py {pes_channel|pavlovian} SEED
"""
import os
import sys
import time

sys.path.insert(0, os.environ.get("NENGO_SRC", "/tmp/nengo-src"))
import numpy as np  # noqa: E402
import nengo  # noqa: E402

# Nengo's decoder cache (on by default, ~/.cache/nengo) makes every build
# after the first of a seed read its decoders from disk; NENGO_DECODER_CACHE=0
# turns it off, so that the build solves them as spikelab's does
if os.environ.get("NENGO_DECODER_CACHE", "1") == "0":
    nengo.rc.set("decoder_cache", "enabled", "False")


def channel(seed):
    np.random.seed(seed)
    with nengo.Network(seed=seed) as model:
        stim = nengo.Node(nengo.processes.WhiteSignal(10, high=5, rms=0.5, seed=seed))
        pre = nengo.Ensemble(60, dimensions=1)
        post = nengo.Ensemble(60, dimensions=1)
        error = nengo.Ensemble(60, dimensions=1)
        nengo.Connection(stim, pre)
        conn = nengo.Connection(pre, post, function=lambda x: np.random.random())
        conn.learning_rule_type = nengo.PES()
        nengo.Connection(post, error)
        nengo.Connection(pre, error, transform=-1)
        nengo.Connection(error, conn.learning_rule)
        p_stim = nengo.Probe(stim)
        p_pre = nengo.Probe(pre, synapse=0.01)
        p_post = nengo.Probe(post, synapse=0.01)
        p_err = nengo.Probe(error, synapse=0.03)
    return model, 10.0, (p_stim, p_pre, p_post, p_err)


def conditioning(seed):
    D = 3
    N = D * 100

    def us_stim(t):
        t = t % 3
        if 0.9 < t < 1: return [1, 0, 0]
        if 1.9 < t < 2: return [0, 1, 0]
        if 2.9 < t < 3: return [0, 0, 1]
        return [0, 0, 0]

    def cs_stim(t):
        t = t % 3
        if 0.7 < t < 1: return [0.7, 0, 0.5]
        if 1.7 < t < 2: return [0.6, 0.7, 0.8]
        if 2.7 < t < 3: return [0, 1, 0]
        return [0, 0, 0]

    def stop_learning(t):
        return 0 if 2 < t < 8 else 1

    with nengo.Network(seed=seed) as model:
        us_stim_n = nengo.Node(us_stim)
        cs_stim_n = nengo.Node(cs_stim)
        us = nengo.Ensemble(N, D)
        cs = nengo.Ensemble(N * 2, D * 2)
        nengo.Connection(us_stim_n, us[:D])
        nengo.Connection(cs_stim_n, cs[:D])
        nengo.Connection(cs[:D], cs[D:], synapse=0.2)
        ur = nengo.Ensemble(N, D)
        nengo.Connection(us, ur)
        cr = nengo.Ensemble(N, D)
        learn_conn = nengo.Connection(cs, cr, function=lambda x: [0] * D)
        learn_conn.learning_rule_type = nengo.PES(learning_rate=3e-4)
        error = nengo.Ensemble(N, D)
        nengo.Connection(error, learn_conn.learning_rule)
        nengo.Connection(ur, error, transform=-1)
        nengo.Connection(cr, error, transform=1, synapse=0.1)
        stop = nengo.Node(stop_learning)
        nengo.Connection(stop, error.neurons, transform=-10 * np.ones((N, 1)))
        probes = (nengo.Probe(ur, synapse=0.1), nengo.Probe(cr, synapse=0.1),
                  nengo.Probe(error, synapse=0.01))
    return model, 15.0, probes


def main():
    demo, seed = sys.argv[1], int(sys.argv[2])
    model, T, probes = (channel if demo == "pes_channel" else conditioning)(seed)
    t0, c0 = time.perf_counter(), time.thread_time()
    sim = nengo.Simulator(model, progress_bar=False)
    t1, c1 = time.perf_counter(), time.thread_time()
    with sim:
        sim.run(T)
    t2, c2 = time.perf_counter(), time.thread_time()
    dt = sim.dt
    at = lambda p, t: sim.data[p][int(round(t / dt)) - 1]
    figs = ""
    if demo == "pavlovian":
        ur_p = probes[0]
        urmin = min(at(ur_p, 3 * c + k)[k - 1] for c in range(5) for k in (1, 2, 3))
        # the first step after each US (the last US ends with the run):
        # pavlovian.cfg's criterion (c)
        urnext = min(at(ur_p, min(3 * c + k + dt, T))[k - 1]
                     for c in range(5) for k in (1, 2, 3))
        figs = "ur_min_at_us_end %.6f ur_min_after_us_end %.6f" % (urmin, urnext)
    else:
        _, p_pre, p_post, p_err = probes
        w = lambda a, b: slice(int(round(a / dt)), int(round(b / dt)))
        rms = lambda x: float(np.sqrt(np.mean(x ** 2)))
        d = sim.data[p_post] - sim.data[p_pre]
        figs = "ratio_post_pre %.4f ratio_error %.4f" % (
            rms(d[w(8, 10)]) / rms(d[w(0, 2)]),
            rms(sim.data[p_err][w(8, 10)]) / rms(sim.data[p_err][w(0, 2)]))
    print("nengo %s seed %d build %.4f run %.4f cpu_build %.4f cpu_run %.4f %s"
          % (demo, seed, t1 - t0, t2 - t1, c1 - c0, c2 - c1, figs))


main()
