"""The trace page in a real headless browser: click through every step, check what it shows.

Needs Chromium and chromedriver (Debian: ``apt-get install chromium chromium-driver``),
Selenium (``pip install selenium``) and Graphviz's ``dot``; skipped without them.
Screenshots of every step are saved under the test's temporary directory.
"""

import re
import shutil

import numpy as np
import pytest

import autograd as ag
import nn

webdriver = pytest.importorskip("selenium.webdriver")
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = pytest.mark.skipif(
    not (CHROMIUM and CHROMEDRIVER and shutil.which("dot")),
    reason="needs chromium, chromedriver and Graphviz's dot",
)

# L = (a*b + c) * f with a = 2, b = -3, c = 10, f = -2: the chain rule gives
# dL/dd = f = -2, dL/df = d = 4, dL/de = dL/dc = -2, dL/da = -2 * b = 6, dL/db = -2 * a = -4.
# Backward visits the ops newest first: L = d * f, then d = e + c, then e = a * b.
EXPECTED_STEPS = [
    # (op, tensor the gradient arrives at, its gradient, {input: gradient sent})
    ("mul", "L", "1", {"d": "-2", "f": "4"}),
    ("add", "d", "-2", {"e": "-2", "c": "-2"}),
    ("mul", "e", "-2", {"a": "6", "b": "-4"}),
]


@pytest.fixture(scope="module")
def browser():
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1300,520",
                     "--disable-dev-shm-usage"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=webdriver.ChromeService(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


def micrograd_page(path) -> str:
    a, b, c, f = (ag.tensor(v, requires_grad=True) for v in (2.0, -3.0, 10.0, -2.0))
    a.name, b.name, c.name, f.name = "a", "b", "c", "f"
    e = a * b
    d = e + c
    L = d * f
    e.name, d.name, L.name = "e", "d", "L"
    return ag.trace_backward(L).to_html(path)


def first_text(browser, element) -> str:
    return browser.execute_script("return arguments[0].querySelector('text').textContent",
                                  element)


def op_of(browser, element) -> str:
    return browser.execute_script(
        "return arguments[0].querySelector('a').getAttribute('xlink:title')", element)


def shown_gradients(browser) -> dict:
    """{tensor name: the text of its grad cell} as the SVG shows it now."""
    return browser.execute_script("""
        const found = {};
        for (const node of document.querySelectorAll('g.node')) {
          const texts = [...node.querySelectorAll('text')].map(t => t.textContent);
          const grad = texts.find(t => t.startsWith('grad '));
          if (grad && !texts[0].startsWith('data ')) found[texts[0]] = grad.slice(5);
        }
        return found;""")


def highlighted(browser) -> tuple:
    current = browser.find_elements(By.CSS_SELECTOR, "g.current")
    arriving = browser.find_elements(By.CSS_SELECTOR, "g.arriving")
    receiving = browser.find_elements(By.CSS_SELECTOR, "g.receiving")
    return ([op_of(browser, el) for el in current], [first_text(browser, el) for el in arriving],
            sorted(first_text(browser, el) for el in receiving))


def panel(browser) -> tuple:
    items = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#grad-inputs li")]
    return (browser.find_element(By.ID, "op-name").text,
            browser.find_element(By.ID, "grad-output").text, items)


def test_clicking_through_every_step_highlights_the_op_and_shows_the_chain_rule(
        browser, tmp_path):
    browser.get("file://" + micrograd_page(tmp_path / "trace.html"))
    assert browser.find_element(By.ID, "counter").text == "Start"
    assert highlighted(browser) == ([], ["L"], [])
    assert browser.find_element(By.ID, "prev").get_attribute("disabled") == "true"
    assert shown_gradients(browser) == {"a": "?", "b": "?", "c": "?", "d": "?", "e": "?",
                                        "f": "?", "L": "1"}
    browser.save_screenshot(str(tmp_path / "step0.png"))
    known = {"L": "1"}
    for k, (op, output, arriving, sent) in enumerate(EXPECTED_STEPS, start=1):
        browser.find_element(By.ID, "next").click()
        assert browser.find_element(By.ID, "counter").text == f"Step {k} of 3"
        assert highlighted(browser) == ([op], [output], sorted(sent))
        assert panel(browser) == (op, arriving, [f"{name}: {g}" for name, g in sent.items()])
        known.update(sent)
        assert shown_gradients(browser) == {name: known.get(name, "?") for name in "abcdefL"}
        browser.save_screenshot(str(tmp_path / f"step{k}.png"))
    assert browser.find_element(By.ID, "next").get_attribute("disabled") == "true"


def test_arrow_keys_step_back_and_forth(browser, tmp_path):
    browser.get("file://" + micrograd_page(tmp_path / "trace.html"))
    body = browser.find_element(By.TAG_NAME, "body")
    for _ in range(5):  # past the end stays at the end
        body.send_keys(Keys.ARROW_RIGHT)
    assert browser.find_element(By.ID, "counter").text == "Step 3 of 3"
    body.send_keys(Keys.ARROW_LEFT)
    assert browser.find_element(By.ID, "counter").text == "Step 2 of 3"
    assert highlighted(browser)[0] == ["add"]
    assert shown_gradients(browser)["a"] == "?"  # stepping back hides what comes later
    body.send_keys(Keys.HOME)
    assert browser.find_element(By.ID, "counter").text == "Start"


def test_every_step_of_a_small_network_highlights_the_op_backward_ran(browser, tmp_path):
    np.random.seed(0)
    model = nn.Sequential(nn.Linear(2, 3), nn.Tanh(), nn.Linear(3, 1))
    x, target = ag.tensor([[0.5, -1.0]]), ag.tensor([[1.0]])
    loss = nn.MSELoss()(model(x), target)
    trace = ag.trace_backward(loss)
    browser.get("file://" + trace.to_html(tmp_path / "mlp.html"))
    for k, step in enumerate(trace, start=1):
        browser.find_element(By.ID, "next").click()
        assert browser.find_element(By.ID, "counter").text == f"Step {k} of {len(trace)}"
        assert highlighted(browser)[0] == [step.op]
        expected = [f"{name}: {'none (needs no gradient)' if g is None else _fmt(g)}"
                    for name, g in zip(step.inputs, step.grad_inputs)]
        assert panel(browser)[2] == expected
    weight_grad = model[0].weight.grad.data  # the last steps reached the first layer
    assert weight_grad.shape == (3, 2) and np.all(np.isfinite(weight_grad))
    browser.save_screenshot(str(tmp_path / "mlp_last.png"))


def _fmt(grad) -> str:
    from autograd.viz.trace import format_gradient

    return format_gradient(grad)


def test_page_needs_no_network(tmp_path):
    page = open(micrograd_page(tmp_path / "trace.html"), encoding="utf-8").read()
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "<link" not in page and "@import" not in page
    assert page.count("<svg") == 1 and "<script>" in page
