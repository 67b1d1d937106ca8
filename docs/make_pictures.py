"""Regenerate every picture in docs/ (run from anywhere: ``python docs/make_pictures.py``).

Needs Graphviz's ``dot``, matplotlib, and for the screenshots of the trace page
Chromium, chromedriver and Selenium (``apt-get install chromium chromium-driver``,
``pip install selenium``).

- micrograd.png: ``L = (a*b + c) * f`` in the micrograd style, every gradient shown.
- backward.html and trace_*.png: ``ag.trace_backward(L).to_html(...)`` and screenshots
  of it at the start, after step 2 and at the end.
- vanishing_gradients_sigmoid.png / _relu.png: an 8-layer MLP's graph coloured by
  gradient size (examples/vanishing_gradients.py --plot).
- cnn_graph.png: the Fashion-MNIST CNN of examples/fashion_mnist_cnn.py, one box per
  layer, coloured by gradient size (checked to be under 1,600 px wide).
- xor.png: examples/xor.py --plot.
"""

from __future__ import annotations

import shutil
import struct
import subprocess
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
sys.path.insert(0, str(ROOT))  # this checkout's autograd and nn

import autograd as ag  # noqa: E402
import nn  # noqa: E402

MAX_WIDTH = 1600  # pixels: a laptop screen


def micrograd_expression():
    """L = (a*b + c) * f with micrograd's numbers: a = 2, b = -3, c = 10, f = -2."""
    a, b, c, f = (ag.tensor(value, requires_grad=True) for value in (2.0, -3.0, 10.0, -2.0))
    a.name, b.name, c.name, f.name = "a", "b", "c", "f"
    e = a * b
    d = e + c
    L = d * f
    e.name, d.name, L.name = "e", "d", "L"
    return L


def micrograd_picture() -> None:
    L = micrograd_expression()
    L.backward(retain_graph=True)  # keep the graph, so the intermediates' gradients show too
    render(ag.draw_graph(L, style="micrograd"), "micrograd")


def cnn_picture() -> None:
    """The example CNN on a batch of 8 images, one box per layer."""
    ag.manual_seed(0)

    def block(channels_in: int, channels_out: int) -> list:
        return [nn.Conv2d(channels_in, channels_out, 3, padding=1),
                nn.BatchNorm2d(channels_out), nn.ReLU(), nn.MaxPool2d(2)]

    model = nn.Sequential(*block(1, 16), *block(16, 32), nn.Flatten(), nn.Dropout(0.25),
                          nn.Linear(32 * 7 * 7, 256), nn.ReLU(), nn.Dropout(0.25),
                          nn.Linear(256, 10))
    images = ag.rand(8, 1, 28, 28)
    images.name = "images"
    with ag.viz.record_modules(model):
        loss = nn.CrossEntropyLoss()(model(images), ag.tensor(list(range(8))))
    loss.backward(retain_graph=True)
    path = render(ag.draw_graph(loss, params=model, rankdir="TB", color_by="grad_norm"),
                  "cnn_graph")
    width = png_size(path)[0]
    if width >= MAX_WIDTH:
        sys.exit(f"error: {path} is {width} px wide, over {MAX_WIDTH}")


def trace_page() -> None:
    page = ag.trace_backward(micrograd_expression()).to_html(DOCS / "backward.html")
    print(f"wrote {page}")
    from selenium import webdriver
    from selenium.webdriver.common.by import By

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(shutil.which("chromedriver")),
                              options=options)
    try:
        driver.get(f"file://{page}")
        driver.execute_script("document.getElementById('next').click()")  # the tallest panel
        height = driver.execute_script(
            "return document.body.scrollHeight + window.outerHeight - window.innerHeight")
        driver.set_window_size(1300, height + 8)
        driver.get(f"file://{page}")
        for clicks, name in ((0, "trace_start"), (2, "trace_step2"), (1, "trace_end")):
            for _ in range(clicks):
                driver.find_element(By.ID, "next").click()
            driver.save_screenshot(str(DOCS / f"{name}.png"))
            print(f"wrote {DOCS / name}.png")
    finally:
        driver.quit()


def run_example(script: str) -> None:
    subprocess.run([sys.executable, str(ROOT / "examples" / script), "--plot", "--out-dir",
                    str(DOCS)], check=True)


def render(drawing, name: str) -> str:
    path = drawing.render(DOCS / name, format="png", cleanup=True)
    print(f"wrote {path}")
    return path


def png_size(path) -> tuple[int, int]:
    with open(path, "rb") as file:
        return struct.unpack(">II", file.read(24)[16:24])


def main() -> None:
    micrograd_picture()
    trace_page()
    run_example("vanishing_gradients.py")
    cnn_picture()
    run_example("xor.py")


if __name__ == "__main__":
    main()
