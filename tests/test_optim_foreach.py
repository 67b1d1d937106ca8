"""SGD and Adam update a group's parameters over flat state buffers (``nn/optim/foreach.py``):
bitwise the per-parameter update, which they fall back to whenever the flat path does not
apply."""

import numpy as np
import pytest

import autograd as ag
import nn


def _train(make_optimizer, flat: bool, steps: int = 12, freeze_at: int = -1):
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(7, 5), nn.ReLU(), nn.Linear(5, 3))
    optimizer = make_optimizer(model.parameters())
    if not flat:
        optimizer._update_group = lambda *args: False
    rng = np.random.default_rng(0)
    for step in range(steps):
        optimizer.zero_grad()
        loss = (model(ag.Tensor(rng.standard_normal((4, 7)).astype(np.float32))) ** 2).mean()
        loss.backward()
        if step == freeze_at:
            model[2].bias.grad = None  # a parameter without a gradient is skipped
        optimizer.step()
    return model, optimizer


@pytest.mark.parametrize("make_optimizer", [
    lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9),
    lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9, nesterov=True),  # per parameter
    lambda p: nn.optim.Adam(p, lr=0.01),
    lambda p: nn.optim.AdamW(p, lr=0.01, weight_decay=0.1),
    lambda p: nn.optim.Adam(p, lr=0.01, amsgrad=True),  # per parameter
])
@pytest.mark.parametrize("freeze_at", [-1, 5])
def test_flat_update_is_bitwise_the_per_parameter_update(make_optimizer, freeze_at):
    flat_model, flat_optimizer = _train(make_optimizer, True, freeze_at=freeze_at)
    model, optimizer = _train(make_optimizer, False, freeze_at=freeze_at)
    for a, b in zip(flat_model.parameters(), model.parameters()):
        assert np.array_equal(a.data, b.data)
    flat_state, state = flat_optimizer.state_dict()["state"], optimizer.state_dict()["state"]
    for index, entries in state.items():
        for key, value in entries.items():
            assert np.array_equal(flat_state[index][key], value)


def test_flat_buffers_follow_a_loaded_state():
    model, optimizer = _train(lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9), True)
    assert "_flat_states" in optimizer.__dict__  # the flat path was taken
    saved = optimizer.state_dict()
    optimizer.load_state_dict(saved)  # fresh arrays: the flat buffers are made again
    twin, twin_optimizer = _train(lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9), True)
    for optimizer_, model_ in ((optimizer, model), (twin_optimizer, twin)):
        optimizer_.zero_grad()
        model_(ag.Tensor(np.ones((2, 7), np.float32))).sum().backward()
        optimizer_.step()
    for a, b in zip(model.parameters(), twin.parameters()):
        assert np.array_equal(a.data, b.data)



def test_a_parameter_that_changed_dtype_is_updated_in_its_dtype():
    """A parameter whose array was replaced by a float64 one after the flat buffers were made
    (float32): its momentum buffer stays float32, as PyTorch's per-parameter SGD keeps it, and
    the update follows the formula in those dtypes."""
    model, optimizer = _train(lambda p: nn.optim.SGD(p, lr=0.1, momentum=0.9), True)
    weight = model[0].weight
    weight.data = weight.data.astype(np.float64)
    before = weight.data.copy()
    buffer = optimizer.state[weight]["momentum_buffer"].copy()
    optimizer.zero_grad()
    model(ag.Tensor(np.ones((2, 7), np.float64))).sum().backward()
    grad = weight.grad.data.copy()
    assert buffer.dtype == np.float32 and grad.dtype == np.float64
    optimizer.step()
    # b <- m b (float32); b <- b + g (added in float64, stored in float32); w <- w - lr b
    expected_buffer = ((buffer * np.float32(0.9)).astype(np.float64) + grad).astype(np.float32)
    expected = before - (expected_buffer * np.float32(0.1)).astype(np.float64)
    assert np.array_equal(optimizer.state[weight]["momentum_buffer"], expected_buffer)
    assert np.array_equal(weight.data, expected)
