"""Programs that tests/test_parallel_mpi.py runs under ``mpiexec``.

    mpiexec -n 2 python tests/parallel_worker.py SCENARIO OUT_DIR

Each scenario writes what the test checks into OUT_DIR (every rank its own file unless
said otherwise). The single-process references in the test use the functions here with
the ordinary model, so both sides train the very same network.
"""

from __future__ import annotations

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402

import autograd as ag  # noqa: E402
import nn  # noqa: E402
from nn.data import DataLoader, DistributedSampler, TensorDataset  # noqa: E402

STEPS = 20
BATCH = 6  # per process
FEATURES = 5
CLASSES = 3


def build_model(seed: int = 0, dropout: float = 0.3) -> nn.Module:
    """float64 classifier with BatchNorm and two Dropouts; ``seed`` sets weights and masks."""
    np.random.seed(seed)
    return nn.Sequential(
        nn.Linear(FEATURES, 8, bias=False), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(8, 8), nn.Tanh(), nn.Dropout(dropout / 2), nn.Linear(8, CLASSES),
    ).double()


def train(model: nn.Module, processes: int, rank: int | None) -> nn.Module:
    """STEPS steps of SGD; global batches of ``processes * BATCH`` rows.

    ``rank=None``: one process takes every row; otherwise this process takes rows
    ``rank, rank + processes, ...`` (its share, dealt out as DistributedSampler does).
    """
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-3)
    rng = np.random.default_rng(1)
    loss_fn = nn.CrossEntropyLoss()
    rows = slice(None) if rank is None else slice(rank, None, processes)
    for _ in range(STEPS):
        x = rng.standard_normal((processes * BATCH, FEATURES))
        y = rng.integers(0, CLASSES, processes * BATCH)
        loss = loss_fn(model(ag.Tensor(x[rows])), ag.Tensor(y[rows]))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def equality(out: str) -> None:
    """Rank r builds its model with seed r (DDP must hand out rank 0's), then trains."""
    rank, size = nn.parallel.rank(), nn.parallel.world_size()
    model = nn.SyncBatchNorm.convert_sync_batchnorm(build_model(seed=rank))
    ddp = nn.parallel.DistributedDataParallel(model)
    train(ddp, size, rank)
    np.savez(os.path.join(out, f"rank{rank}.npz"), **ddp.module.state_dict())
    checkpoint = os.path.join(out, "checkpoint.npz")
    if rank == 0:
        nn.save(ddp.module.state_dict(), checkpoint)
    nn.parallel.barrier()
    loaded = nn.load(checkpoint)  # every rank can read what rank 0 wrote
    for key, value in ddp.module.state_dict().items():
        if not np.array_equal(loaded[key], value):
            raise AssertionError(f"rank {rank}: checkpoint entry {key} differs from the model")


class _Parts(nn.Module):
    """Three parameters: ``a`` used everywhere, ``b`` only on rank 1, ``c`` nowhere."""

    def __init__(self, dtype) -> None:
        super().__init__()
        self.a = nn.Parameter(np.zeros((2, 3), dtype=dtype))
        self.b = nn.Parameter(np.zeros(4, dtype=dtype))
        self.c = nn.Parameter(np.zeros(5, dtype=dtype))

    def forward(self, rank: int):
        loss = (self.a * (rank + 1.0)).sum()
        return loss + (self.b * 3.0).sum() if rank == 1 else loss


def gradients(out: str) -> None:
    """Averaged gradients, unused parameters and no_sync, for several bucket sizes."""
    rank = nn.parallel.rank()
    results = {}
    for dtype in ("float32", "float64"):
        for cap in (25.0, 1e-6):  # one bucket; one bucket per parameter
            ddp = nn.parallel.DistributedDataParallel(_Parts(dtype), bucket_cap_mb=cap)
            ddp(rank).backward()
            once = {name: None if p.grad is None else p.grad.data.tolist()
                    for name, p in ddp.module.named_parameters()}
            grad_dtype = str(ddp.module.a.grad.data.dtype)
            ddp.zero_grad()
            with ddp.no_sync():
                ddp(rank).backward()
            local = ddp.module.a.grad.data.tolist()
            ddp(rank).backward()
            accumulated = ddp.module.a.grad.data.tolist()
            results[f"{dtype} {cap}"] = {"once": once, "dtype": grad_dtype, "local": local,
                                         "accumulated": accumulated,
                                         "buckets": len(ddp.reducer.buckets)}
    with open(os.path.join(out, f"rank{rank}.json"), "w") as file:
        json.dump(results, file)


FIT_SAMPLES, FIT_GLOBAL_BATCH, FIT_EPOCHS = 48, 8, 2


def fit_data() -> TensorDataset:
    rng = np.random.default_rng(2)
    x = rng.standard_normal((FIT_SAMPLES, FEATURES))
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64) + (x[:, 2] > 1).astype(np.int64)
    return TensorDataset(x, y)


def fit_model() -> nn.Module:
    np.random.seed(3)
    return nn.Sequential(nn.Linear(FEATURES, 16), nn.ReLU(), nn.Dropout(0.25),
                         nn.Linear(16, CLASSES)).double()


def fit_run(model: nn.Module, processes: int, rank: int, verbose: bool) -> dict:
    """nn.fit for FIT_EPOCHS over this process's shard of each global batch of 8."""
    data = fit_data()
    train_loader = DataLoader(data, batch_size=FIT_GLOBAL_BATCH // processes,
                              sampler=DistributedSampler(data, processes, rank, seed=5))
    val_loader = DataLoader(data, batch_size=5,
                            sampler=DistributedSampler(data, processes, rank, shuffle=False))
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
    history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, train_loader, FIT_EPOCHS,
                     val_loader=val_loader, progress=False, verbose=verbose)
    return {key: history[key] for key in ("train_loss", "train_acc", "val_loss", "val_acc")}


def fit(out: str) -> None:
    """nn.fit with DDP over DistributedSamplers; rank 0 records history and weights."""
    rank, size = nn.parallel.rank(), nn.parallel.world_size()
    ddp = nn.parallel.DistributedDataParallel(fit_model())
    history = fit_run(ddp, size, rank, verbose=True)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as file:
        json.dump(history, file)
    np.savez(os.path.join(out, f"rank{rank}.npz"), **ddp.module.state_dict())


def random_states(out: str) -> None:
    """Rank 1 draws more noise than rank 0; after a backward both generators agree again."""
    rank = nn.parallel.rank()
    ddp = nn.parallel.DistributedDataParallel(nn.Sequential(nn.Linear(3, 4), nn.Dropout(0.5)))
    before = np.random.random_sample(2).tolist()
    if rank == 1:
        np.random.random_sample(7)
    ddp(ag.ones(2 + rank, 3)).sum().backward()  # batches of different sizes, too
    after = np.random.random_sample(2).tolist()
    with open(os.path.join(out, f"rank{rank}.json"), "w") as file:
        json.dump({"before": before, "after": after}, file)


def buffers(out: str) -> None:
    """Rank r's BatchNorm starts with running mean r + 1; only graph-recording forwards sync."""
    rank = nn.parallel.rank()
    ddp = nn.parallel.DistributedDataParallel(nn.BatchNorm1d(2))
    ddp.module.running_mean.data[...] = rank + 1
    if rank == 0:  # alone: under no_grad the forward sends nothing
        nn.predict(ddp, np.zeros((3, 2), dtype=np.float32))
    with ag.no_grad():
        ddp(ag.zeros(4, 2))  # train mode: updates the statistics, sends nothing
    untouched = ddp.module.running_mean.data.tolist()
    ddp(ag.zeros(4, 2))  # rank 0's buffers first, then this batch (mean 0, momentum 0.1)
    with open(os.path.join(out, f"rank{rank}.json"), "w") as file:
        json.dump({"untouched": untouched, "synced": ddp.module.running_mean.data.tolist()},
                  file)


def fails_on_rank_1(out: str) -> None:
    """Rank 1 raises while rank 0 waits for it in backward's all-reduce."""
    rank = nn.parallel.rank()
    ddp = nn.parallel.DistributedDataParallel(nn.Linear(3, 2))
    loss = ddp(ag.ones(4, 3)).sum()
    if rank == 1:
        raise ValueError("deliberate failure on rank 1")
    loss.backward()


def mismatched_shapes(out: str) -> None:
    """Rank 1 builds a wider first layer than rank 0."""
    rank = nn.parallel.rank()
    model = nn.Sequential(nn.Linear(3, 4 + rank), nn.ReLU())
    nn.parallel.DistributedDataParallel(model)


SCENARIOS = {"equality": equality, "gradients": gradients, "fit": fit,
             "random_states": random_states, "buffers": buffers,
             "fails_on_rank_1": fails_on_rank_1, "mismatched_shapes": mismatched_shapes}

if __name__ == "__main__":
    scenario, out_dir = sys.argv[1], sys.argv[2]
    nn.parallel.init()
    SCENARIOS[scenario](out_dir)
