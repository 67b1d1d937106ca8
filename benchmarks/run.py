"""Run every benchmark, one after the other, and summarise their targets.

Each benchmark runs in its own Python process (so one's memory and garbage
does not weigh on the next) and prints its table; this script then prints the
machine, the library eager and captured (``ag.capture``) side by side with
their ratios to NumPy and PyTorch, and one line per target. Example:
``python benchmarks/run.py --quick`` or, with PyTorch installed in another
environment, ``/path/to/python benchmarks/run.py``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import _harness as h

HERE = Path(__file__).resolve().parent
BENCHMARKS = ("mlp", "cnn", "overhead", "deep", "memory", "rnn", "conv_family", "attention")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHMARKS),
                        help="comma-separated benchmarks to run, of " + ", ".join(BENCHMARKS))
    parser.add_argument("--quick", action="store_true", help="small problems: a smoke test")
    parser.add_argument("--no-torch", action="store_true", help="leave PyTorch out")
    h.add_threads_option(parser)
    parser.add_argument("--json-out", type=Path, help="also write all records to this file")
    parser.add_argument("--strict", action="store_true",
                        help="exit with status 1 when a measured target is missed")
    return parser.parse_args(argv)


def run_one(name: str, args: argparse.Namespace) -> dict:
    """Run ``benchmarks/<name>.py``, echoing its output; its JSON record."""
    command = [sys.executable, str(HERE / f"{name}.py")]
    command += [flag for flag, on in (("--quick", args.quick), ("--no-torch", args.no_torch)) if on]
    if args.threads:
        command += ["--threads", str(args.threads)]
    print(f"\n=== {name}", flush=True)
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    print(done.stdout, end="", flush=True)
    if done.returncode != 0:
        raise SystemExit(f"run: {name} failed with exit status {done.returncode}")
    records = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    return records[-1]


def side_by_side(records: list[dict]) -> list[list]:
    """One row per benchmark that ran the library both eagerly and captured."""
    rows = []
    for record in records:
        medians = record.get("medians", {})
        if "ours" not in medians or "captured" not in medians:
            continue
        key = next(iter(medians["ours"]))  # seconds, us_per_op, peak_mb: what it measures
        value = {name: m.get(key) for name, m in medians.items()}
        cpu = {name: m.get("cpu_seconds") for name, m in medians.items()}
        rows.append([record["benchmark"], record.get("unit", key), value["ours"],
                     value["captured"], h.ratio(value["captured"], value["ours"]),
                     h.ratio(cpu["captured"], cpu["ours"])]
                    + [h.ratio(value[impl], value.get(reference))
                       for reference in ("numpy", "torch") for impl in ("ours", "captured")])
    return rows


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    names = args.only.split(",")
    unknown = sorted(set(names) - set(BENCHMARKS))
    if unknown:
        raise SystemExit(f"--only: unknown {unknown}; choose from {', '.join(BENCHMARKS)}")
    machine = h.machine()
    records = [run_one(name, args) for name in names]
    targets = [t for record in records for t in record.get("targets", [])]
    print(f"\n=== summary ({date.today()})")
    print(", ".join(f"{key} {value}" for key, value in machine.items()))
    rows = side_by_side(records)
    if rows:
        print("\neager and captured (ag.capture): medians of the same runs")
        print(h.format_table(["benchmark", "unit", "eager", "captured", "captured/eager",
                              "(cpu)", "eager/numpy", "captured/numpy", "eager/torch",
                              "captured/torch"], rows))
    print(h.format_targets(targets))
    if args.json_out:
        args.json_out.write_text(json.dumps({"machine": machine, "date": str(date.today()),
                                             "records": records}, indent=1))
    missed = any(t["met"] is False for t in targets)
    return 1 if args.strict and missed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
