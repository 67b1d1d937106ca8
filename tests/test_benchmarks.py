"""The benchmark scripts run end to end on tiny problems and end with a JSON record.

Each script first checks that its implementations agree after one training step
from the same weights (the library against the hand-written NumPy reference),
so this also checks the references. Run as subprocesses: nothing imports
``benchmarks``.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"


def run(script: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(BENCHMARKS / script), *args],
                          capture_output=True, text=True, timeout=600, check=False)


@pytest.mark.parametrize("name", ["mlp", "cnn", "overhead", "deep", "memory", "rnn",
                                  "conv_family", "attention"])
def test_benchmark_runs_and_reports(name):
    done = run(f"{name}.py", "--quick", "--no-torch", "--threads", "1")
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["benchmark"] == name
    assert "ours" in record["medians"] and "torch" not in record["medians"]
    assert all(target["met"] is None for target in record["targets"])  # quick: not judged


@pytest.mark.parametrize("name", ["run", "mlp", "cnn", "overhead", "deep", "memory", "rnn",
                                  "conv_family", "attention"])
def test_benchmark_has_help(name):
    done = run(f"{name}.py", "--help")
    assert done.returncode == 0 and "usage:" in done.stdout


def test_unknown_implementation_is_refused_with_the_choices():
    done = run("mlp.py", "--quick", "--impl", "numpy,jax")
    assert done.returncode != 0 and "jax" in done.stderr and "numpy" in done.stderr
