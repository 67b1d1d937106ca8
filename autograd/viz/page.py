"""The page of ``Trace.to_html``: the drawn graph as inline SVG plus a small stepping script.

Self-contained: no network, no external files. The graph is drawn in the
micrograd style with every gradient the backward pass produced; the script
first blanks the gradients (``grad ?``), then each step fills in what that op
sent to its inputs (summed where an input receives several contributions),
highlights the op, the tensor its gradient arrives at and its inputs, and
shows the numbers in a side panel.
"""

from __future__ import annotations

import html
import json
import os

import numpy as np

from autograd.viz import drawing, scene
from autograd.viz.style import grad_text
from autograd.viz.walk import Gradients, walk

PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: Helvetica, Arial, sans-serif; margin: 0; color: #111827; }}
header {{ display: flex; align-items: center; gap: 12px; padding: 10px 16px;
          border-bottom: 1px solid #e5e7eb; background: #f9fafb; }}
header h1 {{ font-size: 18px; margin: 0 12px 0 0; }}
button {{ font-size: 15px; padding: 4px 12px; cursor: pointer; }}
#counter {{ font-weight: bold; min-width: 8em; }}
main {{ display: flex; gap: 16px; padding: 16px; align-items: flex-start; }}
#graph {{ flex: 1 1 auto; overflow: auto; }}
#graph svg {{ max-width: 100%; height: auto; }}
#panel {{ flex: 0 0 340px; border: 1px solid #e5e7eb; border-radius: 8px; padding: 12px;
          background: #ffffff; }}
#panel h2 {{ margin: 0 0 6px 0; font-size: 20px; }}
#rule {{ font-family: monospace; background: #f3f4f6; padding: 6px; border-radius: 4px; }}
code {{ font-size: 14px; }}
#panel ul {{ padding-left: 18px; }}
.hint {{ color: #6b7280; font-size: 13px; }}
g.current ellipse {{ fill: #fed7aa; stroke: #ea580c; stroke-width: 3px; }}
g.arriving a > polygon:first-of-type {{ fill: #dbeafe; }}
g.arriving polygon {{ stroke: #2563eb; stroke-width: 2px; }}
g.receiving a > polygon:first-of-type {{ fill: #dcfce7; }}
g.receiving polygon {{ stroke: #16a34a; stroke-width: 2px; }}
g.edge.flowing path {{ stroke: #ea580c; stroke-width: 2.5px; }}
g.edge.flowing polygon {{ stroke: #ea580c; fill: #ea580c; }}
</style>
</head>
<body>
<header>
<h1>{title}</h1>
<button id="prev" type="button">&#9664; Previous</button>
<button id="next" type="button">Next &#9654;</button>
<span id="counter"></span>
<span class="hint">arrow keys &larr; &rarr; step too</span>
</header>
<main>
<div id="graph">{svg}</div>
<div id="panel">
<h2 id="op-name"></h2>
<div id="rule"></div>
<p id="arriving"><span id="output-name"></span><code id="grad-output"></code></p>
<p id="sent-title"></p>
<ul id="grad-inputs"></ul>
</div>
</main>
<script id="steps" type="application/json">{steps}</script>
<script>
{script}
</script>
</body>
</html>
"""

SCRIPT = """
"use strict";
const data = JSON.parse(document.getElementById("steps").textContent);
const steps = data.steps;
let current = 0;
const gradCells = {};
for (const id of data.tensors) {
  const node = document.getElementById(id);
  if (!node) continue;
  for (const text of node.querySelectorAll("text")) {
    if (text.textContent.startsWith("grad ")) gradCells[id] = text;
  }
}
function setText(id, value) { document.getElementById(id).textContent = value; }
function show(k) {
  current = Math.max(0, Math.min(steps.length - 1, k));
  const step = steps[current];
  for (const cell of Object.values(gradCells)) cell.textContent = "grad ?";
  for (let j = 0; j <= current; j++) {
    for (const [id, text] of Object.entries(steps[j].grads)) {
      if (gradCells[id]) gradCells[id].textContent = "grad " + text;
    }
  }
  for (const node of document.querySelectorAll(".current, .arriving, .receiving, .flowing")) {
    node.classList.remove("current", "arriving", "receiving", "flowing");
  }
  if (step.op) document.getElementById(step.op).classList.add("current");
  if (step.output) document.getElementById(step.output).classList.add("arriving");
  for (const input of step.inputs) {
    if (input.grad !== null) document.getElementById(input.id).classList.add("receiving");
  }
  for (const edge of document.querySelectorAll("g.edge")) {
    const ends = edge.querySelector("title").textContent.split("->");
    if (step.op && ends.includes(step.op)) edge.classList.add("flowing");
  }
  setText("counter", current === 0 ? "Start" : "Step " + current + " of " + (steps.length - 1));
  setText("op-name", step.name);
  setText("rule", step.rule);
  setText("output-name", step.output_label);
  setText("grad-output", step.grad_output);
  setText("sent-title", step.inputs.length ? "sent to its inputs:" : "");
  const list = document.getElementById("grad-inputs");
  list.replaceChildren();
  for (const input of step.inputs) {
    const item = document.createElement("li");
    item.dataset.id = input.id;
    const name = document.createElement("span");
    name.className = "name";
    name.textContent = input.label + ": ";
    const value = document.createElement("code");
    value.textContent = input.grad === null ? "none (needs no gradient)" : input.grad;
    item.append(name, value);
    list.append(item);
  }
  document.getElementById("prev").disabled = current === 0;
  document.getElementById("next").disabled = current === steps.length - 1;
}
document.getElementById("prev").addEventListener("click", () => show(current - 1));
document.getElementById("next").addEventListener("click", () => show(current + 1));
document.addEventListener("keydown", (event) => {
  if (event.key === "ArrowRight") show(current + 1);
  else if (event.key === "ArrowLeft") show(current - 1);
  else if (event.key === "Home") show(0);
  else if (event.key === "End") show(steps.length - 1);
});
show(0);
"""


def write_page(trace, path) -> str:
    """Write the stepping page for ``trace`` (an ``autograd.viz.trace.Trace``) to ``path``."""
    graph = walk(trace.root)
    states, final = _states(trace, graph)
    # Left to right reads like the formula for a few ops; bigger graphs fit a screen top down.
    options = scene.Options(style="micrograd", rankdir="LR" if len(graph.ops) <= 4 else "TB")
    svg = drawing.to_digraph(scene.build(graph, Gradients(arrays=final), options)).pipe(
        format="svg", encoding="utf-8")
    svg = svg[svg.index("<svg"):]
    root_name = trace.root.name or "the root"
    title = f"Backward pass of {root_name}: {len(trace)} step" + "s" * (len(trace) != 1)
    payload = json.dumps({"steps": states, "tensors": [f"t{i}" for i in range(len(graph.tensors))]})
    page = PAGE.format(title=html.escape(title), svg=svg, steps=payload.replace("</", "<\\/"),
                       script=SCRIPT)
    path = os.fspath(path)
    temporary = f"{path}.tmp"
    with open(temporary, "w", encoding="utf-8") as file:
        file.write(page)
    os.replace(temporary, path)
    return path


def _states(trace, graph) -> tuple[list[dict], dict]:
    """The page's steps (a start state, then one per backward step) and the final gradients.

    Each state lists the gradient texts that changed in it; a tensor that gets
    several contributions shows their running sum.
    """
    from autograd.viz.trace import format_gradient

    totals: dict[int, np.ndarray] = {}
    root = trace.root
    start_grad = trace[0].grad_output if len(trace) else np.ones_like(root.data)
    totals[0] = start_grad
    root_label = root.name or "the root"
    states = [{
        "op": None, "name": "Start", "output": "t0", "output_label": f"d {root_label} / d "
        f"{root_label} = ", "grad_output": format_gradient(start_grad),
        "rule": "backward() starts at the root with gradient 1 (or the gradient passed in), "
                "then visits each op once all its consumers have sent their gradients.",
        "inputs": [], "grads": {"t0": grad_text(start_grad)},
    }]
    for step in trace:
        j = graph.op_index(step.node)
        if j is None:
            continue  # not reachable from the root (cannot happen for one backward pass)
        output = graph.output_of[j]
        changed, inputs = {}, []
        for i, label, grad in zip(graph.inputs_of(j), step.inputs, step.grad_inputs):
            inputs.append({"id": f"t{i}", "label": label,
                           "grad": None if grad is None else format_gradient(grad)})
            if grad is not None:
                totals[i] = grad if i not in totals else totals[i] + grad
                changed[f"t{i}"] = grad_text(totals[i])
        states.append({
            "op": f"op{j}", "name": step.op, "rule": step.rule, "output": f"t{output}",
            "output_label": f"gradient arriving at {step.output}: ",
            "grad_output": format_gradient(step.grad_output), "inputs": inputs, "grads": changed,
        })
    return states, totals

