"""PyTorch idioms from real scripts, run as written with only the imports changed.

Each row is a line (or a few) as it appears in the PyTorch tutorials, the
PyTorch examples, micrograd or Karpathy's makemore / nanoGPT, with ``torch``
spelled ``ag``. The row runs twice: here (``ag`` = autograd, ``nn``, ``F`` =
``nn.functional``, ``optim`` = ``nn.optim``) and, where torch is installed, under
torch (``ag`` = torch, ``nn`` = torch.nn, ...). The snippet leaves its result in
``out``. Expected outcomes:

- works the same: both results agree (values, shapes and dtypes);
- ``check``: results are random, so a property of ``out`` is checked in both;
- ``raises``: here it raises this exception with this message (and ``torch``
  says whether PyTorch raises too, or accepts it: a documented difference);
- ``differs``: NumPy's meaning wins here (API.md); ``expect`` checks our value
  and the test confirms PyTorch gives another.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pytest

import autograd as ag

X3 = np.arange(24.0).reshape(2, 3, 4) / 10  # a (B, T, C) batch
LOGITS = np.array([[2.0, 0.5, -1.0], [0.1, 0.2, 3.0], [1.0, 1.0, 0.0], [-2.0, 4.0, 1.0]])
LABELS = [0, 2, 1, 1]
W0 = np.array([[0.5, -1.0], [2.0, 0.25]])


@dataclass
class Idiom:
    """One row: ``code`` leaves its result in ``out``."""

    source: str
    code: str
    check: Callable | None = None
    raises: tuple | None = None
    torch: str = "same"  # with raises or differs: "raises", "works" (or "other value")
    differs: str = ""
    expect: Callable | None = None
    needs: str = ""  # an op another branch adds: the row is skipped until it is there
    xfail: str = ""


IDIOMS = [
    # ---- micrograd and makemore: the manual update lines
    Idiom("makemore: SGD on .data",
          "W = ag.tensor(W0, requires_grad=True)\n(W ** 2).sum().backward()\n"
          "W.data += -0.1 * W.grad\nout = W"),
    Idiom("makemore: p.grad = None between steps",
          "W = ag.tensor(W0, requires_grad=True)\n(W * W).sum().backward()\nW.grad = None\n"
          "(3 * W).sum().backward()\nout = W.grad"),
    Idiom("tutorial: with torch.no_grad(): p -= lr * p.grad",
          "model = nn.Linear(2, 2)\nwith ag.no_grad():\n    model.weight.copy_(ag.tensor(W0))\n"
          "    model.bias.zero_()\n"
          "loss = (model(ag.tensor(W0.tolist())) ** 2).sum()\nloss.backward()\n"
          "with ag.no_grad():\n    for p in model.parameters():\n        p -= 0.1 * p.grad\n"
          "out = (model.weight, model.bias)"),
    Idiom("tutorial: p.grad.zero_()",
          "w = ag.tensor(W0, requires_grad=True)\n(w * w).sum().backward()\nw.grad.zero_()\n"
          "out = w.grad"),
    Idiom("makemore: bigram counts N[ix1, ix2] += 1",
          "N = ag.zeros((3, 3), dtype=ag.int32)\nfor a, b in [(0, 1), (1, 2), (0, 1)]:\n"
          "    N[a, b] += 1\nout = N"),
    Idiom("makemore: P = N.float(); P /= P.sum(1, keepdims=True)",
          "N = ag.tensor([[1, 3], [2, 2]])\nP = N.float()\nP /= P.sum(1, keepdims=True)\nout = P"),
    Idiom("makemore: P.sum(1, keepdim=True)",
          "out = ag.tensor(X3).sum(1, keepdim=True)"),
    Idiom("makemore: ag.tensor([1, 2, 3]) is int64", "out = ag.tensor([1, 2, 3]).dtype"),
    Idiom("makemore: torch.arange(n) is int64", "out = ag.arange(5)"),
    Idiom("makemore: C[X] embedding lookup with int tensors",
          "C = ag.tensor(LOGITS, requires_grad=True)\nX = ag.tensor([[0, 1, 2], [3, 3, 1]])\n"
          "emb = C[X]\nemb.sum().backward()\nout = (emb, C.grad)"),
    Idiom("makemore: emb.view(emb.shape[0], -1)",
          "emb = ag.tensor(X3)\nout = emb.view(emb.shape[0], -1)"),
    Idiom("makemore: torch.cat([emb[:, 0, :], emb[:, 1, :]], 1)",
          "emb = ag.tensor(X3)\nout = ag.cat([emb[:, 0, :], emb[:, 1, :], emb[:, 2, :]], 1)"),
    Idiom("makemore: h = torch.tanh(emb.view(-1, 6) @ W1 + b1)",
          "emb = ag.tensor(X3.tolist())\nW1 = ag.ones(6, 2) / 10\nb1 = ag.zeros(2)\n"
          "out = ag.tanh(emb.view(-1, 6) @ W1 + b1)"),
    Idiom("makemore: loss = -probs[torch.arange(n), Y].log().mean()",
          "logits = ag.tensor(LOGITS)\ncounts = logits.exp()\n"
          "probs = counts / counts.sum(1, keepdims=True)\n"
          "out = -probs[ag.arange(4), ag.tensor(LABELS)].log().mean()"),
    Idiom("makemore: F.cross_entropy(logits, Y)",
          "logits = ag.tensor(LOGITS, requires_grad=True)\n"
          "loss = F.cross_entropy(logits, ag.tensor(LABELS))\nloss.backward()\n"
          "out = (loss, logits.grad)"),
    Idiom("makemore: probs = F.softmax(logits, dim=1)",
          "out = F.softmax(ag.tensor(LOGITS), dim=1)"),
    Idiom("makemore: loss.item()",
          "out = ag.tensor(LOGITS).mean().item()"),
    Idiom("makemore: batch-norm statistics hpreact.std(0, keepdim=True)",
          "h = ag.tensor(LOGITS)\nout = (h - h.mean(0, keepdim=True)) / h.std(0, keepdim=True)"),
    Idiom("makemore: torch.manual_seed makes randn repeatable",
          "ag.manual_seed(42)\na = ag.randn(3)\nag.manual_seed(42)\nb = ag.randn(3)\n"
          "out = a.tolist() == b.tolist()"),
    Idiom("makemore: torch.multinomial(probs, num_samples=1, replacement=True)",
          "out = ag.multinomial(ag.tensor([[0.0, 1.0, 0.0]]), num_samples=1, replacement=True)",
          needs="multinomial"),
    Idiom("makemore: torch.Generator().manual_seed(2147483647)",
          "g = ag.Generator().manual_seed(2147483647)",
          raises=(AttributeError, r"no attribute 'Generator': there are no generator objects: "
                                  r"seed the one random state with ag.manual_seed\(n\)"),
          torch="works"),
    Idiom("tutorial: torch.randn(()) makes a scalar weight",
          "out = ag.randn(())", check=lambda out: out.shape == () and out.dtype == np.float32),
    # ---- nanoGPT
    Idiom("nanoGPT: B, T, C = x.size()", "B, T, C = ag.tensor(X3).size()\nout = (B, T, C)"),
    Idiom("nanoGPT: q.view(B, T, nh, C // nh).transpose(1, 2)",
          "q = ag.tensor(X3)\nB, T, C = q.size()\nout = q.view(B, T, 2, C // 2).transpose(1, 2)"),
    Idiom("nanoGPT: y.transpose(1, 2).contiguous().view(B, T, C)",
          "y = ag.tensor(X3).view(2, 3, 2, 2).transpose(1, 2)\n"
          "out = y.transpose(1, 2).contiguous().view(2, 3, 4)"),
    Idiom("nanoGPT: att = q @ k.transpose(-2, -1) * (1.0 / math.sqrt(k.size(-1)))",
          "q = k = ag.tensor(X3)\nout = q @ k.transpose(-2, -1) * (1.0 / np.sqrt(k.size(-1)))"),
    Idiom("nanoGPT: att.masked_fill(mask == 0, float('-inf'))",
          "att = ag.tensor(X3[0, :, :3])\nmask = ag.tril(ag.ones(3, 3))\n"
          "out = att.masked_fill(mask == 0, float('-inf'))", needs="masked_fill tril"),
    Idiom("nanoGPT: logits[:, -1, :] then F.softmax(logits, dim=-1)",
          "logits = ag.tensor(X3)[:, -1, :]\nout = F.softmax(logits, dim=-1)"),
    Idiom("nanoGPT: x.unsqueeze(0)", "out = ag.tensor(X3).unsqueeze(0)"),
    Idiom("nanoGPT: torch.arange(0, t, dtype=torch.long)", "out = ag.arange(0, 3, dtype=ag.long)"),
    # ---- the PyTorch tutorials and examples
    Idiom("tutorial: x.view(-1, 4)", "out = ag.tensor(X3).view(-1, 4)"),
    Idiom("tutorial: x.permute(0, 2, 1)", "out = ag.tensor(X3).permute(0, 2, 1)"),
    Idiom("tutorial: x.transpose(1, 2)", "out = ag.tensor(X3).transpose(1, 2)"),
    Idiom("tutorial: x.max(dim=1)", "out = ag.tensor(LOGITS).max(dim=1)"),
    Idiom("examples/mnist: pred = output.max(1, keepdim=True)[1]",
          "out = ag.tensor(LOGITS).max(1, keepdim=True)[1]"),
    Idiom("tutorial: logits.argmax(dim=1)", "out = ag.tensor(LOGITS).argmax(dim=1)",
          needs="argmax"),
    Idiom("quickstart: (pred.argmax(1) == y).type(torch.float).sum().item()",
          "pred = ag.tensor(LOGITS)\ny = ag.tensor(LABELS)\n"
          "out = (pred.argmax(1) == y).type(ag.float).sum().item()", needs="argmax"),
    Idiom("tutorial: x.float()", "out = ag.tensor([1, 2, 3]).float()"),
    Idiom("tutorial: x.to(torch.float64)", "out = ag.tensor([1.5, 2.5]).to(ag.float64)"),
    Idiom("quickstart: device = 'cuda' if torch.cuda.is_available() else 'cpu'",
          "device = 'cuda' if ag.cuda.is_available() else 'cpu'\nout = device"),
    Idiom("quickstart: model.to(device)",
          "device = ag.device('cuda' if ag.cuda.is_available() else 'cpu')\n"
          "model = nn.Linear(2, 3).to(device)\nX = ag.ones(4, 2).to(device)\n"
          "out = (str(device), model(X).shape)"),
    Idiom("autograd tutorial: z.detach() / with torch.no_grad()",
          "w = ag.tensor(W0, requires_grad=True)\nz = w * 2\nwith ag.no_grad():\n"
          "    u = w * 2\nout = (z.requires_grad, z.detach().requires_grad, u.requires_grad)"),
    Idiom("autograd tutorial: binary_cross_entropy_with_logits then w.grad",
          "x = ag.ones(5)\ny = ag.zeros(3)\nw = ag.tensor(np.linspace(-1, 1, 15).reshape(5, 3)"
          ".tolist(), requires_grad=True)\nz = ag.matmul(x, w)\n"
          "loss = F.binary_cross_entropy_with_logits(z, y)\nloss.backward()\nout = w.grad"),
    Idiom("tutorial: @torch.no_grad() decorator",
          "@ag.no_grad()\ndef evaluate(x):\n    return x * 2\n"
          "out = evaluate(ag.ones(2, requires_grad=True)).requires_grad"),
    Idiom("@torch.no_grad bare decorator",
          "@ag.no_grad\ndef evaluate(x):\n    return x * 2\n"
          "out = evaluate(ag.ones(2, requires_grad=True)).requires_grad"),
    Idiom("quickstart: torch.save(model.state_dict(), path); load_state_dict(torch.load(path))",
          "model, fresh = nn.Linear(2, 2), nn.Linear(2, 2)\nfile = io.BytesIO()\n"
          "ag.save(model.state_dict(), file)\nfile.seek(0)\n"
          "fresh.load_state_dict(ag.load(file))\n"
          "out = bool((fresh.weight == model.weight).all() and (fresh.bias == model.bias).all())"),
    Idiom("tutorial: torch.from_numpy(arr)", "out = ag.from_numpy(np.arange(3))"),
    Idiom("tutorial: x.size(-1), x.numel(), x.dim()",
          "x = ag.tensor(X3)\nout = (x.size(-1), x.numel(), x.dim())"),
    Idiom("tutorial: x.clone() keeps the graph",
          "x = ag.tensor(W0, requires_grad=True)\n(x.clone() * 3).sum().backward()\nout = x.grad"),
    Idiom("views share memory: y.data_ptr() == x.data_ptr()",
          "x = ag.tensor(X3)\nout = x.view(-1).data_ptr() == x.data_ptr()"),
    # ---- PyTorch spellings that are not supported: the error says what to use
    Idiom("x.cuda()", "ag.ones(2).cuda()",
          raises=(RuntimeError, r"cuda: there is no GPU backend.*x.to\(device\)"),
          torch="raises"),
    Idiom("x.storage()", "ag.ones(2).storage()",
          raises=(AttributeError, r"no attribute 'storage': a tensor's data is the NumPy array "
                                  r"x.data.*np.shares_memory"), torch="works"),
    Idiom("x.t().view(-1)", "ag.ones(2, 3).t().view(-1)",
          raises=(ValueError, r"view: .*Use \.reshape\(\.\.\.\) instead.*contiguous\(\)"),
          torch="raises"),
    Idiom("x.relu_() (an in-place variant that is missing)", "ag.ones(2).relu_()",
          raises=(AttributeError, r"no attribute 'relu_': this in-place variant does not "
                                  r"exist; write x = x.relu\(\), or x.copy_\(x.relu\(\)\)"),
          torch="works"),
    Idiom("p.grad = 0.0", "p = ag.ones(2, requires_grad=True)\np.grad = 0.0",
          raises=(TypeError, r"grad: assigned grad must be None or a Tensor"), torch="raises"),
    Idiom("old PyTorch: p.grad.data.zero_() (.data is the NumPy array)",
          "p = ag.ones(2, requires_grad=True)\np.sum().backward()\np.grad.data.zero_()",
          raises=(AttributeError, r"'numpy.ndarray' object has no attribute 'zero_'"),
          torch="works"),
    Idiom("with torch.no_grad: (without the call)", "with ag.no_grad:\n    pass",
          raises=(TypeError, r"'type' object does not support the context manager protocol"),
          torch="raises"),
    # ---- NumPy's meaning wins (API.md): documented differences
    Idiom("CIFAR tutorial: _, predicted = torch.max(outputs, 1)",
          "_, predicted = ag.max(ag.tensor(LOGITS), 1)",
          raises=(ValueError, r"too many values to unpack \(expected 2\)"), torch="works"),
    Idiom("W.transpose(0, 1) of a matrix", "out = ag.tensor(W0).transpose(0, 1)",
          raises=(ValueError, r"transpose: t.transpose\(0, 1\) of a 2-D tensor is ambiguous.*"
                              r"Write t.T, t.transpose\(1, 0\) or t.swapaxes\(0, 1\)"),
          torch="works"),
    Idiom("W.transpose(1, 0) of a matrix", "out = ag.tensor(W0).transpose(1, 0)"),
    Idiom("x.std(0): a positional axis is NumPy's (ddof=0)", "out = ag.tensor(LOGITS).std(0)",
          differs="std(axis) is NumPy's ddof=0; std(dim=) or std(0, keepdim=True) is PyTorch's",
          expect=lambda out: np.allclose(out, LOGITS.std(axis=0)), torch="other value"),
    Idiom("x.squeeze(0) of a dimension that is not 1", "out = ag.tensor(X3).squeeze(0)",
          raises=(ValueError, r"squeeze: cannot select axis 0 of shape \(2, 3, 4\).*dim="),
          torch="works"),
    Idiom("x.numpy() on a tensor that requires grad",
          "out = ag.tensor(W0, requires_grad=True).numpy()",
          differs="numpy() returns the array here (leaving the graph, API.md); PyTorch raises",
          expect=lambda out: np.array_equal(out, W0), torch="raises"),
]


def namespaces():
    """``ag``, ``nn``, ``F``, ``optim`` here and, when installed, in torch."""
    import nn
    import nn.functional as F
    from nn import optim

    ours = {"ag": ag, "nn": nn, "F": F, "optim": optim}
    try:
        import torch
    except ImportError:
        return ours, None
    return ours, {"ag": torch, "nn": torch.nn, "F": torch.nn.functional, "optim": torch.optim}


def run(code: str, names: dict):
    scope = {"io": io, "np": np, "X3": X3, "LOGITS": LOGITS, "LABELS": LABELS, "W0": W0, **names}
    exec(compile(code, "<idiom>", "exec"), scope)
    return scope.get("out")


def raises(code: str, names: dict) -> bool:
    """True if ``code`` raises (torch without CUDA raises AssertionError for ``cuda()``)."""
    try:
        run(code, names)
    except (Exception, AssertionError):
        return True
    return False


def plain(value):
    """A result as NumPy arrays, tuples, Python numbers and dtype names, from either library."""
    module = type(value).__module__
    if isinstance(value, ag.Tensor):
        return value.data
    if module.startswith("torch") and hasattr(value, "detach"):
        return value.detach().numpy()
    if isinstance(value, (tuple, list)):
        return tuple(plain(part) for part in value)
    if module.startswith("torch") and type(value).__name__ == "dtype":
        return str(value).replace("torch.", "")
    if isinstance(value, (np.dtype, type)):
        return np.dtype(value).name
    return value


def assert_same(ours, theirs, where: str = "out") -> None:
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), where
        for i, (a, b) in enumerate(zip(ours, theirs)):
            assert_same(a, b, f"{where}[{i}]")
        return
    if isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), where
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, where
        np.testing.assert_allclose(ours, theirs, rtol=1e-6, atol=1e-7, err_msg=where)
        return
    if isinstance(theirs, float):
        assert np.isclose(ours, theirs, rtol=1e-6), where
        return
    assert ours == theirs, where


def missing(idiom: Idiom) -> list:
    return [name for name in idiom.needs.split() if not hasattr(ag, name)]


def params():
    for idiom in IDIOMS:
        marks = []
        if idiom.xfail:
            marks.append(pytest.mark.xfail(strict=True, reason=idiom.xfail))
        yield pytest.param(idiom, id=idiom.source, marks=marks)


def test_the_table_has_at_least_thirty_idioms():
    assert len(IDIOMS) >= 30 and len({i.source for i in IDIOMS}) == len(IDIOMS)


@pytest.mark.parametrize("idiom", params())
def test_idiom(idiom: Idiom):
    if missing(idiom):
        pytest.skip(f"needs ag.{', ag.'.join(missing(idiom))} (added on another branch)")
    ours_names, torch_names = namespaces()
    if idiom.raises:
        error, message = idiom.raises
        with pytest.raises(error, match=message):
            run(idiom.code, ours_names)
        if torch_names is not None:
            assert raises(idiom.code, torch_names) == (idiom.torch == "raises"), "torch changed"
        return
    ours = plain(run(idiom.code, ours_names))
    if idiom.check is not None:
        assert idiom.check(ours), ours
    if idiom.expect is not None:
        assert idiom.expect(ours), ours
    if torch_names is None:
        return
    if idiom.torch == "raises":
        assert raises(idiom.code, torch_names), "torch now accepts it"
        return
    theirs = plain(run(idiom.code, torch_names))
    if idiom.differs:
        assert not np.allclose(ours, theirs), "torch now agrees: move the row up"
    elif idiom.check is not None:
        assert idiom.check(theirs), theirs
    else:
        assert_same(ours, theirs)


def readme_snippets() -> list:
    """The Python blocks of the README's "Coming from PyTorch" section."""
    from pathlib import Path

    text = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = text.split("## Coming from PyTorch\n")[1].split("\n## ")[0]
    return [block.split("```")[0] for block in section.split("```python\n")[1:]]


def test_readme_coming_from_pytorch_snippets_run(capsys):
    snippets = readme_snippets()
    assert len(snippets) == 2
    for snippet in snippets:
        exec(compile(snippet, "<README>", "exec"), {})
    printed = capsys.readouterr().out
    for advice in ("cuda: there is no GPU backend", "np.shares_memory", "there is no compiler",
                   "ag.manual_seed(n)", "Use .reshape(...) instead", "write x = x.relu("):
        assert advice in printed
