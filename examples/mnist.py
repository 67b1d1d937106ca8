"""MNIST digits with the Fashion-MNIST multi-layer perceptron: about 98% test accuracy.

The same 784 -> 256 -> 128 -> 10 network, optimizer and schedule as
fashion_mnist_mlp.py, on the original MNIST files, which you download yourself:
train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and
t10k-labels-idx1-ubyte.gz (gzipped or not) from https://yann.lecun.com/exdb/mnist/ or the
mirror https://ossci-datasets.s3.amazonaws.com/mnist/, all in one directory.

Writes mnist.npz and, with ``--plot`` (needs matplotlib), mnist_curves.png and
mnist_confusion.png next to this file (or to --out-dir).

    python examples/mnist.py --root ~/data/mnist [--plot]
"""

from __future__ import annotations

import argparse
import os
import sys

# Run from a checkout without installing: the repository root holds autograd/ and nn/.
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# The training helpers live beside this file (python puts the script's folder on sys.path).
from fashion_mnist_mlp import (  # noqa: E402
    add_arguments,
    build_mlp,
    flatten,
    load_or_exit,
    train_classifier,
)

import nn  # noqa: E402

DIGITS = tuple(str(digit) for digit in range(10))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True, help="directory holding the four MNIST files")
    add_arguments(parser, epochs=20, batch_size=128, lr=1e-3)
    args = parser.parse_args()
    (x_train, y_train), (x_test, y_test) = load_or_exit(nn.datasets.mnist, args.root)
    data = (flatten(x_train), y_train), (flatten(x_test), y_test)
    train_classifier("mnist", build_mlp, data, DIGITS, args)


if __name__ == "__main__":
    main()
