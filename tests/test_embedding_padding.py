"""Embedding(padding_idx=) as PyTorch's: the padding row starts at zero and gets no gradient."""

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from tests.torch_compare import copy_weights


@pytest.mark.parametrize("padding_idx", [0, 3, -1, -4])
def test_embedding_with_padding_idx_matches_torch(padding_idx):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    theirs = torch.nn.Embedding(5, 3, padding_idx=padding_idx)
    ours = nn.Embedding(5, 3, padding_idx=padding_idx)
    assert repr(ours) == repr(theirs) and ours.padding_idx == theirs.padding_idx
    np.testing.assert_array_equal(ours.weight.data[padding_idx], np.zeros(3))
    copy_weights(ours, theirs)
    with torch.no_grad():
        theirs.weight[padding_idx] = 2.0  # a padding vector that is not zero is looked up as is
    ours.weight.data[padding_idx] = 2.0
    ids = np.array([[padding_idx % 5, 1, 4], [2, padding_idx % 5, 1]])
    out_ours, out_theirs = ours(ids), theirs(torch.tensor(ids))
    np.testing.assert_array_equal(out_ours.data, out_theirs.detach().numpy())
    upstream = np.random.default_rng(0).standard_normal(out_ours.shape)
    (out_ours * ag.Tensor(upstream)).sum().backward()
    (out_theirs * torch.tensor(upstream)).sum().backward()
    np.testing.assert_array_equal(ours.weight.grad.data, theirs.weight.grad.numpy())
    np.testing.assert_array_equal(ours.weight.grad.data[padding_idx], np.zeros(3))


def test_padding_idx_out_of_range_is_refused_as_torch():
    with pytest.raises(ValueError, match=r"embedding: padding_idx 5 out of range for "
                                         r"num_embeddings=5"):
        nn.Embedding(5, 3, padding_idx=5)


def add_at_reference(grad: np.ndarray, ids: np.ndarray, rows: int, padding_idx) -> np.ndarray:
    """The definition: each gradient row added to its index's row, in order; padding row 0."""
    expected = np.zeros((rows, grad.shape[-1]), grad.dtype)
    np.add.at(expected, ids.reshape(-1), grad.reshape(-1, grad.shape[-1]))
    if padding_idx is not None:
        expected[padding_idx] = 0
    return expected


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dim", [6, 5, 1])  # even dims add pairs of floats at once
@pytest.mark.parametrize("padding_idx", [None, 2])
def test_many_repeated_indices_accumulate_as_add_at_and_torch(dtype, dim, padding_idx):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(5)
    ids = rng.integers(0, 7, (40, 60))  # every row repeated hundreds of times
    theirs = torch.nn.Embedding(7, dim, padding_idx=padding_idx).double()
    ours = nn.Embedding(7, dim, padding_idx=padding_idx, dtype=dtype)
    ours.weight.data = theirs.weight.detach().numpy().astype(dtype)
    upstream = rng.standard_normal(ids.shape + (dim,))
    out = ours(ids)
    np.testing.assert_array_equal(out.data, ours.weight.data[ids])
    out.backward(ag.Tensor(upstream.astype(dtype)))
    # bit for bit the sum in order, in the gradient's dtype
    np.testing.assert_array_equal(ours.weight.grad.data, add_at_reference(
        upstream.astype(dtype), ids, 7, padding_idx))
    theirs(torch.tensor(ids)).backward(torch.tensor(upstream))
    tolerance = 1e-5 if dtype == np.float32 else 1e-12
    np.testing.assert_allclose(ours.weight.grad.data, theirs.weight.grad.numpy(),
                               rtol=tolerance, atol=tolerance * 100)


@pytest.mark.parametrize("padding_idx", [None, 1])
def test_second_derivatives_through_the_padding_match_torch(padding_idx):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(6)
    ids = np.array([[1, 0, 3, 1], [2, 1, 1, 4]])
    table = rng.standard_normal((5, 4))
    ours = ag.Tensor(table.copy(), requires_grad=True)
    theirs = torch.tensor(table.copy(), requires_grad=True)
    loss_ours = (F.embedding(ids, ours, padding_idx) ** 3).sum()
    loss_theirs = (torch.nn.functional.embedding(torch.tensor(ids), theirs, padding_idx) ** 3).sum()
    (grad_ours,) = ag.grad(loss_ours, [ours], create_graph=True)
    (grad_theirs,) = torch.autograd.grad(loss_theirs, [theirs], create_graph=True)
    np.testing.assert_allclose(grad_ours.data, grad_theirs.detach().numpy(), rtol=1e-12)
    (grad_ours ** 2).sum().backward()
    (grad_theirs ** 2).sum().backward()
    np.testing.assert_allclose(ours.grad.data, theirs.grad.numpy(), rtol=1e-12, atol=1e-12)


def _padding_and_group_norm_step():
    """A training step through Embedding(padding_idx=0) and GroupNorm; the step and its state."""
    np.random.seed(0)
    table, norm = nn.Embedding(9, 6, padding_idx=0), nn.GroupNorm(2, 4)
    optimizer = nn.optim.SGD(list(table.parameters()) + list(norm.parameters()), lr=0.1)

    def step(ids):
        optimizer.zero_grad()
        loss = (norm(table(ids)) ** 2).mean()  # (3, 4, 6): 4 channels, 6 positions
        loss.backward()
        optimizer.step()
        return loss

    return step, lambda: [table.weight.data.copy(), norm.weight.data.copy()]


def test_captured_steps_with_padding_and_group_norm_replay_as_eager():
    """ag.capture records the embedding op with each call's indices (new batches reach the
    replays) and replays its gradient bit for bit; GroupNorm's too."""
    rng = np.random.default_rng(7)
    batches = [rng.integers(0, 9, (3, 4)) for _ in range(4)]
    results = []
    for captured in (False, True):
        step, state = _padding_and_group_norm_step()
        run = ag.capture(step) if captured else step
        results.append([run(ag.Tensor(ids)).data for ids in batches] + state())
    for eager, replayed in zip(*results):
        np.testing.assert_array_equal(eager, replayed)
    np.testing.assert_array_equal(results[1][-2][0], np.zeros(6))  # the padding row stays 0
