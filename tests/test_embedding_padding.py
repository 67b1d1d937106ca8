"""Embedding(padding_idx=) as PyTorch's: the padding row starts at zero and gets no gradient."""

import numpy as np
import pytest

import autograd as ag
import nn
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
