"""Gradients at the points where a derivative is 0, a kink, or 0 * inf: PyTorch's values.

Issue 11 item 5: relu/clip/maximum/minimum/tanh multiplied an infinite upstream
gradient by a 0 mask (NaN); std of constant data and pow at a zero base gave NaN
where PyTorch gives 0. Item 6: cross-entropy with class weights or ignore_index
was NaN for a masked (-inf) logit.
"""

import numpy as np
import pytest

import autograd as ag
import nn

torch = pytest.importorskip("torch")

INF = np.inf
# (name, function of (lib, x), input values, upstream gradient)
CASES = [
    ("relu-inf-upstream", lambda lib, x: lib.relu(x), [-1.0, 0.0, 2.0], [INF, INF, 1.0]),
    ("clip-inf-upstream", lambda lib, x: x.clip(-0.5, 0.5) if lib is ag else x.clamp(-0.5, 0.5),
     [-1.0, 0.2, 2.0], [INF, 1.0, -INF]),
    ("maximum-inf-upstream", lambda lib, x: lib.maximum(x, x * 0 + 0.5), [0.0, 1.0, 0.5],
     [INF, 2.0, 1.0]),
    ("minimum-inf-upstream", lambda lib, x: lib.minimum(x, x * 0 + 0.5), [0.0, 1.0, 0.5],
     [3.0, INF, 1.0]),
    ("tanh-inf-upstream", lambda lib, x: lib.tanh(x), [0.0, 0.5, -3.0], [INF, INF, 1.0]),
    ("sqrt-of-clip-distances", lambda lib, x: (x.clip(0.0, None) if lib is ag
                                               else x.clamp(min=0.0)).sqrt(),
     [-1.0, 4.0, 9.0], [1.0, 1.0, 1.0]),
    ("std-of-constant-data", lambda lib, x: x.std(dim=0, keepdim=True).expand(3) if lib is torch
     else x.std(dim=0, keepdim=True).broadcast_to((3,)), [2.0, 2.0, 2.0], [1.0, 1.0, 1.0]),
    ("pow-zero-exponent-at-zero", lambda lib, x: x ** 0, [0.0, 1.0, 2.0], [1.0, 1.0, 1.0]),
    ("pow-zero-base", lambda lib, x: (x * 0) ** x, [0.5, 1.0, 2.0], [1.0, 1.0, 1.0]),
    ("pow-zero-base-zero-exponent", lambda lib, x: x ** x, [0.0, 1.0, 2.0], [1.0, 1.0, 1.0]),
]


@pytest.mark.parametrize("name, function, values, upstream", CASES, ids=[c[0] for c in CASES])
def test_gradient_at_singular_points_matches_torch(name, function, values, upstream):
    x = ag.Tensor(np.array(values), requires_grad=True)
    out = function(ag, x)
    out.backward(np.array(upstream))
    tx = torch.tensor(values, dtype=torch.float64, requires_grad=True)
    tout = function(torch, tx)
    tout.backward(torch.tensor(upstream, dtype=torch.float64))
    np.testing.assert_allclose(out.data, tout.detach().numpy(), rtol=1e-12)
    np.testing.assert_array_equal(np.isnan(x.grad.data), np.isnan(tx.grad.numpy()))
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12)


def test_pairwise_distances_with_a_zero_distance_keep_every_weight_finite():
    points = ag.Tensor(np.array([[0.0, 0.0], [3.0, 4.0], [0.0, 0.0]]), requires_grad=True)
    difference = points.reshape(3, 1, 2) - points.reshape(1, 3, 2)
    distances = ((difference * difference).sum(axis=-1).clip(1e-12, None)).sqrt()
    distances.sum().backward()
    assert np.isfinite(points.grad.data).all()


@pytest.mark.parametrize("settings", [dict(weight=[1.0, 2.0, 0.5]), dict(ignore_index=2),
                                      dict(label_smoothing=0.0, weight=[1.0, 1.0, 1.0])])
def test_cross_entropy_with_a_masked_minus_inf_logit_is_finite_and_matches_torch(settings):
    logits = np.array([[2.0, -np.inf, 0.5], [0.1, 0.3, -np.inf]])
    labels = np.array([0, 1])
    x = ag.Tensor(logits, requires_grad=True)
    loss = nn.CrossEntropyLoss(**{k: (np.array(v) if k == "weight" else v)
                                  for k, v in settings.items()})(x, labels)
    loss.backward()
    tx = torch.tensor(logits, requires_grad=True)
    tloss = torch.nn.CrossEntropyLoss(**{k: (torch.tensor(v, dtype=torch.float64)
                                             if k == "weight" else v)
                                         for k, v in settings.items()})(tx, torch.tensor(labels))
    tloss.backward()
    assert np.isfinite(loss.item())
    np.testing.assert_allclose(loss.item(), tloss.item(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.data, tx.grad.numpy(), rtol=1e-12, atol=1e-15)
