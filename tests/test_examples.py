"""The example scripts run, print what their docstrings and the README claim, and --plot."""

import math
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from nn.datasets import FASHION_MNIST_ROOT

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
needs_matplotlib = pytest.mark.skipif(
    __import__("importlib").util.find_spec("matplotlib") is None, reason="needs matplotlib")


def run(script: str, *args: str, timeout: int = 300) -> str:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / script), *args],
                            capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("script", [path.name for path in EXAMPLES])
def test_every_example_has_help_and_a_plot_option(script):
    assert "--plot" in run(script, "--help")


@needs_matplotlib
def test_xor_needs_a_hidden_layer(tmp_path):
    output = run("xor.py", "--steps", "400", "--plot", "--out-dir", str(tmp_path))
    blocks = dict(re.findall(r"\n(.+?): final loss ([\d.]+)", output))
    # Without a hidden layer the cross-entropy's minimum is at w = 0: 0.5 everywhere, log 2.
    assert math.isclose(float(blocks["no hidden layer"]), math.log(2), abs_tol=2e-4)
    assert float(blocks["one hidden layer"]) < 0.1
    assert "one hidden layer: final loss" in output and "4/4 on the right side" in output
    remark = output[output.index("remark"):]
    assert "4/4 on the right side" in remark  # x*y as an input: linearly separable
    assert (tmp_path / "xor.png").read_bytes()[:4] == b"\x89PNG"


def test_deep_sigmoid_gradients_vanish_and_relu_ones_do_not(tmp_path):
    args = ["--plot", "--out-dir", str(tmp_path)] if shutil.which("dot") else []
    output = run("vanishing_gradients.py", *args)
    decades = dict(re.findall(r"(\w+): the last layer's gradient is ([\d.]+) decades", output))
    assert float(decades["sigmoid"]) > 5 and float(decades["relu"]) < 2
    if args:
        for activation in ("sigmoid", "relu"):
            picture = tmp_path / f"vanishing_gradients_{activation}.png"
            assert picture.read_bytes()[:4] == b"\x89PNG"


@needs_matplotlib
@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST_ROOT), reason="needs Fashion-MNIST")
def test_fashion_mnist_mlp_saves_reloads_and_plots(tmp_path):
    output = run("fashion_mnist_mlp.py", "--epochs", "1", "--train-size", "3000",
                 "--no-progress", "--plot", "--out-dir", str(tmp_path))
    accuracy, reloaded = re.search(r"test accuracy ([\d.]+)%.*?: ([\d.]+)%", output).groups()
    assert float(accuracy) > 50 and accuracy == reloaded  # 10% is chance
    for name in ("fashion_mnist_mlp.npz", "fashion_mnist_mlp_curves.png",
                 "fashion_mnist_mlp_confusion.png"):
        assert (tmp_path / name).is_file()


@pytest.mark.skipif(not os.path.isdir(FASHION_MNIST_ROOT), reason="needs Fashion-MNIST")
def test_fashion_mnist_mlp_captured_trains_bitwise_as_eager(tmp_path):
    # 2,000 images in batches of 128: every epoch ends with a smaller batch of 80, which
    # the captured step records separately; Dropout draws its masks in every replay
    import numpy as np

    outputs = {}
    for mode in ("eager", "captured"):
        flags = ["--capture"] if mode == "captured" else []
        outputs[mode] = run("fashion_mnist_mlp.py", "--epochs", "2", "--train-size", "2000",
                            "--no-progress", "--out-dir", str(tmp_path / mode), *flags)
    eager, captured = (np.load(tmp_path / mode / "fashion_mnist_mlp.npz")
                       for mode in ("eager", "captured"))
    assert sorted(eager.files) == sorted(captured.files)
    assert sum(key.endswith(("weight", "bias")) for key in eager.files) == 6
    for key in eager.files:
        assert np.array_equal(eager[key], captured[key]), key
    accuracy = [re.search(r"test accuracy ([\d.]+)%", outputs[mode]).group(1) for mode in outputs]
    assert accuracy[0] == accuracy[1] and float(accuracy[0]) > 50


def test_without_plot_no_pictures_are_written(tmp_path):
    run("xor.py", "--steps", "5", "--out-dir", str(tmp_path))
    run("vanishing_gradients.py", "--out-dir", str(tmp_path))
    assert not list(tmp_path.iterdir())
