"""Execution routes: execute in the background, status, events, cancel, resume, re-run."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from tests.conftest import code_doc, linear_doc

from .conftest import Call, ask_doc, slow_doc

Create = Callable[..., Awaitable[dict[str, Any]]]
Wait = Callable[..., Awaitable[dict[str, Any]]]


async def test_execute_answers_202_and_the_run_finishes_in_the_background(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(linear_doc("a", "b", "c")))["id"]
    reply = await api("POST", "workflows", wid, "execute", json_body={"inputs": {"n": 1}})
    assert reply.code == 202
    run_id = reply.body["execution_id"]
    assert reply.headers["Location"].endswith(f"/orcheo/api/executions/{run_id}")

    run = await wait_run(run_id)
    assert run["status"] == "succeeded"
    assert run["workflow_id"] == wid and run["version"] == 1
    assert run["inputs"] == {"n": 1}
    assert run["final_state"]["results"] == {"a": {"me": "a"}, "b": {"me": "b"}, "c": {"me": "c"}}
    assert run["node_states"] == {"a": "succeeded", "b": "succeeded", "c": "succeeded"}
    assert run["error"] is None
    assert run["started_at"] <= run["finished_at"]
    assert [t["status"] for t in run["transitions"]] == ["pending", "running", "succeeded"]


async def test_execute_without_a_body_runs_with_empty_inputs(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow())["id"]
    reply = await api("POST", "workflows", wid, "execute")
    assert reply.code == 202
    assert (await wait_run(reply.body["execution_id"]))["status"] == "succeeded"


async def test_execute_an_older_version_and_by_slug(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    created = await create_workflow(linear_doc("first", name="Versioned"))
    doc = linear_doc("second", name="Versioned")
    assert (await api("PUT", "workflows", created["id"], json_body=doc)).code == 200
    old = await api("POST", "workflows", "versioned", "execute", json_body={"version": 1})
    run = await wait_run(old.body["execution_id"])
    assert run["version"] == 1 and list(run["final_state"]["results"]) == ["first"]
    latest = await api("POST", "workflows", created["id"], "execute")
    run = await wait_run(latest.body["execution_id"])
    assert run["version"] == 2 and list(run["final_state"]["results"]) == ["second"]


async def test_execute_checks_inputs_against_the_inputs_schema(
    api: Call, create_workflow: Create
) -> None:
    doc = linear_doc("a")
    doc["inputs_schema"] = {
        "type": "object",
        "properties": {"age": {"type": "integer", "minimum": 0}},
        "required": ["age"],
    }
    wid = (await create_workflow(doc))["id"]
    bad = await api("POST", "workflows", wid, "execute", json_body={"inputs": {"age": -3}})
    assert bad.code == 422
    assert bad.error["details"][0]["field"] == "inputs.age"
    assert "minimum" in bad.error["details"][0]["message"]
    missing = await api("POST", "workflows", wid, "execute", json_body={"inputs": {}})
    assert missing.code == 422 and "'age' is a required property" in missing.error["message"]
    assert (await api("GET", "executions", params={"workflow_id": wid})).body["total"] == 0


async def test_execute_fills_inputs_the_caller_left_out_from_schema_defaults(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    doc = code_doc("return f\"{state['inputs']['greeting']}, {state['inputs']['who']}\"")
    doc["inputs_schema"] = {
        "type": "object",
        "properties": {
            "greeting": {"type": "string", "default": "Hello"},
            "who": {"type": "string"},
        },
        "required": ["greeting", "who"],
    }
    wid = (await create_workflow(doc))["id"]
    reply = await api("POST", "workflows", wid, "execute", json_body={"inputs": {"who": "Ada"}})
    assert reply.code == 202, reply.body  # 'greeting' has a default: not missing
    run = await wait_run(reply.body["execution_id"])
    assert run["inputs"] == {"greeting": "Hello", "who": "Ada"}  # stored as the run got them
    assert run["final_state"]["results"]["c"] == "Hello, Ada"
    given = {"inputs": {"who": "Bo", "greeting": "Hi"}}
    run = await wait_run(
        (await api("POST", "workflows", wid, "execute", json_body=given)).body["execution_id"]
    )
    assert run["final_state"]["results"]["c"] == "Hi, Bo"  # the caller's value wins
    missing = await api("POST", "workflows", wid, "execute", json_body={"inputs": {}})
    assert missing.code == 422 and "'who' is a required property" in missing.error["message"]


async def test_invalid_inputs_schema_is_refused_at_create(api: Call) -> None:
    doc = linear_doc("a")
    doc["inputs_schema"] = {"type": "bogus"}
    reply = await api("POST", "workflows", json_body=doc)
    assert reply.code == 422
    assert reply.error["details"][0]["field"].startswith("inputs_schema")


async def test_execute_request_errors(api: Call, create_workflow: Create) -> None:
    missing = await api("POST", "workflows", "nope", "execute")
    assert missing.code == 404 and missing.error["code"] == "not_found"
    wid = (await create_workflow())["id"]
    wrong = await api("POST", "workflows", wid, "execute", json_body={"inputs": [1]})
    assert wrong.code == 422
    assert wrong.error["details"][0]["field"] == "inputs"
    extra = await api("POST", "workflows", wid, "execute", json_body={"input": {}})
    assert extra.code == 422 and extra.error["details"][0]["field"] == "input"
    no_version = await api("POST", "workflows", wid, "execute", json_body={"version": 9})
    assert no_version.code == 404


async def test_events_after_n(api: Call, create_workflow: Create, wait_run: Wait) -> None:
    wid = (await create_workflow(linear_doc("a", "b", "c")))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    await wait_run(run_id)
    everything = await api("GET", "executions", run_id, "events")
    events = everything.body["items"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["type"] for e in events] == [
        "run_started",
        *["node_started", "node_finished"] * 3,
        "run_finished",
    ]
    assert [e["node"] for e in events if e["type"] == "node_finished"] == ["a", "b", "c"]
    assert everything.body["done"] is True
    assert everything.body["next_after"] == len(events)

    tail = await api("GET", "executions", run_id, "events", params={"after": 5, "limit": 2})
    assert [e["seq"] for e in tail.body["items"]] == [6, 7]
    assert tail.body["next_after"] == 7 and tail.body["done"] is False
    rest = await api("GET", "executions", run_id, "events", params={"after": 7})
    assert [e["type"] for e in rest.body["items"]] == ["run_finished"]
    beyond = await api("GET", "executions", run_id, "events", params={"after": 99})
    assert beyond.body == {"items": [], "next_after": 99, "done": True}
    assert (await api("GET", "executions", "nope", "events")).code == 404


async def test_list_executions_by_workflow_and_status(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    fast = (await create_workflow(linear_doc("a")))["id"]
    slow = (await create_workflow(slow_doc()))["id"]
    done = [
        (await api("POST", "workflows", fast, "execute")).body["execution_id"] for _ in range(3)
    ]
    for run_id in done:
        await wait_run(run_id)
    running = (await api("POST", "workflows", slow, "execute")).body["execution_id"]

    by_wf = await api("GET", "executions", params={"workflow_id": fast})
    assert by_wf.body["total"] == 3
    assert {r["id"] for r in by_wf.body["items"]} == set(done)
    ok = await api("GET", "executions", params={"status": "succeeded", "limit": 2})
    assert ok.body["total"] == 3 and len(ok.body["items"]) == 2
    for _ in range(100):
        now = await api("GET", "executions", params={"status": "running"})
        if now.body["total"]:
            break
        await asyncio.sleep(0.02)
    assert [r["id"] for r in now.body["items"]] == [running]
    bad = await api("GET", "executions", params={"status": "finished"})
    assert bad.code == 422 and bad.error["details"][0]["field"] == "query.status"
    await api("DELETE", "executions", running)


async def test_cancel_a_running_run(api: Call, create_workflow: Create, wait_run: Wait) -> None:
    wid = (await create_workflow(slow_doc()))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    for _ in range(200):
        if (await api("GET", "executions", run_id)).body["status"] == "running":
            break
        await asyncio.sleep(0.01)
    cancelled = await api("DELETE", "executions", run_id)
    assert cancelled.code == 200
    assert cancelled.body["status"] == "cancelled"
    assert cancelled.body["finished_at"] is not None
    events = (await api("GET", "executions", run_id, "events")).body["items"]
    assert events[-1]["type"] == "run_cancelled"
    again = await api("DELETE", "executions", run_id)
    assert again.code == 409 and again.error["code"] == "invalid_state"
    assert (await api("DELETE", "executions", "nope")).code == 404


async def test_resume_answers_an_interrupt(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(ask_doc()))["id"]
    run_id = (await api("POST", "workflows", wid, "execute")).body["execution_id"]
    run = await wait_run(run_id)
    assert run["status"] == "interrupted"
    assert run["interrupt"][0]["value"] == {"question": "name?"}

    missing = await api("POST", "executions", run_id, "resume", json_body={})
    assert missing.code == 422 and missing.error["details"][0]["field"] == "value"
    reply = await api("POST", "executions", run_id, "resume", json_body={"value": "Ada"})
    assert reply.code == 202 and reply.body == {"execution_id": run_id}
    assert reply.headers["Location"].endswith(f"/orcheo/api/executions/{run_id}")
    run = await wait_run(run_id)
    assert run["status"] == "succeeded"
    assert run["final_state"]["results"]["ask"] == "Hello Ada"
    assert [t["status"] for t in run["transitions"]] == [
        "pending",
        "running",
        "interrupted",
        "running",
        "succeeded",
    ]
    again = await api("POST", "executions", run_id, "resume", json_body={"value": "Bob"})
    assert again.code == 409
    assert "not interrupted" in again.error["message"]


class TestTimeTravel:
    @pytest.fixture
    def orcheo_config(self) -> dict[str, Any]:
        # "sync" keeps every checkpoint (the default policy throttles them), so the
        # run below has one between each node to re-run from.
        return {"durability": "sync"}

    async def test_checkpoints_and_rerun_from_one(
        self, api: Call, create_workflow: Create, wait_run: Wait
    ) -> None:
        wid = (await create_workflow(linear_doc("a", "b", "c")))["id"]
        run_id = (
            await api("POST", "workflows", wid, "execute", json_body={"inputs": {"k": 1}})
        ).body["execution_id"]
        await wait_run(run_id)
        checkpoints = (await api("GET", "executions", run_id, "checkpoints")).body["items"]
        after_a = next(c for c in checkpoints if c["next"] == ["b"])
        assert after_a["results"] == {"a": {"me": "a"}}

        reply = await api(
            "POST",
            "executions",
            run_id,
            "rerun",
            json_body={"checkpoint_id": after_a["checkpoint_id"]},
        )
        assert reply.code == 202
        new_id = reply.body["execution_id"]
        assert new_id != run_id
        assert reply.headers["Location"].endswith(f"/orcheo/api/executions/{new_id}")
        rerun = await wait_run(new_id)
        assert rerun["status"] == "succeeded"
        assert rerun["parent_run_id"] == run_id
        assert rerun["parent_checkpoint_id"] == after_a["checkpoint_id"]
        ran = [e["node"] for e in (await api("GET", "executions", new_id, "events")).body["items"]]
        assert "a" not in ran and "b" in ran and "c" in ran  # resumed after a

        fresh = await api("POST", "executions", run_id, "rerun")
        assert fresh.code == 202
        assert (await wait_run(fresh.body["execution_id"]))["inputs"] == {"k": 1}
        unknown = await api("POST", "executions", run_id, "rerun", json_body={"checkpoint_id": "x"})
        assert unknown.code == 404


async def test_unknown_execution_is_404(api: Call) -> None:
    for path in (("nope",), ("nope", "checkpoints")):
        reply = await api("GET", "executions", *path)
        assert reply.code == 404
        assert reply.error["code"] == "not_found"
    resume = await api("POST", "executions", "nope", "resume", json_body={"value": 1})
    assert resume.code == 404


async def test_node_catalog(api: Call) -> None:
    reply = await api("GET", "nodes")
    assert reply.code == 200
    by_type = {n["type"]: n for n in reply.body["items"]}
    entry = by_type["SetVariableNode"]
    assert entry["category"] == "data"
    assert "variables" in entry["config_schema"]["properties"]


async def test_runs_are_found_by_the_short_id_the_ui_shows(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(linear_doc("a")))["id"]
    run_id = (await api("POST", "workflows", wid, "execute", json_body={})).body["execution_id"]
    await wait_run(run_id)
    found = await api("GET", "executions", params={"id_prefix": run_id[:8]})
    assert found.code == 200
    assert [r["id"] for r in found.body["items"]] == [run_id]
    none = await api("GET", "executions", params={"id_prefix": "zzzz0000"})
    assert none.body["items"] == [] and none.body["total"] == 0
    short = await api("GET", "executions", params={"id_prefix": "ab"})
    assert short.code == 422
    assert short.error["details"][0]["field"] == "query.id_prefix"
    wild = await api("GET", "executions", params={"id_prefix": "ab%_"})
    assert wild.code == 422
