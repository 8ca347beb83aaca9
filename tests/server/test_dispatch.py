"""Manual batch dispatch, per-workflow limits, retries and dead letters over the REST API.

Tests here run on pytest-jupyter's loop: they are not marked asyncio (see conftest).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

from tests.conftest import code_doc

from .conftest import Call

Wait = Callable[..., Awaitable[dict[str, Any]]]


async def until_dead(api: Call, workflow_id: str, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while True:
        reply = await api("GET", "dead-letters", params={"workflow_id": workflow_id})
        assert reply.code == 200, reply.body
        if reply.body["total"] >= count:
            return reply.body["items"]  # type: ignore[no-any-return]
        assert time.monotonic() < deadline, reply.body
        await asyncio.sleep(0.05)


async def test_a_batch_is_queued_and_runs_within_the_limit(api: Call, wait_run: Wait) -> None:
    doc = code_doc("import asyncio\nawait asyncio.sleep(0.2)\nreturn state['inputs']['n'] * 2")
    doc["name"] = "doubler"
    doc["inputs_schema"] = {"type": "object", "properties": {"n": {"type": "integer"}}}
    created = await api("POST", "workflows", json_body=doc)
    wid = created.body["id"]
    policy = {"policy": {"max_concurrency": 2}}
    assert (await api("PUT", "workflows", wid, "triggers", json_body=policy)).code == 200

    runs = [{"inputs": {"n": n}} for n in range(4)] + [{"inputs": {"n": 9}, "idempotency_key": "k"}]
    reply = await api("POST", "workflows", "doubler", "dispatch", json_body={"runs": runs})
    assert reply.code == 202, reply.body
    items = reply.body["items"]
    assert len(items) == 5 and not any(i["duplicate"] for i in items)
    await asyncio.sleep(0.1)
    jobs = (await api("GET", "workflows", wid, "triggers")).body["jobs"]
    assert jobs["running"] == 2 and jobs["queued"] == 3

    again = await api(
        "POST", "workflows", wid, "dispatch", json_body={"runs": [{"idempotency_key": "k"}]}
    )
    assert again.body["items"] == [{**items[4], "duplicate": True}]

    results = [await wait_run(i["execution_id"]) for i in items]
    assert [r["final_state"]["results"]["c"] for r in results] == [0, 2, 4, 6, 18]
    listed = await api("GET", "executions", params={"workflow_id": wid})
    assert listed.body["total"] == 5


async def test_bad_inputs_or_missing_credentials_refuse_the_whole_batch(api: Call) -> None:
    doc = code_doc("return self.key", config={"key": "[[batch_key]]"}, injected=["key"])
    doc["name"] = "keyed"
    doc["inputs_schema"] = {"type": "object", "properties": {"n": {"type": "integer"}}}
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    bad = await api(
        "POST",
        "workflows",
        wid,
        "dispatch",
        json_body={"runs": [{"inputs": {"n": 1}}, {"inputs": {"n": "two"}}]},
    )
    assert bad.code == 422
    assert [d["field"] for d in bad.error["details"]] == ["runs[1].inputs.n"]
    refused = await api("POST", "workflows", wid, "dispatch", json_body={"runs": [{}]})
    assert (refused.code, refused.error["code"]) == (422, "credential_unavailable")
    assert refused.error["message"] == (
        "error: node 'c' config.key: credential 'batch_key' does not exist"
    )
    assert (await api("GET", "executions", params={"workflow_id": wid})).body["total"] == 0
    empty = await api("POST", "workflows", wid, "dispatch", json_body={"runs": []})
    assert empty.code == 422 and empty.error["details"][0]["field"] == "runs"


async def test_failed_runs_retry_then_become_dead_letters(api: Call, wait_run: Wait) -> None:
    doc = code_doc("raise RuntimeError('upstream down')", name="fails")
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    policy = {"policy": {"max_attempts": 2, "backoff_seconds": 0.05, "jitter": 0}}
    await api("PUT", "workflows", wid, "triggers", json_body=policy)
    reply = await api("POST", "workflows", wid, "dispatch", json_body={"runs": [{"inputs": {}}]})
    first_run = reply.body["items"][0]["execution_id"]

    (letter,) = await until_dead(api, wid, 1)
    assert letter["id"] == reply.body["items"][0]["job_id"]
    assert letter["source"] == "manual" and letter["attempt"] == 2
    assert letter["attempts"][0]["run_id"] == first_run
    assert [a["error"] for a in letter["attempts"]] == [
        "node 'c' failed (line 1 of its code): RuntimeError: upstream down"
    ] * 2
    assert (await wait_run(letter["attempts"][1]["run_id"]))["status"] == "failed"
    assert (await api("GET", "dead-letters", letter["id"])).body["id"] == letter["id"]

    retried = await api("POST", "dead-letters", letter["id"], "retry")
    assert retried.code == 202 and retried.body["job_id"] == letter["id"]
    assert list(retried.body) == ["execution_id", "job_id"]
    location = f"/orcheo/api/executions/{retried.body['execution_id']}"
    assert retried.headers["Location"].endswith(location)
    assert retried.body["execution_id"] not in {a["run_id"] for a in letter["attempts"]}
    deadline = time.monotonic() + 20
    while True:  # a fresh budget of 2 runs, spent, and dead again
        again = await api("GET", "dead-letters", letter["id"])
        if again.code == 200 and again.body["attempt"] == 4:
            break
        assert time.monotonic() < deadline, again.body
        await asyncio.sleep(0.05)
    assert [a["run_id"] for a in again.body["attempts"]][2] == retried.body["execution_id"]
    assert len(again.body["attempts"]) == 4

    assert (await api("DELETE", "dead-letters", letter["id"])).code == 204
    assert (await api("GET", "dead-letters", letter["id"])).code == 404
    assert (await api("GET", "executions", first_run)).code == 200  # runs stay in history


async def test_a_queued_run_can_be_watched_and_cancelled_before_it_starts(
    api: Call, wait_run: Wait
) -> None:
    doc = code_doc("import asyncio\nawait asyncio.sleep(0.3)\nreturn 1", name="one-at-a-time")
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    await api("PUT", "workflows", wid, "triggers", json_body={"policy": {"max_concurrency": 1}})
    runs = {"runs": [{"inputs": {"n": n}} for n in range(3)]}
    items = (await api("POST", "workflows", wid, "dispatch", json_body=runs)).body["items"]
    last = items[2]["execution_id"]
    queued = await api("GET", "executions", last)
    assert (queued.code, queued.body["status"], queued.body["inputs"]) == (200, "pending", {"n": 2})
    cancelled = await api("DELETE", "executions", last)
    assert (cancelled.code, cancelled.body["status"]) == (200, "cancelled")
    assert [(await wait_run(i["execution_id"]))["status"] for i in items[:2]] == ["succeeded"] * 2
    await asyncio.sleep(0.2)
    final = await api("GET", "executions", last)
    assert final.body["status"] == "cancelled" and final.body["started_at"] is None
    events = (await api("GET", "executions", last, "events")).body["items"]
    assert [e["type"] for e in events] == ["run_cancelled"]
    jobs = (await api("GET", "workflows", wid, "triggers")).body["jobs"]
    assert jobs == {"queued": 0, "running": 0, "retrying": 0, "dead": 0}


async def test_dispatched_runs_get_schema_defaults(api: Call, wait_run: Wait) -> None:
    doc = code_doc("return state['inputs']['n'] * state['inputs']['factor']")
    doc["name"] = "scaled"
    doc["inputs_schema"] = {
        "type": "object",
        "properties": {"n": {"type": "integer"}, "factor": {"type": "integer", "default": 10}},
        "required": ["n", "factor"],
    }
    wid = (await api("POST", "workflows", json_body=doc)).body["id"]
    runs = [{"inputs": {"n": 1}}, {"inputs": {"n": 2, "factor": 3}}]
    reply = await api("POST", "workflows", wid, "dispatch", json_body={"runs": runs})
    assert reply.code == 202, reply.body
    results = [await wait_run(i["execution_id"]) for i in reply.body["items"]]
    assert [r["status"] for r in results] == ["succeeded"] * 2, results
    assert [r["final_state"]["results"]["c"] for r in results] == [10, 6]
