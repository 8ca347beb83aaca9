"""Small helpers for driving JupyterLab and the canvas like a person would."""

from __future__ import annotations

import json
import re
from typing import Any

import nbformat

from .lab import Lab

CANVAS = "[data-orcheo-canvas]"


def open_notebook(page: Any, lab: Lab, name: str, cells: list[str]) -> None:
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell(c) for c in cells],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )
    nbformat.write(nb, lab.root / name)
    lab.open(page, f"{name}")
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)


def cell(page: Any, index: int) -> Any:
    return page.locator(".jp-NotebookPanel:visible .jp-Notebook .jp-Cell").nth(index)


def run_cell(page: Any, index: int, timeout: float = 60_000) -> Any:
    """Run one cell (click its editor, Shift+Enter) and wait until it has executed."""
    wait_kernel_idle(page, timeout)
    target = cell(page, index)
    prompt = target.locator(".jp-InputPrompt")
    before = prompt.inner_text()
    target.locator(".jp-InputArea-editor").click()
    page.keyboard.press("Shift+Enter")
    page.wait_for_function(
        "([el, before]) => /\\[\\d+\\]/.test(el.textContent) && el.textContent !== before",
        arg=[prompt.element_handle(), before],
        timeout=timeout,
    )
    return target


def wait_kernel_idle(page: Any, timeout: float = 60_000) -> None:
    """The notebook's kernel is connected and idle (the status bar says so)."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.jp-StatusBar-TextItem')]"
        ".some(e => /\\| Idle/.test(e.textContent))",
        timeout=timeout,
    )


def cell_json(page: Any, index: int) -> Any:
    """Run a cell that prints one JSON value and return that value (the kernel's answer)."""
    target = run_cell(page, index)
    text = target.locator(".jp-OutputArea-output").first.inner_text()
    return json.loads(text.strip())


def node_point(page: Any, node_id: str, scope: str = CANVAS) -> dict[str, float]:
    point = page.evaluate(
        "([sel, id]) => document.querySelector(sel).orcheoCanvas.nodeClientPosition(id)",
        [scope, node_id],
    )
    assert point is not None, f"node {node_id!r} is not on the canvas"
    return point  # type: ignore[no-any-return]


def hover_handle(page: Any, source: str, scope: str = CANVAS) -> dict[str, float]:
    """Zoom to fit, hover ``source`` until its connection handle shows; the handle's point."""
    page.click(f'{scope} .oc-button[data-action="fit"]')
    page.wait_for_timeout(100)
    src = node_point(page, source, scope)
    for attempt in range(5):  # hover the node until its handle shows
        page.mouse.move(src["x"] - 30 + attempt * 7, src["y"] - 8, steps=6)
        try:
            page.wait_for_function(
                "sel => document.querySelector(sel).orcheoCanvas"
                ".nodeClientPosition('__oc_handle__')",
                arg=scope,
                timeout=2_000,
            )
            break
        except Exception:
            page.mouse.move(10, 10)
    else:
        raise AssertionError(f"no connection handle appeared on {source!r}")
    return node_point(page, "__oc_handle__", scope)


def connect(page: Any, source: str, target: str, scope: str = CANVAS) -> None:
    """Drag from the handle under ``source`` onto ``target`` (after zooming to fit)."""
    handle = hover_handle(page, source, scope)
    page.mouse.move(handle["x"], handle["y"], steps=3)
    page.mouse.down()
    dst = node_point(page, target, scope)
    page.mouse.move(dst["x"], dst["y"], steps=12)
    page.wait_for_timeout(300)  # the hover delay before a target is taken
    page.mouse.move(dst["x"] + 2, dst["y"] + 1, steps=2)
    page.mouse.up()


def counts(page: Any, scope: str = CANVAS) -> tuple[int, int]:
    el = page.locator(scope).first
    return int(el.get_attribute("data-node-count")), int(el.get_attribute("data-edge-count"))


def wait_attr(page: Any, selector: str, attr: str, value: str, timeout: float = 30_000) -> None:
    page.wait_for_selector(f'{selector}[{attr}="{value}"]', timeout=timeout)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower())


def assert_durations_beside_bars(rows: Any, bar: str, label: str) -> None:
    """Each timeline row's duration label stands within 8 px of its bar, never on it.

    Every row is measured in one browser call: a live timeline redraws its rows, so
    measuring row by row could meet a row between two drawings.
    """
    boxes = rows.evaluate_all(
        """(rows, [bar, label]) => rows.map(row => {
            const box = el => {
                const r = el.getBoundingClientRect();
                return {x: r.x, width: r.width};
            };
            return [box(row.querySelector(bar)), box(row.querySelector(label))];
        })""",
        [bar, label],
    )
    assert boxes, "no timeline rows"
    for i, (b, d) in enumerate(boxes):
        gap_after = d["x"] - (b["x"] + b["width"])
        gap_before = b["x"] - (d["x"] + d["width"])
        assert 0 <= gap_after <= 8 or 0 <= gap_before <= 8, (i, b, d)
