"""Fashion-MNIST with a multi-layer perceptron: ~90% test accuracy in a few minutes on a CPU.

784 -> 256 -> 128 -> 10 with ReLU and dropout, Adam with a cosine learning-rate schedule,
pixels scaled to [0, 1]. The test set is evaluated after every epoch for the curves (it is
not used to choose anything). Afterwards the model is saved with ``nn.save``, loaded into a
fresh model with ``nn.load``, and the reloaded model must score the same.

Writes fashion_mnist_mlp.npz and, with ``--plot`` (needs matplotlib),
fashion_mnist_mlp_curves.png (``nn.plot_history``) and fashion_mnist_mlp_confusion.png
next to this file (or to --out-dir). The data comes from Debian's dataset-fashion-mnist
package (/usr/share/datasets/fashion-mnist) or --root.

    python examples/fashion_mnist_mlp.py [--epochs 20] [--plot]
    mpiexec -n 2 python examples/fashion_mnist_mlp.py --distributed

With --distributed, each process started by mpiexec trains on its share of every batch
(nn.parallel.DistributedDataParallel, DistributedSampler): --batch-size stays the global
batch, so the training is the one of a single process. Only rank 0 prints and writes files.

The training helpers here are shared by fashion_mnist_cnn.py and mnist.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable

# Run from a checkout without installing: the repository root holds autograd/ and nn/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import nn  # noqa: E402
from nn.data import DataLoader, TensorDataset  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def build_mlp() -> nn.Module:
    """784 -> 256 -> 128 -> 10 classifier on flattened 28x28 images; outputs logits."""
    return nn.Sequential(
        nn.Linear(784, 256),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(256, 128),
        nn.ReLU(),
        nn.Dropout(0.1),
        nn.Linear(128, 10),
    )


def flatten(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 images -> (N, 784) float32 in [0, 1]."""
    return images.reshape(len(images), -1).astype(np.float32) / 255


def add_arguments(parser: argparse.ArgumentParser, epochs: int, batch_size: int, lr: float):
    """The command-line options shared by the image-classification examples."""
    parser.add_argument("--epochs", type=int, default=epochs, help=f"default {epochs}")
    parser.add_argument("--batch-size", type=int, default=batch_size, help=f"default {batch_size}")
    parser.add_argument("--lr", type=float, default=lr, help=f"Adam learning rate, default {lr}")
    parser.add_argument("--seed", type=int, default=0, help="seed of weights and shuffling")
    parser.add_argument(
        "--train-size", type=int, default=None, help="train on the first N images only (quick runs)"
    )
    parser.add_argument("--out-dir", default=HERE, help="where to write the model and plots")
    parser.add_argument("--no-progress", action="store_true", help="one line per epoch, no bar")
    parser.add_argument("--plot", action="store_true",
                        help="write learning curves and the confusion matrix as PNG (matplotlib)")
    parser.add_argument(
        "--distributed", action="store_true",
        help="data-parallel over the processes of mpiexec; --batch-size is the global batch",
    )
    parser.add_argument(
        "--capture", action="store_true",
        help="record the training step once and replay it (ag.capture): same results, faster",
    )


def load_or_exit(loader: Callable, root: str | None) -> tuple:
    """Call a dataset loader; a missing dataset ends the program with the loader's advice."""
    try:
        return loader(root)
    except FileNotFoundError as error:
        sys.exit(f"error: {error}")


def plot_confusion(matrix: np.ndarray, class_names, title: str, path: str) -> None:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 7))
    image = axis.imshow(matrix, cmap="Blues")
    ticks = np.arange(len(class_names))
    axis.set_xticks(ticks, class_names, rotation=45, ha="right")
    axis.set_yticks(ticks, class_names)
    axis.set(xlabel="predicted", ylabel="true", title=f"{title}: test confusion matrix")
    for (row, column), count in np.ndenumerate(matrix):
        color = "white" if count > matrix.max() / 2 else "black"
        axis.text(column, row, count, ha="center", va="center", color=color, fontsize=8)
    figure.colorbar(image, ax=axis)
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)


def save_plots(name: str, history: dict, matrix: np.ndarray, class_names, out_dir: str) -> list:
    """Learning curves and confusion matrix as PNGs."""
    import matplotlib

    matplotlib.use("Agg")
    paths = [os.path.join(out_dir, f"{name}_{kind}.png") for kind in ("curves", "confusion")]
    nn.plot_history(history, paths[0], title=name)
    plot_confusion(matrix, class_names, name, paths[1])
    return paths


def train_classifier(
    name: str,
    build_model: Callable[[], nn.Module],
    data: tuple,
    class_names,
    args: argparse.Namespace,
) -> None:
    """Train, evaluate, save, reload, plot and print the one-line summary.

    ``data`` is ``(x_train, y_train), (x_test, y_test)`` with float32 inputs ready for the
    model and int64 labels.
    """
    if args.capture and args.distributed:
        raise SystemExit("--capture and --distributed do not combine: a captured step refuses "
                         "the gradient hooks that average gradients across processes")
    start = time.perf_counter()
    (x_train, y_train), (x_test, y_test) = data
    if args.train_size is not None:
        x_train, y_train = x_train[: args.train_size], y_train[: args.train_size]
    np.random.seed(args.seed)  # initial weights and dropout masks come from NumPy's generator
    model = build_model()
    main = not args.distributed or nn.parallel.rank() == 0
    say = print if main else lambda *_: None
    say(f"{name}: {len(x_train)} training images, {len(x_test)} test images\n{model}")
    train_set, test_set = TensorDataset(x_train, y_train), TensorDataset(x_test, y_test)
    if args.distributed:
        trained, train_loader, test_loader = distribute(model, train_set, test_set, args)
        say(f"data-parallel over {nn.parallel.world_size()} processes: {train_loader.batch_size} "
            f"of every batch of {args.batch_size} each")
    else:
        trained = model
        train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True,
                                  seed=args.seed)
        test_loader = DataLoader(test_set, batch_size=1000)
    optimizer = nn.optim.Adam(model.parameters(), lr=args.lr)
    scheduler = nn.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=args.epochs)
    history = nn.fit(
        trained,
        nn.CrossEntropyLoss(),
        optimizer,
        train_loader,
        args.epochs,
        val_loader=test_loader,
        scheduler=scheduler,
        progress=not args.no_progress,
        capture=args.capture,
    )

    predictions = nn.predict(model, x_test, batch_size=1000)
    accuracy = nn.metrics.accuracy(predictions, y_test)
    matrix = nn.metrics.confusion_matrix(predictions, y_test, num_classes=len(class_names))

    os.makedirs(args.out_dir, exist_ok=True)
    model_path = os.path.join(args.out_dir, f"{name}.npz")
    if main:
        nn.save(model.state_dict(), model_path)
    if args.distributed:
        nn.parallel.barrier()  # every rank reloads what rank 0 wrote
    reloaded = build_model()
    reloaded.load_state_dict(nn.load(model_path))
    reloaded_accuracy = nn.metrics.accuracy(nn.predict(reloaded, x_test, 1000), y_test)
    if reloaded_accuracy != accuracy:
        sys.exit(f"error: the reloaded model scores {reloaded_accuracy:.4f}, not {accuracy:.4f}")

    if not main:
        return
    worst = np.argsort(np.diag(matrix) / matrix.sum(axis=1))[:2]
    print(
        "hardest classes: "
        + ", ".join(
            f"{class_names[i]} ({100 * matrix[i, i] / matrix[i].sum():.1f}%)" for i in worst
        )
    )
    plots = save_plots(name, history, matrix, class_names, args.out_dir) if args.plot else []
    seconds = time.perf_counter() - start
    epochs = f"{args.epochs} epoch" + ("s" if args.epochs != 1 else "")
    print(
        f"{name}: test accuracy {100 * accuracy:.2f}% after {epochs} in {seconds:.0f}s; "
        f"reloaded from {model_path}: {100 * reloaded_accuracy:.2f}%"
        + (f"; plots: {', '.join(plots)}" if plots else "")
    )


def distribute(model: nn.Module, train_set: TensorDataset, test_set: TensorDataset,
               args: argparse.Namespace) -> tuple:
    """The model wrapped for data-parallel training, and the loaders of this process's shards."""
    processes = nn.parallel.world_size()
    if args.batch_size % processes:
        sys.exit(f"error: --batch-size {args.batch_size} does not split over {processes} processes")
    train_loader = DataLoader(train_set, batch_size=args.batch_size // processes,
                              sampler=nn.data.DistributedSampler(train_set, seed=args.seed))
    test_loader = DataLoader(test_set, batch_size=1000,
                             sampler=nn.data.DistributedSampler(test_set, shuffle=False))
    return nn.parallel.DistributedDataParallel(model), train_loader, test_loader


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root",
        default=None,
        help="Fashion-MNIST directory (default /usr/share/datasets/fashion-mnist)",
    )
    add_arguments(parser, epochs=20, batch_size=128, lr=1e-3)
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = load_or_exit(nn.datasets.fashion_mnist, args.root)
    data = (flatten(x_train), y_train), (flatten(x_test), y_test)
    train_classifier("fashion_mnist_mlp", build_mlp, data, nn.datasets.FASHION_MNIST_CLASSES, args)


if __name__ == "__main__":
    main()
