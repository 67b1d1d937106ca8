"""Shared helpers of the benchmark scripts: timing, reports, optional PyTorch.

Every benchmark alternates its implementations round by round (A B C A B C ...)
so that a slow moment of a noisy machine hits all of them alike, and reports
medians and ratios measured in the same run. Importing this module puts the
repository root on ``sys.path``, so the scripts run from any directory.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def _threads_option(argv: list[str]) -> str | None:
    for index, arg in enumerate(argv):
        if arg == "--threads" and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith("--threads="):
            return arg.split("=", 1)[1]
    return None


# BLAS and OpenMP read their thread counts when NumPy (or PyTorch) is first
# imported, so --threads has to act here, before any such import.
THREADS = _threads_option(sys.argv)
if THREADS:
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[variable] = THREADS

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import numpy as np  # noqa: E402 - after the thread settings above

Measurement = dict[str, float]


def make_parser(description: str, rounds: int) -> argparse.ArgumentParser:
    """An argument parser with the options every benchmark shares."""
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--rounds", type=int, default=rounds,
                        help="timed rounds; each round runs every implementation once")
    parser.add_argument("--warmup", type=int, default=1, help="untimed rounds before those")
    parser.add_argument("--quick", action="store_true",
                        help="a much smaller problem, to check that the script runs")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    parser.add_argument("--seed", type=int, default=0, help="seed of data order and init")
    add_threads_option(parser)
    return parser


def add_threads_option(parser: argparse.ArgumentParser) -> None:
    """``--threads N``: the BLAS/OpenMP threads of every implementation (NumPy's and PyTorch's)."""
    parser.add_argument("--threads", type=int, default=None,
                        help="BLAS/OpenMP threads for every implementation (default: each "
                             "library's own choice; 1 gives steadier figures on a busy machine)")


def import_torch(disabled: bool = False):
    """The ``torch`` module, or ``None`` when it is not installed (or ``disabled``)."""
    if disabled:
        return None
    try:
        import torch
    except ImportError:
        return None
    if THREADS:
        torch.set_num_threads(int(THREADS))
    return torch


def chosen_implementations(args: argparse.Namespace, available: dict[str, Callable]
                            ) -> dict[str, Callable]:
    """The implementations named by ``--impl``, less PyTorch when it cannot be imported."""
    names = args.impl.split(",")
    unknown = sorted(set(names) - set(available))
    if unknown:
        raise SystemExit(f"--impl: unknown {unknown}; choose from {sorted(available)}")
    if "torch" in names and import_torch(args.no_torch) is None:
        names.remove("torch")
    return {name: available[name] for name in names}


def alternate(runners: dict[str, Callable[[], Measurement]], rounds: int,
              warmup: int = 1) -> dict[str, list[Measurement]]:
    """Call the runners in turn, round after round; keep the measurements of timed rounds.

    Each runner returns a dict of numbers (seconds and whatever else it
    measures). Progress goes to stderr so that stdout holds only the report.
    """
    results: dict[str, list[Measurement]] = {name: [] for name in runners}
    for round_index in range(warmup + rounds):
        timed = round_index >= warmup
        label = f"round {round_index - warmup + 1}/{rounds}" if timed else "warm-up"
        parts = []
        for name, run in runners.items():
            measurement = run()
            if timed:
                results[name].append(measurement)
            parts.append(f"{name} {_short(measurement)}")
        print(f"  {label}: " + ", ".join(parts), file=sys.stderr, flush=True)
    return results


def _short(measurement: Measurement) -> str:
    key = next(iter(measurement))
    return f"{measurement[key]:.4g}"


def medians(results: dict[str, list[Measurement]]) -> dict[str, Measurement]:
    """The median of every quantity of every implementation."""
    return {
        name: {key: statistics.median(m[key] for m in runs) for key in runs[0]}
        for name, runs in results.items()
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """``numerator / denominator``, or ``None`` when either is missing."""
    if numerator is None or denominator is None:
        return None
    return numerator / denominator


def target(name: str, value: float | None, limit: float) -> dict:
    """A target ``value <= limit``; ``met`` is ``None`` when it could not be measured."""
    met = None if value is None else bool(value <= limit)
    return {"name": name, "value": value, "limit": limit, "met": met}


def format_table(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table: a header, a rule, right-aligned cells."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max(len(str(c)) for c in column) for column in zip(columns, *cells)]
    lines = ["  ".join(str(c).rjust(w) for c, w in zip(columns, widths)),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def format_targets(targets: Sequence[dict]) -> str:
    """One line per target: name, value, limit and MET / MISSED / not measured."""
    lines = []
    for t in targets:
        verdict = {True: "met", False: "MISSED", None: "not measured"}[t["met"]]
        value = "-" if t["value"] is None else f"{t['value']:.3g}"
        lines.append(f"target {t['name']}: {value} (limit {t['limit']:g}) {verdict}")
    return "\n".join(lines)


def report(benchmark: str, title: str, columns: Sequence[str], rows: Sequence[Sequence[object]],
           record: dict, quick: bool = False, notes: Sequence[str] = ()) -> None:
    """Print the table, notes, the targets, and last one JSON line holding ``record``.

    A ``quick`` run's problems are too small to judge the targets: they are
    reported as not measured.
    """
    print(f"\n{title}")
    print(format_table(columns, rows))
    for note in notes:
        print(note)
    if quick:
        record["targets"] = [dict(t, met=None) for t in record.get("targets", [])]
        print("quick run: the problems are too small to judge the targets")
    if record.get("targets"):
        print(format_targets(record["targets"]))
    print(json.dumps({"benchmark": benchmark, **record}, default=_json_default))


def _json_default(value: object) -> object:
    # numpy scalars (np.float32, np.int64) are not JSON serialisable as such
    return value.item() if hasattr(value, "item") else str(value)


def machine() -> dict[str, object]:
    """What the numbers were measured on: CPU, cores, Python, NumPy and its BLAS."""
    info: dict[str, object] = {
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "blas": _blas_name(np),
        "threads": THREADS or "default",
    }
    torch = import_torch()
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
    return info


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _blas_name(np) -> str:
    try:
        blas = np.show_config(mode="dicts")["Build Dependencies"]["blas"]
    except (TypeError, KeyError):
        return "unknown"
    return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()


def time_training(factory: Callable, params: list, data: dict, args: argparse.Namespace
                  ) -> Measurement:
    """Build a fresh model from ``params``, time one epoch of training, then test it.

    Wall time, and the CPU time of this process (steadier on a shared machine: time spent
    waiting for a core is left out; with several BLAS threads it adds theirs up).

    ``factory(params, lr, momentum)`` returns an object with
    ``train_epoch(x, y, batch_size) -> mean loss`` and ``accuracy(x, y)``.
    Building the model and testing it are not timed.
    """
    model = factory(params, args.lr, args.momentum)
    faults = _page_faults()
    start, cpu_start = time.perf_counter(), time.process_time()
    loss = model.train_epoch(data["x_train"], data["y_train"], args.batch_size)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    steps = -(-len(data["y_train"]) // args.batch_size)
    faults_per_step = (_page_faults() - faults) / steps
    accuracy = model.accuracy(data["x_test"], data["y_test"])
    return {"seconds": seconds, "loss": loss, "accuracy": accuracy,
            "page_faults_per_step": faults_per_step, "cpu_seconds": cpu_seconds}


def record_untimed(step: Callable, args: tuple, parameters: list, optimizer) -> None:
    """Call a captured ``step`` twice on ``args`` (the first call records it, the second checks
    the recording), then put the parameters back as they were, so that timed steps replay it.

    For benchmarks of a few steps per round, where recording would weigh on the figure;
    ``optimizer`` must keep no state (plain SGD), as only the parameters are put back.
    """
    parameters = list(parameters)
    saved = [p.data.copy() for p in parameters]
    for _ in range(2):
        step(*args)
    if any(optimizer.state.values()):
        raise ValueError("record_untimed: the optimizer keeps state, which is not put back")
    for param, value in zip(parameters, saved, strict=True):
        param.data[...] = value
        param.grad = None


def _page_faults() -> int:
    """Minor page faults of this process so far: memory the OS had to map in again."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt


def check_agreement(factories: dict[str, Callable], params: list, data: dict,
                    args: argparse.Namespace, tolerance: float = 1e-4) -> dict[str, float]:
    """Take one training step with every implementation from the same weights and batch.

    Returns, for each implementation, the largest difference of its updated
    parameters from the first implementation's (relative to that parameter's
    largest entry). Raises if one disagrees by more than ``tolerance``: a
    benchmark of implementations that compute different things means nothing.
    """
    batch = slice(0, args.batch_size)
    updated = {}
    for name, factory in factories.items():
        model = factory(params, args.lr, args.momentum)
        model.train_epoch(data["x_train"][batch], data["y_train"][batch], args.batch_size)
        updated[name] = model.parameters()
    reference_name = next(iter(factories))
    differences = {}
    for name, arrays in updated.items():
        differences[name] = max(
            float(np.max(np.abs(mine - ref)) / np.max(np.abs(ref)))
            for mine, ref in zip(arrays, updated[reference_name])
        )
        if differences[name] > tolerance:
            raise AssertionError(
                f"{name} disagrees with {reference_name} after one step: "
                f"relative difference {differences[name]:.3g} > {tolerance:g}"
            )
    return differences


def compare_training(factories: dict[str, Callable], params: list, data: dict,
                     args: argparse.Namespace) -> tuple[dict, dict, dict, list]:
    """Check the implementations agree, then time them alternately.

    Returns ``(agreement, medians, seconds by implementation, table rows)``; the rows are
    ``impl, seconds, vs numpy, vs torch, CPU seconds, CPU vs numpy, train loss, test
    accuracy, page faults per step``.
    """
    agreement = check_agreement(factories, params, data, args)
    runners = {name: (lambda f=f: time_training(f, params, data, args))
               for name, f in factories.items()}
    summary = medians(alternate(runners, args.rounds, args.warmup))
    seconds = {name: m["seconds"] for name, m in summary.items()}
    cpu = {name: m["cpu_seconds"] for name, m in summary.items()}
    rows = [[name, m["seconds"], ratio(m["seconds"], seconds.get("numpy")),
             ratio(m["seconds"], seconds.get("torch")), m["cpu_seconds"],
             ratio(m["cpu_seconds"], cpu.get("numpy")), m["loss"], m["accuracy"],
             m["page_faults_per_step"]]
            for name, m in summary.items()]
    return agreement, summary, seconds, rows
