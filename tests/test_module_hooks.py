"""Module hooks: forward pre-hooks, forward hooks and full backward hooks, against PyTorch."""

import warnings

import numpy as np
import pytest

import autograd as ag
import nn

# ---------------------------------------------------------------- forward pre-hooks and hooks


class Scale(nn.Module):
    """forward(x, factor=2.0) = x * factor."""

    def forward(self, x, factor=2.0):
        return x * factor


def test_forward_pre_hook_sees_the_arguments_and_may_replace_them():
    module, seen = Scale(), []

    def hook(mod, args):
        seen.append((mod, args))
        return args[0] + 1  # a non-tuple becomes the 1-tuple of arguments

    module.register_forward_pre_hook(hook)
    x = ag.Tensor(np.array([1.0, 2.0]))
    np.testing.assert_array_equal(module(x).data, [4.0, 6.0])
    assert seen[0][0] is module and seen[0][1][0] is x


def test_forward_pre_hook_with_kwargs_may_replace_args_and_kwargs():
    module = Scale()
    module.register_forward_pre_hook(lambda mod, args, kwargs: (args, {"factor": 10.0}),
                                     with_kwargs=True)
    np.testing.assert_array_equal(module(ag.Tensor(np.ones(2)), factor=3.0).data, [10.0, 10.0])


def test_forward_pre_hook_with_kwargs_returning_something_else_is_refused():
    module = Scale()
    module.register_forward_pre_hook(lambda mod, args, kwargs: args, with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"tuple of \(new_args, new_kwargs\)"):
        module(ag.Tensor(np.ones(2)), factor=3.0)


def test_forward_hook_sees_args_and_output_and_may_replace_the_output():
    module, seen = Scale(), []

    def hook(mod, args, output):
        seen.append(output.data.copy())
        return output * 0

    module.register_forward_hook(hook)
    out = module(ag.Tensor(np.array([1.0, 3.0])))
    np.testing.assert_array_equal(seen[0], [2.0, 6.0])
    np.testing.assert_array_equal(out.data, [0.0, 0.0])


def test_forward_hook_with_kwargs_gets_the_keyword_arguments():
    module, seen = Scale(), []
    module.register_forward_hook(lambda mod, args, kwargs, out: seen.append(kwargs),
                                 with_kwargs=True)
    module(ag.Tensor(np.ones(1)), factor=5.0)
    assert seen == [{"factor": 5.0}]


def test_handles_remove_hooks_and_work_as_context_managers():
    module, calls = Scale(), []
    handle = module.register_forward_hook(lambda *a: calls.append("hook"))
    with module.register_forward_pre_hook(lambda *a: calls.append("pre")):
        module(ag.Tensor(np.ones(1)))
    handle.remove()
    handle.remove()  # twice is harmless
    module(ag.Tensor(np.ones(1)))
    assert calls == ["pre", "hook"]


def test_always_call_hook_runs_when_forward_raises_and_the_error_propagates():
    class Broken(nn.Module):
        def forward(self, x):
            raise ValueError("broken forward")

    module, seen = Broken(), []
    module.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
    module.register_forward_hook(lambda mod, args, out: seen.append("not always"))
    with pytest.raises(ValueError, match="broken forward"):
        module(ag.Tensor(np.ones(1)))
    assert seen == [None]


def test_a_hook_that_is_not_callable_is_refused():
    with pytest.raises(TypeError, match="register_forward_hook: the hook must be callable, "
                                        "got int"):
        Scale().register_forward_hook(3)


def call_order(lib, x):
    """The order in which pre-hooks and hooks (some prepended) of a nested model run."""
    events = []
    inner = lib.Linear(2, 2)
    model = lib.Sequential(inner, lib.ReLU())
    for name, target in [("outer", model), ("inner", inner)]:
        target.register_forward_pre_hook(lambda *a, n=name: events.append(n + " pre 1"))
        target.register_forward_pre_hook(lambda *a, n=name: events.append(n + " pre 0"),
                                         prepend=True)
        target.register_forward_hook(lambda *a, n=name: events.append(n + " hook 1"))
        target.register_forward_hook(lambda *a, n=name: events.append(n + " hook 0"),
                                     prepend=True)
    model(x)
    return events


def test_forward_hook_order_matches_torch():
    torch = pytest.importorskip("torch")
    ours = call_order(nn, ag.Tensor(np.ones((1, 2), dtype=np.float32)))
    assert ours == call_order(torch.nn, torch.ones(1, 2))
    assert ours[:2] == ["outer pre 0", "outer pre 1"]


# ---------------------------------------------------------------- full backward hooks vs torch


def as_numpy(value):
    if value is None:
        return None
    return value.detach().numpy() if hasattr(value, "detach") else np.asarray(value.data)


class Recorder:
    """A backward hook that records (grad_input, grad_output) and may transform grad_input."""

    def __init__(self, transform=None):
        self.calls, self.transform = [], transform

    def __call__(self, module, grad_input, grad_output):
        self.calls.append(([as_numpy(g) for g in grad_input], [as_numpy(g) for g in grad_output]))
        return None if self.transform is None else self.transform(grad_input)


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(ours, theirs):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def assert_same_calls(ours, theirs):
    assert len(ours.calls) == len(theirs.calls)
    for (our_in, our_out), (their_in, their_out) in zip(ours.calls, theirs.calls):
        assert_same(our_in, their_in)
        assert_same(our_out, their_out)


RNG = np.random.default_rng(0)
W1, B1 = RNG.normal(size=(4, 3)), RNG.normal(size=4)
W2, B2 = RNG.normal(size=(2, 4)), RNG.normal(size=2)
X = RNG.normal(size=(5, 3))


def two_layers(lib):
    """Linear(3, 4) -> Tanh -> Linear(4, 2) in float64 with the weights above."""
    import torch

    model = lib.Sequential(lib.Linear(3, 4), lib.Tanh(), lib.Linear(4, 2)).double()
    for layer, (w, b) in zip([model[0], model[2]], [(W1, B1), (W2, B2)]):
        if lib is nn:
            layer.weight.data[...], layer.bias.data[...] = w, b
        else:
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(w))
                layer.bias.copy_(torch.from_numpy(b))
    return model


def run_both(register, loss=lambda out: (out**3).sum(), requires_grad=True):
    """Build the two-layer model in both libraries, let ``register(model, lib)`` add hooks,
    run forward and backward; return (ours, theirs) as (model, input)."""
    torch = pytest.importorskip("torch")
    results = []
    for lib, make in [(nn, lambda: ag.Tensor(X.copy(), requires_grad=requires_grad)),
                      (torch.nn, lambda: torch.tensor(X, requires_grad=requires_grad))]:
        model, x = two_layers(lib), make()
        register(model, lib)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns when no input requires grad
            loss(model(x)).backward()
        results.append((model, x))
    return results


def assert_same_gradients(ours, theirs):
    (our_model, our_x), (their_model, their_x) = ours, theirs
    for (name, ours_p), (_, theirs_p) in zip(our_model.named_parameters(),
                                             their_model.named_parameters()):
        np.testing.assert_allclose(ours_p.grad.data, theirs_p.grad.numpy(), rtol=1e-12,
                                   atol=1e-14, err_msg=name)
    if their_x.requires_grad:
        assert (our_x.grad is None) == (their_x.grad is None)
        if their_x.grad is not None:
            np.testing.assert_allclose(our_x.grad.data, their_x.grad.numpy(), rtol=1e-12,
                                       atol=1e-14)


@pytest.mark.parametrize("layer", [0, 1, 2])
def test_backward_hook_gets_torchs_grad_input_and_grad_output(layer):
    hooks = {}

    def register(model, lib):
        hooks[lib] = Recorder()
        model[layer].register_full_backward_hook(hooks[lib])

    ours, theirs = run_both(register)
    import torch

    assert_same_calls(hooks[nn], hooks[torch.nn])
    assert len(hooks[nn].calls) == 1
    assert_same_gradients(ours, theirs)


def test_backward_hook_on_a_container_sees_the_whole_models_gradients():
    hooks = {}

    def register(model, lib):
        hooks[lib] = Recorder()
        model.register_full_backward_hook(hooks[lib])

    run_both(register)
    import torch

    assert_same_calls(hooks[nn], hooks[torch.nn])


def test_replacing_grad_input_changes_every_gradient_upstream_as_in_torch():
    hooks = {}

    def register(model, lib):
        hooks[lib] = Recorder(lambda grad_input: (grad_input[0] * 3.0 - 0.5,))
        model[2].register_full_backward_hook(hooks[lib])

    ours, theirs = run_both(register)
    assert_same_gradients(ours, theirs)
    plain = two_layers(nn)
    (plain(ag.Tensor(X)) ** 3).sum().backward()
    assert not np.allclose(plain[0].weight.grad.data, ours[0][0].weight.grad.data)


def test_backward_pre_hook_replaces_grad_output_as_in_torch():
    def register(model, lib):
        model[0].register_full_backward_pre_hook(lambda m, grad_output: (grad_output[0] ** 2,))

    ours, theirs = run_both(register)
    assert_same_gradients(ours, theirs)


def test_hooks_of_nested_modules_run_in_torchs_order():
    events = {}

    def register(model, lib):
        events[lib] = log = []
        for name, module in [("model", model), ("first", model[0]), ("last", model[2])]:
            module.register_full_backward_hook(lambda *a, n=name: log.append(n))
            module.register_full_backward_pre_hook(lambda *a, n=name: log.append(n + " pre"))

    run_both(register)
    import torch

    assert events[nn] == events[torch.nn]


def test_when_no_input_requires_grad_the_hook_gets_none_for_grad_input():
    hooks = {}

    def register(model, lib):
        hooks[lib] = Recorder()
        model[0].register_full_backward_hook(hooks[lib])

    ours, theirs = run_both(register, requires_grad=False)
    import torch

    assert_same_calls(hooks[nn], hooks[torch.nn])
    assert hooks[nn].calls[0][0] == [None]
    assert_same_gradients(ours, theirs)


def test_a_hook_of_a_module_whose_inputs_need_no_grad_may_not_replace_them():
    layer = nn.Linear(2, 1)
    layer.register_full_backward_hook(lambda m, gi, go: (ag.Tensor(np.ones((1, 2))),))
    with pytest.raises(RuntimeError, match="must return None or None for every gradient"), \
            pytest.warns(UserWarning, match="no inputs require gradients"):
        layer(ag.Tensor(np.ones((1, 2), dtype=np.float32))).sum().backward()


class Mixed(nn.Module):
    """forward(a, n, b, c, d): several inputs, one a number, one without grad, one unused;
    two outputs."""

    def forward(self, a, n, b, c, d):
        return a * b * n + c, b * 2


def run_mixed(lib, transform=None, use_second=True):
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(1)
    values = [rng.normal(size=(2, 3)), rng.normal(size=(3,)), rng.normal(size=(2, 3)),
              rng.normal(size=(4,))]
    flags = [True, True, False, True]
    if lib is nn:
        module = Mixed()
        inputs = [ag.Tensor(v, requires_grad=f) for v, f in zip(values, flags)]
    else:
        class TorchMixed(torch.nn.Module):
            forward = Mixed.forward

        module = TorchMixed()
        inputs = [torch.tensor(v, requires_grad=f) for v, f in zip(values, flags)]
    recorder = Recorder(transform)
    module.register_full_backward_hook(recorder)
    a, b, c, d = inputs
    first, second = module(a, 1.5, b, c, d)
    loss = (first**2).sum() + ((second * 3).sum() if use_second else 0)
    loss.backward()
    return recorder, inputs


@pytest.mark.parametrize("use_second", [True, False], ids=["both-outputs", "unused-output"])
def test_grad_input_and_grad_output_have_torchs_structure(use_second):
    torch = pytest.importorskip("torch")
    ours, _ = run_mixed(nn, use_second=use_second)
    theirs, _ = run_mixed(torch.nn, use_second=use_second)
    assert_same_calls(ours, theirs)
    grad_input, grad_output = ours.calls[0]
    assert grad_input[1] is None  # a number
    np.testing.assert_array_equal(grad_input[3], np.zeros((2, 3)))  # no requires_grad: zeros
    np.testing.assert_array_equal(grad_input[4], np.zeros(4))  # used by nothing: zeros
    assert (grad_output[1] is None) == (not use_second)


def test_a_none_replacement_leaves_that_input_without_gradient_as_in_torch():
    torch = pytest.importorskip("torch")

    def drop_first(grad_input):
        return (None,) + tuple(grad_input[1:])

    _, ours = run_mixed(nn, drop_first)
    _, theirs = run_mixed(torch.nn, drop_first)
    for our_input, their_input in zip(ours, theirs):
        assert (our_input.grad is None) == (their_input.grad is None)
        if their_input.grad is not None:
            np.testing.assert_allclose(our_input.grad.data, their_input.grad.numpy(),
                                       rtol=1e-12)
    assert ours[0].grad is None


def test_second_derivatives_through_a_hooked_module_match_torch():
    torch = pytest.importorskip("torch")
    results = []
    for lib, tensor in [(nn, lambda v: ag.Tensor(v, requires_grad=True)),
                        (torch.nn, lambda v: torch.tensor(v, requires_grad=True))]:
        model, x = two_layers(lib), tensor(X.copy())
        model[2].register_full_backward_hook(lambda m, gi, go: (gi[0] * 2,))
        out = (model(x) ** 3).sum()
        grad_fn = ag.grad if lib is nn else torch.autograd.grad
        (grad_x,) = grad_fn(out, [x], create_graph=True)
        (grad_x**2).sum().backward()
        results.append([as_numpy(x.grad)] + [as_numpy(p.grad) for p in model.parameters()])
    for ours, theirs in zip(*results):
        np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)


def test_a_retained_graph_calls_the_hook_on_every_backward():
    layer, recorder = nn.Linear(3, 2).double(), Recorder()
    layer.register_full_backward_hook(recorder)
    out = (layer(ag.Tensor(X, requires_grad=True)) ** 2).sum()
    out.backward(retain_graph=True)
    out.backward()
    assert len(recorder.calls) == 2
    assert_same(recorder.calls[0][0], recorder.calls[1][0])


def test_a_removed_backward_hook_is_not_called_and_no_grad_skips_hooks():
    layer, recorder = nn.Linear(3, 2).double(), Recorder()
    handle = layer.register_full_backward_hook(recorder)
    with ag.no_grad():
        out = layer(ag.Tensor(X, requires_grad=True))
    assert not out.requires_grad
    handle.remove()
    layer(ag.Tensor(X, requires_grad=True)).sum().backward()
    assert recorder.calls == []


@pytest.mark.parametrize("returned, message", [
    (lambda gi: (gi[0], gi[0]),
     "Linear: backward hook returned an invalid number of gradients, got 2, but expected 1"),
    (lambda gi: (ag.Tensor(np.ones((2, 2))),),
     r"Linear: backward hook returned a gradient of shape \(2, 2\) at position 0, "
     r"expected \(5, 3\)"),
])
def test_a_bad_replacement_is_refused_naming_the_module(returned, message):
    layer = nn.Linear(3, 2).double()
    layer.register_full_backward_hook(lambda m, gi, go: returned(gi))
    with pytest.raises(RuntimeError, match=message):
        layer(ag.Tensor(X, requires_grad=True)).sum().backward()


def test_an_output_that_is_not_a_tensor_or_tuple_gets_a_warning():
    class Dict(nn.Module):
        def forward(self, x):
            return {"y": x * 2}

    module = Dict()
    module.register_full_backward_hook(lambda *a: None)
    with pytest.warns(UserWarning, match="module output should be a Tensor or a tuple"):
        module(ag.Tensor(np.ones(2), requires_grad=True))
