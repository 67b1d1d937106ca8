"""Side by side with a torch layer: copied weights, float64, outputs and every gradient.

Used by the conv-family tests (they skip when torch is not installed).
"""

from __future__ import annotations

import numpy as np

import autograd as ag


def copy_weights(ours, theirs) -> None:
    """Make both float64 and give ours torch's parameters (names and shapes must match)."""
    theirs.double()
    ours.double()
    assert [(n, tuple(p.shape)) for n, p in ours.named_parameters()] == [
        (n, tuple(p.shape)) for n, p in theirs.named_parameters()]
    ours.load_state_dict({k: v.detach().numpy().copy() for k, v in theirs.state_dict().items()})


def compare_layer(torch, ours, theirs, x: np.ndarray, rtol: float = 1e-10, atol: float = 1e-12,
                  **call) -> tuple:
    """Copy the weights, run both on ``x`` (and keyword arguments ``call``), backward a random
    weighting of the output, and compare the outputs and the gradients of the input and of
    every parameter. Returns both outputs."""
    copy_weights(ours, theirs)
    x_ours = ag.Tensor(x.copy(), requires_grad=True)
    x_theirs = torch.tensor(x.copy(), requires_grad=True)
    out_ours, out_theirs = ours(x_ours, **call), theirs(x_theirs, **call)
    assert out_ours.shape == tuple(out_theirs.shape)
    np.testing.assert_allclose(out_ours.data, out_theirs.detach().numpy(), rtol=rtol, atol=atol)
    upstream = np.random.default_rng(99).standard_normal(out_ours.shape)
    (out_ours * ag.Tensor(upstream)).sum().backward()
    (out_theirs * torch.tensor(upstream)).sum().backward()
    np.testing.assert_allclose(x_ours.grad.data, x_theirs.grad.numpy(), rtol=rtol, atol=atol)
    theirs_params = dict(theirs.named_parameters())
    for name, param in ours.named_parameters():
        np.testing.assert_allclose(param.grad.data, theirs_params[name].grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=name)
    return out_ours, out_theirs
