"""nn.optim.lr_scheduler side by side with torch.optim.lr_scheduler: every scheduler alone
with several option sets, chained (several stepped on one optimizer), inside SequentialLR,
with step(epoch), resumed with last_epoch; and resumed from a saved state dict."""

import math
import warnings

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim

BASE_LRS = [0.1, 0.03]
EPOCHS = 30


def metric(epoch):
    """A validation loss that improves, stalls and improves again (drives ReduceLROnPlateau)."""
    return [1.0, 0.8, 0.8, 0.79, 0.8, 0.81, 0.7, 0.7, 0.7, 0.7, 0.7, 0.5][epoch % 12] + \
        0.1 * (epoch // 12)


def warm(epoch):
    return min(1.0, (epoch + 1) / 4)


def slow(epoch):
    return 0.95**epoch


def make_optimizer(lib, name="SGD"):
    params = [lib_zeros(lib, n) for n in (2, 3)]
    options = {"momentum": 0.9} if name == "SGD" else {}
    return getattr(lib_optim(lib), name)([{"params": [params[0]], "lr": BASE_LRS[0]},
                                          {"params": [params[1]], "lr": BASE_LRS[1]}],
                                         **options)


def lib_optim(lib):
    return optim if lib is nn else lib.optim


def lib_zeros(lib, size):
    if lib is nn:
        return ag.Tensor(np.zeros(size), requires_grad=True)
    return lib.zeros(size, requires_grad=True)


def make_scheduler(lib, optimizer, spec):
    name, options = spec
    module = lib_optim(lib).lr_scheduler
    if name == "SequentialLR":
        inner = [make_scheduler(lib, optimizer, s) for s in options["schedulers"]]
        return module.SequentialLR(optimizer, inner, options["milestones"])
    return getattr(module, name)(optimizer, **options)


def group_values(optimizer):
    """Each group's lr and momentum (or beta1): what a schedule changes."""
    values = []
    for group in optimizer.param_groups:
        values.append(group["lr"])
        values.append(group["betas"][0] if "betas" in group else group.get("momentum", 0.0))
    return values


def run(lib, chain, optimizer_name="SGD", epochs=EPOCHS, epoch_arg=None):
    """Step the schedulers of ``chain`` (all on one optimizer) for ``epochs``; return the lr
    and momentum of each group at each epoch, and each scheduler's get_last_lr()."""
    optimizer = make_optimizer(lib, optimizer_name)
    schedulers = [make_scheduler(lib, optimizer, spec) for spec in chain]
    history = []
    for epoch in range(epochs):
        history.append(group_values(optimizer) + [lr for s in schedulers
                                                   for lr in s.get_last_lr()])
        optimizer.step()
        for scheduler in schedulers:
            if type(scheduler).__name__ == "ReduceLROnPlateau":
                scheduler.step(metric(epoch))
            elif epoch_arg is not None:
                scheduler.step(epoch_arg(epoch))
            else:
                scheduler.step()
    return np.array(history, dtype=float)


def compare(chain, optimizer_name="SGD", epochs=EPOCHS, epoch_arg=None):
    torch = pytest.importorskip("torch")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # step(epoch) is deprecated in both
        ours = run(nn, chain, optimizer_name, epochs, epoch_arg)
        theirs = run(torch, chain, optimizer_name, epochs, epoch_arg)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=1e-16)
    return ours


SINGLE = [
    ("StepLR", {"step_size": 3, "gamma": 0.5}),
    ("StepLR", {"step_size": 1}),
    ("MultiStepLR", {"milestones": [2, 5, 5, 9], "gamma": 0.3}),
    ("ExponentialLR", {"gamma": 0.8}),
    ("LinearLR", {}),
    ("LinearLR", {"start_factor": 0.5, "end_factor": 0.1, "total_iters": 7}),
    ("LambdaLR", {"lr_lambda": slow}),
    ("LambdaLR", {"lr_lambda": [warm, slow]}),
    ("CosineAnnealingLR", {"T_max": 6, "eta_min": 0.001}),
    ("CosineAnnealingLR", {"T_max": 25}),
    ("CosineAnnealingWarmRestarts", {"T_0": 4, "T_mult": 2, "eta_min": 0.002}),
    ("CosineAnnealingWarmRestarts", {"T_0": 7}),
    ("OneCycleLR", {"max_lr": [0.5, 0.2], "total_steps": EPOCHS}),
    ("OneCycleLR", {"max_lr": 0.4, "epochs": 3, "steps_per_epoch": 10, "pct_start": 0.25,
                    "anneal_strategy": "linear", "three_phase": True}),
    ("OneCycleLR", {"max_lr": 0.4, "total_steps": EPOCHS + 5, "cycle_momentum": False,
                    "div_factor": 10.0, "final_div_factor": 100.0}),
    ("ReduceLROnPlateau", {"patience": 1}),
    ("ReduceLROnPlateau", {"mode": "max", "factor": 0.5, "patience": 0, "threshold": 0.05,
                           "threshold_mode": "abs", "cooldown": 2}),
    ("ReduceLROnPlateau", {"factor": 0.5, "patience": 0, "min_lr": [0.02, 0.01]}),
]


def spec_id(spec):
    name, options = spec
    return name + "".join(f"-{k}={getattr(v, '__name__', v)}" for k, v in options.items())


@pytest.mark.parametrize("spec", SINGLE, ids=spec_id)
def test_each_scheduler_matches_torch(spec):
    history = compare([spec])
    assert len(np.unique(history[:, 0])) > 2  # the schedule really moves the lr


@pytest.mark.parametrize("spec", [s for s in SINGLE if s[0] == "OneCycleLR"], ids=spec_id)
def test_one_cycle_cycles_adams_beta1_as_torch(spec):
    compare([spec], optimizer_name="Adam")


CHAINS = [
    [("ExponentialLR", {"gamma": 0.9}), ("StepLR", {"step_size": 4, "gamma": 0.5})],
    [("MultiStepLR", {"milestones": [3, 6]}), ("LinearLR", {"start_factor": 0.2,
                                                           "total_iters": 4})],
    [("CosineAnnealingLR", {"T_max": 10}), ("ExponentialLR", {"gamma": 0.95})],
    [("LinearLR", {}), ("CosineAnnealingLR", {"T_max": 8, "eta_min": 0.001})],
    [("StepLR", {"step_size": 2, "gamma": 0.8}), ("ReduceLROnPlateau", {"patience": 1})],
]


@pytest.mark.parametrize("chain", CHAINS, ids=lambda chain: "+".join(s[0] for s in chain))
def test_chained_schedulers_match_torch(chain):
    compare(chain)


SEQUENTIAL = [
    [("SequentialLR", {"schedulers": [("LinearLR", {"start_factor": 0.1, "total_iters": 5}),
                                      ("CosineAnnealingLR", {"T_max": 20})],
                       "milestones": [5]})],
    [("SequentialLR", {"schedulers": [("ExponentialLR", {"gamma": 0.9}),
                                      ("StepLR", {"step_size": 2, "gamma": 0.5}),
                                      ("MultiStepLR", {"milestones": [3, 8]})],
                       "milestones": [4, 10]})],
    [("SequentialLR", {"schedulers": [("LambdaLR", {"lr_lambda": warm}),
                                      ("CosineAnnealingWarmRestarts", {"T_0": 5})],
                       "milestones": [6]})],
    [("SequentialLR", {"schedulers": [("LinearLR", {"total_iters": 3}),
                                      ("ExponentialLR", {"gamma": 0.9})],
                       "milestones": [3]}),
     ("StepLR", {"step_size": 5, "gamma": 0.5})],
]


@pytest.mark.parametrize("chain", SEQUENTIAL, ids=["warm-up-cosine", "three", "lambda-restarts",
                                                   "chained-with-StepLR"])
def test_sequential_lr_matches_torch(chain):
    compare(chain)


@pytest.mark.parametrize("spec", [("StepLR", {"step_size": 3, "gamma": 0.5}),
                                  ("MultiStepLR", {"milestones": [2, 5]}),
                                  ("ExponentialLR", {"gamma": 0.8}),
                                  ("LinearLR", {"total_iters": 6}),
                                  ("CosineAnnealingLR", {"T_max": 7})], ids=spec_id)
def test_step_with_an_epoch_uses_the_closed_form_as_torch(spec):
    compare([spec], epoch_arg=lambda epoch: (epoch * 7) % 11)


def test_warm_restarts_with_fractional_epochs_match_torch():
    compare([("CosineAnnealingWarmRestarts", {"T_0": 3, "T_mult": 2})],
            epoch_arg=lambda epoch: epoch / 4 + 0.1)


@pytest.mark.parametrize("spec", [("StepLR", {"step_size": 3, "gamma": 0.5}),
                                  ("ExponentialLR", {"gamma": 0.8}),
                                  ("CosineAnnealingLR", {"T_max": 9}),
                                  ("LinearLR", {"total_iters": 8})], ids=spec_id)
def test_resuming_with_last_epoch_matches_torch(spec):
    torch = pytest.importorskip("torch")
    histories = []
    for lib in (nn, torch):
        optimizer = make_optimizer(lib)
        scheduler = make_scheduler(lib, optimizer, spec)
        for _ in range(5):
            optimizer.step()
            scheduler.step()
        saved = optimizer.state_dict()
        resumed_optimizer = make_optimizer(lib)
        resumed_optimizer.load_state_dict(saved)
        name, options = spec
        module = lib_optim(lib).lr_scheduler
        resumed = getattr(module, name)(resumed_optimizer, last_epoch=5, **options)
        history = []
        for _ in range(10):
            history.append(resumed.get_last_lr())
            resumed_optimizer.step()
            resumed.step()
        histories.append(history)
    np.testing.assert_allclose(histories[0], histories[1], rtol=1e-12)


RESUMABLE = SINGLE[::2] + [chain[0] for chain in SEQUENTIAL[:3]]


@pytest.mark.parametrize("spec", RESUMABLE, ids=spec_id)
def test_a_saved_and_loaded_schedule_continues_exactly(spec, tmp_path):
    uninterrupted = run(nn, [spec], epochs=20)
    optimizer = make_optimizer(nn)
    scheduler = make_scheduler(nn, optimizer, spec)
    plateau = spec[0] == "ReduceLROnPlateau"
    for epoch in range(8):
        optimizer.step()
        scheduler.step(metric(epoch)) if plateau else scheduler.step()
    nn.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict()},
            tmp_path / "checkpoint.npz")
    checkpoint = nn.load(tmp_path / "checkpoint.npz")
    optimizer = make_optimizer(nn)
    scheduler = make_scheduler(nn, optimizer, spec)
    optimizer.load_state_dict(checkpoint["optimizer"])
    scheduler.load_state_dict(checkpoint["scheduler"])
    for epoch in range(8, 20):
        np.testing.assert_allclose(group_values(optimizer), uninterrupted[epoch][:4],
                                   rtol=1e-15, err_msg=f"epoch {epoch}")
        optimizer.step()
        scheduler.step(metric(epoch)) if plateau else scheduler.step()
    assert not math.isnan(uninterrupted.sum())
