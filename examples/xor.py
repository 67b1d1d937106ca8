"""XOR: why a neural network needs a hidden layer.

XOR of two bits is 1 when exactly one is 1. No straight line separates the two 1s
from the two 0s in the (x, y) plane, so a network without a hidden layer (one
Linear layer and a sigmoid: logistic regression, whose boundary is a line) cannot
learn it, however long it trains: the cross-entropy is lowest when it answers 0.5
for every point (loss log 2 = 0.693). One hidden layer of a few tanh units bends
the boundary and learns XOR in a few hundred steps.

Both train on the plain inputs (x, y) with the hand-written loop every framework
hides: forward, loss, ``zero_grad``, ``backward``, ``step``. Prints the four
predictions of each; ``--plot`` writes their loss curves and decision surfaces to
xor.png.

Remark: the from-scratch blog this project started from fed ``x*y`` as a third
input. That makes XOR linearly separable (xor(x, y) = x + y - 2 x y exactly), so
one Linear(3, 1) fits it with no hidden layer at all; the last lines show it.

    python examples/xor.py [--plot] [--steps 2000] [--seed 0]
"""

from __future__ import annotations

import argparse
import os
import sys

# Run from a checkout without installing: the repository root holds autograd/ and nn/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402
import nn  # noqa: E402

POINTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float32)


def no_hidden_layer() -> nn.Module:
    """Logistic regression: p = sigmoid(w1 x + w2 y + b). Its boundary is a straight line."""
    return nn.Sequential(nn.Linear(2, 1), nn.Sigmoid())


def one_hidden_layer(hidden: int = 4) -> nn.Module:
    """2 -> ``hidden`` tanh units -> 1 sigmoid output."""
    return nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1), nn.Sigmoid())


def train(model: nn.Module, inputs: np.ndarray, steps: int, lr: float) -> list[float]:
    """Full-batch gradient descent on the binary cross-entropy; returns the loss per step."""
    x, y = ag.tensor(inputs), ag.tensor(TARGETS)
    loss_fn = nn.BCELoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()  # gradients add up across backward() calls: clear last step's
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    return losses


def report(title: str, model: nn.Module, inputs: np.ndarray, losses: list[float]) -> None:
    """Print the final loss, the predictions, and how many are on the right side of 0.5."""
    predictions = nn.predict(model, inputs)[:, 0]
    right = int(np.sum((predictions > 0.5) == (TARGETS[:, 0] > 0.5)))
    print(f"\n{title}: final loss {losses[-1]:.4f}, {right}/4 on the right side of 0.5")
    for (x, y), target, prediction in zip(POINTS, TARGETS[:, 0], predictions):
        print(f"  xor({x:.0f}, {y:.0f}) = {target:.0f}   predicted {prediction:.3f}")


def with_product(points: np.ndarray) -> np.ndarray:
    """(N, 2) points (x, y) -> (N, 3) inputs (x, y, x*y), the seed's variant."""
    return np.concatenate([points, points[:, :1] * points[:, 1:]], axis=1)


def plot(runs: list[tuple[str, nn.Module, list[float]]], path: str) -> None:
    """Loss curves and each model's decision surface, saved to ``path``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    grid = np.linspace(-0.25, 1.25, 121, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    figure, axes = plt.subplots(1, 1 + len(runs), figsize=(5 * (1 + len(runs)), 4.5))
    for title, _, losses in runs:
        axes[0].plot(np.arange(1, len(losses) + 1), losses, label=title)
    axes[0].set(xscale="log", xlabel="step", ylabel="binary cross-entropy", title="training loss")
    axes[0].axhline(np.log(2), color="grey", linestyle=":", label="log 2 (always 0.5)")
    axes[0].legend()
    for axis, (title, model, _) in zip(axes[1:], runs):
        surface = nn.predict(model, np.stack([gx.ravel(), gy.ravel()], axis=1)).reshape(gx.shape)
        filled = axis.contourf(gx, gy, surface, levels=np.linspace(0, 1, 21), cmap="RdBu_r")
        axis.contour(gx, gy, surface, levels=[0.5], colors="k")
        axis.scatter(POINTS[:, 0], POINTS[:, 1], c=TARGETS[:, 0], cmap="RdBu_r",
                     edgecolors="k", s=140, vmin=0, vmax=1)
        axis.set(title=f"{title}: output (black: 0.5)", xlabel="x", ylabel="y", aspect="equal")
        figure.colorbar(filled, ax=axis)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000, help="gradient steps per model")
    parser.add_argument("--lr", type=float, default=0.5, help="SGD learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    parser.add_argument("--plot", action="store_true", help="write xor.png (needs matplotlib)")
    parser.add_argument("--out-dir", default=os.path.dirname(os.path.abspath(__file__)),
                        help="where --plot writes xor.png")
    args = parser.parse_args()

    runs = []
    for title, build in (("no hidden layer", no_hidden_layer),
                         ("one hidden layer", one_hidden_layer)):
        ag.manual_seed(args.seed)
        model = build()
        losses = train(model, POINTS, args.steps, args.lr)
        report(title, model, POINTS, losses)
        runs.append((title, model, losses))

    ag.manual_seed(args.seed)
    linear = nn.Sequential(nn.Linear(3, 1), nn.Sigmoid())
    losses = train(linear, with_product(POINTS), args.steps, args.lr)
    report("remark: inputs (x, y, x*y), no hidden layer", linear, with_product(POINTS), losses)

    if args.plot:
        path = os.path.join(args.out_dir, "xor.png")
        plot(runs, path)
        print(f"\nplot: {path}")


if __name__ == "__main__":
    main()
