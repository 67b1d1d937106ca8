"""ag.capture with the library's pieces: what replays must redo besides ops.

Label checks, dropout masks, random tensors, comparisons, gradient clipping,
``zero_grad``, optimizer state and learning-rate changes, train/eval switches and
``nn.fit(capture=True)``: each compared bitwise with eager execution.
"""

import numpy as np
import pytest

import autograd as ag
import nn


def _twice(step_factory, calls):
    """Run the calls eagerly and captured, each from the same seed; both results."""
    results = []
    for captured in (False, True):
        np.random.seed(0)
        step, state = step_factory()
        run = ag.capture(step) if captured else step
        outputs = [np.array(getattr(out, "data", out)) for out in (run(*args) for args in calls)]
        results.append((outputs, [np.array(v) for v in state()]))
    return results


def _assert_equal(results):
    (eager_out, eager_state), (captured_out, captured_state) = results
    for a, b in zip(eager_out + eager_state, captured_out + captured_state):
        assert np.array_equal(a, b, equal_nan=True)


def test_labels_are_checked_in_every_replay():
    model = nn.Linear(3, 4)
    run = ag.capture(lambda x, y: nn.functional.cross_entropy(model(x), y))
    x = ag.Tensor(np.ones((2, 3), np.float32))
    for labels in ([0, 1], [2, 3], [3, 0]):
        run(x, ag.Tensor(np.array(labels)))
    with pytest.raises(IndexError, match="label 4 at index"):
        run(x, ag.Tensor(np.array([1, 4])))
    with pytest.raises(IndexError, match="label -1 at index"):
        run(x, ag.Tensor(np.array([-1, 0])))  # would silently pick the last class


def test_ignored_labels_and_the_fused_cross_entropy_path():
    model = nn.Linear(3, 4)

    def factory():
        model.weight.data[...] = np.arange(12, dtype=np.float32).reshape(4, 3) / 10

        def step(x, y):
            model.zero_grad()
            loss = nn.functional.cross_entropy(model(x), y, ignore_index=2)
            loss.backward()
            return loss
        return step, lambda: [model.weight.grad.data, model.bias.grad.data]

    rng = np.random.default_rng(0)
    calls = [(ag.Tensor(rng.standard_normal((5, 3)).astype(np.float32)),
              ag.Tensor(rng.integers(0, 4, 5))) for _ in range(6)]
    _assert_equal(_twice(factory, calls))


def test_random_draws_and_comparisons_are_recorded():
    def factory():
        w = ag.tensor(np.linspace(-1, 1, 6).astype(np.float32), requires_grad=True)

        def step(x):
            w.grad = None
            noise = ag.randn(6) * 0.1
            y = ag.where(x > 0, w * x, noise * x)  # comparison of values, a fresh draw
            loss = nn.functional.leaky_relu(y).sum() + (ag.rand(6) * w).sum()
            loss.backward()
            return loss
        return step, lambda: [w.grad.data]

    calls = [(ag.Tensor(np.random.default_rng(i).standard_normal(6).astype(np.float32)),)
             for i in range(5)]
    _assert_equal(_twice(factory, calls))


def test_gradient_clipping_and_zero_grad_without_none():
    def factory():
        model = nn.Linear(4, 2)
        optimizer = nn.optim.SGD(model.parameters(), lr=0.5)

        def step(x):
            optimizer.zero_grad(set_to_none=False)  # zeros written in every replay
            loss = (model(x) ** 2).mean()
            loss.backward()
            norm = nn.utils.clip_grad_norm_(model.parameters(), max_norm=0.5)
            nn.utils.clip_grad_value_(model.parameters(), 0.1)
            optimizer.step()
            return norm
        return step, lambda: [model.weight.data, model.bias.data, model.weight.grad.data]

    calls = [(ag.Tensor(np.full((3, 4), i + 1.0, np.float32)),) for i in range(5)]
    results = _twice(factory, calls)
    _assert_equal(results)
    norms = results[1][0]
    assert len({float(n) for n in norms}) == len(norms)  # a fresh norm in every replay


def test_optimizer_state_and_learning_rate_changes_reach_the_replays():
    def factory():
        model = nn.Linear(3, 2)
        optimizer = nn.optim.AdamW(model.parameters(), lr=0.1)
        scheduler = nn.optim.lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)

        def step(x):
            optimizer.zero_grad()
            model(x).sum().backward()
            optimizer.step()
            scheduler.step()  # Python only: the replays read the new rate from the group
            return model.weight

        def state():
            entries = optimizer.state[model.weight]
            return [model.weight.data, model.bias.data, entries["exp_avg_sq"],
                    np.array(entries["step"])]
        return step, state

    calls = [(ag.Tensor(np.ones((2, 3), np.float32) * i),) for i in range(8)]
    results = _twice(factory, calls)
    _assert_equal(results)
    assert results[1][1][-1] == 8  # Adam's step count went up in every replay


def test_train_and_eval_switches_record_again():
    model = nn.Sequential(nn.Linear(4, 8), nn.Dropout(0.5), nn.BatchNorm1d(8), nn.Linear(8, 2))
    run = ag.capture(lambda x: model(x))
    x = ag.Tensor(np.random.default_rng(0).standard_normal((6, 4)).astype(np.float32))
    np.random.seed(0)
    for _ in range(3):
        run(x)
    model.eval()
    evaluated = run(x).data
    with ag.no_grad():
        assert np.array_equal(evaluated, model(x).data)  # no dropout, running statistics
    assert run.recordings == 2
    model.train()
    run(x)
    assert run.recordings == 2  # the training recording is still there


def test_freezing_a_parameter_records_again():
    model = nn.Linear(2, 2)
    run = ag.capture(lambda x: model(x).sum().backward())
    x = ag.Tensor(np.ones((1, 2), np.float32))
    run(x)
    run(x)
    model.bias.requires_grad_(False)
    model.bias.grad = None
    run(x)
    assert run.recordings == 2 and model.bias.grad is None


def test_user_function_inside_a_captured_step():
    class Cube(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad * 3 * x * x

    def factory():
        w = ag.tensor(np.array([0.5, -1.0], np.float32), requires_grad=True)

        def step(x):
            w.grad = None
            loss = Cube.apply(w * x).sum()
            loss.backward()
            return loss
        return step, lambda: [w.grad.data]

    calls = [(ag.Tensor(np.array([i, 2.0], np.float32)),) for i in range(4)]
    _assert_equal(_twice(factory, calls))


def test_fit_with_capture_trains_as_without():
    def train(capture: bool):
        np.random.seed(0)
        model = nn.Sequential(nn.Linear(6, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
        optimizer = nn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        rng = np.random.default_rng(1)
        x, y = rng.standard_normal((70, 6)).astype(np.float32), rng.integers(0, 3, 70)
        loader = nn.data.DataLoader(nn.data.TensorDataset(x, y), batch_size=16, shuffle=True,
                                    seed=3)
        history = nn.fit(model, nn.CrossEntropyLoss(), optimizer, loader, epochs=4,
                         val_loader=loader, progress=False, verbose=False, capture=capture)
        return history, [p.data.copy() for p in model.parameters()]

    (eager, eager_params), (captured, captured_params) = train(False), train(True)
    for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
        assert eager[key] == captured[key]
    assert all(np.array_equal(a, b) for a, b in zip(eager_params, captured_params))


def test_a_step_under_no_grad_is_its_own_recording():
    model = nn.Linear(3, 2)
    run = ag.capture(lambda x: model(x))
    x = ag.Tensor(np.ones((2, 3), np.float32))
    run(x)
    with ag.no_grad():
        out = run(x)
    assert run.recordings == 2 and out.grad_fn is None
    assert np.array_equal(out.data, x.data @ model.weight.data.T + model.bias.data)


def test_the_documented_example_prints_what_the_page_shows(capsys):
    import re
    from pathlib import Path

    page = (Path(__file__).resolve().parent.parent / "docs" / "performance.md").read_text()
    section = page[page.index("## Capture"):]
    code, output = re.search(r"```python\n(.*?)```\n\n```\n(.*?)```", section, re.S).groups()
    exec(compile(code, "docs/performance.md", "exec"), {})
    assert capsys.readouterr().out == output
