"""docs/tutorial.ipynb runs top to bottom, and its committed outputs match a fresh run's shape.

The structure compared, cell by cell: which outputs each code cell has (streams by name,
results and displays by MIME type), not the numbers or timings in them. Needs nbclient and
ipykernel (``pip install -e ".[notebook]"``), Graphviz's ``dot``, matplotlib and the
Fashion-MNIST files; skipped without them.
"""

import os
import shutil
from pathlib import Path

import pytest

from nn.datasets import FASHION_MNIST_ROOT

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")
pytestmark = pytest.mark.skipif(
    not (shutil.which("dot") and os.path.isdir(FASHION_MNIST_ROOT)),
    reason="needs Graphviz's dot and Fashion-MNIST",
)

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "docs" / "tutorial.ipynb"


def shape(notebook) -> list:
    """For every code cell, its outputs as (kind, stream name or MIME types); runs of one
    stream count once (a kernel may split a stream into several messages)."""
    cells = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for output in cell.outputs:
            if output.output_type == "stream":
                kind = ("stream", output.name)
            else:
                kind = (output.output_type, tuple(sorted(output.get("data", {}))))
            if not outputs or outputs[-1] != kind or kind[0] != "stream":
                outputs.append(kind)
        cells.append(outputs)
    return cells


@pytest.fixture(scope="module")
def fresh_run(tmp_path_factory):
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    cwd = tmp_path_factory.mktemp("tutorial")
    client = nbclient.NotebookClient(notebook, timeout=600, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    # The kernel imports this checkout, with one BLAS thread as the rest of the suite.
    client.execute(env={**os.environ, "PYTHONPATH": str(ROOT), "OPENBLAS_NUM_THREADS": "1"})
    return notebook, cwd


def test_notebook_runs_without_errors(fresh_run):
    notebook, cwd = fresh_run
    errors = [output for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.outputs if output.output_type == "error"]
    assert not errors
    assert (cwd / "backward.html").is_file()  # section 2 writes the trace page


def test_committed_outputs_match_a_fresh_run(fresh_run):
    committed = nbformat.read(NOTEBOOK, as_version=4)
    assert shape(committed) == shape(fresh_run[0])


def test_every_code_cell_has_committed_output():
    committed = nbformat.read(NOTEBOOK, as_version=4)
    code_cells = [cell for cell in committed.cells if cell.cell_type == "code"]
    assert code_cells and all(cell.outputs for cell in code_cells)
    assert [cell.execution_count for cell in code_cells] == list(range(1, len(code_cells) + 1))


def test_tutorial_covers_the_learning_path():
    text = NOTEBOOK.read_text(encoding="utf-8")
    for needle in ("trace_backward", "zero_grad", "nn.fit", "plot_history", "confusion_matrix",
                   'color_by=\\"grad_norm\\"', "gradcheck", "ag.Function", "no hidden layer"):
        assert needle in text, needle
