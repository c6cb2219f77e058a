#!/usr/bin/python3
"""Check NIR files against NIR's layout with h5py (Debian python3-h5py):
what nir/serialization.py's read() needs of every node (its read_node
reads exactly these datasets), the shapes NIR's node constructors assert
(nir/ir/), and the edges (strings [n][2] naming nodes of the graph).
Usage: check_layout.py FILE.nir...   Exit 0 when every file passes."""
import sys

import h5py
import numpy as np

# the datasets read_node() reads for each type (v_reset, input_shape,
# input_type are optional there)
FIELDS = {
    "Input": ["shape"], "Output": ["shape"],
    "Affine": ["weight", "bias"], "Linear": ["weight"], "Scale": ["scale"],
    "LIF": ["tau", "r", "v_leak", "v_threshold"],
    "CubaLIF": ["tau_mem", "tau_syn", "r", "v_leak", "v_threshold", "w_in"],
    "LI": ["tau", "r", "v_leak"],
    "CubaLI": ["tau_mem", "tau_syn", "r", "v_leak", "w_in"],
    "IF": ["r", "v_threshold"], "I": ["r"], "Threshold": ["threshold"],
    "Conv1d": ["weight", "stride", "padding", "dilation", "groups", "bias"],
    "Conv2d": ["weight", "stride", "padding", "dilation", "groups", "bias"],
    "SumPool2d": ["kernel_size", "stride", "padding"],
    "AvgPool2d": ["kernel_size", "stride", "padding"],
    "Flatten": ["start_dim", "end_dim"], "Delay": ["delay"],
}
NEURON = {"LIF", "CubaLIF", "LI", "CubaLI", "IF", "I"}


def s(x):
    return x.decode() if isinstance(x, bytes) else x


def check_graph(g, where, errs):
    if s(g["type"][()]) != "NIRGraph":
        errs.append(f"{where}: type is not NIRGraph")
        return
    nodes = g["nodes"]
    for name, nd in nodes.items():
        w = f"{where}/{name}"
        t = s(nd["type"][()])
        if t == "NIRGraph":
            check_graph(nd, w, errs)
            continue
        if t not in FIELDS:
            errs.append(f"{w}: unknown type {t}")
            continue
        for k in FIELDS[t]:
            if k not in nd:
                errs.append(f"{w} ({t}): no dataset {k}")
        if errs:
            continue
        if t in ("Affine", "Linear"):
            wt = nd["weight"][()]
            if wt.ndim != 2:
                errs.append(f"{w}: weight is {wt.ndim}-d")
            if t == "Affine" and nd["bias"].shape != (wt.shape[0],):
                errs.append(f"{w}: bias {nd['bias'].shape} vs weight {wt.shape}")
        if t in NEURON:
            shapes = {k: nd[k].shape for k in FIELDS[t]}
            if "v_reset" in nd:
                shapes["v_reset"] = nd["v_reset"].shape
            if len(set(shapes.values())) != 1:
                errs.append(f"{w}: parameter shapes differ {shapes}")
            for k in ("tau", "tau_mem", "tau_syn"):
                if k in nd and not np.all(nd[k][()] > 0):
                    errs.append(f"{w}: {k} not > 0")
        if t in ("Conv1d", "Conv2d"):
            wt = nd["weight"][()]
            want = 3 if t == "Conv1d" else 4
            if wt.ndim != want or nd["bias"].shape != (wt.shape[0],):
                errs.append(f"{w}: weight {wt.shape} bias {nd['bias'].shape}")
            if t == "Conv2d" and nd["stride"].shape != (2,):
                errs.append(f"{w}: stride shape {nd['stride'].shape}")
        if t in ("SumPool2d", "AvgPool2d"):
            for k in FIELDS[t]:
                if nd[k].shape != (2,):
                    errs.append(f"{w}: {k} shape {nd[k].shape}")
        if t in ("Input", "Output"):
            if nd["shape"].ndim != 1:
                errs.append(f"{w}: shape is not a 1-d array")
        for k, v in nd.items():
            if isinstance(v, h5py.Dataset) and v.dtype.kind == "f" and \
                    not np.all(np.isfinite(v[()])):
                errs.append(f"{w}: {k} not finite")
    e = g["edges"]
    if e.shape[0] and (e.ndim != 2 or e.shape[1] != 2 or e.dtype.kind != "O"):
        errs.append(f"{where}: edges {e.shape} {e.dtype}: not strings [n][2]")
        return
    for a, b in e[()]:
        for x in (s(a), s(b)):
            if x.split(".")[0] not in nodes:
                errs.append(f"{where}: edge names missing node {x}")


bad = 0
for path in sys.argv[1:]:
    errs = []
    with h5py.File(path, "r") as f:
        if "version" not in f or f["version"].dtype.kind != "O":
            errs.append("no version string")
        check_graph(f["node"], "node", errs)
    for e in errs:
        print(f"{path}: {e}")
    bad |= bool(errs)
    if not errs:
        print(f"{path}: NIR layout ok")
sys.exit(1 if bad else 0)
