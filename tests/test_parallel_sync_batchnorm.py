"""SyncBatchNorm in one process: its synced formula against torch, its gradients, conversion.

The synced path runs here with a stand-in communicator of "two processes holding the
same batch" (its all-reduce doubles), which must behave exactly like BatchNorm over the
batch written twice. The real two-process run is in test_parallel_mpi.py.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn
from nn.parallel.comm import ProcessGroup
from nn.parallel.sync_batchnorm import all_reduce_sum, sync_batch_norm

ALONE = ProcessGroup(None)


class _TwinComm:
    """An mpi4py-like communicator of two processes that hold identical data."""

    def Get_size(self) -> int:
        return 2

    def Get_rank(self) -> int:
        return 0

    def Allreduce(self, send, receive) -> None:
        receive[...] = 2 * send


def leaf(rng, shape) -> ag.Tensor:
    return ag.Tensor(rng.standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("shape", [(5, 3), (4, 2, 3), (2, 3, 2, 2)])
def test_the_synced_formula_alone_matches_torch_batch_norm(shape):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(0)
    x, weight, bias = leaf(rng, shape), leaf(rng, shape[1]), leaf(rng, shape[1])
    running_mean, running_var = ag.Tensor(np.zeros(shape[1])), ag.Tensor(np.ones(shape[1]))
    upstream = rng.standard_normal(shape)
    out = sync_batch_norm(x, running_mean, running_var, weight, bias, 0.1, 1e-5, ALONE)
    (out * ag.Tensor(upstream)).sum().backward()

    tx, tw, tb = (torch.tensor(t.data, requires_grad=True) for t in (x, weight, bias))
    t_mean, t_var = torch.zeros(shape[1], dtype=torch.float64), torch.ones(shape[1],
                                                                           dtype=torch.float64)
    t_out = torch.nn.functional.batch_norm(tx, t_mean, t_var, tw, tb, training=True,
                                           momentum=0.1, eps=1e-5)
    (t_out * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12, atol=1e-12)
    for ours, theirs in ((x, tx), (weight, tw), (bias, tb)):
        np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(running_mean.data, t_mean.numpy(), rtol=1e-12)
    np.testing.assert_allclose(running_var.data, t_var.numpy(), rtol=1e-12)


@pytest.mark.parametrize("shape", [(4, 2), (3, 2, 2)])
def test_the_synced_formula_passes_gradcheck_to_second_order(shape):
    rng = np.random.default_rng(1)
    inputs = (leaf(rng, shape), leaf(rng, shape[1]), leaf(rng, shape[1]))

    def fn(x, weight, bias):
        return sync_batch_norm(x, None, None, weight, bias, 0.1, 1e-5, ALONE)

    assert ag.gradcheck(fn, inputs)
    assert ag.gradgradcheck(fn, inputs)


def test_all_reduce_sum_passes_gradcheck_to_second_order():
    x = leaf(np.random.default_rng(2), (3, 2))
    assert ag.gradcheck(lambda t: all_reduce_sum(t * t, ALONE), (x,))
    assert ag.gradgradcheck(lambda t: all_reduce_sum(t * t, ALONE), (x,))


@pytest.mark.parametrize("momentum", [0.1, None])
def test_two_processes_with_the_same_batch_normalise_like_batchnorm_over_both(momentum):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    data, upstream = rng.standard_normal((3, 2, 4)), rng.standard_normal((3, 2, 4))
    layer = nn.SyncBatchNorm(2, momentum=momentum, process_group=_TwinComm()).double()
    layer.weight.data[...] = [1.5, -0.5]
    layer.bias.data[...] = [0.2, 0.3]
    x = ag.Tensor(data, requires_grad=True)
    for _ in range(2):  # the second step checks the cumulative average of momentum=None
        out = layer(x)
    (out * ag.Tensor(upstream)).sum().backward()

    reference = torch.nn.BatchNorm1d(2, momentum=momentum).double()
    with torch.no_grad():
        reference.weight[:] = torch.tensor([1.5, -0.5], dtype=torch.float64)
        reference.bias[:] = torch.tensor([0.2, 0.3], dtype=torch.float64)
    halves = [torch.tensor(data, requires_grad=True) for _ in range(2)]
    for _ in range(2):
        t_out = reference(torch.cat(halves))
    (t_out * torch.tensor(np.concatenate([upstream, upstream]))).sum().backward()
    np.testing.assert_allclose(out.data, t_out[:3].detach().numpy(), rtol=1e-12, atol=1e-12)
    # This process's input gets what both processes' losses send back through the statistics.
    np.testing.assert_allclose(x.grad.data, halves[0].grad.numpy(), rtol=1e-10, atol=1e-12)
    # Its parameters get their gradient from its own samples (DDP then averages).
    np.testing.assert_allclose(layer.weight.grad.data, reference.weight.grad.numpy() / 2,
                               rtol=1e-10)
    np.testing.assert_allclose(layer.running_mean.data, reference.running_mean.numpy(),
                               rtol=1e-12)
    np.testing.assert_allclose(layer.running_var.data, reference.running_var.numpy(), rtol=1e-12)
    assert int(layer.num_batches_tracked.data) == 2


def test_in_one_process_it_is_batchnorm_in_training_and_evaluation():
    rng = np.random.default_rng(4)
    x = ag.Tensor(rng.standard_normal((6, 3, 2)))
    np.random.seed(0)
    sync, plain = nn.SyncBatchNorm(3), nn.BatchNorm1d(3)
    for mode in ("train", "eval"):
        getattr(sync, mode)()
        getattr(plain, mode)()
        np.testing.assert_array_equal(sync(x).data, plain(x).data)
    np.testing.assert_array_equal(sync.running_var.data, plain.running_var.data)


def test_a_global_batch_of_one_value_per_channel_is_refused():
    layer = nn.SyncBatchNorm(2, process_group=_TwinComm())
    with pytest.raises(ValueError, match=r"more than 1 value per channel"):
        sync_batch_norm(ag.ones(1, 2), None, None, None, None, 0.1, 1e-5, ALONE)
    layer(ag.ones(1, 2))  # two processes with one sample each: two values, fine


def test_a_wrong_channel_count_names_the_layer_and_the_shape():
    layer = nn.SyncBatchNorm(4, process_group=_TwinComm())
    with pytest.raises(ValueError, match=r"SyncBatchNorm\(4\).*C=4, got \(2, 3\)"):
        layer(ag.ones(2, 3))


def test_convert_replaces_batchnorm_in_place_and_keeps_its_state():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(),
                          nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2, momentum=None)))
    old = model[1]
    old.running_mean.data[...] = 7.0
    model.eval()
    converted = nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert converted is model
    assert [type(m).__name__ for m in model] == ["Linear", "SyncBatchNorm", "ReLU", "Sequential"]
    assert type(model[3][1]).__name__ == "SyncBatchNorm" and model[3][1].momentum is None
    assert model[1].weight is old.weight and model[1].running_mean is old.running_mean
    assert not model[1].training
    assert list(model.state_dict()) == list(nn.Sequential(
        nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(),
        nn.Sequential(nn.Conv2d(1, 2, 3), nn.BatchNorm2d(2))).state_dict())
