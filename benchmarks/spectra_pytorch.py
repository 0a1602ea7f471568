#!/usr/bin/env python3
"""SciPy/PyTorch side of the per-layer spectra comparison in benchmarks/compare-pytorch.sh (needs torch, numpy, scipy).

  spectra_pytorch.py generate DIR [--samples N] [--seed S] [--steps T]   write the case in Hesse's formats
  spectra_pytorch.py eigsh DIR [--k K] [--tol TOL] [--threads T]         top-K per layer: eigsh over block HVPs
  spectra_pytorch.py check DIR                                           compare with Hesse's report

The case (issue 13): Fashion-MNIST MLP 784-512-512-10 (ReLU), float64, the first N training images (pixels / 255)
with their labels, mean cross-entropy. The weights are PyTorch's default initialisation (seed S) after T steps of
SGD (lr 0.05, batches of 64, in order), so that the spectrum is a trained one. Files: model.json,
model.safetensors (F64, state-dict names), data.csv (x0..x783,label).

eigsh: for each Linear layer, SciPy's ARPACK (`eigsh(op, k, which='LA', tol)`) over a LinearOperator whose
matvec is PyTorch's Hessian-vector product restricted to that layer's weight and bias: the forward pass and
grad(loss, layer params, create_graph=True) once per layer, then each product is the gradient of <g, v> with
respect to the same parameters (retain_graph), i.e. the best a PyTorch user can do with double backward. The
eigenvalues and the number of products go to DIR/scipy.json; the whole process is what the shell script times.
"""
import argparse
import gzip
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from compare_pytorch import read_safetensors, write_safetensors  # the same directory: one writer of the format

INPUT, HIDDEN, CLASSES = 784, 512, 10
FASHION = os.environ.get("HESSE_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")


def model():
    return torch.nn.Sequential(
        torch.nn.Linear(INPUT, HIDDEN), torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.ReLU(),
        torch.nn.Linear(HIDDEN, CLASSES)).double()


def idx(path):
    """An IDX file (gzip) as a numpy array."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def generate(a):
    os.makedirs(a.dir, exist_ok=True)
    x = idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"))[:a.samples].reshape(a.samples, INPUT) / 255.0
    y = idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz"))[:a.samples].astype(np.int64)
    torch.manual_seed(a.seed)
    net = model()
    xt, yt = torch.tensor(x, dtype=torch.float64), torch.tensor(y)
    opt = torch.optim.SGD(net.parameters(), lr=0.05)
    for s in range(a.steps):
        i = (s * 64) % a.samples
        opt.zero_grad()
        F.cross_entropy(net(xt[i:i + 64]), yt[i:i + 64]).backward()
        opt.step()
    spec = {"input": INPUT, "loss": "cross_entropy",
            "layers": [{"type": "dense", "out": HIDDEN}, {"type": "relu"},
                       {"type": "dense", "out": HIDDEN}, {"type": "relu"},
                       {"type": "dense", "out": CLASSES}]}
    with open(os.path.join(a.dir, "model.json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(a.dir, "model.safetensors"), list(net.state_dict().items()))
    with open(os.path.join(a.dir, "data.csv"), "w") as f:
        f.write(",".join([f"x{j}" for j in range(INPUT)] + ["label"]) + "\n")
        for i in range(a.samples):
            f.write(",".join(repr(float(t)) for t in x[i]) + f",{int(y[i])}\n")  # repr round-trips a double
    with torch.no_grad():
        loss = F.cross_entropy(net(xt), yt).item()
    print(f"generated {a.dir}: Fashion-MNIST, {a.samples} samples, seed {a.seed}, {a.steps} SGD steps, loss {loss:.6f}")


def load_case(d):
    net = model()
    net.load_state_dict(read_safetensors(os.path.join(d, "model.safetensors")))
    data = np.loadtxt(os.path.join(d, "data.csv"), delimiter=",", skiprows=1, dtype=np.float64)
    return net, torch.tensor(data[:, :INPUT]), torch.tensor(data[:, INPUT].astype(np.int64))


def eigsh(a):
    from scipy.sparse.linalg import LinearOperator, eigsh as scipy_eigsh
    torch.set_num_threads(a.threads)
    t0 = time.perf_counter()
    net, x, y = load_case(a.dir)
    layers = [m for m in net if isinstance(m, torch.nn.Linear)]
    out = {"torch": torch.__version__, "threads": torch.get_num_threads(), "k": a.k, "tol": a.tol, "layers": []}
    for li, lin in enumerate(layers):
        t1 = time.perf_counter()
        params = [lin.weight, lin.bias]
        g = torch.autograd.grad(F.cross_entropy(net(x), y), params, create_graph=True)
        n = sum(p.numel() for p in params)
        count = [0]

        def matvec(v):
            count[0] += 1
            vt = torch.from_numpy(np.ascontiguousarray(v, dtype=np.float64).reshape(-1))
            vs = [vt[:lin.weight.numel()].view_as(lin.weight), vt[lin.weight.numel():].view_as(lin.bias)]
            h = torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, vs)), params, retain_graph=True)
            return torch.cat([hi.reshape(-1) for hi in h]).numpy()

        op = LinearOperator((n, n), matvec=matvec, dtype=np.float64)
        # seeded start vector, as Hesse's (the results do not depend on it beyond the tolerance)
        v0 = np.random.default_rng(a.seed).standard_normal(n)
        vals = np.sort(scipy_eigsh(op, k=a.k, which="LA", tol=a.tol, v0=v0, return_eigenvectors=False))[::-1]
        out["layers"].append({"index": 2 * li, "parameters": n, "top": vals.tolist(), "products": count[0],
                              "seconds": time.perf_counter() - t1})
        del g
    out["seconds"] = time.perf_counter() - t0
    with open(os.path.join(a.dir, "scipy.json"), "w") as f:
        json.dump(out, f)
        f.write("\n")
    for layer in out["layers"]:
        print(f"scipy layer {layer['index']}: {layer['parameters']} parameters, {layer['products']} products, "
              f"{layer['seconds']:.2f} s, top {layer['top'][0]:.10g}")


def check(a):
    """Max relative difference of the top eigenvalues, Hesse's report against SciPy's, over every layer."""
    with open(os.path.join(a.dir, "scipy.json")) as f:
        sp = json.load(f)
    with open(os.path.join(a.dir, "hesse_spectrum.json")) as f:
        hs = json.load(f)
    worst = 0.0
    for layer, ref in zip(hs["layers"], sp["layers"]):
        mine = layer["top"]["values"] if isinstance(layer["top"], dict) else layer["top"]
        if len(mine) != len(ref["top"]):
            print(f"layer {ref['index']}: Hesse returned {len(mine)} eigenvalues, SciPy {len(ref['top'])}")
            return 1
        for h, s in zip(mine, ref["top"]):
            worst = max(worst, abs(h - s) / abs(s))
    print(f"max_rel_diff={worst:.3e}")
    return 0 if worst <= a.tol else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("dir")
    g.add_argument("--samples", type=int, default=2000)
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--steps", type=int, default=100)
    e = sub.add_parser("eigsh")
    e.add_argument("dir")
    e.add_argument("--k", type=int, default=5)
    e.add_argument("--tol", type=float, default=1e-10)
    e.add_argument("--threads", type=int, default=2)
    e.add_argument("--seed", type=int, default=0)
    c = sub.add_parser("check")
    c.add_argument("dir")
    c.add_argument("--tol", type=float, default=1e-6)
    a = p.parse_args()
    if a.cmd == "generate":
        generate(a)
    elif a.cmd == "eigsh":
        eigsh(a)
    else:
        sys.exit(check(a))


if __name__ == "__main__":
    main()
