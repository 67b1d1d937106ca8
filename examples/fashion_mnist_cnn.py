"""Fashion-MNIST with a small convolutional network: 92% test accuracy on a CPU.

Two blocks of Conv2d(3x3, padding 1) -> BatchNorm2d -> ReLU -> MaxPool2d(2) take the
(N, 1, 28, 28) images to (N, 32, 7, 7); then dropout, a 256-unit hidden layer and the
10 logits. Adam with a cosine learning-rate schedule, pixels scaled to [0, 1]. The test
set is evaluated after every epoch for the curves (it is not used to choose anything).

Writes fashion_mnist_cnn.npz and, with ``--plot`` (needs matplotlib),
fashion_mnist_cnn_curves.png and fashion_mnist_cnn_confusion.png next to this file (or
to --out-dir).

    python examples/fashion_mnist_cnn.py [--epochs 8] [--plot]
"""

from __future__ import annotations

import argparse
import os
import sys

# Run from a checkout without installing: the repository root holds autograd/ and nn/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

# The training helpers live beside this file (python puts the script's folder on sys.path).
from fashion_mnist_mlp import add_arguments, load_or_exit, train_classifier  # noqa: E402

import nn  # noqa: E402


def conv_block(in_channels: int, out_channels: int) -> list[nn.Module]:
    """(N, C_in, H, W) -> (N, C_out, H/2, W/2)."""
    return [
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(),
        nn.MaxPool2d(2),
    ]


def build_cnn() -> nn.Module:
    """(N, 1, 28, 28) images -> (N, 10) logits."""
    return nn.Sequential(
        *conv_block(1, 16),
        *conv_block(16, 32),
        nn.Flatten(),
        nn.Dropout(0.25),
        nn.Linear(32 * 7 * 7, 256),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(256, 10),
    )


def as_images(images: np.ndarray) -> np.ndarray:
    """(N, 28, 28) uint8 -> (N, 1, 28, 28) float32 in [0, 1]: one input channel."""
    return images[:, None].astype(np.float32) / 255


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--root", default=None, help="Fashion-MNIST directory (default: Debian's package)"
    )
    add_arguments(parser, epochs=8, batch_size=64, lr=2e-3)
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = load_or_exit(nn.datasets.fashion_mnist, args.root)
    data = (as_images(x_train), y_train), (as_images(x_test), y_test)
    train_classifier("fashion_mnist_cnn", build_cnn, data, nn.datasets.FASHION_MNIST_CLASSES, args)


if __name__ == "__main__":
    main()
