#!/usr/bin/env python3
"""PyTorch side of benchmarks/scaling.sh (needs torch and numpy).

  scaling_pytorch.py generate DIR --width W --depth D [--seed S]   write the case in Hesse's formats
  scaling_pytorch.py time DIR --samples N [--batch B] [--warmup W] [--runs R] [--threads T]
  scaling_pytorch.py check DIR [--tol TOL]                          Hesse's product against PyTorch's
  scaling_pytorch.py fit CSV                                        slopes of log(time) and RSS against N

The case: an MLP 784-W-...-W-10 with D hidden tanh layers, float64, PyTorch's default initialisation (seed S),
mean cross-entropy over the first N Fashion-MNIST training images (pixels / 255, read by both sides from the IDX
files), and a Gaussian direction v. Files: model.json, model.safetensors, v.safetensors (state-dict names).

time: the full Hessian-vector product of the mean loss over all N, in contiguous batches of B rows as Hesse's
Curvature splits them: per batch the double backward (grad with create_graph=True, then the gradient of <g, v>),
weighted rows / N and summed, so only one batch's graph is alive at a time. Warm-up, then the median of R runs
in milliseconds, to DIR/torch.json; the product to DIR/torch_hvp.safetensors.
"""
import argparse
import csv
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

from compare_pytorch import median, read_safetensors, rel_maxnorm, write_safetensors
from spectra_pytorch import FASHION, idx

INPUT, CLASSES = 784, 10


def spec_of(width, depth):
    layers = []
    for _ in range(depth):
        layers += [{"type": "dense", "out": width}, {"type": "tanh"}]
    return {"input": INPUT, "loss": "cross_entropy", "layers": layers + [{"type": "dense", "out": CLASSES}]}


def model(spec):
    mods, fan_in = [], spec["input"]
    for layer in spec["layers"]:
        if layer["type"] == "dense":
            mods.append(torch.nn.Linear(fan_in, layer["out"]))
            fan_in = layer["out"]
        else:
            mods.append(torch.nn.Tanh())
    return torch.nn.Sequential(*mods).double()


def generate(a):
    os.makedirs(a.dir, exist_ok=True)
    torch.manual_seed(a.seed)
    spec = spec_of(a.width, a.depth)
    net = model(spec)
    with open(os.path.join(a.dir, "model.json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(a.dir, "model.safetensors"), list(net.state_dict().items()))
    write_safetensors(os.path.join(a.dir, "v.safetensors"),
                      [(n, torch.randn_like(p)) for n, p in net.state_dict().items()])
    print(f"generated {a.dir}: width {a.width}, depth {a.depth}, "
          f"{sum(p.numel() for p in net.parameters())} parameters, seed {a.seed}")


def time_hvp(a):
    torch.set_num_threads(a.threads)
    with open(os.path.join(a.dir, "model.json")) as f:
        net = model(json.load(f))
    net.load_state_dict(read_safetensors(os.path.join(a.dir, "model.safetensors")))
    names = [n for n, _ in net.named_parameters()]
    params = list(net.parameters())
    vd = read_safetensors(os.path.join(a.dir, "v.safetensors"))
    v = [vd[n] for n in names]
    n = a.samples
    x = torch.tensor(idx(os.path.join(FASHION, "train-images-idx3-ubyte.gz"))[:n].reshape(n, INPUT) / 255.0)
    y = torch.tensor(idx(os.path.join(FASHION, "train-labels-idx1-ubyte.gz"))[:n].astype(np.int64))
    if len(y) != n:
        sys.exit(f"--samples: Fashion-MNIST has {len(y)} training images, asked {n}")

    def hvp():
        total = [torch.zeros_like(p) for p in params]
        for s in range(0, n, a.batch):
            xb, yb = x[s:s + a.batch], y[s:s + a.batch]
            g = torch.autograd.grad(F.cross_entropy(net(xb), yb), params, create_graph=True)
            h = torch.autograd.grad(sum((gi * vi).sum() for gi, vi in zip(g, v)), params)
            for t, hi in zip(total, h):
                t.add_(hi, alpha=len(yb) / n)
        return total

    for _ in range(a.warmup):
        hvp()
    ts = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        h = hvp()
        ts.append((time.perf_counter() - t0) * 1e3)
    write_safetensors(os.path.join(a.dir, "torch_hvp.safetensors"), list(zip(names, h)))
    res = {"samples": n, "batch": a.batch, "hvp_ms": round(median(ts), 3), "runs": a.runs, "warmup": a.warmup,
           "threads": torch.get_num_threads(), "torch": torch.__version__}
    with open(os.path.join(a.dir, "torch.json"), "w") as f:
        json.dump(res, f)
        f.write("\n")
    print(json.dumps(res))


def check(a):
    e = rel_maxnorm(read_safetensors(os.path.join(a.dir, "hesse_hvp.safetensors")),
                    read_safetensors(os.path.join(a.dir, "torch_hvp.safetensors")))
    print(f"{e:.3e}")
    return 0 if e < a.tol else 1


def slope(xs, ys):
    """Least-squares slope of ys against xs."""
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    return sum((p - mx) * (q - my) for p, q in zip(xs, ys)) / sum((p - mx) ** 2 for p in xs)


def fit(a):
    """Over the rows of the N sweep (the CSV's sweep column 'N'): log-log slopes of the times against N, and the
    RSS growth per 1,000 samples (MB) beyond the smallest N."""
    with open(a.csv) as f:
        rows = [r for r in csv.DictReader(f) if r["sweep"] == "N"]
    if len(rows) < 2:
        print("fit: fewer than two N points")
        return
    ns = [float(r["N"]) for r in rows]
    logn = [math.log(p) for p in ns]
    for col in ("hesse_hvp_ms", "hesse_hvp_cached_ms", "torch_hvp_ms", "hesse_spectrum_s"):
        print(f"slope of log({col}) vs log(N): {slope(logn, [math.log(float(r[col])) for r in rows]):.3f}")
    for col in ("hesse_hvp_rss_mb", "torch_hvp_rss_mb", "hesse_spectrum_rss_mb"):
        print(f"{col} vs N: {1000 * slope(ns, [float(r[col]) for r in rows]):.1f} MB per 1,000 samples")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("dir")
    g.add_argument("--width", type=int, required=True)
    g.add_argument("--depth", type=int, required=True)
    g.add_argument("--seed", type=int, default=0)
    t = sub.add_parser("time")
    t.add_argument("dir")
    t.add_argument("--samples", type=int, required=True)
    t.add_argument("--batch", type=int, default=256)
    t.add_argument("--warmup", type=int, default=1)
    t.add_argument("--runs", type=int, default=3)
    t.add_argument("--threads", type=int, default=2)
    c = sub.add_parser("check")
    c.add_argument("dir")
    c.add_argument("--tol", type=float, default=1e-8)
    f = sub.add_parser("fit")
    f.add_argument("csv")
    a = p.parse_args()
    if a.cmd == "generate":
        generate(a)
    elif a.cmd == "time":
        time_hvp(a)
    elif a.cmd == "check":
        sys.exit(check(a))
    else:
        fit(a)


if __name__ == "__main__":
    main()
