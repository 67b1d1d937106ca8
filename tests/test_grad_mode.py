"""Grad mode: no_grad / enable_grad / set_grad_enabled, and their thread-locality.

Thread tests make the two threads' windows overlap for sure: each thread
enters its mode, then both meet at a barrier before recording anything, so
one thread's ``no_grad`` is active while the other computes.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import autograd as ag

TIMEOUT = 10


def leaf() -> ag.Tensor:
    return ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)


def run_in_threads(*targets) -> None:
    """Run each target in its own thread; re-raise the first failure in the caller."""
    errors = []

    def guarded(target):
        try:
            target()
        except BaseException as error:  # reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=guarded, args=(target,)) for target in targets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(TIMEOUT)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    if errors:
        raise errors[0]


def test_no_grad_in_one_thread_does_not_stop_recording_in_another():
    both_in_window = threading.Barrier(2, timeout=TIMEOUT)
    done_recording = threading.Barrier(2, timeout=TIMEOUT)
    results = {}

    def silent_thread():
        with ag.no_grad():
            both_in_window.wait()
            results["silent"] = (leaf() * 2).requires_grad
            done_recording.wait()  # stay in no_grad until the other thread has recorded

    def recording_thread():
        both_in_window.wait()
        product = leaf() * 2
        results["recording"] = (product.requires_grad, product.grad_fn is not None,
                                ag.is_grad_enabled())
        done_recording.wait()

    run_in_threads(silent_thread, recording_thread)
    assert results == {"silent": False, "recording": (True, True, True)}


def test_enable_grad_in_one_thread_does_not_leak_into_a_no_grad_thread():
    both_in_window = threading.Barrier(2, timeout=TIMEOUT)
    done = threading.Barrier(2, timeout=TIMEOUT)
    results = {}

    def no_grad_thread():
        with ag.no_grad():
            both_in_window.wait()
            results["no_grad"] = ((leaf() * 2).requires_grad, ag.is_grad_enabled())
            done.wait()

    def enable_grad_thread():
        with ag.no_grad(), ag.enable_grad():
            both_in_window.wait()
            results["enable_grad"] = ((leaf() * 2).requires_grad, ag.is_grad_enabled())
            done.wait()

    run_in_threads(no_grad_thread, enable_grad_thread)
    assert results == {"no_grad": (False, False), "enable_grad": (True, True)}


def test_a_new_thread_starts_with_grad_enabled_even_under_no_grad():
    seen = {}

    def worker():
        seen["enabled"] = ag.is_grad_enabled()
        seen["recorded"] = (leaf() * 2).requires_grad

    with ag.no_grad():
        run_in_threads(worker)
        assert not ag.is_grad_enabled()
    assert seen == {"enabled": True, "recorded": True}


def test_backward_in_one_thread_while_another_is_in_no_grad():
    both_in_window = threading.Barrier(2, timeout=TIMEOUT)
    done = threading.Barrier(2, timeout=TIMEOUT)
    gradients = {}

    def no_grad_thread():
        with ag.no_grad():
            both_in_window.wait()
            done.wait()

    def training_thread():
        x = leaf()
        both_in_window.wait()
        ((x * x).sum()).backward()  # d/dx sum(x**2) = 2x
        gradients["x"] = x.grad.data.copy()
        done.wait()

    run_in_threads(no_grad_thread, training_thread)
    np.testing.assert_array_equal(gradients["x"], [2.0, 4.0])


def test_many_threads_toggling_modes_never_see_each_others_state():
    start = threading.Barrier(8, timeout=TIMEOUT)
    mismatches = []

    def toggler(index):
        def body():
            enabled = index % 2 == 0
            start.wait()
            for _ in range(200):
                with ag.set_grad_enabled(enabled):
                    recorded = (leaf() * 2).requires_grad
                    if recorded != enabled or ag.is_grad_enabled() != enabled:
                        mismatches.append(index)
        return body

    run_in_threads(*[toggler(i) for i in range(8)])
    assert mismatches == []


# ------------------------------------------------------------------ single-thread semantics


def test_no_grad_restores_the_previous_mode_after_an_exception():
    with pytest.raises(KeyError), ag.no_grad():
        raise KeyError("boom")
    assert ag.is_grad_enabled()


def test_nested_modes_restore_in_order():
    with ag.no_grad():
        with ag.enable_grad():
            assert (leaf() * 2).requires_grad
        assert not (leaf() * 2).requires_grad
    assert (leaf() * 2).requires_grad


def test_no_grad_as_a_decorator_and_set_grad_enabled_as_a_decorator():
    @ag.no_grad()
    def silent(x):
        return x * 2

    @ag.set_grad_enabled(False)
    def also_silent(x):
        return x * 2

    assert not silent(leaf()).requires_grad
    assert not also_silent(leaf()).requires_grad
    assert ag.is_grad_enabled()


@pytest.mark.parametrize("mode, records", [(ag.no_grad, False), (ag.enable_grad, True)])
def test_no_grad_and_enable_grad_decorate_bare_as_in_pytorch(mode, records):
    @mode
    def double(x):
        """Doubles."""
        return x * 2

    for outer in (ag.enable_grad(), ag.no_grad()):
        with outer:
            assert double(leaf()).requires_grad is records
            assert ag.is_grad_enabled() is (type(outer) is ag.enable_grad)
    assert double.__name__ == "double" and double.__doc__ == "Doubles."
    assert ag.is_grad_enabled()


@pytest.mark.parametrize("mode", [ag.no_grad, ag.enable_grad])
def test_no_grad_given_something_not_callable_says_it_takes_no_arguments(mode):
    with pytest.raises(TypeError, match=rf"{mode.__name__}\(\) takes no arguments .*got 5"):
        mode(5)


def test_backward_inside_no_grad_works_and_keeps_no_grad():
    x = leaf()
    loss = (x * x).sum()
    with ag.no_grad():
        loss.backward()  # as in PyTorch: grad mode governs recording, not backward
        assert not ag.is_grad_enabled()
    np.testing.assert_array_equal(x.grad.data, [2.0, 4.0])


def test_create_graph_backward_restores_grad_mode():
    x = leaf()
    (x * x * x).sum().backward(create_graph=True)
    assert ag.is_grad_enabled()
    assert x.grad.requires_grad  # d/dx sum(x**3) = 3x**2, itself recorded
    np.testing.assert_array_equal(x.grad.data, [3.0, 12.0])


def test_set_grad_enabled_called_as_a_function_sets_the_mode_until_changed():
    try:
        ag.set_grad_enabled(False)
        assert not ag.is_grad_enabled()
        assert not (leaf() * 2).requires_grad
        ag.set_grad_enabled(True)
        assert ag.is_grad_enabled()
        assert (leaf() * 2).requires_grad
    finally:
        ag.set_grad_enabled(True)


def test_set_grad_enabled_as_a_context_manager_restores_the_mode_it_found():
    try:
        ag.set_grad_enabled(False)
        with ag.set_grad_enabled(True):
            assert (leaf() * 2).requires_grad
        assert not ag.is_grad_enabled()
        with pytest.raises(KeyError), ag.set_grad_enabled(True):
            raise KeyError("boom")
        assert not ag.is_grad_enabled()
    finally:
        ag.set_grad_enabled(True)
    with ag.set_grad_enabled(False):
        assert not ag.is_grad_enabled()
    assert ag.is_grad_enabled()


def test_set_grad_enabled_as_a_decorator_changes_no_mode_when_it_decorates():
    @ag.set_grad_enabled(False)
    def silent(x):
        return x * 2

    assert ag.is_grad_enabled()
    assert not silent(leaf()).requires_grad
    assert ag.is_grad_enabled()


def test_set_grad_enabled_called_in_one_thread_does_not_change_another():
    seen = []
    ag.set_grad_enabled(True)

    def switch_off():
        ag.set_grad_enabled(False)
        seen.append(ag.is_grad_enabled())

    run_in_threads(switch_off)
    assert seen == [False] and ag.is_grad_enabled()
