#!/usr/bin/python3
"""PyTorch side of benchmarks/compare-pytorch.sh (run with Debian's /usr/bin/python3 and python3-torch).

  compare_pytorch.py generate DIR [--seed S] [--batch B]   write the case in Hesse's formats
  compare_pytorch.py time DIR [--warmup W] [--runs R] [--threads T] [--precision f64|f32] [--out NAME]
  compare_pytorch.py check DIR [--tol TOL] [--rounds R] [--torch-threads "1 2"] [--hesse-threads "1 2"]
                            [--precision f64|f32] [--no-hesse]

The case: nn.Sequential(Linear(784,512), Tanh(), Linear(512,512), Tanh(), Linear(512,10)) in float64 with
PyTorch's default initialisation, a batch of Gaussian inputs with uniform labels, mean cross-entropy, and a
Gaussian HVP direction v, all from one seed. Files: model.json, model.safetensors (F64, state-dict names),
data.csv (x0..x783,label), v.safetensors (v under the same names as the weights).

Timing, as on the Hesse side: warm-up, then `runs` rounds in which the gradient and the HVP are each timed
once (interleaved so background load hits both alike); the median of each is reported in milliseconds.
The HVP is the double backward: grad with create_graph=True, then the gradient of <grad, v>.

float32 (issue 13): `time --precision f32` casts the model, the batch and v to float32 (the files stay F64) and
times the same two products; the products it writes are float32 values (widened), and the JSON adds their
relative max-norm error against a float64 pass on the same files in the same process (untimed). The timing JSON
goes to DIR/NAME (default torch.json) and names the precision and the thread count; compare-pytorch.sh runs
one process per thread count (TORCH_THREADS) and `check` takes the best thread setting for each product.
"""
import argparse
import json
import os
import struct
import sys
import time

import torch
import torch.nn.functional as F

INPUT, HIDDEN, CLASSES = 784, 512, 10


def model():
    return torch.nn.Sequential(
        torch.nn.Linear(INPUT, HIDDEN), torch.nn.Tanh(),
        torch.nn.Linear(HIDDEN, HIDDEN), torch.nn.Tanh(),
        torch.nn.Linear(HIDDEN, CLASSES)).double()


# ---------------------------------------------------------------- safetensors (F64 only), no extra package

def write_safetensors(path, tensors):
    """tensors: list of (name, float64 tensor), written in that order."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors:
        data = t.detach().contiguous().to(torch.float64).numpy().tobytes()
        header[name] = {"dtype": "F64", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * (-len(h) % 8)  # the format pads the header with spaces to a multiple of 8
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    out = {}
    for name, meta in header.items():
        if name == "__metadata__":
            continue
        if meta["dtype"] != "F64":
            raise ValueError(f"{path}: tensor {name} has dtype {meta['dtype']}, expected F64")
        b, e = meta["data_offsets"]
        t = torch.frombuffer(bytearray(raw[8 + n + b:8 + n + e]), dtype=torch.float64)
        out[name] = t.reshape(meta["shape"]) if meta["shape"] else t.reshape(())
    return out


# ---------------------------------------------------------------- the case

def generate(a):
    os.makedirs(a.dir, exist_ok=True)
    torch.manual_seed(a.seed)
    net = model()
    x = torch.randn(a.batch, INPUT, dtype=torch.float64)
    y = torch.randint(0, CLASSES, (a.batch,))
    names = list(net.state_dict().keys())
    v = [(n, torch.randn_like(p)) for n, p in net.state_dict().items()]
    spec = {"input": INPUT, "loss": "cross_entropy",
            "layers": [{"type": "dense", "out": HIDDEN}, {"type": "tanh"},
                       {"type": "dense", "out": HIDDEN}, {"type": "tanh"},
                       {"type": "dense", "out": CLASSES}]}
    with open(os.path.join(a.dir, "model.json"), "w") as f:
        json.dump(spec, f, indent=1)
        f.write("\n")
    write_safetensors(os.path.join(a.dir, "model.safetensors"), list(net.state_dict().items()))
    write_safetensors(os.path.join(a.dir, "v.safetensors"), v)
    with open(os.path.join(a.dir, "data.csv"), "w") as f:
        f.write(",".join([f"x{j}" for j in range(INPUT)] + ["label"]) + "\n")
        for i in range(a.batch):
            # repr round-trips a double exactly.
            f.write(",".join(repr(float(t)) for t in x[i].tolist()) + f",{int(y[i])}\n")
    print(f"generated {a.dir}: {len(names)} tensors, {sum(p.numel() for p in net.parameters())} parameters, "
          f"batch {a.batch}, seed {a.seed}")


def load_case(d):
    net = model()
    sd = read_safetensors(os.path.join(d, "model.safetensors"))
    net.load_state_dict(sd)
    vd = read_safetensors(os.path.join(d, "v.safetensors"))
    names = [n for n, _ in net.named_parameters()]
    v = [vd[n] for n in names]
    with open(os.path.join(d, "data.csv")) as f:
        f.readline()
        rows = [line.rstrip("\n").split(",") for line in f if line.strip()]
    x = torch.tensor([[float(c) for c in r[:INPUT]] for r in rows], dtype=torch.float64)
    y = torch.tensor([int(float(r[INPUT])) for r in rows], dtype=torch.long)
    return net, names, x, y, v


def products(net, params, x, y, v):
    """(gradient, HVP) closures of the mean cross-entropy at the network's parameters."""
    def gradient():
        loss = F.cross_entropy(net(x), y)
        return torch.autograd.grad(loss, params)

    def hvp():
        loss = F.cross_entropy(net(x), y)
        g = torch.autograd.grad(loss, params, create_graph=True)
        dot = sum((gi * vi).sum() for gi, vi in zip(g, v))
        return torch.autograd.grad(dot, params)

    return gradient, hvp


def time_torch(a):
    torch.set_num_threads(a.threads)
    net, names, x, y, v = load_case(a.dir)
    ref = None
    if a.precision == "f32":
        params64 = list(net.parameters())
        g64, h64 = (f() for f in products(net, params64, x, y, v))
        ref = (g64, h64)
        net, x, v = net.float(), x.float(), [t.float() for t in v]
    params = list(net.parameters())
    gradient, hvp = products(net, params, x, y, v)

    for _ in range(a.warmup):
        gradient()
        hvp()
    tg, th = [], []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        g = gradient()
        t1 = time.perf_counter()
        h = hvp()
        t2 = time.perf_counter()
        tg.append((t1 - t0) * 1e3)
        th.append((t2 - t1) * 1e3)
    write_safetensors(os.path.join(a.dir, "torch_grad.safetensors"), list(zip(names, g)))
    write_safetensors(os.path.join(a.dir, "torch_hvp.safetensors"), list(zip(names, h)))
    with torch.no_grad():
        loss = F.cross_entropy(net(x), y).item()
    res = {"grad_ms": median(tg), "hvp_ms": median(th), "loss": loss, "runs": a.runs, "warmup": a.warmup,
           "threads": torch.get_num_threads(), "torch": torch.__version__, "precision": a.precision}
    if ref is not None:
        res["grad_rel_err_vs_f64"] = rel_maxnorm(dict(zip(names, g)), dict(zip(names, ref[0])))
        res["hvp_rel_err_vs_f64"] = rel_maxnorm(dict(zip(names, h)), dict(zip(names, ref[1])))
    with open(os.path.join(a.dir, a.out), "w") as f:
        json.dump(res, f)
        f.write("\n")
    print(json.dumps(res))


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def rel_maxnorm(a, b):
    """max |a - b| / max |b| over all tensors of b (b the reference)."""
    diff = max(float((a[n].double() - b[n].double()).abs().max()) for n in b)
    scale = max(float(b[n].abs().max()) for n in b)
    return diff / scale


def over_rounds(pick, path_pattern, rounds, key):
    """pick (min or max) of key over the rounds' JSON files."""
    vals = []
    for r in range(rounds):
        with open(path_pattern.format(r)) as f:
            vals.append(json.load(f)[key])
    return pick(vals)


def check(a):
    """The best median of each product over rounds and PyTorch thread settings (torch.t<T>.<r>.json), each thread
    setting's own best printed too; with Hesse's side (hesse.t<T>.<r>.json, likewise over its thread settings) the
    ratios and the agreement of the products."""
    d = a.dir
    rounds = a.rounds
    threads = a.torch_threads.split()

    def torch_best(t, key):
        return over_rounds(min, os.path.join(d, f"torch.t{t}.{{}}.json"), rounds, key)

    with open(os.path.join(d, f"torch.t{threads[0]}.0.json")) as f:
        info = json.load(f)
    print(f"PyTorch {info['torch']} {info['precision']}, best median over {rounds} rounds, per thread setting:")
    for t in threads:
        print(f"  torch.set_num_threads({t}): {torch_best(t, 'hvp_ms'):9.3f} ms HVP (double backward)"
              f"   {torch_best(t, 'grad_ms'):9.3f} ms gradient")
    th_t = min(threads, key=lambda t: torch_best(t, "hvp_ms"))
    tg_t = min(threads, key=lambda t: torch_best(t, "grad_ms"))
    th, tg = torch_best(th_t, "hvp_ms"), torch_best(tg_t, "grad_ms")
    if "hvp_rel_err_vs_f64" in info:
        print(f"  PyTorch float32 products against its float64 ones: HVP {info['hvp_rel_err_vs_f64']:.3e}, "
              f"gradient {info['grad_rel_err_vs_f64']:.3e} (relative max-norm)")
    print(f"torch_{info['precision']}_best: hvp_ms={th:.3f} (threads {th_t}) grad_ms={tg:.3f} (threads {tg_t})")
    if a.no_hesse:
        return 0

    hthreads = a.hesse_threads.split()

    def hesse_at(t, key):
        return over_rounds(min, os.path.join(d, f"hesse.t{t}.{{}}.json"), rounds, key)

    def hesse(key):
        return min(hesse_at(t, key) for t in hthreads)

    if len(hthreads) > 1:
        print(f"Hesse, best median over {rounds} rounds, per thread setting (OPENBLAS_NUM_THREADS):")
        for t in hthreads:
            print(f"  {t}: {hesse_at(t, 'hvp_ms'):9.3f} ms HVP (update + apply)   {hesse_at(t, 'grad_ms'):9.3f} ms gradient"
                  f"   {hesse_at(t, 'hvp_cached_ms'):9.3f} ms HVP cached")
    hg, hh, hf = hesse("grad_ms"), hesse("hvp_ms"), hesse("hvp_fresh_ms")
    hc, hk, hn = hesse("hvp_cached_ms"), hesse("construction_ms"), hesse("ggn_cached_ms")
    e_hvp = rel_maxnorm(read_safetensors(os.path.join(d, "hesse_hvp.safetensors")),
                        read_safetensors(os.path.join(d, "torch_hvp.safetensors")))
    e_grad = rel_maxnorm(read_safetensors(os.path.join(d, "hesse_grad.safetensors")),
                         read_safetensors(os.path.join(d, "torch_grad.safetensors")))
    e_paths = max(over_rounds(max, os.path.join(d, f"hesse.t{t}.{{}}.json"), rounds, "paths_rel_diff")
                  for t in hthreads)
    tol = a.tol if a.tol is not None else (1e-8 if a.precision == "f64" else 1e-4)
    agree = e_hvp < tol and e_grad < tol and e_paths < tol
    print(f"PyTorch {th:9.3f} ms HVP (double backward)   {tg:9.3f} ms gradient   (best thread settings)")
    if len(hthreads) > 1:
        print("Hesse's figures below: each its best thread setting")
    print(f"Hesse   {hh:9.3f} ms HVP: update(θ) + apply   {hg:9.3f} ms gradient")
    print(f"Hesse   {hf:9.3f} ms HVP on a new Curvature ({hk:.3f} ms construction)")
    print(f"Hesse   {hc:9.3f} ms HVP cached, {hn:.3f} ms GGN cached")
    print(f"relative max-norm error: HVP {e_hvp:.3e}, gradient {e_grad:.3e}, Hesse's three HVP paths {e_paths:.3e}"
          f" (tolerance {tol:g})")
    # Per round, each side's best thread setting in that round: load drifts between rounds, and a quiet minute
    # that only one side's best-of-rounds caught shows here as one outlying round.
    def at(side, ts, r, key):
        return min(json.load(open(os.path.join(d, f"{side}.t{t}.{r}.json")))[key] for t in ts)

    for r in range(rounds):
        print(f"round {r}: hvp_ratio={at('hesse', hthreads, r, 'hvp_ms') / at('torch', threads, r, 'hvp_ms'):.3f}"
              f" grad_ratio={at('hesse', hthreads, r, 'grad_ms') / at('torch', threads, r, 'grad_ms'):.3f}")
    print(f"hvp_fresh_ratio={hf / th:.3f} hvp_cached_ratio={hc / th:.3f} (not the headline)")
    print(f"hvp_ratio={hh / th:.3f} grad_ratio={hg / tg:.3f} agree={'true' if agree else 'false'}")
    return 0 if agree else 1


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    g = sub.add_parser("generate")
    g.add_argument("dir")
    g.add_argument("--seed", type=int, default=0)
    g.add_argument("--batch", type=int, default=256)
    t = sub.add_parser("time")
    t.add_argument("dir")
    t.add_argument("--warmup", type=int, default=10)
    t.add_argument("--runs", type=int, default=20)
    t.add_argument("--threads", type=int, default=2)
    t.add_argument("--precision", choices=["f64", "f32"], default="f64")
    t.add_argument("--out", default="torch.json", help="timing JSON file name in DIR")
    c = sub.add_parser("check")
    c.add_argument("dir")
    c.add_argument("--tol", type=float, default=None, help="agreement tolerance (default 1e-8 for f64, 1e-4 for f32)")
    c.add_argument("--rounds", type=int, default=1,
                   help="take the best median over DIR/hesse.<r>.json and DIR/torch.t<T>.<r>.json, r < rounds")
    c.add_argument("--torch-threads", default="2", help="the PyTorch thread settings timed (space-separated)")
    c.add_argument("--hesse-threads", default="2", help="Hesse's thread settings timed (DIR/hesse.t<T>.<r>.json)")
    c.add_argument("--precision", choices=["f64", "f32"], default="f64")
    c.add_argument("--no-hesse", action="store_true", help="report the PyTorch side only")
    a = p.parse_args()
    if a.cmd == "generate":
        generate(a)
    elif a.cmd == "time":
        time_torch(a)
    else:
        sys.exit(check(a))


if __name__ == "__main__":
    main()
