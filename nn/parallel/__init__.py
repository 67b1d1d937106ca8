"""Data-parallel training over several processes (and machines) with MPI.

::

    mpiexec -n 4 python train.py              # four processes on this machine

    import nn
    nn.parallel.init()                        # rank 0 of 1 without MPI: still runs
    sampler = nn.data.DistributedSampler(train_set, seed=0)
    loader = nn.data.DataLoader(train_set, batch_size=32, sampler=sampler)
    model = nn.parallel.DistributedDataParallel(build_model())
    ...                                       # the usual loop; nn.fit works too

Needs the ``[mpi]`` extra (``mpi4py`` and an MPI runtime providing ``mpiexec``); importing
``nn`` does not. ``DistributedDataParallel`` averages the gradients during
``backward()``, ``nn.SyncBatchNorm`` shares batch statistics, ``nn.fit`` and
``nn.evaluate`` add up their metrics over the processes, and with the same seed N
processes with batch B train exactly as one process with batch N·B.
"""

from nn.parallel.comm import barrier, init, is_initialized, rank, world_size
from nn.parallel.ddp import DistributedDataParallel
from nn.parallel.sync_batchnorm import SyncBatchNorm

__all__ = ["init", "is_initialized", "rank", "world_size", "barrier",
           "DistributedDataParallel", "SyncBatchNorm"]
