"""Datasets and mini-batch loading.

``TensorDataset`` wraps arrays that share their first dimension;
``DataLoader`` cuts a dataset into (optionally shuffled) mini-batches of
``autograd.Tensor``::

    train = TensorDataset(x_train, y_train)          # (N, ...) and (N,)
    loader = DataLoader(train, batch_size=128, shuffle=True, seed=0)
    for x, y in loader:                              # Tensors (128, ...), (128,)
        ...

``DistributedSampler`` gives each of several processes its own share of the
samples (PyTorch's rules), for ``DataLoader(dataset, sampler=...)``.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import numpy as np

from autograd import Tensor

__all__ = ["TensorDataset", "DataLoader", "DistributedSampler"]


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


class DistributedSampler:
    """The indices of this process's share of a dataset, with PyTorch's sharding rules.

    Args:
        dataset: anything with ``__len__``.
        num_replicas: the number of processes (default ``nn.parallel.world_size()``).
        rank: this process's number (default ``nn.parallel.rank()``).
        shuffle: a new random order every epoch, the same on every process: a
            permutation from ``np.random.default_rng(seed + epoch)``.
        seed: seed of the shuffling; every process must use the same one.
        drop_last: drop the tail so that the shards are equal without repeats.

    Every process gets ``len(sampler)`` indices. Without ``drop_last`` that is
    ``ceil(len(dataset) / num_replicas)``: the (shuffled) index list is padded with its
    own first entries up to ``num_replicas * len(sampler)``, so a few samples are seen
    twice per epoch. With ``drop_last`` it is ``ceil((len(dataset) - num_replicas) /
    num_replicas)`` when the length does not divide evenly (the last indices are left out).
    Process ``rank`` takes every ``num_replicas``-th entry starting at ``rank``.
    Call :meth:`set_epoch` at the start of every epoch (``nn.fit`` does it) for a new order.
    """

    def __init__(self, dataset: Any, num_replicas: int | None = None, rank: int | None = None,
                 shuffle: bool = True, seed: int = 0, drop_last: bool = False) -> None:
        if num_replicas is None or rank is None:
            from nn import parallel

            num_replicas = parallel.world_size() if num_replicas is None else num_replicas
            rank = parallel.rank() if rank is None else rank
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(
                f"DistributedSampler: invalid rank {rank}, rank should be in the interval "
                f"[0, {num_replicas - 1}]"
            )
        self.dataset = dataset
        self.num_replicas = int(num_replicas)
        self.rank = int(rank)
        self.shuffle = shuffle
        self.seed = seed
        self.drop_last = drop_last
        self.epoch = 0
        size = len(dataset)
        if drop_last and size % self.num_replicas:
            self.num_samples = math.ceil((size - self.num_replicas) / self.num_replicas)
        else:
            self.num_samples = math.ceil(size / self.num_replicas)
        self.total_size = self.num_samples * self.num_replicas

    def set_epoch(self, epoch: int) -> None:
        """Use the shuffle of ``epoch`` next (call with the same value on every process)."""
        self.epoch = int(epoch)

    def indices(self) -> np.ndarray:
        """This process's indices for the current epoch, as an int64 array."""
        size = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(size)
        else:
            order = np.arange(size)
        if self.drop_last:
            order = order[: self.total_size]
        elif self.total_size > size:  # pad by repeating from the start, as often as needed
            order = np.resize(order, self.total_size)
        return order[self.rank : self.total_size : self.num_replicas]

    def __iter__(self) -> Iterator[int]:
        return iter(self.indices().tolist())

    def __len__(self) -> int:
        return self.num_samples

    def __repr__(self) -> str:
        return (f"DistributedSampler(num_replicas={self.num_replicas}, rank={self.rank}, "
                f"shuffle={self.shuffle}, seed={self.seed}, drop_last={self.drop_last})")


class DataLoader:
    """Iterate over a dataset in mini-batches of Tensors.

    Args:
        dataset: a ``TensorDataset``, or any object with ``__len__`` and
            ``__getitem__(int)`` (its samples are stacked into batches).
        batch_size: samples per batch (the last one may be smaller).
        shuffle: visit the samples in a new random order every epoch.
        drop_last: skip the last batch when it is smaller than ``batch_size``.
        seed: seed of the shuffling (``np.random.default_rng(seed)``): two
            loaders with the same seed give the same sequence of epochs.
            ``None`` draws each epoch's order from the global random state
            (``np.random.permutation``), so it follows ``ag.manual_seed`` as
            PyTorch's loader follows ``torch.manual_seed``.
        sampler: an iterable of dataset indices with ``__len__`` (such as a
            ``DistributedSampler``) that chooses the samples and their order
            each epoch instead; it excludes ``shuffle``.

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
        sampler: Any = None,
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
        if sampler is not None and shuffle:
            raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle")
        if sampler is not None and not (hasattr(sampler, "__len__")
                                        and hasattr(sampler, "__iter__")):
            raise TypeError(
                f"DataLoader: sampler must have __len__ and __iter__, got {type(sampler).__name__}"
            )
        size = len(dataset) if sampler is None else len(sampler)
        if size == 0:
            raise ValueError("DataLoader: the dataset is empty"
                             + (" (or the sampler gives no index)" if sampler is not None else ""))
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
        self.sampler = sampler
        self._rng = None if seed is None else np.random.default_rng(seed)

    def __len__(self) -> int:
        size = len(self.dataset) if self.sampler is None else len(self.sampler)
        if self.drop_last:
            return size // self.batch_size
        return math.ceil(size / self.batch_size)

    def _batch_indices(self) -> Iterator[np.ndarray]:
        if self.sampler is not None:
            order = np.fromiter(self.sampler, dtype=np.int64, count=len(self.sampler))
        elif self.shuffle:
            order = (np.random.permutation(len(self.dataset)) if self._rng is None
                     else self._rng.permutation(len(self.dataset)))
        else:
            order = np.arange(len(self.dataset))
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
            f"drop_last={self.drop_last}, seed={self.seed}"
            + (f", sampler={self.sampler!r})" if self.sampler is not None else ")")
        )
