"""nn.Module, nn.Parameter and the containers: registration, traversal, modes, state, repr."""

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 4)
        self.act = nn.ReLU()
        self.fc2 = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class WithBuffer(nn.Module):
    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(np.ones(2, dtype=np.float32))
        self.register_buffer("running", np.zeros(2, dtype=np.float32))
        self.register_buffer("count", np.array(0, dtype=np.int64))
        self.register_buffer("scratch", np.zeros(3), persistent=False)

    def forward(self, x):
        return x * self.scale


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.encoder = Block()
        self.norm = WithBuffer()
        self.head = nn.Linear(2, 1)

    def forward(self, x):
        return self.head(self.norm(self.encoder(x)))


# ---------------------------------------------------------------- Parameter


def test_parameter_is_a_leaf_tensor_that_requires_grad_and_keeps_dtype():
    param = nn.Parameter(np.zeros((2, 3), dtype=np.float64))
    assert isinstance(param, ag.Tensor)
    assert param.requires_grad and param.is_leaf
    assert param.dtype == np.float64 and param.shape == (2, 3)


def test_parameter_from_a_tensor_shares_its_data_but_not_its_graph():
    x = ag.Tensor(np.ones(3), requires_grad=True)
    y = x * 2
    param = nn.Parameter(y)
    assert param.grad_fn is None
    assert param.data is y.data


def test_parameter_from_python_numbers_is_float32():
    assert nn.Parameter([1.0, 2.0]).dtype == np.float32


def test_parameter_gets_the_attribute_name_unless_it_has_one():
    block = Block()
    assert block.fc1.weight.name == "weight"
    named = nn.Parameter(np.ones(2))
    named.name = "mine"
    block.extra = named
    assert block.extra.name == "mine"


# ---------------------------------------------------------------- registration and traversal


def test_named_parameters_use_dotted_pytorch_names_in_definition_order():
    names = [name for name, _ in Net().named_parameters()]
    assert names == ["encoder.fc1.weight", "encoder.fc1.bias", "encoder.fc2.weight",
                     "encoder.fc2.bias", "norm.scale", "head.weight", "head.bias"]


def test_sequential_names_children_by_position():
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.Linear(2, 1))
    assert [name for name, _ in model.named_parameters()] == [
        "0.weight", "0.bias", "2.weight", "2.bias"]


def test_parameters_counts_each_shared_parameter_once():
    shared = nn.Linear(2, 2)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(model.parameters())) == 2
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]


def test_children_and_modules_walk_the_tree_in_order():
    net = Net()
    assert [name for name, _ in net.named_children()] == ["encoder", "norm", "head"]
    assert list(net.children()) == [net.encoder, net.norm, net.head]
    assert [name for name, _ in net.named_modules()] == [
        "", "encoder", "encoder.fc1", "encoder.act", "encoder.fc2", "norm", "head"]
    assert next(iter(net.modules())) is net


def test_buffers_are_registered_without_grad_and_reassignable():
    module = WithBuffer()
    assert [name for name, _ in module.named_buffers()] == ["running", "count", "scratch"]
    assert not module.running.requires_grad
    module.running = np.full(2, 5.0, dtype=np.float32)
    assert isinstance(module.running, ag.Tensor)
    np.testing.assert_array_equal(module.running.data, [5.0, 5.0])
    assert [name for name, _ in module.named_parameters()] == ["scale"]


def test_assigning_a_plain_tensor_to_a_parameter_slot_is_refused():
    layer = nn.Linear(2, 2)
    with pytest.raises(TypeError, match="Linear: cannot assign Tensor to parameter 'weight'"):
        layer.weight = ag.Tensor(np.zeros((2, 2)))


def test_a_parameter_slot_can_be_emptied_and_disappears_from_the_lists():
    layer = nn.Linear(2, 2)
    layer.bias = None
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]


def test_deleting_an_attribute_unregisters_it():
    block = Block()
    del block.fc2
    assert [name for name, _ in block.named_children()] == ["fc1", "act"]


def test_forgetting_super_init_gives_a_clear_error():
    class Broken(nn.Module):
        def __init__(self):
            self.fc = nn.Linear(2, 2)

    with pytest.raises(AttributeError, match=r"Broken: call super\(\).__init__\(\)"):
        Broken()


def test_a_module_without_forward_says_so():
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        nn.Module()(1)


def test_deep_nesting_does_not_hit_the_recursion_limit():
    model = nn.Linear(1, 1)
    for _ in range(3000):
        model = nn.Sequential(model)
    assert len(list(model.parameters())) == 2
    assert len(model.state_dict()) == 2


# ---------------------------------------------------------------- modes, grads, dtype


def test_train_and_eval_propagate_to_every_submodule_and_return_self():
    net = Net()
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net.train()
    assert all(m.training for m in net.modules())


def test_train_refuses_a_non_bool_mode():
    with pytest.raises(ValueError, match="mode must be a bool"):
        Net().train("no")


@pytest.mark.parametrize("set_to_none", [True, False])
def test_zero_grad_clears_or_zeroes_every_gradient(set_to_none):
    net = Block()
    net(np.ones((2, 3))).sum().backward()
    assert all(p.grad is not None for p in net.parameters())
    net.zero_grad(set_to_none=set_to_none)
    for p in net.parameters():
        if set_to_none:
            assert p.grad is None
        else:
            np.testing.assert_array_equal(p.grad.data, np.zeros(p.shape))


def test_double_casts_parameters_and_floating_buffers_only():
    module = WithBuffer().double()
    assert module.scale.dtype == np.float64 and module.running.dtype == np.float64
    assert module.count.dtype == np.int64


def test_requires_grad_false_freezes_every_parameter():
    net = Block().requires_grad_(False)
    assert not any(p.requires_grad for p in net.parameters())


def test_apply_visits_children_before_the_parent():
    visited = []
    Block().apply(lambda m: visited.append(type(m).__name__))
    assert visited == ["Linear", "ReLU", "Linear", "Block"]


# ---------------------------------------------------------------- state_dict


def test_state_dict_lists_parameters_then_persistent_buffers_per_module():
    assert list(Net().state_dict()) == [
        "encoder.fc1.weight", "encoder.fc1.bias", "encoder.fc2.weight", "encoder.fc2.bias",
        "norm.scale", "norm.running", "norm.count", "head.weight", "head.bias"]


def test_state_dict_values_are_independent_copies_with_the_same_dtype():
    net = Net()
    state = net.state_dict()
    assert isinstance(state, OrderedDict)
    assert state["norm.count"].dtype == np.int64
    state["head.bias"][...] = 123.0
    assert not np.any(net.head.bias.data == 123.0)


def test_load_state_dict_copies_values_in_place():
    source, target = Net(), Net()
    weight_before = target.head.weight
    target.load_state_dict(source.state_dict())
    for (name, a), (_, b) in zip(source.state_dict().items(), target.state_dict().items()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    assert target.head.weight is weight_before


def test_load_state_dict_casts_to_the_parameter_dtype():
    layer = nn.Linear(2, 1)
    layer.load_state_dict({"weight": np.array([[1.5, -2.0]]), "bias": np.array([0.25])})
    assert layer.weight.dtype == np.float32
    np.testing.assert_array_equal(layer.weight.data, [[1.5, -2.0]])


def _assert_untouched(model, before):
    for name, value in model.state_dict().items():
        np.testing.assert_array_equal(value, before[name], err_msg=name)


def test_a_missing_key_is_named_and_nothing_is_loaded():
    model = Net()
    before = model.state_dict()
    incoming = {k: v + 1 for k, v in Net().state_dict().items() if k != "head.bias"}
    with pytest.raises(RuntimeError, match="missing key 'head.bias'"):
        model.load_state_dict(incoming)
    _assert_untouched(model, before)


def test_an_unexpected_key_is_named_and_nothing_is_loaded():
    model = Net()
    before = model.state_dict()
    incoming = {k: v + 1 for k, v in Net().state_dict().items()}
    incoming["head.extra"] = np.zeros(3)
    with pytest.raises(RuntimeError, match="unexpected key 'head.extra'"):
        model.load_state_dict(incoming)
    _assert_untouched(model, before)


def test_a_shape_mismatch_names_key_and_both_shapes_and_loads_nothing():
    model = Net()
    before = model.state_dict()
    incoming = {k: v + 1 for k, v in Net().state_dict().items()}
    incoming["encoder.fc2.weight"] = np.zeros((5, 4), dtype=np.float32)
    message = (r"size mismatch for 'encoder.fc2.weight': copying a value of shape \(5, 4\), "
               r"the shape in the current model is \(2, 4\)")
    with pytest.raises(RuntimeError, match=message):
        model.load_state_dict(incoming)
    _assert_untouched(model, before)


def test_a_shape_mismatch_is_an_error_even_when_not_strict():
    model = nn.Linear(2, 2)
    with pytest.raises(RuntimeError, match="size mismatch for 'bias'"):
        model.load_state_dict({"bias": np.zeros(3)}, strict=False)


def test_non_strict_loading_reports_missing_and_unexpected_keys_and_loads_the_rest():
    model = nn.Linear(2, 1)
    result = model.load_state_dict({"bias": np.array([7.0]), "other": np.ones(1)}, strict=False)
    assert result.missing_keys == ["weight"] and result.unexpected_keys == ["other"]
    np.testing.assert_array_equal(model.bias.data, [7.0])


def test_all_problems_are_reported_together():
    model = nn.Linear(2, 1)
    with pytest.raises(RuntimeError) as info:
        model.load_state_dict({"weight": np.zeros((3, 3)), "other": np.ones(1)})
    message = str(info.value)
    assert "'weight'" in message and "missing key 'bias'" in message and "'other'" in message


# ---------------------------------------------------------------- repr


def test_repr_nests_like_pytorch():
    model = nn.Sequential(nn.Linear(3, 2), nn.Sigmoid(), nn.Sequential(nn.Linear(2, 1)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Linear(in_features=3, out_features=2, bias=True)\n"
        "  (1): Sigmoid()\n"
        "  (2): Sequential(\n"
        "    (0): Linear(in_features=2, out_features=1, bias=True)\n"
        "  )\n"
        ")"
    )


def test_repr_puts_extra_repr_before_children():
    class Custom(nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = nn.Identity()

        def extra_repr(self):
            return "size=3"

    assert repr(Custom()) == "Custom(\n  size=3\n  (inner): Identity()\n)"


# ---------------------------------------------------------------- re-assignment keeps order


def test_reassigning_a_parameter_keeps_its_place_in_parameters_and_state_dict():
    model = Block()
    model.fc1.weight = nn.Parameter(np.zeros((4, 3), dtype=np.float32))
    assert [name for name, _ in model.named_parameters()] == [
        "fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert list(model.state_dict()) == ["fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"]
    assert model.fc1.weight.data.sum() == 0


def test_reassigning_a_child_or_a_buffer_keeps_its_place():
    net = Net()
    net.encoder = Block()
    net.norm.register_buffer("running", np.ones(2, dtype=np.float32))
    assert [name for name, _ in net.named_children()] == ["encoder", "norm", "head"]
    assert [name for name, _ in net.norm.named_buffers()] == ["running", "count", "scratch"]


def test_reassigned_order_matches_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = nn.Linear(2, 3), torch.nn.Linear(2, 3)
    ours.weight = nn.Parameter(np.zeros((3, 2)))
    theirs.weight = torch.nn.Parameter(torch.zeros(3, 2))
    ours.bias = None
    theirs.bias = None
    ours.bias = nn.Parameter(np.zeros(3))
    theirs.bias = torch.nn.Parameter(torch.zeros(3))
    assert list(ours.state_dict()) == list(theirs.state_dict()) == ["weight", "bias"]


def test_a_parameter_assigned_over_a_buffer_replaces_it():
    module = WithBuffer()
    module.running = nn.Parameter(np.zeros(2))
    assert [name for name, _ in module.named_buffers()] == ["count", "scratch"]
    assert [name for name, _ in module.named_parameters()] == ["scale", "running"]


@pytest.mark.parametrize("register", [
    lambda m: m.register_parameter("forward", nn.Parameter(np.zeros(1))),
    lambda m: m.register_buffer("train", np.zeros(1)),
    lambda m: m.add_module("parameters", nn.ReLU()),
])
def test_registering_a_name_the_class_uses_is_refused(register):
    with pytest.raises(KeyError, match="attribute '.*' already exists"):
        register(nn.Module())


# ---------------------------------------------------------------- to(), float(), double()


@pytest.mark.parametrize("call", [
    lambda m: m.to(np.float64), lambda m: m.to("cpu", np.float64),
    lambda m: m.to(dtype=np.float64), lambda m: m.to(device="cpu", dtype="float64"),
    lambda m: m.to(ag.Tensor(np.zeros(1))), lambda m: m.double(),
])
def test_to_casts_floating_state_in_place_keeping_the_parameter_objects(call):
    module = WithBuffer()
    scale = module.scale
    module.scale.grad = ag.Tensor(np.ones(2, dtype=np.float32))
    assert call(module) is module
    assert module.scale is scale and scale.dtype == np.float64
    assert scale.grad.dtype == np.float64 and module.running.dtype == np.float64
    assert module.count.dtype == np.int64


def test_to_cpu_and_cpu_change_nothing():
    module = WithBuffer()
    assert module.to("cpu") is module and module.cpu() is module
    assert module.scale.dtype == np.float32


@pytest.mark.parametrize("call, error, message", [
    (lambda m: m.to(np.int64), TypeError, "only accepts floating point dtypes.*int64"),
    (lambda m: m.to("cuda"), RuntimeError, r"WithBuffer.to\(\): device 'cuda' is not available"),
    (lambda m: m.to(object()), TypeError, "expected a dtype, a device"),
    (lambda m: m.to(np.float32, np.float64, np.float16), TypeError, "invalid combination"),
    (lambda m: m.to(dtype=np.float32, colour="red"), TypeError, "invalid combination"),
])
def test_to_rejects_what_is_not_a_floating_dtype_or_the_cpu(call, error, message):
    with pytest.raises(error, match=message):
        call(WithBuffer())


def test_float_then_double_round_trips_values_exactly():
    module = WithBuffer().double()
    module.scale.data[...] = [0.5, 0.25]
    module.float()
    assert module.scale.dtype == np.float32
    np.testing.assert_array_equal(module.scale.data, [0.5, 0.25])


# ---------------------------------------------------------------- one zero_grad behaviour


@pytest.mark.parametrize("owner", ["module", "optimizer"])
def test_zero_grad_without_set_to_none_keeps_each_grad_tensor_and_zeroes_it(owner):
    net = Block()
    net(np.ones((2, 3), dtype=np.float32)).sum().backward()
    grads = [p.grad for p in net.parameters()]
    zero_grad = net.zero_grad if owner == "module" else \
        nn.optim.SGD(net.parameters(), lr=0.1).zero_grad
    zero_grad(set_to_none=False)
    for param, grad in zip(net.parameters(), grads):
        assert param.grad is grad
        np.testing.assert_array_equal(grad.data, np.zeros(param.shape))


def test_zero_grad_detaches_a_gradient_that_carries_a_graph():
    layer = nn.Linear(2, 1).double()
    (layer(np.ones((1, 2))) ** 2).sum().backward(create_graph=True)
    assert layer.weight.grad.grad_fn is not None
    layer.zero_grad(set_to_none=False)
    assert layer.weight.grad.grad_fn is None and not layer.weight.grad.requires_grad
    np.testing.assert_array_equal(layer.weight.grad.data, np.zeros((1, 2)))


# ---------------------------------------------------------------- version counters


@pytest.fixture
def bumped(monkeypatch):
    """The tensors whose version library code bumped (by identity), in order."""
    seen = []
    monkeypatch.setattr(ag.Tensor, "_bump_version", lambda self: seen.append(self))
    return seen


def test_load_state_dict_bumps_the_version_of_every_loaded_tensor(bumped):
    model, state = Net(), Net().state_dict()
    bumped.clear()  # initialisation bumps too
    model.load_state_dict(state)
    loaded = [tensor for _, tensor in model._state_items()]
    assert len(bumped) == len(loaded)
    assert {id(t) for t in bumped} == {id(t) for t in loaded}


def test_to_bumps_the_version_of_every_cast_tensor(bumped):
    module = WithBuffer()
    bumped.clear()
    module.double()
    # scratch is float64 already and count an integer buffer: neither changes
    assert {id(t) for t in bumped} == {id(module.scale), id(module.running)}
    bumped.clear()
    module.double()  # already float64: nothing changes
    assert bumped == []


def test_zero_grad_in_place_bumps_the_gradients_version(bumped):
    layer = nn.Linear(2, 1)
    layer(np.ones((1, 2), dtype=np.float32)).sum().backward()
    bumped.clear()
    layer.zero_grad(set_to_none=False)
    assert {id(t) for t in bumped} == {id(layer.weight.grad), id(layer.bias.grad)}


def test_a_child_may_replace_a_class_level_default_as_in_torch():
    class WithDefault(nn.Module):
        act = None

        def __init__(self):
            super().__init__()
            self.act = nn.ReLU()

    assert [name for name, _ in WithDefault().named_children()] == ["act"]
