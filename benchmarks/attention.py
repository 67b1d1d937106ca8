"""Attention benchmark: training steps of a small causal transformer language model.

makemore's transformer at its default width: a character vocabulary of 27, token and
position embeddings of 64, two pre-norm encoder layers (4 heads, feed-forward 256, GELU
in its tanh form, causal self-attention, no dropout), a final LayerNorm and a linear head;
sequences of 32 characters in batches of 32, float32. Each step is a forward pass, the
cross-entropy of every next-character prediction, backward and a plain SGD update.
Compares the library's ``nn.TransformerEncoder``, eagerly and captured (``ag.capture``),
with PyTorch's (same weights, the same causal mask with ``is_causal=True``) when it is
installed. The captured step is recorded and checked on two untimed steps (parameters put
back) before each round: a round is a few steps, and the figure is what a replay costs.
Example: ``python benchmarks/attention.py --threads 1``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import _harness as h
import numpy as np


def activation(library, name: str):
    """The feed-forward activation: ``"gelu-tanh"`` is makemore's (and GPT-2's) tanh
    approximation of GELU, ``"gelu"`` the exact one (erf), ``"relu"`` PyTorch's default."""
    if name == "gelu-tanh":
        gelu = library.functional.gelu
        return lambda x: gelu(x, approximate="tanh")
    return name


def build(library, args: argparse.Namespace):
    """The model as a ``library.nn.ModuleDict`` (``library``: this project's ``nn`` or torch's)."""
    layer = library.TransformerEncoderLayer(
        args.d_model, args.heads, args.feedforward, dropout=0.0,
        activation=activation(library, args.activation), batch_first=True, norm_first=True)
    return library.ModuleDict({
        "token": library.Embedding(args.vocab, args.d_model),
        "position": library.Embedding(args.seq_len, args.d_model),
        "encoder": library.TransformerEncoder(layer, args.layers,
                                              norm=library.LayerNorm(args.d_model),
                                              **({"enable_nested_tensor": False}
                                                 if library.__name__.startswith("torch")
                                                 else {})),
        "head": library.Linear(args.d_model, args.vocab),
    })


def initial_params(args: argparse.Namespace) -> dict[str, np.ndarray]:
    """The library's own initialisation (PyTorch's), by parameter name, float32."""
    import autograd as ag
    import nn

    ag.manual_seed(args.seed)
    return {name: np.array(value) for name, value in build(nn, args).state_dict().items()}


def sequences(args: argparse.Namespace) -> np.ndarray:
    """``steps * batch`` random character sequences of ``seq_len + 1`` tokens (input, target)."""
    rng = np.random.default_rng(args.seed + 1)
    return rng.integers(0, args.vocab, (args.steps * args.batch_size, args.seq_len + 1))


def causal_mask(length: int) -> np.ndarray:
    """PyTorch's ``generate_square_subsequent_mask``: -inf above the diagonal, 0 elsewhere."""
    return np.triu(np.full((length, length), -np.inf, dtype=np.float32), 1)


class OursTransformer:
    """The model with this library: ``nn.TransformerEncoder``, ``F.cross_entropy``, SGD."""

    def __init__(self, params: dict, args: argparse.Namespace):
        import autograd as ag
        import nn

        self.ag, self.F = ag, nn.functional
        self.model = build(nn, args)
        self.model.load_state_dict(params)
        self.mask = causal_mask(args.seq_len)
        self.positions = np.arange(args.seq_len)
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=args.lr)

    def train(self, tokens: np.ndarray, batch_size: int) -> float:
        model, losses = self.model, []
        for i in range(0, len(tokens), batch_size):
            batch = tokens[i:i + batch_size]
            x = model["token"](batch[:, :-1]) + model["position"](self.positions)
            hidden = model["encoder"](x, mask=self.mask, is_causal=True)
            logits = model["head"](hidden)
            loss = self.F.cross_entropy(logits.reshape((-1, logits.shape[-1])),
                                        batch[:, 1:].reshape(-1))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def parameters(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


class CapturedTransformer(OursTransformer):
    """The same, with the training step recorded once by ``ag.capture`` and replayed."""

    def __init__(self, params: dict, args: argparse.Namespace):
        super().__init__(params, args)
        model = self.model

        def step(inputs, targets):
            x = model["token"](inputs) + model["position"](self.positions)
            hidden = model["encoder"](x, mask=self.mask, is_causal=True)
            logits = model["head"](hidden)
            loss = self.F.cross_entropy(logits.reshape((-1, logits.shape[-1])),
                                        targets.reshape(-1))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            return loss

        self.step = self.ag.capture(step)

    def prepare(self, tokens: np.ndarray, batch_size: int) -> None:
        """Record the step (untimed) for batches of ``batch_size`` sequences like ``tokens``."""
        blank = np.zeros_like(tokens[:batch_size])  # slices as train's: not C-contiguous
        inputs = (self.ag.Tensor(blank[:, :-1]), self.ag.Tensor(blank[:, 1:]))
        h.record_untimed(self.step, inputs, self.model.parameters(), self.optimizer)

    def train(self, tokens: np.ndarray, batch_size: int) -> float:
        tensor = self.ag.Tensor
        losses = [self.step(tensor(tokens[i:i + batch_size, :-1]),
                            tensor(tokens[i:i + batch_size, 1:]))
                  for i in range(0, len(tokens), batch_size)]
        return float(np.mean([loss.item() for loss in losses]))


class TorchTransformer:
    """The same model in PyTorch: ``torch.nn.TransformerEncoder``, ``F.cross_entropy``, SGD."""

    def __init__(self, params: dict, args: argparse.Namespace):
        import torch

        self.torch = torch
        self.model = build(torch.nn, args)
        self.model.load_state_dict({k: torch.from_numpy(v) for k, v in params.items()})
        self.mask = torch.from_numpy(causal_mask(args.seq_len))
        self.positions = torch.arange(args.seq_len)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=args.lr)

    def train(self, tokens: np.ndarray, batch_size: int) -> float:
        model, losses = self.model, []
        tokens = self.torch.from_numpy(tokens)
        for i in range(0, len(tokens), batch_size):
            batch = tokens[i:i + batch_size]
            x = model["token"](batch[:, :-1]) + model["position"](self.positions)
            hidden = model["encoder"](x, mask=self.mask, is_causal=True)
            logits = model["head"](hidden)
            loss = self.torch.nn.functional.cross_entropy(
                logits.reshape(-1, logits.shape[-1]), batch[:, 1:].reshape(-1))
            self.optimizer.zero_grad()
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def parameters(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.model.parameters()]


IMPLEMENTATIONS = {"torch": TorchTransformer, "ours": OursTransformer,
                   "captured": CapturedTransformer}


def check_agreement(factories: dict, params: dict, tokens: np.ndarray,
                    args: argparse.Namespace, tolerance: float = 1e-4) -> dict[str, float]:
    """One step from the same weights and batch: the largest difference of each
    implementation's updated parameters from the first's (relative to that parameter's
    largest entry); raises above ``tolerance``."""
    updated = {}
    for name, factory in factories.items():
        model = factory(params, args)
        model.train(tokens[:args.batch_size], args.batch_size)
        updated[name] = model.parameters()
    reference = next(iter(updated))
    differences = {}
    for name, arrays in updated.items():
        differences[name] = max(float(np.max(np.abs(mine - ref)) / np.max(np.abs(ref)))
                                for mine, ref in zip(arrays, updated[reference], strict=True))
        if differences[name] > tolerance:
            raise AssertionError(f"{name} disagrees with {reference} after one step: relative "
                                 f"difference {differences[name]:.3g} > {tolerance:g}")
    return differences


def time_steps(factory, params: dict, tokens: np.ndarray,
               args: argparse.Namespace) -> h.Measurement:
    """Train a fresh model on every batch: milliseconds and minor page faults per step, and
    the mean loss."""
    model = factory(params, args)
    if hasattr(model, "prepare"):  # captured: recorded before the timed steps replay it
        model.prepare(tokens, args.batch_size)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    loss = model.train(tokens, args.batch_size)
    seconds = time.perf_counter() - start
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    return {"ms_per_step": 1e3 * seconds / args.steps, "loss": loss,
            "page_faults_per_step": faults / args.steps}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = h.make_parser(__doc__.splitlines()[0], rounds=5)
    parser.add_argument("--lr", type=float, default=0.1, help="SGD learning rate")
    parser.add_argument("--steps", type=int, default=10, help="training steps per round")
    parser.add_argument("--seq-len", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--d-model", type=int, default=64)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--feedforward", type=int, default=256)
    parser.add_argument("--vocab", type=int, default=27)
    parser.add_argument("--activation", choices=("gelu-tanh", "gelu", "relu"),
                        default="gelu-tanh", help="the feed-forward activation (makemore's "
                        "transformer uses the tanh approximation of GELU)")
    parser.add_argument("--impl", default="torch,ours,captured",
                        help="comma-separated implementations to run, first is the reference")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.seq_len, args.batch_size = 2, 8, 4
        args.d_model, args.heads, args.feedforward = 16, 2, 32
        args.rounds, args.warmup = min(args.rounds, 2), 0
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    factories = h.chosen_implementations(args, IMPLEMENTATIONS)
    params = initial_params(args)
    tokens = sequences(args)
    agreement = check_agreement(factories, params, tokens, args)
    runners = {name: (lambda f=f: time_steps(f, params, tokens, args))
               for name, f in factories.items()}
    summary = h.medians(h.alternate(runners, args.rounds, args.warmup))
    ms = {name: m["ms_per_step"] for name, m in summary.items()}
    rows = [[name, m["ms_per_step"], h.ratio(m["ms_per_step"], ms.get("torch")), m["loss"],
             m["page_faults_per_step"]] for name, m in summary.items()]
    targets = [h.target("attention ours/torch", h.ratio(ms.get("ours"), ms.get("torch")), 1.5)]
    shape = dict(seq_len=args.seq_len, batch=args.batch_size, d_model=args.d_model,
                 heads=args.heads, layers=args.layers, feedforward=args.feedforward,
                 activation=args.activation, vocab=args.vocab)
    record = {"unit": "ms/step", **shape, "steps": args.steps, "medians": summary,
              "agreement": agreement, "targets": targets}
    title = (f"attention: {args.layers}-layer {args.heads}-head causal transformer LM "
             f"(d_model {args.d_model}, feed-forward {args.feedforward} {args.activation}, "
             f"vocabulary {args.vocab}) training steps, sequence {args.seq_len}, batch "
             f"{args.batch_size}, median of {args.rounds} rounds of {args.steps} steps")
    columns = ["impl", "ms/step", "vs torch", "train loss", "faults/step"]
    h.report("attention", title, columns, rows, record, quick=args.quick)
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
