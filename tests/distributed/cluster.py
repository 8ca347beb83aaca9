"""A real cluster for tests and benchmarks: headless servers and Celery workers as processes.

Every process gets the same configuration (Postgres DSN, Redis URL,
``ORCHEO_EXECUTOR=celery``) and nothing else in common, as on separate machines.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

from tests.server.headless import Headless, start_headless


def cluster_env(dsn: str, redis_url: str, **extra: str) -> dict[str, str]:
    return {
        "ORCHEO_REPOSITORY_BACKEND": "postgres",
        "ORCHEO_CHECKPOINT_BACKEND": "postgres",
        "ORCHEO_POSTGRES_DSN": dsn,
        "ORCHEO_EXECUTOR": "celery",
        "ORCHEO_BROKER_URL": redis_url,
        "ORCHEO_LEASE_SECONDS": "3",
        "ORCHEO_CELERY_VISIBILITY_TIMEOUT": "10",
        "ORCHEO_EVENT_POLL_SECONDS": "1",
        "ORCHEO_VAULT_KEY": "ab" * 32,
        **extra,
    }


@dataclass
class Worker:
    proc: subprocess.Popen[bytes]
    log: Path

    def kill(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self, timeout: float = 30) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return int(self.proc.returncode)


def start_worker(root: Path, env: dict[str, str], *args: str) -> Worker:
    root.mkdir(parents=True, exist_ok=True)
    log = root / "worker.log"
    environ = {**os.environ, "ORCHEO_DATA_DIR": str(root / "data"), **env}
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "orcheo_jupyter", "worker", *args],
            env=environ,
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=root,
        )
    deadline = time.monotonic() + 60
    while b"ready." not in log.read_bytes():
        if proc.poll() is not None:
            raise RuntimeError(f"worker exited:\n{log.read_text()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"worker not ready:\n{log.read_text()}")
        time.sleep(0.05)
    return Worker(proc, log)


@dataclass
class Cluster:
    servers: list[Headless] = field(default_factory=list)
    workers: list[Worker] = field(default_factory=list)

    def stop(self) -> None:
        """Workers first (they finish what they hold), then servers; each kind in parallel."""
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda w: w.stop(), self.workers))
            list(pool.map(lambda s: s.stop(), self.servers))


def start_cluster(
    root: Path, env: dict[str, str], servers: int, workers: int, *worker_args: str
) -> Cluster:
    """Servers and workers started in parallel; all ready (or all stopped) on return."""
    cluster = Cluster()
    with ThreadPoolExecutor(8) as pool:
        started_servers = [
            pool.submit(start_headless, root / f"server{i}", env=env) for i in range(servers)
        ]
        started_workers = [
            pool.submit(start_worker, root / f"worker{i}", env, *worker_args)
            for i in range(workers)
        ]
        failure: BaseException | None = None
        for future in started_servers:
            try:
                cluster.servers.append(future.result())
            except BaseException as exc:
                failure = exc
        for future in started_workers:
            try:
                cluster.workers.append(future.result())
            except BaseException as exc:
                failure = exc
    if failure is not None:
        cluster.stop()
        raise failure
    return cluster


def create_workflow(server: Headless, doc: dict[str, Any]) -> str:
    reply = httpx.post(f"{server.api}/workflows", json=doc, headers=server.headers)
    assert reply.status_code == 201, reply.text
    return str(reply.json()["id"])


def execute(server: Headless, workflow_id: str, inputs: dict[str, Any] | None = None) -> str:
    reply = httpx.post(
        f"{server.api}/workflows/{workflow_id}/execute",
        json={"inputs": inputs or {}},
        headers=server.headers,
    )
    assert reply.status_code == 202, reply.text
    return str(reply.json()["execution_id"])


def wait_status(
    server: Headless, run_id: str, wanted: set[str], timeout: float = 60
) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        run = httpx.get(f"{server.api}/executions/{run_id}", headers=server.headers).json()
        if run["status"] in wanted:
            return dict(run)
        assert time.monotonic() < deadline, f"run {run_id} still {run['status']}"
        time.sleep(0.05)


async def ws_events(
    server: Headless, run_id: str, after: int = 0, timeout: float = 120
) -> list[dict[str, Any]]:
    """Every message of the run's WebSocket until the server closes it."""
    url = server.url.replace("http://", "ws://") + f"/orcheo/ws/executions/{run_id}?after={after}"
    request = HTTPRequest(url, headers=server.headers, request_timeout=timeout)
    conn = await websocket_connect(request)
    messages = []
    try:
        while True:
            text = await asyncio.wait_for(conn.read_message(), timeout)
            if text is None:
                return messages
            messages.append(json.loads(text))
    finally:
        conn.close()
