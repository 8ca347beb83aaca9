"""Selecting and connecting on the canvas the way a person does it (issue 15)."""

from __future__ import annotations

from typing import Any

from orcheo_jupyter import Workflow, spec
from orcheo_jupyter.spec.models import Position

from .lab import Lab
from .ui import node_point

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"


def _open_two_nodes(page: Any, lab: Lab, name: str) -> None:
    wf = (
        Workflow(name)
        .add_node("a", "DebugNode")
        .add_node("b", "DebugNode")
        .add_edge("START", "a")
        .add_edge("a", "b")
        .add_edge("b", "END")
    )
    doc = wf.to_document()
    doc.canvas.positions = {"a": Position(x=0, y=0), "b": Position(x=260, y=0)}
    spec.save(doc, lab.root / f"{name}.orcheo.json")
    page.goto(lab.page_url(f"lab/tree/{name}.orcheo.json"))
    page.wait_for_selector(f'{DOC}[data-node-count="2"]', timeout=60_000)


def _selected(page: Any) -> list[str]:
    return page.evaluate(  # type: ignore[no-any-return]
        "sel => document.querySelector(sel).orcheoCanvas.cy.$(':selected').map(e => e.id()).sort()",
        DOC,
    )


def _click(page: Any, node: str, modifiers: list[str] | None = None) -> None:
    p = node_point(page, node, DOC)
    for key in modifiers or []:
        page.keyboard.down(key)
    page.mouse.click(p["x"], p["y"])
    for key in modifiers or []:
        page.keyboard.up(key)


def test_click_selects_one_node_shift_or_ctrl_click_adds(page: Any, lab: Lab) -> None:
    _open_two_nodes(page, lab, "select")
    panel = page.locator(f"{DOC} .oc-panel")
    _click(page, "a")
    assert _selected(page) == ["a"]
    _click(page, "b")
    assert _selected(page) == ["b"]  # a plain click replaces the selection
    panel.locator('.oc-node-panel[data-node-id="b"]').wait_for()
    _click(page, "a", ["Shift"])
    assert _selected(page) == ["a", "b"]
    panel.get_by_text("2 nodes, 0 edges selected").wait_for()
    _click(page, "b", ["Control"])  # Ctrl-click toggles b out again
    assert _selected(page) == ["a"]
    _click(page, "b", ["Control"])
    assert _selected(page) == ["a", "b"]
    # Delete removes exactly what is selected; a plain click first narrows it to one.
    _click(page, "b")
    page.keyboard.press("Delete")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]')
    assert page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.cy.getElementById('a').nonempty()", DOC
    )
