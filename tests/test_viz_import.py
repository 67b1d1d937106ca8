"""`import autograd` needs NumPy alone: graphviz is loaded when a graph is drawn."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def run(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python whose ``import graphviz`` fails, from this checkout."""
    blocked = "import sys; sys.modules['graphviz'] = None\n"  # as if it were not installed
    return subprocess.run([sys.executable, "-c", blocked + code], cwd=ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})


def test_import_autograd_works_without_graphviz():
    result = run("import autograd as ag\n"
                 "x = ag.tensor([1.0, 2.0], requires_grad=True)\n"
                 "(x * x).sum().backward()\n"
                 "print(x.grad.tolist())")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[2.0, 4.0]"


def test_draw_graph_without_graphviz_says_how_to_install_it():
    result = run("import autograd as ag\n"
                 "x = ag.tensor([1.0, 2.0], requires_grad=True)\n"
                 "try:\n"
                 "    ag.draw_graph((x * x).sum())\n"
                 "except ImportError as error:\n"
                 "    print(error)\n")
    assert result.returncode == 0, result.stderr
    assert "pip install graphviz" in result.stdout
    assert "apt-get install graphviz" in result.stdout


def test_trace_backward_without_graphviz_still_runs():
    result = run("import autograd as ag\n"
                 "x = ag.tensor(3.0, requires_grad=True)\n"
                 "steps = ag.trace_backward((x * x).tanh())\n"
                 "print([step.op for step in steps])")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "['tanh', 'mul']"


@pytest.mark.parametrize("module", ["autograd", "autograd.viz", "autograd.viz.trace"])
def test_importing_does_not_load_graphviz_even_when_installed(module):
    code = f"import sys, {module}; print('graphviz' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, env={"PYTHONPATH": str(ROOT), "PATH": ""})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
