"""The static picture shown where no JavaScript runs (nbconvert HTML, GitHub)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter

from orcheo_jupyter import Workflow
from orcheo_jupyter.widget.picture import to_mermaid, to_svg


def _branchy() -> Workflow:
    return (
        Workflow("branchy <&>")
        .add_node("check", "SetVariableNode", variables={"ok": True})
        .add_node("yes", "DebugNode")
        .add_node("no", "DebugNode")
        .add_edge("START", "check")
        .add_conditional_edges("check", "results.check.ok", {"true": "yes", "false": "no"})
        .add_edge("yes", "END")
        .add_edge("no", "END")
    )


def test_svg_draws_every_node_edge_and_route_label() -> None:
    svg = to_svg(_branchy().document)
    root = ET.fromstring(svg)  # well-formed XML, names escaped
    ns = "{http://www.w3.org/2000/svg}"
    ids = [g.get("data-node-id") for g in root.iter(f"{ns}g")]
    assert ids == ["__start__", "check", "yes", "no", "__end__"]
    assert len(list(root.iter(f"{ns}line"))) == 5
    labels = {t.text for t in root.iter(f"{ns}text")}
    assert {"true", "false", "check", "SetVariableNode", "start", "end"} <= labels
    assert root.find(f"{ns}title").text == "branchy <&>"  # type: ignore[union-attr]


def test_svg_uses_stored_positions() -> None:
    wf = _branchy()
    for i, node in enumerate(("check", "yes", "no")):
        wf.document.canvas.positions[node] = type("P", (), {"x": 1000.0 + i * 300, "y": 500.0})()  # type: ignore[assignment]
    svg = to_svg(wf.document)
    assert re.search(r'<g data-node-id="no"><rect x="1516\.0" y="474\.0"', svg)


def test_mermaid_flowchart() -> None:
    text = to_mermaid(_branchy().document)
    assert text.splitlines()[0] == "flowchart TD"
    assert "start_ --> n0" in text
    assert "n0 -.->|true| n1" in text
    assert "n0 -.->|false| n2" in text
    assert "n2 --> end_" in text


def test_nbconvert_html_shows_the_picture(tmp_path: Path) -> None:
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(
                "from orcheo_jupyter import Workflow, Canvas\n"
                "wf = Workflow('pic').add_node('only', 'DebugNode')"
                ".add_edge('START', 'only').add_edge('only', 'END')\n"
                "Canvas(wf)"
            )
        ]
    )
    # Saved without widget state (JupyterLab's default), as GitHub and nbconvert see it.
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        store_widget_state=False,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    outputs = nb.cells[0].outputs
    data = outputs[0]["data"]
    assert "application/vnd.jupyter.widget-view+json" in data
    assert "image/svg+xml" in data and "text/markdown" in data
    html, _ = HTMLExporter().from_notebook_node(nb)
    assert 'data-node-id="only"' in html
    assert "<svg" in html
