"""nn.optim side by side with torch.optim: every optimizer, several option sets, parameter
groups with their own options, many steps, the state it keeps, and checkpoints both ways.

Runs in float64. PyTorch keeps its step counters (and NAdam's running product of momentum
coefficients) in tensors of the default dtype; with float32 that rounds NAdam's mu_product to
float32, an artifact of storage, not of the algorithm, so these tests set float64 as torch's
default dtype while they run.
"""

import numpy as np
import pytest

import autograd as ag
from nn import optim
from tests.optim_references import (
    CASES,
    INITIAL,
    STEPS,
    TARGETS,
    case_id,
    gradient_fn,
    make_params,
    set_grads,
)

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True)
def torch_float64():
    previous = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(previous)


def assert_close(ours, theirs):
    np.testing.assert_allclose(np.asarray(ours), theirs.detach().numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_20_steps_and_state_dict_match_torch(case):
    cls, _, options = case
    params = make_params()
    torch_params = [torch.tensor(theta, requires_grad=True) for theta in INITIAL]
    ours = cls(params, **options)
    theirs = getattr(torch.optim, cls.__name__)(torch_params, **options)
    for _ in range(STEPS):
        set_grads(params, options)
        for torch_param, target in zip(torch_params, TARGETS):
            torch_param.grad = torch.from_numpy(
                gradient_fn(target, options)(torch_param.detach().numpy()))
        ours.step()
        theirs.step()
        for param, torch_param in zip(params, torch_params):
            np.testing.assert_allclose(param.data, torch_param.detach().numpy(),
                                       rtol=1e-12, atol=1e-12)
    our_dict, their_dict = ours.state_dict(), theirs.state_dict()
    assert {index: set(values) for index, values in our_dict["state"].items()} == \
        {index: set(values) for index, values in their_dict["state"].items()}
    for our_group, their_group in zip(our_dict["param_groups"], their_dict["param_groups"]):
        assert our_group == {key: their_group[key] for key in our_group}


# Two groups with different options each; the gradients are a fixed random stream (so that
# rounding differences are not amplified by chaotic dynamics of the parameters themselves),
# plus weight decay, which feeds the parameters back in.
GROUP_CASES = [
    ("SGD", {"lr": 0.05, "momentum": 0.9}, {"lr": 0.01, "momentum": 0.5, "dampening": 0.2,
                                           "weight_decay": 0.1}),
    ("SGD", {"lr": 0.05, "momentum": 0.9, "nesterov": True}, {"lr": 0.1, "maximize": True}),
    ("RMSprop", {"lr": 0.01, "centered": True}, {"momentum": 0.9, "alpha": 0.9,
                                                  "weight_decay": 0.01}),
    ("Adam", {"lr": 0.01}, {"lr": 0.002, "betas": (0.8, 0.99), "amsgrad": True,
                            "weight_decay": 0.1}),
    ("AdamW", {"lr": 0.01}, {"weight_decay": 0.5, "amsgrad": True, "maximize": True}),
    # (no per-group initial_accumulator_value: torch's Adagrad takes it from its constructor
    # argument only; ours honours the group's, see test_optim.py)
    ("Adagrad", {"lr": 0.1, "lr_decay": 0.01}, {"eps": 1e-3, "weight_decay": 0.1}),
    ("Adadelta", {}, {"lr": 0.5, "rho": 0.5, "eps": 1e-4, "weight_decay": 0.1}),
    ("Adadelta", {"maximize": True}, {"rho": 0.99}),
    ("Adamax", {}, {"lr": 0.01, "betas": (0.5, 0.9), "eps": 1e-3, "weight_decay": 0.2}),
    ("Adamax", {"maximize": True}, {"betas": (0.0, 0.0)}),
    ("NAdam", {}, {"lr": 0.01, "betas": (0.8, 0.9), "momentum_decay": 0.05}),
    ("NAdam", {"weight_decay": 0.1}, {"weight_decay": 0.1, "decoupled_weight_decay": True,
                                      "maximize": True}),
    ("RAdam", {}, {"lr": 0.01, "betas": (0.8, 0.9)}),
    ("RAdam", {"weight_decay": 0.1}, {"weight_decay": 0.1, "decoupled_weight_decay": True,
                                      "eps": 1e-3, "maximize": True}),
]
SHAPES = [(4, 3), (5,), (2, 2), ()]
LONG_RUN = 150


def group_case_id(case):
    return case[0] + "-" + "-".join(f"{k}={v}" for k, v in {**case[1], **case[2]}.items())


def make_pair(name, first, second, seed=0):
    """Our optimizer and torch's over the same four parameters in two groups."""
    rng = np.random.default_rng(seed)
    values = [rng.normal(size=shape) for shape in SHAPES]
    ours = [ag.Tensor(v.copy(), requires_grad=True) for v in values]
    theirs = [torch.tensor(v, requires_grad=True) for v in values]

    def groups(params):
        return [{"params": params[:2], **first}, {"params": params[2:], **second}]

    return (ours, getattr(optim, name)(groups(ours)),
            theirs, getattr(torch.optim, name)(groups(theirs)))


def step_both(ours, our_opt, theirs, their_opt, rng, steps):
    for _ in range(steps):
        for param, torch_param in zip(ours, theirs):
            grad = rng.normal(size=param.shape)
            param.grad = ag.Tensor(grad)
            torch_param.grad = torch.from_numpy(grad.copy())
        our_opt.step()
        their_opt.step()
        for param, torch_param in zip(ours, theirs):
            assert_close(param.data, torch_param)


@pytest.mark.parametrize("case", GROUP_CASES, ids=group_case_id)
def test_parameter_groups_match_torch_step_for_step(case):
    ours, our_opt, theirs, their_opt = make_pair(*case)
    step_both(ours, our_opt, theirs, their_opt, np.random.default_rng(1), LONG_RUN)
    for param, torch_param in zip(ours, theirs):
        our_state, their_state = our_opt.state[param], their_opt.state[torch_param]
        assert set(our_state) == set(their_state)
        for key, value in our_state.items():
            assert_close(value, torch.as_tensor(their_state[key]))


@pytest.mark.parametrize("case", GROUP_CASES, ids=group_case_id)
def test_a_torch_checkpoint_loads_and_continues_as_torch_does(case):
    ours, our_opt, theirs, their_opt = make_pair(*case)
    rng = np.random.default_rng(2)
    step_both(ours, our_opt, theirs, their_opt, rng, 10)
    saved = their_opt.state_dict()
    converted = {
        "state": {index: {key: value.numpy() if isinstance(value, torch.Tensor) else value
                          for key, value in values.items()}
                  for index, values in saved["state"].items()},
        "param_groups": [{key: value for key, value in group.items()
                          if key in our_opt.defaults or key == "params"}
                         for group in saved["param_groups"]],
    }
    fresh = [ag.Tensor(p.detach().numpy().copy(), requires_grad=True) for p in theirs]
    resumed = getattr(optim, case[0])([{"params": fresh[:2]}, {"params": fresh[2:]}])
    resumed.load_state_dict(converted)
    step_both(fresh, resumed, theirs, their_opt, rng, 20)


@pytest.mark.parametrize("case", GROUP_CASES, ids=group_case_id)
def test_our_checkpoint_loads_into_torch_and_continues_as_ours_does(case):
    ours, our_opt, theirs, their_opt = make_pair(*case)
    rng = np.random.default_rng(3)
    step_both(ours, our_opt, theirs, their_opt, rng, 10)
    saved = our_opt.state_dict()
    scalar_state = torch.get_default_dtype()
    state = {index: {key: torch.tensor(value, dtype=scalar_state) if not isinstance(
        value, np.ndarray) else torch.from_numpy(value) for key, value in values.items()}
        for index, values in saved["state"].items()}
    fresh = [torch.tensor(p.data, requires_grad=True) for p in ours]
    resumed = getattr(torch.optim, case[0])([{"params": fresh[:2]}, {"params": fresh[2:]}])
    resumed.load_state_dict({"state": state, "param_groups": saved["param_groups"]})
    step_both(ours, our_opt, fresh, resumed, rng, 20)


@pytest.mark.parametrize("name", ["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta",
                                  "Adamax", "NAdam", "RAdam"])
def test_defaults_match_torchs(name):
    ours = getattr(optim, name)(make_params()).defaults
    theirs = getattr(torch.optim, name)([torch.zeros(1, requires_grad=True)]).defaults
    assert ours == {key: theirs[key] for key in ours}
