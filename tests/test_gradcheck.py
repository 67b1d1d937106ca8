"""gradcheck / gradgradcheck and the public Jacobian helpers: what they check and report."""

from __future__ import annotations

import ast
import pathlib

import numpy as np
import pytest

import autograd as ag
from autograd.gradcheck import analytic_jacobian, first_derivatives, numeric_jacobian
from tests.nan_functions import SquareWithNanSecondDerivative


def leaf(values) -> ag.Tensor:
    return ag.Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def doubling_with_backward(backward_factor: np.ndarray):
    """``2 x`` whose backward multiplies the gradient by ``backward_factor`` (2 is right)."""
    class Double(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, grad):
            return grad * ag.Tensor(backward_factor)

    return Double.apply


def test_a_backward_returning_nan_fails_naming_the_entry_and_values():
    # a one-hot seed times NaN is NaN in every row: column 1 of the Jacobian is all NaN
    double = doubling_with_backward(np.array([2.0, np.nan, 2.0]))
    with pytest.raises(AssertionError, match=r"non-finite Jacobian entry for output 0 with respect "
                       r"to input 0 at input element \(1,\), output element \(0,\): analytic "
                       r"nan, numeric 0\.0 \(3 of 9 entries fail"):
        ag.gradcheck(double, (leaf([0.5, -1.0, 3.0]),))


def test_a_backward_returning_inf_fails():
    double = doubling_with_backward(np.array([np.inf, 2.0]))
    with pytest.raises(AssertionError, match=r"non-finite .* input element \(0,\).*analytic inf"):
        ag.gradcheck(double, (leaf([0.5, -1.0]),))


def test_a_nan_beside_a_wrong_entry_does_not_hide_it():
    # column 0 is NaN (3 entries), diagonal entry 1 is wrong (3 instead of 2), entry 2 is right
    double = doubling_with_backward(np.array([np.nan, 3.0, 2.0]))
    assert ag.gradcheck(double, (leaf([0.5, -1.0, 3.0]),), raise_exception=False) is False
    with pytest.raises(AssertionError, match=r"\(4 of 9 entries fail"):
        ag.gradcheck(double, (leaf([0.5, -1.0, 3.0]),))


def test_a_wrong_entry_is_still_reported_as_a_mismatch_with_its_values():
    double = doubling_with_backward(np.array([2.0, 3.0]))
    with pytest.raises(AssertionError, match=r"Jacobian mismatch .* input element \(1,\), "
                       r"output element \(1,\): analytic 3\.0, numeric (1\.99|2\.0)\d* "
                       r"\(1 of 4 entries fail"):
        ag.gradcheck(double, (leaf([0.5, -1.0]),))


def test_a_non_finite_numeric_entry_fails():
    start = np.array([0.5, -1.0])

    class NanOffThePoint(ag.Function):
        """2x at ``start`` and NaN anywhere else: the finite differences are NaN."""

        @staticmethod
        def forward(ctx, x):
            return x * (2.0 if np.array_equal(x.data, start) else np.nan)

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.0

    with pytest.raises(AssertionError, match=r"non-finite .*analytic 2\.0, numeric nan"):
        ag.gradcheck(NanOffThePoint.apply, (leaf(start),))


def test_gradgradcheck_fails_when_a_second_derivative_is_nan():
    x = leaf([0.5, -1.0])
    assert ag.gradcheck(SquareWithNanSecondDerivative.apply, (x,))  # the first is right
    with pytest.raises(AssertionError, match=r"non-finite Jacobian entry .*analytic nan"):
        ag.gradgradcheck(SquareWithNanSecondDerivative.apply, (x,))


@pytest.mark.parametrize("check", [ag.gradcheck, ag.gradgradcheck, numeric_jacobian])
def test_the_inputs_are_restored_when_the_checked_function_raises(check):
    x = leaf([0.25, -1.5, 2.0])
    y = leaf([[1.0, 2.0], [3.0, 4.0]])
    original = (x.data.copy(), y.data.copy())
    calls = []

    def fails_on_a_perturbed_input(a, b):
        calls.append(1)
        if len(calls) > 3:  # after the unperturbed calls, inside the finite differences
            raise ArithmeticError("the checked function failed")
        return (a * b.sum()).sum()

    with pytest.raises(ArithmeticError, match="the checked function failed"):
        check(fails_on_a_perturbed_input, (x, y))
    np.testing.assert_array_equal(x.data, original[0])
    np.testing.assert_array_equal(y.data, original[1])


def test_jacobian_helpers_give_one_block_per_output_and_input_requiring_grad():
    a, b = leaf([1.0, -2.0, 3.0]), leaf([0.5, 4.0, -1.0])
    constant = ag.Tensor(np.array([7.0, 7.0, 7.0]))

    def fn(a, c, b):
        return a * b + c, (a * a).sum()

    expected = [
        [np.diag([0.5, 4.0, -1.0]), np.diag([1.0, -2.0, 3.0])],  # d(a b + c)/da, /db
        [np.array([[2.0, -4.0, 6.0]]), np.zeros((1, 3))],       # d(sum a^2)/da, /db
    ]
    for jacobian in (analytic_jacobian(fn, (a, constant, b)),
                     numeric_jacobian(fn, (a, constant, b), eps=1e-6)):
        assert len(jacobian) == 2 and all(len(blocks) == 2 for blocks in jacobian)
        for blocks, expected_blocks in zip(jacobian, expected):
            for block, want in zip(blocks, expected_blocks):
                np.testing.assert_allclose(block, want, atol=1e-8)


def test_first_derivatives_has_the_hessian_vector_product_as_its_jacobian():
    x = leaf([1.0, -2.0])
    v = ag.Tensor(np.array(3.0), requires_grad=True)
    derivatives, inputs = first_derivatives(lambda t: (t**3).sum(), (x,), grad_outputs=(v,))
    assert inputs[0] is x and inputs[1] is v
    (gradient,) = derivatives(*inputs)
    np.testing.assert_allclose(gradient.data, 3 * 3 * np.array([1.0, 4.0]))  # v * 3 x^2
    (blocks,) = analytic_jacobian(derivatives, inputs)
    np.testing.assert_allclose(blocks[0], np.diag(3 * 6 * np.array([1.0, -2.0])))  # v * 6 x
    np.testing.assert_allclose(blocks[1], [[3.0], [12.0]])  # 3 x^2


def test_the_selfcheck_imports_no_private_names_from_gradcheck():
    root = pathlib.Path(ag.__file__).parent / "selfcheck"
    for path in root.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module == "autograd.gradcheck":
                private = [alias.name for alias in node.names if alias.name.startswith("_")]
                assert not private, f"{path.name} imports {private} from autograd.gradcheck"
