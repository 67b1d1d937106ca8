"""Dropout2d: whole channels dropped, inverted scaling, identity in eval mode."""

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F


def test_each_channel_is_kept_whole_or_zeroed_and_scaled():
    np.random.seed(0)
    x = ag.Tensor(np.ones((8, 16, 3, 4)), requires_grad=True)
    out = nn.Dropout2d(p=0.25)(x)
    per_channel = out.data.reshape(8, 16, -1)
    assert np.all(per_channel.min(axis=2) == per_channel.max(axis=2))  # whole channels
    assert set(np.unique(per_channel)) == {0.0, 1 / 0.75}
    out.sum().backward()
    np.testing.assert_array_equal(x.grad.data, out.data)  # d/dx = mask / (1 - p)


def test_the_share_of_dropped_channels_is_p():
    np.random.seed(1)
    out = F.dropout2d(ag.Tensor(np.ones((200, 100, 1, 1))), p=0.3)
    assert abs((out.data == 0).mean() - 0.3) < 0.01


def test_eval_mode_and_p_zero_are_the_identity():
    x = ag.Tensor(np.random.default_rng(0).standard_normal((2, 3, 4, 4)))
    layer = nn.Dropout2d(0.5).eval()
    assert layer(x) is x
    assert F.dropout2d(x, 0.0) is x
    np.testing.assert_array_equal(F.dropout2d(x, 1.0).data, np.zeros(x.shape))


def test_a_3d_input_drops_channels_of_n_c_l_with_a_warning_as_torch():
    np.random.seed(2)
    with pytest.warns(UserWarning, match="dropout2d: a 3-D input"):
        out = F.dropout2d(ag.Tensor(np.ones((4, 5, 6))), 0.5)
    assert np.all(out.data.min(axis=2) == out.data.max(axis=2))


def test_bad_p_and_rank_are_named():
    with pytest.raises(ValueError, match=r"Dropout2d: dropout probability has to be between 0 "
                                         r"and 1, but got 1.5"):
        nn.Dropout2d(1.5)
    with pytest.raises(ValueError, match=r"dropout2d: expected an input of shape \(N, C, H, W\)"):
        F.dropout2d(ag.zeros(3), 0.5)


def test_repr_matches_ours_for_dropout():
    assert repr(nn.Dropout2d(0.3)) == "Dropout2d(p=0.3)"
