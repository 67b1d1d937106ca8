"""Devices: every place that takes one accepts the CPU and refuses any other device
with the same error (``RuntimeError``, as PyTorch raises for a device it was not built
for) and the same message, from the one check in ``autograd/devices.py``."""

from __future__ import annotations

import numpy as np
import pytest

import autograd as ag
import nn

# (what is called, how it is named in the message, the call taking a device)
PLACES = [
    ("tensor", "tensor", lambda d: ag.tensor([1.0, 2.0], device=d)),
    ("Tensor", "Tensor", lambda d: ag.Tensor([1.0, 2.0], device=d)),
    ("zeros", "zeros", lambda d: ag.zeros(2, device=d)),
    ("randn", "randn", lambda d: ag.randn(2, device=d)),
    ("arange", "arange", lambda d: ag.arange(2, device=d)),
    ("full_like", "full_like", lambda d: ag.full_like(ag.ones(2), 3.0, device=d)),
    ("Tensor.to", "to", lambda d: ag.ones(2).to(d)),
    ("Tensor.to(device=)", "to", lambda d: ag.ones(2).to(device=d)),
    ("device", "device", lambda d: ag.device(d)),
    ("Module.to", r"Linear.to\(\)", lambda d: nn.Linear(2, 3).to(d)),
    ("Module.to(device=)", r"Linear.to\(\)", lambda d: nn.Linear(2, 3).to(device=d)),
    ("LSTM(device=)", "LSTM", lambda d: nn.LSTM(2, 3, device=d)),
    ("GRUCell(device=)", "GRUCell", lambda d: nn.GRUCell(2, 3, device=d)),
]


@pytest.mark.parametrize("call", [place[2] for place in PLACES], ids=[p[0] for p in PLACES])
@pytest.mark.parametrize("cpu", ["cpu", "cpu:0", ag.device("cpu")])
def test_every_place_accepts_the_cpu(call, cpu):
    call(cpu)


@pytest.mark.parametrize("call", [place[2] for place in PLACES if place[0] != "device"],
                         ids=[p[0] for p in PLACES if p[0] != "device"])
def test_every_keyword_accepts_no_device(call):
    call(None)


@pytest.mark.parametrize("call, name", [(place[2], place[1]) for place in PLACES],
                         ids=[p[0] for p in PLACES])
@pytest.mark.parametrize("gpu", ["cuda", "cuda:0", "mps"])
def test_every_place_refuses_another_device_with_one_error_and_message(call, name, gpu):
    with pytest.raises(RuntimeError, match=rf"^{name}: device '{gpu}' is not available: there "
                                           r"is no GPU backend \(autograd is not compiled with "
                                           r"CUDA.*x\.to\(device\)"):
        call(gpu)


@pytest.mark.parametrize("make", [lambda: ag.tensor([1.0], device=ag.device("cpu")),
                                  lambda: ag.Tensor(np.ones(1), device="cpu")])
def test_tensor_and_Tensor_on_the_cpu_are_ordinary_tensors(make):
    made = make()
    assert made.device == "cpu" and made.tolist() == [1.0]


def test_what_names_no_device_is_a_type_error():
    with pytest.raises(TypeError, match=r"zeros: expected a device \('cpu' or "
                                        r"ag\.device\('cpu'\)\), got 3\.5"):
        ag.zeros(2, device=3.5)


def test_pytorch_also_refuses_a_device_it_was_not_built_for():
    torch = pytest.importorskip("torch")
    if torch.cuda.is_available():
        pytest.skip("this torch has CUDA")
    with pytest.raises((RuntimeError, AssertionError), match="not compiled with CUDA"):
        torch.zeros(2, device="cuda")
