"""Data-parallel training under ``mpiexec -n 2``, against one process doing the same work.

Each test runs a scenario of tests/parallel_worker.py in two MPI processes (a
subprocess with a timeout, so a hang fails instead of blocking) and checks what it
wrote against a single-process reference computed here with the ordinary model.
Skipped where mpi4py or mpiexec is missing (``pip install mpi4py mpich``).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nn
from tests import parallel_worker as worker

ROOT = Path(__file__).resolve().parent.parent
# pip's mpich puts mpiexec next to the Python it installs into, which may not be on PATH.
MPIEXEC = shutil.which("mpiexec") or shutil.which("mpiexec", path=os.path.dirname(sys.executable))
TIMEOUT = 120  # seconds for one mpiexec run; the scenarios take about one

pytestmark = pytest.mark.skipif(
    MPIEXEC is None or importlib.util.find_spec("mpi4py") is None,
    reason="needs mpi4py and an MPI runtime with mpiexec (pip install mpi4py mpich)",
)


def mpiexec(*args: str, processes: int = 2) -> subprocess.CompletedProcess:
    """Run ``python ARGS`` in ``processes`` MPI processes; a run past TIMEOUT fails the test."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), OPENBLAS_NUM_THREADS="1")
    command = [MPIEXEC, "-n", str(processes), sys.executable, *args]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        stdout, stderr = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)  # mpiexec and every process it started
        stdout, stderr = process.communicate()
        pytest.fail(f"{' '.join(command)} hung for {TIMEOUT}s\n{stdout}\n{stderr}")
    return subprocess.CompletedProcess(command, process.returncode, stdout, stderr)


def run_scenario(name: str, out: Path) -> subprocess.CompletedProcess:
    return mpiexec(str(ROOT / "tests" / "parallel_worker.py"), name, str(out))


@pytest.fixture(scope="module")
def equality_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("equality")
    done = run_scenario("equality", out)
    assert done.returncode == 0, done.stderr
    return out


def single_process_reference(dropout: float = 0.3) -> dict:
    model = worker.train(worker.build_model(seed=0, dropout=dropout), processes=2, rank=None)
    return model.state_dict()


def test_two_processes_train_exactly_as_one_with_the_whole_batch(equality_run):
    # float64, 20 SGD steps, Dropout under a seed, BatchNorm as SyncBatchNorm; rank 1
    # built its model with another seed, so this also checks the broadcast of rank 0's.
    expected = single_process_reference()
    for rank in (0, 1):
        trained = np.load(equality_run / f"rank{rank}.npz")
        assert sorted(trained.files) == sorted(expected)
        for key, value in expected.items():
            np.testing.assert_allclose(trained[key], value, rtol=1e-6, atol=1e-6,
                                       err_msg=f"rank {rank}: {key}")


def test_the_equality_depends_on_the_dropout_masks():
    # Without dropout the same run ends elsewhere: the masks above are really compared.
    with_dropout, without = single_process_reference(0.3), single_process_reference(0.0)
    assert np.abs(with_dropout["7.weight"] - without["7.weight"]).max() > 1e-3


def test_a_checkpoint_from_rank_0_loads_into_a_plain_model_in_one_process(equality_run):
    model = worker.build_model(seed=42)
    model.load_state_dict(nn.load(equality_run / "checkpoint.npz"))  # strict: same keys
    for key, value in single_process_reference().items():
        np.testing.assert_allclose(model.state_dict()[key], value, rtol=1e-6, atol=1e-6)


@pytest.fixture(scope="module")
def gradients_run(tmp_path_factory) -> list[dict]:
    out = tmp_path_factory.mktemp("gradients")
    done = run_scenario("gradients", out)
    assert done.returncode == 0, done.stderr
    return [json.loads((out / f"rank{rank}.json").read_text()) for rank in (0, 1)]


@pytest.mark.parametrize("setting", ["float32 25.0", "float64 25.0", "float32 1e-06",
                                     "float64 1e-06"])
def test_backward_leaves_the_average_of_the_processes_gradients(gradients_run, setting):
    # loss = sum(a * (rank + 1)) + [rank 1 only] sum(3 b); c is never used.
    for rank, results in enumerate(gradients_run):
        result = results[setting]
        assert result["buckets"] == (1 if setting.endswith("25.0") else 3)
        assert result["dtype"] == setting.split()[0]
        np.testing.assert_array_equal(result["once"]["a"], np.full((2, 3), (1 + 2) / 2))
        np.testing.assert_array_equal(result["once"]["b"], np.full(4, (0 + 3) / 2))
        assert result["once"]["c"] is None, f"rank {rank}: an unused parameter got a gradient"


@pytest.mark.parametrize("setting", ["float32 25.0", "float64 1e-06"])
def test_no_sync_accumulates_locally_and_the_next_backward_averages_the_sum(gradients_run,
                                                                            setting):
    for rank, results in enumerate(gradients_run):
        result = results[setting]
        np.testing.assert_array_equal(result["local"], np.full((2, 3), rank + 1.0))
        np.testing.assert_array_equal(result["accumulated"],
                                      np.full((2, 3), (2 * 1 + 2 * 2) / 2))


def test_fit_and_evaluate_add_up_over_processes_and_only_rank_0_prints(tmp_path):
    # Two processes with DistributedSamplers against one reading the same shuffled epochs
    # (a sampler of one replica) with the global batch: dropout masks follow the samples.
    done = run_scenario("fit", tmp_path)
    assert done.returncode == 0, done.stderr
    expected_model = worker.fit_model()
    expected = worker.fit_run(expected_model, processes=1, rank=0, verbose=False)
    for rank in (0, 1):
        history = json.loads((tmp_path / f"rank{rank}.json").read_text())
        for key, values in expected.items():
            np.testing.assert_allclose(history[key], values, rtol=1e-10, err_msg=key)
        trained = np.load(tmp_path / f"rank{rank}.npz")
        for key, value in expected_model.state_dict().items():
            np.testing.assert_allclose(trained[key], value, rtol=1e-8, atol=1e-10)
    lines = [line for line in done.stdout.splitlines() if line.startswith("epoch ")]
    assert [line.split()[1] for line in lines] == ["1/2", "2/2"], done.stdout


def test_a_backward_brings_the_processes_random_states_back_together(tmp_path):
    done = run_scenario("random_states", tmp_path)
    assert done.returncode == 0, done.stderr
    rank_0, rank_1 = (json.loads((tmp_path / f"rank{rank}.json").read_text()) for rank in (0, 1))
    assert rank_0["before"] == rank_1["before"]  # rank 0's state, handed out at construction
    assert rank_0["after"] == rank_1["after"]


def test_training_forwards_hand_out_rank_0s_buffers_and_no_grad_forwards_send_nothing(
        tmp_path):
    done = run_scenario("buffers", tmp_path)
    assert done.returncode == 0, done.stderr
    for rank in (0, 1):
        result = json.loads((tmp_path / f"rank{rank}.json").read_text())
        # Each forward of a batch of zeros (train mode) scales the running mean by 0.9.
        np.testing.assert_allclose(result["untouched"], [0.9 * (rank + 1)] * 2, rtol=1e-6)
        np.testing.assert_allclose(result["synced"], [0.9 * 0.9 * 1] * 2, rtol=1e-6)


def test_an_exception_on_one_rank_ends_the_job_with_its_error(tmp_path):
    done = run_scenario("fails_on_rank_1", tmp_path)
    assert done.returncode != 0
    assert "ValueError: deliberate failure on rank 1" in done.stderr
    assert "uncaught ValueError on rank 1 of 2" in done.stderr


def test_different_parameter_shapes_are_refused_at_construction(tmp_path):
    done = run_scenario("mismatched_shapes", tmp_path)
    assert done.returncode != 0
    assert ("DistributedDataParallel: parameter '0.weight' has shape (5, 3) on rank 1 but "
            "(4, 3) on rank 0") in done.stderr


def test_the_distributed_benchmark_runs_and_reports():
    done = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "distributed.py"), "--quick",
                           "--mpiexec", MPIEXEC],
                          capture_output=True, text=True, timeout=4 * TIMEOUT, check=False)
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["benchmark"] == "distributed"
    assert set(record["medians"]) == {"1 proc x 1 thread", "2 procs x 1 thread",
                                      "1 proc x 2 threads"}
    assert record["medians"]["2 procs x 1 thread"]["gradients seconds"] > 0
    assert [row["bytes"] for row in record["allreduce"]] == [4096, 65536, 940608]


@pytest.mark.skipif(not Path(nn.datasets.FASHION_MNIST_ROOT).is_dir(),
                    reason="needs Fashion-MNIST (apt-get install dataset-fashion-mnist)")
def test_the_example_trains_distributed_and_only_rank_0_reports(tmp_path):
    done = mpiexec(str(ROOT / "examples" / "fashion_mnist_mlp.py"), "--distributed",
                   "--epochs", "1", "--train-size", "2000", "--no-progress",
                   "--out-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "data-parallel over 2 processes: 64 of every batch of 128 each" in done.stdout
    assert done.stdout.count("test accuracy") == 1
    assert (tmp_path / "fashion_mnist_mlp.npz").exists()
