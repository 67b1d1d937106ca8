"""RNN benchmark: training steps of a GRU (sequence 64, batch 32, input 64, hidden 128).

Each step is a forward pass over a batch of sequences, the mean squared error of every
step's hidden state against a target, backward through time, and a plain SGD update,
float32. Compares the library's ``nn.GRU``, eagerly and captured (``ag.capture``), with a
hand-written NumPy GRU (forward and backpropagation through time written out, as tutorials
do) and with PyTorch's ``torch.nn.GRU`` when it is installed. The captured step is recorded
and checked on two untimed steps (parameters put back) before each round: a round is a
few steps, and the figure is what a replay costs.
Example: ``python benchmarks/rnn.py --threads 1``.
"""

from __future__ import annotations

import argparse
import resource
import sys
import time

import _harness as h
import numpy as np


def initial_params(seed: int, input_size: int, hidden: int) -> list[np.ndarray]:
    """weight_ih (3H, I), weight_hh (3H, H), bias_ih, bias_hh (3H,): PyTorch's U(+-1/sqrt(H))."""
    rng = np.random.default_rng(seed)
    bound = 1 / np.sqrt(hidden)
    shapes = [(3 * hidden, input_size), (3 * hidden, hidden), (3 * hidden,), (3 * hidden,)]
    return [rng.uniform(-bound, bound, shape).astype(np.float32) for shape in shapes]


def sequences(seed: int, count: int, length: int, input_size: int, hidden: int) -> dict:
    """``count`` input sequences (count, T, I) and targets (count, T, H), float32."""
    rng = np.random.default_rng(seed + 1)
    return {"x": rng.standard_normal((count, length, input_size)).astype(np.float32),
            "y": rng.uniform(-0.5, 0.5, (count, length, hidden)).astype(np.float32)}


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-x))


class NumpyGRU:
    """The reference: the GRU's forward and backward through time written out by hand."""

    def __init__(self, params, lr: float):
        self.params = [p.copy() for p in params]
        self.lr = lr

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One SGD step on a batch (B, T, I) with targets (B, T, H); returns the loss."""
        w_ih, w_hh, b_ih, b_hh = self.params
        hidden = w_hh.shape[1]
        xs, ys = x.transpose(1, 0, 2), y.transpose(1, 0, 2)
        h = np.zeros((x.shape[0], hidden), dtype=x.dtype)
        cache, outputs = [], []
        for x_t in xs:
            gi = x_t @ w_ih.T + b_ih
            gh = h @ w_hh.T + b_hh
            r = sigmoid(gi[:, :hidden] + gh[:, :hidden])
            z = sigmoid(gi[:, hidden:2 * hidden] + gh[:, hidden:2 * hidden])
            n = np.tanh(gi[:, 2 * hidden:] + r * gh[:, 2 * hidden:])
            cache.append((x_t, h, r, z, n, gh[:, 2 * hidden:]))
            h = (1 - z) * n + z * h
            outputs.append(h)
        diff = np.stack(outputs) - ys
        loss = float(np.mean(diff * diff))
        grad_out = 2 * diff / diff.size
        grads = [np.zeros_like(p) for p in self.params]
        grad_h = np.zeros_like(h)
        for t in reversed(range(len(xs))):
            x_t, h_prev, r, z, n, gh_n = cache[t]
            grad_h = grad_h + grad_out[t]
            grad_n = grad_h * (1 - z) * (1 - n * n)
            grad_z = grad_h * (h_prev - n) * z * (1 - z)
            grad_r = grad_n * gh_n * r * (1 - r)
            grad_gi = np.concatenate([grad_r, grad_z, grad_n], axis=1)
            grad_gh = np.concatenate([grad_r, grad_z, grad_n * r], axis=1)
            grads[0] += grad_gi.T @ x_t
            grads[1] += grad_gh.T @ h_prev
            grads[2] += grad_gi.sum(axis=0)
            grads[3] += grad_gh.sum(axis=0)
            grad_h = grad_h * z + grad_gh @ w_hh
        for param, grad in zip(self.params, grads):
            param -= self.lr * grad
        return loss

    def train(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        losses = [self.step(x[i:i + batch_size], y[i:i + batch_size])
                  for i in range(0, len(x), batch_size)]
        return float(np.mean(losses))

    def parameters(self) -> list[np.ndarray]:
        return self.params


class TorchGRU:
    """The same model in PyTorch: ``nn.GRU(batch_first=True)``, ``MSELoss``, ``optim.SGD``."""

    def __init__(self, params, lr: float):
        import torch

        self.torch = torch
        self.model = torch.nn.GRU(params[0].shape[1], params[1].shape[1], batch_first=True)
        with torch.no_grad():
            for param, value in zip(self.model.parameters(), params):
                param.copy_(torch.from_numpy(value))
        self.loss_fn = torch.nn.MSELoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr)

    def train(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        x, y = self.torch.from_numpy(x), self.torch.from_numpy(y)
        losses = []
        for i in range(0, len(x), batch_size):
            self.optimizer.zero_grad()
            output, _ = self.model(x[i:i + batch_size])
            loss = self.loss_fn(output, y[i:i + batch_size])
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def parameters(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.model.parameters()]


class OursGRU:
    """The same model with this library: ``nn.GRU(batch_first=True)``, ``nn.MSELoss``, SGD."""

    def __init__(self, params, lr: float):
        import autograd as ag
        import nn

        self.ag = ag
        self.model = nn.GRU(params[0].shape[1], params[1].shape[1], batch_first=True)
        for param, value in zip(self.model.parameters(), params):
            param.data[...] = value
        self.loss_fn = nn.MSELoss()
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=lr)

    def train(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        losses = []
        for i in range(0, len(x), batch_size):
            self.optimizer.zero_grad()
            output, _ = self.model(self.ag.Tensor(x[i:i + batch_size]))
            loss = self.loss_fn(output, self.ag.Tensor(y[i:i + batch_size]))
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def parameters(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


class CapturedGRU(OursGRU):
    """The same, with the training step recorded once by ``ag.capture`` and replayed."""

    def __init__(self, params, lr: float):
        super().__init__(params, lr)

        def step(x, y):
            self.optimizer.zero_grad()
            output, _ = self.model(x)
            loss = self.loss_fn(output, y)
            loss.backward()
            self.optimizer.step()
            return loss

        self.step = self.ag.capture(step)

    def prepare(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> None:
        """Record the step (untimed) for batches of ``batch_size`` like ``x`` and ``y``."""
        zeros = [self.ag.Tensor(np.zeros((batch_size,) + a.shape[1:], a.dtype)) for a in (x, y)]
        h.record_untimed(self.step, zeros, self.model.parameters(), self.optimizer)

    def train(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        tensor = self.ag.Tensor
        losses = [self.step(tensor(x[i:i + batch_size]), tensor(y[i:i + batch_size]))
                  for i in range(0, len(x), batch_size)]
        return float(np.mean([loss.item() for loss in losses]))


IMPLEMENTATIONS = {"numpy": NumpyGRU, "torch": TorchGRU, "ours": OursGRU, "captured": CapturedGRU}


def check_agreement(factories: dict, params: list, data: dict, args: argparse.Namespace,
                    tolerance: float = 1e-4) -> dict[str, float]:
    """One step from the same weights and batch: the largest relative parameter difference
    of each implementation from the first; raises above ``tolerance``."""
    updated = {}
    for name, factory in factories.items():
        model = factory(params, args.lr)
        model.train(data["x"][:args.batch_size], data["y"][:args.batch_size], args.batch_size)
        updated[name] = model.parameters()
    reference = next(iter(updated))
    differences = {}
    for name, arrays in updated.items():
        differences[name] = max(float(np.max(np.abs(mine - ref)) / np.max(np.abs(ref)))
                                for mine, ref in zip(arrays, updated[reference]))
        if differences[name] > tolerance:
            raise AssertionError(f"{name} disagrees with {reference} after one step: relative "
                                 f"difference {differences[name]:.3g} > {tolerance:g}")
    return differences


def time_steps(factory, params: list, data: dict, args: argparse.Namespace) -> h.Measurement:
    """Train a fresh model on every batch of ``data``: milliseconds and minor page faults
    (memory the OS had to map in again) per step, and the mean loss."""
    model = factory(params, args.lr)
    if hasattr(model, "prepare"):  # captured: recorded before the timed steps replay it
        model.prepare(data["x"], data["y"], args.batch_size)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    start = time.perf_counter()
    loss = model.train(data["x"], data["y"], args.batch_size)
    seconds = time.perf_counter() - start
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - faults
    return {"ms_per_step": 1e3 * seconds / args.steps, "loss": loss,
            "page_faults_per_step": faults / args.steps}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = h.make_parser(__doc__.splitlines()[0], rounds=5)
    parser.add_argument("--lr", type=float, default=0.5, help="SGD learning rate")
    parser.add_argument("--steps", type=int, default=10, help="training steps per round")
    parser.add_argument("--seq-len", type=int, default=64)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--input-size", type=int, default=64)
    parser.add_argument("--hidden-size", type=int, default=128)
    parser.add_argument("--impl", default="numpy,torch,ours,captured",
                        help="comma-separated implementations to run, first is the reference")
    args = parser.parse_args(argv)
    if args.quick:
        args.steps, args.seq_len, args.batch_size = 2, 8, 4
        args.input_size, args.hidden_size = 8, 16
        args.rounds, args.warmup = min(args.rounds, 2), 0
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    factories = h.chosen_implementations(args, IMPLEMENTATIONS)
    params = initial_params(args.seed, args.input_size, args.hidden_size)
    data = sequences(args.seed, args.steps * args.batch_size, args.seq_len, args.input_size,
                     args.hidden_size)
    agreement = check_agreement(factories, params, data, args)
    runners = {name: (lambda f=f: time_steps(f, params, data, args))
               for name, f in factories.items()}
    summary = h.medians(h.alternate(runners, args.rounds, args.warmup))
    ms = {name: m["ms_per_step"] for name, m in summary.items()}
    rows = [[name, m["ms_per_step"], h.ratio(m["ms_per_step"], ms.get("numpy")),
             h.ratio(m["ms_per_step"], ms.get("torch")), m["loss"], m["page_faults_per_step"]]
            for name, m in summary.items()]
    targets = [h.target("rnn ours/torch", h.ratio(ms.get("ours"), ms.get("torch")), 1.5)]
    shape = dict(seq_len=args.seq_len, batch=args.batch_size, input_size=args.input_size,
                 hidden=args.hidden_size)
    record = {"unit": "ms/step", **shape, "steps": args.steps, "medians": summary,
              "agreement": agreement, "targets": targets}
    title = (f"rnn: GRU({args.input_size}, {args.hidden_size}) training steps, sequence "
             f"{args.seq_len}, batch {args.batch_size}, median of {args.rounds} rounds of "
             f"{args.steps} steps")
    columns = ["impl", "ms/step", "vs numpy", "vs torch", "train loss", "faults/step"]
    h.report("rnn", title, columns, rows, record, quick=args.quick)
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
