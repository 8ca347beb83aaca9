"""A file in Orcheo's legacy JSON opens on the Lab canvas, converted by the server (issue 21)."""

from __future__ import annotations

import json
from typing import Any

from orcheo_jupyter import spec
from tests.compat.scripts import WELCOME_LEGACY

from .lab import Lab
from .ui import counts

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
CURRENT_TAB = ".lm-DockPanel-tabBar .lm-TabBar-tab.lm-mod-current"


def test_legacy_json_opens_converted_and_saves_as_a_document(page: Any, lab: Lab) -> None:
    legacy = {**WELCOME_LEGACY}
    legacy["nodes"] = [dict(n) for n in WELCOME_LEGACY["nodes"]]
    legacy["nodes"][1]["position"] = {"x": 40, "y": 80}  # written by Orcheo's old canvas
    path = lab.root / "welcome.orcheo.json"
    text = json.dumps(legacy, indent=2)
    path.write_text(text)

    lab.open(page, "welcome.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="1"]', timeout=60_000)
    assert counts(page, DOC)[0] == 1
    page.wait_for_selector(f"{CURRENT_TAB}.jp-mod-dirty")  # converted, not yet saved
    page.get_by_text("converted from Orcheo's legacy JSON", exact=False).first.wait_for()
    assert path.read_text() == text  # nothing written before saving

    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    page.wait_for_selector(f"{CURRENT_TAB}:not(.jp-mod-dirty)")
    saved = spec.loads(path.read_text())
    assert saved.graph.format == "frozen-ir"
    assert [(n.id, n.type) for n in saved.graph.ir.nodes] == [  # type: ignore[union-attr]
        ("welcome", "DataTransformNode")
    ]
    assert saved.description == WELCOME_LEGACY["description"]
    assert saved.inputs_schema["properties"]["name"]["default"] == "Ada"
    assert (saved.canvas.positions["welcome"].x, saved.canvas.positions["welcome"].y) == (40, 80)
