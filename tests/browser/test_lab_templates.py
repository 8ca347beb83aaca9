"""The Launcher's "Workflow from template": pick a template, get a file on the canvas."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from orcheo_jupyter import spec, templates

from .lab import Lab

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
PICKER = ".jp-Dialog .jp-OrcheoTemplatePicker"


def test_launcher_workflow_from_template(page: Any, lab: Lab) -> None:
    lab.open(page)
    page.click('.jp-LauncherCard[title*="templates gallery"]', timeout=60_000)
    # Every template, with what it does: a person chooses by the description.
    options = page.locator(f"{PICKER} [role=option]")
    expect(options).to_have_count(len(templates.names()))
    catalogue = templates.catalogue()
    first = options.first
    assert first.get_attribute("aria-selected") == "true"
    assert first.locator(".oc-template-title").inner_text() == catalogue[0]["title"]
    assert first.locator(".oc-template-description").inner_text() == catalogue[0]["description"]
    # The keyboard walks the list; Enter creates the chosen one.
    sql = templates.names().index("sql-report")
    for _ in range(sql):
        page.keyboard.press("ArrowDown")
    expect(options.nth(sql)).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    page.wait_for_selector(f'{DOC}[data-node-count="2"]', timeout=60_000)
    doc = spec.load(lab.root / "sql-report.orcheo.json")
    assert doc.name == "sql-report" and doc.id
    assert [n.id for n in doc.graph.ir.nodes] == ["sales", "report"]  # type: ignore[union-attr]
    assert doc.inputs_schema["properties"]["since"]["default"] == "2026-01-01"


@pytest.mark.fresh_page
def test_every_template_is_accepted_by_the_server_when_run(page: Any, lab: Lab) -> None:
    """The polling template's trigger URL was a {{template}}: the canvas said "no
    problems", then Run's store answered 422. Now each template runs as created."""
    refused: list[str] = []
    page.on("response", lambda r: r.status >= 400 and refused.append(f"{r.status} {r.url}"))
    lab.open(page)
    page.click('.jp-LauncherCard[title*="templates gallery"]', timeout=60_000)
    page.dblclick(f'{PICKER} [data-template="poll-dedupe-webhook"]')
    page.wait_for_selector(f'{DOC}[data-node-count="8"]', timeout=60_000)
    page.wait_for_selector(f'{DOC}[data-problem-count="0"]:not([data-validating])')
    page.click(f'{DOC} .oc-button[data-action="run"]')
    page.locator(".jp-Dialog .jp-mod-accept").click()  # the inputs, as their defaults
    # Nothing listens on 127.0.0.1:8000 here: the run starts, then its fetch fails.
    page.wait_for_selector(f'{DOC}[data-run-status="failed"]', timeout=60_000)
    status = page.locator(f"{DOC} .oc-status").inner_text()
    assert "failed" in status and "1/8 nodes done" in status
    assert refused == []
