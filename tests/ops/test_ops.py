"""Metrics, health and JSON logs of a real headless server on PostgreSQL."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg

from tests.conftest import code_doc, linear_doc
from tests.server.headless import Headless, start_headless
from tests.services import PostgresServer


def postgres_env(dsn: str) -> dict[str, str]:
    return {
        "ORCHEO_REPOSITORY_BACKEND": "postgres",
        "ORCHEO_CHECKPOINT_BACKEND": "postgres",
        "ORCHEO_POSTGRES_DSN": dsn,
        "ORCHEO_LOG_FORMAT": "json",
    }


def run_workflow(server: Headless, doc: dict[str, Any]) -> dict[str, Any]:
    created = httpx.post(f"{server.api}/workflows", json=doc, headers=server.headers)
    assert created.status_code == 201, created.text
    started = httpx.post(
        f"{server.api}/workflows/{created.json()['id']}/execute", json={}, headers=server.headers
    )
    assert started.status_code == 202, started.text
    run_id = started.json()["execution_id"]
    deadline = time.monotonic() + 30
    while True:
        run = httpx.get(f"{server.api}/executions/{run_id}", headers=server.headers).json()
        if run["status"] not in ("pending", "running"):
            return dict(run)
        assert time.monotonic() < deadline
        time.sleep(0.05)


def sample(text: str, name: str, labels: str = "") -> float:
    match = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    assert match, f"{name}{labels} not in metrics"
    return float(match.group(1))


def test_metrics_health_and_json_logs(tmp_path: Path, postgres_dsn: str) -> None:
    server = start_headless(tmp_path / "server", env=postgres_env(postgres_dsn))
    try:
        ok = run_workflow(server, linear_doc("a", "b", "c"))
        assert ok["status"] == "succeeded"
        failed = run_workflow(server, code_doc("raise ValueError('boom')", node_id="bad"))
        assert failed["status"] == "failed"

        reply = httpx.get(f"{server.api}/metrics", headers=server.headers)
        assert reply.status_code == 200
        assert reply.headers["content-type"].startswith("text/plain")
        text = reply.text
        assert sample(text, "orcheo_runs_started_total") == 2
        assert sample(text, "orcheo_runs_finished_total", '{status="succeeded"}') == 1
        assert sample(text, "orcheo_runs_finished_total", '{status="failed"}') == 1
        assert sample(text, "orcheo_runs_finished_total", '{status="cancelled"}') == 0
        assert sample(text, "orcheo_node_duration_seconds_count", '{status="succeeded"}') == 3
        assert sample(text, "orcheo_node_duration_seconds_count", '{status="failed"}') == 1
        assert sample(text, "orcheo_runs_in_progress") == 0
        assert sample(text, "orcheo_queue_depth") == 0
        assert sample(text, "orcheo_webhook_deliveries_total", '{outcome="accepted"}') == 0

        health = httpx.get(f"{server.api}/health", headers=server.headers)
        assert health.status_code == 200, health.text
        body = health.json()
        assert body["status"] == "ok" and body["executor"] == "runners"
        assert set(body["checks"]) == {"store", "checkpoints", "runners"}
        assert all(c["ok"] and c["latency_ms"] >= 0 for c in body["checks"].values())

        # Monitoring needs the token unless authenticate_prometheus is off.
        assert httpx.get(f"{server.api}/metrics").status_code == 403
        assert httpx.get(f"{server.api}/health").status_code == 403

        # The database disappears: health says so (503), naming the failing check.
        dbname = postgres_dsn.rsplit("/", 1)[1]
        admin = postgres_dsn.rsplit("/", 1)[0] + "/postgres"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {dbname} WITH (FORCE)")
        for _ in range(2):  # pooled connections are cut, then new ones cannot be made
            down = httpx.get(f"{server.api}/health", headers=server.headers, timeout=30)
            assert down.status_code == 503, down.text
            assert down.json()["status"] == "unavailable"
            checks = down.json()["checks"]
            assert not checks["store"]["ok"] and not checks["checkpoints"]["ok"]
            assert checks["store"]["error"].startswith(("AdminShutdown", "no answer within 5 s"))
    finally:
        server.stop()

    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line[:1] == "{"]
    events = [line for line in lines if line["logger"] == "orcheo.events"]
    finished = [e for e in events if e["event"] == "node_finished"]
    assert [e["node_id"] for e in finished] == ["a", "b", "c"]
    assert {e["run_id"] for e in finished} == {ok["id"]}
    assert all(e["level"] == "info" and e["duration_ms"] >= 0 for e in finished)
    failure = next(e for e in events if e["event"] == "node_failed")
    assert failure["level"] == "warning" and "boom" in failure["error"]
    assert failure["run_id"] == failed["id"] and failure["node_id"] == "bad"


def test_monitoring_without_token_when_jupyter_allows_it(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    server = start_headless(
        tmp_path / "server",
        "--ServerApp.authenticate_prometheus=False",
        env=postgres_env(postgres_server.new_database()),
    )
    try:
        deadline = time.monotonic() + 60  # until a runner process is ready
        while (health := httpx.get(f"{server.api}/health")).status_code != 200:
            assert time.monotonic() < deadline, health.text
            time.sleep(0.1)
        metrics = httpx.get(f"{server.api}/metrics")
        assert metrics.status_code == 200 and "orcheo_runs_started_total 0.0" in metrics.text
        assert httpx.get(f"{server.api}/workflows").status_code == 403  # the rest stays closed
    finally:
        server.stop()


def test_traitlets_select_postgres_like_the_environment(
    tmp_path: Path, postgres_server: PostgresServer
) -> None:
    dsn = postgres_server.new_database()
    server = start_headless(
        tmp_path / "server",
        "--OrcheoApp.repository_backend=postgres",
        "--OrcheoApp.checkpoint_backend=postgres",
        f"--OrcheoApp.postgres_dsn={dsn}",
    )
    try:
        run = run_workflow(server, linear_doc("a"))
        assert run["status"] == "succeeded"
    finally:
        server.stop()
    with psycopg.connect(dsn) as conn:
        stored = conn.execute("SELECT status FROM runs WHERE id = %s", (run["id"],)).fetchone()
        checkpoints = conn.execute(
            "SELECT count(*) FROM checkpoints WHERE thread_id = %s", (run["id"],)
        ).fetchone()
    assert stored == ("succeeded",)
    assert checkpoints is not None and checkpoints[0] >= 1
    assert not (server.data_dir / "orcheo.sqlite").exists()
