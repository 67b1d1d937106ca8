"""draw_graph: the DOT it builds (nodes, edges, labels, colours) and rendering with Graphviz."""

import json
import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import numpy as np
import pytest

import autograd as ag
import nn
from autograd.viz import GraphNotFoundError, draw_graph

NODE = re.compile(r"^\s*(t\d+|op\d+) \[(.*)\]$")
EDGE = re.compile(r"^\s*(t\d+|op\d+) -> (t\d+|op\d+)")
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def parse(graph):
    """DOT source -> ({tensor id: attrs}, {op id: attrs}, [(tail, head)])."""
    tensors, ops, edges = {}, {}, []
    for line in graph.source.splitlines():
        node, edge = NODE.match(line), EDGE.match(line)
        if node:
            (tensors if node.group(1).startswith("t") else ops)[node.group(1)] = node.group(2)
        elif edge:
            edges.append(edge.groups())
    return tensors, ops, edges


def attr(attrs: str, key: str) -> str:
    match = re.search(rf'\b{key}=("[^"]*"|\S+)', attrs)
    return match.group(1).strip('"') if match else None


def label_of(attrs: str) -> str:
    return re.search(r"label=<(.*?)> \w+=", attrs + " end=").group(1)


def op_name(attrs: str) -> str:
    return re.search(r"<b>(.*?)</b>", attrs).group(1)


def find(nodes: dict, text: str) -> str:
    """Id of the only node whose label contains ``text``."""
    hits = [key for key, attrs in nodes.items() if text in label_of(attrs)]
    assert len(hits) == 1, (text, hits)
    return hits[0]


def luminance(colour: str) -> float:
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return 0.2126 * r**2.2 + 0.7152 * g**2.2 + 0.0722 * b**2.2


def expression():
    """(a * b + c).sum() with a, b of shape (2, 3) and c of shape (3,)."""
    a = ag.tensor([[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]], requires_grad=True)
    b = ag.tensor([[2.0, 2.0, 2.0], [2.0, 2.0, 2.0]], requires_grad=True)
    c = ag.tensor([1.0, 2.0, 3.0], requires_grad=True)
    a.name, b.name, c.name = "a", "b", "c"
    return a, b, c, (a * b + c).sum()


def test_expression_has_exactly_its_ops_tensors_and_edges():
    a, b, c, loss = expression()
    tensors, ops, edges = parse(draw_graph(loss))
    assert sorted(op_name(attrs) for attrs in ops.values()) == ["add", "mul", "sum"]
    assert len(tensors) == 6  # a, b, c, a*b, a*b+c, loss
    mul, add, total = (find(ops, f"<b>{name}</b>") for name in ("mul", "add", "sum"))
    ta, tb, tc = (find(tensors, f"<b>{name}</b>") for name in "abc")
    (product,) = [head for tail, head in edges if tail == mul]
    (summed,) = [head for tail, head in edges if tail == add]
    expected = {
        (ta, mul), (tb, mul), (mul, product), (product, add), (tc, add), (add, summed),
        (summed, total), (total, "t0"),
    }
    assert len(edges) == 8 and set(edges) == expected


@pytest.mark.parametrize(
    ("name", "shape_text"),
    [("a", "(2, 3) float32"), ("b", "(2, 3) float32"), ("c", "(3,) float32")],
)
def test_tensor_labels_show_shape_and_dtype(name, shape_text):
    *_, loss = expression()
    tensors, _, _ = parse(draw_graph(loss))
    assert shape_text in label_of(tensors[find(tensors, f"<b>{name}</b>")])


def test_scalar_root_shows_its_value_and_double_border():
    *_, loss = expression()  # sum(a * 2 + c) = 2 * 15 + 2 * 6 = 42
    tensors, _, _ = parse(draw_graph(loss))
    assert "= 42" in label_of(tensors["t0"])
    assert attr(tensors["t0"], "peripheries") == "2"


def test_params_dict_names_parameter_nodes():
    w = ag.tensor([[1.0, 2.0]], requires_grad=True)
    bias = ag.tensor([0.5], requires_grad=True)
    x = ag.tensor([[3.0], [4.0]])
    loss = (w @ x + bias).sum()
    tensors, _, _ = parse(draw_graph(loss, params={"0.weight": w, "0.bias": bias}))
    weight_node = find(tensors, "<b>0.weight</b>")
    assert "(1, 2)" in label_of(tensors[weight_node])
    assert "(1,)" in label_of(tensors[find(tensors, "<b>0.bias</b>")])
    assert attr(tensors[weight_node], "color") == "#15803d"  # the parameter colour


def test_params_object_with_named_parameters():
    class Model:
        def __init__(self):
            self.weight = ag.tensor([2.0, 3.0], requires_grad=True)

        def named_parameters(self):
            yield "layer.weight", self.weight

    model = Model()
    loss = (model.weight * model.weight).sum()
    tensors, _, edges = parse(draw_graph(loss, params=model))
    weight_node = find(tensors, "<b>layer.weight</b>")
    assert sum(tail == weight_node for tail, _ in edges) == 2  # x * x: two edges into mul


def test_nn_module_names_its_parameters():
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    loss = model(ag.ones(4, 2)).sum()
    tensors, _, _ = parse(draw_graph(loss, params=model))
    for name, shape in [("0.weight", "(3, 2)"), ("0.bias", "(3,)"), ("2.weight", "(1, 3)"),
                        ("2.bias", "(1,)")]:
        assert shape in label_of(tensors[find(tensors, f"<b>{name}</b>")])
    # without params, nn.Parameter's own .name (the attribute name) is the label
    plain, _, _ = parse(draw_graph(loss))
    assert sum("<b>weight</b>" in label_of(attrs) for attrs in plain.values()) == 2


def test_tensor_name_attribute_is_used_without_params():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    x.name = "features"
    tensors, _, _ = parse(draw_graph(x.tanh().sum()))
    assert "<b>features</b>" in label_of(tensors[find(tensors, "features")])


def test_params_as_name_tensor_pairs():
    a, b, c, loss = expression()
    tensors, _, _ = parse(draw_graph(loss, params=iter([("layer.a", a), ("layer.b", b)])))
    assert "(2, 3)" in label_of(tensors[find(tensors, "<b>layer.a</b>")])
    # with params given, only those are parameters: c keeps its name but is a plain leaf
    assert attr(tensors[find(tensors, "<b>c</b>")], "color") == "#1d4ed8"


@pytest.mark.parametrize("params", [[1, 2], 3.0])
def test_bad_params_raise(params):
    *_, loss = expression()
    with pytest.raises(TypeError, match="draw_graph: params must be a dict"):
        draw_graph(loss, params=params)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"color_by": "magnitude"}, ValueError, "color_by must be None or 'grad_norm'"),
        ({"rankdir": "XY"}, ValueError, "rankdir must be one of"),
    ],
)
def test_bad_arguments_raise(kwargs, error, message):
    *_, loss = expression()
    with pytest.raises(error, match=message):
        draw_graph(loss, **kwargs)


def test_root_must_be_a_tensor():
    with pytest.raises(TypeError, match="draw_graph: root must be a Tensor, got list"):
        draw_graph([1.0, 2.0])


def test_kinds_look_different():
    w = ag.tensor([1.0, 2.0], requires_grad=True)
    w.name = "w"
    x = ag.tensor([3.0, 4.0], requires_grad=True)
    const = ag.tensor([5.0, 6.0])
    tensors, _, _ = parse(draw_graph(((w * x) * const).sum(), show_data=True, params={"w": w}))
    look = {
        key: (attr(attrs, "color"), attr(attrs, "style"), attr(attrs, "peripheries"))
        for key, attrs in tensors.items()
    }
    kinds = {"root": "t0", "w": find(tensors, "<b>w</b>"), "x": find(tensors, "= [3, 4]"),
             "const": find(tensors, "= [5, 6]"), "w*x": find(tensors, "= [3, 8]")}
    assert len({look[node] for node in kinds.values()}) == 5
    assert "dashed" in look[kinds["const"]][1]


def test_leaf_gradients_after_backward_are_shown_signed():
    a, b, c, loss = expression()
    loss.backward()
    tensors, _, _ = parse(draw_graph(loss))
    # d/da sum(a*b + c) = b = 2 everywhere; d/db = a; d/dc = 2 per entry (c is added to 2 rows).
    assert "grad [[2, 2, 2], [2, 2, 2]]" in label_of(tensors[find(tensors, "<b>a</b>")])
    assert "grad [[0, 1, 2], [3, 4, 5]]" in label_of(tensors[find(tensors, "<b>b</b>")])
    assert "grad [2, 2, 2]" in label_of(tensors[find(tensors, "<b>c</b>")])
    assert "grad" not in graph_labels(parse(draw_graph(loss, show_grad=False))[0])


def test_negative_gradients_keep_their_sign():
    x = ag.tensor([1.0, -2.0], requires_grad=True)
    x.name = "x"
    loss = (x * ag.tensor([-4.0, 0.5])).sum()
    loss.backward()
    tensors, _, _ = parse(draw_graph(loss))
    assert "grad [-4, 0.5]" in label_of(tensors[find(tensors, "<b>x</b>")])


def test_big_tensors_show_the_per_element_rms_of_their_gradient():
    w = ag.tensor(np.ones((3, 4)), requires_grad=True)
    w.name = "w"
    scale = np.arange(12.0).reshape(3, 4)
    loss = (w * ag.tensor(scale)).sum()
    loss.backward()
    tensors, _, _ = parse(draw_graph(loss))
    expected = np.sqrt(np.mean(scale**2))  # d loss / d w = scale
    assert f"grad rms {expected:.2g}" in label_of(tensors[find(tensors, "<b>w</b>")])


def test_tooltips_hold_statistics_and_op_shapes():
    a, b, c, loss = expression()
    loss.backward()
    tensors, ops, _ = parse(draw_graph(loss))
    values = np.arange(6.0)  # a's entries
    expected = f"mean {values.mean():.4g}  std {values.std():.4g}  min 0  max 5"
    tooltip = attr(tensors[find(tensors, "<b>a</b>")], "tooltip")
    assert f"values: {expected}" in tooltip and "grad rms 2;" in tooltip
    mul_tooltip = attr(ops[find(ops, "<b>mul</b>")], "tooltip")
    assert "inputs: (2, 3) float32, (2, 3) float32" in mul_tooltip
    assert "output: (2, 3) float32" in mul_tooltip


def graph_labels(tensors: dict) -> str:
    return " ".join(label_of(attrs) for attrs in tensors.values())


@pytest.mark.parametrize(
    ("values", "shown", "hidden"),
    [
        (np.array([1.5, -2.0, 3.25]), "[1.5, -2, 3.25]", "mean"),
        (np.arange(10.0), "mean 4.5  min 0  max 9", "[0, 1"),
    ],
)
def test_show_data_shows_small_tensors_in_full_and_summarises_big_ones(values, shown, hidden):
    x = ag.tensor(values, requires_grad=True)
    x.name = "x"
    loss = x.sum()
    label = label_of(parse(draw_graph(loss, show_data=True))[0]["t1"])
    assert shown in label and hidden not in label
    assert shown not in label_of(parse(draw_graph(loss))[0]["t1"])


def test_scalar_constant_shows_its_value():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    tensors, _, _ = parse(draw_graph((x * 2.5).sum()))
    constant = [attrs for attrs in tensors.values() if "dashed" in attr(attrs, "style")]
    assert len(constant) == 1 and "<b>2.5</b>" in label_of(constant[0])


def test_nan_is_flagged():
    x = ag.tensor([1.0, -1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        loss = x.log().sum()  # log(-1) = nan
    tensors, _, _ = parse(draw_graph(loss))
    flagged = [key for key, attrs in tensors.items() if "1 nan in data" in label_of(attrs)]
    assert sorted(flagged) == ["t0", "t1"]  # the log output and the sum


class Cube(ag.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x**3

    @staticmethod
    def backward(ctx, grad):  # d/dx x**3 = 3 x**2
        (x,) = ctx.saved_tensors
        return grad * 3 * x**2


def test_user_function_class_name_is_the_op_name():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    _, ops, _ = parse(draw_graph(Cube.apply(x).sum()))
    assert sorted(op_name(attrs) for attrs in ops.values()) == ["Cube", "sum"]


def test_op_parameters_are_shown():
    x = ag.tensor(np.ones((2, 3)), requires_grad=True)
    _, ops, _ = parse(draw_graph(x.sum(axis=1).sum()))
    assert any("axes=(1,)" in label_of(attrs) for attrs in ops.values())


def test_output_is_deterministic():
    sources = {draw_graph(expression()[-1], color_by="grad_norm").source for _ in range(2)}
    assert len(sources) == 1


def test_deep_graph_needs_no_recursion():
    x = ag.tensor([1.0], requires_grad=True)
    y = x
    for _ in range(1500):
        y = y * 1.0
    tensors, ops, edges = parse(draw_graph(y.sum()))
    # 1500 muls + sum; tensors: x, 1500 mul outputs, 1500 constants, the root
    assert len(ops) == 1501 and len(tensors) == 3002 and len(edges) == 3 * 1500 + 2


def test_leaf_root_is_a_single_node():
    x = ag.tensor([1.0, 2.0], requires_grad=True)
    tensors, ops, edges = parse(draw_graph(x))
    assert list(tensors) == ["t0"] and not ops and not edges


@needs_dot
@pytest.mark.parametrize("color_by", [None, "grad_norm"])
def test_renders_svg_that_parses_as_xml(tmp_path, color_by):
    *_, loss = expression()
    path = draw_graph(loss, color_by=color_by).render(tmp_path / "graph", format="svg")
    root = ET.parse(path).getroot()
    assert root.tag.endswith("svg")
    assert sum(1 for el in root.iter() if el.get("class") == "node") == 6 + 3


@needs_dot
@pytest.mark.parametrize("rankdir", ["TB", "LR"])
def test_inputs_are_laid_out_in_call_order(rankdir):
    first = ag.tensor([1.0], requires_grad=True)
    second = ag.tensor([2.0], requires_grad=True)
    first.name, second.name = "first", "second"
    # The walk meets `second` before `first`, so only input ordering keeps first - second.
    graph = draw_graph((first - second) * second, rankdir=rankdir)
    layout = json.loads(graph.pipe(format="json"))
    xy = {o["name"]: [float(v) for v in o["pos"].split(",")] for o in layout["objects"]}
    _, ops, edges = parse(graph)
    for op in ops:
        left, right = [tail for tail, head in edges if head == op]
        if rankdir == "TB":  # first input on the left
            assert xy[left][0] < xy[right][0]
        else:  # first input on top (Graphviz's y grows upwards)
            assert xy[left][1] > xy[right][1]


@needs_dot
def test_renders_png(tmp_path):
    *_, loss = expression()
    path = draw_graph(loss).render(tmp_path / "graph", format="png")
    with open(path, "rb") as file:
        assert file.read(8) == b"\x89PNG\r\n\x1a\n"


@pytest.mark.parametrize("action", ["render", "pipe"])
def test_missing_dot_says_how_to_install_graphviz(tmp_path, monkeypatch, action):
    *_, loss = expression()
    graph = draw_graph(loss)  # building needs no Graphviz
    monkeypatch.setenv("PATH", str(tmp_path))
    call = {"render": lambda: graph.render(tmp_path / "g", format="svg"),
            "pipe": lambda: graph.pipe(format="svg")}[action]
    with pytest.raises(GraphNotFoundError, match="apt-get install graphviz") as info:
        call()
    assert isinstance(info.value, graphviz.ExecutableNotFound)
    assert "brew install graphviz" in str(info.value)
