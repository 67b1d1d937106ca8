"""PyTorch's shape methods, queries and casts (autograd/ops/views.py), checked against torch.

Values and gradients come from torch (float64) where torch is installed; views
must share their base's memory and version counter, and refuse exactly where
PyTorch's ``view`` refuses.
"""

import inspect

import numpy as np
import pytest

import autograd as ag
import nn.functional as F

MODIFIED = "modified by an inplace operation"


def run(lib, fn, data: np.ndarray, upstream_seed: int = 0):
    """``fn(x)`` and d/dx sum(fn(x) * g) with a random ``g``, in ``lib`` (ag or torch)."""
    x = lib.tensor(data, requires_grad=True)
    out = fn(x)
    g = np.random.default_rng(upstream_seed).standard_normal(tuple(out.shape))
    (out * lib.tensor(g)).sum().backward()
    value = out.detach().numpy() if lib is not ag else out.data
    return np.asarray(value), np.asarray(x.grad.numpy() if lib is not ag else x.grad.data)


METHODS = [
    ("view(-1, 4)", (2, 3, 4), lambda x: x.view(-1, 4)),
    ("view(2, -1, 2)", (2, 3, 4), lambda x: x.view(2, -1, 2)),
    ("view((4, 6))", (2, 3, 4), lambda x: x.view((4, 6))),
    ("view([24])", (2, 3, 4), lambda x: x.view([24])),
    ("view(()) of one element", (1, 1), lambda x: x.view(())),
    ("view_as", (2, 3, 4), lambda x: x.view_as(x.new_zeros(4, 6))),
    ("reshape_as", (2, 3, 4), lambda x: x.transpose(0, 1).reshape_as(x)),
    ("unsqueeze(0)", (2, 3), lambda x: x.unsqueeze(0)),
    ("unsqueeze(-1)", (2, 3), lambda x: x.unsqueeze(-1)),
    ("unsqueeze(1) of 0-d", (), lambda x: x.unsqueeze(0).unsqueeze(1)),
    ("squeeze(dim=1)", (2, 1, 3), lambda x: x.squeeze(dim=1)),
    ("squeeze(dim=0) of a size-2 dim is a no-op", (2, 1, 3), lambda x: x.squeeze(dim=0)),
    ("squeeze(dim=(1, 3))", (2, 1, 3, 1), lambda x: x.squeeze(dim=(1, 3))),
    ("squeeze(1) positional", (2, 1, 3), lambda x: x.squeeze(1)),
    ("permute(2, 0, 1)", (2, 3, 4), lambda x: x.permute(2, 0, 1)),
    ("permute((1, 0, 2))", (2, 3, 4), lambda x: x.permute((1, 0, 2))),
    ("permute(-1, 0, 1)", (2, 3, 4), lambda x: x.permute(-1, 0, 1)),
    ("flatten()", (2, 3, 4), lambda x: x.flatten()),
    ("flatten(1)", (2, 3, 4, 2), lambda x: x.flatten(1)),
    ("flatten(0, 1)", (2, 3, 4), lambda x: x.flatten(0, 1)),
    ("flatten(1, -2)", (2, 3, 4, 2), lambda x: x.flatten(1, -2)),
    ("flatten() of 0-d", (), lambda x: x.flatten()),
    ("flatten(1) of size 0", (0, 0, 3), lambda x: x.flatten(1)),
    ("flatten(0, 1) of size 0", (2, 0, 3), lambda x: x.flatten(0, 1)),
    ("expand(3, -1, 4)", (1, 2, 1), lambda x: x.expand(3, -1, 4)),
    ("expand with new leading dims", (3, 1), lambda x: x.expand(2, 2, 3, 5)),
    ("expand_as", (3, 1), lambda x: x.expand_as(x.new_zeros(2, 3, 4))),
    ("transpose(1, 2)", (2, 3, 4), lambda x: x.transpose(1, 2)),
    ("transpose(0, -1)", (2, 3, 4), lambda x: x.transpose(0, -1)),
    ("mT", (2, 3, 4), lambda x: x.mT),
    ("t()", (3, 4), lambda x: x.t()),
    ("t() of 1-D", (3,), lambda x: x.t()),
    ("clone", (2, 3), lambda x: x.clone() * x.clone()),
    ("transpose(1, 2).contiguous().view(2, 12)", (2, 3, 4),
     lambda x: x.transpose(1, 2).contiguous().view(2, 12)),
    ("movedim(0, -1)", (2, 3, 4), lambda x: x.movedim(0, -1)),
    ("movedim((0, 1), (2, 0))", (2, 3, 4), lambda x: x.movedim((0, 1), (2, 0))),
    ("double()", (2, 3), lambda x: x.float().double() * 3),
]


@pytest.mark.parametrize("name, shape, fn", METHODS, ids=[m[0] for m in METHODS])
def test_shape_methods_match_torch_values_and_gradients(name, shape, fn):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(1).standard_normal(shape)
    value, grad = run(ag, fn, data)
    expected_value, expected_grad = run(torch, fn, data)
    assert value.shape == expected_value.shape
    np.testing.assert_allclose(value, expected_value, rtol=1e-6)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-12)


FUNCTIONS = [
    ("cat(dim=1)", lambda lib, x: lib.cat([x, 2 * x], dim=1)),
    ("cat(-1) positional", lambda lib, x: lib.cat((x, x * x), -1)),
    ("concat(dim=0)", lambda lib, x: lib.concat([x, x], dim=0)),
    ("stack(dim=1)", lambda lib, x: lib.stack([x, x * x], dim=1)),
    ("transpose(x, 0, 2)", lambda lib, x: lib.transpose(x, 0, 2)),
    ("unsqueeze(x, 1)", lambda lib, x: lib.unsqueeze(x, 1)),
    ("permute(x, (2, 0, 1))", lambda lib, x: lib.permute(x, (2, 0, 1))),
    ("flatten(x, 1)", lambda lib, x: lib.flatten(x, 1)),
    ("squeeze(x[:, :1], dim=1)", lambda lib, x: lib.squeeze(x[:, :1], dim=1)),
    ("clone(x)", lambda lib, x: lib.clone(x) * 2),
    ("amax(dim=1, keepdim=True)", lambda lib, x: lib.amax(x, dim=1, keepdim=True)),
    ("amin(dim=(0, 2))", lambda lib, x: lib.amin(x, dim=(0, 2))),
    ("max(1, keepdim=True).values", lambda lib, x: x.max(1, keepdim=True).values),
    ("min(dim=2).values", lambda lib, x: x.min(dim=2).values),
    ("std(0, keepdim=True): unbiased", lambda lib, x: x.std(0, keepdim=True)),
    ("var(dim=1): unbiased", lambda lib, x: x.var(dim=1)),
    ("var(dim=1, unbiased=False)", lambda lib, x: x.var(dim=1, unbiased=False)),
    ("std(dim=(0, 1), correction=0)", lambda lib, x: x.std(dim=(0, 1), correction=0)),
    ("sum(1, keepdim=True)", lambda lib, x: x.sum(1, keepdim=True)),
    ("mean(dim=-1)", lambda lib, x: x.mean(dim=-1)),
    ("logsumexp(dim=1, keepdim=True)", lambda lib, x: x.logsumexp(dim=1, keepdim=True)),
]


@pytest.mark.parametrize("name, fn", FUNCTIONS, ids=[f[0] for f in FUNCTIONS])
def test_pytorch_spellings_of_functions_match_torch(name, fn):
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(2).standard_normal((2, 3, 4))
    value, grad = run(ag, lambda x: fn(ag, x), data)
    expected_value, expected_grad = run(torch, lambda x: fn(torch, x), data)
    np.testing.assert_allclose(value, expected_value, rtol=1e-12)
    np.testing.assert_allclose(grad, expected_grad, rtol=1e-10, atol=1e-14)


def test_max_with_keepdim_returns_pytorch_values_and_indices():
    torch = pytest.importorskip("torch")
    data = np.random.default_rng(3).standard_normal((4, 5))
    values, indices = ag.tensor(data).max(1, keepdim=True)
    expected = torch.tensor(data).max(1, keepdim=True)
    np.testing.assert_array_equal(values.data, expected.values.numpy())
    np.testing.assert_array_equal(indices.data, expected.indices.numpy())
    assert indices.dtype == np.int64


def test_std_and_var_follow_numpy_with_axis_and_pytorch_with_dim():
    data = np.random.default_rng(4).standard_normal((5, 3))
    x = ag.tensor(data)
    np.testing.assert_allclose(x.std(axis=0).data, data.std(axis=0, ddof=0))
    np.testing.assert_allclose(x.std(0).data, data.std(axis=0, ddof=0))
    np.testing.assert_allclose(x.std(dim=0).data, data.std(axis=0, ddof=1))
    np.testing.assert_allclose(x.var(0, keepdim=True).data, data.var(axis=0, ddof=1,
                                                                      keepdims=True))
    np.testing.assert_allclose(x.var(axis=1, keepdims=True).data, data.var(axis=1,
                                                                           keepdims=True))


# ------------------------------------------------------------------ views share memory


def test_a_view_shares_memory_data_ptr_and_version_with_its_base():
    x = ag.randn(2, 3, 4)
    for v in (x.view(6, 4), x.unsqueeze(1), x.permute(2, 0, 1), x.flatten(1), x.mT,
              x[:1].expand(5, 3, 4), x.squeeze(dim=0)):
        assert np.shares_memory(v.data, x.data)
    v = x.view(-1)
    assert v.data_ptr() == x.data_ptr()
    v.add_(1.0)
    assert x._version == v._version == 1


def test_changing_a_base_in_place_after_its_view_was_saved_raises():
    w = ag.randn(2, 3, requires_grad=True)
    base = w * 1.0
    y = base.view(6).exp()  # exp saves its output, the product saves the view
    z = (base.view(3, 2) * base.view(3, 2)).sum()
    with ag.no_grad():
        base.mul_(2.0)
    y.sum().backward()  # exp needs its own output, which did not change
    with pytest.raises(RuntimeError, match=MODIFIED):
        z.backward()


LAYOUTS = [
    ("transposed matrix -> 1-D", lambda x: x.reshape(3, 4).transpose(1, 0), (12,)),
    ("transposed matrix -> same shape", lambda x: x.reshape(3, 4).transpose(1, 0), (4, 3)),
    ("transposed matrix -> split a dim", lambda x: x.reshape(3, 4).transpose(1, 0), (2, 2, 3)),
    ("column slice -> 1-D", lambda x: x.reshape(3, 4)[:, ::2], (6,)),
    ("row slice -> 1-D", lambda x: x.reshape(6, 2)[::2], (6,)),
    ("row slice -> split rows", lambda x: x.reshape(6, 2)[:4], (2, 2, 2)),
    ("permuted 3-D -> merge the last two", lambda x: x.reshape(2, 3, 2).permute(0, 2, 1),
     (2, 6)),
    ("permuted 3-D -> merge the first two", lambda x: x.reshape(2, 3, 2).permute(1, 0, 2),
     (6, 2)),
    ("contiguous -> anything", lambda x: x.reshape(2, 6), (3, 2, 2)),
]


@pytest.mark.parametrize("name, make, shape", LAYOUTS, ids=[case[0] for case in LAYOUTS])
def test_view_refuses_exactly_where_torch_refuses(name, make, shape):
    torch = pytest.importorskip("torch")
    data = np.arange(12.0)
    try:
        make(torch.tensor(data)).view(shape)
        torch_refuses = False
    except RuntimeError:
        torch_refuses = True
    source = make(ag.tensor(data))
    if torch_refuses:
        with pytest.raises(ValueError, match=r"view: .* Use \.reshape\(\.\.\.\) instead"):
            source.view(shape)
    else:
        np.testing.assert_array_equal(source.view(shape).data, source.data.reshape(shape))
        assert np.shares_memory(source.view(shape).data, source.data)


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize("call, error, message", [
    (lambda x: x.view(5, -1), ValueError,
     r"view: shape \[5, -1\] is invalid for a tensor of shape \(2, 3, 4\) \(24 elements\)"),
    (lambda x: x.view(-1, -1), ValueError, r"view: shape \[-1, -1\] is invalid"),
    (lambda x: x.view(np.float32), TypeError, r"view: expected a shape.*use astype\(dtype\)"),
    (lambda x: x.view(2.0, 12), TypeError, r"view: sizes must be ints"),
    (lambda x: x.unsqueeze(4), IndexError,
     r"unsqueeze: dimension out of range \(expected to be in range of \[-4, 3\], but got 4\)"),
    (lambda x: x.unsqueeze((0, 1)), TypeError, r"unsqueeze: dim must be one int.*expand_dims"),
    (lambda x: x.permute(0, 1), ValueError,
     r"permute: dims \(0, 1\) are not an ordering of the 3 dimensions"),
    (lambda x: x.permute(0, 1, 1), ValueError, r"permute: dims \(0, 1, 1\)"),
    (lambda x: x.expand(2, 5, 4), ValueError,
     r"expand: the size 5 at dimension 1 does not fit.*shape \(2, 3, 4\)"),
    (lambda x: x.expand(3, 4), ValueError,
     r"expand: the number of sizes provided \(2\) must be greater or equal"),
    (lambda x: x[:1].expand(-1, 2, 3, 4), ValueError, r"expand: the size -1 at dimension 0"),
    (lambda x: x.squeeze(1), ValueError,
     r"squeeze: cannot select axis 1 of shape \(2, 3, 4\).*pass dim= for that"),
    (lambda x: x.squeeze(dim=3), np.exceptions.AxisError, r"squeeze: axis 3 is out of bounds"),
    (lambda x: x.flatten(2, 1), ValueError, r"flatten: start_dim 2 comes after end_dim 1"),
    (lambda x: x.flatten(3), np.exceptions.AxisError, r"flatten: dimension 3 is out of range"),
    (lambda x: x.sum(0).sum(0).mT, ValueError, r"mT: needs a matrix or a batch of matrices"),
    (lambda x: x.t(), ValueError, r"t: expects a tensor with <= 2 dimensions.*transpose"),
    (lambda x: x[0].transpose(0, 1), ValueError,
     r"transpose: t.transpose\(0, 1\) of a 2-D tensor is ambiguous: NumPy reads it as the axes "
     r"order, which changes nothing, while PyTorch swaps"),
    (lambda x: x[0].transpose(-2, -1), ValueError, r"transpose: t.transpose\(-2, -1\)"),
    (lambda x: x.max(keepdim=True), TypeError, r"max: with dim= or keepdim=.*got None"),
    (lambda x: x.max(dim=(0, 1)), TypeError, r"max: .*dim must be an int, got \(0, 1\)"),
    (lambda x: ag.concatenate([x, x], axis=1, dim=0), TypeError,
     r"concatenate: got both axis=1 and dim=0"),
    (lambda x: x.type(), TypeError, r"type: .* read x\.dtype"),
    (lambda x: x.type("torch.FloatTensor"), TypeError, r"type: tensor type names"),
    (lambda x: x.cuda(), RuntimeError, r"cuda: there is no GPU backend"),
    (lambda x: x.to("cuda"), RuntimeError, r"to: device 'cuda' is not available: there is no GPU"),
    (lambda x: x.to("mps"), RuntimeError, r"to: device 'mps' is not available"),
    (lambda x: x.to(device="cuda:0"), RuntimeError, r"to: device 'cuda:0' is not available"),
    (lambda x: x.to("cpu", "cuda"), RuntimeError, r"to: device 'cuda' is not available"),
    (lambda x: x.to(3.5), TypeError, r"to: expected a dtype, a device \('cpu'\) or a Tensor"),
    (lambda x: ag.device("cuda"), RuntimeError, r"device: device 'cuda' is not available"),
])
def test_bad_input_names_the_method_and_what_to_do(call, error, message):
    with pytest.raises(error, match=message):
        call(ag.randn(2, 3, 4))


def test_an_expanded_tensor_is_read_only_and_its_clone_is_not():
    x = ag.ones(3, 1).expand(3, 4)
    with pytest.raises(ValueError, match=r"mul_: the tensor is a read-only view .*clone\(\) it"):
        x.mul_(2.0)
    y = x.clone()
    y.mul_(2.0)
    np.testing.assert_array_equal(y.data, np.full((3, 4), 2.0))


# ------------------------------------------------------------------ copies and casts


def test_clone_is_a_separate_contiguous_copy_in_the_graph():
    x = ag.randn(3, 4, requires_grad=True)
    y = x.T.clone()
    assert y.grad_fn.name == "clone" and y.data.flags.c_contiguous
    assert not np.shares_memory(y.data, x.data)
    with ag.no_grad():
        y.add_(1.0)
    assert x._version == 0
    assert not ag.randn(2).clone().requires_grad


def test_contiguous_returns_self_when_already_contiguous_else_a_clone():
    x = ag.randn(3, 4, requires_grad=True)
    assert x.contiguous() is x and x.is_contiguous()
    y = x.T
    assert not y.is_contiguous()
    assert y.contiguous().is_contiguous() and y.contiguous().grad_fn.name == "clone"


@pytest.mark.parametrize("method, dtype", [
    ("float", np.float32), ("double", np.float64), ("half", np.float16), ("long", np.int64),
    ("int", np.int32), ("short", np.int16), ("byte", np.uint8), ("bool", np.bool_),
])
def test_casts_give_the_pytorch_dtype(method, dtype):
    torch = pytest.importorskip("torch")
    data = np.array([[0.0, 1.5], [-2.0, 3.0]])
    result = getattr(ag.tensor(data), method)()
    expected = getattr(torch.tensor(data), method)()
    assert result.dtype == dtype
    assert result.dtype.name == str(expected.dtype).replace("torch.", "").replace("uint8", "uint8")
    np.testing.assert_array_equal(result.data, expected.numpy())


def test_a_cast_that_changes_nothing_returns_the_tensor_itself_as_torch():
    x = ag.randn(2, requires_grad=True)
    assert x.float() is x and x.to(ag.float32) is x and x.to("cpu") is x and x.cpu() is x
    assert x.type_as(ag.zeros(1)) is x and x.type(ag.float32) is x


def test_float_casts_stay_differentiable_and_integer_casts_leave_the_graph():
    x = ag.tensor([1.5, -2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == np.float32
    np.testing.assert_array_equal(x.grad.data, [3.0, 3.0])
    assert not x.long().requires_grad and not x.bool().requires_grad


@pytest.mark.parametrize("args, kwargs, dtype", [
    ((ag.float64,), {}, np.float64), (("cpu", ag.float64), {}, np.float64),
    ((), {"device": "cpu", "dtype": ag.long}, np.int64), ((ag.device("cpu"),), {}, np.float32),
    ((ag.zeros(1, dtype=ag.float16),), {}, np.float16), ((), {"non_blocking": True}, np.float32),
])
def test_to_accepts_pytorchs_forms(args, kwargs, dtype):
    x = ag.tensor([1.0, 2.0])
    assert x.to(*args, **kwargs).dtype == dtype


def test_to_with_copy_true_copies():
    x = ag.tensor([1.0, 2.0])
    y = x.to("cpu", copy=True)
    assert y is not x and not np.shares_memory(y.data, x.data)


@pytest.mark.parametrize("make", [
    lambda lib, x: x.new_zeros(2, 3), lambda lib, x: x.new_zeros((2, 3)),
    lambda lib, x: x.new_ones([4]), lambda lib, x: x.new_full((2, 2), 7),
    lambda lib, x: x.new_tensor([[1, 2], [3, 4]]), lambda lib, x: x.new_empty(3).shape,
    lambda lib, x: x.new_zeros(2, dtype=lib.int64),
])
def test_new_tensors_take_the_dtype_of_self_as_torch(make):
    torch = pytest.importorskip("torch")
    ours = make(ag, ag.zeros(1, dtype=ag.float64))
    theirs = make(torch, torch.zeros(1, dtype=torch.float64))
    if isinstance(theirs, tuple):
        assert ours == tuple(theirs)
        return
    assert ours.dtype.name == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_array_equal(ours.data, theirs.numpy())


# ------------------------------------------------------------------ queries


def test_queries_match_torch():
    torch = pytest.importorskip("torch")
    data = np.zeros((2, 3, 4), dtype=np.float32)
    for make in (lambda lib, x: x, lambda lib, x: x.transpose(0, 2), lambda lib, x: x[:, ::2]):
        ours, theirs = make(ag, ag.tensor(data)), make(torch, torch.tensor(data))
        assert ours.numel() == ours.nelement() == theirs.numel()
        assert ours.dim() == ours.ndimension() == theirs.dim()
        assert ours.stride() == theirs.stride() and ours.stride(-1) == theirs.stride(-1)
        assert ours.is_contiguous() == theirs.is_contiguous()
        assert ours.element_size() == theirs.element_size()
        assert ours.is_floating_point() and not ours.long().is_floating_point()
        assert ours.get_device() == theirs.get_device() == -1
        assert ours.is_cuda is theirs.is_cuda is False
    assert ag.numel(ag.zeros(3, 5)) == 15 and ag.is_tensor(ag.zeros(1)) and not ag.is_tensor(1)


def test_device_answers_for_the_cpu_only():
    assert not ag.cuda.is_available() and ag.cuda.device_count() == 0
    assert not ag.accelerator.is_available() and not ag.backends.mps.is_available()
    device = ag.device("cuda" if ag.cuda.is_available() else "cpu")
    assert str(device) == "cpu" and device == "cpu" and device.type == "cpu"
    assert ag.randn(2).to(device).dtype == np.float32
    ag.backends.cudnn.deterministic = True  # the seeding snippet's line is accepted


# ------------------------------------------------------------------ dim= everywhere


def _public_functions():
    import nn.functional

    for module, names in ((ag, ag.__all__), (F, nn.functional.__all__)):
        for name in names:
            function = getattr(module, name)
            if inspect.isfunction(function):
                yield f"{module.__name__}.{name}", inspect.signature(function).parameters


def test_every_function_with_axis_or_keepdims_also_takes_dim_or_keepdim():
    # dims= is PyTorch's own name where it takes several (flip, roll)
    missing = [name for name, parameters in _public_functions()
               if ("axis" in parameters and not {"dim", "dims"} & set(parameters))
               or ("keepdims" in parameters and "keepdim" not in parameters)]
    assert missing == []


@pytest.mark.parametrize("name, numpy_call, torch_call", [
    ("sum", lambda x: x.sum(axis=1, keepdims=True), lambda x: x.sum(dim=1, keepdim=True)),
    ("mean", lambda x: ag.mean(x, axis=(0, 2)), lambda x: ag.mean(x, dim=(0, 2))),
    ("amax", lambda x: ag.amax(x, axis=1), lambda x: ag.amax(x, dim=1)),
    ("max values", lambda x: x.max(axis=1), lambda x: x.max(dim=1).values),
    ("min values", lambda x: x.min(axis=-1), lambda x: x.min(dim=-1)[0]),
    ("var", lambda x: x.var(axis=0, ddof=1), lambda x: x.var(dim=0)),
    ("softmax", lambda x: ag.softmax(x, axis=0), lambda x: ag.softmax(x, dim=0)),
    ("F.log_softmax", lambda x: F.log_softmax(x, axis=1), lambda x: F.log_softmax(x, dim=1)),
    ("logsumexp", lambda x: x.logsumexp(axis=2), lambda x: x.logsumexp(dim=2)),
    ("concatenate", lambda x: ag.concatenate([x, x], axis=2),
     lambda x: ag.concatenate([x, x], dim=2)),
    ("stack", lambda x: ag.stack([x, x], axis=-1), lambda x: ag.stack([x, x], dim=-1)),
    ("expand_dims", lambda x: ag.expand_dims(x, axis=1), lambda x: ag.expand_dims(x, dim=1)),
    ("squeeze", lambda x: x[:, :1].squeeze(axis=1), lambda x: x[:, :1].squeeze(dim=1)),
])
def test_dim_and_keepdim_mean_axis_and_keepdims(name, numpy_call, torch_call):
    x = ag.tensor(np.random.default_rng(5).standard_normal((2, 3, 4)))
    np.testing.assert_array_equal(numpy_call(x).data, torch_call(x).data)


# ------------------------------------------------------------------ PyTorch names we lack


@pytest.mark.parametrize("name, advice", [
    ("storage", r"x.data .*np.shares_memory"), ("pin_memory", r"no GPU"),
    ("bfloat16", r"half\(\)"), ("detach_", r"x = x.detach\(\)"),
    ("exp_", r"write x = x.exp\(\), or x.copy_\(x.exp\(\)\)"),
])
def test_a_missing_pytorch_method_says_what_to_use(name, advice):
    x = ag.ones(2)
    assert not hasattr(x, name)
    with pytest.raises(AttributeError, match=rf"'Tensor' object has no attribute '{name}': .*"
                                             + advice):
        getattr(x, name)()


def test_the_refusals_cost_nothing_on_attribute_reads():
    # A class with __getattr__ makes every attribute read slower: tensors are read on every op.
    assert "__getattr__" not in vars(ag.Tensor)


def test_a_missing_module_name_says_what_to_use_or_suggests_close_names():
    with pytest.raises(AttributeError, match=r"'optim': from nn import optim"):
        ag.optim  # noqa: B018
    with pytest.raises(AttributeError, match=r"'unsqeeze'; did you mean unsqueeze"):
        ag.unsqeeze  # noqa: B018
    assert not hasattr(ag, "definitely_not_a_name")
