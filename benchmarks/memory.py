"""Memory benchmark: peak resident memory of one MLP epoch (see ``mlp.py``).

Each implementation trains one epoch in a fresh Python process, alternating
(A B C A B C ...); the process reads its own peak resident set size (VmHWM in
/proc/self/status), which is reset just before the epoch so that the peak of
loading the data does not hide the epoch's. Reports the epoch's peak (the data
set, imports and model included) and how far it rose above the resident size
at the start of the epoch. Example: ``python benchmarks/memory.py --rounds 3``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import _harness as h

STATUS = Path("/proc/self/status")


def status_mb(field: str) -> float:
    """A memory field of /proc/self/status (VmRSS, VmHWM) in MiB."""
    for line in STATUS.read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    raise KeyError(f"{field} not in {STATUS}")


def reset_peak() -> bool:
    """Reset VmHWM to the current resident size (Linux >= 4.0); False where not allowed."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def child(args: argparse.Namespace) -> None:
    """Train one epoch with ``args.child`` and print its memory figures as JSON."""
    import mlp
    from _data import fashion_mnist

    data = fashion_mnist(n_train=args.n_train, n_test=1, seed=args.seed)
    model = mlp.IMPLEMENTATIONS[args.child](mlp.initial_params(args.seed), 0.05, 0.9)
    start_mb = status_mb("VmRSS")
    was_reset = reset_peak()
    model.train_epoch(data["x_train"], data["y_train"], 128)
    peak_mb = status_mb("VmHWM")
    print(json.dumps({"peak_mb": peak_mb, "rise_mb": peak_mb - start_mb,
                      "peak_is_epoch": was_reset}))


def measure(name: str, args: argparse.Namespace) -> h.Measurement:
    """Run one child process for implementation ``name``; its figures."""
    command = [sys.executable, __file__, "--child", name, "--seed", str(args.seed)]
    if args.n_train:
        command += ["--n-train", str(args.n_train)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"memory: the {name} child failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = h.make_parser(__doc__.splitlines()[0], rounds=3)
    parser.add_argument("--n-train", type=int, default=None, help="training images (all: 60000)")
    parser.add_argument("--impl", default="numpy,torch,ours,captured",
                        help="comma-separated implementations to run, first is the reference")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.n_train, args.rounds, args.warmup = args.n_train or 2048, 1, 0
    return args


def main(argv: list[str] | None = None) -> dict | None:
    args = parse_args(argv)
    if args.child:
        child(args)
        return None
    import mlp

    names = h.chosen_implementations(args, mlp.IMPLEMENTATIONS)
    runners = {name: (lambda n=name: measure(n, args)) for name in names}
    summary = h.medians(h.alternate(runners, args.rounds, warmup=0))
    peak = {name: m["peak_mb"] for name, m in summary.items()}
    rows = [[name, m["peak_mb"], m["rise_mb"], h.ratio(m["peak_mb"], peak.get("numpy")),
             h.ratio(m["peak_mb"], peak.get("torch"))] for name, m in summary.items()]
    targets = [h.target("memory ours/numpy", h.ratio(peak.get("ours"), peak.get("numpy")), 1.2),
               h.target("memory captured/numpy",
                        h.ratio(peak.get("captured"), peak.get("numpy")), 1.1)]
    record = {"unit": "MiB", "medians": summary, "targets": targets}
    scope = "epoch" if all(m["peak_is_epoch"] for m in summary.values()) else "process"
    title = (f"memory: peak RSS of the {scope} (one MLP epoch, data set included), "
             f"median of {args.rounds}; 'rise' is above the RSS at the epoch's start")
    h.report("memory", title, ["impl", "peak MiB", "rise MiB", "vs numpy", "vs torch"],
             rows, record, quick=args.quick)
    return record


if __name__ == "__main__":
    main(sys.argv[1:])
