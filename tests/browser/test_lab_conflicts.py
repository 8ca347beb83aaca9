"""Lab's Run and Versions' Restore never silently replace a version someone else stored.

The canvas knows which stored version its edits were made from and Run stores with
``base_version``; when the workflow moved on (REST, the CLI, another tab) a dialog
says so, shows what changed on the server, and offers Reload theirs, Overwrite or
Cancel, each doing what it says to the stored versions and the canvas. The Versions
dialog restores on top of the latest version it listed, and asks the same way (Refresh
the list, Restore anyway, Cancel) when another was stored after it listed them.
"""

from __future__ import annotations

import json
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
    lab.open(page, f"{wid}.orcheo.json")
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
    lab.open(page, f"{wid}.orcheo.json")
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
    lab.open(page, f"{wid}.orcheo.json")
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


VERSIONS = ".jp-Dialog .jp-OrcheoVersions"
RESTORE_CONFLICT = f"{VERSIONS} [data-restore-conflict]"


def _versions_dialog(page: Any, count: int) -> Any:
    """The canvas tab's Versions dialog, once it lists ``count`` versions and their diff."""
    page.click(
        '.jp-OrcheoDocumentWidget .jp-Toolbar .jp-ToolbarButtonComponent:has-text("Versions")'
    )
    page.wait_for_selector(f'{VERSIONS}[data-versions="{count}"] [data-diff-summary]')
    return page.locator(VERSIONS)


def _restore_into_conflict(dialog: Any, version: int) -> Any:
    dialog.locator(f'button[data-action="restore"]:has-text("Restore v{version}")').click()
    box = dialog.locator("[data-restore-conflict]")
    box.wait_for()
    return box


def _on_disk(path: Any) -> Any:
    # Jupyter saves a file in place (a backup beside it): a read can meet it half written.
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError:
        return None


def test_restore_from_versions_asks_when_a_version_was_stored_since(page: Any, lab: Lab) -> None:
    wid = "restore-behind"
    path = lab.root / f"{wid}.orcheo.json"
    spec.save(spec.document_from_data(_doc(wid, "first", "second")), path)
    lab.api("PUT", f"orcheo/api/workflows/{wid}?create=true", _doc(wid, "first"))
    lab.api("PUT", f"orcheo/api/workflows/{wid}", _doc(wid, "first", "second"))
    lab.open(page, f"{wid}.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="2"]', timeout=60_000)
    page.wait_for_selector('.jp-OrcheoDocument[data-base-version="2"]')
    dialog = _versions_dialog(page, 2)
    expect(dialog.locator("[data-diff-summary]")).to_have_text(
        "v1 → v2: 1 node added, 2 edges added, 1 edge removed"
    )
    written = path.read_text()

    # Behind Lab's back, after the dialog listed versions 1 and 2, someone stores version 3.
    lab.api("PUT", f"orcheo/api/workflows/{wid}", _doc(wid, "first", "second", "theirs"))
    box = _restore_into_conflict(dialog, 1)
    expect(box.locator("h3")).to_have_text("This workflow changed on the server")
    stored_at = lab.api("GET", f"orcheo/api/workflows/{wid}/versions")["items"][-1]["created_at"]
    local = page.evaluate("at => new Date(at).toLocaleString()", stored_at)
    expect(box.locator("[data-conflict-text]")).to_have_text(
        f'"{wid}" changed on the server after this list was shown: it showed version 2 as the '
        f"current one, the server now has version 3 (stored {local}). Restoring version 1 would "
        "replace those changes."
    )
    # What they changed, from the version the list showed to theirs.
    box.locator('[data-diff="2-3"]').wait_for()
    expect(box.locator('[data-section="nodes"] [data-kind="added"]')).to_have_attribute(
        "data-item", "theirs (SetVariableNode)"
    )
    expect(box.locator(".oc-conflict-choices li")).to_have_count(3)
    expect(box.locator(".oc-conflict-choices li").nth(1)).to_contain_text(
        "version 1 is stored as version 4, on top of theirs; version 3 stays in the history"
    )
    # Nothing was stored: theirs is still the latest; the open file is as it was.
    assert _stored(lab, wid) == ([1, 2, 3], ["first", "second", "theirs"])
    assert path.read_text() == written
    assert _canvas_nodes(page) == ["first", "second"]

    status = dialog.locator("[data-versions-status]")
    expect(status).to_have_text(
        "v1 is not restored yet: version 3 was stored after this list was shown."
    )
    expect(dialog.locator('button[data-action="restore"]')).to_be_disabled()

    # Cancel: nothing stored, the question goes, Restore can be asked again (and has the
    # focus the gone choice button had, so Escape still closes the dialog).
    box.locator('button[data-restore-choice="cancel"]').click()
    expect(box).to_have_count(0)
    expect(status).to_have_text(
        "Not restored: the server keeps version 3; this list still shows v2 as the current one."
    )
    assert _stored(lab, wid) == ([1, 2, 3], ["first", "second", "theirs"])
    expect(dialog).to_have_attribute("data-versions", "2")
    expect(dialog.locator('button[data-action="restore"]')).to_be_enabled()
    expect(dialog.locator('button[data-action="restore"]')).to_be_focused()

    # Refresh the list: nothing stored; the list shows version 3, compared with version 1.
    box = _restore_into_conflict(dialog, 1)
    box.locator('button[data-restore-choice="refresh"]').click()
    expect(box).to_have_count(0)
    expect(dialog).to_have_attribute("data-versions", "3")
    expect(status).to_have_text(
        "Not restored: the list now shows version 3, the current one. "
        "Restore v1 again to store it on top."
    )
    expect(dialog.locator("[data-diff-summary]")).to_contain_text("v1 → v3: 2 nodes added")
    expect(dialog.locator('[data-diff-to] option[value="3"]')).to_contain_text("(current)")
    assert _stored(lab, wid) == ([1, 2, 3], ["first", "second", "theirs"])
    assert path.read_text() == written

    # Version 4 lands behind Lab's back too; Restore anyway stores version 1 on top of it.
    lab.api("PUT", f"orcheo/api/workflows/{wid}", _doc(wid, "first", "more"))
    box = _restore_into_conflict(dialog, 1)
    expect(box).to_have_attribute("data-base", "3")
    expect(box).to_have_attribute("data-latest", "4")
    box.locator('button[data-restore-choice="anyway"]:has-text("Restore v1 anyway")').click()
    expect(dialog).to_have_attribute("data-versions", "5")
    expect(status).to_contain_text(
        "Restored v1 as v5, now the current version (on top of v4). "
        f"{wid}.orcheo.json now holds the restored version."
    )
    assert _stored(lab, wid) == ([1, 2, 3, 4, 5], ["first"])
    v1 = lab.api("GET", f"orcheo/api/workflows/{wid}/versions/1")["document"]
    v4 = lab.api("GET", f"orcheo/api/workflows/{wid}/versions/4")["document"]
    v5 = lab.api("GET", f"orcheo/api/workflows/{wid}/versions/5")["document"]
    assert v5 == v1
    assert [n["id"] for n in v4["graph"]["ir"]["nodes"]] == ["first", "more"]
    # The open canvas tab shows the restored version and its file holds it, saved.
    page.wait_for_selector(f'{DOC}[data-node-count="1"]')
    assert _canvas_nodes(page) == ["first"]
    deadline = time.monotonic() + 15
    while _on_disk(path) != v5:
        assert time.monotonic() < deadline, path.read_text()
        time.sleep(0.2)

    # Behind Lab's back someone stores version 6, then restores version 1 as version 7. The
    # dialog (still showing version 5) restores version 1: the server answers with their
    # version 7 and stores nothing, and the status does not claim version 7 as its own.
    lab.api("PUT", f"orcheo/api/workflows/{wid}", _doc(wid, "first", "later"))
    lab.api("POST", f"orcheo/api/workflows/{wid}/versions/1/restore")
    assert _stored(lab, wid) == ([1, 2, 3, 4, 5, 6, 7], ["first"])
    dialog.locator('button[data-action="restore"]:has-text("Restore v1")').click()
    expect(dialog).to_have_attribute("data-versions", "7")
    expect(status).to_contain_text(
        "v7, stored on the server since, already holds v1's document: nothing was stored."
    )
    assert _stored(lab, wid) == ([1, 2, 3, 4, 5, 6, 7], ["first"])
    page.click(".jp-Dialog .jp-mod-reject")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
