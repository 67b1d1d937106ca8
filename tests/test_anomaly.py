"""ag.detect_anomaly(): the first backward op that produces NaN/inf raises, naming its forward."""

from __future__ import annotations

import inspect
import os
import re
import threading

import numpy as np
import pytest

import autograd as ag
from autograd import anomaly

THIS_FILE = os.path.basename(__file__)


@pytest.fixture(autouse=True)
def quiet_numpy():
    """The NaN/inf below are deliberate: NumPy's warnings about them are noise here."""
    with np.errstate(divide="ignore", invalid="ignore"):
        yield


def here() -> int:
    """The caller's line number (the line of the forward call it sits beside)."""
    return inspect.currentframe().f_back.f_lineno


def leaf(values) -> ag.Tensor:
    return ag.Tensor(np.array(values, dtype=np.float64), requires_grad=True)


def test_inf_gradient_names_the_op_shapes_and_forward_line():
    x = leaf([0.0, 1.0, 4.0])
    with ag.detect_anomaly():
        y = ag.sqrt(x); line = here()  # noqa: E702 - the forward and its line number together
        with pytest.raises(FloatingPointError) as error:
            y.sum().backward()  # d/dx sqrt(x) = 1 / (2 sqrt(x)) is inf at x = 0
    message = str(error.value)
    assert "'sqrt'" in message
    assert "inf" in message
    assert "(3,)" in message
    assert f"{THIS_FILE}:{line}" in message
    assert "test_inf_gradient_names_the_op_shapes_and_forward_line" in message


def test_nan_gradient_is_reported_as_nan():
    x = leaf([0.0, 2.0])
    with ag.detect_anomaly():
        y = ag.sqrt(x) * 0.0; line = here()  # noqa: E702
        with pytest.raises(FloatingPointError) as error:
            y.sum().backward()
    # mul's backward is finite (grad * 0); sqrt's is 0 / (2 sqrt(0)) = NaN
    assert "backward of op 'sqrt' produced NaN in the gradient of input 0" in str(error.value)
    assert f"{THIS_FILE}:{line}" in str(error.value)


def test_the_first_bad_op_in_backward_order_is_reported_not_its_inputs():
    x = leaf([4.0, 9.0])
    with ag.detect_anomaly():
        shifted = x - 4.0  # sub's backward only passes the inf along: it must not be blamed
        root = ag.sqrt(shifted); line = here()  # noqa: E702
        loss = (root * 3.0).sum()
        with pytest.raises(FloatingPointError) as error:
            loss.backward()
    message = str(error.value)
    assert re.search(r"backward of op 'sqrt' produced inf in the gradient of input 0", message)
    assert f"{THIS_FILE}:{line}" in message
    assert "'sub'" not in message and "'mul'" not in message


def test_second_input_of_a_binary_op_is_named():
    a, b = ag.Tensor(np.array([1.0, 2.0])), leaf([0.0, 1.0])
    with ag.detect_anomaly():
        out = a / b; line = here()  # noqa: E702 - d/db (a / b) = -a / b**2 is -inf at b = 0
        with pytest.raises(FloatingPointError, match=r"'div' produced inf in the gradient of "
                                                     r"input 1 \(input shapes \(2,\), \(2,\)\)"):
            out.sum().backward()
    assert line > 0


def test_user_function_is_named_by_its_class():
    class Reciprocal(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 1.0 / x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return -grad / (x * x)

    x = leaf([0.0, 2.0])
    with ag.detect_anomaly():
        y = Reciprocal.apply(x); line = here()  # noqa: E702
        with pytest.raises(FloatingPointError, match=r"'Reciprocal'") as error:
            y.sum().backward()
    assert f"{THIS_FILE}:{line}" in str(error.value)


def test_forward_recorded_before_anomaly_mode_says_so():
    x = leaf([0.0])
    y = ag.sqrt(x)
    with ag.detect_anomaly(), pytest.raises(FloatingPointError,
                                            match="recorded before detect_anomaly was on"):
        y.sum().backward()


def test_without_anomaly_mode_nonfinite_gradients_pass_through_silently():
    x = leaf([0.0, 4.0])
    ag.sqrt(x).sum().backward()
    np.testing.assert_array_equal(x.grad.data, [np.inf, 0.25])


def test_finite_backward_under_anomaly_mode_gives_the_usual_gradients():
    x = leaf([1.0, 4.0])
    with ag.detect_anomaly():
        ag.sqrt(x).sum().backward()
    np.testing.assert_allclose(x.grad.data, 0.5 / np.sqrt([1.0, 4.0]), rtol=0, atol=1e-15)


def test_zero_cost_when_off_nothing_is_recorded_or_checked(monkeypatch):
    def forbidden(*args):
        raise AssertionError("anomaly machinery used while detect_anomaly is off")

    class Double(ag.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2.0

        @staticmethod
        def backward(ctx, grad):
            return grad * 2.0

    monkeypatch.setattr(anomaly, "user_frame", forbidden)
    monkeypatch.setattr(anomaly, "check_gradient", forbidden)
    x = leaf([1.0, 2.0])
    y = Double.apply(ag.tanh(x)) * x
    doubled = y.grad_fn.inputs[0]
    assert y.grad_fn.trace is None and doubled.grad_fn.trace is None
    assert doubled.grad_fn.inputs[0].grad_fn.trace is None
    y.sum().backward()
    np.testing.assert_allclose(x.grad.data, 2 * np.tanh(x.data)
                               + 2 * x.data * (1 - np.tanh(x.data) ** 2), rtol=1e-14)


def test_traces_are_recorded_only_inside_the_context():
    x = leaf([1.0])
    with ag.detect_anomaly():
        inside = x * 2.0; line = here()  # noqa: E702
    outside = x * 2.0
    assert inside.grad_fn.trace.startswith(__file__ + f":{line} in ")
    assert outside.grad_fn.trace is None


def test_mode_is_restored_after_an_exception_and_when_nested():
    with pytest.raises(KeyError), ag.detect_anomaly():
        raise KeyError("boom")
    assert anomaly._state.enabled is False
    with ag.detect_anomaly():
        with ag.detect_anomaly():
            pass
        assert anomaly._state.enabled is True
    assert anomaly._state.enabled is False


def test_anomaly_mode_is_thread_local():
    entered, checked = threading.Event(), threading.Event()
    seen = {}

    def other_thread():
        entered.wait(timeout=10)
        seen["trace"] = (leaf([1.0]) * 2.0).grad_fn.trace
        checked.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    with ag.detect_anomaly():
        entered.set()
        checked.wait(timeout=10)
    worker.join(timeout=10)
    assert seen == {"trace": None}


def test_ops_inside_library_functions_point_at_the_users_call():
    x = leaf([0.0, 2.0, -1.0])  # minimum is composed: -maximum(-x, -y)
    with ag.detect_anomaly():
        lowest = ag.minimum(x, 0.5); line = here()  # noqa: E702
        with pytest.raises(FloatingPointError, match=r"'neg'") as error:  # minimum's last op
            lowest.backward(np.full(3, np.nan))
    assert f"{THIS_FILE}:{line} in test_ops_inside_library_functions" in str(error.value)


def test_ops_inside_nn_layers_point_at_the_line_that_called_the_model():
    nn = pytest.importorskip("nn")
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    model[0].weight.data[0, 0] = np.inf  # d/dx (x @ W.T) = W: an inf reaches x's gradient
    x = leaf([[1.0, 2.0]])
    with ag.detect_anomaly():
        out = model(x); line = here()  # noqa: E702
        with pytest.raises(FloatingPointError) as error:
            out.sum().backward()
    message = str(error.value)
    # tanh saturates at the inf, so linear's backward computes 0 * inf for x's gradient
    assert ("backward of op 'linear' produced NaN in the gradient of input 0 "
            "(input shapes (1, 2), (3, 2)") in message
    assert f"{THIS_FILE}:{line} in test_ops_inside_nn_layers" in message
