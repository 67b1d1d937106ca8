"""XOR with a multi-layer perceptron: the classic from-scratch experiment, then the modern way.

1. Classic: inputs (x, y, x*y), ``nn.MLP(3, [2, 1], 1)`` (sigmoid hidden units, linear
   output), mean squared error, plain SGD with learning rate 0.03, one sample at a time.
2. Modern: the same network and data with tanh hidden units and Adam.

Both train until every prediction is within ``--tolerance`` of its target (or the epoch
budget runs out). Prints the four XOR predictions of each and how many steps they took,
and plots the losses and decision surfaces to ``xor.png`` when matplotlib is installed.

    python examples/xor.py
"""

from __future__ import annotations

import argparse
import os
import sys
import time

# Run from a checkout without installing: the repository root holds autograd/ and nn/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402
import nn  # noqa: E402

POINTS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
TARGETS = np.array([[0], [1], [1], [0]], dtype=np.float32)


def features(points: np.ndarray) -> np.ndarray:
    """(N, 2) points (x, y) -> (N, 3) inputs (x, y, x*y)."""
    return np.concatenate([points, points[:, :1] * points[:, 1:]], axis=1)


def train(model, optimizer, epochs: int, tolerance: float) -> tuple[list[float], int | None]:
    """One SGD step per sample; returns the mean loss of each epoch and the steps to converge."""
    inputs = [ag.Tensor(row[None]) for row in features(POINTS)]
    targets = [ag.Tensor(row[None]) for row in TARGETS]
    loss_fn = nn.MSELoss()
    losses = []
    for epoch in range(1, epochs + 1):
        epoch_loss = 0.0
        for x, y in zip(inputs, targets):
            loss = loss_fn(model(x), y)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            epoch_loss += loss.item() / len(inputs)
        losses.append(epoch_loss)
        error = np.abs(nn.predict(model, features(POINTS)) - TARGETS).max()
        if error < tolerance:
            return losses, epoch * len(inputs)
    return losses, None


def report(name: str, model, losses: list[float], steps: int | None, seconds: float) -> str:
    predictions = nn.predict(model, features(POINTS))[:, 0]
    print(f"\n{name}")
    for (x, y), target, prediction in zip(POINTS, TARGETS[:, 0], predictions):
        print(f"  xor({x:.0f}, {y:.0f}) = {target:.0f}   predicted {prediction:.3f}")
    done = f"converged in {steps} steps" if steps else f"not converged in {len(losses) * 4} steps"
    print(f"  {done}, final loss {losses[-1]:.4f}, {seconds:.1f}s")
    return f"{steps} steps" if steps else f">{len(losses) * 4} steps"


def plot(runs: list[tuple[str, object, list[float]]], path: str) -> bool:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return False
    grid = np.linspace(-0.25, 1.25, 121, dtype=np.float32)
    gx, gy = np.meshgrid(grid, grid)
    grid_points = np.stack([gx.ravel(), gy.ravel()], axis=1)
    figure, axes = plt.subplots(1, 3, figsize=(15, 4.5))
    for name, _, losses in runs:
        steps = np.arange(1, len(losses) + 1) * len(POINTS)
        axes[0].plot(steps, losses, label=name)
    axes[0].set(
        xscale="log", yscale="log", xlabel="optimizer steps (one sample each)", ylabel="MSE"
    )
    axes[0].set_title("training loss")
    axes[0].legend()
    for axis, (name, model, _) in zip(axes[1:], runs):
        surface = nn.predict(model, features(grid_points)).reshape(gx.shape)
        filled = axis.contourf(
            gx, gy, surface, levels=np.linspace(-0.1, 1.1, 25), cmap="RdBu_r", extend="both"
        )
        axis.contour(gx, gy, surface, levels=[0.5], colors="k")
        axis.scatter(
            POINTS[:, 0],
            POINTS[:, 1],
            c=TARGETS[:, 0],
            cmap="RdBu_r",
            edgecolors="k",
            s=120,
            vmin=-0.1,
            vmax=1.1,
        )
        axis.set(title=f"{name}: output (line at 0.5)", xlabel="x", ylabel="y", aspect="equal")
        figure.colorbar(filled, ax=axis)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0, help="seed of the initial weights")
    parser.add_argument(
        "--epochs", type=int, default=4000, help="epoch budget of each run (4 steps per epoch)"
    )
    parser.add_argument("--lr", type=float, default=0.03, help="SGD learning rate (classic run)")
    parser.add_argument("--adam-lr", type=float, default=0.03, help="Adam learning rate")
    parser.add_argument(
        "--tolerance",
        type=float,
        default=0.1,
        help="converged when every prediction is this close to its target",
    )
    parser.add_argument(
        "--out-dir",
        default=os.path.dirname(os.path.abspath(__file__)),
        help="where to write xor.png",
    )
    args = parser.parse_args()

    runs, summaries = [], []
    setups = [
        ("sigmoid + SGD", "sigmoid", lambda params: nn.optim.SGD(params, lr=args.lr)),
        ("tanh + Adam", "tanh", lambda params: nn.optim.Adam(params, lr=args.adam_lr)),
    ]
    for name, activation, make_optimizer in setups:
        np.random.seed(args.seed)  # both runs start from the same kind of random weights
        model = nn.MLP(3, [2, 1], 1, activation=activation)
        start = time.perf_counter()
        losses, steps = train(
            model, make_optimizer(model.parameters()), args.epochs, args.tolerance
        )
        summaries.append(
            f"{name} {report(name, model, losses, steps, time.perf_counter() - start)}"
        )
        runs.append((name, model, losses))

    path = os.path.join(args.out_dir, "xor.png")
    plotted = plot(runs, path)
    print(f"\nxor: {', '.join(summaries)}" + (f"; plot in {path}" if plotted else ""))


if __name__ == "__main__":
    main()
