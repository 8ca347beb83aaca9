"""Two servers, two workers, one Postgres, one Redis; 500 runs; one worker killed mid-way.

Every run must finish exactly once (one run_started, one run_finished, status
succeeded) and every WebSocket client must receive its run's complete stream:
sequence numbers 1..N without a gap, exactly the events stored. Runs the killed
worker held come back (broker re-delivery and the lease reaper) and continue
from their checkpoints on the surviving worker.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.conftest import code_doc
from tests.services import PostgresServer

from .cluster import Cluster, cluster_env, create_workflow, start_cluster, ws_events

RUNS = 500


def paced_doc() -> dict[str, Any]:
    """Three steps; the middle one waits 50 ms on I/O, so a kill catches runs mid-flight."""
    doc = code_doc("return {'n': state['inputs']['n']}", node_id="first")
    ir = doc["graph"]["ir"]
    ir["nodes"] += [
        {
            "kind": "code",
            "id": "wait",
            "body": "import asyncio\nawait asyncio.sleep(0.05)\nreturn {'waited': True}",
        },
        {"kind": "code", "id": "last", "body": "return {'double': state['inputs']['n'] * 2}"},
    ]
    ir["edges"] = [
        {"source": "__start__", "target": "first"},
        {"source": "first", "target": "wait"},
        {"source": "wait", "target": "last"},
        {"source": "last", "target": "__end__"},
    ]
    return doc


def holds_a_run(dsn: str, pid: int) -> bool:
    """Whether the worker process ``pid`` owns a run that is running right now."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute(
            "SELECT 1 FROM runs WHERE status = 'running' AND owner LIKE %s LIMIT 1",
            (f"%:{pid}:%",),
        ).fetchone()
    return row is not None


async def drive(
    cluster: Cluster, workflow_id: str, killed: asyncio.Event, dsn: str
) -> dict[str, Any]:
    """Start RUNS runs through both servers; follow each on a WebSocket of the *other* one."""
    servers = cluster.servers
    streams: dict[str, list[dict[str, Any]]] = {}
    inputs: dict[str, int] = {}
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(limits=limits, timeout=60) as client:
        gate = asyncio.Semaphore(48)

        async def one(n: int) -> None:
            async with gate:
                start, follow = servers[n % 2], servers[(n + 1) % 2]
                reply = await client.post(
                    f"{start.api}/workflows/{workflow_id}/execute",
                    json={"inputs": {"n": n}},
                    headers=start.headers,
                )
                assert reply.status_code == 202, reply.text
                run_id = reply.json()["execution_id"]
                inputs[run_id] = n
            try:
                streams[run_id] = await ws_events(follow, run_id, timeout=60)
            except TimeoutError:
                streams[run_id] = []  # reported with the run's stored state below

        async def killer() -> None:
            while len([s for s in streams.values() if s]) < RUNS // 4:
                await asyncio.sleep(0.05)
            # Kill worker 0 only while it holds a run, so re-delivery is really exercised
            # (on a loaded machine the other worker may have taken everything for a while).
            deadline = time.monotonic() + 30
            while not await asyncio.to_thread(holds_a_run, dsn, cluster.workers[0].proc.pid):
                if time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.02)
            cluster.workers[0].kill()
            killed.set()

        kill = asyncio.create_task(killer())
        await asyncio.gather(*(one(n) for n in range(RUNS)))
        await kill
    return {"streams": streams, "inputs": inputs}


def diagnose(dsn: str, run_ids: list[str], cluster: Cluster) -> str:
    """What the store says about runs whose stream never ended, and the workers' last words."""
    lines = [f"{len(run_ids)} stream(s) did not end:"]
    with psycopg.connect(dsn) as conn:
        for run_id in run_ids[:5]:
            run = conn.execute(
                "SELECT status, owner, last_seq, updated_at FROM runs WHERE id = %s", (run_id,)
            ).fetchone()
            kinds = conn.execute(
                "SELECT seq, type, node FROM run_events WHERE run_id = %s ORDER BY seq", (run_id,)
            ).fetchall()
            lock = conn.execute(
                "SELECT owner, expires_at FROM orcheo_locks WHERE name = %s", (f"run:{run_id}",)
            ).fetchone()
            lines.append(f"{run_id}: {run} events={kinds} lease={lock}")
    for worker in cluster.workers:
        lines.append(f"--- {worker.log}:\n" + worker.log.read_text()[-3000:])
    return "\n".join(lines)


@pytest.mark.timeout(240)
def test_500_runs_two_servers_two_workers_one_killed(
    tmp_path: Path, postgres_server: PostgresServer, redis_url: str
) -> None:
    dsn = postgres_server.new_database()
    env = cluster_env(dsn, redis_url)
    cluster = start_cluster(tmp_path, env, 2, 2, "--concurrency", "8")
    started = time.monotonic()
    try:
        workflow_id = create_workflow(cluster.servers[0], paced_doc())
        killed = asyncio.Event()
        result = asyncio.run(drive(cluster, workflow_id, killed, dsn))
        elapsed = time.monotonic() - started
    finally:
        cluster.stop()
    assert cluster.workers[0].proc.returncode == -9  # really SIGKILLed mid-way

    streams, inputs = result["streams"], result["inputs"]
    assert len(streams) == RUNS
    stuck = [run_id for run_id, stream in streams.items() if not stream]
    assert not stuck, diagnose(dsn, stuck, cluster)
    with psycopg.connect(dsn) as conn:
        runs = conn.execute("SELECT id, status, final_state, owner FROM runs").fetchall()
        events = conn.execute(
            "SELECT run_id, seq, type, node FROM run_events ORDER BY run_id, seq"
        ).fetchall()
    assert len(runs) == RUNS
    stored: dict[str, list[tuple[int, str, str | None]]] = {}
    for run_id, seq, kind, node in events:
        stored.setdefault(run_id, []).append((seq, kind, node))
    resumed = 0
    for run_id, status, final_state, _owner in runs:
        assert status == "succeeded", (run_id, status)
        n = inputs[run_id]
        assert final_state["results"]["last"] == {"double": n * 2}
        kinds = [k for _, k, _ in stored[run_id]]
        assert kinds.count("run_started") == 1 and kinds.count("run_finished") == 1
        assert kinds[0] == "run_started" and kinds[-1] == "run_finished"
        resumed += "resumed" in kinds
        # The client saw exactly the stored stream: 1..N, no gap, no duplicate.
        seen = [(m["seq"], m["type"], m["node"]) for m in streams[run_id]]
        assert seen == stored[run_id], run_id
        assert [s for s, _, _ in seen] == list(range(1, len(seen) + 1))
    assert resumed >= 1, "no run was held by the killed worker"
    print(f"\n{RUNS} runs in {elapsed:.1f} s; {resumed} resumed after the kill")
