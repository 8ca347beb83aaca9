"""The Launcher's "Workflow from template": pick a template, get a file on the canvas."""

from __future__ import annotations

from typing import Any

from orcheo_jupyter import spec

from .lab import Lab

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"


def test_launcher_workflow_from_template(page: Any, lab: Lab) -> None:
    page.goto(lab.page_url("lab"))
    page.click('.jp-LauncherCard[title*="templates gallery"]', timeout=60_000)
    page.wait_for_selector(".jp-Dialog select", timeout=30_000)
    page.select_option(".jp-Dialog select", label="SQL report (sql-report)")
    page.click(".jp-Dialog .jp-mod-accept")
    page.wait_for_selector(f'{DOC}[data-node-count="2"]', timeout=60_000)
    doc = spec.load(lab.root / "sql-report.orcheo.json")
    assert doc.name == "sql-report" and doc.id
    assert [n.id for n in doc.graph.ir.nodes] == ["sales", "report"]  # type: ignore[union-attr]
    assert doc.inputs_schema["properties"]["since"]["default"] == "2026-01-01"
