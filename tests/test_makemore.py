"""examples/makemore.py: every model learns English words, and its PyTorch twin
(benchmarks/makemore_torch.py) computes the same thing.

The training runs are short and small (60 steps, widths 16/32): a few seconds each. The
scripts are loaded from their files here only to compare them; nothing in the library
imports them.
"""

import importlib.util
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import autograd as ag
from nn import datasets

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "makemore.py"
TWIN = ROOT / "benchmarks" / "makemore_torch.py"
MODELS = ["mlp", "rnn", "gru", "lstm", "transformer"]
SMALL = ["--steps", "60", "--eval-every", "30", "--n-embd", "16", "--n-hidden", "32",
         "--batch-size", "32", "--lr", "1e-2", "--no-progress"]
UNIFORM = math.log(27)  # the loss of guessing every one of the 27 tokens alike
needs_words = pytest.mark.skipif(not os.path.isfile(datasets.WORDS_PATH),
                                 reason="needs the word list: apt-get install wamerican")


def load(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def run(*args: str) -> str:
    result = subprocess.run([sys.executable, str(EXAMPLE), *args], capture_output=True,
                            text=True, timeout=300,
                            env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def letter_frequency_loss() -> float:
    """The validation loss of the letter frequencies of the training words: the best a
    model that ignores the context can do (2.94 nats on wamerican)."""
    data = datasets.words()
    _, train_targets = data.contexts("train", 1)
    _, val_targets = data.contexts("val", 1)
    frequencies = np.bincount(train_targets, minlength=27) / len(train_targets)
    return float(-np.mean(np.log(frequencies[val_targets])))


@needs_words
@pytest.mark.parametrize("model", MODELS)
def test_each_model_learns_saves_reloads_and_samples(model, tmp_path):
    plot = ["--plot"] if model == "transformer" else []
    output = run("--model", model, *SMALL, "--out-dir", str(tmp_path), *plot)
    losses = [float(v) for v in re.findall(r"val loss (\d+\.\d+)\n", output)]
    assert len(losses) == 3, output  # steps 0, 30 and 60
    # 60 steps take every model from about uniform guessing (ln 27 = 3.30 nats per
    # character) to at least 0.55 nats lower, and 0.1 below what the letter frequencies
    # alone give: it uses the context.
    assert losses[0] > UNIFORM - 0.1, output
    assert losses[-1] < losses[0] - 0.55 and losses[-1] < letter_frequency_loss() - 0.1, output
    final, reloaded = re.search(r"val loss (\d\.\d+) after 60 steps .*: (\d\.\d+)", output).groups()
    assert float(final) == losses[-1] and final == reloaded
    samples = re.search(r"20 samples \(.*?\): (.*)\n", output).group(1).split()
    assert len(samples) == 20
    assert all(re.fullmatch(r"([a-z]+|\(empty\))[*+]?", word) for word in samples)
    assert (tmp_path / f"makemore_{model}.npz").is_file()
    if plot:
        assert (tmp_path / "makemore_transformer.png").read_bytes()[:4] == b"\x89PNG"


def test_a_missing_word_list_ends_with_advice(tmp_path):
    result = subprocess.run([sys.executable, str(EXAMPLE), "--data", str(tmp_path / "none.txt")],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode != 0 and "apt-get install wamerican" in result.stderr


def test_any_word_file_can_be_the_data(tmp_path):
    names = [a + b + c for a in "bdkmst" for b in "aeiou" for c in "lnrs"]  # 120 words
    path = tmp_path / "names.txt"
    path.write_text("\n".join(names))
    output = run("--model", "mlp", "--data", str(path), "--steps", "30", "--no-progress",
                 "--out-dir", str(tmp_path))
    assert "120 distinct lower-case words of 120 read" in output
    assert "96 train, 12 val, 12 test; longest 3 letters" in output


def test_the_twin_has_the_examples_defaults(monkeypatch):
    monkeypatch.syspath_prepend(str(TWIN.parent))  # the twin imports _harness
    example, twin = load(EXAMPLE, "makemore_example"), load(TWIN, "makemore_twin")
    assert twin.DEFAULTS == example.DEFAULTS and twin.CONTEXT == example.CONTEXT


@needs_words
@pytest.mark.parametrize("model", MODELS)
def test_the_twin_trains_the_same_model_the_same_way(model, monkeypatch):
    """Our model and the twin's, from the same weights (float64), on the same batches:
    the same loss at every step of AdamW and the schedule, and the same validation loss."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # small ops on a busy machine: several threads are much slower
    try:
        compare_one_model(torch, model, monkeypatch)
    finally:
        torch.set_num_threads(threads)


def compare_one_model(torch, model: str, monkeypatch) -> None:
    monkeypatch.syspath_prepend(str(TWIN.parent))  # the twin imports _harness
    example, twin = load(EXAMPLE, "makemore_example"), load(TWIN, "makemore_twin")
    data = datasets.words()
    sizes = dict(vocab_size=27, block_size=data.max_length + 1, n_embd=16, n_hidden=32)
    ag.manual_seed(0)
    ours = example.build_model(model, **sizes).double()
    theirs = twin.define_models(torch)(model, **sizes).double()
    state = ours.state_dict()
    assert sorted(state) == sorted(theirs.state_dict())
    theirs.load_state_dict({key: torch.from_numpy(np.asarray(value))
                            for key, value in state.items()})
    our_optimizer, our_schedule = example.make_optimizer(ours, 1e-2, 20)
    optimizer, schedule = twin.make_optimizer(torch, theirs, 1e-2, 20)
    X, Y = example.dataset(data, "train", model)
    rng = np.random.default_rng(0)
    for _ in range(20):
        batch = example.crop(*(array[rng.integers(0, len(X), 16)] for array in (X, Y)))
        losses = []
        for loss, opt, schedule_ in ((example.loss_of(ours, *batch), our_optimizer, our_schedule),
                                     (twin.loss_of(torch, theirs, *batch), optimizer, schedule)):
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule_.step()
            losses.append(loss.item())
        assert losses[0] == pytest.approx(losses[1], rel=1e-9)
    assert our_optimizer.param_groups[0]["lr"] == pytest.approx(optimizer.param_groups[0]["lr"])
    val = tuple(array[:300] for array in example.dataset(data, "val", model))
    assert example.evaluate(ours, *val) == pytest.approx(twin.evaluate(torch, theirs, *val),
                                                         rel=1e-9)


def test_the_twin_has_help():
    result = subprocess.run([sys.executable, str(TWIN), "--help"], capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0 and "--model" in result.stdout and "--threads" in result.stdout
