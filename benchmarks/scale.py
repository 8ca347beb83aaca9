"""Scale-out: runs/s with 1, 2 and 4 Celery workers, and the per-run cost of the Celery path.

Real servers, as in production: PostgreSQL and Redis from Debian's packages
(started here on loopback ports, like the test suite does), one headless
``jupyter orcheo`` server and N ``orcheo-jupyter worker`` processes. The workflow
has one node that waits 50 ms on I/O (``await asyncio.sleep(0.05)``).

Two tables, each with a baseline measured in the same run:

1. throughput: R runs submitted through the REST API as fast as a client can,
   until the last one is stored as succeeded; the baseline is one worker, and
   in-process execution (``ORCHEO_EXECUTOR=local`` on the same Postgres) is shown
   for reference;
2. latency of one run at a time, from ``POST .../execute`` to the run_finished
   event on the WebSocket: in-process against Celery; the difference is what the
   queue hop costs per run.

Usage: ``.venv/bin/python benchmarks/scale.py [--runs 400] [--concurrency 4]``
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.conftest import code_doc  # noqa: E402
from tests.distributed.cluster import (  # noqa: E402
    Cluster,
    cluster_env,
    create_workflow,
    start_cluster,
    start_worker,
    ws_events,
)
from tests.server.headless import Headless  # noqa: E402
from tests.services import PostgresServer, RedisServer  # noqa: E402

WAIT_MS = 50


def document() -> dict[str, Any]:
    body = (
        f"import asyncio\nawait asyncio.sleep({WAIT_MS / 1000})\n"
        "return {'n': state['inputs']['n']}"
    )
    return code_doc(body, node_id="io", name="scale")


def succeeded(dsn: str) -> int:
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM runs WHERE status = 'succeeded'").fetchone()
    return int(row[0]) if row else 0


async def submit_all(server: Headless, workflow_id: str, runs: int) -> float:
    """POST every run (64 in flight); the seconds it took to hand them all over."""
    started = time.perf_counter()
    gate = asyncio.Semaphore(64)
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=64), timeout=120) as client:

        async def one(n: int) -> None:
            async with gate:
                reply = await client.post(
                    f"{server.api}/workflows/{workflow_id}/execute",
                    json={"inputs": {"n": n}},
                    headers=server.headers,
                )
                assert reply.status_code == 202, reply.text

        await asyncio.gather(*(one(n) for n in range(runs)))
    return time.perf_counter() - started


def cpu_seconds(cluster: Cluster) -> float:
    """User + system CPU time used so far by the cluster's orcheo processes."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for proc in [s.proc for s in cluster.servers] + [w.proc for w in cluster.workers]:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def throughput(cluster: Cluster, dsn: str, runs: int) -> dict[str, float]:
    server = cluster.servers[0]
    workflow_id = create_workflow(server, document())
    before = succeeded(dsn)
    cpu_before = cpu_seconds(cluster)
    started = time.perf_counter()
    submit_s = asyncio.run(submit_all(server, workflow_id, runs))
    while succeeded(dsn) - before < runs:
        time.sleep(0.02)
        if time.perf_counter() - started > 600:
            raise RuntimeError("runs did not finish in 10 minutes")
    elapsed = time.perf_counter() - started
    cpu_ms = (cpu_seconds(cluster) - cpu_before) * 1000 / runs
    return {
        "runs_s": runs / elapsed,
        "elapsed": elapsed,
        "submit_s": runs / submit_s,
        "cpu_ms": cpu_ms,
    }


async def one_latency(server: Headless, workflow_id: str, client: httpx.AsyncClient) -> float:
    started = time.perf_counter()
    reply = await client.post(
        f"{server.api}/workflows/{workflow_id}/execute",
        json={"inputs": {"n": 0}},
        headers=server.headers,
    )
    events = await ws_events(server, reply.json()["execution_id"])
    assert events[-1]["type"] == "run_finished", events[-1]
    return (time.perf_counter() - started) * 1000


async def interleaved_latency(
    targets: dict[str, tuple[Headless, str]], count: int
) -> dict[str, dict[str, float]]:
    """One run at a time, alternating between the paths, so load drift hits both alike."""
    values: dict[str, list[float]] = {name: [] for name in targets}
    async with httpx.AsyncClient(timeout=60) as client:
        for i in range(count + 5):
            for name, (server, workflow_id) in targets.items():
                ms = await one_latency(server, workflow_id, client)
                if i >= 5:  # the first runs warm caches and pools
                    values[name].append(ms)
    out = {}
    for name, series in values.items():
        series.sort()
        out[name] = {
            "median": statistics.median(series),
            "p95": series[int(len(series) * 0.95) - 1],
        }
    return out


def steady_rate(dsn: str) -> float:
    """Runs/s between the 10th and the 90th percentile of finish times (steady state).

    Workers start a little apart; measuring the middle 80% of completions leaves out
    the ramp-up and the tail.
    """
    with psycopg.connect(dsn) as conn:
        rows = conn.execute("SELECT finished_at FROM runs ORDER BY finished_at").fetchall()
    times = [dt.datetime.fromisoformat(r[0].replace("Z", "+00:00")) for r in rows]
    lo, hi = int(len(times) * 0.1), int(len(times) * 0.9)
    return (hi - lo) / (times[hi] - times[lo]).total_seconds()


def drain(root: Path, env: dict[str, str], dsn: str, workers: int, runs: int, conc: int) -> float:
    """Fill the queue through the API first, then start the workers: their runs/s."""
    cluster = start_cluster(root, env, servers=1, workers=0)
    try:
        workflow_id = create_workflow(cluster.servers[0], document())
        asyncio.run(submit_all(cluster.servers[0], workflow_id, runs))
        with ThreadPoolExecutor(workers) as pool:
            started = pool.map(
                lambda i: start_worker(root / f"worker{i}", env, "--concurrency", str(conc)),
                range(workers),
            )
            cluster.workers.extend(started)
        deadline = time.monotonic() + 600
        while succeeded(dsn) < runs:
            assert time.monotonic() < deadline, "runs did not finish in 10 minutes"
            time.sleep(0.05)
    finally:
        cluster.stop()
    return steady_rate(dsn)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=400, help="runs per throughput round")
    parser.add_argument("--concurrency", type=int, default=4, help="runs at once per worker")
    parser.add_argument("--latency-runs", type=int, default=40)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--e2e-workers", type=int, default=1)
    args = parser.parse_args()
    worker_counts = [int(w) for w in args.workers.split(",")]

    postgres, redis = PostgresServer.start(), RedisServer.start()
    root = Path(tempfile.mkdtemp(prefix="orcheo-scale-"))
    drained: dict[int, float] = {}
    e2e: dict[str, dict[str, float]] = {}
    lat: dict[str, dict[str, float]] = {}
    try:
        for n in worker_counts:
            dsn = postgres.new_database()
            env = cluster_env(dsn, redis.database_url(n))
            drained[n] = drain(root / f"drain{n}", env, dsn, n, args.runs, args.concurrency)
        # End to end through the API: in-process execution (same Postgres) against Celery.
        paths = {"in-process": ("local", 0), "celery": ("celery", args.e2e_workers)}
        clusters: dict[str, tuple[Cluster, str]] = {}
        try:
            for name, (mode, workers) in paths.items():
                dsn = postgres.new_database()
                env = {**cluster_env(dsn, redis.database_url(10)), "ORCHEO_EXECUTOR": mode}
                clusters[name] = (
                    start_cluster(
                        root / f"e2e-{mode}",
                        env,
                        1,
                        workers,
                        "--concurrency",
                        str(args.concurrency),
                    ),
                    dsn,
                )
            targets = {
                name: (c.servers[0], create_workflow(c.servers[0], document()))
                for name, (c, _) in clusters.items()
            }
            lat = asyncio.run(interleaved_latency(targets, args.latency_runs))
            rounds: dict[str, list[dict[str, float]]] = {name: [] for name in clusters}
            for _ in range(2):  # alternate rounds: load drift hits both paths alike
                for name, (c, dsn) in clusters.items():
                    rounds[name].append(throughput(c, dsn, args.runs // 2))
            e2e = {
                name: {key: statistics.mean(r[key] for r in rs) for key in rs[0]}
                for name, rs in rounds.items()
            }
        finally:
            for c, _ in clusters.values():
                c.stop()
    finally:
        postgres.stop()
        redis.stop()

    print(
        f"\nWorkers draining a queue of {args.runs} runs (one {WAIT_MS} ms I/O node each; "
        f"{args.concurrency} runs at once per worker), steady state (10th-90th percentile)\n"
    )
    print(f"{'workers':>7} {'runs/s':>8} {'x 1 worker':>11} {'ideal':>6}")
    base = drained[worker_counts[0]]
    for n, rate in drained.items():
        ideal = args.concurrency * n * 1000 / WAIT_MS
        print(f"{n:>7} {rate:>8.1f} {rate / base:>11.2f} {ideal:>6.0f}")
    print(
        f"\nEnd to end: 2 alternating rounds of {args.runs // 2} runs POSTed by 64 clients to "
        "one server, until all succeeded (mean of the rounds)\n"
    )
    print(
        f"{'path':<22} {'runs/s':>8} {'x in-process':>13} {'POST/s':>7} "
        f"{'CPU ms/run':>11} {'x in-process':>13}"
    )
    ref = e2e["in-process"]
    for name, r in e2e.items():
        label = f"celery, {args.e2e_workers} worker(s)" if name == "celery" else name
        print(
            f"{label:<22} {r['runs_s']:>8.1f} {r['runs_s'] / ref['runs_s']:>13.2f} "
            f"{r['submit_s']:>7.0f} {r['cpu_ms']:>11.1f} {r['cpu_ms'] / ref['cpu_ms']:>13.2f}"
        )
    print("  (CPU: the orcheo server and worker processes; Postgres and Redis not counted)")
    print("\nOne run at a time: POST execute -> run_finished on the WebSocket, ms\n")
    print(f"{'path':<12} {'median':>8} {'p95':>8} {'minus node':>11}")
    for name, values in lat.items():
        print(
            f"{name:<12} {values['median']:>8.1f} {values['p95']:>8.1f} "
            f"{values['median'] - WAIT_MS:>11.1f}"
        )
    overhead = lat["celery"]["median"] - lat["in-process"]["median"]
    print(f"\nCelery path overhead per run: {overhead:+.1f} ms (median, vs in-process)")


if __name__ == "__main__":
    main()
