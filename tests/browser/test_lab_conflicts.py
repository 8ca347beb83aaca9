"""Lab's Run never silently replaces a version someone else stored meanwhile.

The canvas knows which stored version its edits were made from and Run stores with
``base_version``; when the workflow moved on (REST, the CLI, another tab) a dialog
says so, shows what changed on the server, and offers Reload theirs, Overwrite or
Cancel, each doing what it says to the stored versions and the canvas.
"""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import expect

from orcheo_jupyter import spec
from tests.conftest import linear_doc

from .lab import Lab

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
DIALOG = ".jp-Dialog:has(.jp-OrcheoConflict)"
CURRENT_TAB = ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current"


def _doc(wid: str, *names: str) -> dict[str, Any]:
    doc = linear_doc(*names, name=wid)
    doc["id"] = wid
    doc["canvas"] = {"positions": {n: {"x": 0, "y": 120 * i} for i, n in enumerate(names)}}
    return doc


def _stored(lab: Lab, wid: str) -> tuple[list[int], list[str]]:
    """The stored version numbers and the latest version's node ids."""
    versions = lab.api("GET", f"orcheo/api/workflows/{wid}/versions")["items"]
    latest = lab.api("GET", f"orcheo/api/workflows/{wid}")
    nodes = [n["id"] for n in latest["document"]["graph"]["ir"]["nodes"]]
    return [v["version"] for v in versions], nodes


def _canvas_nodes(page: Any) -> list[str]:
    return sorted(
        page.evaluate(
            "sel => document.querySelector(sel).orcheoCanvas.cy.nodes()"
            ".filter(n => !n.id().startsWith('__')).map(n => n.id())",
            DOC,
        )
    )


def _runs(lab: Lab, wid: str) -> list[dict[str, Any]]:
    return lab.api("GET", f"orcheo/api/executions?workflow_id={wid}")["items"]


def _wait_run(lab: Lab, wid: str, count: int) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while len(runs := _runs(lab, wid)) < count:
        assert time.monotonic() < deadline, runs
        time.sleep(0.1)
    return runs[0]


def _open_stored(page: Any, lab: Lab, wid: str, *names: str) -> None:
    """A file holding version 1 of a stored workflow, open on the canvas."""
    spec.save(spec.document_from_data(_doc(wid, *names)), lab.root / f"{wid}.orcheo.json")
    lab.api("PUT", f"orcheo/api/workflows/{wid}?create=true", _doc(wid, *names))
    page.goto(lab.page_url(f"lab/tree/{wid}.orcheo.json"))
    page.wait_for_selector(f'{DOC}[data-node-count="{len(names)}"]', timeout=60_000)
    # The canvas found that the file holds version 1.
    page.wait_for_selector('.jp-OrcheoDocument[data-base-version="1"]')


def _add_debug_node(page: Any, count: int) -> None:
    page.fill(f"{DOC} .oc-palette-search", "debug")
    page.dblclick(f'{DOC} .oc-palette-item[data-node-type="DebugNode"]')
    page.wait_for_selector(f'{DOC}[data-node-count="{count}"]')


def _run_into_conflict(page: Any) -> Any:
    page.click(f'{DOC} .oc-button[data-action="run"]')
    dialog = page.locator(DIALOG)
    dialog.wait_for()
    return dialog


def test_cancel_and_reload_theirs_after_a_rest_change(page: Any, lab: Lab) -> None:
    wid = "shared-reload"
    _open_stored(page, lab, wid, "first")
    # Behind Lab's back, someone stores version 2 through the REST API.
    lab.api("PUT", f"orcheo/api/workflows/{wid}", _doc(wid, "first", "theirs"))
    _add_debug_node(page, 2)

    dialog = _run_into_conflict(page)
    expect(dialog.locator(".jp-Dialog-header")).to_have_text("This workflow changed on the server")
    text = dialog.locator("[data-conflict-text]").inner_text()
    # When version 2 was stored, in the browser's local time as the run pickers show times.
    stored_at = lab.api("GET", f"orcheo/api/workflows/{wid}")["updated_at"]
    local = page.evaluate("at => new Date(at).toLocaleString()", stored_at)
    assert (
        f"your canvas was made from version 1, the server now has version 2 (stored {local}). "
        "Storing your canvas would replace those changes." in text
    ), text
    # What they changed, from version 1 to 2.
    dialog.locator('[data-diff="1-2"]').wait_for()
    expect(dialog.locator('[data-section="nodes"] [data-kind="added"]')).to_have_attribute(
        "data-item", "theirs (SetVariableNode)"
    )
    expect(dialog.locator(".oc-conflict-choices li")).to_have_count(3)
    assert "stored as version 3" in dialog.inner_text()

    # Cancel: nothing stored, no run, the canvas keeps the edit.
    dialog.locator("button", has_text="Cancel").click()
    expect(page.locator(DIALOG)).to_have_count(0)
    page.wait_for_selector(f'{DOC} .oc-toast:has-text("Not stored, not run")')
    assert _stored(lab, wid) == ([1, 2], ["first", "theirs"])
    assert _canvas_nodes(page) == ["debug", "first"]
    assert _runs(lab, wid) == []

    # Reload theirs: the canvas shows version 2, nothing is stored, nothing runs.
    dialog = _run_into_conflict(page)
    dialog.locator("button", has_text="Reload theirs").click()
    page.wait_for_selector(f'{DOC}[data-node-count="2"]')
    page.wait_for_selector(f'{DOC} .oc-toast:has-text("Showing version 2 from the server")')
    assert _canvas_nodes(page) == ["first", "theirs"]
    assert _stored(lab, wid) == ([1, 2], ["first", "theirs"])
    assert _runs(lab, wid) == []
    # The file is not rewritten until the user saves; the tab says it differs.
    assert [n.id for n in spec.load(lab.root / f"{wid}.orcheo.json").graph.ir.nodes] == ["first"]  # type: ignore[union-attr]
    page.wait_for_selector(f"{CURRENT_TAB}.jp-mod-dirty")

    # Now made from version 2: Run asks nothing and runs version 2 (unchanged, not re-stored).
    page.wait_for_selector('.jp-OrcheoDocument[data-base-version="2"]')
    page.click(f'{DOC} .oc-button[data-action="run"]')
    run = _wait_run(lab, wid, 1)
    assert run["version"] == 2
    expect(page.locator(DIALOG)).to_have_count(0)
    assert _stored(lab, wid) == ([1, 2], ["first", "theirs"])


def test_overwrite_stores_mine_on_top_of_theirs_and_runs_it(page: Any, lab: Lab) -> None:
    wid = "shared-overwrite"
    _open_stored(page, lab, wid, "first")
    lab.api("PUT", f"orcheo/api/workflows/{wid}", _doc(wid, "first", "theirs"))
    _add_debug_node(page, 2)

    dialog = _run_into_conflict(page)
    dialog.locator("button", has_text="Overwrite").click()
    run = _wait_run(lab, wid, 1)
    # Mine is version 3, on top of theirs (which stays in the history).
    assert run["version"] == 3
    assert _stored(lab, wid) == ([1, 2, 3], ["first", "debug"])
    v2 = lab.api("GET", f"orcheo/api/workflows/{wid}/versions/2")["document"]
    assert [n["id"] for n in v2["graph"]["ir"]["nodes"]] == ["first", "theirs"]
    assert _canvas_nodes(page) == ["debug", "first"]

    # The canvas is made from version 3 now: another edit and Run store version 4 unasked.
    page.wait_for_selector('.jp-OrcheoDocument[data-base-version="3"]')
    page.fill(f"{DOC} .oc-palette-search", "debug")
    page.dblclick(f'{DOC} .oc-palette-item[data-node-type="DebugNode"]')
    page.wait_for_selector(f'{DOC}[data-node-count="3"]')
    page.click(f'{DOC} .oc-button[data-action="run"]')
    assert _wait_run(lab, wid, 2)["version"] == 4
    expect(page.locator(DIALOG)).to_have_count(0)


def test_two_tabs_of_a_new_file_the_second_run_asks(page: Any, lab: Lab) -> None:
    """Neither tab's document was ever stored: the second Run must not add to the first's."""
    wid = "new-in-two-tabs"
    spec.save(spec.document_from_data(_doc(wid, "first")), lab.root / f"{wid}.orcheo.json")
    page.goto(lab.page_url(f"lab/tree/{wid}.orcheo.json"))
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    page.wait_for_selector('.jp-OrcheoDocument[data-base-version="0"]')
    other = page.context.new_page()
    try:
        other.goto(lab.page_url(f"lab/tree/{wid}.orcheo.json").replace("?reset&", "?"))
        other.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
        other.wait_for_selector('.jp-OrcheoDocument[data-base-version="0"]')
        _add_debug_node(other, 2)
        other.click(f'{DOC} .oc-button[data-action="run"]')
        assert _wait_run(lab, wid, 1)["version"] == 1
    finally:
        other.close()

    _add_debug_node(page, 2)
    _add_debug_node(page, 3)  # not what the other tab stored
    dialog = _run_into_conflict(page)
    text = dialog.locator("[data-conflict-text]").inner_text()
    assert "was stored on the server by someone else after this file was opened" in text
    assert "the server now has version 1" in text
    dialog.locator("button", has_text="Cancel").click()
    assert _stored(lab, wid)[0] == [1]


def test_reload_theirs_when_the_file_holds_theirs_leaves_the_tab_clean(page: Any, lab: Lab) -> None:
    """A notebook's %%orcheo cell stores version 2 and writes it to the file the tab shows."""
    wid = "shared-notebook"
    _open_stored(page, lab, wid, "first")
    theirs = _doc(wid, "first", "theirs")
    lab.api("PUT", f"orcheo/api/workflows/{wid}", theirs)
    path = lab.root / f"{wid}.orcheo.json"
    spec.save(spec.document_from_data(theirs), path)
    written = path.read_text()
    _add_debug_node(page, 2)

    dialog = _run_into_conflict(page)
    dialog.locator("button", has_text="Reload theirs").click()
    page.wait_for_selector(f'{DOC} .oc-toast:has-text("the file holds it too")')
    assert _canvas_nodes(page) == ["first", "theirs"]
    # The tab took the file as it is on disk: nothing to save, so no "File Changed" later.
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    page.wait_for_selector('.jp-OrcheoDocument[data-base-version="2"]')
    assert path.read_text() == written
    assert _stored(lab, wid) == ([1, 2], ["first", "theirs"])
    page.click(f'{DOC} .oc-button[data-action="run"]')
    assert _wait_run(lab, wid, 1)["version"] == 2


def test_a_file_holding_an_older_version_says_so_on_opening(page: Any, lab: Lab) -> None:
    """Stored on (CLI, another machine) while the file stayed at version 1."""
    wid = "behind"
    spec.save(spec.document_from_data(_doc(wid, "first")), lab.root / f"{wid}.orcheo.json")
    lab.api("PUT", f"orcheo/api/workflows/{wid}?create=true", _doc(wid, "first"))
    lab.api("PUT", f"orcheo/api/workflows/{wid}", _doc(wid, "first", "theirs"))
    page.goto(lab.page_url(f"lab/tree/{wid}.orcheo.json"))
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    page.wait_for_selector(
        f'{DOC} .oc-toast:has-text("This file holds version 1 of the stored workflow; '
        'the server has version 2")'
    )
    page.wait_for_selector('.jp-OrcheoDocument[data-base-version="1"]')
    # Running the file as it is would take theirs back out: Run asks first.
    dialog = _run_into_conflict(page)
    assert "your canvas was made from version 1" in dialog.inner_text()
    dialog.locator("button", has_text="Cancel").click()
    assert _stored(lab, wid) == ([1, 2], ["first", "theirs"])
