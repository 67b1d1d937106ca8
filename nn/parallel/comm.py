"""The MPI runtime under ``nn.parallel``: start it, ask who we are, move arrays.

``mpi4py`` is imported by :func:`init` only, so ``import nn`` never needs it. Without
mpi4py (or in a process not started by ``mpiexec``) this process is rank 0 of 1 and
every collective below is the identity. A process that an MPI launcher started as one
of several, but that cannot import mpi4py, refuses to run instead of silently training
alone.

Every collective goes through a :class:`ProcessGroup`: an MPI communicator (or this
process alone) with the few operations ``nn.parallel`` needs, on NumPy arrays.
Independent users (the gradient reducer of each ``DistributedDataParallel``, the
``SyncBatchNorm`` layers, the metrics of ``nn.fit``) each get their own duplicate of the
communicator, so their messages can never be matched with one another's.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any

import numpy as np

__all__ = [
    "ProcessGroup", "init", "is_initialized", "world", "reserved_group", "rank", "world_size",
    "barrier", "sum_over_processes", "is_main_process",
]

# What MPI launchers (MPICH/Intel MPI's Hydra, Open MPI) tell the processes they start.
_LAUNCHER_SIZE_VARIABLES = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")

# Seconds a failing process waits between printing its error and aborting the job.
ABORT_GRACE_SECONDS = 1.0


class ProcessGroup:
    """Processes that take part in the same collectives: an MPI communicator or one process.

    ``comm`` is an ``mpi4py.MPI.Comm``; ``None`` means this process alone, where every
    collective returns its input.
    """

    def __init__(self, comm: Any = None) -> None:
        self.comm = comm
        self.size = 1 if comm is None else comm.Get_size()
        self.rank = 0 if comm is None else comm.Get_rank()

    def dup(self) -> ProcessGroup:
        """The same processes on a new communicator (collective: every process calls it)."""
        return ProcessGroup(None if self.comm is None or self.size == 1 else self.comm.Dup())

    def allreduce_sum(self, array: np.ndarray) -> np.ndarray:
        """A new array: the elementwise sum of ``array`` over the processes."""
        array = np.ascontiguousarray(array)
        if self.comm is None or self.size == 1:
            return array.copy()
        total = np.empty_like(array)
        self.comm.Allreduce(array, total)  # mpi4py's default op is SUM
        return total

    def start_allreduce_sum(self, buffer: np.ndarray) -> Any:
        """Start summing the contiguous ``buffer`` over the processes, in place.

        Returns a request for :meth:`wait_all` (``None`` when there is nothing to do);
        ``buffer`` must not be touched until then.
        """
        if self.comm is None or self.size == 1:
            return None
        return self.comm.Iallreduce(_mpi().IN_PLACE, buffer)  # op: SUM

    @staticmethod
    def wait_all(requests: list) -> None:
        """Wait until every request from :meth:`start_allreduce_sum` has completed."""
        pending = [request for request in requests if request is not None]
        if pending:
            _mpi().Request.Waitall(pending)

    def broadcast_(self, buffer: np.ndarray, root: int = 0) -> None:
        """Overwrite the contiguous ``buffer`` with process ``root``'s, in place."""
        if self.comm is not None and self.size > 1:
            self.comm.Bcast(buffer, root=root)

    def allgather(self, value: Any) -> list:
        """Every process's ``value`` (small Python objects), in rank order."""
        if self.comm is None or self.size == 1:
            return [value]
        return self.comm.allgather(value)

    def broadcast_object(self, value: Any, root: int = 0) -> Any:
        """Process ``root``'s ``value`` (a small Python object) on every process."""
        if self.comm is None or self.size == 1:
            return value
        return self.comm.bcast(value, root=root)

    def barrier(self) -> None:
        """Return once every process has called it."""
        if self.comm is not None and self.size > 1:
            self.comm.Barrier()


class _State:
    world: ProcessGroup | None = None  # set by init()
    reserved: dict = {}  # purpose -> ProcessGroup, see reserved_group()
    previous_excepthook = None


_state = _State()


def _mpi():
    from mpi4py import MPI

    return MPI


def _launcher_size() -> int:
    for variable in _LAUNCHER_SIZE_VARIABLES:
        value = os.environ.get(variable, "")
        if value.isdigit():
            return int(value)
    return 1


def init() -> None:
    """Start MPI (once; later calls do nothing) and learn this process's rank and the size.

    Without mpi4py, or when the script was not started by ``mpiexec``, this process is
    rank 0 of 1 and everything still works. With several processes, an uncaught
    exception on any of them prints its traceback (naming the rank) and aborts the
    whole job with ``MPI.COMM_WORLD.Abort``, instead of leaving the others waiting
    forever in their next collective.
    """
    if _state.world is not None:
        return
    try:
        from mpi4py import MPI
    except ImportError:
        size = _launcher_size()
        if size > 1:
            raise RuntimeError(
                f"nn.parallel.init: started by an MPI launcher as one of {size} processes, "
                "but mpi4py is not installed; pip install 'mpi4py' (or the [mpi] extra), or "
                "every process would train alone"
            ) from None
        _state.world = ProcessGroup(None)
        return
    world = ProcessGroup(MPI.COMM_WORLD.Dup())
    _state.world = world
    if world.size > 1:
        _state.previous_excepthook = sys.excepthook
        sys.excepthook = _abort_on_uncaught_exception


def _abort_on_uncaught_exception(exc_type, exc_value, traceback) -> None:
    """Show the error as Python would, say which rank it came from, then end every process."""
    world = _state.world
    _state.previous_excepthook(exc_type, exc_value, traceback)
    sys.stderr.write(
        f"nn.parallel: uncaught {exc_type.__name__} on rank {world.rank} of {world.size}; "
        "aborting all processes\n"
    )
    sys.stderr.flush()
    sys.stdout.flush()
    # the launcher forwards each process's output through its own relays, and an Abort
    # makes it kill every process at once: give the relays a moment to pass the message on
    time.sleep(ABORT_GRACE_SECONDS)
    _mpi().COMM_WORLD.Abort(1)


def is_initialized() -> bool:
    """Whether :func:`init` has run in this process (it starts nothing)."""
    return _state.world is not None


def world() -> ProcessGroup:
    """All processes of the job (after :func:`init`, which this calls if needed)."""
    init()
    return _state.world


def reserved_group(purpose: str) -> ProcessGroup:
    """All processes on a communicator of their own for ``purpose``, made on first use.

    Making it is collective: every process must ask for it at the same point of the
    program (as every process runs the same layers in the same order).
    """
    group = _state.reserved.get(purpose)
    if group is None:
        group = _state.reserved[purpose] = world().dup()
    return group


def sum_over_processes(values: list[float]) -> list[float]:
    """``values`` added up over all processes (float64), or as they are in one process.

    Starts nothing: before :func:`init` (or with one process) it returns ``values``.
    Collective otherwise: every process must call it at the same point.
    """
    if _state.world is None or _state.world.size == 1:
        return list(values)
    totals = reserved_group("metrics").allreduce_sum(np.asarray(values, dtype=np.float64))
    return totals.tolist()


def is_main_process() -> bool:
    """True on rank 0, and in a single process (starts nothing)."""
    return _state.world is None or _state.world.rank == 0


def rank() -> int:
    """This process's number, 0 to ``world_size() - 1`` (starts MPI if needed)."""
    return world().rank


def world_size() -> int:
    """How many processes the job has; 1 without MPI (starts MPI if needed)."""
    return world().size


def barrier() -> None:
    """Wait until every process of the job has called ``barrier()``."""
    world().barrier()
