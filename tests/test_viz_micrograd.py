"""draw_graph for learning: micrograd's record style, intermediates' gradients, compute_grad."""

import re

import numpy as np
import pytest

import autograd as ag
from autograd.viz import draw_graph
from tests.test_viz import find, label_of, parse

# L = (a*b + c) * f with a = 2, b = -3, c = 10, f = -2 (micrograd's first example):
# e = a*b = -6, d = e + c = 4, L = d*f = -8, and by the chain rule
# dL/dd = f = -2, dL/df = d = 4, dL/de = dL/dc = dL/dd = -2, dL/da = -2*b = 6, dL/db = -2*a = -4.
EXPECTED = {"a": (2, 6), "b": (-3, -4), "c": (10, -2), "f": (-2, 4), "e": (-6, -2),
            "d": (4, -2), "L": (-8, 1)}


def expression():
    values = {name: ag.tensor(float(EXPECTED[name][0]), requires_grad=True) for name in "abcf"}
    for name, tensor in values.items():
        tensor.name = name
    a, b, c, f = (values[name] for name in "abcf")
    e = a * b
    d = e + c
    L = d * f
    e.name, d.name, L.name = "e", "d", "L"
    return L


def records(graph) -> dict:
    """{name: (data text, grad text)} from the micrograd style's ``name | data | grad`` cells
    of the named tensors."""
    found = {}
    for attrs in parse(graph)[0].values():
        cells = re.findall(r"<td><font[^>]*>(.*?)</font></td>", attrs)
        if cells[0].startswith("data "):
            continue  # unnamed
        name, data = cells[0], cells[1].removeprefix("data ")
        grad = cells[2].removeprefix("grad ") if len(cells) > 2 else None
        found[name] = (data, grad)
    return found


def test_micrograd_style_shows_signed_values_and_gradients_of_every_node():
    L = expression()
    L.backward(retain_graph=True)
    shown = records(draw_graph(L, style="micrograd"))
    assert shown == {name: (str(data), str(grad)) for name, (data, grad) in EXPECTED.items()}


def test_micrograd_style_draws_operator_symbols():
    L = expression()
    _, ops, _ = parse(draw_graph(L, style="micrograd"))
    labels = sorted(re.search(r'label="?([^" ]+)"?', attrs).group(1) for attrs in ops.values())
    assert labels == ["*", "*", "+"]


def test_before_backward_no_gradients_are_shown_or_computed():
    L = expression()
    shown = records(draw_graph(L, style="micrograd"))
    assert {grad for _, grad in shown.values()} == {"?"}


def test_compute_grad_fills_in_every_gradient_without_touching_dot_grad():
    L = expression()
    shown = records(draw_graph(L, style="micrograd", compute_grad=True))
    assert {name: grad for name, (_, grad) in shown.items()} == {
        name: str(grad) for name, (_, grad) in EXPECTED.items()}
    leaves = [t for t in _leaves(L)]
    assert leaves and all(leaf.grad is None for leaf in leaves)


def _leaves(root):
    stack, found = [root], []
    while stack:
        tensor = stack.pop()
        if tensor.grad_fn is None:
            found.append(tensor)
        else:
            stack.extend(tensor.grad_fn.inputs)
    return found


def test_after_backward_intermediates_show_gradients_while_the_graph_is_kept():
    L = expression()
    L.backward(retain_graph=True)
    tensors, _, _ = parse(draw_graph(L))
    for name in "ed":
        assert f"grad {EXPECTED[name][1]}" in label_of(tensors[find(tensors, f"<b>{name}</b>")])


def test_retained_intermediate_gradient_is_shown_after_backward_freed_the_graph():
    L = expression()
    e = L.grad_fn.inputs[0].grad_fn.inputs[0]
    e.retain_grad()
    L.backward()
    graph = draw_graph(L)
    tensors, _, _ = parse(graph)
    assert "grad -2" in label_of(tensors[find(tensors, "<b>e</b>")])
    assert "grad" not in label_of(tensors[find(tensors, "<b>d</b>")])
    assert "backward() freed the graph" in graph.source


def test_compute_grad_needs_a_scalar_root_and_says_so():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    graph = draw_graph(x * 2.0, compute_grad=True)
    assert "the root has shape (2,)" in graph.source


@pytest.mark.parametrize("style", ["full", "micrograd"])
def test_named_leaves_are_leaves_not_parameters_without_params(style):
    L = expression()
    source = draw_graph(L, style=style).source
    assert "parameter" not in source


def test_bad_style_raises():
    with pytest.raises(ValueError, match="style must be one of"):
        draw_graph(expression(), style="fancy")


def test_micrograd_style_summarises_big_tensors():
    w = ag.tensor(np.ones((3, 4)), requires_grad=True)
    w.name = "w"
    loss = (w * 2.0).sum()
    loss.backward()
    shown = records(draw_graph(loss, style="micrograd"))
    assert shown["w"] == ("(3, 4)", "rms 2")
