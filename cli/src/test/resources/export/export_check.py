"""For ExporterTest: exports two small models with tools/hesse_export.py and writes PyTorch float64 references.

    python export_check.py EXPORTER_DIR OUT_DIR

OUT_DIR/<case>/: the export (model.json, model.safetensors, data.csv) and reference.json with the loss and, per
layer with parameters (state-dict prefix), the exact Hessian block's trace and eigenvalues (ascending) by
torch.autograd.functional.hessian in float64, the model in training mode with dropout off (batch norm: batch
statistics of all rows, which is `hesse spectrum`'s default analysis mode). OUT_DIR/conv.pt, conv-data.pt (for the
exporter's command line) and bad.pt, bad-data.pt (a module the formats cannot express)."""
import json
import os
import sys

import torch
import torch.nn as nn
try:
    from torch.func import functional_call  # PyTorch 2.x
except ImportError:
    from torch.nn.utils.stateless import functional_call  # PyTorch 1.13 (Debian's python3-torch, as CI installs)

sys.path.insert(0, sys.argv[1])
from hesse_export import ExportError, export  # noqa: E402

OUT = sys.argv[2]


class Residual(nn.Module):  # the documented module (README, Formats)
    def __init__(self, *layers, alpha=1.0):
        super().__init__()
        self.block = nn.Sequential(*layers)
        self.alpha = alpha

    def forward(self, x):
        return x + self.alpha * self.block(x)


def reference(model, x, y, loss_fn):
    model = model.to(torch.float64).train()
    for m in model.modules():
        if isinstance(m, nn.Dropout):
            m.eval()
    x = x.to(torch.float64)
    params = {k: v.detach() for k, v in model.named_parameters()}  # a tied tensor once, under its first owner
    owner = {id(v): k for k, v in model.named_parameters()}
    aliases = {k: owner[id(v)] for k, v in model.state_dict(keep_vars=True).items() if k not in params and id(v) in owner}
    buffers = dict(model.named_buffers())
    groups = {}
    for k in params:
        groups.setdefault(k.split(".")[0], []).append(k)
    with torch.no_grad():
        ref = {"loss": float(loss_fn(functional_call(model, {**params, **{k: v.clone() for k, v in buffers.items()}}, (x,)), y)),
               "layers": []}
    for layer, names in groups.items():
        shapes = [params[k].shape for k in names]
        theta0 = torch.cat([params[k].reshape(-1) for k in names])

        def loss_at(t):
            p, o = dict(params), 0
            for k, s in zip(names, shapes):
                p[k] = t[o:o + s.numel()].reshape(s)
                o += s.numel()
            for a, k in aliases.items():  # torch 1.13's functional_call does not follow ties: every name gets it
                p[a] = p[k]
            p.update({k: v.clone() for k, v in buffers.items()})
            return loss_fn(functional_call(model, p, (x,)), y)

        h = torch.autograd.functional.hessian(loss_at, theta0)
        ref["layers"].append({"name": layer, "trace": float(torch.trace(h)), "eigenvalues": torch.linalg.eigvalsh(h).tolist()})
    return ref


def case(name, model, x, y, loss):
    d = os.path.join(OUT, name)
    export(model, x, y, d, loss=loss)
    ref = reference(model, x, y, nn.CrossEntropyLoss() if loss == "cross_entropy" else nn.MSELoss())
    with open(os.path.join(d, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1)


torch.manual_seed(0)
# a float32 MLP with a residual block and dropout (exported as F64: the exact values of its float32 weights)
x = torch.randn(16, 4)
y = torch.arange(16) % 3
mlp = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), Residual(nn.Linear(6, 6), nn.GELU(), nn.Linear(6, 6), alpha=0.5),
                    nn.Dropout(0.2), nn.Softplus(), nn.Linear(6, 3))
case("mlp", mlp, x, y, "cross_entropy")

# a float64 conv net with batch norm (non-trivial running statistics and affine parameters) and max pooling, mse
torch.set_default_dtype(torch.float64)
x = torch.randn(10, 2, 6, 6)
y = torch.randn(10, 2)
conv = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                     nn.Linear(27, 5), nn.LayerNorm(5), nn.ELU(), nn.Linear(5, 2))
with torch.no_grad():
    conv[1].weight.uniform_(0.5, 1.5)
    conv[1].bias.uniform_(-0.5, 0.5)
    conv(x)  # one training-mode pass: running statistics and num_batches_tracked move off their initial values
torch.save(conv, os.path.join(OUT, "conv.pt"))  # before the reference's training-mode passes
torch.save((x, y), os.path.join(OUT, "conv-data.pt"))
case("conv", conv, x, y, "mse")
# tied weights: x -> tanh(W x + b1) -> tanh(W h + b2) -> head, one W (the Hessian block of layer 0 is over W, cross
# terms of its two uses included; layer 2's block is its bias)
tied = nn.Sequential(nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 4), nn.Tanh(), nn.Linear(4, 3))
tied[2].weight = tied[0].weight
case("tied", tied, torch.randn(12, 4), torch.arange(12) % 3, "cross_entropy")
torch.save(nn.Sequential(nn.Linear(4, 4), nn.GRU(4, 4)), os.path.join(OUT, "bad.pt"))
torch.save((torch.randn(4, 4), torch.tensor([0, 1, 2, 0])), os.path.join(OUT, "bad-data.pt"))

def _tied_in_residual():
    m = nn.Sequential(nn.Linear(3, 3), Residual(nn.Linear(3, 3)))
    m[1].block[0].weight = m[0].weight
    return m


# inputs the formats cannot express: OUT_DIR/refusals.json lists, per case, the one-line message and whether the
# output directory exists afterwards
bad = {
    "leaky-slope": (nn.Sequential(nn.Linear(3, 2), nn.LeakyReLU(0.2)), torch.randn(4, 3), torch.tensor([0, 1, 0, 1]), "cross_entropy"),
    "rect-kernel": (nn.Sequential(nn.Conv2d(1, 2, (3, 2))), torch.randn(4, 1, 5, 5), torch.tensor([0, 1, 0, 1]), "cross_entropy"),
    "linear-on-image": (nn.Sequential(nn.Linear(5, 2)), torch.randn(4, 1, 5, 5), torch.tensor([0, 1, 0, 1]), "cross_entropy"),
    "nested-sequential": (nn.Sequential(nn.Linear(3, 3), nn.Sequential(nn.Tanh())), torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), "cross_entropy"),
    "missing-class": (nn.Sequential(nn.Linear(3, 3)), torch.randn(4, 3), torch.tensor([0, 2, 0, 2]), "cross_entropy"),
    "tied-in-residual": (_tied_in_residual(), torch.randn(4, 3), torch.tensor([0, 1, 2, 0]), "cross_entropy"),
    "nan-target": (nn.Sequential(nn.Linear(3, 2)), torch.randn(4, 3), torch.tensor([[0.0, float("nan")]] * 4), "mse"),
}
refusals = {}
for name, (m, bx, by, bl) in bad.items():
    d = os.path.join(OUT, "refused-" + name)
    try:
        export(m, bx, by, d, loss=bl)
        msg = None
    except ExportError as e:
        msg = str(e)
    refusals[name] = {"message": msg, "written": os.path.exists(d)}
with open(os.path.join(OUT, "refusals.json"), "w") as f:
    json.dump(refusals, f, indent=1)
print("ok")
