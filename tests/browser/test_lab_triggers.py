"""A trigger node's panel on the Lab canvas says what the server does with it: the
webhook address to call (copyable), and that nothing is live before the first Run."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from playwright.sync_api import expect

from orcheo_jupyter import Workflow, spec
from orcheo_jupyter.spec.models import Position

from .lab import Lab
from .ui import node_point

DOC = ".jp-OrcheoDocument [data-orcheo-canvas]"
API = "orcheo/api"


def _select(page: Any, node: str) -> Any:
    p = node_point(page, node, DOC)
    page.mouse.click(p["x"], p["y"])
    return page.locator(f'{DOC} .oc-panel [data-trigger-status="{node}"]')


@pytest.mark.fresh_page
def test_a_webhook_trigger_shows_its_address_once_run_stores_it(page: Any, lab: Lab) -> None:
    wf = (
        Workflow("hooked")
        .add_node("hook", "WebhookTriggerNode", allowed_methods=["POST"])
        .add_node("echo", "SetVariableNode", variables={"got": "{{inputs.body.n}}"})
        .add_edge("START", "hook")
        .add_edge("hook", "echo")
        .add_edge("echo", "END")
    )
    doc = wf.to_document()
    doc.canvas.positions = {"hook": Position(x=0, y=0), "echo": Position(x=0, y=140)}
    spec.save(doc, lab.root / "hooked.orcheo.json")
    logged: list[str] = []
    page.on("console", lambda m: m.type == "error" and logged.append(f"console: {m.text}"))
    page.on("response", lambda r: r.status >= 400 and logged.append(f"{r.status} {r.url}"))
    lab.open(page, "hooked.orcheo.json")
    page.wait_for_selector(f'{DOC}[data-node-count="2"]', timeout=60_000)

    status = _select(page, "hook")
    expect(status).to_contain_text("Not live yet: Run stores the workflow on the server")
    # Said without asking the server about a workflow it does not have (a 404 in the console).
    page.wait_for_timeout(300)
    assert logged == [], "\n".join(logged)

    page.click(f'{DOC} .oc-button[data-action="run"]')
    page.locator(".jp-Dialog .jp-mod-accept").click()  # the inputs it uses: none given
    page.wait_for_selector(f"{DOC}[data-run-status]:not([data-run-status='running'])")
    page.locator(f"{DOC} .oc-graph").click(position={"x": 5, "y": 5})
    status = _select(page, "hook")
    address = status.locator('.oc-trigger-row[data-label="Address"] .oc-trigger-value')
    expect(address).to_have_text(f"{lab.url}orcheo/hooks/hooked")
    methods = status.locator('.oc-trigger-row[data-label="Methods"] .oc-trigger-value')
    assert methods.inner_text() == "POST"
    expect(status.locator(".oc-help")).to_have_text(
        "As stored in version 1 (Run stores your changes)."
    )

    # The address works as shown: a POST starts a run with the body as its input.
    reply = httpx.post(address.inner_text(), json={"n": 7}, timeout=30)
    assert reply.status_code == 202, reply.text
    run_id = reply.json()["execution_id"]
    deadline = time.monotonic() + 60
    while (run := lab.api("GET", f"{API}/executions/{run_id}"))["status"] != "succeeded":
        assert time.monotonic() < deadline and run["status"] in ("pending", "running"), run
        time.sleep(0.2)
    assert run["final_state"]["results"]["echo"] == {"got": 7}
