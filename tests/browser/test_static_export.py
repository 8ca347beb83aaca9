"""A notebook with canvases, executed and exported the default way, shows the graph offline.

``jupyter nbconvert --execute`` saves widget state; the canvas must neither win over
its static picture in the HTML (an empty area where no widget renderer loads) nor
carry its JavaScript bundle into the notebook.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

CELLS = [
    "%load_ext orcheo_jupyter",
    "%%orcheo greeter\n"
    'workflow.add_node("greet", "SetVariableNode", variables={"msg": "hi"})\n'
    'workflow.add_node("shout", "DebugNode")\n'
    'workflow.add_edge(START, "greet")\n'
    'workflow.add_edge("greet", "shout")\n'
    'workflow.add_edge("shout", END)\n',
    "from orcheo_jupyter import Workflow, Canvas\n"
    "wf = Workflow('solo').add_node('lonely', 'DebugNode')"
    ".add_edge('START', 'lonely').add_edge('lonely', 'END')\n"
    "Canvas(wf)",
]


def _nbconvert(work: Path, *args: str) -> None:
    env = dict(os.environ)
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        env[var] = str(work / var.lower())
    env["ORCHEO_DATA_DIR"] = str(work / "orcheo")
    subprocess.run(
        [sys.executable, "-m", "jupyter", "nbconvert", *args],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )


@pytest.mark.fresh_page
def test_executed_notebook_is_small_and_its_html_shows_the_picture(
    page: Any, tmp_path: Path
) -> None:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(nb, tmp_path / "demo.ipynb")
    _nbconvert(tmp_path, "--execute", "--to", "notebook", "--output", "executed", "demo.ipynb")
    executed = tmp_path / "executed.ipynb"
    saved = json.loads(executed.read_text())

    # Every canvas output, with whatever widget state it brought along, stays small.
    states = saved["metadata"].get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    canvases = [
        o for c in saved["cells"] for o in c.get("outputs", []) if WIDGET_VIEW in o.get("data", {})
    ]
    assert len(canvases) == 2
    for output in canvases:
        model = output["data"][WIDGET_VIEW]["model_id"]
        weight = len(json.dumps(output)) + len(json.dumps(states.get(model, {})))
        assert weight <= 100_000, f"a canvas output weighs {weight} bytes"
        assert "image/svg+xml" in output["data"]
    assert executed.stat().st_size <= 2 * 100_000

    _nbconvert(tmp_path, "--to", "html", "--output", "executed", "executed.ipynb")
    html = tmp_path / "executed.html"
    page.goto(html.as_uri())
    pictures = page.locator("svg[data-orcheo-static]")
    assert pictures.count() == 2
    for label in ("greet", "shout", "lonely"):
        text = page.locator("svg[data-orcheo-static] text", has_text=label).first
        assert text.is_visible(), label
    for i in range(2):
        box = pictures.nth(i).bounding_box()
        assert box is not None and box["height"] > 100 and box["width"] > 100
    # No widget area waiting for a renderer that cannot load offline.
    assert page.locator(".jupyter-widgets").count() == 0
    assert page.locator('script[type="application/vnd.jupyter.widget-view+json"]').count() == 0
