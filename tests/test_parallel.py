"""nn.parallel in one process: no MPI needed, and what DistributedDataParallel keeps the same.

The runs over several processes are in test_parallel_mpi.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
from nn.parallel import ddp as ddp_module
from nn.parallel.batch_random import random_sample, split_batch

ROOT = Path(__file__).resolve().parent.parent
WITHOUT_MPI4PY = "import sys; sys.modules['mpi4py'] = None; "  # makes `import mpi4py` fail


def python(code: str, **env: str) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items()
                   if key not in ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE")}
    environment.update(env, PYTHONPATH=str(ROOT))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=environment, timeout=60, check=False)


def test_importing_nn_does_not_import_mpi4py():
    done = python("import sys, nn; nn.SyncBatchNorm; print('mpi4py' in sys.modules)")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_without_mpi4py_a_process_is_rank_0_of_1():
    done = python(WITHOUT_MPI4PY + "import nn; nn.parallel.init(); "
                  "print(nn.parallel.rank(), nn.parallel.world_size())")
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "1"]


def test_without_mpi4py_a_process_started_as_one_of_several_refuses_to_train_alone():
    done = python(WITHOUT_MPI4PY + "import nn; nn.parallel.init()", PMI_SIZE="4")
    assert done.returncode != 0
    assert "one of 4 processes, but mpi4py is not installed" in done.stderr


def test_a_single_process_trains_a_wrapped_model_exactly_like_the_plain_one():
    def run(wrap: bool) -> dict:
        np.random.seed(0)
        model = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Dropout(0.5), nn.Linear(6, 2))
        model = nn.parallel.DistributedDataParallel(model) if wrap else model
        optimizer = nn.optim.Adam(model.parameters(), lr=0.01)
        x = ag.Tensor(np.random.default_rng(0).standard_normal((8, 4)).astype(np.float32))
        for _ in range(3):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            optimizer.step()
        return (model.module if wrap else model).state_dict()

    wrapped, plain = run(True), run(False)
    for key in plain:
        np.testing.assert_array_equal(wrapped[key], plain[key])


def test_state_dict_keys_carry_the_module_prefix_as_in_pytorch():
    model = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    wrapped = nn.parallel.DistributedDataParallel(model)
    assert list(wrapped.state_dict()) == ["module." + key for key in model.state_dict()]
    assert list(wrapped.module.state_dict()) == list(model.state_dict())
    plain = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    plain.load_state_dict(wrapped.module.state_dict())
    wrapped.load_state_dict(wrapped.state_dict())


def test_the_wrapper_exposes_the_module_and_its_parameters():
    model = nn.Linear(2, 3)
    wrapped = nn.parallel.DistributedDataParallel(model)
    assert wrapped.module is model
    assert list(wrapped.parameters()) == list(model.parameters())
    assert "world_size=1" in repr(wrapped) and "(module): Linear" in repr(wrapped)


@pytest.mark.parametrize("bad, error, message", [
    ("not a module", TypeError, "expected an nn.Module, got str"),
    (None, ValueError, "bucket_cap_mb must be positive, got 0"),
])
def test_bad_arguments_are_refused(bad, error, message):
    with pytest.raises(error, match=message):
        if bad is None:
            nn.parallel.DistributedDataParallel(nn.Linear(2, 2), bucket_cap_mb=0)
        else:
            nn.parallel.DistributedDataParallel(bad)


class _Gathered:
    """A group whose allgather answers with rank 0's entries, then this process's."""

    def __init__(self, rank_0_model: nn.Module) -> None:
        self.rank_0 = [(what, tuple(t.shape), str(t.data.dtype))
                       for what, t in ddp_module._state_tensors(rank_0_model)]

    def allgather(self, value):
        return [self.rank_0, value]


@pytest.mark.parametrize("rank_0, rank_1, message", [
    (nn.Linear(3, 4), nn.Linear(3, 5),
     "parameter 'weight' has shape (5, 3) on rank 1 but (4, 3) on rank 0"),
    (nn.Linear(3, 4), nn.Linear(3, 4).double(),
     "parameter 'weight' has dtype float64 on rank 1 but float32 on rank 0"),
    (nn.Linear(3, 4), nn.Linear(3, 4, bias=False),
     "rank 1 has 1 parameters and buffers but rank 0 has 2 (the first extra one is rank 0's "
     "parameter 'bias')"),
    (nn.Sequential(nn.Linear(3, 4)), nn.Sequential(nn.Identity(), nn.Linear(3, 4)),
     "rank 1 has parameter '1.weight' where rank 0 has parameter '0.weight'"),
    (nn.BatchNorm1d(3), nn.BatchNorm1d(3, track_running_stats=False),
     "rank 1 has 2 parameters and buffers but rank 0 has 5"),
])
def test_a_model_that_differs_between_processes_is_named_with_both_shapes(rank_0, rank_1,
                                                                          message):
    with pytest.raises(ValueError) as caught:
        ddp_module._check_same_model(rank_1, _Gathered(rank_0))
    assert message in str(caught.value)
    assert "every process must build the same model" in str(caught.value)


def test_noise_outside_a_split_is_numpys():
    np.random.seed(5)
    expected = np.random.random_sample((3, 4))
    np.random.seed(5)
    np.testing.assert_array_equal(random_sample((3, 4)), expected)


@pytest.mark.parametrize("rank", [0, 1, 2])
def test_rank_r_gets_rows_r_r_plus_n_of_the_global_batch_and_the_generator_moves_as_for_all(
        rank):
    np.random.seed(5)
    whole = np.random.random_sample((6, 4))  # 3 processes with 2 samples each
    after = np.random.random_sample(2)
    np.random.seed(5)
    with split_batch(rank, 3, 2):
        mine = random_sample((2, 4))
    np.testing.assert_array_equal(mine, whole[[rank, rank + 3]])
    np.testing.assert_array_equal(np.random.random_sample(2), after)


def test_dropout_inside_a_split_uses_the_global_samples_mask():
    np.random.seed(6)
    whole = nn.Dropout(0.5)(ag.ones(6, 4)).data
    np.random.seed(6)
    with split_batch(1, 2, 3):
        mine = nn.Dropout(0.5)(ag.ones(3, 4)).data
    np.testing.assert_array_equal(mine, whole[1::2])


def test_noise_whose_first_axis_is_not_the_batch_is_drawn_as_usual():
    np.random.seed(7)
    expected = np.random.random_sample((4, 3))
    np.random.seed(7)
    with split_batch(1, 2, 3):
        np.testing.assert_array_equal(random_sample((4, 3)), expected)
