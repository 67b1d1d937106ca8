"""draw_graph(color_by="grad_norm"): per-element RMS on one fixed log scale, and its colour bar."""

import math
import re

import numpy as np
import pytest

import autograd as ag
from autograd.viz import HEAT, HEAT_DECADES, draw_graph
from tests.test_viz import attr, find, label_of, parse


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r**2.2 + 0.7152 * g**2.2 + 0.0722 * b**2.2


def fill_of(graph, name: str) -> str:
    tensors, _, _ = parse(graph)
    return attr(tensors[find(tensors, f"<b>{name}</b>")], "fillcolor")


def scaled_leaf(name: str, shape: tuple, gradient: float):
    """A leaf and a loss whose gradient with respect to it is ``gradient`` everywhere."""
    leaf = ag.tensor(np.ones(shape), requires_grad=True)
    leaf.name = name
    return leaf, (leaf * gradient).sum()


def test_same_per_element_gradient_gets_the_same_colour_whatever_the_size():
    # A (100, 100) weight and a (100,) bias, each with gradient 1e-3 per element:
    # the L2 norms differ 10x, the per-element RMS does not.
    weight, weight_loss = scaled_leaf("w", (100, 100), 1e-3)
    bias, bias_loss = scaled_leaf("b", (100,), 1e-3)
    loss = weight_loss + bias_loss
    graph = draw_graph(loss, color_by="grad_norm")
    assert fill_of(graph, "w") == fill_of(graph, "b")


def test_colours_mean_the_same_size_in_every_picture():
    # The same gradient in two pictures with very different ranges gets the same colour.
    small, small_loss = scaled_leaf("x", (4,), 1e-3)
    alone = draw_graph(small_loss, color_by="grad_norm")
    other, big_loss = scaled_leaf("y", (4,), 1e1)
    small_again, small_loss_again = scaled_leaf("x", (4,), 1e-3)
    together = draw_graph(small_loss_again + big_loss, color_by="grad_norm")
    assert fill_of(alone, "x") == fill_of(together, "x")
    assert fill_of(together, "x") != fill_of(together, "y")


@pytest.mark.parametrize("decade", range(HEAT_DECADES[0], HEAT_DECADES[1] + 1))
def test_colour_sits_at_its_decade_on_the_fixed_scale(decade):
    _, loss = scaled_leaf("x", (3,), 10.0**decade)
    low, high = HEAT_DECADES
    position = (decade - low) / (high - low)  # where 10**decade lies on the bar, 0..1
    scaled = position * (len(HEAT) - 1)
    anchor = HEAT[round(scaled)]
    fill = fill_of(draw_graph(loss, color_by="grad_norm"), "x")
    if math.isclose(scaled, round(scaled), abs_tol=1e-9):
        assert fill == anchor  # decades that fall on an anchor colour are that colour exactly
    bar = re.findall(r'bgcolor="(#[0-9a-f]{6})"[^>]*><font[^>]*>(?:&le;|&ge;)?1e(-?\d+)<',
                     draw_graph(loss, color_by="grad_norm").source)
    assert dict((int(d), colour) for colour, d in bar)[decade] == fill


def test_brighter_means_larger_gradient():
    fills = []
    for decade in range(-8, 3):
        _, loss = scaled_leaf("x", (3,), 10.0**decade)
        fills.append(fill_of(draw_graph(loss, color_by="grad_norm"), "x"))
    steps = [luminance(fill) for fill in fills]
    assert all(lo < hi for lo, hi in zip(steps, steps[1:]))


@pytest.mark.parametrize(("gradient", "swatch"), [(1e-12, 0), (1e5, -1)])
def test_values_off_the_scale_take_its_end_colours(gradient, swatch):
    _, loss = scaled_leaf("x", (3,), gradient)
    assert fill_of(draw_graph(loss, color_by="grad_norm"), "x") == HEAT[swatch]


def test_colour_bar_lists_every_decade_of_the_fixed_scale():
    _, loss = scaled_leaf("x", (3,), 1.0)
    source = draw_graph(loss, color_by="grad_norm").source
    decades = [int(d) for d in re.findall(r">(?:&le;|&ge;)?1e(-?\d+)<", source)]
    assert decades == list(range(-8, 3))
    assert ">&le;1e-8<" in source and ">&ge;1e2<" in source
    assert ">nan/inf<" in source and ">no grad<" in source


def test_heat_computes_intermediate_gradients_while_the_graph_is_alive():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.name = "x"
    hidden = x * 3.0
    hidden.name = "hidden"
    loss = (hidden * 1e-4).sum()
    graph = draw_graph(loss, color_by="grad_norm")
    tensors, _, _ = parse(graph)
    # d loss / d hidden = 1e-4 per element, d loss / d x = 3e-4
    assert "grad [0.0001, 0.0001]" in label_of(tensors[find(tensors, "<b>hidden</b>")])
    assert "grad [0.0003, 0.0003]" in label_of(tensors[find(tensors, "<b>x</b>")])
    assert x.grad is None  # drawing does not accumulate .grad


def test_after_backward_frees_the_graph_the_picture_says_why_intermediates_are_grey():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.name = "x"
    hidden = (x * 3.0).tanh()  # tanh saves its output: its backward needs the graph
    hidden.name = "hidden"
    loss = hidden.sum()
    loss.backward()
    graph = draw_graph(loss, color_by="grad_norm")
    tensors, _, _ = parse(graph)
    assert "no grad" in label_of(tensors[find(tensors, "<b>hidden</b>")])
    assert attr(tensors[find(tensors, "<b>hidden</b>")], "fillcolor") == "#d1d5db"
    assert "backward() freed the graph" in graph.source
    expected = 3 * (1 - np.tanh(np.array([3.0, 6.0])) ** 2)  # the stored leaf gradient
    shown = re.search(r"grad \[([^\]]*)\]", label_of(tensors[find(tensors, "<b>x</b>")]))
    np.testing.assert_allclose([float(v) for v in shown.group(1).split(",")], expected,
                               rtol=1e-3)


def test_nonfinite_gradient_is_red():
    x = ag.tensor([0.0, 1.0], requires_grad=True)
    x.name = "x"
    with np.errstate(divide="ignore"):
        loss = x.sqrt().sum()  # d/dx sqrt(x) = inf at 0
        graph = draw_graph(loss, color_by="grad_norm")
    assert fill_of(graph, "x") == "#e11d48"
