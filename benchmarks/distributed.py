"""Data-parallel benchmark: epoch time over MPI processes, and what one all-reduce costs.

Part 1 trains the Fashion-MNIST MLP of examples/fashion_mnist_mlp.py (784-256-128-10,
ReLU, Dropout 0.1, Adam, global batch 128) for one epoch in three set-ups, alternated
round by round:

- ``1 proc x 1 thread``: one process, one BLAS thread (the baseline);
- ``2 procs x 1 thread``: ``mpiexec -n 2``, DistributedDataParallel, batch 64 each;
- ``1 proc x 2 threads``: one process whose BLAS uses two threads.

For the two-process run it also reports the time spent averaging gradients (copy into
the bucket, Iallreduce, wait, copy back: waiting for the slower process included).

Part 2 measures, in one process with one thread, the CPU time of one training step on the
global batch and on one process's share, and of the optimizer update alone (which every
process repeats in full): their ratio bounds what two processes can gain before any
communication. CPU time (best of many) stays meaningful on a busy machine.

Part 3 times one in-place all-reduce of float32 buffers between two processes (the
path DistributedDataParallel takes) against the buffer size, with the bytes each
process sends per call and the bandwidth reached, next to a plain in-memory copy of
the same size in one process. Example: ``python benchmarks/distributed.py --rounds 3``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

import _harness as h
import numpy as np
from _data import fashion_mnist

GLOBAL_BATCH = 128
SETUPS = {  # name: (processes, BLAS threads per process)
    "1 proc x 1 thread": (1, 1),
    "2 procs x 1 thread": (2, 1),
    "1 proc x 2 threads": (1, 2),
}
SIZES = [4 << 10, 64 << 10, 940_608, 4 << 20, 16 << 20, 64 << 20]  # bytes; 940,608: the MLP


def build_mlp():
    """The example's classifier (examples/fashion_mnist_mlp.py)."""
    import nn

    return nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Dropout(0.1), nn.Linear(256, 128),
                         nn.ReLU(), nn.Dropout(0.1), nn.Linear(128, 10))


class _Timed:
    """Wraps a callable and adds up the seconds spent in it."""

    def __init__(self, function) -> None:
        self.function = function
        self.seconds = 0.0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.function(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start


def epoch_worker(args: argparse.Namespace) -> None:
    """One timed epoch in this process (one of the mpiexec ones, or alone)."""
    import nn
    from autograd import Tensor
    from nn.data import DataLoader, DistributedSampler, TensorDataset
    from nn.parallel import comm

    nn.parallel.init()
    rank, size = nn.parallel.rank(), nn.parallel.world_size()
    data = fashion_mnist(n_train=args.n_train, n_test=2000, seed=args.seed)
    train = TensorDataset(data["x_train"].reshape(-1, 784), data["y_train"])
    np.random.seed(args.seed)
    model = build_mlp()
    trained = nn.parallel.DistributedDataParallel(model) if size > 1 else model
    communication = {}
    if size > 1:
        trained.reducer.finish = communication["gradients"] = _Timed(trained.reducer.finish)
    sampler = DistributedSampler(train, size, rank, seed=args.seed)
    loader = DataLoader(train, batch_size=GLOBAL_BATCH // size, sampler=sampler)
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def step(x, y) -> float:
        loss = loss_fn(trained(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        return float(loss.item())

    for x, y in list(loader)[:5]:  # warm-up, untimed
        step(x, y)
    for timer in communication.values():
        timer.seconds = 0.0
    nn.parallel.barrier()
    start = time.perf_counter()
    losses = [step(x, y) for x, y in loader]
    seconds = time.perf_counter() - start
    mean_loss = comm.sum_over_processes([float(np.mean(losses))])[0] / size  # of all processes
    test_x, test_y = data["x_test"].reshape(-1, 784), data["y_test"]
    accuracy = nn.metrics.accuracy(nn.predict(model, Tensor(test_x), 1000), test_y)
    if rank == 0:
        print(json.dumps({"seconds": seconds, "steps": len(losses),
                          "loss": mean_loss, "accuracy": accuracy,
                          **{f"{name} seconds": timer.seconds
                             for name, timer in communication.items()}}))


def steps_worker(args: argparse.Namespace) -> None:
    """Best CPU milliseconds of a step at the global batch and at half of it, and of Adam."""
    rng = np.random.default_rng(args.seed)
    results = {}
    for rows in (GLOBAL_BATCH, GLOBAL_BATCH // 2) * 2:  # the first pass warms the allocator up
        step, optimizer = _training_step(rows, rng, args.seed)
        results[f"step {rows} ms"] = _best_cpu_ms(step, args)
    results["optimizer update ms"] = _best_cpu_ms(optimizer.step, args)
    print(json.dumps(results))


def _training_step(rows: int, rng: np.random.Generator, seed: int):
    """A function doing one training step of the MLP on a fixed batch, and its optimizer."""
    import nn
    from autograd import Tensor

    np.random.seed(seed)
    model = build_mlp()
    optimizer = nn.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    x = Tensor(rng.random((rows, 784), dtype=np.float32))
    y = Tensor(rng.integers(0, 10, rows))

    def step() -> None:
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step, optimizer


def _best_cpu_ms(function, args: argparse.Namespace) -> float:
    times = []
    for _ in range(5 if args.quick else 40):
        start = time.process_time()
        for _ in range(10):
            function()
        times.append((time.process_time() - start) / 10)
    return 1e3 * min(times)


def allreduce_worker(args: argparse.Namespace) -> None:
    """Seconds per in-place all-reduce of each size (the slowest process's; 3 trials)."""
    from mpi4py import MPI

    import nn
    from nn.parallel import comm

    nn.parallel.init()
    group = comm.world().dup()
    results = []
    for nbytes in (SIZES[:3] if args.quick else SIZES):
        buffer = np.ones(nbytes // 4, dtype=np.float32)
        calls = max(3, min(2000, int(2e8 // nbytes)))
        trials = []
        for _ in range(3):
            group.barrier()
            start = time.perf_counter()
            for _ in range(calls):
                group.wait_all([group.start_allreduce_sum(buffer)])
            mine = (time.perf_counter() - start) / calls
            trials.append(group.comm.allreduce(mine, op=MPI.MAX))
        copy_seconds = min(_copy_seconds(buffer, calls) for _ in range(3))
        results.append({"bytes": buffer.nbytes, "seconds": statistics.median(trials),
                        "best_seconds": min(trials), "copy_seconds": copy_seconds})
    if group.rank == 0:
        print(json.dumps(results))


def _copy_seconds(buffer: np.ndarray, calls: int) -> float:
    target = np.empty_like(buffer)
    start = time.perf_counter()
    for _ in range(calls):
        np.copyto(target, buffer)
    return (time.perf_counter() - start) / calls


def launch(processes: int, threads: int, worker: str, args: argparse.Namespace) -> dict | list:
    """Run this script as ``worker`` in ``processes`` processes; rank 0's JSON line."""
    env = dict(os.environ, OPENBLAS_NUM_THREADS=str(threads), OMP_NUM_THREADS=str(threads),
               MKL_NUM_THREADS=str(threads))
    command = [sys.executable, os.path.abspath(__file__), "--worker", worker,
               "--seed", str(args.seed)] + (["--quick"] if args.quick else [])
    if processes > 1:
        command = [args.mpiexec, "-n", str(processes)] + command
    done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=1800,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3,
                        help="timed rounds; each round runs every set-up once")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds before those")
    parser.add_argument("--quick", action="store_true",
                        help="a much smaller problem, to check that the script runs")
    parser.add_argument("--seed", type=int, default=0, help="seed of data order and init")
    parser.add_argument("--worker", choices=["epoch", "steps", "allreduce"], default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument("--mpiexec", default=shutil.which("mpiexec") or shutil.which(
                            "mpiexec", path=os.path.dirname(sys.executable)) or "mpiexec",
                        help="the MPI launcher")
    args = parser.parse_args(argv)
    args.n_train = 2048 if args.quick else None
    if args.quick:
        args.rounds, args.warmup = 1, 0
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    if args.worker == "epoch":
        return epoch_worker(args)
    if args.worker == "steps":
        return steps_worker(args)
    if args.worker == "allreduce":
        return allreduce_worker(args)
    load = os.getloadavg()[0]
    runners = {name: (lambda p=p, t=t: launch(p, t, "epoch", args))
               for name, (p, t) in SETUPS.items()}
    results = h.alternate(runners, args.rounds, args.warmup)
    summary = h.medians(results)
    best = {name: min(run["seconds"] for run in runs) for name, runs in results.items()}
    baseline = summary["1 proc x 1 thread"]["seconds"]
    rows = []
    for name, measured in summary.items():
        steps = measured["steps"]
        rows.append([name, measured["seconds"], baseline / measured["seconds"], best[name],
                     best["1 proc x 1 thread"] / best[name],
                     1e3 * measured["seconds"] / steps,
                     _per_step_ms(measured, "gradients", steps),
                     measured["loss"], measured["accuracy"]])
    steps = launch(1, 1, "steps", args)
    bound = steps[f"step {GLOBAL_BATCH} ms"] / steps[f"step {GLOBAL_BATCH // 2} ms"]
    sweep = launch(2, 1, "allreduce", args)
    sweep_rows = [[f"{r['bytes']:,}", 1e6 * r["seconds"], r["bytes"] / r["seconds"] / 1e9,
                   1e6 * r["best_seconds"], r["bytes"] / r["best_seconds"] / 1e9,
                   r["bytes"] / r["copy_seconds"] / 1e9] for r in sweep]
    record = {"unit": "s/epoch", "medians": summary, "best": best, "steps": steps,
              "compute_bound": bound, "allreduce": sweep,
              "load_before": load,
              "machine": h.machine(), "targets": []}
    title = (f"distributed: one epoch of the Fashion-MNIST MLP, global batch {GLOBAL_BATCH}, "
             f"median and best of {args.rounds} (load average before: {load:.2f})")
    columns = ["set-up", "s/epoch", "speed-up", "best s/epoch", "best speed-up", "ms/step",
               "grad avg ms/step", "train loss", "test acc"]
    notes = [f"\none process, one thread, best CPU time: a step of {GLOBAL_BATCH} samples "
             f"{steps[f'step {GLOBAL_BATCH} ms']:.3f} ms, of {GLOBAL_BATCH // 2} samples "
             f"{steps[f'step {GLOBAL_BATCH // 2} ms']:.3f} ms (the Adam update alone "
             f"{steps['optimizer update ms']:.3f} ms): at most {bound:.2f}x from 2 processes "
             "before communication",
             "\nall-reduce of float32 between 2 processes (in place, the slower process's time);"
             " each process sends and receives the buffer's bytes once per call",
             h.format_table(["bytes", "us/call", "GB/s", "best us/call", "best GB/s",
                             "GB/s memory copy"], sweep_rows)]
    h.report("distributed", title, columns, rows, record, quick=args.quick, notes=notes)
    return record


def _per_step_ms(measured: dict, what: str, steps: float) -> float | None:
    seconds = measured.get(f"{what} seconds")
    return None if seconds is None else 1e3 * seconds / steps


if __name__ == "__main__":
    main()
