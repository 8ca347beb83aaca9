"""``*.orcheo.json`` as a JupyterLab document: open, edit, dirty marker, save, revert."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from playwright.sync_api import expect

from orcheo_jupyter import Workflow, spec
from orcheo_jupyter.spec.models import Position
from tests.conftest import COUNTER_SCRIPT

from .lab import Lab
from .ui import connect, counts

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
CURRENT_TAB = ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current"


def _write_flow(lab: Lab, name: str) -> Any:
    wf = (
        Workflow("flow")
        .add_node("first", "SetVariableNode", variables={"a": 1})
        .add_edge("START", "first")
        .add_edge("first", "END")
    )
    doc = wf.to_document()
    doc.canvas.positions = {"first": Position(x=0, y=0)}
    path = lab.root / f"{name}.orcheo.json"
    spec.save(doc, path)
    return path


def test_open_edit_save_writes_canonical_file(page: Any, lab: Lab) -> None:
    path = _write_flow(lab, "flow")
    before = path.read_text()
    lab.open(page, "flow.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    assert counts(page, DOC) == (1, 2)

    # The palette comes from the server's node catalog.
    page.fill(f"{DOC} .oc-palette-search", "debug")
    page.dblclick(f'{DOC} .oc-palette-item[data-node-type="DebugNode"]')
    page.wait_for_selector(f'{DOC}[data-node-count="2"]')
    connect(page, "first", "debug", DOC)
    page.wait_for_selector(f'{DOC}[data-edge-count="3"]')
    page.wait_for_selector(f"{CURRENT_TAB}.jp-mod-dirty")
    assert path.read_text() == before  # nothing is written before saving

    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    text = path.read_text()
    saved = spec.loads(text)
    ir = saved.graph.ir  # type: ignore[union-attr]
    assert [n.id for n in ir.nodes] == ["first", "debug"]
    assert ir.nodes[1].type == "DebugNode"  # type: ignore[union-attr]
    assert ("first", "debug") in {(e.source, e.target) for e in ir.edges}
    assert set(saved.canvas.positions) == {"first", "debug"}
    # Saved from the browser, byte-identical to Python's canonical form.
    assert text == spec.dumps(saved)

    # Delete the new node, then revert to the file on disk: the canvas follows.
    page.evaluate(
        "sel => { const c = document.querySelector(sel).orcheoCanvas;"
        " c.cy.elements().unselect(); c.cy.getElementById('debug').select(); }",
        DOC,
    )
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.evaluate(
        "sel => { const c = document.querySelector(sel).orcheoCanvas;"
        " c.cy.getElementById('debug').select(); }",
        DOC,
    )
    page.keyboard.press("Delete")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]')
    page.wait_for_selector(f"{CURRENT_TAB}.jp-mod-dirty")
    page.click("text=File")
    page.click("text=Reload Orcheo Workflow from Disk")
    page.click(".jp-Dialog button.jp-mod-accept")
    page.wait_for_selector(f'{DOC}[data-node-count="2"]')
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    assert path.read_text() == text


def _free_names(taken: set[str], count: int) -> list[str]:
    names = [f"untitled{i or ''}.orcheo.json" for i in range(len(taken) + count + 1)]
    return [n for n in names if n not in taken][:count]


@pytest.mark.fresh_page
def test_launcher_new_workflow_creates_a_file_opened_on_the_canvas(page: Any, lab: Lab) -> None:
    before = {p.name for p in lab.root.glob("untitled*.orcheo.json")}
    refused: list[str] = []
    page.on(
        "response", lambda r: refused.append(f"{r.status} {r.url}") if r.status >= 400 else None
    )
    lab.open(page)
    page.click('.jp-LauncherCard[title*="Create a workflow document"]', timeout=60_000)
    page.wait_for_selector(f'{DOC}[data-node-count="0"]')
    # Again, from the command palette: the next free name, in the same folder.
    page.keyboard.press("Control+Shift+c")
    page.keyboard.type("New Workflow")
    page.wait_for_selector(".lm-CommandPalette-item.lm-mod-active:has-text('New Workflow')")
    page.keyboard.press("Enter")
    expect(page.locator(".jp-OrcheoDocument")).to_have_count(2)
    created = {p.name for p in lab.root.glob("untitled*.orcheo.json")} - before
    assert sorted(created) == sorted(_free_names(before, 2))
    for name in created:
        doc = spec.load(lab.root / name)
        assert doc.graph.format == "frozen-ir"
        assert doc.graph.ir.nodes == []  # type: ignore[union-attr]
    # Finding a free name asks for the folder once: no probe of a free name answers 404.
    assert refused == []


def test_conditional_routing_editor_writes_conditional_edges(page: Any, lab: Lab) -> None:
    path = _write_flow(lab, "routes")
    lab.open(page, "routes.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    page.dblclick(f'{DOC} .oc-palette-item[data-node-type="DebugNode"]')
    page.wait_for_selector(f'{DOC}[data-node-count="2"]')
    page.evaluate(
        "sel => { const c = document.querySelector(sel).orcheoCanvas;"
        " c.cy.elements().unselect(); c.cy.getElementById('first').select(); }",
        DOC,
    )
    panel = page.locator(f'{DOC} .oc-panel [data-routing="first"]')
    panel.locator('[data-action="add-routing"]').click()
    panel = page.locator(f'{DOC} .oc-panel [data-routing="first"]')
    panel.locator(".oc-route-path").fill("results.first.a")
    panel.locator(".oc-route-path").press("Tab")
    panel.locator('[data-action="add-route"]').click()
    panel.locator(".oc-route-key").last.fill("1")
    panel.locator(".oc-route-key").last.press("Tab")
    panel.locator(".oc-route-row .oc-route-target").last.select_option("debug")
    page.wait_for_selector(f'{DOC}[data-edge-count="3"]')  # + the route "1" -> debug
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    ir = spec.load(path).graph.ir  # type: ignore[union-attr]
    assert [c.model_dump() for c in ir.conditional_edges] == [
        {"source": "first", "path": "results.first.a", "mapping": {"1": "debug"}, "default": None}
    ]


def test_langgraph_script_is_shown_read_only(page: Any, lab: Lab) -> None:
    doc = {
        "name": "script",
        "graph": {
            "format": "langgraph-script",
            "source": "graph = None\n",
            "entrypoint": "fetch",
            "index": {
                "nodes": ["fetch", "parse"],
                "edges": [
                    {"source": "fetch", "target": "parse"},
                    {"source": "parse", "target": "__end__"},
                ],
            },
        },
    }
    path = lab.root / "script.orcheo.json"
    spec.save(spec.document_from_data(doc), path)
    before = path.read_text()
    lab.open(page, "script.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="2"][data-read-only]', timeout=60_000)
    assert counts(page, DOC) == (2, 3)  # start -> fetch (entrypoint), fetch -> parse, parse -> end
    assert page.locator(f"{DOC} .oc-palette").is_hidden()
    page.evaluate(
        "sel => { document.querySelector(sel).orcheoCanvas.cy.getElementById('parse').select(); }",
        DOC,
    )
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.evaluate(
        "sel => { document.querySelector(sel).orcheoCanvas.cy.getElementById('parse').select(); }",
        DOC,
    )
    page.keyboard.press("Delete")
    page.wait_for_timeout(300)
    assert counts(page, DOC) == (2, 3)
    assert page.locator(f"{CURRENT_TAB}.jp-mod-dirty").count() == 0
    assert path.read_text() == before


def test_a_script_node_is_tested_alone_from_its_panel(page: Any, lab: Lab) -> None:
    # Upstream Orcheo's workflows are mostly scripts: their nodes get "Test node" too.
    graph = {"format": "langgraph-script", "source": COUNTER_SCRIPT}
    lab.api("POST", "orcheo/api/workflows", {"id": "counter", "name": "counter", "graph": graph})
    run = lab.api("POST", "orcheo/api/workflows/counter/execute", {"inputs": {"count": 3}})
    deadline = time.monotonic() + 60
    while lab.api("GET", f"orcheo/api/executions/{run['execution_id']}")["status"] != "succeeded":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # The file as stored: the import indexed the script's nodes (the canvas draws them).
    stored = lab.api("GET", "orcheo/api/workflows/counter/versions/1")["document"]
    spec.save(spec.document_from_data(stored), lab.root / "counter.orcheo.json")
    lab.open(page, "counter.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="2"][data-read-only]', timeout=60_000)
    page.evaluate(
        "sel => { document.querySelector(sel).orcheoCanvas.cy.getElementById('double').select(); }",
        DOC,
    )
    panel = page.locator(f'{DOC} .oc-node-panel[data-node-id="double"]')
    panel.locator('[data-action="test-node"]').click()
    output = panel.locator(".oc-test-output")
    output.wait_for(timeout=60_000)
    # double received count 4 in the run (3, bumped): its output alone, nothing stored.
    assert json.loads(output.inner_text()) == {"count": 8, "log": ["double"]}
    assert f"on run {run['execution_id'][:8]}" in panel.locator(".oc-test-result").inner_text()
    # Read-only: no pin (a script is edited as code); nothing stored by the test.
    assert panel.locator('[data-action="pin-output"]').count() == 0
    runs = lab.api("GET", "orcheo/api/executions?workflow_id=counter")["items"]
    assert [r["id"] for r in runs] == [run["execution_id"]]

    # A breakpoint on the script's node, and Run: the script declares no inputs, so the
    # form asks for its starting state as one JSON object (it ran on {} and failed).
    panel.locator('[data-action="break-before"]').click()
    page.wait_for_selector(f'{DOC} .oc-node-badges[data-node="double"] [data-badge="breakBefore"]')
    page.click(f'{DOC} .oc-button[data-action="run"]')
    dialog = page.locator(".jp-Dialog")
    expect(dialog.locator('.oc-field[data-field="inputs"]')).to_contain_text(
        "each key starts as a key of its state"
    )
    dialog.locator('[data-input="inputs"]').fill("[3]")
    dialog.locator(".jp-mod-accept").click()
    expect(dialog.locator('.oc-field[data-field="inputs"] .oc-field-error')).to_have_text(
        "expected an object"
    )
    dialog.locator('[data-input="inputs"]').fill('{"count": 5}')
    dialog.locator(".jp-mod-accept").click()
    page.wait_for_selector(f'{DOC}[data-run-status="interrupted"]', timeout=60_000)
    assert "paused before double" in page.locator(f"{DOC} .oc-status").inner_text()
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")
    page.click(f'{DOC} .oc-panel [data-action="continue-run"]')
    page.wait_for_selector(f'{DOC}[data-run-status="succeeded"]', timeout=60_000)
    runs = lab.api("GET", "orcheo/api/executions?workflow_id=counter")["items"]
    assert len(runs) == 2, runs
    done = lab.api("GET", f"orcheo/api/executions/{runs[0]['id']}")
    assert done["inputs"] == {"count": 5} and done["status"] == "succeeded"
    assert done["final_state"]["count"] == 12 and done["final_state"]["log"] == ["bump", "double"]


def test_drag_from_palette_and_run_from_the_document(page: Any, lab: Lab) -> None:
    path = _write_flow(lab, "runme")
    lab.open(page, "runme.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    # Drag a node type from the palette onto an empty spot of the graph.
    graph = page.locator(f"{DOC} .oc-graph")
    box = graph.bounding_box()
    drop = {"x": round(box["width"] * 0.25), "y": round(box["height"] * 0.75)}
    page.locator(f'{DOC} .oc-palette-item[data-node-type="DebugNode"]').drag_to(
        graph, target_position=drop
    )
    page.wait_for_selector(f'{DOC}[data-node-count="2"]')
    point = page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.nodeClientPosition('debug')", DOC
    )
    assert abs(point["x"] - (box["x"] + drop["x"])) < 2  # it lands where it was dropped
    assert abs(point["y"] - (box["y"] + drop["y"])) < 2
    # Run: the document is stored as a workflow version, run, and followed live.
    page.click(f'{DOC} .oc-button[data-action="run"]')
    page.wait_for_selector(f'{DOC}[data-run-status="succeeded"]', timeout=60_000)
    page.wait_for_selector(
        f'{DOC} [data-node-id="first"][data-run-status="succeeded"]', state="attached"
    )
    runs = lab.api("GET", "orcheo/api/executions?workflow_id=runme")["items"]
    assert [r["status"] for r in runs] == ["succeeded"]
    assert path.exists()


def test_run_asks_for_the_comment_a_manual_trigger_requires(page: Any, lab: Lab) -> None:
    path = _write_flow(lab, "signoff")
    data = json.loads(path.read_text())
    data["triggers"] = [{"type": "manual", "config": {"require_comment": True}}]
    spec.save(spec.loads(json.dumps(data)), path)
    lab.open(page, "signoff.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    run_button = f'{DOC} .oc-button[data-action="run"]'
    # Declining the prompt starts nothing.
    page.click(run_button)
    page.wait_for_selector(".jp-Dialog input")
    page.click(".jp-Dialog .jp-mod-reject")
    page.wait_for_selector(".jp-Dialog", state="detached")
    page.wait_for_selector(f"{DOC} .oc-toast:has-text('Run not started')")
    assert lab.api("GET", "orcheo/api/executions?workflow_id=signoff")["items"] == []
    # Giving one starts the run, and the run carries who started it and why.
    page.click(run_button)
    page.fill(".jp-Dialog input", "month-end rerun")
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector(f'{DOC}[data-run-status="succeeded"]', timeout=60_000)
    runs = lab.api("GET", "orcheo/api/executions?workflow_id=signoff")["items"]
    assert len(runs) == 1
    run = lab.api("GET", f"orcheo/api/executions/{runs[0]['id']}")
    assert run["config"]["manual"]["comment"] == "month-end rerun"


def test_secret_picker_inserts_a_credential_reference(page: Any, lab: Lab) -> None:
    lab.api("POST", "orcheo/api/credentials", {"name": "slack_token", "value": "xoxb-secret"})
    path = _write_flow(lab, "secret")
    lab.open(page, "secret.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    page.dblclick(f'{DOC} .oc-palette-item[data-node-type="DebugNode"]')
    page.wait_for_selector(f'{DOC}[data-node-count="2"]')
    field = page.locator(f'{DOC} .oc-panel .oc-field[data-field="message"]')
    field.locator(".oc-secret-button").click()
    field.locator('.oc-secret-item[data-secret="slack_token"]').click()
    assert field.locator("input").input_value() == "[[slack_token]]"
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    text = path.read_text()
    assert '"message": "[[slack_token]]"' in text
    assert "xoxb-secret" not in text


def test_box_select_and_move_several_nodes_then_undo(page: Any, lab: Lab) -> None:
    wf = (
        Workflow("many")
        .add_node("a", "DebugNode")
        .add_node("b", "DebugNode")
        .add_edge("START", "a")
        .add_edge("a", "b")
        .add_edge("b", "END")
    )
    doc = wf.to_document()
    doc.canvas.positions = {"a": Position(x=0, y=0), "b": Position(x=0, y=150)}
    path = lab.root / "many.orcheo.json"
    spec.save(doc, path)
    lab.open(page, "many.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="2"]', timeout=60_000)
    a = page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.nodeClientPosition('a')", DOC
    )
    b = page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.nodeClientPosition('b')", DOC
    )
    zoom = page.evaluate("sel => document.querySelector(sel).orcheoCanvas.cy.zoom()", DOC)
    # The box must hold each node's whole drawn card (ports included).
    box = page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.cy.getElementById('a')"
        ".renderedBoundingBox({includeLabels: false})",
        DOC,
    )
    half_w, half_h = box["w"] / 2 + 12, box["h"] / 2 + 12
    # Shift-drag a box around both nodes (start and end sentinels stay outside).
    page.keyboard.down("Shift")
    page.mouse.move(a["x"] - half_w, a["y"] - half_h)
    page.mouse.down()
    page.mouse.move(b["x"] + half_w, b["y"] + half_h, steps=8)
    page.mouse.up()
    page.keyboard.up("Shift")
    selected = page.evaluate(
        "sel => document.querySelector(sel).orcheoCanvas.cy.$(':selected').map(e => e.id()).sort()",
        DOC,
    )
    assert selected == ["a", "b", "e\u241fa\u241fb"]  # the nodes and the edge between them
    # Drag one of them: both move, as one step.
    page.mouse.move(a["x"], a["y"])
    page.mouse.down()
    page.mouse.move(a["x"] + 60, a["y"] + 30, steps=8)
    page.mouse.up()
    page.wait_for_selector(f"{CURRENT_TAB}.jp-mod-dirty")
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    moved = spec.load(path).canvas.positions
    for node, (x, y) in {"a": (0, 0), "b": (0, 150)}.items():
        assert abs(moved[node].x - (x + 60 / zoom)) < 2, (node, moved[node])
        assert abs(moved[node].y - (y + 30 / zoom)) < 2, (node, moved[node])
    page.keyboard.press("Control+z")  # one undo puts both back
    page.keyboard.press("Control+s")
    page.wait_for_timeout(500)
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    back = spec.load(path).canvas.positions
    assert (back["a"].x, back["a"].y, back["b"].x, back["b"].y) == (0.0, 0.0, 0.0, 150.0)


#: Text only the canvas's code holds: the editor, cytoscape.js core, dagre.
CANVAS_CODE = ("orcheoCanvas", "Can not create second element", "rankdir")


@pytest.mark.fresh_page
def test_the_canvas_code_loads_with_the_first_canvas_not_with_the_page(page: Any, lab: Lab) -> None:
    """JupyterLab's page does not download cytoscape and the editor until a canvas opens."""
    _write_flow(lab, "lazy")
    bodies: dict[str, str] = {}

    def keep(response: Any) -> None:
        if "/lab/extensions/orcheo-jupyter/static/" in response.url and response.ok:
            bodies[response.url.split("?")[0].rsplit("/", 1)[-1]] = response.text()

    page.on("response", keep)
    lab.open(page)
    # The launcher's "Workflow" card: our plugin's chunk loaded and activated.
    page.wait_for_selector('.jp-LauncherCard[title*="Create a workflow document"]', timeout=60_000)
    at_start = dict(bodies)
    assert any(name.startswith("remoteEntry.") for name in at_start), at_start.keys()
    for marker in CANVAS_CODE:
        assert not [n for n, text in at_start.items() if marker in text], marker

    page.dblclick(".jp-DirListing-itemText:has-text('lazy.orcheo.json')")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    for marker in CANVAS_CODE:
        assert [n for n, text in bodies.items() if marker in text], marker
