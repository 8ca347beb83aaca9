"""The debug loop in JupyterLab: fork from a step, breakpoints, debug in a notebook, versions."""

from __future__ import annotations

import json
import time
from typing import Any

from playwright.sync_api import expect

from tests.nodes.helpers import chain_doc, code, node

from .lab import Lab
from .ui import cell, open_notebook, run_cell, wait_kernel_idle

API = "orcheo/api"


def _workflow(lab: Lab, doc: dict[str, Any]) -> str:
    return str(lab.api("POST", f"{API}/workflows", doc)["id"])


def _start(lab: Lab, workflow_id: str, **body: Any) -> str:
    reply = lab.api("POST", f"{API}/workflows/{workflow_id}/execute", {"inputs": {}, **body})
    return str(reply["execution_id"])


def _wait(lab: Lab, run_id: str, *statuses: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        run: dict[str, Any] = lab.api("GET", f"{API}/executions/{run_id}")
        if run["status"] in statuses:
            return run
        assert time.monotonic() < deadline, f"run {run_id} is still {run['status']}"
        time.sleep(0.1)


def _open_viewer(page: Any, lab: Lab, workflow_id: str, run_id: str, *, goto: bool = True) -> str:
    """Open the run from the sidebar (as a person would); the viewer's selector."""
    if goto:
        lab.open(page)
    page.click('.jp-SideBar .lm-TabBar-tab[title="Orcheo workflows and runs"]', timeout=60_000)
    page.click('#orcheo-sidebar button[data-action="refresh"]')
    page.wait_for_selector(f'#orcheo-sidebar li[data-workflow-id="{workflow_id}"]')
    page.click(f'#orcheo-sidebar li[data-run-id="{run_id}"]')
    viewer = f'.jp-OrcheoRunViewer[data-run-id="{run_id}"]'
    page.wait_for_selector(viewer)
    return viewer


def _stepper(name: str, b_body: str = "return state['results']['a']['x'] * 10") -> dict[str, Any]:
    # A middle step that takes a moment, as real ones do.
    return chain_doc(
        node("a", "SetVariableNode", variables={"x": 2}),
        node("wait", "DelayNode", duration_seconds=0.1),
        code("b", b_body),
        name=name,
    )


def test_fork_from_a_step_with_an_edited_state(page: Any, lab: Lab) -> None:
    # Two nodes that take no time: a run started by hand still stores each step.
    doc = chain_doc(
        node("a", "SetVariableNode", variables={"x": 2}),
        code("b", "return state['results']['a']['x'] * 10"),
        name="Forkable",
    )
    wid = _workflow(lab, doc)
    run_id = _start(lab, wid)
    assert _wait(lab, run_id, "succeeded", "failed")["status"] == "succeeded"
    viewer = _open_viewer(page, lab, wid, run_id)

    page.click(f"{viewer} [data-fork] > summary")
    # Every step to fork from, oldest first; not the end, where nothing is left to run.
    steps = page.locator(f"{viewer} .oc-fork-step")
    expect(steps).to_have_count(3)
    assert [b.get_attribute("data-next") for b in steps.all()] == ["__start__", "a", "b"]
    labels = [b.inner_text() for b in steps.all()]
    assert labels == ["The start · its inputs", "Step 0 · before a", "Step 1 · before b"]
    step = page.locator(f'{viewer} .oc-fork-step[data-next="b"]')
    assert "before b" in step.inner_text()
    step.click()
    editor = page.locator(f"{viewer} [data-fork-state]")
    editor.wait_for()
    state = json.loads(editor.input_value())
    assert state["results"]["a"] == {"x": 2}
    assert "b" not in state["results"]

    editor.fill('{"results": {"a": {"x": 5}},}')
    page.click(f'{viewer} button[data-action="fork"]')
    error = page.locator(f"{viewer} [data-fork-error]")
    assert error.inner_text().startswith("Invalid JSON:")
    assert len(error.inner_text()) > len("Invalid JSON: ") + 10  # the parser's reason
    editor.fill("[1, 2]")
    page.click(f'{viewer} button[data-action="fork"]')
    assert "must be a JSON object" in error.inner_text()
    assert lab.api("GET", f"{API}/executions?workflow_id={wid}")["total"] == 1  # nothing started

    state["results"]["a"]["x"] = 5
    editor.fill(json.dumps(state, indent=2))
    page.click(f'{viewer} button[data-action="fork"]')
    # The viewer follows the new run: a new tab, live, to its end.
    fresh = page.locator(f".jp-OrcheoRunViewer:not([data-run-id='{run_id}'])")
    fresh.wait_for()
    forked_id = fresh.get_attribute("data-run-id")
    assert forked_id and forked_id != run_id
    forked_viewer = f'.jp-OrcheoRunViewer[data-run-id="{forked_id}"]'
    page.wait_for_selector(f'{forked_viewer}[data-run-status="succeeded"]')
    page.click(f'{forked_viewer} .oc-gantt-row[data-node="b"]')
    output = page.locator(f'{forked_viewer} [data-node-output="b"]')
    assert output.inner_text().split("\n", 1)[1].strip() == "50"

    # a ran in the source run: the fork carries its result over, it did not skip it.
    status = page.locator(f"{forked_viewer} [data-orcheo-canvas] .oc-status")
    expect(status).to_have_text(f"Run {forked_id[:8]}: succeeded · 1/2 nodes done · 1 carried over")
    page.wait_for_selector(
        f'{forked_viewer} .oc-outline li[data-node-id="a"][data-run-status="carried"]',
        state="attached",
    )
    # The timeline lists it too, greyed, without a bar; its output is the edited one.
    rows = page.locator(f"{forked_viewer} .oc-gantt-row")
    assert [r.get_attribute("data-node") for r in rows.all()] == ["a", "b"]
    carried = page.locator(f'{forked_viewer} .oc-gantt-row[data-node="a"]')
    assert carried.get_attribute("data-status") == "carried"
    assert carried.inner_text().split("\n") == ["a", f"carried over from run {run_id[:8]}"]
    expect(carried.locator(".oc-gantt-bar")).to_have_count(0)
    carried.click()
    detail = page.locator(f'{forked_viewer} [data-node-output="a"]')
    detail.wait_for()
    assert json.loads(detail.inner_text().split("\n", 1)[1]) == {"x": 5}
    assert "Not run in this run" in page.locator(f"{forked_viewer} .oc-run-output").inner_text()
    parent = page.locator(f"{forked_viewer} [data-parent-run]")
    assert parent.inner_text() == f"Forked from a step of run {run_id[:8]}"
    parent.locator("button").click()  # back to the source run's tab
    page.wait_for_selector(f"{viewer}:not(.lm-mod-hidden)")

    forked = lab.api("GET", f"{API}/executions/{forked_id}")
    assert forked["parent_run_id"] == run_id
    assert forked["final_state"]["results"]["b"] == 50
    source = lab.api("GET", f"{API}/executions/{run_id}")
    assert source["final_state"]["results"]["b"] == 20  # the source run is untouched


def test_breakpoint_pauses_shows_the_state_and_continues(page: Any, lab: Lab) -> None:
    wid = _workflow(lab, _stepper("Breakable"))
    run_id = _start(lab, wid, break_after=["a"], break_before=["b"])
    _wait(lab, run_id, "interrupted")
    viewer = _open_viewer(page, lab, wid, run_id)
    status = page.locator(f"{viewer} .oc-run-statusline")
    state = page.locator(f"{viewer} [data-breakpoint-state]")

    after = page.locator(f'{viewer} [data-breakpoint="after"]')
    after.wait_for()
    assert after.locator("h3").inner_text() == "Paused after a"
    assert status.inner_text() == "Status: Paused after a"
    assert json.loads(state.inner_text())["results"] == {"a": {"x": 2}}
    assert page.locator(f'{viewer} .oc-interrupt button[data-action="answer"]').count() == 0
    page.click(f'{viewer} button[data-action="continue"]')

    before = page.locator(f'{viewer} [data-breakpoint="before"]')
    before.wait_for()
    assert before.locator("h3").inner_text() == "Paused before b"
    assert status.inner_text() == "Status: Paused before b"
    assert json.loads(state.inner_text())["results"] == {
        "a": {"x": 2},
        "wait": {"duration_seconds": 0.1},
    }
    assert lab.api("GET", f"{API}/executions/{run_id}")["status"] == "interrupted"
    page.click(f'{viewer} button[data-action="continue"]')

    page.wait_for_selector(f'{viewer}[data-run-status="succeeded"]')
    row = page.locator(f'{viewer} .oc-gantt-row[data-node="b"]')
    assert row.get_attribute("data-status") == "succeeded"
    assert page.locator(f"{viewer} [data-breakpoint]").count() == 0
    done = lab.api("GET", f"{API}/executions/{run_id}")
    assert done["final_state"]["results"]["b"] == 20


def test_debug_a_failed_node_in_the_notebook(page: Any, lab: Lab) -> None:
    wid = _workflow(lab, _stepper("Debuggable", "return state['results']['a']['x'] / 0"))
    run_id = _start(lab, wid)
    assert _wait(lab, run_id, "succeeded", "failed")["status"] == "failed"
    open_notebook(page, lab, "debugging.ipynb", ["1 + 1"])
    wait_kernel_idle(page)
    viewer = _open_viewer(page, lab, wid, run_id, goto=False)

    page.click(f'{viewer} button[data-action="debug-in-notebook"][data-node="b"]')
    # The notebook comes forward with a new cell that ran %orcheo debug (loading the
    # extension first: this kernel had not loaded it).
    added = cell(page, 1)
    added.locator(".jp-OutputArea-output").first.wait_for(timeout=60_000)
    source = added.locator(".jp-InputArea-editor").inner_text()
    assert source.split("\n") == ["%load_ext orcheo_jupyter", f"%orcheo debug {run_id} b", "state"]
    outputs = added.locator(".jp-OutputArea-output")
    expect(added).to_contain_text("'results'", timeout=60_000)
    text = "\n".join(outputs.nth(i).inner_text() for i in range(outputs.count()))
    assert "inserted a cell below to debug 'b'" in text
    assert "'results': {'a': {'x': 2}, 'wait': {'duration_seconds': 0.1}}" in text
    # Below it, the node's code as an editable function on that state.
    inserted = cell(page, 2)
    code_text = inserted.locator(".jp-InputArea-editor").inner_text()
    assert f"state = %orcheo state {run_id} b" in code_text
    assert "return state['results']['a']['x'] / 0" in code_text
    # Running it reproduces the node's failure on the state it received.
    run_cell(page, 2)
    assert "ZeroDivisionError" in inserted.locator(".jp-OutputArea-output").last.inner_text()

    # The kernel has the magics now: a second debug adds no %load_ext line.
    page.click(f'.lm-TabBar-tab:has-text("Debuggable · run {run_id[:8]}")')
    page.click(f'{viewer} button[data-action="debug-in-notebook"][data-node="b"]')
    again = cell(page, 3)
    again.locator(".jp-OutputArea-output").first.wait_for(timeout=60_000)
    assert again.locator(".jp-InputArea-editor").inner_text().split("\n") == [
        f"%orcheo debug {run_id} b",
        "state",
    ]


def test_versions_dialog_diffs_and_restores(page: Any, lab: Lab) -> None:
    first = chain_doc(
        node("a", "SetVariableNode", variables={"x": 1}),
        node("b", "SetVariableNode", variables={"y": "old"}),
        name="Versioned",
    )
    wid = _workflow(lab, first)
    v1 = lab.api("GET", f"{API}/workflows/{wid}/versions/1")["document"]
    second = chain_doc(
        node("a", "SetVariableNode", variables={"x": 1}),
        node("b", "SetVariableNode", variables={"y": "new"}),
        node("c", "DelayNode", duration_seconds=0),
        name="Versioned",
        triggers=[{"type": "manual", "id": "go"}],
    )
    lab.api("PUT", f"{API}/workflows/{wid}", {**second, "id": wid})

    lab.open(page)
    page.click('.jp-SideBar .lm-TabBar-tab[title="Orcheo workflows and runs"]', timeout=60_000)
    versions = page.locator('#orcheo-sidebar button[data-action="versions"]')
    assert not versions.is_visible()  # no workflow selected yet
    page.click(f'#orcheo-sidebar li[data-workflow-id="{wid}"]')
    page.wait_for_selector("#orcheo-sidebar h3:has-text('Runs of Versioned')")
    versions.click()
    dialog = page.locator(".jp-Dialog .jp-OrcheoVersions")
    summary = dialog.locator("[data-diff-summary]")
    summary.wait_for()
    assert summary.inner_text() == (
        "v1 → v2: 1 node added, 1 node changed, 2 edges added, 1 edge removed, 1 trigger added"
    )
    added = dialog.locator('[data-section="nodes"] li[data-kind="added"]')
    assert added.get_attribute("data-item") == "c (DelayNode)"
    changed = dialog.locator('[data-section="nodes"] li[data-kind="changed"]')
    assert changed.get_attribute("data-item") == "b"
    assert changed.locator('[data-field="config.variables.y"]').inner_text() == (
        'config.variables.y: "old" → "new"'
    )
    assert (
        dialog.locator('[data-section="edges"] li[data-kind="removed"]').get_attribute("data-item")
        == "b → __end__"
    )
    assert dialog.locator('[data-section="triggers"] li[data-kind="added"]').count() == 1

    restore = dialog.locator('button[data-action="restore"]')
    assert restore.inner_text() == "Restore v1"
    restore.click()
    status = dialog.locator("[data-versions-status]")
    page.wait_for_function(
        "el => /Restored v1 as v3/.test(el.textContent)", arg=status.element_handle()
    )
    page.wait_for_selector('.jp-Dialog .jp-OrcheoVersions[data-versions="3"]')
    # The list comes first; the v1 → v3 diff follows it (the old one is marked stale till then).
    page.wait_for_selector('.jp-Dialog .jp-OrcheoVersions .oc-diff-output[data-diff="1-3"]')
    expect(dialog.locator(".oc-diff-output")).not_to_have_attribute("aria-busy", "true")
    assert dialog.locator("[data-diff-summary]").inner_text() == "v1 → v3: no changes"

    current = lab.api("GET", f"{API}/workflows/{wid}")
    assert current["version"] == 3
    assert current["document"] == v1
    history = lab.api("GET", f"{API}/workflows/{wid}/versions")["items"]
    assert [v["version"] for v in history] == [1, 2, 3]


def test_debug_in_notebook_opens_a_notebook_when_none_is_open(page: Any, lab: Lab) -> None:
    wid = _workflow(lab, _stepper("Notebookless"))
    run_id = _start(lab, wid)
    assert _wait(lab, run_id, "succeeded", "failed")["status"] == "succeeded"
    viewer = _open_viewer(page, lab, wid, run_id)
    assert page.locator(".jp-NotebookPanel").count() == 0

    page.click(f'{viewer} .oc-gantt-row[data-node="b"]')
    page.click(f'{viewer} .oc-run-output button[data-action="debug-in-notebook"]')
    page.wait_for_selector(".jp-NotebookPanel .jp-Cell", timeout=60_000)
    first = cell(page, 0)  # the new notebook's empty cell is used, not left above ours
    # A locator, not an element handle: Lab may render the new notebook's cells again
    # (a handle to the first rendering never sees the output).
    expect(first).to_contain_text("'results'", timeout=90_000)
    assert first.locator(".jp-InputArea-editor").inner_text().split("\n") == [
        "%load_ext orcheo_jupyter",
        f"%orcheo debug {run_id} b",
        "state",
    ]
    assert "'results': {'a': {'x': 2}, 'wait': {'duration_seconds': 0.1}}" in first.inner_text()
    assert "def b(self, state, config)" in cell(page, 1).inner_text()
    notebooks = [p.name for p in lab.root.glob("*.ipynb")]
    assert notebooks, "a new notebook was created in the file browser's folder"


def test_versions_from_the_canvas_tab_restore_into_the_open_file(page: Any, lab: Lab) -> None:
    first = chain_doc(node("a", "SetVariableNode", variables={"x": 1}), name="Canvased")
    wid = _workflow(lab, first)
    v1 = lab.api("GET", f"{API}/workflows/{wid}/versions/1")["document"]
    second = chain_doc(node("a", "SetVariableNode", variables={"x": 99}), name="Canvased")
    v2 = lab.api("PUT", f"{API}/workflows/{wid}", {**second, "id": wid})["document"]
    path = lab.root / "canvased.orcheo.json"
    path.write_text(json.dumps(v2, indent=2, sort_keys=True) + "\n")

    lab.open(page, "canvased.orcheo.json")
    page.wait_for_selector(".jp-OrcheoDocument [data-orcheo-canvas]", timeout=60_000)
    page.click(
        '.jp-OrcheoDocumentWidget .jp-Toolbar .jp-ToolbarButtonComponent:has-text("Versions")'
    )
    dialog = page.locator(".jp-Dialog .jp-OrcheoVersions")
    summary = dialog.locator("[data-diff-summary]")
    summary.wait_for()
    assert summary.inner_text() == "v1 → v2: 1 node changed"
    assert dialog.locator('[data-field="config.variables.x"]').inner_text() == (
        "config.variables.x: 1 → 99"
    )
    dialog.locator('button[data-action="restore"]').click()
    page.wait_for_selector('.jp-Dialog .jp-OrcheoVersions[data-versions="3"]')
    current = lab.api("GET", f"{API}/workflows/{wid}")
    assert (current["version"], current["document"]) == (3, v1)
    # The open canvas file now holds the restored document (saved, not left dirty).
    status = dialog.locator("[data-versions-status]")
    assert "canvased.orcheo.json now holds the restored version." in status.inner_text()
    deadline = time.monotonic() + 15

    def on_disk() -> Any:
        # Jupyter saves a file in place (a backup beside it): a read can meet it half written.
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None

    while on_disk() != v1:
        assert time.monotonic() < deadline, path.read_text()
        time.sleep(0.2)
    page.click(".jp-Dialog .jp-mod-reject")

    # Unsaved edits in the open file are never thrown away by a restore.
    page.wait_for_selector(".jp-mod-current:not(.jp-mod-dirty)")
    name = page.locator('.jp-OrcheoDocument .oc-panel [data-field="name"]')
    name.fill("Edited, not saved")
    name.press("Tab")
    page.wait_for_selector(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty")
    page.click(
        '.jp-OrcheoDocumentWidget .jp-Toolbar .jp-ToolbarButtonComponent:has-text("Versions")'
    )
    dialog.locator("[data-diff-from]").select_option("2")
    dialog.locator('button[data-action="restore"]:has-text("Restore v2")').click()
    page.wait_for_selector('.jp-Dialog .jp-OrcheoVersions[data-versions="4"]')
    assert "canvased.orcheo.json has unsaved changes and was left as it is." in (
        status.inner_text()
    )
    assert lab.api("GET", f"{API}/workflows/{wid}")["document"] == v2
    assert json.loads(path.read_text()) == v1
    assert page.locator(".lm-TabBar-tab.jp-mod-current.jp-mod-dirty").count() == 1
