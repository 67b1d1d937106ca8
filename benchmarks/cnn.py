"""CNN benchmark: a small convolutional network on 10,000 Fashion-MNIST images.

Conv(1->8, 3x3, pad 1)-ReLU-MaxPool(2)-Conv(8->16, 3x3, pad 1)-ReLU-MaxPool(2)-
Flatten-Linear(784->10), batch 64, plain SGD, one pass over the images. Compares
the library with a hand-written NumPy im2col network (forward and backward
written out) and with PyTorch when it is installed. Example:
``python benchmarks/cnn.py --rounds 3``.
"""

from __future__ import annotations

import argparse
import sys

import _harness as h
import numpy as np
from _data import conv_init, fashion_mnist, linear_init

KERNEL, PAD = 3, 1
CHANNELS = (1, 8, 16)


def initial_params(seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """(weight, bias) of conv1, conv2 and the final linear layer, PyTorch's default init."""
    rng = np.random.default_rng(seed)
    convs = [conv_init(rng, c_in, c_out, KERNEL) for c_in, c_out in zip(CHANNELS, CHANNELS[1:])]
    return convs + [linear_init(rng, 16 * 7 * 7, 10)]


def im2col(x: np.ndarray) -> np.ndarray:
    """(N, C, H, W) -> (N*H*W, C*k*k): one row per output position ('same' padding)."""
    n, c, height, width = x.shape
    padded = np.pad(x, ((0, 0), (0, 0), (PAD, PAD), (PAD, PAD)))
    cols = np.empty((n, c, KERNEL, KERNEL, height, width), dtype=x.dtype)
    for i in range(KERNEL):
        for j in range(KERNEL):
            cols[:, :, i, j] = padded[:, :, i:i + height, j:j + width]
    return cols.transpose(0, 4, 5, 1, 2, 3).reshape(n * height * width, -1)


def col2im(cols: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The adjoint of im2col: add every row's entries back to the pixels they came from."""
    n, c, height, width = shape
    cols = cols.reshape(n, height, width, c, KERNEL, KERNEL).transpose(0, 3, 4, 5, 1, 2)
    padded = np.zeros((n, c, height + 2 * PAD, width + 2 * PAD), dtype=cols.dtype)
    for i in range(KERNEL):
        for j in range(KERNEL):
            padded[:, :, i:i + height, j:j + width] += cols[:, :, i, j]
    return padded[:, :, PAD:-PAD, PAD:-PAD]


class NumpyCNN:
    """The reference: im2col convolutions, reshape max-pooling, backward by hand."""

    def __init__(self, params, lr: float, momentum: float):
        self.params = [p.copy() for pair in params for p in pair]
        self.velocities = [np.zeros_like(p) for p in self.params]
        self.lr, self.momentum = lr, momentum

    @staticmethod
    def conv_forward(x, weight, bias):
        cols = im2col(x)
        out = cols @ weight.reshape(len(weight), -1).T + bias
        n, _, height, width = x.shape
        return out.reshape(n, height, width, -1).transpose(0, 3, 1, 2), cols

    @staticmethod
    def conv_backward(grad, x_shape, cols, weight):
        grad_rows = grad.transpose(0, 2, 3, 1).reshape(len(cols), -1)
        grad_weight = (grad_rows.T @ cols).reshape(weight.shape)
        grad_x = col2im(grad_rows @ weight.reshape(len(weight), -1), x_shape)
        return grad_x, grad_weight, grad_rows.sum(axis=0)

    @staticmethod
    def pool_forward(x):
        """2x2 max-pooling; also returns which entry of each window was the (first) max."""
        n, c, height, width = x.shape
        windows = x.reshape(n, c, height // 2, 2, width // 2, 2).transpose(0, 1, 2, 4, 3, 5)
        windows = windows.reshape(n, c, height // 2, width // 2, 4)
        argmax = windows.argmax(axis=-1)[..., None]
        return np.take_along_axis(windows, argmax, axis=-1)[..., 0], argmax

    @staticmethod
    def pool_backward(grad, argmax):
        # only the first max of a window gets the gradient, as in PyTorch: constant
        # regions of the image give windows of equal values
        n, c, h2, w2 = grad.shape
        grad_windows = np.zeros((n, c, h2, w2, 4), dtype=grad.dtype)
        np.put_along_axis(grad_windows, argmax, grad[..., None], axis=-1)
        grad_windows = grad_windows.reshape(n, c, h2, w2, 2, 2).transpose(0, 1, 2, 4, 3, 5)
        return grad_windows.reshape(n, c, 2 * h2, 2 * w2)

    def forward(self, x: np.ndarray, keep: list | None = None) -> np.ndarray:
        w1, b1, w2, b2, w3, b3 = self.params
        for weight, bias in ((w1, b1), (w2, b2)):
            z, cols = self.conv_forward(x, weight, bias)
            relu = np.maximum(z, 0)
            pooled, argmax = self.pool_forward(relu)
            if keep is not None:
                keep.append((x.shape, cols, relu, argmax))
            x = pooled
        if keep is not None:
            keep.append(x)
        return x.reshape(len(x), -1) @ w3.T + b3

    def step(self, x: np.ndarray, y: np.ndarray) -> float:
        """One SGD step on a batch; returns the batch's mean cross-entropy."""
        keep: list = []
        logits = self.forward(x, keep)
        shifted = logits - logits.max(axis=1, keepdims=True)
        exp = np.exp(shifted)
        total = exp.sum(axis=1, keepdims=True)
        rows = np.arange(len(y))
        loss = float(np.mean(np.log(total[:, 0]) - shifted[rows, y]))
        grad = exp / total
        grad[rows, y] -= 1
        grad /= len(y)
        features = keep.pop()
        w1, _, w2, _, w3, _ = self.params
        grads = [grad.T @ features.reshape(len(y), -1), grad.sum(axis=0)]
        grad = (grad @ w3).reshape(features.shape)
        for (x_shape, cols, relu, argmax), weight in zip(reversed(keep), (w2, w1)):
            grad = self.pool_backward(grad, argmax) * (relu > 0)
            grad, grad_weight, grad_bias = self.conv_backward(grad, x_shape, cols, weight)
            grads = [grad_weight, grad_bias] + grads
        self.update(grads)
        return loss

    def update(self, grads: list[np.ndarray]) -> None:
        """PyTorch's SGD: v = momentum * v + g; p -= lr * v (v = g without momentum)."""
        for param, velocity, grad in zip(self.params, self.velocities, grads):
            velocity *= self.momentum
            velocity += grad
            param -= self.lr * velocity

    def train_epoch(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        losses = [self.step(x[i:i + batch_size], y[i:i + batch_size])
                  for i in range(0, len(x), batch_size)]
        return float(np.mean(losses))

    def accuracy(self, x: np.ndarray, y: np.ndarray) -> float:
        hits = [self.forward(x[i:i + 1000]).argmax(axis=1) == y[i:i + 1000]
                for i in range(0, len(x), 1000)]
        return float(np.mean(np.concatenate(hits)))

    def parameters(self) -> list[np.ndarray]:
        return self.params


class TorchCNN:
    """The same network in PyTorch, written the way its tutorials write it."""

    def __init__(self, params, lr: float, momentum: float):
        import torch
        from torch import nn

        self.torch = torch
        self.model = nn.Sequential(
            nn.Conv2d(1, 8, KERNEL, padding=PAD), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, KERNEL, padding=PAD), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
        )
        with torch.no_grad():
            for param, value in zip(self.model.parameters(), (p for pair in params for p in pair)):
                param.copy_(torch.from_numpy(value))
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)

    def train_epoch(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
        x, y = self.torch.from_numpy(x), self.torch.from_numpy(y)
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
            logits = self.model(self.torch.from_numpy(x))
        return float(np.mean(logits.numpy().argmax(axis=1) == y))

    def parameters(self) -> list[np.ndarray]:
        return [p.detach().numpy() for p in self.model.parameters()]


class OursCNN:
    """The same network with this library's nn layers."""

    def __init__(self, params, lr: float, momentum: float):
        import autograd as ag
        import nn

        self.ag = ag
        self.model = nn.Sequential(
            nn.Conv2d(1, 8, KERNEL, padding=PAD), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, KERNEL, padding=PAD), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Linear(16 * 7 * 7, 10),
        )
        for param, value in zip(self.model.parameters(), (p for pair in params for p in pair)):
            param.data[...] = value
        self.loss_fn = nn.CrossEntropyLoss()
        self.optimizer = nn.optim.SGD(self.model.parameters(), lr=lr, momentum=momentum)

    def train_epoch(self, x: np.ndarray, y: np.ndarray, batch_size: int) -> float:
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
        hits = []
        with self.ag.no_grad():
            for i in range(0, len(x), 1000):
                logits = self.model(self.ag.Tensor(x[i:i + 1000]))
                hits.append(logits.data.argmax(axis=1) == y[i:i + 1000])
        return float(np.mean(np.concatenate(hits)))

    def parameters(self) -> list[np.ndarray]:
        return [p.data for p in self.model.parameters()]


class CapturedCNN(OursCNN):
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
        tensor = self.ag.Tensor
        losses = [self.step(tensor(x[i:i + batch_size]), tensor(y[i:i + batch_size]))
                  for i in range(0, len(x), batch_size)]
        return float(np.mean([loss.item() for loss in losses]))


IMPLEMENTATIONS = {"numpy": NumpyCNN, "torch": TorchCNN, "ours": OursCNN, "captured": CapturedCNN}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = h.make_parser(__doc__.splitlines()[0], rounds=3)
    parser.add_argument("--lr", type=float, default=0.05, help="learning rate")
    parser.add_argument("--momentum", type=float, default=0.0, help="SGD momentum")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--n-train", type=int, default=10000, help="training images")
    parser.add_argument("--impl", default="numpy,torch,ours,captured",
                        help="comma-separated implementations to run, first is the reference")
    args = parser.parse_args(argv)
    if args.quick:
        args.n_train, args.rounds, args.warmup = min(args.n_train, 512), min(args.rounds, 2), 0
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    factories = h.chosen_implementations(args, IMPLEMENTATIONS)
    data = fashion_mnist(n_train=args.n_train, n_test=1000 if args.quick else None, seed=args.seed)
    agreement, summary, seconds, rows = h.compare_training(
        factories, initial_params(args.seed), data, args)
    targets = [h.target("cnn ours/torch", h.ratio(seconds.get("ours"), seconds.get("torch")), 1.5),
               h.target("cnn captured/torch",
                        h.ratio(seconds.get("captured"), seconds.get("torch")), 1.2)]
    record = {"unit": "s/pass", "n_train": len(data["y_train"]), "data": data["source"],
              "medians": summary, "agreement": agreement, "targets": targets}
    title = (f"cnn: one pass over {len(data['y_train'])} images, batch {args.batch_size}, "
             f"median of {args.rounds} ({data['source']})")
    columns = ["impl", "s/pass", "vs numpy", "vs torch", "cpu s", "cpu vs numpy", "train loss",
               "test acc", "faults/step"]
    h.report("cnn", title, columns, rows, record, quick=args.quick)
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
