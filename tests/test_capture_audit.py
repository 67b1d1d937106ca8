"""ag.capture against values that change from call to call but that library code once
computed outside the recorded operations (frozen at the recorded call's values).

Each step is called with the varying thing (a mask, labels, indices, a count, weights)
equal in its first two calls, so the check on the second call cannot tell, and
different afterwards: every call must give what eager execution gives, bit for bit,
and where a formula is at hand, the formula's value. Results whose shape depends on
the data (a boolean mask's selection, ``nonzero``) are refused with a CaptureError.
"""

import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.capturing import CaptureError

F = nn.functional
RNG = np.random.default_rng(0)
X = [RNG.standard_normal((4, 5)).astype(np.float32) for _ in range(5)]


def _x(i: int) -> np.ndarray:
    """Call i's data: calls 0 and 1 get equal copies, the others differ."""
    return X[max(i - 1, 0)].copy()


def _run(fn, calls, captured: bool):
    """Per call: the loss and w's gradient, for ``loss = fn(w, *args)``."""
    np.random.seed(0)
    w = ag.tensor(np.linspace(-1, 1, 20).reshape(4, 5).astype(np.float32), requires_grad=True)

    def step(*args):
        w.grad = None
        loss = fn(w, *args)
        loss.backward()
        return loss

    run = ag.capture(step) if captured else step
    results = []
    for args in calls:
        loss = run(*args)
        results.append((np.array(loss.data), w.grad.data.copy()))
    return results


def _assert_as_eager(fn, calls):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        eager, captured = _run(fn, calls, False), _run(fn, calls, True)
    for (loss_e, grad_e), (loss_c, grad_c) in zip(eager, captured):
        assert _same_bits(loss_e, loss_c) and _same_bits(grad_e, grad_c)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


T = ag.Tensor
MASKS = [np.arange(5)[None, :] < np.array(k)[:, None]
         for k in ([5, 5, 2, 1], [5, 5, 2, 1], [1, 2, 3, 4], [0, 5, 5, 0], [3, 3, 3, 3])]
LABELS = [np.array(v) for v in ([0, 1, 2, 3], [0, 1, 2, 3], [4, 4, 1, 0], [2, 4, 4, 4],
                                [1, 1, 1, 1])]
SIGNS = [np.array(v, np.float32) for v in ([1, 1, -1, -1], [1, 1, -1, -1], [1, -1, 1, -1],
                                           [-1, -1, -1, 1], [1, 1, 1, 1])]
INDICES = [np.array(v) for v in ([0, 1, 2], [0, 1, 2], [3, 1, 0], [2, 2, 2], [1, 3, 0])]
WEIGHTS = [np.array(v, np.float64) for v in ([1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [5, 4, 3, 2, 1],
                                             [1, 1, 1, 1, 9], [2, 2, 2, 2, 2])]


def _each(*columns):
    return [tuple(column[i] for column in columns) for i in range(5)]


def _copies(arrays):
    return [array.copy() for array in arrays]


CASES = {
    # a backward's gradient of 0-d operands is a NumPy scalar: it was baked in
    "masked mean (loss / count)": (
        lambda w, x, m: (w * x * m).sum() / m.sum(),
        _each([T(a) for a in X], [T(m.astype(np.float32)) for m in MASKS])),
    "product of two 0-d results": (
        lambda w, x: (w * x).sum() * (x * x).sum(), _each([T(_x(i)) for i in range(5)])),
    "std and norm": (
        lambda w, x: (w * x).std() + (w * x).norm() / x.norm(),
        _each([T(_x(i)) for i in range(5)])),
    # array operands cast to the tensor's dtype
    "bool ndarray operand": (
        lambda w, x, m: (w * x * m).sum(), _each([T(a) for a in X], _copies(MASKS))),
    "float64 ndarray operand": (
        lambda w, x, m: (w * x + m).sum() * 1.0,
        _each([T(a) for a in X], [m.astype(np.float64) for m in MASKS])),
    "ag.tensor and Tensor(dtype=) of an argument": (
        lambda w, x, a: (w * ag.tensor(a) + w * ag.Tensor(a, dtype=np.float32)).sum(),
        _each([T(a) for a in X], [_x(i).astype(np.float64) for i in range(5)])),
    # masks computed from masks
    "~mask, mask & mask, logical_not": (
        lambda w, x, m: ((w * x).masked_fill(~m, 0.0) * (m & (x > 0))
                         + w * ag.logical_not(m)).sum(),
        _each([T(a) for a in X], [T(m) for m in _copies(MASKS)])),
    "isnan, any": (
        lambda w, x: (ag.where(ag.isnan(x), 0.0, w * x) * ag.any(x > 1, axis=1)[:, None]).sum(),
        _each([T(np.where(_x(i) > 1, np.nan, _x(i))) for i in range(5)])),
    "floor_divide": (
        lambda w, x, n: (w * x * (n // 3)).sum(),
        _each([T(a) for a in X], [T((_x(i) * 10).astype(np.int64)) for i in range(5)])),
    # permutations and indices found from the values
    "sort values": (lambda w, x: ag.sort(w * x, axis=1)[:, :2].sum(),
                    _each([T(_x(i)) for i in range(5)])),
    "topk and argsort": (
        lambda w, x: ag.topk(w * x, 2, dim=1).values.sum()
        + w[ag.argsort(x, axis=0), ag.arange(5)][0].sum(), _each([T(_x(i)) for i in range(5)])),
    "accuracy from argmax": (
        lambda w, x, y: (w * x).sum() * (ag.argmax(w * x, axis=1) == y).float().mean(),
        _each([T(_x(i)) for i in range(5)], [T(np.array([0, 1, 2, 3]))] * 5)),
    "max_pool2d return_indices": (
        lambda w, x: _pooled_with_indices((w[:, :4] * x[:, :4]).reshape(1, 1, 4, 4)),
        _each([T(_x(i)) for i in range(5)])),
    # index arguments
    "gather, take_along_axis, index_select": (
        lambda w, x, i: (w * x)[:3].gather(1, i[:, None]).sum()
        + ag.take_along_axis((w * x)[:3], i[:, None], axis=1).sum()
        + (w * x).index_select(0, i).sum(),
        _each([T(a) for a in X], [T(i) for i in INDICES])),
    "scatter_add": (
        lambda w, x, i: (ag.zeros(3, 5).scatter_add(0, i[:, None].repeat(5, axis=1) % 3, w[:3])
                         * x[:3]).sum(),
        _each([T(a) for a in X], [T(i) for i in INDICES])),
    "repeat with per-element counts": (
        lambda w, x, c: ((w * x)[0, :4].repeat(c) * ag.arange(4)).sum(),
        _each([T(a) for a in X], [T(np.array(c)) for c in ([1, 2, 0, 1], [1, 2, 0, 1],
                                                            [0, 0, 4, 0], [2, 1, 1, 0],
                                                            [1, 1, 1, 1])])),
    "zeros then setitem at indices": (
        lambda w, x, i: (w * x * _marked(i)).sum(),
        _each([T(a) for a in X], [T(i) for i in INDICES])),
    # losses with per-call labels, targets and weights
    "nll_loss with weights and ignore_index": (
        lambda w, x, y: F.nll_loss(F.log_softmax(w * x, axis=1), y,
                                   weight=T(np.arange(1, 6).astype(np.float32)), ignore_index=4),
        _each([T(a) for a in X], [T(y) for y in LABELS])),
    "cross_entropy with float64 weights passed to the step": (
        lambda w, x, y, c: F.cross_entropy(w * x, y, weight=c, ignore_index=4),
        _each([T(a) for a in X], [T(y) for y in LABELS], [T(c) for c in WEIGHTS])),
    "cross_entropy with probabilities and weights passed to the step": (
        lambda w, x, c: F.cross_entropy(w * x, F.softmax(x, axis=1), weight=c),
        _each([T(a) for a in X], [T(c.astype(np.float32)) for c in WEIGHTS])),
    "one_hot": (lambda w, x, y: (w * F.one_hot(y % 5, 5)).sum(),
                _each([T(a) for a in X], [T(y) for y in LABELS])),
    "cosine_embedding_loss": (
        lambda w, x, y: F.cosine_embedding_loss(w * x, x + 1, y),
        _each([T(a) for a in X], [T(s) for s in SIGNS])),
    "multinomial": (
        lambda w, x: (w[0] * ag.multinomial(F.softmax(x[0], axis=0), 3, replacement=True)
                      .float().sum()).sum(), _each([T(_x(i)) for i in range(5)])),
}


def _pooled_with_indices(x):
    out, indices = F.max_pool2d(x, 2, return_indices=True)
    return (out * indices.float()).sum()


def _marked(index):
    marked = ag.zeros(4, 5)
    marked[index] = 1.0
    return marked


@pytest.mark.parametrize("name", list(CASES))
def test_captured_steps_follow_the_values_of_every_call(name):
    fn, calls = CASES[name]
    _assert_as_eager(fn, calls)


def test_masked_mean_and_sorted_values_against_formulas():
    captured = _run(lambda w, x, m: (w * x * m).sum() / m.sum(),
                    _each([T(a) for a in X], [T(m.astype(np.float32)) for m in MASKS]), True)
    for (loss, grad), x, m in zip(captured, X, MASKS):
        m = m.astype(np.float32)
        w = np.linspace(-1, 1, 20).reshape(4, 5).astype(np.float32)
        assert np.isclose(loss, (w * x * m).sum() / m.sum(), rtol=1e-5)
        assert np.allclose(grad, x * m / m.sum(), rtol=1e-5)
    captured = _run(lambda w, x: ag.sort(w * x, axis=1)[:, :2].sum(),
                    _each([T(_x(i)) for i in range(5)]), True)
    for i, (loss, _) in enumerate(captured):
        w = np.linspace(-1, 1, 20).reshape(4, 5).astype(np.float32)
        assert np.isclose(loss, np.sort(w * _x(i), axis=1)[:, :2].sum(), rtol=1e-5)


def test_a_sequential_lr_inside_the_step_schedules_as_eagerly():
    def train(captured: bool):
        model = nn.Linear(3, 2)
        optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        schedule = nn.optim.lr_scheduler
        scheduler = schedule.SequentialLR(
            optimizer, [schedule.LinearLR(optimizer, 0.1, total_iters=3),
                        schedule.ExponentialLR(optimizer, 0.9)], milestones=[3])

        def step(x):
            optimizer.zero_grad()
            (model(x) ** 2).mean().backward()
            optimizer.step()
            scheduler.step()

        run = ag.capture(step) if captured else step
        rates = []
        for i in range(8):
            run(T(np.full((2, 3), i + 1.0, np.float32)))
            rates.append(optimizer.param_groups[0]["lr"])
        return rates

    eager, captured = train(False), train(True)
    assert eager == captured
    assert eager[:3] == pytest.approx([0.04, 0.07, 0.1]) and eager[4] == pytest.approx(0.081)


def test_arguments_sharing_an_array_record_again_when_they_stop_sharing():
    w = ag.tensor(np.ones((4, 5), np.float32), requires_grad=True)
    run = ag.capture(lambda x, a: (w * x - ag.as_tensor(a)).sum())
    for i in range(4):
        x = _x(i)
        a = x if i < 2 else _x(i + 1)  # the same array twice, then two arrays
        assert run(T(x), a).item() == pytest.approx(float((x - a).sum()), rel=1e-5)
    assert run.recordings == 2


@pytest.mark.parametrize("what, select", [
    ("boolean mask", lambda w, x, m: (w * x)[m] * 2),
    ("nonzero", lambda w, x, m: (w * x)[ag.nonzero(m)] * 2),
    ("one_hot(num_classes=-1)", lambda w, x, m: w * F.one_hot(m.sum(axis=1)).sum()),
])
def test_shapes_from_the_data_are_refused_when_they_change(what, select):
    one, three = np.zeros((4, 5), bool), np.zeros((4, 5), bool)
    one[1, 2] = True
    three[0, :3] = True
    if what.startswith("one_hot"):
        one, three = np.eye(4, 5, dtype=bool), np.ones((4, 5), bool)  # 6 classes, then 2
    w = ag.tensor(np.ones((4, 5), np.float32), requires_grad=True)
    run = ag.capture(lambda x, m: select(w, x, m).sum())
    x = T(X[0])
    for _ in range(3):
        run(x, T(three.copy()))
    with pytest.raises(CaptureError, match="depends on the data"):
        run(x, T(one))
