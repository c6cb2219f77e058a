#!/usr/bin/python3
"""Write frozen_noise_cubalif.nir: the network of frozen_noise_lif.cfg
(60 inputs -> 2 recurrent current-based LIF neurons) as a NIR graph, in
the layout NIR's nir.write() gives (h5py), with r = tau_mem/dt and w_in =
tau_syn/dt, the values under which NIR's CubaLIF equations stepped by
explicit Euler are snnTorch's Synaptic neuron (syn <- alpha*syn + input,
mem <- beta*mem + syn), and randomly initialised weights (NumPy seed 7):
a graph made elsewhere, for experiments/nir_finetune.cfg to import and
train.
Usage: make_frozen_noise_graph.py [OUT.nir]"""
import sys

import h5py
import numpy as np

out = sys.argv[1] if len(sys.argv) > 1 else "frozen_noise_cubalif.nir"
dt, tau_mem, tau_syn = 1e-3, 2e-2, 1e-2
rng = np.random.default_rng(7)
S = h5py.string_dtype()
f4 = np.float32


def node(g, name, typ, **fields):
    n = g.create_group(name)
    n.create_dataset("type", data=typ, dtype=S)
    for k, v in fields.items():
        n.create_dataset(k, data=v)


with h5py.File(out, "w", libver="latest") as f:
    f.create_dataset("version", data="1.0", dtype=S)
    top = f.create_group("node")
    top.create_dataset("type", data="NIRGraph", dtype=S)
    nodes = top.create_group("nodes")
    node(nodes, "input", "Input", shape=np.array([60]))
    # Kaiming-uniform weights over r = tau_mem/dt (the membrane gains
    # tau_mem/dt·syn·dt/tau_mem = syn per step: snnTorch's mem += syn)
    gain = tau_mem / dt
    node(nodes, "fc", "Linear",
         weight=(rng.uniform(-1, 1, (2, 60)) * np.sqrt(6 / 60) / gain
                 ).astype(f4))
    node(nodes, "lif", "CubaLIF", tau_mem=np.full(2, tau_mem, f4),
         tau_syn=np.full(2, tau_syn, f4), r=np.full(2, tau_mem / dt, f4),
         v_leak=np.zeros(2, f4), v_threshold=np.full(2, 0.6, f4),
         v_reset=np.zeros(2, f4), w_in=np.full(2, tau_syn / dt, f4))
    node(nodes, "rec", "Linear",
         weight=(rng.uniform(-1, 1, (2, 2)) * np.sqrt(6 / 2) / gain
                 ).astype(f4))
    node(nodes, "output", "Output", shape=np.array([2]))
    top.create_dataset("edges", data=[("input", "fc"), ("fc", "lif"),
                                      ("lif", "rec"), ("rec", "lif"),
                                      ("lif", "output")])
