"""nn.containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""

from collections import OrderedDict

import numpy as np
import pytest

import autograd as ag
import nn
from nn import optim

# ---------------------------------------------------------------- containers


def test_sequential_applies_modules_in_order():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    x = np.array([[1.0, -2.0]], dtype=np.float32)
    w0, b0 = model[0].weight.data, model[0].bias.data
    w2, b2 = model[2].weight.data, model[2].bias.data
    expected = np.maximum(x @ w0.T + b0, 0) @ w2.T + b2
    np.testing.assert_allclose(model(x).data, expected, rtol=1e-6)


def test_sequential_supports_len_iteration_indexing_and_slicing():
    layers = [nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1)]
    model = nn.Sequential(*layers)
    assert len(model) == 3 and list(model) == layers
    assert model[0] is layers[0] and model[-1] is layers[2]
    head = model[1:]
    assert isinstance(head, nn.Sequential) and list(head) == layers[1:]


def test_sequential_index_out_of_range_names_the_length():
    with pytest.raises(IndexError, match="Sequential index 3 out of range for length 2"):
        nn.Sequential(nn.ReLU(), nn.ReLU())[3]


def test_sequential_from_an_ordered_dict_keeps_the_names():
    model = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 1)), ("out", nn.Sigmoid())]))
    assert [name for name, _ in model.named_parameters()] == ["fc.weight", "fc.bias"]


def test_sequential_delete_renumbers_and_append_continues():
    model = nn.Sequential(nn.ReLU(), nn.Tanh(), nn.Sigmoid())
    del model[0]
    model.append(nn.Identity())
    assert [name for name, _ in model.named_children()] == ["0", "1", "2"]
    assert [type(m).__name__ for m in model] == ["Tanh", "Sigmoid", "Identity"]


def test_module_list_registers_its_modules():
    layers = nn.ModuleList([nn.Linear(2, 2), nn.Linear(2, 1)])
    layers.append(nn.Linear(1, 1))
    assert len(layers) == 3 and layers[-1] is list(layers)[2]
    assert [name for name, _ in layers.named_parameters()][-2:] == ["2.weight", "2.bias"]


def test_module_list_slices_and_deletes_like_a_list():
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh(), nn.Sigmoid()])
    assert [type(m).__name__ for m in layers[1:]] == ["Tanh", "Sigmoid"]
    del layers[0]
    assert [name for name, _ in layers.named_children()] == ["0", "1"]
    with pytest.raises(TypeError, match="ModuleList indices must be int or slice, got str"):
        layers["0"]


def test_module_list_insert_pop_and_iadd_keep_names_dense():
    layers = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    layers.insert(1, nn.Sigmoid())
    layers += [nn.Identity()]
    assert [type(m).__name__ for m in layers] == ["ReLU", "Sigmoid", "Tanh", "Identity"]
    assert isinstance(layers.pop(0), nn.ReLU)
    assert [name for name, _ in layers.named_children()] == ["0", "1", "2"]


def test_sequential_pop_returns_the_last_module():
    model = nn.Sequential(nn.ReLU(), nn.Tanh())
    assert isinstance(model.pop(), nn.Tanh) and len(model) == 1


# ---------------------------------------------------------------- ModuleDict


def test_module_dict_registers_modules_under_their_keys_in_order():
    heads = nn.ModuleDict({"q": nn.Linear(2, 2), "k": nn.Linear(2, 3, bias=False)})
    assert list(heads) == ["q", "k"] and len(heads) == 2 and "q" in heads
    assert [name for name, _ in heads.named_parameters()] == ["q.weight", "q.bias", "k.weight"]
    assert list(heads.keys()) == ["q", "k"]
    assert [m.out_features for m in heads.values()] == [2, 3]
    assert [key for key, _ in heads.items()] == ["q", "k"]


def test_module_dict_replacing_an_entry_keeps_its_place():
    heads = nn.ModuleDict([("a", nn.ReLU()), ("b", nn.Tanh()), ("c", nn.Sigmoid())])
    heads["a"] = nn.Identity()
    assert list(heads) == ["a", "b", "c"] and isinstance(heads["a"], nn.Identity)


def test_module_dict_update_pop_del_and_clear():
    heads = nn.ModuleDict()
    heads.update([("x", nn.ReLU()), ("y", nn.Tanh())])
    heads.update(OrderedDict([("z", nn.Sigmoid())]))
    assert list(heads) == ["x", "y", "z"]
    assert isinstance(heads.pop("y"), nn.Tanh)
    del heads["x"]
    assert list(heads) == ["z"]
    heads.clear()
    assert len(heads) == 0 and list(heads.parameters()) == []


def test_module_dict_is_seen_by_the_parent_and_its_optimizer():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.heads = nn.ModuleDict({"a": nn.Linear(2, 1)})

    model = Model()
    assert list(model.state_dict()) == ["heads.a.weight", "heads.a.bias"]
    optimizer = optim.SGD(model.parameters(), lr=0.1)
    assert len(optimizer.param_groups[0]["params"]) == 2


@pytest.mark.parametrize("make, error, message", [
    (lambda d: d["missing"], KeyError, r"no key 'missing' \(keys: \['a'\]\)"),
    (lambda d: d.__delitem__("missing"), KeyError, "no key 'missing'"),
    (lambda d: d.__setitem__("a.b", nn.ReLU()), KeyError, "without '.'"),
    (lambda d: d.__setitem__("c", 3), TypeError, "expected nn.Module, got int"),
    (lambda d: d.update([("c", nn.ReLU(), 1)]), ValueError, "element #0 has length 3"),
    (lambda d: d.update(5), TypeError, "iterable of key/value pairs"),
])
def test_module_dict_bad_use_raises_a_clear_error(make, error, message):
    with pytest.raises(error, match=message):
        make(nn.ModuleDict({"a": nn.ReLU()}))


# ---------------------------------------------------------------- ParameterList


def test_parameter_list_turns_tensors_into_parameters_sharing_their_data():
    data = np.zeros(3)
    params = nn.ParameterList([ag.Tensor(data), nn.Parameter(np.ones((2, 2)))])
    assert all(isinstance(p, nn.Parameter) for p in params)
    assert params[0].data is data and params[0].requires_grad
    assert [name for name, _ in params.named_parameters()] == ["0", "1"]


def test_parameter_list_indexing_slicing_assignment_and_append():
    params = nn.ParameterList([nn.Parameter(np.full(2, float(i))) for i in range(3)])
    assert params[-1].data[0] == 2.0
    assert [p.data[0] for p in params[1:]] == [1.0, 2.0]
    replacement = nn.Parameter(np.full(2, 9.0))
    params[1] = replacement
    params.append(np.full(2, 5.0))
    assert params[1] is replacement and len(params) == 4
    assert list(params.state_dict()) == ["0", "1", "2", "3"]
    with pytest.raises(IndexError, match="ParameterList index 4 out of range for length 4"):
        params[4]


def test_parameter_list_rejects_what_is_not_a_tensor():
    with pytest.raises(TypeError, match="ParameterList: expected an nn.Parameter or a Tensor, "
                                        "got str"):
        nn.ParameterList(["w"])


def test_parameter_list_repr_lists_dtype_and_size():
    params = nn.ParameterList([nn.Parameter(np.zeros((3, 4), dtype=np.float32))])
    assert repr(params) == "ParameterList((0): Parameter containing: [float32 of size 3x4])"


# ---------------------------------------------------------------- ParameterDict


def test_parameter_dict_registers_under_keys_and_keeps_the_place_of_a_replaced_entry():
    params = nn.ParameterDict([("shift", ag.Tensor(np.zeros(2))), ("scale", np.ones(2))])
    params["shift"] = nn.Parameter(np.full(2, 3.0))
    assert list(params) == ["shift", "scale"]
    assert [name for name, _ in params.named_parameters()] == ["shift", "scale"]
    assert params["shift"].data[0] == 3.0 and isinstance(params["scale"], nn.Parameter)


def test_parameter_dict_from_a_plain_dict_sorts_its_keys_as_pytorch():
    params = nn.ParameterDict({"z": np.ones(1), "a": np.ones(1)})
    assert list(params) == ["a", "z"]
    ordered = nn.ParameterDict(OrderedDict([("z", np.ones(1)), ("a", np.ones(1))]))
    assert list(ordered) == ["z", "a"]


def test_parameter_dict_get_setdefault_pop_update_clear():
    params = nn.ParameterDict()
    assert params.get("w") is None
    first = params.setdefault("w", np.zeros(1))
    assert params.setdefault("w", np.ones(1)) is first
    params.update([("b", np.ones(1))])
    assert list(params.keys()) == ["w", "b"] and "b" in params
    assert params.pop("w") is first and list(params) == ["b"]
    params.clear()
    assert len(params) == 0


# ---------------------------------------------------------------- side by side with PyTorch


def build(lib):
    """The same nested structure of containers in nn or torch.nn."""
    def param(*shape):
        return lib.Parameter(lib_zeros(lib, shape))

    model = lib.Module()
    model.blocks = lib.ModuleList([lib.Linear(2, 3), lib.Sequential(lib.Linear(3, 3))])
    model.heads = lib.ModuleDict({"b": lib.Linear(3, 1), "a": lib.Linear(3, 2, bias=False)})
    model.extra = lib.ParameterList([param(2), param(1, 2)])
    model.table = lib.ParameterDict({"z": param(3), "y": param(1)})
    model.head_bias = param(1)
    model.blocks[0] = lib.Linear(2, 3)  # replaced in place
    model.heads["b"] = lib.Linear(3, 1)
    return model


def lib_zeros(lib, shape):
    return np.zeros(shape) if lib is nn else __import__("torch").zeros(shape)


def test_names_and_state_dict_order_match_torch():
    torch = pytest.importorskip("torch")
    ours, theirs = build(nn), build(torch.nn)
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    shapes = [tuple(p.shape) for p in theirs.parameters()]
    assert [p.shape for p in ours.parameters()] == shapes
