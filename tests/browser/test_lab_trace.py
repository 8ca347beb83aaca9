"""The run viewer's Trace tab: the stored spans of real runs as a waterfall.

The lab runs with ``c.OrcheoApp.trace_store = True`` (see lab.py), so every run its
runner processes execute keeps its spans; a run made in this process (as a
notebook kernel makes one) with a chat model shows model-call tokens.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from playwright.sync_api import expect

from orcheo_jupyter import tracing
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.services import RuntimeServices
from orcheo_jupyter.settings import Settings
from tests.nodes.http_server import FaultServer

from .lab import Lab
from .test_lab_runs import _palette_command
from .ui import assert_durations_beside_bars


def _open_trace(page: Any, lab: Lab, run_id: str, status: str) -> str:
    lab.open(page)
    _palette_command(page, "Open Run Viewer…")
    page.locator(".jp-Dialog input").fill(run_id)
    page.click(".jp-Dialog .jp-mod-accept")
    viewer = f'.jp-OrcheoRunViewer[data-run-id="{run_id}"]'
    page.wait_for_selector(f'{viewer}[data-run-status="{status}"]')
    # The viewer's sections above the tab load one by one and push it down: a click
    # aimed while they did could land beside it (seen once in a loaded run).
    tab = page.locator(f'{viewer} details[data-tab="trace"]')
    for _ in range(3):
        tab.locator("> summary").click()
        try:
            expect(tab).to_have_attribute("open", "", timeout=3_000)
            break
        except AssertionError:
            continue
    page.locator(f"{viewer} [data-trace-summary]").wait_for()
    return viewer


def _rows(page: Any, viewer: str) -> list[dict[str, str]]:
    rows = page.locator(f"{viewer} .oc-trace-row")
    return [
        {
            "name": rows.nth(i).get_attribute("data-span-name") or "",
            "depth": rows.nth(i).get_attribute("data-depth") or "",
            "status": rows.nth(i).get_attribute("data-status") or "",
            "label": rows.nth(i).locator(".oc-trace-label").inner_text(),
            "note": rows.nth(i).locator(".oc-trace-note").inner_text(),
            "duration": rows.nth(i).locator(".oc-trace-dur").inner_text(),
        }
        for i in range(rows.count())
    ]


def test_trace_tab_shows_nodes_http_calls_retries_and_errors(page: Any, lab: Lab) -> None:
    with FaultServer() as upstream:
        fetch = {
            "kind": "builtin",
            "id": "fetch",
            "type": "HttpRequestNode",
            "config": {"url": f"{upstream.base}/flaky", "retries": 0, "raise_for_status": True},
            "retry": {"max_attempts": 3, "initial_interval": 0},
        }
        boom = {"kind": "code", "id": "boom", "body": "raise ValueError('no good')"}
        doc = {
            "name": "traced-in-lab",
            "graph": {
                "format": "frozen-ir",
                "ir": {
                    "nodes": [fetch, boom],
                    "edges": [
                        {"source": "__start__", "target": "fetch"},
                        {"source": "fetch", "target": "boom"},
                        {"source": "boom", "target": "__end__"},
                    ],
                },
            },
        }
        workflow = lab.api("POST", "orcheo/api/workflows", doc)
        run_id = lab.api("POST", f"orcheo/api/workflows/{workflow['id']}/execute", {})[
            "execution_id"
        ]
        viewer = _open_trace(page, lab, run_id, "failed")
        page.wait_for_selector(f"{viewer} .oc-trace-row >> nth=6")
        rows = _rows(page, viewer)
    url = f"{upstream.base}/flaky"
    assert [(r["name"], r["depth"], r["label"]) for r in rows] == [
        ("orcheo.submit", "0", "submit"),
        ("orcheo.run", "1", "run"),
        ("orcheo.node", "2", "node fetch"),
        ("GET", "3", f"GET {url}"),
        ("GET", "3", f"GET {url}"),
        ("GET", "3", f"GET {url}"),
        ("orcheo.node", "2", "node boom"),
    ]
    assert [r["note"] for r in rows] == [
        "",
        "⚠ failed",
        "3 attempts",
        "⚠ 503",
        "⚠ 503",
        "200",
        "⚠ error",
    ]
    assert [r["status"] for r in rows] == [
        "unset",
        "error",
        "ok",
        "error",
        "error",
        "unset",
        "error",
    ]
    assert all(r["duration"].endswith("ms") or r["duration"].endswith("s") for r in rows)
    summary = page.locator(f"{viewer} [data-trace-summary]").inner_text()
    assert summary.startswith("Trace ") and "7 spans" in summary and "4 with errors" in summary
    # A span's details: its error, attributes and events.
    page.click(f'{viewer} .oc-trace-row[data-span-name="orcheo.node"] >> nth=1')
    detail = page.locator(f"{viewer} [data-span-detail]")
    detail.wait_for()
    text = detail.inner_text()
    assert "node 'boom' failed (line 1 of its code): ValueError: no good" in text
    assert "orcheo.node.id\tboom" in text
    page.click(f'{viewer} .oc-trace-row[data-span-name="orcheo.node"] >> nth=0')
    retry = page.locator(f"{viewer} [data-span-detail] .oc-trace-events")
    retry.wait_for()
    events = retry.inner_text()
    assert (
        events.count("orcheo.node.retry") == 2 and "attempt=1" in events and "attempt=2" in events
    )


def _kernel_style_run(lab: Lab) -> str:
    """A chat-model run made in this process on the lab's store, as a kernel makes one."""
    model = GenericFakeChatModel(
        messages=iter(
            [
                AIMessage(
                    "Bonjour!",
                    usage_metadata={"input_tokens": 31, "output_tokens": 11, "total_tokens": 42},
                )
            ]
        )
    )
    doc = {
        "id": "chatty",
        "name": "chatty",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": "chat",
                        "type": "ChatModelNode",
                        "config": {"ai_model": "fake:chat", "prompt": "Say hello"},
                    }
                ],
                "edges": [
                    {"source": "__start__", "target": "chat"},
                    {"source": "chat", "target": "__end__"},
                ],
            },
        },
    }
    found: list[str] = []

    async def run() -> None:
        executor = await Executor.open(
            Settings(data_dir=lab.home / "orcheo", trace_store=True),
            services=RuntimeServices(chat_models={"fake:chat": model}),
        )
        try:
            record = await executor.execute(doc, {})
            assert record.status == "succeeded", record.error
            found.append(record.id)
        finally:
            await executor.aclose()
            tracing.reset()

    # Playwright's sync API holds this thread's event loop: run on a thread of our own.
    thread = threading.Thread(target=lambda: asyncio.run(run()))
    thread.start()
    thread.join(120)
    assert found, "the run did not finish"
    return found[0]


def test_trace_tab_shows_model_calls_with_tokens(page: Any, lab: Lab) -> None:
    run_id = _kernel_style_run(lab)
    viewer = _open_trace(page, lab, run_id, "succeeded")
    page.wait_for_selector(f'{viewer} .oc-trace-row[data-span-name="chat chat"]')
    rows = _rows(page, viewer)
    assert [(r["name"], r["depth"]) for r in rows] == [
        ("orcheo.submit", "0"),
        ("orcheo.run", "1"),
        ("orcheo.node", "2"),
        ("chat chat", "3"),
    ]
    assert rows[3]["note"] == "42 tokens (31 in / 11 out)"
    assert_durations_beside_bars(
        page.locator(f"{viewer} .oc-trace-row"), ".oc-trace-bar", ".oc-trace-dur"
    )
    assert rows[1]["note"] == "succeeded"
    assert "42 tokens" in page.locator(f"{viewer} [data-trace-summary]").inner_text()
    page.click(f'{viewer} .oc-trace-row[data-span-name="chat chat"]')
    detail = page.locator(f"{viewer} [data-span-detail]").inner_text()
    assert "gen_ai.request.model\tchat" in detail
    assert "gen_ai.usage.total_tokens\t42" in detail
    assert "orcheo.model.latency_ms" in detail


def _settled(lab: Lab, run_id: str, status: str, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while (found := lab.api("GET", f"orcheo/api/executions/{run_id}")["status"]) != status:
        assert time.monotonic() < deadline, f"run {run_id} is {found}, not {status}"
        time.sleep(0.2)


def test_a_resumed_run_is_one_trace_in_the_trace_tab(page: Any, lab: Lab) -> None:
    ask = {"kind": "code", "id": "ask", "body": "return {'name': interrupt('name?')}"}
    doc = {
        "name": "asks-in-lab",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": [ask],
                "edges": [
                    {"source": "__start__", "target": "ask"},
                    {"source": "ask", "target": "__end__"},
                ],
            },
        },
    }
    workflow = lab.api("POST", "orcheo/api/workflows", doc)
    run_id = lab.api("POST", f"orcheo/api/workflows/{workflow['id']}/execute", {})["execution_id"]
    _settled(lab, run_id, "interrupted")
    lab.api("POST", f"orcheo/api/executions/{run_id}/resume", {"value": "Ada"})
    _settled(lab, run_id, "succeeded")
    viewer = _open_trace(page, lab, run_id, "succeeded")
    page.wait_for_selector(f"{viewer} .oc-trace-row >> nth=4")
    rows = _rows(page, viewer)
    # The resumed part sits under the run's first part, with the node it ran.
    assert [(r["name"], r["depth"], r["label"]) for r in rows] == [
        ("orcheo.submit", "0", "submit"),
        ("orcheo.run", "1", "run"),
        ("orcheo.node", "2", "node ask"),
        ("orcheo.run", "2", "run (resumed)"),
        ("orcheo.node", "3", "node ask"),
    ]
    assert rows[3]["note"] == "succeeded"
    summary = page.locator(f"{viewer} [data-trace-summary]").inner_text()
    trace_ids = lab.api("GET", f"orcheo/api/executions/{run_id}/trace")["trace_ids"]
    assert len(trace_ids) == 1
    assert summary.startswith(f"Trace {trace_ids[0]} · 5 spans")  # one trace, whole run
