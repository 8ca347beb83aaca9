"""GET /executions/{id}/trace: a run's spans, from the server and its runner process.

The server (this process) admits and hands the run to a runner process over the
wire; both make spans of one trace, and a caller's ``traceparent`` continues it.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Iterator
from typing import Any

import pytest

from orcheo_jupyter import tracing
from tests.conftest import linear_doc

from .conftest import Call, ask_doc
from .test_executions import Create, Wait
from .test_hooks import Hook, setup, signed_headers
from .test_hooks import hook as hook  # the fixture

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


@pytest.fixture
def orcheo_config() -> dict[str, Any]:
    return {"script_timeout": 20.0, "runners": 1, "runners_on_demand": True, "trace_store": True}


@pytest.fixture(autouse=True)
def _tracing_ends_with_the_test() -> Iterator[None]:
    yield
    tracing.reset()  # the in-process server turned it on for this process


async def test_a_run_in_a_runner_process_is_one_trace_continuing_the_caller(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(linear_doc("a", "b", "c")))["id"]
    reply = await api(
        "POST",
        "workflows",
        wid,
        "execute",
        json_body={"inputs": {}},
        headers={"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"},
    )
    assert reply.code == 202, reply.body
    run_id = reply.body["execution_id"]
    assert (await wait_run(run_id))["status"] == "succeeded"

    trace = await api("GET", "executions", run_id, "trace")
    assert trace.code == 200, trace.body
    assert trace.body["execution_id"] == run_id
    assert trace.body["stored"] is True
    assert trace.body["trace_ids"] == [CALLER_TRACE]
    spans = trace.body["spans"]
    assert [s["name"] for s in spans] == [
        "orcheo.submit",
        "orcheo.run",
        "orcheo.node",
        "orcheo.node",
        "orcheo.node",
    ]
    submit, run, *nodes = spans
    assert submit["parent_span_id"] == CALLER_SPAN
    assert run["parent_span_id"] == submit["span_id"]
    assert [n["parent_span_id"] for n in nodes] == [run["span_id"]] * 3
    assert [n["attributes"]["orcheo.node.id"] for n in nodes] == ["a", "b", "c"]
    # Two processes: the server admitted the run, a runner executed it.
    assert submit["service"]["pid"] == os.getpid()
    assert run["service"]["pid"] != os.getpid()
    assert {n["service"]["pid"] for n in nodes} == {run["service"]["pid"]}
    assert submit["kind"] == "producer"
    assert run["attributes"] == {
        "orcheo.run.id": run_id,
        "orcheo.run.opening": "run_started",
        "orcheo.workflow.id": wid,
        "orcheo.workflow.version": 1,
        "orcheo.run.status": "succeeded",
    }
    assert run["status"] == {"code": "ok", "message": None}
    for span in spans:
        assert span["attributes"]["orcheo.run.id"] == run_id
        assert span["duration_ms"] == round((span["end_ns"] - span["start_ns"]) / 1e6, 3)
        assert span["start_ms"] == span["start_ns"] / 1e6
    assert run["start_ns"] <= nodes[0]["start_ns"] <= nodes[-1]["end_ns"] <= run["end_ns"]


async def test_without_a_caller_the_server_starts_the_trace(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(linear_doc("only")))["id"]
    run_id = (await api("POST", "workflows", wid, "execute", json_body={})).body["execution_id"]
    assert (await wait_run(run_id))["status"] == "succeeded"
    spans = (await api("GET", "executions", run_id, "trace")).body["spans"]
    assert [s["name"] for s in spans] == ["orcheo.submit", "orcheo.run", "orcheo.node"]
    assert spans[0]["parent_span_id"] is None
    assert len({s["trace_id"] for s in spans}) == 1


async def test_the_trace_of_an_unknown_run_is_404(api: Call) -> None:
    reply = await api("GET", "executions", "no-such-run", "trace")
    assert reply.code == 404
    assert reply.error["code"] == "not_found"


async def test_a_webhook_caller_s_traceparent_continues_into_the_run(
    api: Call, hook: Hook, wait_run: Wait
) -> None:
    await setup(api)
    body = json.dumps({"order": 5}).encode()
    headers = {**signed_headers(body), "traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"}
    delivered = await hook("POST", "hooked", body=body, headers=headers)
    assert delivered.code == 202, delivered.body
    run_id = delivered.body["execution_id"]
    assert (await wait_run(run_id))["status"] == "succeeded"
    trace = (await api("GET", "executions", run_id, "trace")).body
    assert trace["trace_ids"] == [CALLER_TRACE]
    # The delivery stored the run ahead (its id answers at once); a runner executes it.
    run, node = trace["spans"]
    assert (run["name"], node["name"]) == ("orcheo.run", "orcheo.node")
    assert run["parent_span_id"] == CALLER_SPAN
    assert node["parent_span_id"] == run["span_id"]
    assert run["attributes"]["orcheo.run.status"] == "succeeded"


RESUMER_TRACE = "0af7651916cd43dd8448eb211c80319c"
RESUMER_SPAN = "b7ad6b7169203331"


def _resumed_run_is_one_trace(trace: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The whole run, first part and resumed part, as GET .../trace serves it."""
    spans = trace["spans"]
    assert len(trace["trace_ids"]) == 1
    runs = [s for s in spans if s["name"] == "orcheo.run"]
    first, resumed = runs
    assert first["attributes"]["orcheo.run.status"] == "interrupted"
    assert resumed["attributes"]["orcheo.run.opening"] == "resumed"
    assert resumed["attributes"]["orcheo.run.status"] == "succeeded"
    assert resumed["parent_span_id"] == first["span_id"]
    nodes = [s for s in spans if s["name"] == "orcheo.node"]
    assert [(n["attributes"]["orcheo.node.status"], n["parent_span_id"]) for n in nodes] == [
        ("interrupted", first["span_id"]),
        ("succeeded", resumed["span_id"]),
    ]
    return first, resumed


async def test_a_run_resumed_over_rest_is_one_trace_linking_the_resumer(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(ask_doc()))["id"]
    run_id = (await api("POST", "workflows", wid, "execute", json_body={})).body["execution_id"]
    assert (await wait_run(run_id))["status"] == "interrupted"
    reply = await api(
        "POST",
        "executions",
        run_id,
        "resume",
        json_body={"value": "Ada"},
        headers={"traceparent": f"00-{RESUMER_TRACE}-{RESUMER_SPAN}-01"},
    )
    assert reply.code == 202, reply.body
    assert (await wait_run(run_id))["status"] == "succeeded"
    trace = (await api("GET", "executions", run_id, "trace")).body
    _, resumed = _resumed_run_is_one_trace(trace)
    assert trace["trace_ids"] != [RESUMER_TRACE]
    assert resumed["links"] == [
        {
            "trace_id": RESUMER_TRACE,
            "span_id": RESUMER_SPAN,
            "attributes": {"orcheo.link": "resumed_by"},
        }
    ]


async def test_a_run_resumed_over_the_websocket_is_one_trace(
    api: Call, jp_ws_fetch: Any, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(ask_doc()))["id"]
    run_id = (await api("POST", "workflows", wid, "execute", json_body={})).body["execution_id"]
    ws = await jp_ws_fetch("orcheo", "ws", "executions", run_id)
    seen: list[str] = []
    while not seen or seen[-1] != "interrupted":
        seen.append(json.loads(await asyncio.wait_for(ws.read_message(), 30))["type"])
    await ws.write_message(json.dumps({"type": "resume", "value": "Ada"}))
    while seen[-1] != "run_finished":
        seen.append(json.loads(await asyncio.wait_for(ws.read_message(), 60))["type"])
    ws.close()
    assert (await wait_run(run_id))["status"] == "succeeded"
    trace = (await api("GET", "executions", run_id, "trace")).body
    _, resumed = _resumed_run_is_one_trace(trace)
    assert resumed.get("links", []) == []


async def test_a_node_test_in_a_runner_is_traced_and_its_trace_is_read_by_test_id(
    api: Call, create_workflow: Create
) -> None:
    wid = (await create_workflow(linear_doc("a", "b")))["id"]
    reply = await api(
        "POST",
        "workflows",
        wid,
        "nodes",
        "b",
        "test",
        json_body={"state": {"results": {}}},
        headers={"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"},
    )
    assert reply.code == 200, reply.body
    assert reply.body["output"] == {"me": "b"}
    test_id = reply.body["test_id"]
    assert test_id.startswith("test-")
    assert reply.body["trace_id"] == CALLER_TRACE
    trace = await api("GET", "executions", test_id, "trace")
    assert trace.code == 200, trace.body
    assert trace.body["trace_ids"] == [CALLER_TRACE]
    root, node = trace.body["spans"]
    assert (root["name"], node["name"]) == ("orcheo.node_test", "orcheo.node")
    assert root["parent_span_id"] == CALLER_SPAN
    assert node["parent_span_id"] == root["span_id"]
    assert root["attributes"]["orcheo.test.id"] == test_id
    assert root["attributes"]["orcheo.workflow.id"] == wid
    assert node["attributes"]["orcheo.node.id"] == "b"
    assert root["service"]["pid"] != os.getpid()  # ran in a runner process
    unknown = await api("GET", "executions", "test-000000000000", "trace")
    assert unknown.code == 404
