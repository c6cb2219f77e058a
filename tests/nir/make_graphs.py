#!/usr/bin/python3
"""Write NIR graphs the way NIR's own nir.write() lays them out (h5py;
nir/serialization.py: /version, /node with type, nodes/NAME/..., edges as
variable-length strings [n][2], numbers as NumPy arrays), for the tests:
graphs other tools write, one spikelab cannot map, and broken files.
Usage: make_graphs.py OUTDIR"""
import os
import sys

import h5py
import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(1)
S = h5py.string_dtype()


def node(g, name, typ, **fields):
    n = g.create_group(name)
    n.create_dataset("type", data=typ, dtype=S)
    for k, v in fields.items():
        if isinstance(v, str):
            n.create_dataset(k, data=v, dtype=S)
        else:
            a = np.asarray(v)
            # as nir.write(): arrays gzip-compressed, Python scalars plain
            n.create_dataset(k, data=a, compression="gzip" if a.ndim else None)
    return n


def graph(path, build, edges, version="1.0"):
    with h5py.File(path, "w") as f:
        f.create_dataset("version", data=version, dtype=S)
        top = f.create_group("node")
        top.create_dataset("type", data="NIRGraph", dtype=S)
        nodes = top.create_group("nodes")
        build(nodes)
        top.create_dataset("edges", data=edges)


f32 = np.float32


def cubalif(nodes, tau_syn=None, tau_mem=None):
    n = 4
    node(nodes, "input", "Input", shape=np.array([3]))
    node(nodes, "fc", "Affine", weight=rng.normal(0, 1, (n, 3)).astype(f32),
         bias=rng.normal(0, 0.1, n).astype(f32))
    node(nodes, "lif", "CubaLIF",
         tau_syn=np.full(n, 5e-3 if tau_syn is None else tau_syn, f32),
         tau_mem=np.full(n, 1e-2, f32) if tau_mem is None else tau_mem,
         r=np.full(n, 2.0, f32), v_leak=np.zeros(n, f32),
         v_threshold=np.full(n, 0.5, f32), v_reset=np.zeros(n, f32),
         w_in=np.linspace(0.5, 1.5, n).astype(f32))
    node(nodes, "rec", "Affine",
         weight=rng.normal(0, 0.3, (n, n)).astype(f32),
         bias=np.zeros(n, f32))
    node(nodes, "out_fc", "Linear",
         weight=rng.normal(0, 1, (2, n)).astype(f32))
    node(nodes, "li", "LI", tau=np.full(2, 2e-2, f32), r=np.ones(2, f32),
         v_leak=np.zeros(2, f32))
    node(nodes, "output", "Output", shape=np.array([2]))


CUBA_EDGES = [("input", "fc"), ("fc", "lif"), ("lif", "rec"), ("rec", "lif"),
              ("lif", "out_fc"), ("out_fc", "li"), ("li", "output")]
graph(os.path.join(out, "cubalif_rec.nir"), cubalif, CUBA_EDGES)


def conv(nodes):
    node(nodes, "input", "Input", shape=np.array([1, 6, 6]))
    node(nodes, "conv", "Conv2d", input_shape=np.array([6, 6]),
         weight=rng.normal(0, 1, (2, 1, 3, 3)).astype(f32),
         stride=np.array([1, 1]), padding=np.array([1, 1]),
         dilation=np.array([1, 1]), groups=1,
         bias=rng.normal(0, 0.1, 2).astype(f32))
    node(nodes, "if1", "IF", r=np.ones((2, 6, 6), f32),
         v_threshold=np.ones((2, 6, 6), f32), v_reset=np.zeros((2, 6, 6), f32))
    node(nodes, "pool", "SumPool2d", kernel_size=np.array([2, 2]),
         stride=np.array([2, 2]), padding=np.array([0, 0]))
    node(nodes, "flat", "Flatten", start_dim=0, end_dim=-1,
         input_type=np.array([2, 3, 3]))
    node(nodes, "fc", "Affine", weight=rng.normal(0, 1, (3, 18)).astype(f32),
         bias=np.zeros(3, f32))
    node(nodes, "if2", "IF", r=np.full(3, 0.5, f32),
         v_threshold=np.ones(3, f32), v_reset=np.zeros(3, f32))
    node(nodes, "output", "Output", shape=np.array([3]))


graph(os.path.join(out, "conv.nir"), conv,
      [("input", "conv"), ("conv", "if1"), ("if1", "pool"), ("pool", "flat"),
       ("flat", "fc"), ("fc", "if2"), ("if2", "output")])


# for the reference check (tests/nir/reference.py): an identity Linear
# first, so that the run's traces hold the input spikes, then the
# CubaLIF + recurrence + LI graph with weights that make it spike
def cubalif_ref(nodes):
    cubalif(nodes)
    node(nodes, "inp", "Linear", weight=np.eye(3, dtype=f32))
    del nodes["fc"]["weight"]
    nodes["fc"].create_dataset("weight",
                               data=rng.normal(1.5, 1.0, (4, 3)).astype(f32))


graph(os.path.join(out, "cubalif_ref.nir"), cubalif_ref,
      [("input", "inp"), ("inp", "fc")] + CUBA_EDGES[1:])


# a nested graph: input -> sub(Affine -> LIF) -> output
def nested(nodes):
    node(nodes, "input", "Input", shape=np.array([2]))
    sub = nodes.create_group("block")
    sub.create_dataset("type", data="NIRGraph", dtype=S)
    sn = sub.create_group("nodes")
    node(sn, "input", "Input", shape=np.array([2]))
    node(sn, "fc", "Affine", weight=np.eye(2, dtype=f32) * 3, bias=np.zeros(2, f32))
    node(sn, "lif", "LIF", tau=np.full(2, 1e-2), r=np.ones(2), v_leak=np.zeros(2),
         v_threshold=np.ones(2), v_reset=np.zeros(2))
    node(sn, "output", "Output", shape=np.array([2]))
    sub.create_dataset("edges", data=[("input", "fc"), ("fc", "lif"),
                                      ("lif", "output")])
    node(nodes, "output", "Output", shape=np.array([2]))


graph(os.path.join(out, "nested.nir"), nested,
      [("input", "block"), ("block", "output")])


# unmappable: the input branches into two Affine nodes
def branch(nodes):
    node(nodes, "input", "Input", shape=np.array([2]))
    node(nodes, "a", "Linear", weight=np.eye(2, dtype=f32))
    node(nodes, "b", "Linear", weight=np.eye(2, dtype=f32))
    node(nodes, "output", "Output", shape=np.array([2]))


graph(os.path.join(out, "branch.nir"), branch,
      [("input", "a"), ("input", "b"), ("a", "output"), ("b", "output")])

# per-neuron tau: refused (lif takes one tau per layer)
graph(os.path.join(out, "pertau.nir"),
      lambda n: cubalif(n, tau_mem=np.array([1e-2, 2e-2, 1e-2, 1e-2], f32)),
      CUBA_EDGES)
# bad values
graph(os.path.join(out, "negtau.nir"), lambda n: cubalif(n, tau_syn=-5e-3),
      CUBA_EDGES)
graph(os.path.join(out, "nan.nir"), lambda n: cubalif(n, tau_syn=np.nan),
      CUBA_EDGES)


def missing(nodes):
    cubalif(nodes)
    del nodes["lif"]["v_threshold"]


graph(os.path.join(out, "missing.nir"), missing, CUBA_EDGES)


def unknown(nodes):
    cubalif(nodes)
    del nodes["li"]["type"]
    nodes["li"].create_dataset("type", data="Spiker", dtype=S)


graph(os.path.join(out, "unknown.nir"), unknown, CUBA_EDGES)
graph(os.path.join(out, "dangling.nir"), cubalif,
      CUBA_EDGES + [("li", "nowhere")])


def wrongshape(nodes):
    cubalif(nodes)
    del nodes["fc"]["bias"]
    nodes["fc"].create_dataset("bias", data=np.zeros(7, f32))


graph(os.path.join(out, "wrongshape.nir"), wrongshape, CUBA_EDGES)
with open(os.path.join(out, "cubalif_rec.nir"), "rb") as f:
    data = f.read()
with open(os.path.join(out, "truncated.nir"), "wb") as f:
    f.write(data[: len(data) // 2])
with open(os.path.join(out, "corrupt.nir"), "wb") as f:
    f.write(data[:8] + bytes(64) + data[72:])
with open(os.path.join(out, "text.nir"), "w") as f:
    f.write("not hdf5\n")
