"""The debug loop on the canvas (issue 17): test a node, pin data, preview templates, breakpoints.

Each test drives the property panel in real Chromium, in the Lab canvas tab (REST
routes) or the notebook widget (the kernel), and checks what the user sees and
what was (not) stored.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from orcheo_jupyter import spec

from .lab import Lab
from .ui import CANVAS, cell_json, node_point, open_notebook, run_cell

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
CURRENT_TAB = ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current"


def _document(wid: str) -> dict[str, Any]:
    """greet -> shout -> boom: two SetVariableNodes with templates, then a failing code node."""
    return {
        "id": wid,
        "name": wid,
        "canvas": {
            "positions": {
                "greet": {"x": 0, "y": 0},
                "shout": {"x": 0, "y": 140},
                "boom": {"x": 0, "y": 280},
            }
        },
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "greet",
                        "type": "SetVariableNode",
                        "config": {"variables": {"greeting": "Hello {{ inputs.name }}"}},
                    },
                    {
                        "kind": "builtin",
                        "id": "shout",
                        "type": "SetVariableNode",
                        "config": {"variables": {"loud": "{{ results.greet.greeting }}!"}},
                    },
                    {
                        "kind": "code",
                        "id": "boom",
                        "config": {},
                        "injected": [],
                        "body": "raise ValueError('boom: ' + state['results']['shout']['loud'])",
                    },
                ],
                "edges": [
                    {"source": "__start__", "target": "greet"},
                    {"source": "greet", "target": "shout"},
                    {"source": "shout", "target": "boom"},
                    {"source": "boom", "target": "__end__"},
                ],
            },
        },
    }


def _wait_run(lab: Lab, run_id: str, *statuses: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while (run := lab.api("GET", f"orcheo/api/executions/{run_id}"))["status"] not in statuses:
        assert time.monotonic() < deadline, run
        time.sleep(0.1)
    return run  # type: ignore[no-any-return]


def _stored_and_ran(lab: Lab, wid: str, name: str = "Ada") -> tuple[Path, str]:
    """Save the file, store the workflow and run it once (it fails at boom, as written)."""
    path = lab.root / f"{wid}.orcheo.json"
    spec.save(spec.document_from_data(_document(wid)), path)
    lab.api("POST", "orcheo/api/workflows", _document(wid))
    run_id = lab.api("POST", f"orcheo/api/workflows/{wid}/execute", {"inputs": {"name": name}})[
        "execution_id"
    ]
    _wait_run(lab, run_id, "failed")
    return path, run_id


def _open(page: Any, lab: Lab, wid: str) -> None:
    lab.open(page, f"{wid}.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="3"]', timeout=60_000)


def _select(page: Any, node: str, scope: str = DOC) -> Any:
    page.evaluate(
        "([sel, id]) => { const c = document.querySelector(sel).orcheoCanvas;"
        " c.cy.elements().unselect(); c.cy.getElementById(id).select(); }",
        [scope, node],
    )
    panel = page.locator(f'{scope} .oc-node-panel[data-node-id="{node}"]')
    panel.wait_for()
    return panel


def _versions(lab: Lab, wid: str) -> int:
    return len(lab.api("GET", f"orcheo/api/workflows/{wid}/versions")["items"])


def _runs(lab: Lab, wid: str) -> list[dict[str, Any]]:
    return lab.api("GET", f"orcheo/api/executions?workflow_id={wid}")["items"]  # type: ignore[no-any-return]


def test_test_node_shows_output_or_error_and_stores_nothing(page: Any, lab: Lab) -> None:
    _, first = _stored_and_ran(lab, "dbg_test", "Ada")
    second = lab.api("POST", "orcheo/api/workflows/dbg_test/execute", {"inputs": {"name": "Bo"}})
    _wait_run(lab, second["execution_id"], "failed")
    _open(page, lab, "dbg_test")
    versions, runs = _versions(lab, "dbg_test"), len(_runs(lab, "dbg_test"))

    panel = _select(page, "shout")
    panel.locator('[data-action="test-node"]').click()
    output = panel.locator(".oc-test-output")
    output.wait_for()
    # Default: the latest run that reached the node (Bo's).
    assert json.loads(output.inner_text()) == {"loud": "Hello Bo!"}
    assert "on run " + second["execution_id"][:8] in panel.locator(".oc-test-result").inner_text()

    # The selector of recent runs: Ada's run gives Ada's output.
    select = panel.locator("select.oc-debug-run")
    page.wait_for_function(
        "sel => document.querySelector(sel).options.length >= 3", arg=f"{DOC} select.oc-debug-run"
    )
    select.select_option(first)
    panel = _select(page, "shout")
    panel.locator('[data-action="test-node"]').click()
    page.wait_for_function(
        "sel => (document.querySelector(sel) || {}).textContent?.includes('Hello Ada!')",
        arg=f"{DOC} .oc-test-output",
    )

    # The config as edited (unsaved) is what runs.
    value = panel.locator('.oc-field[data-field="variables"] .oc-map-value').first
    value.fill("{{ greet.greeting }}?")
    value.press("Tab")
    panel.locator('[data-action="test-node"]').click()
    page.wait_for_function(
        "sel => (document.querySelector(sel) || {}).textContent?.includes('Hello Ada?')",
        arg=f"{DOC} .oc-test-output",
    )

    # A failing node: its error, named, in the panel.
    panel = _select(page, "boom")
    panel.locator('[data-action="test-node"]').click()
    error = panel.locator(".oc-test-error")
    error.wait_for()
    assert error.get_attribute("data-node") == "boom"
    assert "boom: Hello Ada!" in error.inner_text()
    assert "ValueError" in error.inner_text() or "boom" in error.inner_text()

    # Nothing was stored: no version, no run.
    assert _versions(lab, "dbg_test") == versions
    assert len(_runs(lab, "dbg_test")) == runs


@pytest.mark.fresh_page
def test_a_workflow_never_run_tests_its_first_node_and_says_to_run_for_the_rest(
    page: Any, lab: Lab
) -> None:
    """A new file no Run stored yet: the node it starts at is tested on the state a run
    starts with; a later node says to run the workflow first. Nothing gets stored."""
    spec.save(spec.document_from_data(_document("dbg_never")), lab.root / "dbg_never.orcheo.json")
    refused: list[str] = []
    page.on("response", lambda r: r.status >= 400 and refused.append(f"{r.status} {r.url}"))
    _open(page, lab, "dbg_never")
    panel = _select(page, "shout")
    # No preview without a run: said once, not under every template field.
    note = panel.locator('.oc-template-preview[data-state="error"]')
    note.wait_for()
    assert note.count() == 1 and "has not run yet" in note.inner_text()
    panel = _select(page, "greet")
    panel.locator('[data-action="test-node"]').click()
    output = panel.locator(".oc-test-output")
    output.wait_for()
    assert json.loads(output.inner_text()) == {"greeting": "Hello {{ inputs.name }}"}
    result = panel.locator(".oc-test-result").inner_text()
    assert "succeeded" in result and "on the state a run starts with (no run yet)" in result
    # Asked without a 404 or 409 in the browser's console, which looks like a bug to a
    # new user.
    assert refused == []

    panel = _select(page, "shout")
    panel.locator('[data-action="test-node"]').click()
    error = panel.locator(".oc-test-error")
    error.wait_for()
    assert "has not run yet" in error.inner_text()
    with pytest.raises(HTTPError) as missing:
        lab.api("GET", "orcheo/api/workflows/dbg_never")
    assert missing.value.code == 404  # tests store nothing


def _click_node(page: Any, node: str) -> Any:
    """Select ``node`` with a click, as a user does; answers its form."""
    p = node_point(page, node, DOC)
    page.mouse.click(p["x"], p["y"])
    panel = page.locator(f'{DOC} .oc-node-panel[data-node-id="{node}"]')
    panel.wait_for()
    return panel


def _run_from_toolbar(page: Any, status: str) -> None:
    before = page.locator(f"{DOC} .oc-status").inner_text()
    page.click(f'{DOC} .oc-button[data-action="run"]')
    dialog = page.locator(".jp-Dialog")  # asks for the inputs.name the workflow reads
    dialog.locator("input").first.fill("Ada")
    dialog.locator("button", has_text="Run").click()
    page.wait_for_function(
        "([sel, before, status]) => { const t = document.querySelector(sel).textContent;"
        " return t !== before && t.includes(': ' + status); }",
        arg=[f"{DOC} .oc-status", before, status],
    )


def test_a_run_started_on_the_canvas_clears_the_node_tests_it_outdates(page: Any, lab: Lab) -> None:
    """A new user tests a node before any run, is told to run first, runs, and looks again.

    The refusal ("has not run yet") stayed under the node's fresh LAST RUN section, and
    after an edit and a new run the old test's output stayed beside the run's other one.
    """
    spec.save(spec.document_from_data(_document("dbg_stale")), lab.root / "dbg_stale.orcheo.json")
    _open(page, lab, "dbg_stale")
    panel = _click_node(page, "shout")
    panel.locator('[data-action="test-node"]').click()
    panel.locator(".oc-test-error").wait_for()
    assert "has not run yet" in panel.locator(".oc-test-result").inner_text()

    _run_from_toolbar(page, "failed")  # boom fails as written; shout ran
    panel = _click_node(page, "shout")
    panel.locator('.oc-run-status[data-run-status="succeeded"]').wait_for()
    expect(panel.locator(".oc-test-result")).to_have_text("")

    # A test on that run, then an edit and a run of the edited node: the test is gone,
    # the run's own output says what the node does now.
    panel.locator('[data-action="test-node"]').click()
    panel.locator(".oc-test-output").wait_for()
    value = panel.locator('.oc-field[data-field="variables"] .oc-map-value').first
    value.fill("{{ results.greet.greeting }}?")
    value.press("Tab")
    _run_from_toolbar(page, "failed")
    panel = _click_node(page, "shout")
    expect(panel.locator(".oc-node-output")).to_contain_text("?")
    expect(panel.locator(".oc-test-result")).to_have_text("")


def test_preview_of_a_node_renamed_since_the_save_looks_it_up_in_the_edited_document(
    page: Any, lab: Lab
) -> None:
    """The preview named the stored version's nodes: "the workflow has no node 'yell'
    (nodes: boom, greet, shout)" under the template of the node the user is looking at."""
    _stored_and_ran(lab, "dbg_renamed")
    _open(page, lab, "dbg_renamed")
    panel = _click_node(page, "shout")
    preview = panel.locator('.oc-field[data-field="variables"] .oc-template-preview')
    expect(preview).to_have_attribute("data-state", "resolved")  # on the run: "Hello Ada!"
    ident = panel.locator(".oc-node-id")
    ident.fill("yell")
    ident.press("Enter")
    page.wait_for_selector(f'{DOC} .oc-outline li[data-node-id="yell"]', state="attached")
    panel = _click_node(page, "yell")
    preview = panel.locator('.oc-field[data-field="variables"] .oc-template-preview')
    expect(preview).to_have_attribute("data-state", "error")
    expect(preview).to_contain_text("no run of this workflow reached node 'yell'")
    expect(preview).not_to_contain_text("has no node")


def _label(page: Any, node: str) -> dict[str, Any]:
    return page.evaluate(  # type: ignore[no-any-return]
        "([sel, id]) => { const n = document.querySelector(sel).orcheoCanvas.cy.getElementById(id);"
        " return {label: n.data('label'), unreached: n.hasClass('run-unreached'),"
        " ran: n.hasClass('run-succeeded')}; }",
        [DOC, node],
    )


def test_a_node_renamed_after_a_run_keeps_what_the_run_did(page: Any, lab: Lab) -> None:
    """The run's record was keyed by the old id: the node just renamed read 'not reached'
    (on the canvas and in the status line) and its form lost the run's output."""
    spec.save(spec.document_from_data(_document("dbg_keep")), lab.root / "dbg_keep.orcheo.json")
    _open(page, lab, "dbg_keep")
    _run_from_toolbar(page, "failed")  # boom fails as written; shout ran
    panel = _click_node(page, "shout")
    panel.locator('.oc-run-status[data-run-status="succeeded"]').wait_for()
    ident = panel.locator(".oc-node-id")
    ident.fill("yell")
    ident.press("Enter")
    page.wait_for_selector(f'{DOC} .oc-outline li[data-node-id="yell"]', state="attached")
    shown = _label(page, "yell")
    assert "not reached" not in shown["label"] and not shown["unreached"] and shown["ran"], shown
    assert "not reached" not in page.locator(f"{DOC} .oc-status").inner_text()
    panel = _click_node(page, "yell")
    panel.locator('.oc-run-status[data-run-status="succeeded"]').wait_for()
    expect(panel.locator(".oc-node-output")).to_contain_text("Hello Ada!")
    # Its templates and Test node read that run too (they asked for 'yell', which no
    # run reached, while the canvas showed the run's output for it).
    preview = panel.locator('.oc-field[data-field="variables"] .oc-template-preview')
    expect(preview).to_have_attribute("data-state", "resolved")
    expect(preview).to_contain_text("Hello Ada!")
    panel.locator('[data-action="test-node"]').click()
    expect(panel.locator('.oc-test-result[data-test-status="succeeded"]')).to_contain_text(
        "Hello Ada!"
    )
    # Undo the rename: the record goes back with the name.
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+z")
    page.wait_for_selector(f'{DOC} .oc-outline li[data-node-id="shout"]', state="attached")
    shown = _label(page, "shout")
    assert not shown["unreached"] and shown["ran"], shown


@pytest.mark.fresh_page
def test_a_normal_session_logs_no_errors_in_the_browser_console(page: Any, lab: Lab) -> None:
    """A new user opens a workflow, clicks its nodes, runs it and opens the forms again:
    the browser's console showed a 409 for every form opened before the first run (the
    preview asked for an input no run had made) and a 404; they read as bugs."""
    spec.save(spec.document_from_data(_document("dbg_clean")), lab.root / "dbg_clean.orcheo.json")
    logged: list[str] = []
    page.on("console", lambda m: m.type == "error" and logged.append(f"console: {m.text}"))
    page.on("response", lambda r: r.status >= 400 and logged.append(f"{r.status} {r.url}"))
    page.on("requestfailed", lambda r: logged.append(f"failed {r.url} {r.failure}"))
    _open(page, lab, "dbg_clean")
    for node in ("greet", "shout", "boom"):
        _click_node(page, node)
    panel = _click_node(page, "shout")
    expect(panel.locator(".oc-template-preview")).to_have_attribute("data-state", "error")
    _run_from_toolbar(page, "failed")  # boom fails as written: a run's failure is no console error
    for node in ("greet", "shout", "boom"):
        _click_node(page, node)
    panel = _click_node(page, "shout")
    expect(panel.locator(".oc-template-preview")).to_have_attribute("data-state", "resolved")
    page.wait_for_timeout(500)  # late answers of the last form
    assert logged == [], "\n".join(logged)


@pytest.mark.fresh_page  # reloads the page it opened the file in
def test_pin_badge_appears_after_pinning_and_survives_reload(page: Any, lab: Lab) -> None:
    path, _ = _stored_and_ran(lab, "dbg_pin")
    _open(page, lab, "dbg_pin")
    badge = f'{DOC} .oc-node-badges[data-node="shout"] [data-badge="pin"]'
    assert page.locator(badge).count() == 0
    panel = _select(page, "shout")
    panel.locator('[data-action="test-node"]').click()
    panel.locator(".oc-test-output").wait_for()
    panel.locator('[data-action="pin-output"]').first.click()
    page.wait_for_selector(badge)
    assert page.locator(badge).is_visible()
    panel = _select(page, "shout")
    assert json.loads(panel.locator(".oc-pinned-output").inner_text()) == {"loud": "Hello Ada!"}

    # Typed JSON: bad JSON is refused with the reason; good JSON is pinned.
    panel = _select(page, "greet")
    panel.locator(".oc-pin-json summary").click()
    panel.locator(".oc-pin-input").fill("{not json")
    panel.locator('[data-action="pin-json"]').click()
    error = panel.locator(".oc-pin .oc-field-error")
    error.wait_for()
    assert "not valid JSON" in error.inner_text()
    assert page.locator(f'{DOC} .oc-node-badges[data-node="greet"]').count() == 0
    panel.locator(".oc-pin-input").fill('{"greeting": "pinned hi"}')
    panel.locator('[data-action="pin-json"]').click()
    page.wait_for_selector(f'{DOC} .oc-node-badges[data-node="greet"] [data-badge="pin"]')

    # Saved into the document's pinned member, and back after a reload.
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    saved = spec.loads(path.read_text())
    assert saved.pinned == {"shout": {"loud": "Hello Ada!"}, "greet": {"greeting": "pinned hi"}}
    page.reload()
    page.wait_for_selector(f'{DOC}[data-node-count="3"]', timeout=60_000)
    page.wait_for_selector(badge)
    page.wait_for_selector(f'{DOC} .oc-node-badges[data-node="greet"] [data-badge="pin"]')

    # A test of a pinned node answers the pin; unpin removes the badge.
    panel = _select(page, "greet")
    panel.locator('[data-action="test-node"]').click()
    page.wait_for_function(
        "sel => (document.querySelector(sel) || {}).textContent?.includes('pinned hi')",
        arg=f"{DOC} .oc-test-output",
    )
    assert "pinned output" in panel.locator(".oc-test-result").inner_text()
    panel.locator('[data-action="unpin"]').click()
    page.wait_for_selector(
        f'{DOC} .oc-node-badges[data-node="greet"] [data-badge="pin"]', state="detached"
    )
    assert page.locator(badge).count() == 1


def _focused_action(page: Any) -> str | None:
    return page.evaluate("() => document.activeElement?.dataset?.action ?? null")  # type: ignore[no-any-return]


def _selected(page: Any) -> list[str]:
    return page.evaluate(  # type: ignore[no-any-return]
        "sel => document.querySelector(sel).orcheoCanvas.cy.$('node:selected').map(n => n.id())",
        DOC,
    )


def _tab_to(page: Any, action: str, most: int) -> None:
    """Press Tab (at most ``most`` times) until the button of ``action`` has the keyboard."""
    for _ in range(most):
        if _focused_action(page) == action:
            break
        page.keyboard.press("Tab")
    assert _focused_action(page) == action


def _arrow_down_to(page: Any, node: str, most: int) -> None:
    """Press ArrowDown (at most ``most`` times) until ``node`` is the selected one, each
    press waited for: on a loaded machine a key pressed before the canvas took the
    previous one would otherwise be read against a stale selection."""
    for _ in range(most):
        if _selected(page) == [node]:
            break
        before = _selected(page)
        page.keyboard.press("ArrowDown")
        with contextlib.suppress(PlaywrightTimeout):
            page.wait_for_function(
                "([sel, before]) => JSON.stringify(document.querySelector(sel).orcheoCanvas"
                ".cy.$('node:selected').map(n => n.id())) !== before",
                arg=[DOC, json.dumps(before)],
                timeout=5_000,
            )
    assert _selected(page) == [node]


def test_keyboard_user_tests_and_pins_a_node_without_losing_the_focus(page: Any, lab: Lab) -> None:
    _stored_and_ran(lab, "dbg_keys")
    _open(page, lab, "dbg_keys")
    # Graph: start is at the top; ArrowDown walks greet, then shout; Enter opens its form.
    page.focus(f"{DOC} .oc-graph")
    _arrow_down_to(page, "shout", 6)
    page.keyboard.press("Enter")
    panel = page.locator(f'{DOC} .oc-node-panel[data-node-id="shout"]')
    panel.wait_for()
    _tab_to(page, "test-node", 30)
    page.keyboard.press("Enter")
    output = panel.locator(".oc-test-output")
    output.wait_for()
    assert json.loads(output.inner_text()) == {"loud": "Hello Ada!"}
    # The panel redrew with the result; the keyboard is still on Test node, so Enter re-tests.
    assert _focused_action(page) == "test-node"
    _tab_to(page, "pin-output", 12)
    page.keyboard.press("Enter")
    page.wait_for_selector(f'{DOC} .oc-node-badges[data-node="shout"] [data-badge="pin"]')
    # Pin turned into Unpin, and the keyboard is on it (not dropped to the page's body).
    page.wait_for_function("() => document.activeElement?.dataset?.action === 'unpin'")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'{DOC} .oc-node-badges[data-node="shout"]', state="detached")
    page.wait_for_function("() => document.activeElement?.dataset?.action === 'pin-output'")
    page.keyboard.press("Enter")  # pinned again, from the keyboard alone
    page.wait_for_selector(f'{DOC} .oc-node-badges[data-node="shout"] [data-badge="pin"]')
    # Escape gives the keyboard back to the graph, shout still selected: arrows walk on.
    page.keyboard.press("Escape")
    assert page.evaluate("() => document.activeElement.classList.contains('oc-graph')")
    assert _selected(page) == ["shout"]
    page.keyboard.press("ArrowUp")
    page.wait_for_selector(f'{DOC} .oc-node-panel[data-node-id="greet"]')
    assert _selected(page) == ["greet"]


def test_enter_right_after_an_arrow_opens_the_form_of_the_node_it_reached(
    page: Any, lab: Lab
) -> None:
    """The panel follows the selection a moment later; a keyboard user who presses
    Enter at once must land in the form of the node the arrow selected."""
    _stored_and_ran(lab, "dbg_quick")
    _open(page, lab, "dbg_quick")
    page.focus(f"{DOC} .oc-graph")
    _arrow_down_to(page, "greet", 6)
    page.locator(f'{DOC} .oc-node-panel[data-node-id="greet"]').wait_for()
    # Both keys in one go, as a fast typist's (or a loaded machine's) arrive: no timer
    # runs between them.
    page.evaluate(
        """sel => {
            const graph = document.querySelector(sel);
            for (const key of ['ArrowDown', 'Enter'])
                graph.dispatchEvent(new KeyboardEvent('keydown', {key, bubbles: true}));
        }""",
        f"{DOC} .oc-graph",
    )
    assert _selected(page) == ["shout"]
    assert (
        page.evaluate("() => document.activeElement.closest('.oc-node-panel')?.dataset.nodeId")
        == "shout"
    )


def test_expression_preview_updates_as_you_type_and_tree_inserts_paths(page: Any, lab: Lab) -> None:
    _stored_and_ran(lab, "dbg_preview", "Ada")
    _open(page, lab, "dbg_preview")
    panel = _select(page, "shout")
    field = panel.locator('.oc-field[data-field="variables"]')
    preview = field.locator(".oc-template-preview")
    page.wait_for_function(
        "sel => document.querySelector(sel)?.dataset.state === 'resolved'",
        arg=f'{DOC} .oc-field[data-field="variables"] .oc-template-preview',
    )
    assert preview.locator(".oc-preview-value").inner_text() == '"Hello Ada!"'

    # Typing changes the preview (no save, no blur needed).
    value = field.locator(".oc-map-value").first
    value.click()
    value.press("End")
    value.type(" from {{ inputs.name }}", delay=20)
    page.wait_for_function(
        "sel => document.querySelector(sel)?.textContent.includes('Hello Ada! from Ada')",
        arg=f'{DOC} .oc-field[data-field="variables"] .oc-preview-value',
    )
    # A path that is not in the state says so.
    value.press("End")
    value.type(" {{ results.nowhere }}", delay=10)
    page.wait_for_function(
        "sel => document.querySelector(sel)?.dataset.state === 'unresolved'",
        arg=f'{DOC} .oc-field[data-field="variables"] .oc-template-preview',
    )
    assert "results.nowhere" in preview.inner_text()

    # The state tree: a click on a key inserts its path at the cursor.
    value.fill("")
    value.type("got: ")
    panel.locator(".oc-state-tree summary").click()
    panel.locator('.oc-tree-key[data-path="results"]').wait_for()
    panel.locator('.oc-tree-key[data-path="results"]').locator("xpath=..").locator(
        ".oc-tree-toggle"
    ).click()
    panel.locator('.oc-tree-key[data-path="results.greet"]').locator("xpath=..").locator(
        ".oc-tree-toggle"
    ).click()
    panel.locator('.oc-tree-key[data-path="results.greet.greeting"]').click()
    shout_panel = f'{DOC} .oc-node-panel[data-node-id="shout"]'
    value = page.locator(f'{shout_panel} .oc-field[data-field="variables"] .oc-map-value').first
    assert value.input_value() == "got: {{ results.greet.greeting }}"
    page.wait_for_function(
        "sel => document.querySelector(sel)?.textContent === '\"got: Hello Ada\"'",
        arg=f'{DOC} .oc-field[data-field="variables"] .oc-preview-value',
    )
    # The insertion is an edit of the document like typing.
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    doc = page.evaluate(f"() => document.querySelector('{DOC}').orcheoCanvas.document")
    shout = next(n for n in doc["graph"]["ir"]["nodes"] if n["id"] == "shout")
    assert shout["config"]["variables"]["loud"] == "got: {{ results.greet.greeting }}"


def test_preview_of_a_jinja_template_renders_it_as_the_node_will(page: Any, lab: Lab) -> None:
    """A Template node's template is Jinja: the preview said '{{ greet.greeting | upper }}'
    was "not in the state" while the node (and Test node) rendered it fine."""
    doc = _document("dbg_jinja")
    ir = doc["graph"]["ir"]
    template = "{{ greet.greeting | upper }}{% if inputs.name == 'Ada' %}!{% endif %}"
    ir["nodes"][1] = {
        "kind": "builtin",
        "id": "shout",
        "type": "TemplateNode",
        "config": {"template": template},
    }
    path = lab.root / "dbg_jinja.orcheo.json"
    spec.save(spec.document_from_data(doc), path)
    lab.api("POST", "orcheo/api/workflows", doc)
    run = lab.api("POST", "orcheo/api/workflows/dbg_jinja/execute", {"inputs": {"name": "Ada"}})
    _wait_run(lab, run["execution_id"], "failed")  # boom fails on purpose, after shout ran
    _open(page, lab, "dbg_jinja")
    panel = _click_node(page, "shout")
    preview = panel.locator('.oc-field[data-field="template"] .oc-template-preview')
    expect(preview).to_have_attribute("data-state", "resolved")
    expect(preview.locator(".oc-preview-value")).to_have_text('"HELLO ADA!"')
    expect(preview).not_to_contain_text("not in the state")

    # As the user types: a loop renders; a name the state lacks is said; a broken
    # template says what the node would do instead of a value.
    field = panel.locator('.oc-field[data-field="template"] textarea')
    field.fill("{% for w in greet.greeting.split() %}[{{ w }}]{% endfor %} {{ nobody }}")
    expect(preview.locator(".oc-preview-value")).to_have_text('"[Hello][Ada] "')
    expect(preview).to_have_attribute("data-state", "unresolved")
    expect(preview).to_contain_text("not in the state: nobody")
    field.fill("{% if %}")
    expect(preview).to_have_attribute("data-state", "note")
    expect(preview).to_contain_text("the node would fail: template syntax error")


def test_breakpoint_toggle_makes_a_run_pause_before_that_node(page: Any, lab: Lab) -> None:
    _stored_and_ran(lab, "dbg_break")
    _open(page, lab, "dbg_break")
    panel = _select(page, "shout")
    toggle = panel.locator('[data-action="break-before"]')
    toggle.click()
    assert toggle.get_attribute("aria-pressed") == "true"
    page.wait_for_selector(f'{DOC} .oc-node-badges[data-node="shout"] [data-badge="breakBefore"]')
    before = {r["id"] for r in _runs(lab, "dbg_break")}

    page.click(f'{DOC} .oc-button[data-action="run"]')
    dialog = page.locator(".jp-Dialog")
    dialog.locator('[data-input="name"]').fill("Cy")
    dialog.locator(".jp-mod-accept").click()
    page.wait_for_selector(f'{DOC}[data-run-status="interrupted"]', timeout=60_000)
    page.wait_for_selector(
        f'{DOC} .oc-node-badges[data-node="shout"] [data-badge="paused"][data-when="before"]'
    )
    assert "paused before shout" in page.locator(f"{DOC} .oc-status").inner_text()
    new = [r for r in _runs(lab, "dbg_break") if r["id"] not in before]
    assert len(new) == 1
    run = _wait_run(lab, new[0]["id"], "interrupted")
    assert run["node_states"] == {"greet": "succeeded"}  # shout never started

    # Continue from the canvas: the run goes on past the breakpoint (and fails at boom).
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Escape")
    page.click(f'{DOC} .oc-panel [data-action="continue-run"]')
    page.wait_for_selector(f'{DOC}[data-run-status="failed"]', timeout=60_000)
    run = _wait_run(lab, new[0]["id"], "failed")
    assert run["node_states"] == {"greet": "succeeded", "shout": "succeeded", "boom": "failed"}
    page.wait_for_selector(f'{DOC} .oc-node-badges [data-badge="paused"]', state="detached")

    # Toggled off: the next run goes through (and fails at boom, as written).
    _select(page, "shout").locator('[data-action="break-before"]').click()
    page.wait_for_selector(
        f'{DOC} .oc-node-badges[data-node="shout"] [data-badge="breakBefore"]', state="detached"
    )
    page.click(f'{DOC} .oc-button[data-action="run"]')
    page.locator(".jp-Dialog .jp-mod-accept").click()
    deadline = time.monotonic() + 30
    while len(latest := [r for r in _runs(lab, "dbg_break") if r["id"] not in before]) < 2:
        assert time.monotonic() < deadline, "the second run did not start"
        time.sleep(0.1)
    third = _wait_run(lab, latest[0]["id"], "failed", "interrupted")
    assert third["status"] == "failed" and third["node_states"]["boom"] == "failed"


NOTEBOOK = [
    # 0: the workflow on the canvas
    "from orcheo_jupyter import Workflow, Canvas\n"
    "wf = (Workflow('nbdebug')\n"
    "      .add_node('greet', 'SetVariableNode',\n"
    "                variables={'greeting': 'Hello {{ inputs.name }}'})\n"
    "      .add_node('shout', 'SetVariableNode', variables={'loud': '{{ greet.greeting }}!'})\n"
    "      .add_edge('START', 'greet').add_edge('greet', 'shout').add_edge('shout', 'END'))\n"
    "Canvas(wf, height='600px')",
    # 1: a run from Python
    "import json; r = wf.run({'name': 'Ada'}); print(json.dumps(r.status))",
    # 2: the kernel's document
    "print(json.dumps(wf.document.model_dump(mode='json')))",
]


def test_notebook_canvas_tests_pins_previews_and_breaks_in_the_kernel(page: Any, lab: Lab) -> None:
    open_notebook(page, lab, "debug_loop.ipynb", NOTEBOOK)
    run_cell(page, 0)
    page.wait_for_selector(f'{CANVAS}[data-node-count="2"]', timeout=60_000)
    assert cell_json(page, 1) == "succeeded"

    # Test node, on the run made from Python.
    panel = _select(page, "shout", CANVAS)
    panel.locator('[data-action="test-node"]').click()
    output = panel.locator(".oc-test-output")
    output.wait_for()
    assert json.loads(output.inner_text()) == {"loud": "Hello Ada!"}

    # The expression preview comes from the kernel too.
    page.wait_for_function(
        "sel => document.querySelector(sel)?.textContent === '\"Hello Ada!\"'",
        arg=f'{CANVAS} .oc-field[data-field="variables"] .oc-preview-value',
    )

    # Pin: the kernel's document holds it; the badge shows.
    panel.locator('[data-action="pin-output"]').first.click()
    page.wait_for_selector(f'{CANVAS} .oc-node-badges[data-node="shout"] [data-badge="pin"]')
    page.wait_for_timeout(300)
    assert cell_json(page, 2)["pinned"] == {"shout": {"loud": "Hello Ada!"}}

    # Breakpoint after greet: ▶ Run pauses there, shown on the node and the status line.
    panel = _select(page, "greet", CANVAS)
    panel.locator('[data-action="break-after"]').click()
    page.wait_for_selector(f'{CANVAS} .oc-node-badges[data-node="greet"] [data-badge="breakAfter"]')
    page.click(f'{CANVAS} .oc-button[data-action="run"]')
    form = page.locator(f"{CANVAS} .oc-modal")
    form.locator('[data-input="name"]').fill("Bo")
    form.locator('[data-action="accept"]').click()
    page.wait_for_selector(f'{CANVAS}[data-run-status="interrupted"]', timeout=60_000)
    page.wait_for_selector(
        f'{CANVAS} .oc-node-badges[data-node="greet"] [data-badge="paused"][data-when="after"]'
    )
    assert "paused after greet" in page.locator(f"{CANVAS} .oc-status").inner_text()
    # Continue in the widget: the kernel resumes it; shout's pin stands in for it.
    page.evaluate(
        "sel => { document.querySelector(sel).orcheoCanvas.cy.elements().unselect(); }", CANVAS
    )
    page.click(f'{CANVAS} .oc-panel [data-action="continue-run"]')
    page.wait_for_selector(f'{CANVAS}[data-run-status="succeeded"]', timeout=60_000)
    page.wait_for_selector(f'{CANVAS} .oc-node-badges [data-badge="paused"]', state="detached")
    assert "succeeded" in page.locator(f"{CANVAS} .oc-status").inner_text()
