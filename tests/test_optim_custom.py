"""Writing one's own optimizer: the update() hook, overriding step() as in PyTorch, and the
examples of docs/optimizers.md, which run here as written."""

import re
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim
from tests.optim_references import INITIAL, STEPS, TARGETS, loss_gradient, make_params, set_grads

DOC = Path(__file__).resolve().parent.parent / "docs" / "optimizers.md"


@pytest.fixture(scope="module")
def doc_namespace():
    """Run every python block of docs/optimizers.md, in order, in one namespace."""
    text = DOC.read_text()
    blocks = list(re.finditer(r"```python\n(.*?)```", text, flags=re.DOTALL))
    assert len(blocks) >= 8
    namespace = {}
    for block in blocks:
        # pad with the lines before the block, so that a failure names the doc's own line
        padding = "\n" * text.count("\n", 0, block.start(1))
        exec(compile(padding + block.group(1), str(DOC), "exec"), namespace)
    return namespace


def test_every_doc_example_runs(doc_namespace):
    assert {"Lion", "MomentumSGD", "train_one_epoch"} <= set(doc_namespace)


def lion_by_hand(theta, target, lr, betas=(0.9, 0.99), weight_decay=0.0):
    trajectory, m = [], np.zeros_like(theta)
    for _ in range(STEPS):
        g = loss_gradient(theta, target)
        theta = theta * (1 - lr * weight_decay) - lr * np.sign(betas[0] * m + (1 - betas[0]) * g)
        m = betas[1] * m + (1 - betas[1]) * g
        trajectory.append(theta)
    return trajectory


@pytest.mark.parametrize("options", [{"lr": 0.05}, {"lr": 0.02, "betas": (0.5, 0.9),
                                                     "weight_decay": 0.1}])
def test_the_docs_lion_follows_its_formula_and_checkpoints(doc_namespace, options):
    params = make_params()
    optimizer = doc_namespace["Lion"](params, **options)
    expected = [lion_by_hand(theta, target, **options) for theta, target in zip(INITIAL, TARGETS)]
    for step in range(STEPS):
        set_grads(params, {})
        optimizer.step()
        for param, trajectory in zip(params, expected):
            np.testing.assert_allclose(param.data, trajectory[step], rtol=1e-12, atol=1e-12)
    saved = optimizer.state_dict()
    assert set(saved["state"][0]) == {"exp_avg"} and saved["param_groups"][0]["lr"] == options["lr"]


def test_the_docs_step_override_gives_sgd_with_momentum(doc_namespace):
    params, reference = make_params(), make_params()
    ours = doc_namespace["MomentumSGD"](params, lr=0.05, momentum=0.9)
    builtin = optim.SGD(reference, lr=0.05, momentum=0.9)
    for _ in range(STEPS):
        set_grads(params, {})
        set_grads(reference, {})
        ours.step()
        builtin.step()
    for param, expected in zip(params, reference):
        np.testing.assert_allclose(param.data, expected.data, rtol=1e-12)
    assert set(ours.state_dict()["state"][1]) == {"momentum_buffer"}


def test_a_step_override_bumps_every_parameter_with_a_gradient(doc_namespace, monkeypatch):
    params = make_params() + [ag.Tensor(np.zeros(2), requires_grad=True)]
    optimizer = doc_namespace["MomentumSGD"](params)
    set_grads(params[:2], {})
    bumped = []
    monkeypatch.setattr(ag.Tensor, "_bump_version", lambda self: bumped.append(self))
    optimizer.step()
    assert [id(t) for t in bumped] == [id(p) for p in params[:2]]


def test_builtin_step_bumps_exactly_the_updated_parameters(monkeypatch):
    params = make_params() + [ag.Tensor(np.zeros(2), requires_grad=True)]
    optimizer = optim.Adam(params)
    set_grads(params[:2], {})
    bumped = []
    monkeypatch.setattr(ag.Tensor, "_bump_version", lambda self: bumped.append(self))
    optimizer.step()
    assert [id(t) for t in bumped] == [id(p) for p in params[:2]]


def test_state_is_a_defaultdict_keyed_by_parameter():
    params = make_params()
    optimizer = optim.SGD(params, lr=0.1)
    optimizer.state[params[0]]["count"] = 1
    assert optimizer.state[params[0]] == {"count": 1} and optimizer.state[params[1]] == {}


def test_an_optimizer_with_neither_update_nor_step_says_so():
    class Nothing(optim.Optimizer):
        pass

    params = make_params()
    optimizer = Nothing(params, {"lr": 0.1})
    set_grads(params, {})
    with pytest.raises(NotImplementedError, match="Nothing implements neither update"):
        optimizer.step()


def test_a_custom_optimizer_works_with_schedulers_and_groups():
    class PlainSGD(optim.Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, {"lr": lr})

        def update(self, param, grad, state, group):
            param -= group["lr"] * grad

    params = make_params()
    optimizer = PlainSGD([{"params": params[:1]}, {"params": params[1:], "lr": 0.01}])
    scheduler = optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.5)
    for step in range(3):
        set_grads(params, {})
        before = [p.data.copy() for p in params]
        optimizer.step()
        scheduler.step()
        for param, old, lr, target in zip(params, before, [0.1, 0.01], TARGETS):
            np.testing.assert_allclose(param.data, old - lr * 0.5**step
                                       * loss_gradient(old, target), rtol=1e-12)


def test_a_backward_through_a_graph_made_before_step_is_refused():
    weight = nn.Parameter(np.ones(3))
    loss = (weight * weight).sum()
    loss.backward(retain_graph=True)
    optim.SGD([weight], lr=0.1).step()
    assert weight._version == 1
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()
