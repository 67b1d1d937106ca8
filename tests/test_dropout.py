"""Dropout: statistics of the mask, inverted scaling, eval identity, gradients, errors."""

import numpy as np
import pytest

import autograd as ag
import nn
from nn.functional import dropout


@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_zeroes_a_fraction_p_and_scales_the_rest(p):
    np.random.seed(0)
    x = np.random.default_rng(1).uniform(1.0, 2.0, (200, 500))  # never zero itself
    out = dropout(ag.Tensor(x), p).data
    zeroed = out == 0
    # 100000 Bernoulli(p) draws: the fraction is within 5 standard deviations of p
    assert abs(zeroed.mean() - p) < 5 * np.sqrt(p * (1 - p) / x.size)
    np.testing.assert_allclose(out[~zeroed], x[~zeroed] / (1 - p), rtol=1e-12)


def test_dropout_keeps_the_mean_on_average():
    np.random.seed(2)
    out = dropout(ag.ones((400, 500)), 0.3).data
    assert abs(out.mean() - 1.0) < 0.01


def test_dropout_keeps_dtype():
    assert dropout(ag.ones((3, 4)), 0.5).dtype == np.float32


def test_dropout_is_reproducible_with_a_seed():
    np.random.seed(3)
    first = dropout(ag.ones((10, 10)), 0.5).data
    np.random.seed(3)
    np.testing.assert_array_equal(dropout(ag.ones((10, 10)), 0.5).data, first)


def test_dropout_gradient_is_the_scaled_mask():
    np.random.seed(4)
    x = ag.Tensor(np.random.default_rng(5).uniform(1.0, 2.0, (6, 7)), requires_grad=True)
    out = dropout(x, 0.25)
    out.sum().backward()
    # d/dx = mask / (1 - p), and the mask is where the output is non-zero
    np.testing.assert_allclose(x.grad.data, (out.data != 0) / 0.75, rtol=1e-12)


def test_dropout_gradcheck_with_a_fixed_mask():
    x = ag.Tensor(np.random.default_rng(6).standard_normal((4, 5)), requires_grad=True)

    def seeded_dropout(x):
        np.random.seed(7)
        return dropout(x, 0.4)

    assert ag.gradcheck(seeded_dropout, (x,))
    assert ag.gradgradcheck(lambda x: seeded_dropout(x) ** 2, (x,))


@pytest.mark.parametrize("p", [0.0, 0.5, 1.0])
def test_dropout_outside_training_is_the_identity(p):
    x = ag.randn(3, 4)
    np.testing.assert_array_equal(dropout(x, p, training=False).data, x.data)


def test_dropout_with_p_zero_is_the_identity_in_training():
    x = ag.randn(3, 4)
    np.testing.assert_array_equal(dropout(x, 0.0).data, x.data)


def test_dropout_with_p_one_zeroes_everything():
    x = ag.Tensor(np.ones((3, 4)), requires_grad=True)
    out = dropout(x, 1.0)
    np.testing.assert_array_equal(out.data, np.zeros((3, 4)))
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, np.zeros((3, 4)))


def test_dropout_module_follows_train_and_eval():
    layer = nn.Dropout(0.5)
    x = ag.ones((50, 50))
    np.random.seed(8)
    assert (layer(x).data == 0).any()
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x.data)
    assert list(layer.parameters()) == []
    assert repr(layer) == "Dropout(p=0.5)"


@pytest.mark.parametrize("p", [-0.1, 1.5])
def test_dropout_rejects_p_outside_zero_one(p):
    with pytest.raises(ValueError, match=f"Dropout: dropout probability has to be between 0 and "
                                         f"1, but got {p}"):
        nn.Dropout(p)
    with pytest.raises(ValueError, match=f"dropout: .* but got {p}"):
        dropout(ag.ones(3), p)
