"""Export a PyTorch model and its data to Hesse's native formats: model.json, model.safetensors and data.csv.

    from hesse_export import export
    export(model, x, y, "out/", loss="cross_entropy")      # or loss="mse"

or from the command line, with a whole module saved by torch.save(model) and a data file saved by
torch.save((x, y)) (or a dict with "x" and "y"):

    python tools/hesse_export.py model.pt data.pt --out out/ [--loss cross_entropy|mse]
    hesse spectrum --model out/model.json --weights out/model.safetensors --data out/data.csv --target label

Supported: an nn.Sequential of Linear, Conv2d, MaxPool2d, AvgPool2d, Flatten, BatchNorm1d/2d, LayerNorm, Dropout,
ReLU, LeakyReLU, ELU, Tanh, Sigmoid, GELU, Softplus, Identity (with the settings Hesse implements: see README,
Formats) and the documented Residual module (x + alpha * block(x), block an nn.Sequential of the same). Inputs are
flat [N, D] or images [N, C, H, W]. Weights: the state-dict names, as F64 (num_batches_tracked as I64); data: columns
x0.. then label (cross_entropy, class indices 0..k-1) or y0.. (mse), float64 values written exactly.
Tied parameters (one Parameter in two of the Sequential's layers, as seq[2].weight = seq[0].weight) are written
once, under the first owner's name, and the later layer reads them through "share" (a "nodes" description).
Anything else is refused with one line naming the module's path and type; nothing is written then.
Depends on torch only.
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.nn as nn


class ExportError(ValueError):
    """A model or data set the native formats cannot express; the message is one line."""


ACTIVATIONS = {nn.ReLU: "relu", nn.Tanh: "tanh", nn.Sigmoid: "sigmoid", nn.Identity: "identity",
               nn.LeakyReLU: "leaky_relu", nn.ELU: "elu", nn.GELU: "gelu", nn.Softplus: "softplus"}
# PyTorch's defaults, which are the only settings Hesse's activations have
ACTIVATION_SETTINGS = {nn.LeakyReLU: {"negative_slope": 0.01}, nn.ELU: {"alpha": 1.0},
                       nn.GELU: {"approximate": "none"}, nn.Softplus: {"beta": 1.0, "threshold": 20.0}}


def _pair(v):
    return tuple(v) if isinstance(v, (tuple, list)) else (v, v)


def _square(where, name, v):
    a, b = _pair(v)
    if a != b:
        raise ExportError(f"{where}: {name}={v}; expected the same value in both directions")
    return int(a)


def _require(where, ok, what):
    if not ok:
        raise ExportError(f"{where}: {what}")


def _layer(path, m, shape, h):
    """The layer entry of module m at input shape (per sample) and its output shape; h: a few rows of its input."""
    where = f"module {path} ({type(m).__name__})"
    t = type(m)
    if t in ACTIVATIONS:
        for k, v in ACTIVATION_SETTINGS.get(t, {}).items():
            _require(where, getattr(m, k) == v, f"{k}={getattr(m, k)}; Hesse implements {k}={v} (PyTorch's default)")
        return {"type": ACTIVATIONS[t]}, shape
    if t is nn.Linear:
        _require(where, len(shape) == 1, f"input of shape {list(shape)}; expected a flat input (put nn.Flatten() before it)")
        _require(where, m.bias is not None, "bias=False; expected a bias")
        _require(where, m.in_features == shape[0], f"in_features={m.in_features}; the input has {shape[0]}")
        return {"type": "dense", "out": m.out_features}, (m.out_features,)
    if t is nn.Conv2d:
        _require(where, len(shape) == 3, f"input of shape {list(shape)}; expected [C, H, W]")
        _require(where, m.bias is not None, "bias=False; expected a bias")
        _require(where, m.groups == 1 and _pair(m.dilation) == (1, 1) and m.padding_mode == "zeros",
                 "groups, dilation or padding_mode other than 1, 1, 'zeros'")
        _require(where, not isinstance(m.padding, str), f"padding='{m.padding}'; expected a number")
        k, s, p = _square(where, "kernel_size", m.kernel_size), _square(where, "stride", m.stride), _square(where, "padding", m.padding)
        _require(where, m.in_channels == shape[0], f"in_channels={m.in_channels}; the input has {shape[0]}")
        out = (m.out_channels, (shape[1] + 2 * p - k) // s + 1, (shape[2] + 2 * p - k) // s + 1)
        return {"type": "conv2d", "out_channels": m.out_channels, "kernel": k, "stride": s, "padding": p}, out
    if t in (nn.MaxPool2d, nn.AvgPool2d):
        _require(where, len(shape) == 3, f"input of shape {list(shape)}; expected [C, H, W]")
        _require(where, _pair(m.padding) == (0, 0) and not m.ceil_mode, "padding or ceil_mode; expected padding=0, ceil_mode=False")
        if t is nn.MaxPool2d:
            _require(where, _pair(m.dilation) == (1, 1) and not m.return_indices, "dilation or return_indices; expected 1, False")
        else:
            _require(where, m.divisor_override is None, "divisor_override; expected None")
        k, s = _square(where, "kernel_size", m.kernel_size), _square(where, "stride", m.stride)
        out = (shape[0], (shape[1] - k) // s + 1, (shape[2] - k) // s + 1)
        return {"type": "maxpool2d" if t is nn.MaxPool2d else "avgpool2d", "kernel": k, "stride": s}, out
    if t is nn.Flatten:
        _require(where, m.start_dim == 1 and m.end_dim == -1, "start_dim/end_dim; expected 1 and -1")
        n = 1
        for d in shape:
            n *= d
        return {"type": "flatten"}, (n,)
    if t in (nn.BatchNorm1d, nn.BatchNorm2d):
        want = 1 if t is nn.BatchNorm1d else 3
        _require(where, len(shape) == want, f"input of shape {list(shape)}; expected {'[C]' if want == 1 else '[C, H, W]'}")
        _require(where, m.affine and m.track_running_stats, "affine=False or track_running_stats=False; expected both True")
        _require(where, m.momentum is not None, "momentum=None (cumulative average); expected a number")
        _require(where, m.num_features == shape[0], f"num_features={m.num_features}; the input has {shape[0]}")
        return {"type": "batchnorm", "eps": m.eps, "momentum": m.momentum}, shape
    if t is nn.LayerNorm:
        _require(where, tuple(m.normalized_shape) == tuple(shape),
                 f"normalized_shape={list(m.normalized_shape)}; expected the whole input shape {list(shape)}")
        _require(where, m.elementwise_affine and getattr(m, "bias", True) is not None, "elementwise_affine=False or bias=False; expected both")
        return {"type": "layernorm", "eps": m.eps}, shape
    if t is nn.Dropout:
        return {"type": "dropout", "p": m.p}, shape
    if _is_residual(m):
        layers, out = _sequential(f"{path}.block", m.block, shape, h)
        _require(where, tuple(out) == tuple(shape), f"block maps {list(shape)} to {list(out)}; expected the same shape")
        with torch.no_grad():
            ok = torch.equal(m(h), h + m.alpha * m.block(h))
        _require(where, ok, "forward is not x + alpha * block(x) (the documented Residual module)")
        return {"type": "residual", "alpha": float(m.alpha), "layers": layers}, shape
    raise ExportError(f"{where}: not supported; expected one of the layer modules in README (Formats) or the Residual module")


def _is_residual(m):
    names = [n for n, _ in m.named_children()]
    return names == ["block"] and isinstance(m.block, nn.Sequential) and isinstance(getattr(m, "alpha", None), (int, float))


def _sequential(path, seq, shape, h):
    layers = []
    for name, m in seq.named_children():
        entry, out = _layer(f"{path}.{name}" if path else name, m, shape, h)
        layers.append(entry)
        with torch.no_grad():
            h = m(h)
        shape = out
        _require(f"module {path}.{name}" if path else f"module {name}", tuple(h.shape[1:]) == tuple(shape),
                 f"output of shape {list(h.shape[1:])}; expected {list(shape)}")
    return layers, shape


def _ties(module):
    """Tied parameters (one Parameter object in two modules, as dec.weight = enc.weight): {later state-dict name:
    first owner's name}. PyTorch's named_parameters() lists such a tensor once, under its first owner; so does
    Hesse's θ, and the later node reads it through "share". A tie is the parameter's identity (storage shared by two
    distinct Parameters is two parameters to autograd, so it is not a tie)."""
    owner, ties = {}, {}
    for name, t in module.state_dict(keep_vars=True).items():
        if isinstance(t, nn.Parameter):
            if id(t) in owner:
                ties[name] = owner[id(t)]
            else:
                owner[id(t)] = name
    for name, first in ties.items():  # "share" is a node's: both must be the Sequential's own layers
        for n in (name, first):
            layer = n.rsplit(".", 1)[0]
            _require(f"module {layer} ({type(module.get_submodule(layer)).__name__})", "." not in layer,
                     f"parameter {n} is tied ({name} is {first}); expected ties between the nn.Sequential's own layers")
    return ties


def _safetensors(tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        t = t.detach().cpu().contiguous().reshape(-1)
        if t.dtype == torch.int64:
            data, dtype = struct.pack(f"<{t.numel()}q", *t.tolist()), "I64"
        elif t.is_floating_point():
            data, dtype = struct.pack(f"<{t.numel()}d", *t.to(torch.float64).tolist()), "F64"
        else:
            raise ExportError(f"state-dict entry {name}: dtype {t.dtype}; expected a float or int64 tensor")
        header[name] = {"dtype": dtype, "shape": list(tensors[name].shape), "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def _csv(x, y, loss, outputs):
    n = x.shape[0]
    flat = x.detach().cpu().to(torch.float64).reshape(n, -1).tolist()
    cols = [f"x{i}" for i in range(len(flat[0]))]
    if loss == "cross_entropy":
        _require("y", y.dim() == 1 and not y.is_floating_point() and not y.is_complex(),
                 f"dtype {y.dtype}, shape {list(y.shape)}; expected integer class indices of shape [N]")
        labels = y.tolist()
        present = sorted(set(labels))
        _require("y", present == list(range(len(present))) and len(present) <= outputs,
                 f"labels {present[:10]}; expected every class 0..k-1 present, k <= {outputs} outputs (Hesse numbers the "
                 "distinct labels consecutively, so a missing class would shift the others)")
        cols.append("label")
        rows = [[repr(v) for v in r] + [str(int(c))] for r, c in zip(flat, labels)]
    else:
        _require("y", y.is_floating_point(), f"dtype {y.dtype}; expected float targets for mse")
        yy = y.detach().cpu().to(torch.float64).reshape(n, -1)
        _require("y", yy.shape[1] == outputs, f"shape {list(y.shape)}; expected [N, {outputs}] (the model's outputs)")
        _require("y", bool(torch.isfinite(yy).all()), "has NaN or infinite values")
        cols += [f"y{j}" for j in range(outputs)]
        rows = [[repr(v) for v in r] + [repr(v) for v in t] for r, t in zip(flat, yy.tolist())]
    return ",".join(cols) + "\n" + "".join(",".join(r) + "\n" for r in rows)


def export(module, x, y, out_dir, loss="cross_entropy"):
    """Writes out_dir/model.json, model.safetensors and data.csv for module (an nn.Sequential) on (x, y).

    x: [N, D] or [N, C, H, W] features; y: class indices [N] (cross_entropy) or targets [N, outputs] (mse).
    Raises ExportError (one line, naming the module path and type or the input) and writes nothing when the model or
    data cannot be expressed. Returns the model description (a dict)."""
    if loss not in ("cross_entropy", "mse"):
        raise ExportError(f"loss '{loss}': expected cross_entropy or mse")
    if not isinstance(module, nn.Sequential):
        raise ExportError(f"module ({type(module).__name__}): expected an nn.Sequential")
    _require("x", torch.is_tensor(x) and x.is_floating_point() and x.dim() in (2, 4) and x.shape[0] > 0,
             f"expected float features of shape [N, D] or [N, C, H, W], got {getattr(x, 'shape', type(x))}")
    _require("y", torch.is_tensor(y) and y.shape[0] == x.shape[0], f"expected a tensor with {x.shape[0]} rows")
    _require("x", bool(torch.isfinite(x).all()), "has NaN or infinite values")
    shape = tuple(x.shape[1:])
    modes = {m: m.training for m in module.modules()}
    module.eval()  # shape tracing and the Residual check: no running-statistics update, no dropout
    try:
        layers, out = _sequential("", module, shape, x[:8].detach())
    finally:
        for m, training in modes.items():
            m.training = training
    _require("model output", len(out) == 1, f"shape {list(out)}; expected a flat [outputs] (end with nn.Linear)")
    ties = _ties(module)
    spec = {"input": int(torch.tensor(shape).prod()), "loss": loss}
    if len(shape) == 3:
        spec["input_shape"] = list(shape)
    if ties:  # a graph description: named nodes (the children's names), the later use of a tied tensor shares it
        for (name, _), entry in zip(module.named_children(), layers):
            share = {n.rsplit(".", 1)[1]: first for n, first in ties.items() if n.rsplit(".", 1)[0] == name}
            entry.update({"name": name, **({"share": share} if share else {})})
        spec["nodes"] = layers
    else:
        spec["layers"] = layers
    state = {k: v for k, v in module.state_dict().items() if k not in ties}  # a tied tensor once, at its owner
    files = {"model.json": (json.dumps(spec, indent=1) + "\n").encode(),
             "model.safetensors": _safetensors(state),
             "data.csv": _csv(x, y, loss, out[0]).encode()}
    os.makedirs(out_dir, exist_ok=True)
    for name, data in files.items():  # each file whole or not at all
        tmp = os.path.join(out_dir, f".{name}.tmp")
        with open(tmp, "wb") as f:
            f.write(data)
        os.replace(tmp, os.path.join(out_dir, name))
    return spec


def main(argv=None):
    p = argparse.ArgumentParser(prog="hesse_export", description=__doc__.split("\n\n")[0])
    p.add_argument("model", help="a module saved with torch.save(model) (a pickle: load only files you trust)")
    p.add_argument("data", help="torch.save((x, y)) or torch.save({'x': x, 'y': y})")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--loss", default="cross_entropy", choices=["cross_entropy", "mse"])
    a = p.parse_args(argv)
    try:
        model = torch.load(a.model, weights_only=False)
        data = torch.load(a.data, weights_only=False)
        x, y = (data["x"], data["y"]) if isinstance(data, dict) else data
        export(model, x, y, a.out, a.loss)
    except ExportError as e:
        print(f"hesse_export: error: {e}", file=sys.stderr)
        return 2
    print(f"wrote {a.out}/model.json, model.safetensors, data.csv")
    return 0


if __name__ == "__main__":
    sys.exit(main())
