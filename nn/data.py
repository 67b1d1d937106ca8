"""Datasets and mini-batch loading.

``TensorDataset`` wraps arrays that share their first dimension;
``DataLoader`` cuts a dataset into (optionally shuffled) mini-batches of
``autograd.Tensor``::

    train = TensorDataset(x_train, y_train)          # (N, ...) and (N,)
    loader = DataLoader(train, batch_size=128, shuffle=True, seed=0)
    for x, y in loader:                              # Tensors (128, ...), (128,)
        ...
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import Tensor

__all__ = ["TensorDataset", "DataLoader"]


def _as_array(value: Any) -> np.ndarray:
    return value.data if isinstance(value, Tensor) else np.asarray(value)


class TensorDataset:
    """Samples are the rows of several arrays with the same first dimension.

    ``TensorDataset(x, y)`` with ``x`` of shape (N, ...) and ``y`` of shape
    (N, ...): ``dataset[i]`` is the tuple ``(Tensor(x[i]), Tensor(y[i]))``.
    Arrays and Tensors are accepted and keep their dtype (no copy is made).
    """

    def __init__(self, *arrays: Any) -> None:
        if not arrays:
            raise ValueError("TensorDataset: needs at least one array")
        self.arrays = tuple(_as_array(a) for a in arrays)
        shapes = [a.shape for a in self.arrays]
        if any(len(shape) == 0 for shape in shapes):
            raise ValueError(
                f"TensorDataset: arrays must have a first dimension, got shapes {shapes}"
            )
        if len({shape[0] for shape in shapes}) != 1:
            raise ValueError(
                f"TensorDataset: arrays must have the same first dimension (number of samples), "
                f"got shapes {shapes}"
            )

    def __len__(self) -> int:
        return self.arrays[0].shape[0]

    def __getitem__(self, index: Any) -> tuple[Tensor, ...]:
        # np.asarray: a 0-d row of a 1-D array is a NumPy scalar; keep its dtype.
        return tuple(Tensor(np.asarray(a[index])) for a in self.arrays)

    def __repr__(self) -> str:
        shapes = ", ".join(f"{a.shape} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


def _collate(samples: list[Any]) -> Any:
    """Stack a list of samples into one batch, keeping the samples' structure.

    Tensors and arrays are stacked along a new first axis; Python ints become
    int64 and floats float32 (the library's default float); tuples, lists and
    dicts are collated field by field.
    """
    first = samples[0]
    if isinstance(first, (tuple, list)):
        return tuple(_collate(list(field)) for field in zip(*samples))
    if isinstance(first, dict):
        return {key: _collate([sample[key] for sample in samples]) for key in first}
    if isinstance(first, bool):
        return Tensor(np.asarray(samples, dtype=bool))
    if isinstance(first, int):
        return Tensor(np.asarray(samples, dtype=np.int64))
    if isinstance(first, float):
        return Tensor(np.asarray(samples, dtype=np.float32))
    return Tensor(np.stack([_as_array(sample) for sample in samples]))


class DataLoader:
    """Iterate over a dataset in mini-batches of Tensors.

    Args:
        dataset: a ``TensorDataset``, or any object with ``__len__`` and
            ``__getitem__(int)`` (its samples are stacked into batches).
        batch_size: samples per batch (the last one may be smaller).
        shuffle: visit the samples in a new random order every epoch.
        drop_last: skip the last batch when it is smaller than ``batch_size``.
        seed: seed of the shuffling (``np.random.default_rng(seed)``): two
            loaders with the same seed give the same sequence of epochs;
            ``None`` draws fresh entropy.

    Every pass (epoch) visits each sample exactly once (all but the dropped
    tail with ``drop_last``). ``len(loader)`` is the number of batches per
    epoch. Features keep their dtype: convert ``uint8`` images to float
    yourself (e.g. ``x.astype(np.float32) / 255``).
    """

    def __init__(
        self,
        dataset: Any,
        batch_size: int = 1,
        shuffle: bool = False,
        drop_last: bool = False,
        seed: int | None = None,
    ) -> None:
        if not (hasattr(dataset, "__len__") and hasattr(dataset, "__getitem__")):
            raise TypeError(
                f"DataLoader: dataset must have __len__ and __getitem__, "
                f"got {type(dataset).__name__}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)):
            raise TypeError(f"DataLoader: batch_size must be an int, got {batch_size!r}")
        if batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be >= 1, got {batch_size}")
        size = len(dataset)
        if size == 0:
            raise ValueError("DataLoader: the dataset is empty")
        if drop_last and batch_size > size:
            raise ValueError(
                f"DataLoader: drop_last=True with batch_size={batch_size} larger than the "
                f"dataset ({size} samples) gives no batch at all"
            )
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.seed = seed
        self._rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        size = len(self.dataset)
        if self.drop_last:
            return size // self.batch_size
        return math.ceil(size / self.batch_size)

    def _batch_indices(self) -> Iterator[np.ndarray]:
        size = len(self.dataset)
        order = self._rng.permutation(size) if self.shuffle else np.arange(size)
        for batch in range(len(self)):
            yield order[batch * self.batch_size : (batch + 1) * self.batch_size]

    def __iter__(self) -> Iterator[Any]:
        # A TensorDataset is indexed with the whole batch at once: one NumPy
        # gather per array instead of a Python loop over samples.
        fast = type(self.dataset).__getitem__ is TensorDataset.__getitem__
        for indices in self._batch_indices():
            if fast:
                yield tuple(Tensor(a[indices]) for a in self.dataset.arrays)
            else:
                yield _collate([self.dataset[int(i)] for i in indices])

    def __repr__(self) -> str:
        return (
            f"DataLoader({self.dataset!r}, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, seed={self.seed})"
        )
