"""MLP benchmark: one epoch of a 784-256-128-10 ReLU network on Fashion-MNIST.

Batch 128, float32, SGD with momentum 0.9, cross-entropy loss. Compares the
library with a hand-written NumPy forward/backward (what from-scratch tutorials
write) and with PyTorch when it is installed; reports seconds per epoch and the
test accuracy each reached. Example: ``python benchmarks/mlp.py --rounds 5``.
"""

from __future__ import annotations

import argparse
import sys

import _harness as h
import numpy as np
from _data import fashion_mnist, linear_init

SIZES = (784, 256, 128, 10)


def initial_params(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """One (weight (out, in), bias (out,)) pair per layer, PyTorch's default init."""
    rng = np.random.default_rng(seed)
    return [linear_init(rng, n_in, n_out) for n_in, n_out in zip(SIZES[:-1], SIZES[1:])]


class NumpyMLP:
    """The reference: forward and backward written out by hand, no autograd."""

    def __init__(self, params, lr: float, momentum: float):
        # tutorials store W as (in, out) and write x @ W
        self.weights = [w.T.copy() for w, _ in params]
        self.biases = [b.copy() for _, b in params]
        self.velocities = [np.zeros_like(p) for p in self.weights + self.biases]
        self.lr, self.momentum = lr, momentum

    def forward(self, x: np.ndarray) -> list[np.ndarray]:
        """The input, every hidden ReLU output, and the logits."""
        activations = [x]
        for layer, (w, b) in enumerate(zip(self.weights, self.biases)):
            z = activations[-1] @ w + b
            activations.append(z if layer == len(self.weights) - 1 else np.maximum(z, 0))
        return activations

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One SGD step on a batch; returns the batch's mean cross-entropy."""
        activations = self.forward(x)
        logits = activations.pop()
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
        grad = exp / total  # d loss / d logits = (softmax - onehot) / N
        grad[rows, y] -= 1
        grad /= len(y)
        grads = []
        for layer in reversed(range(len(self.weights))):
            inputs = activations[layer]
            grads.append((inputs.T @ grad, grad.sum(axis=0)))
            if layer > 0:
                grad = (grad @ self.weights[layer].T) * (inputs > 0)
        grad_weights, grad_biases = zip(*reversed(grads))
        self.update(list(grad_weights) + list(grad_biases))
        return loss

    def update(self, grads: list[np.ndarray]) -> None:
        """PyTorch's SGD with momentum: v = momentum * v + g; p -= lr * v."""
        for param, velocity, grad in zip(self.weights + self.biases, self.velocities, grads):
            velocity *= self.momentum
            velocity += grad
            param -= self.lr * velocity

    def train_epoch(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        x = x.reshape(len(x), -1)
        losses = [self.step(x[i:i + batch_size], y[i:i + batch_size])
                  for i in range(0, len(x), batch_size)]
        return float(np.mean(losses))

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        logits = self.forward(x.reshape(len(x), -1))[-1]
        return float(np.mean(logits.argmax(axis=1) == y))

    def parameters(self) -> list[np.ndarray]:
        return [p for w, b in zip(self.weights, self.biases) for p in (w.T, b)]


class TorchMLP:
    """The same network in PyTorch, written the way its tutorials write it."""

    def __init__(self, params, lr: float, momentum: float):
        import torch

        self.torch = torch
        layers = []
        for w, b in params:
            linear = torch.nn.Linear(w.shape[1], w.shape[0])
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(w))
                linear.bias.copy_(torch.from_numpy(b))
            layers += [linear, torch.nn.ReLU()]
        self.model = torch.nn.Sequential(*layers[:-1])
        self.loss_fn = torch.nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)

    def train_epoch(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        x = self.torch.from_numpy(x.reshape(len(x), -1))
        y = self.torch.from_numpy(y)
        losses = []
        for i in range(0, len(x), batch_size):
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(x[i:i + batch_size]), y[i:i + batch_size])
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        with self.torch.no_grad():
            logits = self.model(self.torch.from_numpy(x.reshape(len(x), -1)))
        return float(np.mean(logits.numpy().argmax(axis=1) == y))

    def parameters(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.model.parameters()]


class OursMLP:
    """The same network with this library: nn.Sequential, CrossEntropyLoss, optim.SGD."""

    def __init__(self, params, lr: float, momentum: float):
        import autograd as ag
        import nn

        self.ag = ag
        layers = []
        for w, b in params:
            linear = nn.Linear(w.shape[1], w.shape[0])
            linear.weight.data[...] = w
            linear.bias.data[...] = b
            layers += [linear, nn.ReLU()]
        self.model = nn.Sequential(*layers[:-1])
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)

    def train_epoch(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        x = x.reshape(len(x), -1)
        losses = []
        for i in range(0, len(x), batch_size):
            self.optimizer.zero_grad()
            batch = slice(i, i + batch_size)
            loss = self.loss_fn(self.model(self.ag.Tensor(x[batch])), self.ag.Tensor(y[batch]))
            loss.backward()
            self.optimizer.step()
            losses.append(loss.item())
        return float(np.mean(losses))

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        with self.ag.no_grad():
            logits = self.model(self.ag.Tensor(x.reshape(len(x), -1)))
        return float(np.mean(logits.data.argmax(axis=1) == y))

    def parameters(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


class CapturedMLP(OursMLP):
    """The same, with the training step recorded once by ``ag.capture`` and replayed."""

    def __init__(self, params, lr: float, momentum: float):
        super().__init__(params, lr, momentum)

        def step(x, y):
            self.optimizer.zero_grad()
            loss = self.loss_fn(self.model(x), y)
            loss.backward()
            self.optimizer.step()
            return loss

        self.step = self.ag.capture(step)

    def train_epoch(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        x = x.reshape(len(x), -1)
        tensor = self.ag.Tensor
        losses = [self.step(tensor(x[i:i + batch_size]), tensor(y[i:i + batch_size]))
                  for i in range(0, len(x), batch_size)]
        return float(np.mean([loss.item() for loss in losses]))


IMPLEMENTATIONS = {"numpy": NumpyMLP, "torch": TorchMLP, "ours": OursMLP, "captured": CapturedMLP}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = h.make_parser(__doc__.splitlines()[0], rounds=5)
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate")
    parser.add_argument("--momentum", type=float, default=0.9, help="SGD momentum")
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--n-train", type=int, default=None, help="training images (all: 60000)")
    parser.add_argument("--impl", default="numpy,torch,ours,captured",
                        help="comma-separated implementations to run, first is the reference")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_train, args.rounds, args.warmup = args.n_train or 2048, min(args.rounds, 2), 0
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    factories = h.chosen_implementations(args, IMPLEMENTATIONS)
    data = fashion_mnist(n_train=args.n_train, n_test=2000 if args.quick else None, seed=args.seed)
    agreement, summary, seconds, rows = h.compare_training(
        factories, initial_params(args.seed), data, args)
    targets = [
        h.target("mlp ours/numpy", h.ratio(seconds.get("ours"), seconds.get("numpy")), 1.10),
        h.target("mlp ours/torch", h.ratio(seconds.get("ours"), seconds.get("torch")), 1.0),
        h.target("mlp captured/numpy", h.ratio(seconds.get("captured"), seconds.get("numpy")), 0.9),
        h.target("mlp captured/torch", h.ratio(seconds.get("captured"), seconds.get("torch")), 0.6),
    ]
    record = {"unit": "s/epoch", "n_train": len(data["y_train"]), "data": data["source"],
              "medians": summary, "agreement": agreement, "targets": targets}
    title = (f"mlp {'-'.join(map(str, SIZES))}: one epoch of {len(data['y_train'])} images, "
             f"batch {args.batch_size}, median of {args.rounds} ({data['source']})")
    columns = ["impl", "s/epoch", "vs numpy", "vs torch", "cpu s", "cpu vs numpy", "train loss",
               "test acc", "faults/step"]
    h.report("mlp", title, columns, rows, record, quick=args.quick)
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
