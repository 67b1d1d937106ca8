"""Random numbers per sample of a batch split across processes (dropout masks).

For N processes with batches of B samples to train exactly as one process with batches
of N·B, every random draw that depends on the sample — a dropout mask — must be the one
that process would make, however the batch is split. The rule, which needs no message:

- Inside ``DistributedDataParallel.forward`` the *global batch* interleaves the
  processes' batches: sample i of rank r is row ``i·N + r`` of the global batch. That is
  the order in which ``DistributedSampler`` deals a shuffled epoch out (rank r gets
  entries r, r + N, r + 2N, ...), so the global batch is exactly the batch of a single
  process reading the same shuffled epoch N·B samples at a time.
- A layer asks :func:`random_sample` for noise of its input's shape. When the first axis
  is this process's batch of B, every process draws the noise of the whole global batch
  (N·B rows) from NumPy's global generator and keeps rows r, r + N, ... The generators
  agree on every process (``DistributedDataParallel`` hands out rank 0's state when it is
  built, and restores agreement after any backward that finds them apart), so each
  sample gets the very numbers the single process gives it.
- Anywhere else (outside a data-parallel forward, or noise whose first axis is not the
  batch) it is ``np.random.random_sample(shape)``, unchanged.

If the processes' batches differ in size (not with ``DistributedSampler``, which pads
the shards to equal length), each still uses distinct rows of its draw, so no two
samples share a mask; the generators then disagree until the next backward brings rank
0's state back (see ``DistributedDataParallel``). Such a step is not the single-process
step anyway: its gradient is an average of per-process means.

The price is that each process draws N times the noise it uses, which is small next to
the matrix products of the layers around a dropout.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator

import numpy as np

__all__ = ["random_sample", "split_batch"]


class _Current(threading.local):
    split: tuple[int, int, int] | None = None  # (rank, processes, rows)


_current = _Current()


@contextlib.contextmanager
def split_batch(rank: int, processes: int, rows: int | None) -> Iterator[None]:
    """Within the block, this process's batch of ``rows`` samples is its part of the global one.

    ``rows`` is None when the forward has no batched input (the rule is then off).
    """
    previous = _current.split
    _current.split = (rank, processes, rows) if processes > 1 and rows else None
    try:
        yield
    finally:
        _current.split = previous


def random_sample(shape: tuple) -> np.ndarray:
    """Uniform [0, 1) float64 noise of ``shape``, drawn per global sample inside a split.

    The same numbers as ``np.random.random_sample(shape)`` outside a data-parallel forward.
    """
    split = _current.split
    if split is None or len(shape) == 0 or shape[0] != split[2]:
        return np.random.random_sample(shape)
    rank, processes, rows = split
    noise = np.random.random_sample((processes * rows,) + tuple(shape[1:]))
    return noise[rank::processes]
