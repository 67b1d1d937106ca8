"""Side by side with PyTorch (skipped when torch is not installed): same weights, same numbers."""

import numpy as np
import pytest

import autograd as ag
import nn
from nn import functional as F

torch = pytest.importorskip("torch")
TF = torch.nn.functional


def pair(array, requires_grad=True):
    return (ag.Tensor(array.copy(), requires_grad=requires_grad),
            torch.tensor(array.copy(), requires_grad=requires_grad))


def close(ours, theirs, rtol=1e-10, atol=1e-12):
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=rtol, atol=atol)


def test_mlp_with_copied_weights_gives_the_same_outputs_and_gradients():
    reference = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.GELU(), torch.nn.Linear(4, 2),
                                    torch.nn.Tanh()).double()
    ours = nn.Sequential(nn.Linear(3, 4), nn.GELU(), nn.Linear(4, 2), nn.Tanh()).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in reference.state_dict().items()})
    x_ours, x_torch = pair(np.random.default_rng(0).standard_normal((5, 3)))
    out_ours, out_torch = ours(x_ours), reference(x_torch)
    close(out_ours, out_torch)
    labels = np.array([0, 1, 1, 0, 1])
    F.cross_entropy(out_ours, labels, label_smoothing=0.1).backward()
    TF.cross_entropy(out_torch, torch.tensor(labels), label_smoothing=0.1).backward()
    close(x_ours.grad, x_torch.grad)
    for p, q in zip(ours.parameters(), reference.parameters()):
        close(p.grad, q.grad)


def test_linear_init_has_the_same_bounds_as_pytorch():
    torch.manual_seed(0)
    reference = torch.nn.Linear(300, 200)
    ours = nn.Linear(300, 200)
    for name in ("weight", "bias"):
        theirs = getattr(reference, name).detach().numpy()
        mine = getattr(ours, name).data
        assert np.abs(mine).max() <= 1 / np.sqrt(300) and np.abs(theirs).max() <= 1 / np.sqrt(300)
        assert mine.std() == pytest.approx(theirs.std(), rel=0.05)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_weights_ignore_and_smoothing(reduction, smoothing):
    rng = np.random.default_rng(1)
    logits = rng.standard_normal((2, 5, 3))
    labels = rng.integers(0, 5, (2, 3))
    labels[0, 1] = -100
    weight = rng.uniform(0.5, 2.0, 5)
    ours, theirs = pair(logits)
    a = F.cross_entropy(ours, labels, weight, reduction=reduction, label_smoothing=smoothing)
    b = TF.cross_entropy(theirs, torch.tensor(labels), torch.tensor(weight), reduction=reduction,
                         label_smoothing=smoothing)
    close(a, b)
    a.sum().backward()
    b.sum().backward()
    close(ours.grad, theirs.grad)


@pytest.mark.parametrize("name, ours_fn, torch_fn", [
    ("mse", F.mse_loss, TF.mse_loss), ("l1", F.l1_loss, TF.l1_loss),
    ("huber", lambda a, b, reduction: F.huber_loss(a, b, reduction=reduction, delta=0.5),
     lambda a, b, reduction: TF.huber_loss(a, b, reduction=reduction, delta=0.5)),
    ("bce_logits", F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits),
])
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_pairwise_losses(name, ours_fn, torch_fn, reduction):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((4, 3)) * 3
    y = rng.uniform(0, 1, (4, 3))
    ours, theirs = pair(x)
    a = ours_fn(ours, y, reduction=reduction)
    b = torch_fn(theirs, torch.tensor(y), reduction=reduction)
    close(a, b)
    a.sum().backward()
    b.sum().backward()
    close(ours.grad, theirs.grad)


def test_bce_with_pos_weight_and_bce_at_the_clamp():
    x = np.array([[0.0, 0.3, 1.0], [0.9, 0.5, 0.2]])
    y = np.array([[1.0, 0.0, 0.0], [1.0, 0.5, 0.0]])
    ours, theirs = pair(x)
    a = F.binary_cross_entropy(ours, y, np.array([1.0, 2.0, 0.5]), reduction="sum")
    b = TF.binary_cross_entropy(theirs, torch.tensor(y), torch.tensor([1.0, 2.0, 0.5],
                                dtype=torch.float64), reduction="sum")
    close(a, b)
    a.backward()
    b.backward()
    close(ours.grad, theirs.grad, rtol=1e-12)
    logits, theirs = pair(x * 10 - 3)
    pos_weight = np.array([0.5, 2.0, 3.0])
    a = F.binary_cross_entropy_with_logits(logits, y, pos_weight=pos_weight)
    b = TF.binary_cross_entropy_with_logits(theirs, torch.tensor(y),
                                            pos_weight=torch.tensor(pos_weight))
    close(a, b)


@pytest.mark.parametrize("approximate", ["none", "tanh"])
def test_gelu(approximate):
    ours, theirs = pair(np.linspace(-9, 9, 91))
    a, b = F.gelu(ours, approximate=approximate), TF.gelu(theirs, approximate=approximate)
    # Both sides compute 1 + tanh(u) ~ 0 for x << 0: absolute rounding of order |x| * 1e-16.
    close(a, b, rtol=1e-14, atol=1e-14)
    a.sum().backward()
    b.sum().backward()
    close(ours.grad, theirs.grad, rtol=1e-13, atol=1e-14)


def test_embedding_with_padding():
    weights = np.random.default_rng(3).standard_normal((6, 4))
    ours = nn.Embedding.from_pretrained(weights, freeze=False, padding_idx=2)
    theirs = torch.nn.Embedding.from_pretrained(torch.tensor(weights), freeze=False,
                                                padding_idx=2)
    ids = np.array([[2, 1, 5], [0, 2, 1]])
    a, b = ours(ids), theirs(torch.tensor(ids))
    close(a, b)
    a.sum().backward()
    b.sum().backward()
    close(ours.weight.grad, theirs.weight.grad)
