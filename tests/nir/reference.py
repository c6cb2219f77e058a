#!/usr/bin/python3
"""Reference check of an imported NIR graph: the CubaLIF graph of
make_graphs.py (cubalif_ref.nir: Input -> Linear identity -> Affine ->
CubaLIF with a recurrent Affine -> Linear -> LI -> Output) simulated here
in float64, from NIR's equations (nir/ir/neuron.py) and nothing of
spikelab's code, under the reading spikelab documents (README.md, "NIR"):
signals held constant over each step of dt, explicit Euler, a neuron's
recurrent input delayed by one step, V starting at v_leak, I at 0:
    I[n+1] = I[n] + dt/tau_syn·(−I[n] + w_in·y[n]),
    V' = V[n] + dt/tau_mem·(v_leak − V[n] + r·I[n]),  z[n] = V' > v_th,
    V[n+1] = v_reset if z[n] else V',  y[n] = W·x[n] + b + W_rec·z[n−1];
    LI: V[n+1] = V[n] + dt/tau·(v_leak − V[n] + r·u[n]), output V[n+1].
Usage: reference.py FILE.nir TRACES_DIR DT
(TRACES_DIR: a run's traces/, the first sample). Exit 0 when the spikes
are identical and the readout within 1e-4."""
import sys

import h5py
import numpy as np

path, tdir, dt = sys.argv[1], sys.argv[2], float(sys.argv[3])
with h5py.File(path, "r") as f:
    n = f["node/nodes"]
    p = {k: {d: v[()] for d, v in n[k].items() if d != "type"} for k in n}
x = np.load(f"{tdir}/inp/output.npy")[0].astype(np.float64)  # [T][3]
T = x.shape[0]
fc, lif, rec, ofc, li = p["fc"], p["lif"], p["rec"], p["out_fc"], p["li"]
N = fc["weight"].shape[0]
V = lif["v_leak"].astype(np.float64).copy()
I = np.zeros(N)
z = np.zeros(N)
U = li["v_leak"].astype(np.float64).copy()
Z = np.zeros((T, N))
out = np.zeros((T, U.size))
for t in range(T):
    y = fc["weight"] @ x[t] + fc["bias"] + rec["weight"] @ z + rec["bias"]
    Vp = V + dt / lif["tau_mem"] * (lif["v_leak"] - V + lif["r"] * I)
    z = (Vp > lif["v_threshold"]).astype(np.float64)
    V = np.where(z > 0, lif["v_reset"], Vp)
    I = I + dt / lif["tau_syn"] * (-I + lif["w_in"] * y)
    Z[t] = z
    u = ofc["weight"] @ z
    U = U + dt / li["tau"] * (li["v_leak"] - U + li["r"] * u)
    out[t] = U
zs = np.load(f"{tdir}/lif/output.npy")[0]
os_ = np.load(f"{tdir}/li/output.npy")[0]
if Z.sum() == 0:
    sys.exit("the reference network never spikes: a weak test")
if not np.array_equal(zs, Z):
    bad = np.argwhere(zs != Z)[:5]
    sys.exit(f"spikes differ at (step, neuron) {bad.tolist()}")
err = np.max(np.abs(os_ - out))
if err > 1e-4 * max(1.0, np.max(np.abs(out))):
    sys.exit(f"readout differs by {err}")
print(f"reference: {int(Z.sum())} spikes identical, readout within {err:.2e}")
