"""Devices: only the CPU exists, and one check says so everywhere.

Every place that takes a device (the factories' and ``ag.tensor``'s ``device=``,
``Tensor(..., device=)``, ``x.to(...)``, ``Module.to(...)``, ``ag.device(...)``,
layers' ``device=``) calls :func:`check_device`, so a PyTorch script that asks
for a GPU gets one error type (``RuntimeError``, as PyTorch raises for a device
it was not built for) with one message.
"""

from __future__ import annotations

NO_GPU = ("there is no GPU backend (autograd is not compiled with CUDA or any accelerator: it "
          "computes with NumPy, on the CPU). Leave the tensor where it is (write `device = "
          "'cuda' if ag.cuda.is_available() else 'cpu'` and `x.to(device)`, which is 'cpu' "
          "here)")


class device:  # noqa: N801 - PyTorch's name
    """PyTorch's device object; only ``"cpu"`` exists. ``str(ag.device("cpu")) == "cpu"``."""

    def __init__(self, type: str = "cpu", index: int | None = None) -> None:  # noqa: A002
        check_device("device", str(type) if index is None else f"{type}:{index}")
        self.type, self.index = "cpu", None

    def __str__(self) -> str:
        return self.type

    def __repr__(self) -> str:
        return f"device(type='{self.type}')"

    def __eq__(self, other) -> bool:
        return str(other) == self.type

    def __hash__(self) -> int:
        return hash(self.type)


def is_device(value) -> bool:
    """True for what names a device: a string (``"cpu"``, ``"cuda:0"``) or a ``device``."""
    return isinstance(value, (str, device))


def check_device(name: str, value) -> None:
    """Accept no device (``None``) or the CPU (``"cpu"``, ``"cpu:0"``, ``ag.device("cpu")``).

    Any other device raises ``RuntimeError`` naming ``name`` and the device;
    a value that names no device raises ``TypeError``.
    """
    if value is None or isinstance(value, device):
        return
    if not isinstance(value, str):
        raise TypeError(f"{name}: expected a device ('cpu' or ag.device('cpu')), got {value!r}")
    if value.split(":")[0] != "cpu":
        raise RuntimeError(f"{name}: device {value!r} is not available: {NO_GPU}")
