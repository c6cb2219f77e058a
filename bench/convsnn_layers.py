"""Layer by layer, the rate and the spiking activity of a trained
fashion_mnist_convsnn run (issue 18: where does the spiking network lose
accuracy?). The trained parameters are read from the run database; the
spiking neuron is Nengo's own LIF step (nengo/neurons.py LIF.step, from a
Nengo checkout at $NENGO_SRC, default /tmp/nengo-src), v0 ~ U(0, 1) per
neuron, no synapse inside, output through Lowpass(0.1) read at the last
step, as the chapter's NengoDL evaluation. Diagnostic, not a benchmark.

  bench/convsnn_layers.py DB RUN N_IMAGES STEPS[,STEPS...] [LAMBDA]

Prints the rate network's accuracy with the soft-LIF (LAMBDA, default
0.05) and with the exact LIF rate, each layer's mean activity and the
share of the soft activity that comes from neurons below threshold (which
never spike), then for each STEPS the spiking accuracy and each layer's
mean spike activity (spikes·amplitude/s) beside the two rates."""
import gzip, io, os, sqlite3, sys
sys.path.insert(0, os.environ.get("NENGO_SRC", "/tmp/nengo-src"))
import numpy as np
import torch
import torch.nn.functional as F
from nengo.neurons import LIF

db, run, n_img = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
steps = [int(s) for s in sys.argv[4].split(",")]
lam = float(sys.argv[5]) if len(sys.argv) > 5 else 0.05
torch.set_num_threads(1)

con = sqlite3.connect(db)
P = {}
for name, data in con.execute(
        "select name, data from artifacts where run_id = ? and name like 'params/%'", (run,)):
    P[name[len("params/"):-len(".npy")]] = np.load(io.BytesIO(data))
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
    img = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n_img]
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz") as f:
    lab = np.frombuffer(f.read(), np.uint8, offset=8)[:n_img]
# the run's own pixel scaling (idx.so's normalise: p/255, or p as NengoDL's
# tutorial feeds the uint8 images)
norm = con.execute("select value_text from params where run_id = ? and "
                   "key = 'data.test.normalise'", (run,)).fetchone()
norm = norm[0] if norm else "unit"
if norm not in ("unit", "none"):
    sys.exit("convsnn_layers.py: normalise = %s not supported (unit or none)" % norm)
x0 = torch.tensor(img.astype(np.float32) / (255.0 if norm == "unit" else 1.0))

tau_rc, tau_ref, amp, dt = 0.02, 0.002, 0.01, 1e-3
z = 1.0 / (1.0 - np.exp((tau_ref - 1.0 / 100.0) / tau_rc))
gain, bias = (1 - z) / (0 - 1.0), 1.0  # intercept 0

def rate(x, lam):
    u = gain * x + bias - 1.0
    if lam == 0:
        r = torch.where(u > 0, amp / (tau_ref + tau_rc * torch.log1p(1 / u.clamp(min=1e-30))),
                        torch.zeros_like(u))
        return r
    js = u / lam
    rho = lam * F.softplus(js)
    q = torch.where(js > -20, torch.log1p(1 / rho.clamp(min=1e-30)), -js - np.log(lam))
    return amp / (tau_ref + tau_rc * q)

convs = [("conv1", 1), ("conv2", 2), ("conv3", 2)]

def layer(i, x):
    name, stride = convs[i]
    W = P[name + "/weight"]; W = W.reshape(W.shape[0], -1, 3, 3)
    return F.conv2d(x, torch.tensor(W), torch.tensor(P[name + "/bias"]), stride=stride)

def dense(x):
    W = torch.tensor(P["out/weight"]); b = torch.tensor(P["out/bias"])
    W = W.T  # spikelab: [pre][post]
    return x.reshape(x.shape[0], -1) @ W.T + b

print("load average:", open("/proc/loadavg").read().strip())
with torch.no_grad():
    res = {}
    for lname, l in (("soft %.3g" % lam, lam), ("hard", 0.0)):
        h, acts = x0, []
        for i in range(3):
            h = rate(layer(i, h), l)
            acts.append(h)
        out = dense(h)
        res[lname] = (acts, out)
        print("rate %-10s acc %.4f  mean act per layer %s" % (
            lname, (out.argmax(1).numpy() == lab).mean(),
            " ".join("%.4f" % a.mean().item() for a in acts)))
    # sub-threshold share of the soft activity
    h = x0
    for i in range(3):
        J = layer(i, h)
        s = rate(J, lam); hd = rate(J, 0.0)
        print("layer %d: soft mean %.4f hard mean %.4f; soft activity of neurons below "
              "threshold: %.4f (%.1f %% of soft); frac of neurons above threshold %.3f" % (
                  i + 1, s.mean().item(), hd.mean().item(), s[J * gain + bias <= 1].sum().item() / s.numel(),
                  100 * s[J * gain + bias <= 1].sum().item() / s.sum().item(),
                  (J * gain + bias > 1).float().mean().item()))
        h = s

    nl = LIF(tau_rc=tau_rc, tau_ref=tau_ref, amplitude=amp)
    rng = np.random.RandomState(0)
    for T in steps:
        h = x0
        shapes = []
        for i in range(3):
            h = layer(i, h)
            shapes.append(tuple(h.shape))
        states = []
        for s in shapes:
            n = int(np.prod(s[1:]))
            v0 = rng.uniform(0, 1, size=n).astype(np.float64)  # one draw per neuron, as Nengo
            states.append((np.tile(v0, (s[0], 1)), np.zeros((s[0], n))))
        a = np.exp(-dt / 0.1)
        y = torch.zeros(n_img, 10, dtype=torch.float64)
        sums = [0.0, 0.0, 0.0]
        outsum = torch.zeros(n_img, 10, dtype=torch.float64)
        for t in range(T):
            h = x0
            for i in range(3):
                J = (gain * layer(i, h) + bias).reshape(n_img, -1).double().numpy()
                v, ref = states[i]
                o = np.zeros_like(J)
                nl.step(dt, J, o, v, ref)
                sums[i] = sums[i] + o.mean(0) * dt  # time integral of spikes (amp per spike)
                h = torch.tensor(o.reshape(shapes[i]), dtype=torch.float32)
            u = dense(h).double()
            outsum += u
            y = a * y + (1 - a) * u
        acc = (y.argmax(1).numpy() == lab).mean()
        accm = (outsum.argmax(1).numpy() == lab).mean()
        print("spiking T=%d: acc(lowpass, last step) %.4f  acc(mean output) %.4f" % (T, acc, accm))
        for i in range(3):
            sm = sums[i] / (T * dt)
            hard = res["hard"][0][i].reshape(n_img, -1).mean(0).double().numpy()
            soft = res["soft %.3g" % lam][0][i].reshape(n_img, -1).mean(0).double().numpy()
            print("  layer %d: mean spike activity %.4f vs hard rate %.4f, soft rate %.4f" % (
                i + 1, sm.mean(), hard.mean(), soft.mean()))
