"""nn.optim.lr_scheduler: learning-rate sequences against closed forms written out here, and
side by side with torch.optim.lr_scheduler (single, chained, sequential, resumed)."""

import math

import numpy as np
import pytest

import autograd as ag
from nn import optim
from nn.optim import lr_scheduler

EPOCHS = 25
BASE_LRS = [0.1, 0.03]


def make_optimizer(name="SGD"):
    params = [ag.Tensor(np.zeros(n), requires_grad=True) for n in (2, 3)]
    return getattr(optim, name)([{"params": [params[0]], "lr": BASE_LRS[0]},
                                 {"params": [params[1]], "lr": BASE_LRS[1]}])


def cosine(base, epoch, period, eta_min=0.0):
    return eta_min + (base - eta_min) * (1 + math.cos(math.pi * epoch / period)) / 2


SCHEDULES = [
    ("StepLR", lambda opt: lr_scheduler.StepLR(opt, step_size=4),
     lambda base, epoch: base * 0.1 ** (epoch // 4)),
    ("StepLR-gamma", lambda opt: lr_scheduler.StepLR(opt, step_size=3, gamma=0.5),
     lambda base, epoch: base * 0.5 ** (epoch // 3)),
    ("MultiStepLR", lambda opt: lr_scheduler.MultiStepLR(opt, [3, 7, 7, 12], gamma=0.5),
     lambda base, epoch: base * 0.5 ** sum(epoch >= m for m in [3, 7, 7, 12])),
    ("ExponentialLR", lambda opt: lr_scheduler.ExponentialLR(opt, gamma=0.9),
     lambda base, epoch: base * 0.9**epoch),
    ("LinearLR", lambda opt: lr_scheduler.LinearLR(opt),
     lambda base, epoch: base * (1 / 3 + (2 / 3) * min(epoch, 5) / 5)),
    ("LinearLR-decay", lambda opt: lr_scheduler.LinearLR(opt, 1.0, 0.2, total_iters=10),
     lambda base, epoch: base * (1.0 - 0.8 * min(epoch, 10) / 10)),
    ("LambdaLR", lambda opt: lr_scheduler.LambdaLR(opt, lambda epoch: 1 / (1 + epoch)),
     lambda base, epoch: base / (1 + epoch)),
    ("CosineAnnealingLR", lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=10),
     lambda base, epoch: cosine(base, epoch, 10)),
    ("CosineAnnealingLR-eta_min",
     lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=7, eta_min=0.01),
     lambda base, epoch: cosine(base, epoch, 7, 0.01)),
    ("CosineAnnealingWarmRestarts",
     lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=6),
     lambda base, epoch: cosine(base, epoch % 6, 6)),
    ("CosineAnnealingWarmRestarts-T_mult",  # periods 3, 6, 12, 24: restarts at 3, 9, 21
     lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=3, T_mult=2, eta_min=0.001),
     lambda base, epoch: cosine(base, *since_restart(epoch, 3, 2), 0.001)),
]


def since_restart(epoch, first_period, growth):
    """(epochs since the last restart, length of the current period) of SGDR."""
    period = first_period
    while epoch >= period:
        epoch, period = epoch - period, period * growth
    return epoch, period


@pytest.mark.parametrize("make_scheduler, closed_form", [s[1:] for s in SCHEDULES],
                         ids=[s[0] for s in SCHEDULES])
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


def one_cycle(step, total, peak, pct=0.3, div=25.0, final_div=1e4):
    """The two-phase 1cycle learning rate written out: cosine up to the peak, then down."""
    start, low = peak / div, peak / div / final_div
    rise_end = pct * total - 1
    if step <= rise_end:
        return _anneal(start, peak, step / rise_end)
    return _anneal(peak, low, (step - rise_end) / (total - 1 - rise_end))


def _anneal(start, end, fraction):
    return end + (start - end) * (1 + math.cos(math.pi * fraction)) / 2


def test_one_cycle_follows_the_written_out_policy_and_cycles_momentum():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.OneCycleLR(optimizer, max_lr=[1.0, 0.5], total_steps=20)
    for step in range(20):
        assert scheduler.get_last_lr() == pytest.approx(
            [one_cycle(step, 20, 1.0), one_cycle(step, 20, 0.5)], rel=1e-12)
        rising = step <= 5
        momentum = _anneal(0.95, 0.85, step / 5) if rising else \
            _anneal(0.85, 0.95, (step - 5) / 14)
        assert optimizer.param_groups[1]["momentum"] == pytest.approx(momentum, rel=1e-12)
        if step < 19:
            scheduler.step()
    assert optimizer.param_groups[0]["momentum"] == pytest.approx(0.95)
    with pytest.raises(ValueError, match="tried to step 21 times; .* total steps is 20"):
        scheduler.step()
        scheduler.step()


def test_reduce_lr_on_plateau_waits_for_patience_then_cools_down():
    optimizer = make_optimizer()
    scheduler = lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1, cooldown=1,
                                               min_lr=[0.02, 0.0])
    losses = [1.0, 0.9, 0.9, 0.9, 0.9, 0.9, 0.9, 0.5]
    factors = [1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25]  # bad epochs 2,3 -> cut; 4 cooldown; 5,6 cut
    for loss, factor in zip(losses, factors):
        scheduler.step(loss)
        assert scheduler.get_last_lr() == pytest.approx(
            [max(BASE_LRS[0] * factor, 0.02), BASE_LRS[1] * factor], rel=1e-12)


def test_reduce_lr_on_plateau_accepts_a_one_element_tensor():
    scheduler = lr_scheduler.ReduceLROnPlateau(make_optimizer(), mode="max", patience=0)
    scheduler.step(ag.Tensor(np.array(0.5)))
    scheduler.step(ag.Tensor(np.array(0.4)))
    assert scheduler.get_last_lr() == pytest.approx([b * 0.1 for b in BASE_LRS])


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


def test_chained_schedulers_multiply_their_factors():
    optimizer = make_optimizer()
    exponential = lr_scheduler.ExponentialLR(optimizer, gamma=0.9)
    step = lr_scheduler.StepLR(optimizer, step_size=3, gamma=0.5)
    for epoch in range(1, 12):
        exponential.step()
        step.step()
        expected = [base * 0.9**epoch * 0.5 ** (epoch // 3) for base in BASE_LRS]
        assert step.get_last_lr() == pytest.approx(expected, rel=1e-12)


def test_sequential_lr_warms_up_then_anneals_from_the_base_lr():
    optimizer = make_optimizer()
    warm_up = lr_scheduler.LinearLR(optimizer, start_factor=0.1, total_iters=4)
    decay = lr_scheduler.CosineAnnealingLR(optimizer, T_max=10)
    scheduler = lr_scheduler.SequentialLR(optimizer, [warm_up, decay], milestones=[4])
    for epoch in range(14):
        if epoch < 4:
            expected = [base * (0.1 + 0.9 * epoch / 4) for base in BASE_LRS]
        else:
            expected = [cosine(base, epoch - 4, 10) for base in BASE_LRS]
        assert scheduler.get_last_lr() == pytest.approx(expected, rel=1e-12, abs=1e-15)
        scheduler.step()


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("make_scheduler, error, message", [
    (lambda opt: lr_scheduler.StepLR(opt, step_size=0), ValueError, "step_size .* 0"),
    (lambda opt: lr_scheduler.StepLR(opt, step_size=2.5), ValueError, "step_size .* 2.5"),
    (lambda opt: lr_scheduler.CosineAnnealingLR(opt, T_max=0), ValueError, "T_max .* 0"),
    (lambda opt: lr_scheduler.ExponentialLR(opt, 0.9, last_epoch=3), KeyError,
     r"param 'initial_lr' is not specified in param_groups\[0\]"),
    (lambda opt: lr_scheduler.ExponentialLR("sgd", 0.9), TypeError, "str is not an Optimizer"),
    (lambda opt: lr_scheduler.LinearLR(opt, start_factor=0), ValueError, r"start_factor .*\(0"),
    (lambda opt: lr_scheduler.LinearLR(opt, end_factor=1.5), ValueError, "end_factor .* 1.5"),
    (lambda opt: lr_scheduler.LambdaLR(opt, [lambda e: 1.0]), ValueError,
     "expected 2 values for lr_lambda, got 1"),
    (lambda opt: lr_scheduler.LambdaLR(opt, 0.5), TypeError, "should be a function, got float"),
    (lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=0), ValueError, "T_0"),
    (lambda opt: lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=0), ValueError,
     "T_mult >= 1"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, 0.1), ValueError, "either total_steps OR"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, 0.1, total_steps=10, pct_start=1), ValueError,
     "pct_start"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, 0.1, 10, anneal_strategy="exp"), ValueError,
     "'cos' or 'linear'"),
    (lambda opt: lr_scheduler.OneCycleLR(opt, [0.1], 10), ValueError,
     "expected 2 values for max_lr, got 1"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, factor=1.0), ValueError, "factor"),
    (lambda opt: lr_scheduler.ReduceLROnPlateau(opt, mode="up"), ValueError, "mode 'up'"),
    (lambda opt: lr_scheduler.SequentialLR(opt, [], []), ValueError, "at least one"),
    (lambda opt: lr_scheduler.SequentialLR(
        opt, [lr_scheduler.ReduceLROnPlateau(opt)], []), ValueError, "ReduceLROnPlateau"),
    (lambda opt: lr_scheduler.SequentialLR(
        opt, [lr_scheduler.StepLR(make_optimizer(), 2)], []), ValueError, "same optimizer"),
    (lambda opt: lr_scheduler.SequentialLR(
        opt, [lr_scheduler.StepLR(opt, 2)], [3]), ValueError, "one milestone fewer"),
])
def test_bad_input_raises_a_clear_error(make_scheduler, error, message):
    with pytest.raises(error, match=message):
        make_scheduler(make_optimizer())


def test_one_cycle_needs_an_optimizer_with_momentum_to_cycle_it():
    params = [ag.Tensor(np.zeros(2), requires_grad=True)]
    with pytest.raises(ValueError, match="must support momentum or beta1"):
        lr_scheduler.OneCycleLR(optim.Adagrad(params), 0.1, total_steps=10)


def test_step_with_an_epoch_warns_that_it_is_deprecated_and_jumps_there():
    scheduler = lr_scheduler.StepLR(make_optimizer(), step_size=2, gamma=0.5)
    with pytest.warns(UserWarning, match="deprecated"):
        scheduler.step(5)
    assert scheduler.last_epoch == 5
    assert scheduler.get_last_lr() == pytest.approx([b * 0.25 for b in BASE_LRS], rel=1e-15)


def test_get_last_lr_is_a_copy():
    scheduler = lr_scheduler.ExponentialLR(make_optimizer(), gamma=0.5)
    scheduler.get_last_lr()[0] = 123.0
    assert scheduler.get_last_lr() == BASE_LRS
