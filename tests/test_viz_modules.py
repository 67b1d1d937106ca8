"""draw_graph(loss, params=model): one box per module, record_modules, compact mode."""

import re
import shutil
import struct

import numpy as np
import pytest

import autograd as ag
import nn
from autograd.viz import draw_graph, record_modules
from tests.test_viz import label_of, op_name, parse

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` not installed")


def boxes(graph) -> dict:
    """{node id: label of the innermost box around it} from the DOT source."""
    found, stack = {}, []
    for line in graph.source.splitlines():
        if re.match(r"\s*subgraph cluster_\d+ \{", line):
            stack.append(None)
        elif re.match(r"\s*\}$", line) and stack:
            stack.pop()
        elif stack and (label := re.match(r'\s*graph \[.*\blabel="([^"]*)"', line)):
            stack[-1] = label.group(1)
        elif stack and (node := re.match(r"\s*(t\d+|op\d+|m\d+) \[", line)):
            found[node.group(1)] = stack[-1]
    return found


def op_boxes(graph) -> list[tuple[str, str]]:
    """(op name, its box label or "") for every op node, sorted."""
    _, ops, _ = parse(graph)
    inside = boxes(graph)
    return sorted((op_name(attrs), inside.get(key) or "") for key, attrs in ops.items())


def model_and_loss(record: bool):
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Dropout(0.5),
                          nn.Linear(4, 2))
    x = ag.randn(5, 3)
    if record:
        with record_modules(model):
            loss = model(x).sum()
    else:
        loss = model(x).sum()
    return model, loss


def test_recorded_forward_puts_every_op_in_the_box_of_its_module():
    model, loss = model_and_loss(record=True)
    assert op_boxes(draw_graph(loss, params=model)) == sorted([
        ("linear", "0: Linear"), ("normalize", "1: BatchNorm1d"), ("reshape", "1: BatchNorm1d"),
        ("mul", "1: BatchNorm1d"), ("reshape", "1: BatchNorm1d"), ("add", "1: BatchNorm1d"),
        ("relu", "2: ReLU"), ("mul", "3: Dropout"), ("linear", "4: Linear"), ("sum", "")])


def test_parameters_and_the_dropout_mask_sit_in_their_module_but_outputs_between_boxes():
    model, loss = model_and_loss(record=True)
    graph = draw_graph(loss, params=model)
    tensors, _, edges = parse(graph)
    inside = boxes(graph)
    for key, attrs in tensors.items():
        named = re.search(r"<b>(\d)\.(weight|bias)</b>", label_of(attrs))
        if named:
            assert inside[key].startswith(f"{named.group(1)}: ")
    (mask,) = [key for key, attrs in tensors.items() if "dashed" in attrs and "(5, 4)" in attrs]
    assert inside[mask] == "3: Dropout"
    (relu_op,) = [key for key, box in inside.items() if box == "2: ReLU"]
    (relu_out,) = [head for tail, head in edges if tail == relu_op]
    assert relu_out not in inside  # a module's output lies between its box and the next


def test_record_modules_stops_recording_when_the_block_ends():
    model, _ = model_and_loss(record=True)
    loss = model(ag.randn(5, 3)).sum()  # after the block: only parameter users are boxed
    assert ("relu", "") in op_boxes(draw_graph(loss, params=model))


def test_a_forward_hook_that_replaces_the_output_is_respected():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU())
    model[0].register_forward_hook(lambda module, args, output: output * 2.0)
    with record_modules(model):
        loss = model(ag.randn(2, 3)).sum()
    assert op_boxes(draw_graph(loss, params=model)) == sorted([
        ("linear", "0: Linear"), ("mul", "0: Linear"), ("relu", "1: ReLU"), ("sum", "")])


def test_without_recording_only_ops_using_a_modules_parameters_are_boxed():
    model, loss = model_and_loss(record=False)
    assert op_boxes(draw_graph(loss, params=model)) == sorted([
        ("linear", "0: Linear"), ("normalize", ""), ("reshape", "1: BatchNorm1d"),
        ("mul", "1: BatchNorm1d"), ("reshape", "1: BatchNorm1d"), ("add", "1: BatchNorm1d"),
        ("relu", ""), ("mul", ""), ("linear", "4: Linear"), ("sum", "")])


def test_cluster_false_draws_no_boxes():
    model, loss = model_and_loss(record=True)
    assert "subgraph" not in draw_graph(loss, params=model, cluster=False).source


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(3, 4), nn.Tanh())
        self.head = nn.Linear(4, 1)

    def forward(self, x):
        return self.head(self.features(x) * 2.0)


def test_nested_modules_draw_nested_boxes_and_the_parents_own_ops():
    model = Net()
    with record_modules(model):
        loss = model(ag.randn(2, 3)).sum()
    graph = draw_graph(loss, params=model)
    assert op_boxes(graph) == sorted([("linear", "features.0: Linear"),
                                      ("tanh", "features.1: Tanh"), ("mul", ""),
                                      ("linear", "head: Linear"), ("sum", "")])
    source = graph.source
    outer = source.index("label=\"features: Sequential\"")
    assert source.index("features.0: Linear") > outer  # inside the features box


def test_compact_draws_each_module_as_one_node():
    model, loss = model_and_loss(record=True)
    graph = draw_graph(loss, params=model, compact=True)
    tensors, ops, edges = parse(graph)
    modules = re.findall(r"^\s*(m\d+) \[.*?<b>(.*?)</b>", graph.source, re.M)
    assert [label for _, label in modules] == ["0: Linear", "1: BatchNorm1d", "2: ReLU",
                                              "3: Dropout", "4: Linear"]
    assert [op_name(attrs) for attrs in ops.values()] == ["sum"]
    # x -> m0 -> t -> m1 -> t -> m2 -> t -> m3 -> t -> m4 -> t -> sum -> loss
    chain = dict(re.findall(r"^\s*(t\d+|m\d+|op\d+) -> (t\d+|m\d+|op\d+)", graph.source, re.M))
    node, path = [key for key in tensors if "(5, 3)" in tensors[key]][0], []
    while node in chain:
        node = chain[node]
        path.append(node[0])
    assert "".join(path) == "mtmtmtmtmtot"
    assert "parameters: 16" in graph.source  # Linear(3, 4): 12 weights + 4 biases


def test_compact_can_expand_a_module():
    model, loss = model_and_loss(record=True)
    graph = draw_graph(loss, params=model, compact=True, expand=("1",))
    assert sorted(op_name(a) for a in parse(graph)[1].values()) == [
        "add", "mul", "normalize", "reshape", "reshape", "sum"]
    assert "1: BatchNorm1d" not in re.findall(r"<b>(.*?)</b>", graph.source)


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as file:
        header = file.read(24)
    return struct.unpack(">II", header[16:24])


@needs_dot
def test_the_example_cnn_drawn_with_boxes_fits_a_laptop_screen(tmp_path):
    ag.manual_seed(0)

    def block(channels_in, channels_out):
        return [nn.Conv2d(channels_in, channels_out, 3, padding=1),
                nn.BatchNorm2d(channels_out), nn.ReLU(), nn.MaxPool2d(2)]

    model = nn.Sequential(*block(1, 16), *block(16, 32), nn.Flatten(), nn.Dropout(0.25),
                          nn.Linear(32 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.25),
                          nn.Linear(256, 10))
    with record_modules(model):
        loss = nn.CrossEntropyLoss()(model(ag.randn(4, 1, 28, 28)), ag.tensor([0, 1, 2, 3]))
    loss.backward(retain_graph=True)
    path = draw_graph(loss, params=model, rankdir="TB", color_by="grad_norm").render(
        tmp_path / "cnn", format="png")
    width, _ = png_size(path)
    assert width < 1600


def test_compact_heat_gives_each_module_the_rms_of_its_parameters_gradients():
    model, loss = model_and_loss(record=True)
    loss.backward(retain_graph=True)
    graph = draw_graph(loss, params=model, compact=True, color_by="grad_norm")
    first = model[0]
    grads = np.concatenate([first.weight.grad.data.ravel(), first.bias.grad.data.ravel()])
    expected = np.sqrt(np.mean(grads.astype(np.float64) ** 2))
    (label,) = re.findall(r"<b>0: Linear</b>(.*?)> ", graph.source)
    assert f"grad rms {expected:.2g}" in label
    assert ">module<" in graph.source  # the legend explains the module nodes
