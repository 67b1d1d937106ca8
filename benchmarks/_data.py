"""Data and initial weights shared by the benchmarks.

Every implementation of a benchmark starts from the same weights and sees the
same batches in the same order, so their losses and accuracies are comparable.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

FASHION_MNIST = Path("/usr/share/datasets/fashion-mnist")
FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}


def read_idx(path: Path) -> np.ndarray:
    """Read an IDX file of unsigned bytes (``.gz`` or raw) into an array of its shape."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        raw = f.read()
    dtype_code, ndim = raw[2], raw[3]
    if raw[:2] != b"\x00\x00" or dtype_code != 0x08:
        raise ValueError(f"read_idx: {path} is not an IDX file of unsigned bytes")
    shape = struct.unpack(f">{ndim}I", raw[4:4 + 4 * ndim])
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist(n_train: int | None = None, n_test: int | None = None, seed: int = 0,
                  root: Path = FASHION_MNIST) -> dict[str, object]:
    """Fashion-MNIST as float32 images (N, 1, 28, 28) in [0, 1] and int64 labels (N,).

    The training set is shuffled once with ``seed``, then cut to ``n_train``.
    Without the files, synthetic data of the same shape stands in for it
    (``source`` says which).
    """
    if all((root / name).exists() for name in FILES.values()):
        arrays = {key: read_idx(root / name) for key, name in FILES.items()}
        source = str(root)
    else:
        arrays = _synthetic(seed)
        source = "synthetic"
    order = np.random.default_rng(seed).permutation(len(arrays["train_labels"]))[:n_train]
    return {
        "x_train": _images(arrays["train_images"][order]),
        "y_train": arrays["train_labels"][order].astype(np.int64),
        "x_test": _images(arrays["test_images"][:n_test]),
        "y_test": arrays["test_labels"][:n_test].astype(np.int64),
        "source": source,
    }


def _images(raw: np.ndarray) -> np.ndarray:
    return (raw.reshape(-1, 1, 28, 28) / np.float32(255)).astype(np.float32)


def _synthetic(seed: int) -> dict[str, np.ndarray]:
    # ten noisy prototype images, so that the task is learnable and accuracy means something
    rng = np.random.default_rng(seed + 1)
    prototypes = rng.integers(0, 256, size=(10, 28, 28))
    arrays = {}
    for split, n in (("train", 60000), ("test", 10000)):
        labels = rng.integers(0, 10, size=n).astype(np.uint8)
        noise = rng.integers(-96, 96, size=(n, 28, 28))
        arrays[f"{split}_images"] = np.clip(prototypes[labels] + noise, 0, 255).astype(np.uint8)
        arrays[f"{split}_labels"] = labels
    return arrays


def linear_init(rng: np.random.Generator, fan_in: int, fan_out: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's default Linear init: weight (out, in), bias (out,), both U(+-1/sqrt(in))."""
    bound = 1 / np.sqrt(fan_in)
    weight = rng.uniform(-bound, bound, size=(fan_out, fan_in)).astype(np.float32)
    bias = rng.uniform(-bound, bound, size=fan_out).astype(np.float32)
    return weight, bias


def conv_init(rng: np.random.Generator, in_channels: int, out_channels: int, kernel: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """PyTorch's default Conv2d init: weight (out, in, k, k), bias (out,), bound 1/sqrt(in*k*k)."""
    fan_in = in_channels * kernel * kernel
    weight, bias = linear_init(rng, fan_in, out_channels)
    return weight.reshape(out_channels, in_channels, kernel, kernel), bias
