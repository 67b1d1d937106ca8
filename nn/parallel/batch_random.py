"""Random numbers per sample of a batch split across processes (dropout masks).

For N processes with per-process batches to train exactly as one process with their
concatenation, every random draw that depends on the sample — a dropout mask — must be
the same as that one process would make, whatever the split. The rule:

- Inside ``DistributedDataParallel.forward`` the *global batch* is the processes'
  batches concatenated in rank order; this process holds rows ``offset`` to
  ``offset + rows`` of it (learnt with one small ``allgather`` of the batch sizes, the
  first time a layer asks for noise in that forward).
- A layer asks :func:`random_sample` for noise of its input's shape. When the first
  axis is this process's batch, *every* process draws the noise of the whole global
  batch from NumPy's global generator and keeps its own rows. The generators agree on
  every process (``DistributedDataParallel`` hands out rank 0's state when it is built),
  so each sample gets the very numbers the single process would give it, and the
  generators stay in step afterwards.
- Anywhere else (outside a data-parallel forward, or noise whose first axis is not the
  batch) it is ``np.random.random_sample(shape)``, unchanged.

The price is that each process draws N times the noise it uses, which is small next to
the matrix products of the layers around a dropout.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np

from nn.parallel.comm import ProcessGroup

__all__ = ["random_sample", "split_batch"]


class _Split:
    """This process's rows of the global batch of one data-parallel forward."""

    def __init__(self, group: ProcessGroup, rows: int | None) -> None:
        self.group = group
        self.rows = rows
        self.located = False
        self.offset = 0
        self.total: int | None = None

    def locate(self) -> None:
        """Learn where this process's rows sit: one allgather, on first use in the forward."""
        if self.located:
            return
        self.located = True
        sizes = self.group.allgather(self.rows)
        if all(size is not None for size in sizes):  # the same decision on every process
            self.offset = sum(sizes[: self.group.rank])
            self.total = sum(sizes)


class _Current(threading.local):
    split: _Split | None = None


_current = _Current()


@contextlib.contextmanager
def split_batch(group: ProcessGroup, rows: int | None) -> Iterator[None]:
    """Within the block, this process's batch of ``rows`` samples is its share of the global one.

    ``rows`` is None when the forward has no batched input; every process must then
    say None for the rule to apply (it is decided the same way everywhere).
    """
    previous = _current.split
    _current.split = _Split(group, rows) if group.size > 1 else None
    try:
        yield
    finally:
        _current.split = previous


def random_sample(shape: tuple) -> np.ndarray:
    """Uniform [0, 1) float64 noise of ``shape``, drawn per global sample inside a split.

    The same numbers as ``np.random.random_sample(shape)`` outside a data-parallel forward.
    """
    split = _current.split
    if split is None:
        return np.random.random_sample(shape)
    split.locate()
    if split.total is None or len(shape) == 0 or shape[0] != split.rows:
        return np.random.random_sample(shape)
    noise = np.random.random_sample((split.total,) + tuple(shape[1:]))
    return noise[split.offset : split.offset + split.rows]
