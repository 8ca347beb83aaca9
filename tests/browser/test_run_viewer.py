"""The run viewer and sidebar against the real REST/WebSocket API."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from playwright.sync_api import expect

from .lab import Lab
from .ui import assert_durations_beside_bars


def _finished_run(lab: Lab) -> tuple[str, str]:
    doc = {
        "name": "viewer",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "a",
                        "type": "SetVariableNode",
                        "config": {"variables": {"who": "a"}},
                    },
                    {
                        "kind": "builtin",
                        "id": "b",
                        "type": "SetVariableNode",
                        "config": {"variables": {"seen": "{{ results.a.who }}"}},
                    },
                ],
                "edges": [
                    {"source": "__start__", "target": "a"},
                    {"source": "a", "target": "b"},
                    {"source": "b", "target": "__end__"},
                ],
            },
        },
    }
    workflow = lab.api("POST", "orcheo/api/workflows", doc)
    run_id = lab.api("POST", f"orcheo/api/workflows/{workflow['id']}/execute", {"inputs": {}})[
        "execution_id"
    ]
    deadline = time.monotonic() + 30
    while lab.api("GET", f"orcheo/api/executions/{run_id}")["status"] != "succeeded":
        assert time.monotonic() < deadline, "the run did not finish"
        time.sleep(0.1)
    return workflow["id"], run_id


def test_run_viewer_shows_timeline_and_node_outputs(page: Any, lab: Lab) -> None:
    workflow_id, run_id = _finished_run(lab)
    lab.open(page)
    page.click('.jp-SideBar .lm-TabBar-tab[title="Orcheo workflows and runs"]', timeout=60_000)
    page.wait_for_selector(f'#orcheo-sidebar li[data-workflow-id="{workflow_id}"]')
    page.click(f'#orcheo-sidebar li[data-run-id="{run_id}"]')

    viewer = f'.jp-OrcheoRunViewer[data-run-id="{run_id}"]'
    page.wait_for_selector(f'{viewer}[data-run-status="succeeded"]')
    rows = page.locator(f"{viewer} .oc-gantt-row")
    # The header knows the run's end from REST at once; the timeline fills in as the run's
    # events replay over the WebSocket, so wait for the rows to settle before reading them.
    expect(rows).to_have_count(2)
    expect(page.locator(f'{viewer} .oc-gantt-row:not([data-status="succeeded"])')).to_have_count(0)
    assert [rows.nth(i).get_attribute("data-node") for i in range(rows.count())] == ["a", "b"]
    # Each duration reads right beside its bar, never on it (the last bar ends at the right
    # edge, so its duration stands before it).
    assert_durations_beside_bars(rows, ".oc-gantt-bar", ".oc-gantt-dur")
    # Times read as the run pickers show them (local time), the exact instant on hover.
    run = lab.api("GET", f"orcheo/api/executions/{run_id}")
    started = page.locator(f"{viewer} div", has_text="Started: ").last
    instant = started.get_attribute("title")
    seconds = datetime.fromisoformat(instant) - datetime.fromisoformat(run["started_at"])
    assert abs(seconds.total_seconds()) < 1  # the run_started event's time
    local = page.evaluate("at => new Date(at).toLocaleString()", instant)
    expect(started).to_have_text(f"Started: {local}")
    assert "T" not in started.inner_text()
    page.click(f'{viewer} .oc-gantt-row[data-node="b"]')
    output = page.locator(f'{viewer} [data-node-output="b"]')
    output.wait_for()
    assert '"seen": "a"' in output.inner_text()
    # The run's graph, lit up with the same run.
    page.wait_for_selector(
        f'{viewer} [data-orcheo-canvas] [data-node-id="b"][data-run-status="succeeded"]',
        state="attached",
    )
    # Its graph is read-only, and its help says so instead of teaching edits it refuses.
    page.click(f"{viewer} [data-orcheo-canvas] .oc-graph", position={"x": 5, "y": 5})
    help_text = page.locator(f"{viewer} [data-orcheo-canvas] .oc-panel .oc-help").last
    expect(help_text).to_contain_text("Read-only view")
    assert "Double-click or drag" not in help_text.inner_text()
