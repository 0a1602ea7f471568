"""Writes the ONNX import test fixtures: small PyTorch models exported with torch.onnx.export (float64 weights), their
data (CSV: x0.. then label or y0..) and the PyTorch float64 references (loss; per layer the Hessian's trace and every
eigenvalue, from torch.autograd.functional.hessian of the mean loss over all rows in one batch) in reference.json.

    python3 onnx/src/test/python/make_onnx_fixtures.py   # writes onnx/src/test/resources/org/hesse/io/onnx/

Runs with Debian's python3-torch (1.13), whose exporter needs no onnx package. The files are committed, so the Java
tests need no Python.
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

try:
    from torch.func import functional_call
except ImportError:  # torch 1.13
    from torch.nn.utils.stateless import functional_call

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "org", "hesse", "io", "onnx")


class Block(nn.Module):
    """A residual block with a projection shortcut: relu(conv2(relu(conv1(x))) + proj(x))."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, padding=1)
        self.conv2 = nn.Conv2d(cout, cout, 3, padding=1)
        self.proj = nn.Conv2d(cin, cout, 1)

    def forward(self, x):
        return F.relu(self.conv2(F.relu(self.conv1(x))) + self.proj(x))


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.block1 = Block(2, 3)
        self.block2 = Block(3, 2)
        self.flat = nn.Flatten()
        self.head = nn.Linear(2 * 4 * 4, 3)

    def forward(self, x):
        return self.head(self.flat(self.block2(self.block1(x))))


class Branchy(nn.Module):
    """A graph: LayerNorm, two branches joined by a product and a sum, concatenated."""

    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(5, 6)
        self.ln = nn.LayerNorm(6)
        self.a = nn.Linear(6, 4)
        self.b = nn.Linear(6, 4)
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        h = self.ln(self.fc(x))
        u, v = torch.tanh(self.a(h)), torch.sigmoid(self.b(h))
        return self.head(torch.cat([u * v, u + v], dim=1))


class PosEmbed(nn.Module):
    """The reference module of Hesse's positional node: x + weight."""

    def __init__(self, t, d):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(t, d))

    def forward(self, x):
        return x + self.weight


class Encoder(nn.Module):
    """A small transformer encoder from primitives that export op by op: learned positions, single-head
    self-attention (softmax(q kᵀ) v, no 1/√d scale), residual + LayerNorm, a GELU feed-forward, residual + LayerNorm,
    mean over tokens, a linear head."""

    def __init__(self, t=4, d=6, hidden=8, classes=3):
        super().__init__()
        self.pos = PosEmbed(t, d)
        self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
        self.ln1 = nn.LayerNorm(d)
        self.ff1 = nn.Linear(d, hidden)
        self.ff2 = nn.Linear(hidden, d)
        self.ln2 = nn.LayerNorm(d)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        x = self.pos(x)
        a = torch.softmax(torch.matmul(self.q(x), self.k(x).transpose(1, 2)), dim=-1)
        x = self.ln1(x + self.o(torch.matmul(a, self.v(x))))
        x = self.ln2(x + self.ff2(F.gelu(self.ff1(x))))
        return self.head(x.mean(dim=1))


class TorchEncoder(nn.Module):
    """PyTorch's own nn.TransformerEncoderLayer (nn.MultiheadAttention with 2 heads, ReLU feed-forward, post-norm)."""

    def __init__(self, t=4, d=6, classes=3):
        super().__init__()
        self.pos = PosEmbed(t, d)
        self.layer = nn.TransformerEncoderLayer(d, 2, dim_feedforward=8, dropout=0.0, batch_first=True)
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        return self.head(self.layer(self.pos(x)).mean(dim=1))


class Idiom(nn.Module):
    """A small conv net whose middle is one of the shape idioms torch.onnx.export turns into shape arithmetic
    (Shape, Gather, Unsqueeze, Concat, Mul feeding a Reshape) or into ReduceMean / LogSoftmax."""

    def __init__(self, idiom):
        super().__init__()
        self.idiom = idiom
        self.conv = nn.Conv2d(2, 3, 3, padding=1)
        if idiom == "tokens":
            self.tok = nn.Linear(3, 5)  # token-wise on [H*W, C]
            self.head = nn.Linear(5, 3)
        elif idiom in ("gap", "mean_last"):
            self.head = nn.Linear(3, 3)
        else:
            self.head = nn.Linear(3 * 4 * 4, 3)

    def forward(self, x):
        h = F.relu(self.conv(x))
        if self.idiom == "view":
            h = h.view(h.size(0), -1)
        elif self.idiom == "reshape":
            h = h.reshape(h.shape[0], -1)
        elif self.idiom == "flatten":
            h = torch.flatten(h, 1)
        elif self.idiom == "view_m1":
            h = h.view(-1, 3 * 4 * 4)
        elif self.idiom == "tokens":
            b, c, hh, ww = h.shape
            h = torch.tanh(self.tok(h.view(b, c, hh * ww).transpose(1, 2))).mean(dim=1)
        elif self.idiom == "gap":  # global average pooling by mean, and a classifier ending in log_softmax
            return F.log_softmax(self.head(h.mean(dim=(2, 3))), dim=1)
        elif self.idiom == "mean_last":  # global average pooling over the flattened pixels
            h = h.view(h.size(0), h.size(1), -1).mean(-1)
        return self.head(h)


class Tied(nn.Module):
    """x -> tanh(W x + b1) -> tanh(W h + b2) -> head, one W (h2.weight = h1.weight: one initializer read by both
    Linears); on [T, D] samples (tokens) the Linears export as MatMul(x, Transpose(W)) + Add."""

    def __init__(self, d=4, classes=3, tokens=False):
        super().__init__()
        self.tokens = tokens
        self.h1 = nn.Linear(d, d)
        self.h2 = nn.Linear(d, d)
        self.h2.weight = self.h1.weight
        self.head = nn.Linear(d, classes)

    def forward(self, x):
        h = torch.tanh(self.h2(torch.tanh(self.h1(x))))
        return self.head(h.mean(dim=1) if self.tokens else h)


IDIOMS = ["view", "reshape", "flatten", "view_m1", "tokens", "gap", "mean_last"]


def models():
    """name -> (module, input sample shape, loss, outputs, BN kept by a training-mode export[, opset[, dynamic batch
    [, constant folding]]])"""
    mlp = nn.Sequential(nn.Linear(5, 7), nn.Tanh(), nn.Linear(7, 6), nn.ReLU(), nn.Linear(6, 3))
    mlp_act = nn.Sequential(nn.Linear(4, 6), nn.Sigmoid(), nn.Linear(6, 5), nn.GELU(), nn.Linear(5, 5), nn.Softplus(),
                            nn.Linear(5, 4), nn.ELU(), nn.Linear(4, 4), nn.LeakyReLU(), nn.Dropout(0.3), nn.Linear(4, 2))
    conv = nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.BatchNorm2d(3), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(3 * 3 * 3, 4))
    return {
        "mlp": (mlp, [5], "cross_entropy", 3, False),
        "mlp_activations": (mlp_act, [4], "mse", 2, False),
        "conv_bn": (conv, [2, 6, 6], "cross_entropy", 4, True),
        "resnet": (ResNet(), [2, 4, 4], "cross_entropy", 3, False),
        "branchy": (Branchy(), [5], "mse", 3, False),  # opset 14: LayerNorm as ReduceMean, Sub, Pow, ...
        "branchy_opset17": (Branchy(), [5], "mse", 3, False, 17),  # LayerNormalization
        "conv_pool": (nn.Sequential(nn.Conv2d(2, 3, 3, padding=1), nn.Sigmoid(), nn.AvgPool2d(2), nn.Conv2d(3, 4, 1, stride=1),
                                    nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(4, 3)), [2, 4, 4], "cross_entropy", 3, False),
        "encoder": (Encoder(), [4, 6], "cross_entropy", 3, False),
        "torch_encoder": (TorchEncoder(), [4, 6], "cross_entropy", 3, False),
        "bn_eval": (nn.Sequential(nn.Linear(5, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 3)), [5], "cross_entropy", 3, "eval"),
        # each idiom exported with the batch fixed (12) and with dynamic_axes={'input': {0: 'batch'}}
        **{f"idiom_{k}{'_dyn' if dyn else ''}": (Idiom(k), [2, 4, 4], "cross_entropy", 3, False, 14, dyn)
           for k in IDIOMS for dyn in (False, True)},
        "tied_mlp": (Tied(), [4], "cross_entropy", 3, False),
        "tied_tokens": (Tied(tokens=True), [3, 4], "cross_entropy", 3, False),
        # constant folding: Wᵀ as one initializer, read by h1's MatMul and, through an Identity, by h2's
        "tied_tokens_folded": (Tied(tokens=True), [3, 4], "cross_entropy", 3, False, 14, False, True),
    }


def loss_of(loss, out, y):
    return F.cross_entropy(out, y) if loss == "cross_entropy" else F.mse_loss(out, y)


def reference(model, x, y, loss):
    params = dict(model.named_parameters())  # a tied tensor once, under its first owner
    owner = {id(p): n for n, p in params.items()}
    aliases = {n: owner[id(p)] for n, p in model.state_dict(keep_vars=True).items() if n not in params and id(p) in owner}
    layers = {}
    def layer(n):  # Hesse's layer of a parameter: its module, and nn.MultiheadAttention's out_proj is part of it
        m = n.rsplit(".", 1)[0]
        return m[:-len(".out_proj")] if m.endswith(".out_proj") else m

    for prefix in dict.fromkeys(layer(n) for n in params):
        names = [n for n in params if layer(n) == prefix]  # state-dict order: weight before bias
        shapes = [params[n].shape for n in names]
        flat0 = torch.cat([params[n].detach().reshape(-1) for n in names])

        def f(flat):
            p = dict(params)
            off = 0
            for n, s in zip(names, shapes):
                k = s.numel()
                p[n] = flat[off:off + k].reshape(s)
                off += k
            for a, o in aliases.items():  # torch 1.13's functional_call does not follow ties: every name gets it
                p[a] = p[o]
            return loss_of(loss, functional_call(model, p, (x,)), y)

        h = torch.autograd.functional.hessian(f, flat0)
        ev = torch.linalg.eigvalsh(h)
        layers[prefix] = {"params": flat0.numel(), "trace": float(torch.trace(h)), "eigenvalues": [float(v) for v in ev]}
    with torch.no_grad():
        l = float(loss_of(loss, model(x), y))
    return {"loss": l, "layers": layers}


def write_csv(path, x, y, loss):
    n = x.shape[0]
    flat = x.reshape(n, -1)
    with open(path, "w") as f:
        cols = [f"x{j}" for j in range(flat.shape[1])]
        cols += ["label"] if loss == "cross_entropy" else [f"y{j}" for j in range(y.shape[1])]
        f.write(",".join(cols) + "\n")
        for i in range(n):
            vals = [repr(float(v)) for v in flat[i]]
            vals += [str(int(y[i]))] if loss == "cross_entropy" else [repr(float(v)) for v in y[i]]
            f.write(",".join(vals) + "\n")


def main():
    os.makedirs(OUT, exist_ok=True)
    refs = {}
    torch.manual_seed(0)  # the modules' initial weights: the files are reproducible
    for i, (name, spec) in enumerate(models().items()):
        model, shape, loss, outs, train_bn = spec[:5]
        opset = spec[5] if len(spec) > 5 else 14
        dynamic = {"input": {0: "batch"}} if len(spec) > 6 and spec[6] else None
        args = []
        if train_bn == "eval":  # BN with its running statistics: Hesse's --mode eval
            train_bn, args = False, ["--mode", "eval"]
            for m in model.modules():
                if isinstance(m, nn.BatchNorm1d):
                    m.running_mean.uniform_(-0.5, 0.5)
                    m.running_var.uniform_(0.5, 2.0)
        torch.manual_seed(100 + i)
        model = model.double()
        for p in model.parameters():  # weights away from PyTorch's init, so BN's affine terms matter too
            with torch.no_grad():
                p.add_(0.2 * torch.randn_like(p))
        n = 12
        x = torch.randn(n, *shape, dtype=torch.float64)
        if loss == "cross_entropy":
            y = torch.arange(n) % outs
        else:
            y = torch.randn(n, outs, dtype=torch.float64)
        model.train(train_bn)
        mode = torch.onnx.TrainingMode.TRAINING if train_bn else torch.onnx.TrainingMode.EVAL
        torch.onnx.export(model, (x,), os.path.join(OUT, name + ".onnx"), export_params=True,
                          do_constant_folding=len(spec) > 7 and spec[7],
                          training=mode, opset_version=opset, input_names=["input"], output_names=["output"],
                          dynamic_axes=dynamic)
        write_csv(os.path.join(OUT, name + ".csv"), x, y, loss)
        model.train(train_bn)  # BN: batch statistics of all rows (Hesse's analysis mode); nothing else depends on it
        refs[name] = dict(reference(model, x, y, loss), loss_name=loss, args=args)
    with open(os.path.join(OUT, "reference.json"), "w") as f:
        json.dump(refs, f, indent=1)


if __name__ == "__main__":
    main()
