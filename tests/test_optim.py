"""nn.optim: every optimizer against its documented update rule (the NumPy transcriptions in
``optim_references.py``), parameter groups, state dicts, resuming and convergence.

The optimizers get the same gradients (set on ``.grad``) as the references and must reproduce
20 steps to 1e-12 in float64. The comparisons with ``torch.optim`` are in
``test_optim_torch.py``.
"""

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim
from tests.optim_references import (
    CASES,
    INITIAL,
    STEPS,
    TARGETS,
    adagrad_reference,
    adam_reference,
    case_id,
    gradient_fn,
    loss_gradient,
    make_params,
    set_grads,
    sgd_reference,
)


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_20_steps_match_the_documented_update(case):
    cls, reference, options = case
    params = make_params()
    optimizer = cls(params, **options)
    expected = [reference(theta, gradient_fn(target, options), **options)
                for theta, target in zip(INITIAL, TARGETS)]
    for step in range(STEPS):
        set_grads(params, options)
        optimizer.step()
        for param, trajectory in zip(params, expected):
            np.testing.assert_allclose(param.data, trajectory[step], rtol=1e-12, atol=1e-12)
    assert not np.allclose(params[0].data, INITIAL[0])


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_float32_parameters_and_state_stay_float32(case):
    cls, reference, options = case
    params = make_params(np.float32)
    optimizer = cls(params, **options)
    for _ in range(STEPS):
        set_grads(params, options)
        optimizer.step()
    expected = reference(INITIAL[0], gradient_fn(TARGETS[0], options), **options)[-1]
    assert params[0].data.dtype == np.float32
    assert all(value.dtype == np.float32 for value in optimizer.state.get(params[0], {}).values()
               if isinstance(value, np.ndarray))
    np.testing.assert_allclose(params[0].data, expected, rtol=1e-4, atol=1e-5)


def test_amsgrad_case_exercises_the_maximum():
    # with a short memory (beta2 = 0.6) v shrinks with the gradients, so the running maximum
    # used by the amsgrad cases above differs from v
    params = make_params()
    optimizer = optim.Adam(params, lr=0.05, betas=(0.9, 0.6), amsgrad=True)
    for _ in range(STEPS):
        set_grads(params, {})
        optimizer.step()
    state = optimizer.state[params[0]]
    assert np.all(state["max_exp_avg_sq"] >= state["exp_avg_sq"])
    assert np.any(state["max_exp_avg_sq"] > state["exp_avg_sq"])


@pytest.mark.parametrize("cls, defaults", [
    (optim.SGD, {"lr": 1e-3, "momentum": 0, "dampening": 0, "weight_decay": 0,
                 "nesterov": False, "maximize": False}),
    (optim.RMSprop, {"lr": 1e-2, "alpha": 0.99, "eps": 1e-8, "weight_decay": 0, "momentum": 0,
                     "centered": False, "maximize": False}),
    (optim.Adam, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                  "amsgrad": False, "maximize": False}),
    (optim.AdamW, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 1e-2,
                   "amsgrad": False, "maximize": False}),
    (optim.Adagrad, {"lr": 1e-2, "lr_decay": 0, "weight_decay": 0,
                     "initial_accumulator_value": 0, "eps": 1e-10, "maximize": False}),
    (optim.Adadelta, {"lr": 1.0, "rho": 0.9, "eps": 1e-6, "weight_decay": 0, "maximize": False}),
    (optim.Adamax, {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                    "maximize": False}),
    (optim.NAdam, {"lr": 2e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                   "momentum_decay": 4e-3, "decoupled_weight_decay": False, "maximize": False}),
    (optim.RAdam, {"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8, "weight_decay": 0,
                   "decoupled_weight_decay": False, "maximize": False}),
])
def test_defaults_are_pytorchs(cls, defaults):
    optimizer = cls(make_params())
    assert optimizer.defaults == defaults
    assert {k: v for k, v in optimizer.param_groups[0].items() if k != "params"} == defaults


def test_param_groups_use_their_own_options_and_the_defaults():
    params = make_params()
    optimizer = optim.SGD([{"params": [params[0]]},
                           {"params": [params[1]], "lr": 0.05, "momentum": 0.9}],
                          lr=0.01, momentum=0.5)
    assert optimizer.param_groups[0]["lr"] == 0.01
    assert optimizer.param_groups[1]["dampening"] == 0
    expected = [sgd_reference(INITIAL[0], gradient_fn(TARGETS[0], {}), lr=0.01, momentum=0.5),
                sgd_reference(INITIAL[1], gradient_fn(TARGETS[1], {}), lr=0.05, momentum=0.9)]
    for step in range(STEPS):
        set_grads(params, {})
        optimizer.step()
        for param, trajectory in zip(params, expected):
            np.testing.assert_allclose(param.data, trajectory[step], rtol=1e-12, atol=1e-12)


def test_adagrad_honours_a_per_group_initial_accumulator_value():
    # torch.optim.Adagrad fills every group's sum from its constructor argument instead
    params = make_params()
    optimizer = optim.Adagrad([{"params": [params[0]]},
                               {"params": [params[1]], "initial_accumulator_value": 0.5}],
                              lr=0.1)
    expected = adagrad_reference(INITIAL[1], gradient_fn(TARGETS[1], {}), lr=0.1,
                                 initial_accumulator_value=0.5)
    for _ in range(STEPS):
        set_grads(params, {})
        optimizer.step()
    np.testing.assert_allclose(params[1].data, expected[-1], rtol=1e-12, atol=1e-12)


def test_add_param_group_fills_defaults_and_is_stepped():
    params = make_params()
    optimizer = optim.Adam([params[0]], lr=0.05)
    optimizer.add_param_group({"params": params[1], "betas": (0.8, 0.99)})
    assert optimizer.param_groups[1]["lr"] == 0.05
    assert len(optimizer.param_groups[1]["params"]) == 1
    assert optimizer.param_groups[1]["params"][0] is params[1]
    expected = adam_reference(INITIAL[1], gradient_fn(TARGETS[1], {}), lr=0.05, betas=(0.8, 0.99))
    for _ in range(STEPS):
        set_grads(params, {})
        optimizer.step()
    np.testing.assert_allclose(params[1].data, expected[-1], rtol=1e-12, atol=1e-12)


def test_parameters_without_grad_are_skipped():
    params = make_params()
    optimizer = optim.Adam(params, lr=0.1)
    params[0].grad = ag.Tensor(np.ones(3))
    optimizer.step()
    np.testing.assert_array_equal(params[1].data, INITIAL[1])
    assert params[1] not in optimizer.state
    np.testing.assert_allclose(params[0].data, INITIAL[0] - 0.1 / (1 + 1e-8))


def test_zero_grad_sets_none_by_default():
    params = make_params()
    optimizer = optim.SGD(params)
    set_grads(params, {})
    optimizer.zero_grad()
    assert all(param.grad is None for param in params)


def test_zero_grad_without_set_to_none_zeroes_in_place():
    params = make_params()
    optimizer = optim.SGD(params)
    set_grads(params, {})
    grads = [param.grad for param in params]
    optimizer.zero_grad(set_to_none=False)
    for param, grad in zip(params, grads):
        assert param.grad is grad
        np.testing.assert_array_equal(grad.data, np.zeros_like(param.data))


def test_zero_grad_in_place_leaves_a_shared_gradient_array_alone():
    x = ag.Tensor(np.zeros(3), requires_grad=True)
    y = ag.Tensor(np.zeros(3), requires_grad=True)
    upstream = np.array([1.0, 2.0, 3.0])
    (x + y).backward(upstream)  # x.grad and y.grad may hold this very array
    optim.SGD([x]).zero_grad(set_to_none=False)
    np.testing.assert_array_equal(x.grad.data, np.zeros(3))
    np.testing.assert_array_equal(y.grad.data, upstream)
    np.testing.assert_array_equal(upstream, [1.0, 2.0, 3.0])


def test_step_returns_the_closure_loss():
    params = make_params()
    optimizer = optim.SGD(params, lr=0.1)
    calls = []

    def closure():
        calls.append(ag.is_grad_enabled())
        set_grads(params, {})
        return 1.25

    assert optimizer.step(closure) == 1.25
    assert calls == [True]
    np.testing.assert_allclose(params[0].data,
                               INITIAL[0] - 0.1 * loss_gradient(INITIAL[0], TARGETS[0]))


def bad(make_optimizer, message):
    return pytest.param(make_optimizer, message, id=message)


@pytest.mark.parametrize("make_optimizer, message", [
    bad(lambda p: optim.SGD(p, lr=-0.1), "lr -0.1"),
    bad(lambda p: optim.SGD(p, momentum=-0.5), "momentum -0.5"),
    bad(lambda p: optim.SGD(p, weight_decay=-1.0), "weight_decay -1.0"),
    bad(lambda p: optim.SGD(p, nesterov=True), "momentum=0"),
    bad(lambda p: optim.SGD(p, momentum=0.9, dampening=0.1, nesterov=True), "dampening=0.1"),
    bad(lambda p: optim.SGD([{"params": p, "lr": -2.0}]), "lr -2.0"),
    bad(lambda p: optim.RMSprop(p, eps=-1e-8), "eps -1e-08"),
    bad(lambda p: optim.RMSprop(p, alpha=-0.5), "alpha -0.5"),
    bad(lambda p: optim.RMSprop(p, momentum=-0.1), "momentum -0.1"),
    bad(lambda p: optim.Adam(p, betas=(1.0, 0.999)), "index 0: 1.0"),
    bad(lambda p: optim.Adam(p, betas=(0.9, -0.1)), "index 1: -0.1"),
    bad(lambda p: optim.Adam(p, betas=0.9), "pair"),
    bad(lambda p: optim.Adam(p, eps=-1.0), "eps -1.0"),
    bad(lambda p: optim.AdamW(p, weight_decay=-0.01), "weight_decay -0.01"),
    bad(lambda p: optim.Adagrad(p, lr_decay=-1.0), "lr_decay -1.0"),
    bad(lambda p: optim.Adagrad(p, initial_accumulator_value=-1.0),
        "initial_accumulator_value -1.0"),
    bad(lambda p: optim.Adadelta(p, rho=1.5), "rho 1.5"),
    bad(lambda p: optim.Adadelta(p, rho=-0.5), "rho -0.5"),
    bad(lambda p: optim.Adamax(p, betas=(0.9, 1.0)), "index 1: 1.0"),
    bad(lambda p: optim.NAdam(p, momentum_decay=-1.0), "momentum_decay -1.0"),
    bad(lambda p: optim.NAdam(p, eps=-1.0), "eps -1.0"),
    bad(lambda p: optim.RAdam(p, betas=(-0.1, 0.9)), "index 0: -0.1"),
    bad(lambda p: optim.RAdam(p, weight_decay=-1.0), "weight_decay -1.0"),
    bad(lambda p: optim.SGD([]), "empty parameter list"),
    bad(lambda p: optim.SGD(p[0]), "single Tensor"),
    bad(lambda p: optim.SGD([p[0], np.zeros(3)]), "parameter 1 is a ndarray"),
    bad(lambda p: optim.SGD([p[0], p[1], p[0]]), "parameter 2 .* more than once"),
    bad(lambda p: optim.SGD([{"params": [p[0]]}, {"params": [p[1], p[0]]}]),
        "parameter 1 .* more than once"),
    bad(lambda p: optim.SGD([{"lr": 0.1}]), "'params' entry"),
    bad(lambda p: optim.SGD([{"params": set()}]), "not a set"),
])
def test_bad_input_raises_a_clear_value_error(make_optimizer, message):
    with pytest.raises(ValueError, match=message):
        make_optimizer(make_params())


def test_add_param_group_rejects_a_parameter_already_optimized():
    params = make_params()
    optimizer = optim.Adam(params)
    with pytest.raises(ValueError, match="more than once"):
        optimizer.add_param_group({"params": [params[1]]})


def test_gradient_of_the_wrong_shape_is_refused_at_the_assignment():
    params = make_params()
    with pytest.raises(RuntimeError, match=r"grad has shape \(4,\).*shape \(3,\)"):
        params[0].grad = ag.Tensor(np.ones(4))


# ---------------------------------------------------------------- state_dict and resuming

RESUME_CASES = [
    (optim.SGD, {"lr": 0.05, "momentum": 0.9, "nesterov": True}),
    (optim.RMSprop, {"lr": 0.02, "centered": True, "momentum": 0.5}),
    (optim.Adam, {"lr": 0.05, "betas": (0.9, 0.6), "amsgrad": True}),
    (optim.AdamW, {"lr": 0.05, "weight_decay": 0.1}),
    (optim.Adagrad, {"lr": 0.1, "lr_decay": 0.05, "initial_accumulator_value": 0.2}),
    (optim.Adadelta, {"lr": 0.5, "rho": 0.8, "weight_decay": 0.1}),
    (optim.Adamax, {"lr": 0.05, "betas": (0.8, 0.9)}),
    (optim.NAdam, {"lr": 0.05, "momentum_decay": 0.1, "decoupled_weight_decay": True,
                   "weight_decay": 0.1}),
    (optim.RAdam, {"lr": 0.05, "betas": (0.8, 0.9), "weight_decay": 0.1}),
]


def train(params, optimizer, steps):
    for _ in range(steps):
        set_grads(params, {})
        optimizer.step()


def as_if_saved(state_dict):
    """What a .npz round trip may give back: string keys, NumPy arrays and scalars."""
    return {"state": {str(index): {key: np.asarray(value) for key, value in values.items()}
                      for index, values in state_dict["state"].items()},
            "param_groups": [{key: np.asarray(value) for key, value in group.items()}
                             for group in state_dict["param_groups"]]}


@pytest.mark.parametrize("convert", [lambda sd: sd, as_if_saved], ids=["in-memory", "npz-like"])
@pytest.mark.parametrize("cls, options", RESUME_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_resuming_from_state_dict_equals_uninterrupted_training(cls, options, convert):
    uninterrupted = make_params()
    train(uninterrupted, cls(uninterrupted, **options), 2 * STEPS)
    first = make_params()
    first_optimizer = cls(first, **options)
    train(first, first_optimizer, STEPS)
    saved = convert(first_optimizer.state_dict())
    resumed = [ag.Tensor(param.data.copy(), requires_grad=True) for param in first]
    train(first, first_optimizer, 3)  # the snapshot must not follow later steps
    optimizer = cls(resumed)  # default options: load_state_dict restores the saved ones
    optimizer.load_state_dict(saved)
    assert all(type(v) is not np.ndarray for v in optimizer.param_groups[0].values()
               if not isinstance(v, list))
    train(resumed, optimizer, STEPS)
    for param, expected in zip(resumed, uninterrupted):
        np.testing.assert_array_equal(param.data, expected.data)


@pytest.mark.parametrize("cls, options, keys", [
    (optim.SGD, {}, None),
    (optim.SGD, {"momentum": 0.9}, {"momentum_buffer"}),
    (optim.RMSprop, {}, {"step", "square_avg"}),
    (optim.RMSprop, {"momentum": 0.9, "centered": True},
     {"step", "square_avg", "momentum_buffer", "grad_avg"}),
    (optim.Adam, {}, {"step", "exp_avg", "exp_avg_sq"}),
    (optim.AdamW, {"amsgrad": True}, {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}),
    (optim.Adagrad, {}, {"step", "sum"}),
    (optim.Adadelta, {}, {"step", "square_avg", "acc_delta"}),
    (optim.Adamax, {}, {"step", "exp_avg", "exp_inf"}),
    (optim.NAdam, {}, {"step", "mu_product", "exp_avg", "exp_avg_sq"}),
    (optim.RAdam, {}, {"step", "exp_avg", "exp_avg_sq"}),
])
def test_state_dict_has_pytorchs_layout(cls, options, keys):
    params = make_params() + [ag.Tensor(np.zeros(2), requires_grad=True)]
    optimizer = cls([{"params": params[:2]}, {"params": params[2:], "lr": 0.5}], **options)
    for _ in range(3):
        set_grads(params[:2], {})  # the third parameter never gets a gradient
        optimizer.step()
    state_dict = optimizer.state_dict()
    assert [group["params"] for group in state_dict["param_groups"]] == [[0, 1], [2]]
    assert state_dict["param_groups"][1]["lr"] == 0.5
    if keys is None:
        assert state_dict["state"] == {}
        return
    assert sorted(state_dict["state"]) == [0, 1]
    assert set(state_dict["state"][1]) == keys
    assert state_dict["state"][1].get("step", 3) == 3


def test_loaded_state_is_cast_to_the_parameter_dtype():
    source = make_params()
    source_optimizer = optim.Adam(source)
    train(source, source_optimizer, 2)
    target = make_params(np.float32)
    optimizer = optim.Adam(target)
    optimizer.load_state_dict(source_optimizer.state_dict())
    assert optimizer.state[target[1]]["exp_avg"].dtype == np.float32
    np.testing.assert_allclose(optimizer.state[target[1]]["exp_avg"],
                               source_optimizer.state[source[1]]["exp_avg"], rtol=1e-6)


def mismatched(make_other, message):
    return pytest.param(make_other, message, id=message)


@pytest.mark.parametrize("make_other, message", [
    mismatched(lambda p: optim.Adam([{"params": [p[0]]}, {"params": [p[1]]}]),
               "state dict has 1 parameter groups, the optimizer has 2"),
    mismatched(lambda p: optim.Adam([p[0]]), "group 0 has 2 parameters .* 1 in the optimizer"),
    mismatched(lambda p: optim.Adam([p[1], p[0]]),
               r"'exp_avg' of parameter 0 has shape \(3,\), .* shape \(2, 3\)"),
])
def test_load_state_dict_rejects_a_mismatch(make_other, message):
    params = make_params()
    optimizer = optim.Adam(params)
    train(params, optimizer, 1)
    with pytest.raises(ValueError, match=message):
        make_other(make_params()).load_state_dict(optimizer.state_dict())


# ------------------------------------------------------------- convergence through backward()


def rosenbrock(x, y):
    return ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum()


@pytest.mark.parametrize("make_optimizer", [
    lambda p: optim.SGD(p, lr=1e-3, momentum=0.9),
    lambda p: optim.SGD(p, lr=1e-3, momentum=0.9, nesterov=True),
    lambda p: optim.RMSprop(p, lr=1e-3, momentum=0.9),
    lambda p: optim.Adam(p, lr=0.05),
    lambda p: optim.AdamW(p, lr=0.05, weight_decay=1e-4),
], ids=["SGD-momentum", "SGD-nesterov", "RMSprop-momentum", "Adam", "AdamW"])
def test_optimizer_finds_the_rosenbrock_minimum(make_optimizer):
    x = ag.Tensor(np.array([-1.5]), requires_grad=True)
    y = ag.Tensor(np.array([2.0]), requires_grad=True)
    optimizer = make_optimizer([x, y])
    for _ in range(2000):
        optimizer.zero_grad()
        rosenbrock(x, y).backward()
        optimizer.step()
    np.testing.assert_allclose([x.item(), y.item()], [1.0, 1.0], atol=2e-3)


@pytest.mark.parametrize("make_optimizer, steps", [
    (lambda p: optim.SGD(p, lr=0.1), 300),
    (lambda p: optim.RMSprop(p, lr=0.01), 300),
    (lambda p: optim.Adam(p, lr=0.05), 300),
    (lambda p: optim.AdamW(p, lr=0.05), 300),
    (lambda p: optim.Adagrad(p, lr=0.5), 300),
    (lambda p: optim.Adadelta(p, lr=0.5), 1000),  # sets its own, slowly growing step size
    (lambda p: optim.Adamax(p, lr=0.05), 300),
    (lambda p: optim.NAdam(p, lr=0.05), 300),
    (lambda p: optim.RAdam(p, lr=0.05), 300),
], ids=["SGD", "RMSprop", "Adam", "AdamW", "Adagrad", "Adadelta", "Adamax", "NAdam", "RAdam"])
def test_optimizer_fits_a_linear_regression(make_optimizer, steps):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(32, 3))
    true_weight, true_bias = np.array([1.5, -2.0, 0.5]), 0.3
    targets = ag.Tensor(inputs @ true_weight + true_bias)
    weight = ag.Tensor(np.zeros(3), requires_grad=True)
    bias = ag.Tensor(np.zeros(1), requires_grad=True)
    optimizer = make_optimizer([weight, bias])
    for _ in range(steps):
        optimizer.zero_grad()
        ((ag.Tensor(inputs) @ weight + bias - targets) ** 2).mean().backward()
        optimizer.step()
    np.testing.assert_allclose(weight.data, true_weight, atol=1e-2)
    np.testing.assert_allclose(bias.data, [true_bias], atol=1e-2)


@pytest.mark.parametrize("state_dict, message", [
    ({"state": {}}, r"'state' and 'param_groups', got keys \['state'\]"),
    ([1, 2], "got list"),
])
def test_load_state_dict_rejects_something_else(state_dict, message):
    with pytest.raises(ValueError, match=message):
        optim.SGD(make_params()).load_state_dict(state_dict)


def test_load_state_dict_takes_options_missing_from_the_state_dict_from_the_constructor():
    saved = optim.Adam(make_params(), lr=0.5).state_dict()
    del saved["param_groups"][0]["amsgrad"]
    optimizer = optim.Adam(make_params(), amsgrad=True)
    optimizer.load_state_dict(saved)
    assert optimizer.param_groups[0]["amsgrad"] is True
    assert optimizer.param_groups[0]["lr"] == 0.5


def test_repr_lists_each_group_options():
    text = repr(optim.SGD([{"params": make_params()[:1]}, {"params": make_params()[1:]}], lr=0.5))
    assert text.startswith("SGD (")
    assert "Parameter Group 1" in text
    assert "    lr: 0.5" in text


# ------------------------------------------------- a checkpoint file: nn.save / nn.load


def make_model():
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)).double()


def train_model(model, optimizer, steps):
    rng = np.random.default_rng(1)
    inputs, targets = ag.Tensor(rng.normal(size=(16, 3))), ag.Tensor(rng.normal(size=(16, 1)))
    for _ in range(steps):
        optimizer.zero_grad()
        ((model(inputs) - targets) ** 2).mean().backward()
        optimizer.step()


@pytest.mark.parametrize("cls, options", RESUME_CASES, ids=lambda v: getattr(v, "__name__", ""))
def test_resuming_from_a_checkpoint_file_equals_uninterrupted_training(tmp_path, cls, options):
    uninterrupted = make_model()
    initial = uninterrupted.state_dict()
    train_model(uninterrupted, cls(uninterrupted.parameters(), **options), 2 * STEPS)
    first = make_model()
    first.load_state_dict(initial)
    first_optimizer = cls(first.parameters(), **options)
    train_model(first, first_optimizer, STEPS)
    path = tmp_path / "checkpoint.npz"
    nn.save({"model": first.state_dict(), "optimizer": first_optimizer.state_dict()}, path)
    checkpoint = nn.load(path)
    resumed = make_model()
    resumed.load_state_dict(checkpoint["model"])
    optimizer = cls(resumed.parameters())
    optimizer.load_state_dict(checkpoint["optimizer"])
    train_model(resumed, optimizer, STEPS)
    for key, value in uninterrupted.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[key], value, err_msg=key)
