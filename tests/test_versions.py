"""Version counters: a backward that needs a value changed in place since it was saved refuses.

Issue 11 item 2: ``loss.backward(retain_graph=True); optimizer.step(); loss.backward()`` and
the GAN pattern used to differentiate at the new values silently.
"""

import numpy as np
import pytest

import autograd as ag
import nn

MODIFIED = "modified by an inplace operation"


def leaf(values):
    return ag.Tensor(np.asarray(values, dtype=np.float64), requires_grad=True)


def test_backward_after_an_in_place_parameter_update_raises_naming_the_op_and_shape():
    model = nn.Linear(3, 2)
    loss = model(ag.randn(4, 3)).sum()
    loss.backward(retain_graph=True)
    with ag.no_grad():
        for p in model.parameters():
            p -= 0.1 * p.grad
    # version 2: nn.init's fill at construction was the first change, as in PyTorch
    with pytest.raises(RuntimeError, match=rf"linear: .*{MODIFIED}: input 1 of 'linear' "
                                           r"\(shape \(2, 3\), float32\) is at version 2"):
        loss.backward()


def test_gan_pattern_discriminator_step_between_two_backwards_raises():
    generator, discriminator = nn.Linear(2, 3), nn.Linear(3, 1)
    fake = generator(ag.randn(5, 2))
    verdict = discriminator(fake).mean()
    verdict.backward(retain_graph=True)  # the discriminator's step ...
    with ag.no_grad():
        for p in discriminator.parameters():
            p -= 0.01 * p.grad
    with pytest.raises(RuntimeError, match=MODIFIED):  # ... then the generator's
        verdict.backward()


def test_an_op_that_saved_nothing_from_the_changed_tensor_still_differentiates():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    y = (a + b).sum()  # add saves nothing
    with ag.no_grad():
        a += 1
    y.backward()
    np.testing.assert_allclose(a.grad.data, [1.0, 1.0])


def test_the_saved_output_changed_in_place_raises():
    x = leaf([0.5, 1.0])
    y = x.exp()  # exp's backward needs its output
    y.add_(1.0)
    with pytest.raises(RuntimeError, match=rf"exp: .*{MODIFIED}: its output of 'exp'"):
        y.sum().backward()


def test_a_view_shares_its_base_version_counter():
    x = leaf(np.arange(6.0))
    view = x.reshape(2, 3)
    saved = (view * view).sum()  # mul saved the view
    with ag.no_grad():
        x[0] = 10.0  # written through the base
    assert view._version == x._version == 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        saved.backward()


def test_detach_shares_the_version_counter_as_in_pytorch():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    x.detach().mul_(2.0)
    assert x._version == 1
    with pytest.raises(RuntimeError, match=MODIFIED):
        y.backward()


def test_version_counts_every_in_place_change():
    t = ag.zeros(3)
    t += 1
    t.mul_(2)
    t[0] = 5
    t.zero_()
    assert t._version == 4


def test_a_graph_recorded_after_the_change_differentiates_normally():
    model = nn.Linear(2, 1)
    optimizer = nn.optim.SGD(model.parameters(), lr=0.1)
    for _ in range(3):
        optimizer.zero_grad()
        model(ag.ones(1, 2)).sum().backward()
        optimizer.step()
    np.testing.assert_allclose(model.weight.grad.data, [[1.0, 1.0]])


def test_user_function_saved_tensor_changed_in_place_raises():
    class Square(ag.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return 2 * x * grad

    x = leaf([1.0, 2.0])
    y = Square.apply(x).sum()
    with ag.no_grad():
        x.mul_(3.0)
    with pytest.raises(RuntimeError, match=rf"Square: .*{MODIFIED}: input 0 of 'Square'"):
        y.backward()


def test_same_error_as_pytorch_on_the_same_program():
    torch = pytest.importorskip("torch")
    t = torch.tensor([0.5, 1.0], requires_grad=True)
    ty = t.exp()
    ty.add_(1.0)
    with pytest.raises(RuntimeError, match=MODIFIED):
        ty.sum().backward()
