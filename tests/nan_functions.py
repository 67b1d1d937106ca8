"""User Functions with NaN derivatives, for the tests of gradcheck and its messages."""

import numpy as np

import autograd as ag


class NanGradient(ag.Function):
    """``2 x`` whose backward returns NaN."""

    @staticmethod
    def forward(ctx, x):
        return x * 2.0

    @staticmethod
    def backward(ctx, grad):
        return grad * np.nan


class IdentityWithNanGradient(ag.Function):
    @staticmethod
    def forward(ctx, x):
        return x * 1.0

    @staticmethod
    def backward(ctx, grad):
        return grad * np.nan


class SquareWithNanSecondDerivative(ag.Function):
    """``x**2`` with the right first derivative ``2 x``, whose own derivative is NaN."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        return grad * 2.0 * IdentityWithNanGradient.apply(x)
