"""Embedding: lookup values, N(0, 1) init, padding row, gradients, bad indices."""

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F


def test_embedding_looks_up_rows_for_any_index_shape():
    layer = nn.Embedding(10, 3)
    ids = np.array([[1, 4, 4], [9, 0, 2]])
    out = layer(ids)
    assert out.shape == (2, 3, 3) and out.dtype == np.float32
    np.testing.assert_array_equal(out.data, layer.weight.data[ids])


def test_embedding_weight_starts_standard_normal():
    np.random.seed(0)
    weight = nn.Embedding(1000, 200).weight.data
    assert weight.mean() == pytest.approx(0.0, abs=0.01)
    assert weight.std() == pytest.approx(1.0, rel=0.01)


def test_repeated_indices_accumulate_their_gradients():
    layer = nn.Embedding(5, 2, dtype=np.float64)
    ids = np.array([1, 3, 1, 1])
    grad = np.arange(8.0).reshape(4, 2)
    layer(ids).backward(ag.Tensor(grad))
    expected = np.zeros((5, 2))
    for position, index in enumerate(ids):
        expected[index] += grad[position]
    np.testing.assert_array_equal(layer.weight.grad.data, expected)


def test_padding_row_starts_at_zero_and_gets_no_gradient():
    layer = nn.Embedding(6, 3, padding_idx=2)
    np.testing.assert_array_equal(layer.weight.data[2], np.zeros(3))
    layer.weight.data[2] = 5.0  # a loaded padding vector is still looked up as is
    out = layer(np.array([2, 0, 2]))
    np.testing.assert_array_equal(out.data[0], np.full(3, 5.0))
    out.sum().backward()
    np.testing.assert_array_equal(layer.weight.grad.data[2], np.zeros(3))
    np.testing.assert_array_equal(layer.weight.grad.data[0], np.ones(3))


def test_negative_padding_idx_counts_from_the_end():
    assert nn.Embedding(6, 3, padding_idx=-1).padding_idx == 5


def test_embedding_gradients_match_finite_differences():
    weight = ag.Tensor(np.random.default_rng(0).standard_normal((4, 3)), requires_grad=True)
    ids = np.array([[0, 1], [3, 1]])
    assert ag.gradcheck(lambda w: F.embedding(ids, w) * 1.5, [weight])


def test_padding_gradient_is_the_plain_gradient_with_the_padding_row_zeroed():
    rng = np.random.default_rng(1)
    weight = ag.Tensor(rng.standard_normal((4, 3)), requires_grad=True)
    ids = np.array([[0, 1], [3, 1]])
    upstream = ag.Tensor(rng.standard_normal((2, 2, 3)))
    F.embedding(ids, weight, padding_idx=1).backward(upstream)
    expected = np.zeros((4, 3))
    for position, index in np.ndenumerate(ids):
        if index != 1:
            expected[index] += upstream.data[position]
    np.testing.assert_array_equal(weight.grad.data, expected)


def test_from_pretrained_copies_and_freezes():
    vectors = np.arange(6.0).reshape(3, 2)
    layer = nn.Embedding.from_pretrained(vectors)
    np.testing.assert_array_equal(layer(np.array([2])).data, [[4.0, 5.0]])
    assert not layer.weight.requires_grad and layer.weight.dtype == np.float64
    vectors[0, 0] = 99.0
    assert layer.weight.data[0, 0] == 0.0
    assert nn.Embedding.from_pretrained(vectors, freeze=False).weight.requires_grad


@pytest.mark.parametrize("ids, error, message", [
    (np.array([0, 7]), IndexError, r"embedding: index 7 at index \(1,\) is out of range "
                                   r"\(expected 0..5\)"),
    (np.array([-1]), IndexError, r"embedding: index -1 at index \(0,\) is out of range"),
    (np.array([0.5]), ValueError, r"embedding: indices must be integers, got 0.5"),
])
def test_bad_indices_are_refused(ids, error, message):
    with pytest.raises(error, match=message):
        nn.Embedding(6, 2)(ids)


def test_out_of_range_padding_idx_is_refused():
    with pytest.raises(ValueError, match="padding_idx 6 out of range for num_embeddings=6"):
        nn.Embedding(6, 2, padding_idx=6)


def test_embedding_repr():
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(nn.Embedding(10, 3, padding_idx=0)) == "Embedding(10, 3, padding_idx=0)"
