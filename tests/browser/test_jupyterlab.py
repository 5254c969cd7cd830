"""The course in a real browser: run notebooks in JupyterLab, check widgets are live.

nbval proves the code runs; it never looks at widgets or pictures. Here Chromium opens the
notebooks in JupyterLab, runs every cell (fast mode), and checks that the Gram explorer and the
per-layer contributions render as live widgets (not "Loading widget..." or a text repr), that
moving a slider changes the figure, and that no cell shows an error. Full-page screenshots go
to build/screenshots/ and must not be blank.
"""

from __future__ import annotations

import io
import re
import time

import numpy as np
import pytest
from PIL import Image

from .conftest import SCREENSHOTS, Lab

pytestmark = pytest.mark.browser

ALL_DONE = """() => {
  const prompts = [...document.querySelectorAll('.jp-Notebook .jp-CodeCell .jp-InputPrompt')];
  const texts = prompts.map(p => p.textContent.trim());
  return {n: texts.length, done: texts.filter(t => /^\\[\\d+\\]:$/.test(t)).length,
          busy: texts.filter(t => t === '[*]:').length};
}"""

ERRORS = """() => [...document.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(e => e.innerText).filter(t => /Traceback|^\\w*Error\\b/m.test(t))"""


def _menu(page: object, menu: str, item: str) -> None:
    page.locator(f'.lm-MenuBar-item:has(.lm-MenuBar-itemLabel:text-is("{menu}"))').click()
    entry = page.locator(f'.lm-Menu-item:has(.lm-Menu-itemLabel:text-is("{item}"))')
    if "lm-mod-disabled" in (entry.get_attribute("class") or ""):
        page.keyboard.press("Escape")  # not ready yet (no kernel attached): try again later
        return
    entry.click()


def _dismiss_dialogs(page: object) -> None:
    """Accept any dialog (e.g. "Select Kernel") that would block the run."""
    for button in page.locator(".jp-Dialog .jp-mod-accept").all():
        button.click()


def run_all(page: object, lab: Lab, path: str, timeout: float = 240) -> None:
    """Open ``path`` in JupyterLab, run every cell, wait until all have run.

    "Run All Cells" is clicked again while no cell has started: on a cold machine the first
    kernel can take long enough to attach that the first click lands on a disabled menu item.
    """
    page.goto(lab.notebook_url(path))
    page.wait_for_selector(".jp-Notebook .jp-CodeCell", timeout=60_000)
    lab.wait_for_kernel(path, timeout=120)
    page.wait_for_selector('.jp-Notebook-ExecutionIndicator[data-status="idle"]', timeout=60_000)
    deadline = time.monotonic() + timeout
    state: dict = {}
    started, clicked_at = False, -1e9
    while time.monotonic() < deadline:
        if not started and time.monotonic() - clicked_at > 20:
            _dismiss_dialogs(page)
            _menu(page, "Run", "Run All Cells")
            clicked_at = time.monotonic()
        state = page.evaluate(ALL_DONE)
        started = started or bool(state["busy"] or state["done"])
        if state["n"] and state["done"] == state["n"]:
            break
        if page.evaluate(ERRORS):
            break
        time.sleep(1)
    errors = page.evaluate(ERRORS)
    assert not errors, f"{path}: a cell failed:\n{errors[0][-2000:]}"
    if state.get("done") != state.get("n"):
        name = re.sub(r"\W", "_", path) + "_stuck"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
        pytest.fail(
            f"{path}: cells did not all run: {state}; screenshot {SCREENSHOTS / name}.png; "
            f"server log tail:\n{lab.log_tail()}"
        )


def screenshot(page: object, name: str) -> np.ndarray:
    """A full-page screenshot saved under build/screenshots/, as an array."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll("
        "'.jp-NotebookPanel .jp-WindowedPanel-outer, .jp-NotebookPanel .jp-Notebook')]"
        ".map(e => e.scrollHeight), 0)"
    )
    page.set_viewport_size(
        {"width": 1280, "height": max(900, min(int(height or 900) + 200, 16000))}
    )
    page.evaluate(
        "() => document.querySelectorAll('.jp-NotebookPanel .jp-WindowedPanel-outer')"
        ".forEach(e => e.scrollTo(0, 0))"
    )
    time.sleep(1)  # let the resized notebook lay out and images decode
    png = page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    return np.asarray(Image.open(io.BytesIO(png)).convert("L"), dtype=np.float32)


def check_live_widget(page: object, css: str) -> None:
    """The widget rendered as a live ipywidget whose figure changes when a slider moves."""
    widget = page.locator(f".{css}").first
    widget.wait_for(state="attached", timeout=60_000)
    widget.scroll_into_view_if_needed()
    text = page.locator(".jp-OutputArea").all_inner_texts()
    assert not any("Loading widget" in t for t in text), "widget front-end did not load"
    figure = widget.locator("img").first
    page.wait_for_function(
        "(el) => el.naturalWidth > 0", arg=figure.element_handle(), timeout=30_000
    )
    before = figure.get_attribute("src")
    handle = widget.locator(".noUi-handle").first
    handle.focus()
    for _ in range(3):
        handle.press("ArrowRight")
    page.wait_for_function(
        "([el, old]) => el.getAttribute('src') !== old",
        arg=[figure.element_handle(), before],
        timeout=60_000,
    )


@pytest.mark.parametrize(
    ("path", "widget"),
    [
        ("notebooks/04_gram_matrices_and_style.ipynb", "nststudy-gram-explorer"),
        ("notebooks/07_tuning_weights_and_layers.ipynb", "nststudy-layer-contributions"),
    ],
    ids=["04_gram_explorer", "07_layer_contributions"],
)
def test_notebook_widgets_live(lab: Lab, browser: object, path: str, widget: str) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    try:
        run_all(page, lab, path)
        check_live_widget(page, widget)
        pixels = screenshot(page, re.sub(r"\W", "_", path.split("/")[-1].removesuffix(".ipynb")))
        assert pixels.std() > 10, "the screenshot is blank"
    finally:
        page.close()
