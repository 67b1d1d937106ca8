"""``ag.einsum``: NumPy's forward (implicit outputs, ``...``, diagonals) and PyTorch's gradients.

First derivatives are compared with torch's for a random upstream gradient;
second derivatives with torch's double backward; finite differences of both
orders are the ``einsum`` row of the case table.
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
from tests.test_movement import against_torch, needs_torch

RNG = np.random.default_rng(11)

SPECS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("ii->", [(4, 4)]),
    ("ii", [(3, 3)]),
    ("ii->i", [(4, 4)]),
    ("iij->ji", [(3, 3, 2)]),
    ("iji->j", [(3, 2, 3)]),
    ("ij->", [(3, 4)]),
    ("ij->i", [(3, 4)]),
    ("ij->ji", [(3, 4)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij,ij->ij", [(1, 3), (4, 3)]),
    ("ij,j->i", [(3, 4), (1,)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),
    ("...i,...i->...", [(2, 3), (3,)]),
    ("i...->...", [(3, 2, 2)]),
    ("b...,b->...", [(2, 3, 4), (2,)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),
    ("ii,ij->j", [(3, 3), (3, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ("Ab,bC", [(2, 3), (3, 4)]),
    ("a,B", [(2,), (3,)]),
    (",ij->ij", [(), (2, 3)]),
    ("ij->ij", [(0, 3)]),
    ("bij,bjk->bik", [(8, 16, 20), (8, 20, 16)]),  # large enough for NumPy's optimizer
]


def arrays(shapes):
    return [RNG.standard_normal(shape) for shape in shapes]


@pytest.mark.parametrize("subscripts, shapes", SPECS, ids=[s for s, _ in SPECS])
def test_forward_matches_numpy(subscripts, shapes):
    values = arrays(shapes)
    ours = ag.einsum(subscripts, *[ag.Tensor(v) for v in values])
    expected = np.einsum(subscripts, *values)
    assert ours.shape == np.shape(expected)
    np.testing.assert_allclose(ours.data, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("subscripts, shapes", SPECS, ids=[s for s, _ in SPECS])
def test_gradients_match_torch(subscripts, shapes):
    torch = needs_torch()
    against_torch(lambda *xs: ag.einsum(subscripts, *xs),
                  lambda *xs: torch.einsum(subscripts, *xs), *arrays(shapes))


@pytest.mark.parametrize("subscripts, shapes", [
    ("ij,jk->ik", [(2, 3), (3, 4)]), ("ii,ij->j", [(3, 3), (3, 2)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]), ("ij,ij->ij", [(1, 3), (4, 3)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]), ("iij,j->i", [(3, 3, 2), (2,)]),
])
def test_second_derivatives_match_torch(subscripts, shapes):
    """Double backward as torch's (products of several operands: one operand is linear)."""
    torch = needs_torch()
    values = arrays(shapes)
    ours = [ag.Tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v.copy(), requires_grad=True) for v in values]
    out_ours, out_theirs = ag.einsum(subscripts, *ours), torch.einsum(subscripts, *theirs)
    upstream = RNG.standard_normal(out_theirs.shape)
    first_ours = ag.grad((out_ours * upstream).sum(), ours, create_graph=True)
    first_theirs = torch.autograd.grad((out_theirs * torch.tensor(upstream)).sum(), theirs,
                                       create_graph=True)
    weights = [RNG.standard_normal(v.shape) for v in values]
    second_ours = ag.grad(sum((g * w).sum() for g, w in zip(first_ours, weights)), ours,
                          allow_unused=True)
    second_theirs = torch.autograd.grad(
        sum((g * torch.tensor(w)).sum() for g, w in zip(first_theirs, weights)), theirs,
        allow_unused=True)
    for mine, expected in zip(second_ours, second_theirs):
        if expected is None:
            assert mine is None or not np.any(mine.data)
        else:
            np.testing.assert_allclose(mine.data, expected.numpy(), rtol=1e-12, atol=1e-12)


def test_pytorchs_list_form_and_numpy_interop():
    a, b = ag.Tensor(RNG.standard_normal((2, 3))), ag.Tensor(RNG.standard_normal((3, 2)))
    np.testing.assert_allclose(ag.einsum("ij,jk->ik", [a, b]).data, a.data @ b.data)
    np.testing.assert_allclose(np.einsum("ij,jk->ik", a, b).data, a.data @ b.data)


def test_dtype_follows_the_operands():
    a = ag.ones(2, 3)
    assert ag.einsum("ij,jk->ik", a, np.ones((3, 2))).dtype == np.float32
    assert ag.einsum("ij->", ag.tensor([[1, 2], [3, 4]])).dtype == np.int64


def test_gradient_of_trace_is_the_identity():
    x = ag.Tensor(RNG.standard_normal((3, 3)), requires_grad=True)
    ag.einsum("ii", x).backward()
    np.testing.assert_array_equal(x.grad.data, np.eye(3))


def test_backward_twice_without_retain_graph_raises():
    x = ag.Tensor(RNG.standard_normal((2, 2)), requires_grad=True)
    y = ag.einsum("ij,jk->", x, x)
    y.backward()
    with pytest.raises(RuntimeError, match=r"second time \(op 'einsum'\)"):
        y.backward()


def test_operand_changed_in_place_after_forward_makes_backward_raise():
    a = ag.Tensor(RNG.standard_normal((2, 2)), requires_grad=True)
    b = ag.Tensor(RNG.standard_normal((2, 2)))
    y = ag.einsum("ij,jk->ik", a, b).sum()
    b += 1.0
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        y.backward()
