"""examples/port_from_pytorch.py learns, and so does the same body under torch.

The torch run swaps the example's import block for PyTorch's (the lines its
docstring shows) and leaves every other line as it is.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nn.datasets import FASHION_MNIST_ROOT

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "port_from_pytorch.py"
START = "# ---- the imports: the only lines that differ from the PyTorch script ----\n"
END = "# ---- end of the imports ----\n"
TORCH_IMPORTS = """import torch as ag  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn, optim  # noqa: E402
from torch.utils.data import DataLoader, TensorDataset  # noqa: E402

"""
FAST = ["--steps", "150", "--train-size", "6000", "--test-size", "2000"]
RESULT = re.compile(r"loss (\d+\.\d+) -> (\d+\.\d+) .* test accuracy (\d\.\d+)")

needs_data = pytest.mark.skipif(not os.path.isdir(FASHION_MNIST_ROOT),
                                reason="Fashion-MNIST is not installed")


def run(script: Path, args: list) -> str:
    # One thread: on a small shared machine torch's thread pool makes this run slower.
    environment = dict(os.environ, PYTHONPATH=str(ROOT), OMP_NUM_THREADS="1")
    result = subprocess.run([sys.executable, str(script), *args], capture_output=True,
                            text=True, timeout=300, env=environment, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def assert_learns(output: str) -> None:
    """From ~2.3 (10 classes) the loss must fall below half its start; accuracy above 70%."""
    first, last, accuracy = (float(v) for v in RESULT.search(output).groups())
    assert last < 0.5 * first, output
    assert accuracy > 0.7, output


def torch_twin(tmp_path: Path) -> Path:
    """The example with PyTorch's import block; every other line unchanged."""
    source = EXAMPLE.read_text()
    head, rest = source.split(START)
    _, body = rest.split(END)
    twin = tmp_path / "port_to_pytorch.py"
    twin.write_text(head.replace("os.path.dirname(os.path.dirname(os.path.abspath(__file__)))",
                                 repr(str(ROOT))) + TORCH_IMPORTS + body)
    return twin


def test_only_the_import_block_names_the_library():
    source = EXAMPLE.read_text()
    _, rest = source.split(START)
    imports, body = rest.split(END)
    assert "import autograd as ag" in imports
    assert not re.search(r"^\s*(import|from) ", body, re.MULTILINE), "an import in the body"
    assert "autograd" not in body and "np." not in body


def test_help_lists_the_options():
    output = run(EXAMPLE, ["--help"])
    assert "--steps" in output and "--save" in output


@needs_data
def test_the_ported_script_learns_and_reloads_its_state_dict(tmp_path):
    path = tmp_path / "model.npz"
    output = run(EXAMPLE, FAST + ["--save", str(path)])
    assert_learns(output)
    accuracy = RESULT.search(output).group(3)
    assert f"the reloaded model scores {accuracy}" in output and path.exists()


@needs_data
def test_the_same_body_learns_under_torch(tmp_path):
    pytest.importorskip("torch")
    output = run(torch_twin(tmp_path), FAST + ["--save", str(tmp_path / "model.pt")])
    assert_learns(output)
