"""The shape of the code: autograd stands alone, and every op is in one place."""

import subprocess
import sys

AUTOGRAD_ALONE = """
import sys
import autograd as ag
from autograd import selfcheck
x = ag.randn(3, 4, requires_grad=True)
(x.tanh() @ ag.ones(4, 2)).sum().backward()
assert selfcheck.main(["--ops", "add,tanh,matmul,softmax", "--trials", "2"]) == 0
assert not [name for name in sys.modules if name == "nn" or name.startswith("nn.")], "nn imported"
"""


def test_importing_and_running_autograd_and_its_selfcheck_never_imports_nn():
    result = subprocess.run([sys.executable, "-c", AUTOGRAD_ALONE], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_op_class_lives_in_an_op_module():
    import nn  # noqa: F401  (its kernels register too)
    from autograd.function import Op

    for name, op in Op.registry.items():
        module = op.__module__
        assert module.startswith(("autograd.ops.", "nn.functional.")), (name, module)
        assert op.__doc__ and op.__doc__.strip(), f"op {name} has no formula in its docstring"
