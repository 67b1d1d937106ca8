"""Every Python block in README.md runs as written, and prints the output shown after it.

A ```python block followed directly by a ```text block must print that text (numbers
compared to 1e-3 relative, so a different BLAS cannot fail it). Each block runs alone in
a fresh interpreter in an empty directory, as a reader would paste it.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from nn.datasets import FASHION_MNIST_ROOT, WORDS_PATH

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"^```(\w*)\n(.*?)^```\n", re.S | re.M)
NUMBER = re.compile(r"-?\d+\.?\d*(?:e[-+]?\d+)?")


def python_blocks() -> list:
    """(code, expected output or None) for every python block, in order."""
    blocks = [(m.group(1), m.group(2), m.start(), m.end()) for m in BLOCK.finditer(README)]
    found = []
    for k, (language, code, _, end) in enumerate(blocks):
        if language != "python":
            continue
        following = blocks[k + 1] if k + 1 < len(blocks) else None
        adjacent = following and following[0] == "text" and README[end:following[2]].strip() == ""
        found.append(pytest.param(code, following[1] if adjacent else None,
                                  id=f"block{len(found)}-{code.splitlines()[-1][:30]}"))
    return found


def same_text(shown: str, printed: str) -> bool:
    """Equal text, numbers equal to 1e-3 relative."""
    if NUMBER.sub("#", shown.strip()) != NUMBER.sub("#", printed.strip()):
        return False
    pairs = zip(NUMBER.findall(shown), NUMBER.findall(printed))
    return all(abs(float(a) - float(b)) <= 1e-3 * max(1.0, abs(float(a))) for a, b in pairs)


def test_readme_has_the_learner_blocks():
    codes = [param.values[0] for param in python_blocks()]
    assert any("trace_backward" in code for code in codes)
    assert any("zero_grad()" in code and "backward()" in code for code in codes)
    assert sum(param.values[1] is not None for param in python_blocks()) >= 3


@pytest.mark.parametrize(("code", "expected"), python_blocks())
def test_python_block_runs_as_written(code, expected, tmp_path):
    if "fashion_mnist()" in code and not os.path.isdir(FASHION_MNIST_ROOT):
        pytest.skip("needs Fashion-MNIST (apt-get install dataset-fashion-mnist)")
    if "datasets.words()" in code and not os.path.isfile(WORDS_PATH):
        pytest.skip("needs the word list (apt-get install wamerican)")
    if "to_html" in code:
        pytest.importorskip("graphviz")
    if "plot_history" in code:
        pytest.importorskip("matplotlib")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1",
           "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr
    if expected is not None:
        assert same_text(expected, result.stdout), result.stdout


def test_pictures_and_links_in_the_readme_exist():
    targets = re.findall(r"\]\(((?:docs|examples)/[^)#]+)\)", README)
    assert targets
    missing = [target for target in targets if not (ROOT / target).is_file()]
    assert not missing
