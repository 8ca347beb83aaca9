"""A new user's first workflow in JupyterLab, start to finish, with no workaround (issue 15).

Every step the user takes is a real click or keystroke in Chromium: the page is only
read (node positions, what is shown), never written to.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from orcheo_jupyter import spec

from .lab import Lab
from .ui import connect, node_point

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
SHOTS = None  # set to a directory path to keep screenshots of each step while debugging


def _shot(page: Any, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png")


def _add(page: Any, node_type: str, count: int) -> None:
    page.fill(f"{DOC} .oc-palette-search", node_type.replace("Node", ""))
    graph = page.locator(f"{DOC} .oc-graph")
    box = graph.bounding_box()
    spot = {
        "x": round(box["width"] * (0.15 + 0.3 * (count - 1))),
        "y": round(box["height"] * (0.3 + 0.15 * count)),
    }
    page.locator(f'{DOC} .oc-palette-item[data-node-type="{node_type}"]').drag_to(
        graph, target_position=spot
    )
    page.wait_for_selector(f'{DOC}[data-node-count="{count}"]')


def _select(page: Any, node: str) -> Any:
    p = node_point(page, node, DOC)
    page.mouse.click(p["x"], p["y"])
    panel = page.locator(f'{DOC} .oc-panel .oc-node-panel[data-node-id="{node}"]')
    panel.wait_for()
    return panel


def _switch_theme(page: Any, theme: str, light: bool) -> None:
    """What a user does: Settings → Theme → the theme (Lab stores it for the next page)."""
    page.click(".lm-MenuBar-item:has-text('Settings')")
    page.hover(".lm-Menu-item:has-text('Theme')")
    page.click(f".lm-Menu-item:has-text('{theme}')")
    page.wait_for_function(f"document.body.dataset.jpThemeLight === '{str(light).lower()}'")


@pytest.fixture(params=["JupyterLab Light", "JupyterLab Dark"])
def theme(request: pytest.FixtureRequest, page: Any, lab: Lab) -> Iterator[str]:
    """The scenario in each theme; Lab is left in the light one for the tests after it."""
    lab.open(page)
    _switch_theme(page, request.param, light=request.param.endswith("Light"))
    yield str(request.param)
    if not request.param.endswith("Light"):
        _switch_theme(page, "JupyterLab Light", light=True)


@pytest.mark.fresh_page
def test_new_user_builds_runs_answers_and_reads_an_output(page: Any, lab: Lab, theme: str) -> None:
    # A new workflow from the launcher, opened on the canvas.
    lab.open(page)
    dark = "false" if theme.endswith("Dark") else "true"
    page.wait_for_function(f"document.body.dataset.jpThemeLight === '{dark}'", timeout=60_000)
    page.click('.jp-LauncherCard[title*="Create a workflow document"]', timeout=60_000)
    page.wait_for_selector(f'{DOC}[data-node-count="0"]')
    # A blank workflow says what it lacks to run, not "No problems found"; Run says so too,
    # with no request to the server that could only fail.
    page.wait_for_selector(f'{DOC} .oc-panel .oc-problem[data-code="empty_graph"]')
    asked: list[str] = []
    page.on("request", lambda r: "/orcheo/api/workflows" in r.url and asked.append(r.url))
    page.click(f'{DOC} .oc-button[data-action="run"]')
    expect(page.locator(f"{DOC} .oc-toast")).to_have_text(
        "Cannot run: 1 problem, listed in the panel"
    )
    assert [u for u in asked if "/validate" not in u] == []
    face = "dark" if theme.endswith("Dark") else "light"  # the canvas follows Lab's theme
    page.wait_for_function(
        "([sel, face]) => document.querySelector(sel).dataset.theme === face", arg=[DOC, face]
    )

    # Three nodes from the palette, dropped where the user wants them.
    _add(page, "SetVariableNode", 1)
    _add(page, "HumanInputNode", 2)
    _add(page, "DebugNode", 3)
    # The canvas checks each node by the server's rules: the question has no prompt yet.
    page.wait_for_selector(
        f'{DOC} .oc-outline li[data-node-id="human_input"][data-problem="error"]', state="attached"
    )

    # Wire them: start -> set_variable -> human_input -> debug -> end.
    for source, target in [
        ("__start__", "set_variable"),
        ("set_variable", "human_input"),
        ("human_input", "debug"),
        ("debug", "__end__"),
    ]:
        edges = int(page.locator(DOC).get_attribute("data-edge-count"))
        connect(page, source, target, DOC)
        page.wait_for_selector(f'{DOC}[data-edge-count="{edges + 1}"]')
    _shot(page, "1-wired")

    # Configure a field with a {{template}}: a variable that greets the run's input.
    panel = _select(page, "set_variable")
    field = panel.locator('.oc-field[data-field="variables"]')
    field.locator(".oc-add").click()
    field.locator(".oc-map-key").last.fill("greeting")
    field.locator(".oc-map-key").last.press("Tab")
    value = page.locator(f'{DOC} .oc-field[data-field="variables"] .oc-map-value').last
    value.fill("Hello {{ inputs.name }}")
    value.press("Tab")
    # The question to ask.
    panel = _select(page, "human_input")
    prompt = panel.locator('.oc-field[data-field="prompt"] textarea')
    prompt.fill("Send the greeting?")
    prompt.press("Tab")
    page.wait_for_selector(
        f'{DOC} .oc-outline li[data-node-id="human_input"]:not([data-problem])', state="attached"
    )
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    page.wait_for_selector(f'{DOC}[data-problem-count="0"]:not([data-validating])')
    _shot(page, "2-configured")

    # Run: the canvas asks for the input the template uses. The workflow was never
    # stored: Run stores it as it runs it, with no request refused on the way (a 404
    # in the browser's console is a bug to a new user).
    refused: list[str] = []
    page.on("response", lambda r: r.status >= 400 and refused.append(f"{r.status} {r.url}"))
    page.click(f'{DOC} .oc-button[data-action="run"]')
    dialog = page.locator(".jp-Dialog")
    name = dialog.locator('[data-input="name"]')
    name.wait_for()
    _shot(page, "3-inputs")
    name.fill("Ada")
    dialog.locator(".jp-mod-accept").click()
    page.wait_for_selector(f'{DOC}[data-run-status="interrupted"]', timeout=60_000)
    page.wait_for_selector(
        f'{DOC} .oc-outline li[data-node-id="human_input"][data-run-status="interrupted"]',
        state="attached",
    )
    assert "waiting for input" in page.locator(f"{DOC} .oc-status").inner_text()
    _shot(page, "4-waiting")

    # The run viewer, from the canvas toolbar: the question, a form, and the answer.
    page.click(f'{DOC} .oc-button[data-action="open-run"]')
    viewer = page.locator(".jp-OrcheoRunViewer:visible")
    ask = viewer.locator('.oc-interrupt[data-node="human_input"]')
    ask.wait_for()
    assert "Send the greeting?" in ask.inner_text()
    assert (
        "waiting for input" in viewer.locator('.oc-gantt-row[data-node="human_input"]').inner_text()
    )
    _shot(page, "5-viewer")
    ask.locator('[data-input="answer"]').fill("yes")
    ask.locator('[data-action="answer"]').click()
    page.wait_for_selector(
        '.jp-OrcheoRunViewer:visible[data-run-status="succeeded"]', timeout=60_000
    )
    assert "succeeded" in viewer.locator(".oc-run-statusline").inner_text()

    # Read a node's output: the greeting with the input filled in.
    viewer.locator('.oc-gantt-row[data-node="set_variable"]').click()
    output = viewer.locator('[data-node-output="set_variable"]')
    output.wait_for()
    assert '"greeting": "Hello Ada"' in output.inner_text()
    viewer.locator('.oc-gantt-row[data-node="human_input"]').click()
    assert '"answer": "yes"' in viewer.locator('[data-node-output="human_input"]').inner_text()
    assert refused == []
    _shot(page, "6-output")

    # The tab names the workflow, and the file keeps the workflow's identity.
    created = sorted(lab.root.glob("untitled*.orcheo.json"))[-1]
    doc = spec.load(created)
    run = lab.api("GET", f"orcheo/api/executions/{viewer.get_attribute('data-run-id')}")
    assert run["workflow_id"] == doc.id
    assert run["inputs"] == {"name": "Ada"}
