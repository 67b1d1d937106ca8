"""Deep-graph benchmark: backward through chains of 1e3, 1e4 and 1e5 ops.

The chain of ``overhead.py`` (multiply, add, tanh on shape (16,)) at growing
lengths. Building and differentiating a graph must take time linear in its
size: each 10x longer chain should cost about 10x, not more (a recursive
topological sort would fail, a quadratic one or Python's cyclic garbage
collector scanning the growing graph would show here). The library is run
twice, with the garbage collector on (as users run it) and off, to show what
the collector costs. Example: ``python benchmarks/deep.py``.
"""

from __future__ import annotations

import argparse
import gc
import sys
import time

import _harness as h
import numpy as np
from overhead import build_chain, chain_inputs, libraries, numpy_chain_grads

LINEAR_LIMIT = 12.0  # a 10x longer chain may cost at most this many times more
MIN_OPS = 10000  # shorter chains are repeated up to this many ops, to be timed reliably


def repeats(n_ops: int) -> int:
    """How many chains of ``n_ops`` one measurement builds (and averages)."""
    return max(1, MIN_OPS // n_ops)


def run_numpy(sizes: list[int]) -> h.Measurement:
    """Seconds of the hand-written forward+backward at every size (no split: one function)."""
    x, w, b = chain_inputs(np.float32)
    measurement = {}
    for n_ops in sizes:
        start = time.perf_counter()
        for _ in range(repeats(n_ops)):
            numpy_chain_grads(x, w, b, n_ops)
        measurement[f"total_{n_ops}"] = (time.perf_counter() - start) / repeats(n_ops)
    return measurement


def run_tensors(module, sizes: list[int], collect: bool = True) -> h.Measurement:
    """Seconds to build a chain of each size (forward) and to differentiate it (backward)."""
    measurement = {}
    for n_ops in sizes:
        forward = backward = 0.0
        for _ in range(repeats(n_ops)):
            seconds = time_chain(module, n_ops, collect)
            forward, backward = forward + seconds[0], backward + seconds[1]
        measurement[f"forward_{n_ops}"] = forward / repeats(n_ops)
        measurement[f"backward_{n_ops}"] = backward / repeats(n_ops)
        measurement[f"total_{n_ops}"] = (forward + backward) / repeats(n_ops)
    return measurement


def time_chain(module, n_ops: int, collect: bool) -> tuple[float, float]:
    """Seconds to build one chain and to differentiate it, the collector on or off."""
    x, w, b = (module.tensor(v, requires_grad=True) for v in chain_inputs(np.float32))
    if not collect:
        gc.disable()
    try:
        start = time.perf_counter()
        loss = build_chain(x, w, b, n_ops).sum()
        built = time.perf_counter()
        loss.backward()
        done = time.perf_counter()
    finally:
        gc.enable()
    del loss  # free the graph outside the timed region
    return built - start, done - built


def growth(measurement: h.Measurement, key: str, sizes: list[int]) -> list[float]:
    """Time ratios between consecutive sizes (10x apart): about 10 when linear."""
    return [measurement[f"{key}_{big}"] / measurement[f"{key}_{small}"]
            for small, big in zip(sizes, sizes[1:])]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = h.make_parser(__doc__.splitlines()[0], rounds=3)
    parser.add_argument("--sizes", default="1000,10000,100000",
                        help="comma-separated chain lengths, each 10x the previous")
    args = parser.parse_args(argv)
    args.sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        args.sizes, args.rounds, args.warmup = [100, 1000, 10000], 1, 0
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    sizes = args.sizes
    modules = libraries(args)
    runners = {"numpy": lambda: run_numpy(sizes)}
    for name, module in modules.items():
        runners[name] = lambda m=module: run_tensors(m, sizes)
    runners["ours gc off"] = lambda: run_tensors(modules["ours"], sizes, collect=False)
    summary = h.medians(h.alternate(runners, args.rounds, args.warmup))
    rows, growths = [], {}
    for name, m in summary.items():
        key = "total" if name == "numpy" else "backward"
        growths[name] = growth(m, key, sizes)
        for i, n_ops in enumerate(sizes):
            rows.append([name, n_ops, m.get(f"forward_{n_ops}"), m.get(f"backward_{n_ops}"),
                         m[f"total_{n_ops}"], 1e6 * m[f"total_{n_ops}"] / n_ops,
                         growths[name][i - 1] if i else None])
    largest = sizes[-1]
    gc_cost = h.ratio(summary["ours"][f"total_{largest}"],
                      summary["ours gc off"][f"total_{largest}"])
    targets = [h.target(f"deep ours backward x{sizes[i + 1] // sizes[i]}"
                        f" ({sizes[i]}->{sizes[i + 1]})", g, LINEAR_LIMIT)
               for i, g in enumerate(growths["ours"])]
    record = {"unit": "s", "sizes": sizes, "medians": summary, "growth": growths,
              "gc_cost": gc_cost, "targets": targets}
    title = (f"deep: chains of {', '.join(map(str, sizes))} ops, median of {args.rounds}; "
             f"'growth' is backward time (numpy: total) over the previous size's")
    h.report("deep", title,
             ["impl", "ops", "forward s", "backward s", "total s", "us/op", "growth"], rows, record,
             quick=args.quick, notes=[f"garbage collector on/off at {largest} ops: {gc_cost:.3g}x"])
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
