"""Memory stays flat under long training, and graphs are freed by reference counting alone.

The 10,000-step loops measure two things: the growth of allocated bytes over
500 traced steps (``tracemalloc`` sees NumPy's buffers too, but slows each
step, so it watches only a window), and the growth of live Python
allocations (``sys.getallocatedblocks``, free to read) over the remaining
~9,000 steps. A leak of one small array or one node per step fails either.

Python keeps up to 2,000 freed tuples of each small size for reuse; a tuple
malloc'ed while tracing and parked there looks like a leak to tracemalloc
until those free lists are full, so they are filled before tracing starts.
"""

from __future__ import annotations

import gc
import sys
import tracemalloc
import weakref

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.node import Node

STEPS = 10_000
TRACED_WARMUP_STEPS = 100
TRACED_STEPS = 500
WARMUP_STEPS = 200
MAX_TRACED_GROWTH = 16 * 1024  # bytes: one leaked 8-float array per step would be ~50 KiB
MAX_BLOCK_GROWTH = 200  # Python allocations: one leaked object per step would be 9,000


def param(rng, *shape) -> ag.Tensor:
    return ag.Tensor(rng.standard_normal(shape) * 0.3, requires_grad=True)


def sgd(params, lr: float) -> None:
    for p in params:
        p.data -= lr * p.grad.data
        p.grad = None


def mlp_trainer():
    """A 4-8-1 tanh MLP regressing 16 points; returns a function doing one SGD step."""
    rng = np.random.default_rng(0)
    x, y = ag.Tensor(rng.standard_normal((16, 4))), ag.Tensor(rng.standard_normal((16, 1)))
    params = [param(rng, 4, 8), param(rng, 8), param(rng, 8, 1), param(rng, 1)]

    def step() -> float:
        w1, b1, w2, b2 = params
        loss = (((ag.tanh(x @ w1 + b1) @ w2 + b2) - y) ** 2).mean()
        loss.backward()
        sgd(params, 0.05)
        return loss.item()

    return step


def nn_mlp_trainer():
    """The same regression with nn layers, nn.MSELoss and Adam (whose state must not grow)."""
    rng = np.random.default_rng(0)
    x = ag.Tensor(rng.standard_normal((16, 4)).astype(np.float32))
    y = ag.Tensor(rng.standard_normal((16, 1)).astype(np.float32))
    model = nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 1))
    loss_fn = nn.MSELoss()
    optimizer = nn.optim.Adam(model.parameters(), lr=0.01)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def nn_cnn_trainer():
    """Conv2d(stride 2, padding 1) -> ReLU -> MaxPool2d -> Flatten -> Linear, cross-entropy, SGD."""
    rng = np.random.default_rng(1)
    images = ag.Tensor(rng.standard_normal((4, 1, 6, 6)).astype(np.float32))
    labels = np.array([0, 1, 2, 1])
    model = nn.Sequential(nn.Conv2d(1, 3, 3, stride=2, padding=1), nn.ReLU(), nn.MaxPool2d(3),
                          nn.Flatten(), nn.Linear(3, 3))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = nn.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)

    def step() -> float:
        optimizer.zero_grad()
        loss = loss_fn(model(images), labels)
        loss.backward()
        optimizer.step()
        return loss.item()

    return step


def fill_tuple_free_lists() -> None:
    parked = [tuple(range(size)) for size in range(1, 21) for _ in range(2_100)]
    del parked


def live_nodes() -> int:
    return sum(1 for obj in gc.get_objects() if isinstance(obj, Node))


TRAINERS = [
    pytest.param(nn_mlp_trainer, id="nn-mlp-adam"),
    pytest.param(nn_cnn_trainer, id="nn-cnn-sgd"),
]


@pytest.mark.parametrize("make_trainer", TRAINERS)
def test_long_training_keeps_memory_flat(make_trainer):
    step = make_trainer()
    first_loss = step()
    for _ in range(WARMUP_STEPS - 1):
        step()
    fill_tuple_free_lists()
    tracemalloc.start()
    try:
        for _ in range(TRACED_WARMUP_STEPS):
            step()
        start = tracemalloc.get_traced_memory()[0]
        for _ in range(TRACED_STEPS):
            step()
        growth = tracemalloc.get_traced_memory()[0] - start
    finally:
        tracemalloc.stop()
    blocks_before = sys.getallocatedblocks()
    for _ in range(STEPS - WARMUP_STEPS - TRACED_WARMUP_STEPS - TRACED_STEPS):
        last_loss = step()
    block_growth = sys.getallocatedblocks() - blocks_before
    assert growth < MAX_TRACED_GROWTH, f"{growth} more bytes allocated after {TRACED_STEPS} steps"
    assert block_growth < MAX_BLOCK_GROWTH, f"{block_growth} more live Python allocations"
    assert last_loss < 0.5 * first_loss  # it really trained
    assert live_nodes() == 0


def graph_nodes(root: ag.Tensor) -> list:
    """Every node of the graph that made ``root`` (iteratively)."""
    nodes, stack = [], [root.grad_fn]
    while stack:
        node = stack.pop()
        if node is not None and node not in nodes:
            nodes.append(node)
            stack.extend(t.grad_fn for t in node.inputs)
    return nodes


@pytest.fixture
def gc_disabled():
    """Only reference counting frees objects: anything kept by a cycle stays alive."""
    gc.collect()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def small_graph(x: ag.Tensor) -> ag.Tensor:
    hidden = ag.tanh(x @ ag.Tensor(np.ones((3, 2)))) * x[:, :2]
    return ag.log_softmax(hidden).sum() + ag.sqrt(x * x + 1).mean()


def test_graph_dropped_without_backward_is_freed_immediately(gc_disabled):
    x = ag.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = small_graph(x)
    refs = [weakref.ref(node) for node in graph_nodes(out)]
    assert len(refs) >= 8
    del out
    assert [ref() for ref in refs] == [None] * len(refs)


def test_graph_is_freed_after_backward_without_the_garbage_collector(gc_disabled):
    x = ag.Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    out = small_graph(x)
    refs = [weakref.ref(node) for node in graph_nodes(out)]
    out.backward()
    del out
    assert [ref() for ref in refs] == [None] * len(refs)
    assert x.grad.grad_fn is None


@pytest.mark.parametrize("make_trainer", [mlp_trainer, nn_mlp_trainer])
def test_training_steps_create_no_reference_cycles(gc_disabled, make_trainer):
    step = make_trainer()
    for _ in range(5):
        step()
    x = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    out = small_graph(x)
    out.backward(retain_graph=True)
    out.retain_grad()
    del out, x
    assert gc.collect() == 0


def test_retained_graph_is_freed_when_dropped(gc_disabled):
    x = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    out = small_graph(x)
    refs = [weakref.ref(node) for node in graph_nodes(out)]
    out.backward(retain_graph=True)
    out.backward()
    del out
    assert all(ref() is None for ref in refs)


def test_graph_recorded_under_anomaly_mode_is_freed_too(gc_disabled):
    x = ag.Tensor(np.ones((2, 3)), requires_grad=True)
    with ag.detect_anomaly():
        out = small_graph(x)
    refs = [weakref.ref(node) for node in graph_nodes(out)]
    del out
    assert all(ref() is None for ref in refs)


def test_higher_order_gradients_from_ag_grad_leave_no_cycle(gc_disabled):
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (first,) = ag.grad((x * x * x).sum(), x, create_graph=True)  # 3x^2
    (second,) = ag.grad(first.sum(), x)  # 6x
    np.testing.assert_array_equal(second.data, [6.0, 12.0])
    refs = [weakref.ref(node) for node in graph_nodes(first)]
    del first, second
    assert all(ref() is None for ref in refs)


def test_backward_create_graph_cycle_is_broken_by_clearing_grad(gc_disabled):
    """As in PyTorch: x.grad's graph refers back to x, a cycle, until x.grad is reset."""
    x = ag.Tensor(np.array([1.0, 2.0]), requires_grad=True)
    (x * x * x).sum().backward(create_graph=True)
    refs = [weakref.ref(node) for node in graph_nodes(x.grad)]
    x.grad = None
    assert all(ref() is None for ref in refs)


def test_a_loss_held_after_backward_does_not_pin_activations():
    """As in PyTorch: after backward, a kept loss (``total += loss`` habits) holds no arrays."""
    x = ag.Tensor(np.random.default_rng(0).standard_normal((256, 256)), requires_grad=True)
    tracemalloc.start()
    try:
        loss = ag.exp(ag.tanh(x * 2.0)).sum()
        loss.backward()
        held = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    # only x.grad (one 256x256 float64 array, 512 KiB) should remain
    assert held < 1.5 * x.data.nbytes, f"{held} bytes held with the loss"
    assert loss.item() > 0


def test_keeping_every_loss_does_not_pin_the_input_batches():
    """Issue 11 item 9: ``losses.append(loss)`` for a plot kept ~400 KiB per step alive.

    After backward the graph keeps its structure (drawable) but no input's data:
    1,000 steps keeping every loss grow memory by under 10 KiB per step.
    """
    rng = np.random.default_rng(0)
    model = nn.Sequential(nn.Linear(784, 32), nn.ReLU(), nn.Linear(32, 10))
    optimizer = nn.optim.SGD(model.parameters(), lr=0.01)
    loss_fn = nn.CrossEntropyLoss()
    images = rng.standard_normal((128, 784)).astype(np.float32)  # 392 KiB per batch
    labels = rng.integers(0, 10, 128)
    losses = []

    def step():
        optimizer.zero_grad()
        loss = loss_fn(model(ag.Tensor(images.copy())), labels)
        loss.backward()
        optimizer.step()
        losses.append(loss)

    for _ in range(20):
        step()
    fill_tuple_free_lists()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(1000):
            step()
        growth = (tracemalloc.get_traced_memory()[0] - before) / 1000
    finally:
        tracemalloc.stop()
    assert growth < 10 * 1024, f"{growth:.0f} bytes kept per step"
