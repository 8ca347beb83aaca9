"""Selecting and connecting on the canvas the way a person does it (issue 15)."""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import expect

from orcheo_jupyter import Workflow, spec
from orcheo_jupyter.spec.models import Position

from .lab import Lab
from .ui import connect, hover_handle, node_point

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
    lab.open(page, f"{name}.orcheo.json")
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


def test_invalid_config_is_flagged_on_the_node_in_problems_and_at_the_field(
    page: Any, lab: Lab
) -> None:
    doc = {
        "name": "bad config",
        "canvas": {"positions": {"t": {"x": 0, "y": 0}}},
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "t",
                        "type": "TextProcessingNode",
                        "config": {"operation": "explode", "max_length": "ten", "text": "hi"},
                    }
                ],
                "edges": [
                    {"source": "__start__", "target": "t"},
                    {"source": "t", "target": "__end__"},
                ],
            },
        },
    }
    (lab.root / "badconfig.orcheo.json").write_text(spec.dumps(spec.document_from_data(doc)))
    lab.open(page, "badconfig.orcheo.json")
    # On open: the node is badged and Problems lists both fields (no run needed).
    page.wait_for_selector(
        f'{DOC} .oc-outline li[data-node-id="t"][data-problem="error"]',
        state="attached",
        timeout=60_000,
    )
    problems = page.locator(f"{DOC} .oc-panel .oc-problems li")
    problems.nth(1).wait_for()
    listed = problems.all_inner_texts()
    assert any(t.startswith("t: config.operation: Input should be") for t in listed), listed
    assert any(
        t.startswith("t: config.max_length: Input should be a valid integer") for t in listed
    )
    assert page.locator(f"{DOC} .oc-panel .oc-ok").count() == 0  # not "No problems found"
    # The same problems the server reports for the document.
    server = lab.api("POST", "orcheo/api/workflows/validate", doc)["problems"]
    shown = page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.problems"
        ".map(p => [p.severity, p.node, p.field, p.message])",
        DOC,
    )
    assert shown == [[p["severity"], p["node"], p["field"], p["message"]] for p in server]
    # At the field: the actual value, never the default, with the reason beside it.
    p = node_point(page, "t", DOC)
    page.mouse.click(p["x"], p["y"])
    operation = page.locator(f'{DOC} .oc-panel .oc-field[data-field="operation"]')
    select = operation.locator("select")
    assert select.locator("option:checked").inner_text() == "explode (not allowed)"
    assert "Input should be" in operation.locator(".oc-field-error").inner_text()
    length = page.locator(f'{DOC} .oc-panel .oc-field[data-field="max_length"]')
    assert length.locator("input").input_value() == "ten"
    assert "valid integer" in length.locator(".oc-field-error").inner_text()
    # Fixing a value clears its error after the edit (and only its error).
    select.select_option(label="upper")
    page.wait_for_selector(f'{DOC}[data-problem-count="1"]:not([data-validating])')
    # The panel is redrawn just after the problems arrive: wait for it, not only for them.
    operation = page.locator(f'{DOC} .oc-panel .oc-field[data-field="operation"]')
    expect(operation.locator(".oc-field-error")).to_have_count(0)
    assert page.locator(f'{DOC} .oc-panel .oc-field[data-field="max_length"].oc-invalid').count()


def test_a_fixed_field_loses_its_error_while_the_user_types_on_in_the_form(
    page: Any, lab: Lab
) -> None:
    """The form is not redrawn while a field has the cursor; its errors must still follow.

    A new user fills a Template node's required template, then goes on to its
    Variables (Add entry puts the cursor in the new name): "required field is missing"
    stayed under the template just typed, and in the node's Problems, for as long as
    the user stayed in the form.
    """
    doc = {
        "name": "fill in",
        "canvas": {"positions": {"t": {"x": 0, "y": 0}}},
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": [{"kind": "builtin", "id": "t", "type": "TemplateNode", "config": {}}],
                "edges": [
                    {"source": "__start__", "target": "t"},
                    {"source": "t", "target": "__end__"},
                ],
            },
        },
    }
    (lab.root / "fillin.orcheo.json").write_text(spec.dumps(spec.document_from_data(doc)))
    lab.open(page, "fillin.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-problem-count="1"]', timeout=60_000)
    _click(page, "t")
    panel = page.locator(f'{DOC} .oc-node-panel[data-node-id="t"]')
    template = panel.locator('.oc-field[data-field="template"]')
    expect(template.locator(".oc-field-error")).to_have_text("required field is missing")
    expect(panel.locator(".oc-problems li")).to_have_count(1)
    template.locator("textarea").click()
    page.keyboard.type("Hi {{ inputs.name }}")
    panel.locator('.oc-field[data-field="variables"] button', has_text="Add entry").click()
    name = panel.locator('.oc-field[data-field="variables"] .oc-map-key').first
    expect(name).to_be_focused()  # the user is in the form: it is not redrawn
    page.wait_for_selector(f'{DOC}[data-problem-count="0"]:not([data-validating])')
    expect(template.locator(".oc-field-error")).to_have_count(0)
    expect(template).not_to_have_class(re.compile(r"\boc-invalid\b"))
    expect(panel.locator(".oc-problems")).to_have_count(0)
    expect(name).to_be_focused()
    page.keyboard.type("who")  # the cursor stayed where the user put it
    expect(name).to_have_value("who")


def test_a_connection_dropped_on_start_creates_nothing_and_says_why(page: Any, lab: Lab) -> None:
    _open_two_nodes(page, lab, "nodrop")
    before = int(page.locator(DOC).get_attribute("data-edge-count"))
    connect(page, "b", "__start__", DOC)
    toast = page.locator(f"{DOC} .oc-toast")
    toast.wait_for()
    assert "Cannot connect b to start" in toast.inner_text()
    page.wait_for_timeout(300)
    assert int(page.locator(DOC).get_attribute("data-edge-count")) == before
    edges = page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.document.graph.ir.edges"
        ".map(e => e.source + '>' + e.target)",
        DOC,
    )
    assert edges == ["__start__>a", "a>b", "b>__end__"]
    # A drop on a valid node still connects.
    connect(page, "b", "a", DOC)
    page.wait_for_selector(f'{DOC}[data-edge-count="{before + 1}"]')


def test_a_drag_from_the_port_of_a_node_just_clicked_connects_it(page: Any, lab: Lab) -> None:
    """A new user clicks a node first, then drags from the output port drawn under it.

    The click grabbed the node, which took the connection handle away, and with the
    pointer still on the node nothing brought it back: the drag moved the node.
    """
    _open_two_nodes(page, lab, "clickdrag")
    page.click(f'{DOC} .oc-button[data-action="fit"]')
    before = int(page.locator(DOC).get_attribute("data-edge-count"))
    b = node_point(page, "b", DOC)
    page.mouse.move(b["x"] - 20, b["y"] - 5, steps=5)
    page.wait_for_function(
        "sel => document.querySelector(sel).orcheoCanvas.nodeClientPosition('__oc_handle__')",
        arg=DOC,
    )
    port = node_point(page, "__oc_handle__", DOC)  # where the card's output port is drawn
    page.mouse.click(b["x"] - 20, b["y"] - 5)  # select b: its form opens
    page.locator(f'{DOC} .oc-node-panel[data-node-id="b"]').wait_for()
    page.mouse.move(port["x"], port["y"], steps=4)
    page.mouse.down()
    a = node_point(page, "a", DOC)
    page.mouse.move(a["x"], a["y"], steps=12)
    page.wait_for_timeout(300)  # the hover delay before a target is taken
    page.mouse.move(a["x"] + 2, a["y"] + 1, steps=2)
    page.mouse.up()
    page.wait_for_selector(f'{DOC}[data-edge-count="{before + 1}"]', timeout=10_000)
    assert node_point(page, "b", DOC) == b  # the node stayed where it was
    edges = page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.document.graph.ir.edges"
        ".map(e => e.source + '>' + e.target)",
        DOC,
    )
    assert "b>a" in edges


def test_lab_shortcuts_work_while_the_canvas_has_the_keyboard(page: Any, lab: Lab) -> None:
    _open_two_nodes(page, lab, "keys")
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    # The graph itself has the keyboard (it carries the canvas's ARIA role and label).
    assert page.evaluate(
        "sel => document.activeElement === document.querySelector(sel + ' .oc-graph')", DOC
    )
    page.keyboard.press("Control+Shift+C")  # Lab's command palette
    page.locator(".lm-CommandPalette:visible .lm-CommandPalette-input").wait_for(timeout=5_000)
    page.keyboard.press("Escape")
    # The canvas's own keys stay the canvas's: Delete removes the selected node.
    _click(page, "b")
    page.keyboard.press("Delete")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]')


_CUT_PLACEHOLDERS = """panel => {
  const ctx = document.createElement('canvas').getContext('2d');
  const cut = [];
  for (const input of panel.querySelectorAll('input[placeholder], textarea[placeholder]')) {
    if (!input.placeholder || input.offsetParent === null) continue;
    const css = getComputedStyle(input);
    ctx.font = `${css.fontStyle} ${css.fontWeight} ${css.fontSize} ${css.fontFamily}`;
    const room = input.clientWidth - parseFloat(css.paddingLeft) - parseFloat(css.paddingRight);
    const text = ctx.measureText(input.placeholder).width;
    if (text > room + 0.5) cut.push(`${input.placeholder} (${Math.round(text)} > ${room} px)`);
  }
  return cut;
}"""


def test_the_variables_placeholders_are_shown_whole(page: Any, lab: Lab) -> None:
    """A new variable's value field read 'value or {{ templa' : its hint was cut off."""
    wf = (
        Workflow("hints")
        .add_node("setv", "SetVariableNode", variables={})
        .add_edge("START", "setv")
        .add_edge("setv", "END")
    )
    doc = wf.to_document()
    doc.canvas.positions = {"setv": Position(x=0, y=0)}
    spec.save(doc, lab.root / "hints.orcheo.json")
    lab.open(page, "hints.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    _click(page, "setv")
    panel = page.locator(f'{DOC} .oc-node-panel[data-node-id="setv"]')
    panel.locator('.oc-field[data-field="variables"] button', has_text="Add entry").click()
    value = panel.locator('.oc-field[data-field="variables"] .oc-map-value').first
    expect(value).to_be_visible()
    assert value.get_attribute("placeholder")
    assert panel.evaluate(_CUT_PLACEHOLDERS) == []


def _box(page: Any, node: str) -> dict[str, float]:
    return page.evaluate(  # type: ignore[no-any-return]
        "([sel, id]) => { const c = document.querySelector(sel).orcheoCanvas;"
        " const b = c.cy.getElementById(id).renderedBoundingBox({includeLabels: false});"
        " const r = c.cy.container().getBoundingClientRect();"
        " return {x1: r.left + b.x1, y1: r.top + b.y1, x2: r.left + b.x2, y2: r.top + b.y2}; }",
        [DOC, node],
    )


def test_no_tooltip_covers_the_node_an_edge_is_drawn_from(page: Any, lab: Lab) -> None:
    """Drawing a connection, the pointer rests on nodes on its way: their tooltips opened
    over the node the user was drawing from (and the edge being drawn)."""
    _open_two_nodes(page, lab, "drawtip")
    handle = hover_handle(page, "b", DOC)
    page.mouse.move(handle["x"], handle["y"], steps=3)
    page.mouse.down()
    tip = page.locator(f"{DOC} .oc-tooltip")
    for node in ("b", "a"):  # back over the source, then on to the target, resting on each
        p = node_point(page, node, DOC)
        page.mouse.move(p["x"], p["y"] + 5, steps=8)
        page.wait_for_timeout(800)  # longer than a tooltip's delay
        if tip.is_visible():
            t, s = tip.bounding_box(), _box(page, "b")
            apart = (
                t["x"] >= s["x2"]
                or t["x"] + t["width"] <= s["x1"]
                or t["y"] >= s["y2"]
                or t["y"] + t["height"] <= s["y1"]
            )
            assert apart, (node, t, s)
    page.mouse.up()
    page.wait_for_selector(f'{DOC}[data-edge-count="4"]')  # b -> a was drawn
