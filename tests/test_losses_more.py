"""KLDivLoss, SmoothL1Loss, CosineEmbeddingLoss and MarginRankingLoss against torch (float64,
every reduction, values, input/target gradients and second derivatives), their kinks and
limits, the modules' defaults and reprs, and dtypes."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F
from tests.against_torch import assert_close, assert_matches_torch

REDUCTIONS = ["mean", "sum", "none"]
KL_REDUCTIONS = ["mean", "batchmean", "sum", "none"]


def rng(seed=0):
    return np.random.default_rng(seed)


def torch_functional():
    return pytest.importorskip("torch").nn.functional


def quiet(function):
    """``function`` with the 'mean' warning of kl_div silenced (ours and torch's)."""
    def call(*args):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)
            return function(*args)
    return call


def probabilities(shape, seed, zeros=False):
    values = rng(seed).dirichlet(np.ones(shape[-1]), shape[:-1])
    if zeros:
        values[..., 0] = 0.0
        values[0, -1] = 0.0
    return values


def log_probabilities(shape, seed):
    logits = rng(seed).standard_normal(shape)
    return logits - np.log(np.exp(logits).sum(-1, keepdims=True))


# ---------------------------------------------------------------- KLDivLoss


@pytest.mark.parametrize("log_target", [False, True])
@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (6,)])
def test_kl_div_matches_torch_for_input_and_target_to_second_order(shape, reduction, log_target):
    tf = torch_functional()
    target = probabilities(shape, 1)
    if log_target:
        target = np.log(target)
    assert_matches_torch(
        quiet(lambda x, t: F.kl_div(x, t, reduction=reduction, log_target=log_target)),
        quiet(lambda x, t: tf.kl_div(x, t, reduction=reduction, log_target=log_target)),
        log_probabilities(shape, 0), target)


@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
def test_kl_div_with_zero_targets_matches_torch_for_the_input(reduction):
    tf = torch_functional()
    target = probabilities((4, 5), 2, zeros=True)
    assert_matches_torch(quiet(lambda x: F.kl_div(x, target, reduction=reduction)),
                         quiet(lambda x: tf.kl_div(x, _torch(target), reduction=reduction)),
                         log_probabilities((4, 5), 3))


def _torch(array):
    return pytest.importorskip("torch").tensor(array)


def test_kl_div_target_gradient_is_minus_infinity_at_zero_targets():
    """d/dt (t log t - t x) = log t + 1 - x: -inf at t = 0 (PyTorch's is NaN, from 0/0)."""
    tf = torch_functional()
    x, target = log_probabilities((3, 4), 4), probabilities((3, 4), 5, zeros=True)
    t = ag.Tensor(target, requires_grad=True)
    F.kl_div(ag.Tensor(x), t, reduction="sum").backward()
    zero = target == 0
    assert np.all(t.grad.data[zero] == -np.inf)
    tt = _torch(target).requires_grad_()
    tf.kl_div(_torch(x), tt, reduction="sum").backward()
    assert np.isnan(tt.grad.numpy()[zero]).all()
    np.testing.assert_allclose(t.grad.data[~zero], tt.grad.numpy()[~zero], rtol=1e-12)
    np.testing.assert_allclose(t.grad.data[~zero], np.log(target[~zero]) + 1 - x[~zero],
                               rtol=1e-12)


def test_kl_div_terms_of_zero_probability_vanish_even_against_minus_infinity():
    """0 log 0 = 0 and 0 * -inf = 0: a masked class in both distributions adds nothing."""
    x = np.array([[-np.inf, np.log(0.25), np.log(0.75)]])
    target = np.array([[0.0, 0.5, 0.5]])
    expected = (0.5 * (np.log(0.5) - np.log(0.25)) + 0.5 * (np.log(0.5) - np.log(0.75)))
    np.testing.assert_allclose(F.kl_div(x, target, reduction="sum").data, expected,
                               rtol=1e-14)
    log_target = np.array([[-np.inf, np.log(0.5), np.log(0.5)]])
    np.testing.assert_allclose(F.kl_div(x, log_target, reduction="sum", log_target=True).data,
                               expected, rtol=1e-14)
    for t, log in ((target, False), (log_target, True)):
        inputs = ag.Tensor(x, requires_grad=True), ag.Tensor(t, requires_grad=True)
        F.kl_div(*inputs, reduction="sum", log_target=log).backward()
        np.testing.assert_array_equal(inputs[0].grad.data, [[0.0, -0.5, -0.5]])
        if log:  # d/dt exp(t) (t - x) = exp(t) (t - x + 1): 0 where exp(t) = 0
            assert inputs[1].grad.data[0, 0] == 0.0


def test_kl_div_batchmean_divides_by_the_first_axis_only():
    x, target = log_probabilities((4, 3), 6), probabilities((4, 3), 7)
    pointwise = target * (np.log(target) - x)
    np.testing.assert_allclose(F.kl_div(x, target, reduction="batchmean").data,
                               pointwise.sum() / 4, rtol=1e-14)
    with pytest.warns(UserWarning, match="batchmean"):
        np.testing.assert_allclose(F.kl_div(x, target).data, pointwise.mean(), rtol=1e-14)
    # a 0-d input has no batch axis: batchmean is the sum, as PyTorch
    np.testing.assert_allclose(F.kl_div(np.array(-1.0), np.array(0.5),
                                        reduction="batchmean").data,
                               0.5 * (np.log(0.5) + 1.0), rtol=1e-14)


@pytest.mark.parametrize("reduction", KL_REDUCTIONS)
@pytest.mark.parametrize("log_target", [False, True])
def test_kldivloss_module_matches_torch(reduction, log_target):
    torch = pytest.importorskip("torch")
    x, target = log_probabilities((3, 4), 8), probabilities((3, 4), 9)
    target = np.log(target) if log_target else target
    ours = nn.KLDivLoss(reduction=reduction, log_target=log_target)
    theirs = torch.nn.KLDivLoss(reduction=reduction, log_target=log_target)
    assert_matches_torch(quiet(ours), quiet(theirs), x, target, second_order=False)


# ---------------------------------------------------------------- SmoothL1Loss


@pytest.mark.parametrize("beta", [1.0, 0.5, 2.0, 0.0])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_smooth_l1_matches_torch_for_input_and_target(beta, reduction):
    tf = torch_functional()
    x, y = 2 * rng(10).standard_normal((4, 3)), rng(11).standard_normal((4, 3))
    second_order = beta > 0  # beta = 0 is l1: piecewise linear, no second derivative
    assert_matches_torch(lambda a, b: F.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
                         lambda a, b: tf.smooth_l1_loss(a, b, reduction=reduction, beta=beta),
                         x, y, second_order=second_order)


@pytest.mark.parametrize("beta", [1.0, 0.5, 0.0])
def test_smooth_l1_at_its_kinks_matches_torch(beta):
    tf = torch_functional()
    differences = np.array([-beta - 1, -beta, -beta / 2, 0.0, beta / 2, beta, beta + 1])
    y = np.linspace(-1, 1, differences.size)
    assert_matches_torch(lambda a, b: F.smooth_l1_loss(a, b, reduction="none", beta=beta),
                         lambda a, b: tf.smooth_l1_loss(a, b, reduction="none", beta=beta),
                         y + differences, y, second_order=False)


@pytest.mark.parametrize("beta", [0.5, 1.0, 3.0])
def test_smooth_l1_is_huber_divided_by_beta(beta):
    x, y = 3 * rng(12).standard_normal(20), rng(13).standard_normal(20)
    np.testing.assert_allclose(beta * F.smooth_l1_loss(x, y, beta=beta).data,
                               F.huber_loss(x, y, delta=beta).data, rtol=1e-13)


def test_smoothl1loss_module_matches_torch():
    torch = pytest.importorskip("torch")
    x, y = rng(14).standard_normal(6), rng(15).standard_normal(6)
    for reduction in REDUCTIONS:
        assert_matches_torch(nn.SmoothL1Loss(reduction=reduction, beta=0.3),
                             torch.nn.SmoothL1Loss(reduction=reduction, beta=0.3), x, y,
                             second_order=False)


# ---------------------------------------------------------------- CosineEmbeddingLoss


@pytest.mark.parametrize("margin", [0.0, 0.3, -0.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_embedding_matches_torch_to_second_order(margin, reduction):
    tf = torch_functional()
    x1, x2 = rng(16).standard_normal((6, 4)), rng(17).standard_normal((6, 4))
    target = np.array([1, -1, 1, -1, -1, 1])
    assert_matches_torch(
        lambda a, b: F.cosine_embedding_loss(a, b, target, margin, reduction=reduction),
        lambda a, b: tf.cosine_embedding_loss(a, b, _torch(target), margin, reduction=reduction),
        x1, x2)


def test_cosine_embedding_of_one_pair_and_of_zero_vectors_matches_torch():
    tf = torch_functional()
    a, b = np.array([1.0, -2.0, 0.5]), np.array([0.3, 0.2, -1.0])
    for label in (1.0, -1.0):
        assert_matches_torch(
            lambda x, y, label=label: F.cosine_embedding_loss(x, y, label, 0.1),
            lambda x, y, label=label: tf.cosine_embedding_loss(x, y, _torch(label), 0.1), a, b)
    zeros = np.array([[0.0, 0.0], [1.0, 1.0]])  # cosine 0 through the 1e-12 epsilon
    others = np.array([[1.0, 0.0], [0.0, 0.0]])
    labels = np.array([1.0, -1.0])
    assert_matches_torch(lambda x, y: F.cosine_embedding_loss(x, y, labels, reduction="none"),
                         lambda x, y: tf.cosine_embedding_loss(x, y, _torch(labels),
                                                               reduction="none"),
                         zeros, others, second_order=False)


def test_cosine_embedding_values_follow_the_definition():
    x1 = np.array([[1.0, 0.0], [1.0, 1.0], [2.0, 0.0]])
    x2 = np.array([[0.0, 3.0], [1.0, 0.0], [1.0, 0.0]])
    labels = np.array([1, -1, -1])
    cosine = np.array([0.0, 1 / np.sqrt(2), 1.0])
    expected = [1 - cosine[0], max(0.0, cosine[1] - 0.2), max(0.0, cosine[2] - 0.2)]
    np.testing.assert_allclose(F.cosine_embedding_loss(x1, x2, labels, 0.2,
                                                       reduction="none").data, expected,
                               rtol=1e-11)


# ---------------------------------------------------------------- MarginRankingLoss


@pytest.mark.parametrize("margin", [0.0, 0.5])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("shape", [(7,), (2, 3), ()])
def test_margin_ranking_matches_torch_for_all_three_inputs(shape, margin, reduction):
    tf = torch_functional()
    x1, x2 = rng(18).standard_normal(shape), rng(19).standard_normal(shape)
    target = rng(20).choice([-1.0, 1.0], shape)
    assert_matches_torch(
        lambda a, b, y: F.margin_ranking_loss(a, b, y, margin, reduction=reduction),
        lambda a, b, y: tf.margin_ranking_loss(a, b, y, margin, reduction=reduction),
        x1, x2, target)


def test_margin_ranking_gradient_passes_at_the_hinge_as_torch():
    tf = torch_functional()
    x2 = np.array([0.0, 1.0, 2.0, 0.5])
    x1 = x2 + np.array([0.5, -0.5, 0.25, 0.0])
    target = np.array([1.0, -1.0, 1.0, -1.0])  # -y (x1 - x2) + 0.5 = 0, 0, 0.25, 0.5
    assert_matches_torch(
        lambda a, b, y: F.margin_ranking_loss(a, b, y, 0.5, reduction="none"),
        lambda a, b, y: tf.margin_ranking_loss(a, b, y, 0.5, reduction="none"),
        x1, x2, target, second_order=False)
    a = ag.Tensor(x1, requires_grad=True)
    F.margin_ranking_loss(a, x2, target, 0.5, reduction="sum").backward()
    np.testing.assert_array_equal(a.grad.data, -target)  # clamp_min(0) passes at 0


# ---------------------------------------------------------------- modules


def test_pair_loss_modules_match_torch():
    torch = pytest.importorskip("torch")
    x1, x2 = rng(21).standard_normal((5, 3)), rng(22).standard_normal((5, 3))
    labels = np.array([1.0, -1.0, -1.0, 1.0, -1.0])
    for reduction in REDUCTIONS:
        ours = nn.CosineEmbeddingLoss(0.2, reduction=reduction)
        theirs = torch.nn.CosineEmbeddingLoss(0.2, reduction=reduction)
        assert_close(ours(x1, x2, labels), theirs(_torch(x1), _torch(x2), _torch(labels)))
        ours = nn.MarginRankingLoss(0.4, reduction=reduction)
        theirs = torch.nn.MarginRankingLoss(0.4, reduction=reduction)
        assert_close(ours(x1[:, 0], x2[:, 0], labels),
                     theirs(_torch(x1[:, 0]), _torch(x2[:, 0]), _torch(labels)))


def test_loss_module_defaults_and_reprs_are_pytorchs():
    torch = pytest.importorskip("torch")
    for name in ["KLDivLoss", "SmoothL1Loss", "CosineEmbeddingLoss", "MarginRankingLoss"]:
        assert repr(getattr(nn, name)()) == repr(getattr(torch.nn, name)())
        assert getattr(nn, name)().reduction == "mean"
    assert nn.KLDivLoss().log_target is False and nn.SmoothL1Loss().beta == 1.0
    assert nn.CosineEmbeddingLoss().margin == 0.0 and nn.MarginRankingLoss().margin == 0.0


@pytest.mark.parametrize("call", [
    lambda x, y: F.kl_div(x, y, reduction="batchmean"),
    lambda x, y: F.smooth_l1_loss(x, y),
    lambda x, y: F.cosine_embedding_loss(x, y, np.array([1, -1, 1])),
    lambda x, y: F.margin_ranking_loss(x, y, np.ones((3, 4), dtype=np.float32)),
], ids=["kl_div", "smooth_l1", "cosine_embedding", "margin_ranking"])
def test_losses_keep_float32(call):
    x = ag.Tensor(rng(23).uniform(0.1, 0.9, (3, 4)).astype(np.float32), requires_grad=True)
    y = ag.Tensor(rng(24).uniform(0.1, 0.9, (3, 4)).astype(np.float32))
    loss = call(x, y)
    loss.backward()
    assert loss.dtype == np.float32 and x.grad.dtype == np.float32
