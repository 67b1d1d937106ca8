"""nn.optim.lr_scheduler: learning-rate sequences against the closed forms written out here."""

import math

import numpy as np
import pytest

import autograd as ag
from nn import optim
from nn.optim import lr_scheduler

EPOCHS = 25
BASE_LRS = [0.1, 0.03]


def make_optimizer():
    params = [ag.Tensor(np.zeros(n), requires_grad=True) for n in (2, 3)]
    return optim.SGD([{"params": [params[0]], "lr": BASE_LRS[0]},
                      {"params": [params[1]], "lr": BASE_LRS[1]}])


SCHEDULES = [
    (lambda opt: lr_scheduler.StepLR(opt, step_size=4),
     lambda base, epoch: base * 0.1 ** (epoch // 4)),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
     lambda base, epoch: base * 0.5 ** (epoch // 3)),
    (lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9),
     lambda base, epoch: base * 0.9**epoch),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=10),
     lambda base, epoch: base * (1 + math.cos(math.pi * epoch / 10)) / 2),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.01),
     lambda base, epoch: 0.01 + (base - 0.01) * (1 + math.cos(math.pi * epoch / 7)) / 2),
]
IDS = ["StepLR", "StepLR-gamma", "ExponentialLR", "CosineAnnealingLR", "CosineAnnealingLR-eta_min"]


@pytest.mark.parametrize("make_scheduler, closed_form", SCHEDULES, ids=IDS)
def test_lr_sequence_follows_the_closed_form(make_scheduler, closed_form):
    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    for epoch in range(EPOCHS):
        expected = [closed_form(base, epoch) for base in BASE_LRS]
        assert scheduler.last_epoch == epoch
        assert scheduler.get_last_lr() == pytest.approx(expected, rel=1e-12, abs=1e-15)
        assert [g["lr"] for g in optimizer.param_groups] == pytest.approx(expected, rel=1e-12,
                                                                          abs=1e-15)
        scheduler.step()


def test_constructor_records_initial_lr_and_performs_the_first_step():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    assert scheduler.last_epoch == 0
    assert scheduler.base_lrs == BASE_LRS
    assert [group["initial_lr"] for group in optimizer.param_groups] == BASE_LRS
    assert scheduler.get_last_lr() == BASE_LRS


def test_optimizer_steps_with_the_scheduled_lr():
    param = ag.Tensor(np.array([1.0]), requires_grad=True)
    optimizer = optim.SGD([param], lr=0.5)
    scheduler = lr_scheduler.ExponentialLR(optimizer, gamma=0.5)
    expected = 1.0
    for epoch in range(4):
        param.grad = ag.Tensor(np.array([1.0]))
        optimizer.step()
        expected -= 0.5 * 0.5**epoch
        scheduler.step()
    np.testing.assert_allclose(param.data, [expected], rtol=1e-15)


@pytest.mark.parametrize("make_scheduler, closed_form", SCHEDULES, ids=IDS)
def test_state_dict_resumes_the_schedule(make_scheduler, closed_form):
    optimizer = make_optimizer()
    scheduler = make_scheduler(optimizer)
    for _ in range(6):
        scheduler.step()
    saved_scheduler, saved_optimizer = scheduler.state_dict(), optimizer.state_dict()
    assert "optimizer" not in saved_scheduler
    resumed_optimizer = make_optimizer()
    resumed_optimizer.load_state_dict(saved_optimizer)
    resumed = make_scheduler(resumed_optimizer)
    resumed.load_state_dict({key: np.asarray(value) for key, value in saved_scheduler.items()})
    resumed.step()
    expected = [closed_form(base, 7) for base in BASE_LRS]
    assert resumed.last_epoch == 7
    assert resumed.get_last_lr() == pytest.approx(expected, rel=1e-12, abs=1e-15)
    assert type(resumed.get_last_lr()[0]) is float


def test_last_epoch_resumes_from_the_optimizers_initial_lr():
    optimizer = make_optimizer()
    lr_scheduler.StepLR(optimizer, step_size=2, gamma=0.5)
    resumed_optimizer = make_optimizer()
    resumed_optimizer.load_state_dict(optimizer.state_dict())
    resumed = lr_scheduler.StepLR(resumed_optimizer, step_size=2, gamma=0.5, last_epoch=4)
    assert resumed.last_epoch == 5
    assert resumed.get_last_lr() == pytest.approx([base * 0.25 for base in BASE_LRS], rel=1e-15)


@pytest.mark.parametrize("make_scheduler, message", [
    (lambda opt: lr_scheduler.StepLR(opt, step_size=0), "step_size .* 0"),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=2.5), "step_size .* 2.5"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=0), "T_max .* 0"),
    (lambda opt: lr_scheduler.ExponentialLR(opt, 0.9, last_epoch=3), r"param_groups\[0\] .*"
                                                                     "initial_lr"),
    (lambda opt: lr_scheduler.ExponentialLR("sgd", 0.9), "Optimizer, got str"),
])
def test_bad_input_raises_a_clear_value_error(make_scheduler, message):
    with pytest.raises(ValueError, match=message):
        make_scheduler(make_optimizer())


@pytest.mark.parametrize("name, options", [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("ExponentialLR", {"gamma": 0.9}),
    ("CosineAnnealingLR", {"T_max": 7, "eta_min": 0.01}),
])
def test_lr_sequence_matches_torch(name, options):
    torch = pytest.importorskip("torch")
    optimizer = make_optimizer()
    torch_optimizer = torch.optim.SGD([{"params": [torch.zeros(2)], "lr": BASE_LRS[0]},
                                       {"params": [torch.zeros(3)], "lr": BASE_LRS[1]}])
    ours = getattr(lr_scheduler, name)(optimizer, **options)
    theirs = getattr(torch.optim.lr_scheduler, name)(torch_optimizer, **options)
    for _ in range(EPOCHS):
        assert ours.get_last_lr() == pytest.approx(theirs.get_last_lr(), rel=1e-12, abs=1e-15)
        torch_optimizer.step()
        ours.step()
        theirs.step()
