"""Celery execution against real servers: Postgres, Redis, headless servers and workers."""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path

import httpx
import psycopg
import pytest
import redis

from tests.conftest import code_doc, linear_doc
from tests.services import PostgresServer, RedisServer

from .cluster import (
    cluster_env,
    create_workflow,
    execute,
    start_cluster,
    start_worker,
    wait_status,
    ws_events,
)


@pytest.fixture
def env(postgres_server: PostgresServer, redis_url: str) -> dict[str, str]:
    return cluster_env(postgres_server.new_database(), redis_url)


def metric(text: str, name: str) -> float:
    match = re.search(rf"^{re.escape(name)} (\S+)$", text, re.M)
    assert match, f"{name} missing"
    return float(match.group(1))


def test_runs_execute_on_a_worker_and_stream_live(tmp_path: Path, env: dict[str, str]) -> None:
    cluster = start_cluster(tmp_path, env, servers=1, workers=1)
    server = cluster.servers[0]
    try:
        wid = create_workflow(server, linear_doc("a", "b", "c"))
        run_id = execute(server, wid, {"x": 1})
        messages = asyncio.run(ws_events(server, run_id))
        assert [m["seq"] for m in messages] == list(range(1, len(messages) + 1))
        assert [(m["type"], m["node"]) for m in messages] == [
            ("run_started", None),
            ("node_started", "a"),
            ("node_finished", "a"),
            ("node_started", "b"),
            ("node_finished", "b"),
            ("node_started", "c"),
            ("node_finished", "c"),
            ("run_finished", None),
        ]
        run = wait_status(server, run_id, {"succeeded"})
        assert run["final_state"]["results"] == {
            "a": {"me": "a"},
            "b": {"me": "b"},
            "c": {"me": "c"},
        }
        assert run["inputs"] == {"x": 1}
        health = httpx.get(f"{server.api}/health", headers=server.headers).json()
        assert health["executor"] == "celery" and health["status"] == "ok"
        assert set(health["checks"]) == {"store", "checkpoints", "broker"}
        text = httpx.get(f"{server.api}/metrics", headers=server.headers).text
        assert metric(text, "orcheo_queue_depth") == 0
        assert metric(text, "orcheo_runs_started_total") == 0  # the server executes nothing
        # An invalid document is refused by the server: nothing is stored or queued.
        bad = linear_doc("a")
        bad["graph"]["ir"]["edges"].append({"source": "a", "target": "ghost"})
        reply = httpx.post(f"{server.api}/workflows", json=bad, headers=server.headers)
        assert reply.status_code == 422
    finally:
        cluster.stop()
    log = cluster.workers[0].log.read_text()
    assert run_id in log or "succeeded" in log


def test_interrupt_and_resume_cross_processes(tmp_path: Path, env: dict[str, str]) -> None:
    cluster = start_cluster(tmp_path, env, servers=2, workers=2)
    first, second = cluster.servers
    try:
        wid = create_workflow(first, code_doc("return {'got': interrupt('name?')}", node_id="ask"))
        run_id = execute(first, wid)
        run = wait_status(second, run_id, {"interrupted"})
        assert run["interrupt"][0]["value"] == "name?"
        reply = httpx.post(
            f"{second.api}/executions/{run_id}/resume",
            json={"value": "Ada"},
            headers=second.headers,
        )
        assert reply.status_code == 202, reply.text
        again = httpx.post(
            f"{first.api}/executions/{run_id}/resume", json={"value": "Bob"}, headers=first.headers
        )
        assert again.status_code == 409, again.text  # one answer per interrupt
        done = wait_status(first, run_id, {"succeeded", "failed"})
        assert done["final_state"]["results"]["ask"] == {"got": "Ada"}
        messages = asyncio.run(ws_events(first, run_id))
        assert [m["type"] for m in messages] == [
            "run_started",
            "node_started",
            "interrupted",
            "resumed",
            "node_started",
            "node_finished",
            "run_finished",
        ]
        assert [m["seq"] for m in messages] == list(range(1, 8))
    finally:
        cluster.stop()


def test_cancel_queued_and_running_runs(
    tmp_path: Path, env: dict[str, str], redis_server: RedisServer
) -> None:
    cluster = start_cluster(tmp_path, env, servers=1, workers=0)
    server = cluster.servers[0]
    try:
        slow = create_workflow(
            server, code_doc("import asyncio\nawait asyncio.sleep(60)\nreturn 1", node_id="slow")
        )
        queued = execute(server, slow)  # no worker yet: it waits in the queue
        reply = httpx.delete(f"{server.api}/executions/{queued}", headers=server.headers)
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == "cancelled"
        cluster.workers.append(start_worker(tmp_path / "worker", env))
        running = execute(server, slow)
        wait_status(server, running, {"running"})
        time.sleep(0.3)
        started = time.monotonic()
        reply = httpx.delete(
            f"{server.api}/executions/{running}", headers=server.headers, timeout=60
        )
        assert reply.status_code == 200, reply.text
        assert reply.json()["status"] == "cancelled"
        assert time.monotonic() - started < 10
        events = asyncio.run(ws_events(server, running))
        assert events[-1]["type"] == "run_cancelled"
        # The queued run's message reached the worker after its cancellation: still cancelled.
        time.sleep(1)
        assert wait_status(server, queued, {"cancelled"})["status"] == "cancelled"
        assert [e["type"] for e in asyncio.run(ws_events(server, queued))] == ["run_cancelled"]
    finally:
        cluster.stop()


def test_a_lost_message_is_requeued_by_the_reaper(
    tmp_path: Path, postgres_server: PostgresServer, redis_url: str
) -> None:
    """Redis can lose a message a worker popped and died with; the run still happens."""
    env = cluster_env(
        postgres_server.new_database(), redis_url, ORCHEO_CELERY_VISIBILITY_TIMEOUT="2"
    )
    cluster = start_cluster(tmp_path, env, servers=1, workers=0)
    server = cluster.servers[0]
    try:
        wid = create_workflow(server, linear_doc("a"))
        run_id = execute(server, wid)
        client = redis.Redis.from_url(redis_url)
        assert client.delete("orcheo") == 1  # the queued message is gone
        client.close()
        cluster.workers.append(start_worker(tmp_path / "worker", env))
        run = wait_status(server, run_id, {"succeeded"}, timeout=30)
        assert run["final_state"]["results"] == {"a": {"me": "a"}}
    finally:
        cluster.stop()
    assert f"re-queueing pending run {run_id}" in cluster.workers[0].log.read_text()


def test_workers_resolve_credentials_from_the_shared_vault(
    tmp_path: Path, env: dict[str, str]
) -> None:
    cluster = start_cluster(tmp_path, env, servers=1, workers=1)
    server = cluster.servers[0]
    try:
        reply = httpx.post(
            f"{server.api}/credentials",
            json={"name": "api-key", "value": "s3cret-value"},
            headers=server.headers,
        )
        assert reply.status_code == 201, reply.text
        doc = code_doc(
            "return {'length': len(self.key), 'prefix': self.key[:2]}",
            node_id="use",
            config={"key": "[[api-key]]"},
            injected=["key"],
        )
        run_id = execute(server, create_workflow(server, doc))
        run = wait_status(server, run_id, {"succeeded", "failed"})
        assert run["status"] == "succeeded", run["error"]
        assert run["final_state"]["results"]["use"] == {"length": 12, "prefix": "s3"}
        events = asyncio.run(ws_events(server, run_id))
        assert "s3cret-value" not in str(events)
        audit = httpx.get(f"{server.api}/credentials/api-key/audit", headers=server.headers)
        assert any(e["action"] == "read" and e["run_id"] == run_id for e in audit.json()["items"])
    finally:
        cluster.stop()


def test_webhook_deliveries_run_on_workers_and_are_counted(
    tmp_path: Path, env: dict[str, str]
) -> None:
    from orcheo_jupyter.triggers import sign

    cluster = start_cluster(tmp_path, env, servers=1, workers=1)
    server = cluster.servers[0]
    try:
        secret = "whsec-test-123"
        reply = httpx.post(
            f"{server.api}/credentials",
            json={"name": "hook_secret", "value": secret},
            headers=server.headers,
        )
        assert reply.status_code == 201, reply.text
        doc = code_doc("return state['inputs']['body']", name="hooked")
        doc["triggers"] = [
            {"type": "webhook", "id": "hook", "config": {"hmac": {"secret": "[[hook_secret]]"}}}
        ]
        wid = create_workflow(server, doc)
        body = b'{"order": 7}'
        stamp = str(int(time.time()))
        headers = {
            "Content-Type": "application/json",
            "X-Orcheo-Timestamp": stamp,
            "X-Orcheo-Signature": "sha256=" + sign(secret, stamp, body),
            "Idempotency-Key": "order-7",
        }
        hook = f"{server.url}/orcheo/hooks/{wid}"
        first = httpx.post(hook, content=body, headers=headers)
        assert first.status_code == 202, first.text
        again = httpx.post(hook, content=body, headers=headers)
        assert again.status_code == 200 and again.json()["duplicate"] is True
        forged = httpx.post(
            hook, content=body, headers={**headers, "X-Orcheo-Signature": "sha256=00"}
        )
        assert forged.status_code == 401
        run_id = first.json()["execution_id"]
        run = wait_status(server, run_id, {"succeeded", "failed"})
        assert run["final_state"]["results"]["c"] == {"order": 7}
        with psycopg.connect(env["ORCHEO_POSTGRES_DSN"]) as conn:
            row = conn.execute("SELECT owner FROM runs WHERE id = %s", (run_id,)).fetchone()
        assert row is not None and row[0].startswith("celery@")  # a worker executed it
        text = httpx.get(f"{server.api}/metrics", headers=server.headers).text
        for outcome, count in (("accepted", 1), ("duplicate", 1), ("rejected", 1)):
            assert metric(text, f'orcheo_webhook_deliveries_total{{outcome="{outcome}"}}') == count
    finally:
        cluster.stop()


def test_a_run_on_a_worker_is_one_trace_with_the_server_and_the_caller(
    tmp_path: Path, env: dict[str, str]
) -> None:
    """The trace context travels in the task message's headers (issue 20)."""
    caller_trace, caller_span = "0af7651916cd43dd8448eb211c80319c", "b7ad6b7169203331"
    cluster = start_cluster(tmp_path, {**env, "ORCHEO_TRACE_STORE": "true"}, servers=1, workers=1)
    server = cluster.servers[0]
    try:
        wid = create_workflow(server, linear_doc("a", "b"))
        reply = httpx.post(
            f"{server.api}/workflows/{wid}/execute",
            json={"inputs": {}},
            headers={**server.headers, "traceparent": f"00-{caller_trace}-{caller_span}-01"},
        )
        assert reply.status_code == 202, reply.text
        run_id = reply.json()["execution_id"]
        assert wait_status(server, run_id, {"succeeded"})["status"] == "succeeded"
        trace = httpx.get(f"{server.api}/executions/{run_id}/trace", headers=server.headers)
        assert trace.status_code == 200, trace.text
        body = trace.json()
    finally:
        cluster.stop()
    assert body["trace_ids"] == [caller_trace]
    submit, run, *nodes = body["spans"]
    assert [submit["name"], run["name"]] == ["orcheo.submit", "orcheo.run"]
    assert submit["parent_span_id"] == caller_span
    assert run["parent_span_id"] == submit["span_id"]
    assert [n["attributes"]["orcheo.node.id"] for n in nodes] == ["a", "b"]
    assert submit["service"]["pid"] == server.proc.pid  # the server queued it
    assert run["service"]["pid"] != server.proc.pid  # a worker executed it
    assert {n["parent_span_id"] for n in nodes} == {run["span_id"]}
