"""OrcheoClient and HttpWorkflowExecutor against a real ``jupyter orcheo`` server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from orcheo_jupyter import Workflow
from orcheo_jupyter.client import (
    HttpWorkflowExecutor,
    OrcheoAPIError,
    OrcheoClient,
    RunTimeout,
)
from orcheo_jupyter.server.models import EXAMPLE_SCRIPT
from tests.conftest import code_doc, linear_doc

from .live_server import Server


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def greet(name: str) -> Workflow:
    return (
        Workflow(name, tags=["sdk"])
        .add_node("hello", "SetVariableNode", variables={"message": "Hello {{inputs.name}}!"})
        .add_edge("START", "hello")
        .add_edge("hello", "END")
    )


def test_workflow_crud(client: OrcheoClient) -> None:
    name = unique("crud")
    created = client.create_workflow(greet(name))
    wid = created["id"]
    assert (created["name"], created["version"], created["latest_version"]) == (name, 1, 1)
    assert client.get_workflow(created["slug"])["id"] == wid
    assert client.get_document(wid).graph.ir.nodes[0].id == "hello"

    changed = greet(name).add_node("bye", "SetVariableNode", variables={})
    changed.add_edge("hello", "bye")
    assert client.update_workflow(wid, changed)["version"] == 2
    assert client.update_workflow(wid, changed)["version"] == 2  # unchanged: no new version
    assert [v["version"] for v in client.list_versions(wid)] == [1, 2]
    assert len(client.get_version(wid, 1)["document"]["graph"]["ir"]["nodes"]) == 1
    assert client.get_document(wid, 2).graph.ir.nodes[1].id == "bye"

    assert wid in {w["id"] for w in client.iter_workflows(q=name, page_size=1)}
    page = client.list_workflows(tag="sdk", limit=1)
    assert page["limit"] == 1 and page["total"] >= 1

    client.delete_workflow(wid)
    with pytest.raises(OrcheoAPIError) as info:
        client.get_workflow(wid)
    assert (info.value.status, info.value.code) == (404, "not_found")


def test_bad_document_is_a_422_naming_the_field(client: OrcheoClient) -> None:
    doc = linear_doc("a", name=unique("bad"))
    doc["graph"]["ir"]["nodes"][0]["config"] = {"variables": "not an object"}
    with pytest.raises(OrcheoAPIError) as info:
        client.create_workflow(doc)
    error = info.value
    assert (error.status, error.code) == (422, "invalid_document")
    assert any("variables" in (d.get("field") or "") for d in error.details)
    with pytest.raises(TypeError):
        client.create_workflow(42)


def test_auth_token_and_bearer(server: Server) -> None:
    with OrcheoClient(server.url, "wrong-token") as bad, pytest.raises(OrcheoAPIError) as info:
        bad.nodes()
    assert info.value.status == 403
    with OrcheoClient(server.url, server.token, auth_scheme="Bearer") as bearer:
        assert any(n["type"] == "SetVariableNode" for n in bearer.nodes())
    with pytest.raises(ValueError, match="http"):
        OrcheoClient("127.0.0.1:8888")


def test_run_and_wait_follows_the_websocket(
    client: OrcheoClient, executor: HttpWorkflowExecutor
) -> None:
    wid = client.create_workflow(greet(unique("run")))["id"]
    seen: list[dict[str, Any]] = []
    execution = executor.run(wid, {"name": "Ada"}, on_event=seen.append, timeout=30)
    assert execution["status"] == "succeeded"
    assert execution["final_state"]["results"]["hello"] == {"message": "Hello Ada!"}
    assert [e["seq"] for e in seen] == list(range(1, len(seen) + 1))
    assert seen[0]["type"] == "run_started" and seen[-1]["type"] == "run_finished"
    assert executor.transport_used == "websocket"
    listed = client.list_executions(workflow_id=wid)
    assert [e["id"] for e in listed["items"]] == [execution["id"]]
    events = client.events(execution["id"], after=2)
    assert events["items"][0]["seq"] == 3 and events["done"] is True


def test_every_execute_option_reaches_the_server(
    client: OrcheoClient, executor: HttpWorkflowExecutor
) -> None:
    # ExecuteOptions is declared once for OrcheoClient.execute and the executor's
    # submit/run: each is a field of the execute route's body (comment and breakpoints
    # were missing from the SDK while the route had them).
    doc = linear_doc("a", "b", name=unique("opts"))
    doc["triggers"] = [{"type": "manual", "config": {"require_comment": True}}]
    wid = client.create_workflow(doc)["id"]
    with pytest.raises(OrcheoAPIError) as refused:
        executor.run(wid, timeout=30)
    assert (refused.value.status, refused.value.code) == (422, "comment_required")
    paused = executor.run(
        wid,
        {"x": 1},
        version=1,
        config={"configurable": {"team": "ops"}},
        comment="month end",
        break_after=("a",),
        timeout=30,
    )
    assert paused["status"] == "interrupted"
    assert paused["config"]["manual"]["comment"] == "month end"
    assert paused["config"]["configurable"]["team"] == "ops"
    assert paused["config"]["breakpoints"] == {"before": [], "after": ["a"]}
    done = executor.resume(paused["id"], None, timeout=30)
    assert done["status"] == "succeeded"
    assert done["final_state"]["results"]["b"] == {"me": "b"}
    run_id = client.execute(wid, comment="again", break_before=["b"])
    assert executor.wait(run_id, timeout=30)["config"]["breakpoints"]["before"] == ["b"]
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'comments'"):
        executor.submit(wid, comments="typo")  # type: ignore[call-arg]


def test_interrupt_resume_and_failed_runs(
    client: OrcheoClient, executor: HttpWorkflowExecutor
) -> None:
    doc = code_doc("return {'ok': interrupt('approve?')}", name=unique("ask"))
    wid = client.create_workflow(doc)["id"]
    waiting = executor.run(wid, timeout=30)
    assert waiting["status"] == "interrupted"
    assert waiting["interrupt"][0]["value"] == "approve?"
    done = executor.resume(waiting["id"], "yes", timeout=30)
    assert done["status"] == "succeeded"
    assert done["final_state"]["results"]["c"] == {"ok": "yes"}
    with pytest.raises(OrcheoAPIError) as info:
        client.resume(waiting["id"], "again")
    assert info.value.status == 409

    failing = client.create_workflow(code_doc("raise ValueError('nope')", name=unique("fail")))
    failed = executor.run(failing["id"], timeout=30)
    assert failed["status"] == "failed" and "nope" in failed["error"]


def test_wait_timeout_then_cancel(client: OrcheoClient, executor: HttpWorkflowExecutor) -> None:
    slow = client.create_workflow(
        code_doc("import asyncio\nawait asyncio.sleep(30)\nreturn 1", name=unique("slow"))
    )
    run_id = executor.submit(slow["id"])
    with pytest.raises(RunTimeout):
        executor.wait(run_id, timeout=0.5)
    assert executor.cancel(run_id)["status"] == "cancelled"
    assert executor.wait(run_id, timeout=10)["status"] == "cancelled"


def test_import_python_checkpoints_and_rerun(
    client: OrcheoClient, executor: HttpWorkflowExecutor
) -> None:
    imported = client.import_python(EXAMPLE_SCRIPT, unique("script"))
    assert imported["document"]["graph"]["format"] == "langgraph-script"
    first = executor.run(imported["id"], {"count": 1}, timeout=30)
    assert first["final_state"]["count"] == 2
    checkpoints = client.checkpoints(first["id"])
    assert checkpoints and all("checkpoint_id" in c for c in checkpoints)
    again = executor.wait(client.rerun(first["id"]), timeout=30)
    assert (again["parent_run_id"], again["final_state"]["count"]) == (first["id"], 2)


def test_unknown_execution_is_a_404_over_the_websocket(executor: HttpWorkflowExecutor) -> None:
    with pytest.raises(OrcheoAPIError) as info:
        executor.wait("no-such-run", timeout=10)
    assert info.value.status == 404


def test_openapi_lists_every_route_the_client_calls(client: OrcheoClient) -> None:
    paths = set(client.openapi()["paths"])
    for path in (
        "/orcheo/api/workflows",
        "/orcheo/api/workflows/{workflow_id}",
        "/orcheo/api/workflows/{workflow_id}/versions",
        "/orcheo/api/workflows/{workflow_id}/versions/{version}",
        "/orcheo/api/workflows/import-python",
        "/orcheo/api/workflows/{workflow_id}/execute",
        "/orcheo/api/executions",
        "/orcheo/api/executions/{execution_id}",
        "/orcheo/api/executions/{execution_id}/events",
        "/orcheo/api/executions/{execution_id}/resume",
        "/orcheo/api/executions/{execution_id}/checkpoints",
        "/orcheo/api/executions/{execution_id}/rerun",
        "/orcheo/api/nodes",
    ):
        assert path in paths
