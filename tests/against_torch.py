"""One check for the op tests: forward values, gradients and second derivatives against torch.

``assert_matches_torch(ours, theirs, *arrays)`` runs ``ours`` on float64 tensors
and ``theirs`` on torch tensors of the same values, then compares the outputs,
the gradients for a random upstream gradient, and the gradients of
``sum(gradient * random weights)`` (second derivatives, both recorded).
"""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag


def assert_close(ours, theirs, rtol: float = 1e-10, atol: float = 1e-12) -> None:
    """Values equal to ``rtol``/``atol``, with NaN and infinities in the same places."""
    mine = ours.data if isinstance(ours, ag.Tensor) else np.asarray(ours)
    other = theirs.detach().numpy(force=True) if hasattr(theirs, "detach") else np.asarray(theirs)
    assert mine.shape == other.shape, (mine.shape, other.shape)
    np.testing.assert_allclose(mine, other, rtol=rtol, atol=atol, equal_nan=True)


def _ours_grad(outputs, inputs, upstream, create_graph: bool) -> list:
    grads = ag.grad(outputs, inputs, grad_outputs=upstream, create_graph=create_graph,
                    allow_unused=True)
    return [ag.Tensor(np.zeros(x.shape)) if g is None else g for g, x in zip(grads, inputs)]


def assert_matches_torch(ours, theirs, *arrays, second_order: bool = True, rtol: float = 1e-10,
                         atol: float = 1e-12, seed: int = 0) -> None:
    """``ours(*tensors)`` and ``theirs(*torch_tensors)``: values, 1st and 2nd derivatives."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(seed)
    arrays = [np.array(a, dtype=np.float64) for a in arrays]
    xs = [ag.Tensor(a.copy(), requires_grad=True) for a in arrays]
    ts = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    out, tout = ours(*xs), theirs(*ts)
    assert_close(out, tout, rtol, atol)
    upstream = rng.standard_normal(out.shape)
    grads = _ours_grad(out, xs, ag.Tensor(upstream), second_order)
    tgrads = torch.autograd.grad(tout, ts, torch.tensor(upstream), create_graph=second_order,
                                 allow_unused=True, materialize_grads=True)
    for grad, tgrad in zip(grads, tgrads):
        assert_close(grad, tgrad, rtol, atol)
    if not second_order:
        return
    weights = [rng.standard_normal(x.shape) for x in xs]
    total = sum((g * w).sum() for g, w in zip(grads, weights))
    ttotal = sum((g * torch.tensor(w)).sum() for g, w in zip(tgrads, weights))
    # an op whose gradient is constant may record it or not: then its second derivative is 0
    seconds = (_ours_grad(total, xs, None, False) if getattr(total, "requires_grad", False)
               else [np.zeros(x.shape) for x in xs])
    tseconds = (torch.autograd.grad(ttotal, ts, allow_unused=True, materialize_grads=True)
                if getattr(ttotal, "requires_grad", False) else [np.zeros(x.shape) for x in xs])
    for second, tsecond in zip(seconds, tseconds):
        assert_close(second, tsecond, rtol, atol)
