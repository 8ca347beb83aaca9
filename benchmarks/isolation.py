"""How responsive the server stays while runs block: in-process against runner processes.

For each mode (``runners=0``: runs execute inside the server process; ``runners=N``:
the runner pool) a real ``jupyter orcheo`` is started and N blocking runs execute
at once (an async node in ``time.sleep``, a sync node in one long C call, a busy
loop, an async busy loop, repeated): meanwhile Jupyter's ``/api/status`` is polled
every 50 ms until they have all finished. The table gives its latency p50 / p99 /
max in ms, idle and under load, and the load/idle ratio of p99, all from this run.

Goal (issue 13): under the pool, p99 <= 50 ms and max <= 100 ms.

Big documents: a real ``jupyter orcheo`` stores (``POST /workflows``) and executes a
3,000- and a 10,000-node document while ``/api/status`` is polled; the table gives
its latency and how long each request took. Goal: max <= 100 ms.

Usage: python benchmarks/isolation.py [--runs 4] [--seconds 3] [--runners 2]
       [--nodes 3000,10000] [--skip-blocking]
"""

from __future__ import annotations

import argparse
import itertools
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.server.headless import Headless, start_headless  # noqa: E402


def blockers(seconds: float) -> list[tuple[str, str]]:
    return [
        ("sleep", f"import asyncio\nimport time\nawait asyncio.sleep(0)\ntime.sleep({seconds})"),
        ("c-call", f"return sum(range({int(seconds * 4 * 10**7)}))"),
        ("busy", f"import time\nt = time.time()\nwhile time.time() - t < {seconds}:\n    pass"),
        (
            "async-busy",
            "import asyncio\nimport time\nawait asyncio.sleep(0)\nt = time.time()\n"
            f"while time.time() - t < {seconds}:\n    pass",
        ),
    ]


def document(name: str, body: str) -> dict[str, Any]:
    return {
        "name": name,
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "c",
                "nodes": [{"kind": "code", "id": "c", "body": body}],
                "edges": [{"source": "c", "target": "__end__"}],
            },
        },
    }


def wait_ready(server: Headless) -> None:
    deadline = time.monotonic() + 120
    while httpx.get(f"{server.api}/health", headers=server.headers).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the server's runners never became ready")
        time.sleep(0.1)


def poll_status(server: Headless, until: Any) -> list[float]:
    samples = []
    with httpx.Client(base_url=server.url, headers=server.headers, timeout=60) as http:
        while not until():
            started = time.perf_counter()
            http.get("/api/status").raise_for_status()
            samples.append((time.perf_counter() - started) * 1000)
            time.sleep(0.05)
    return samples


def stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": statistics.median(ordered),
        "p99": (
            statistics.quantiles(ordered, n=100, method="inclusive")[98]
            if len(ordered) > 1
            else ordered[-1]
        ),
        "max": ordered[-1],
        "n": len(ordered),
    }


def measure(runners: int, runs: int, seconds: float) -> dict[str, Any]:
    root = Path(tempfile.mkdtemp(prefix=f"orcheo-isolation-{runners}-"))
    server = start_headless(root, env={"ORCHEO_RUNNERS": str(runners)})
    try:
        wait_ready(server)
        api = httpx.Client(base_url=server.api, headers=server.headers, timeout=120)
        kinds = blockers(seconds)
        ids = [
            api.post("/workflows", json=document(name, body)).json()["id"] for name, body in kinds
        ]
        stop = time.monotonic() + 2.0
        idle = poll_status(server, lambda: time.monotonic() > stop)
        run_ids = [
            api.post(f"/workflows/{ids[n % len(ids)]}/execute", json={}).json()["execution_id"]
            for n in range(runs)
        ]
        pending = set(run_ids)

        def finished() -> bool:
            for run_id in list(pending):
                status = api.get(f"/executions/{run_id}").json()["status"]
                if status in ("succeeded", "failed", "cancelled"):
                    pending.discard(run_id)
            return not pending

        started = time.monotonic()
        # /api/status is polled on its own thread: a check of the runs' status may
        # itself wait for a blocked server, and must not hide how long status waits.
        done = threading.Event()
        busy: list[float] = []
        poller = threading.Thread(target=lambda: busy.extend(poll_status(server, done.is_set)))
        poller.start()
        while not finished():
            time.sleep(0.1)
        done.set()
        poller.join()
        return {
            "idle": stats(idle),
            "busy": stats(busy),
            "wall": time.monotonic() - started,
        }
    finally:
        server.stop()


def chain_document(nodes: int) -> dict[str, Any]:
    """A chain of ``nodes`` SetVariableNodes: the shape of a big generated workflow."""
    ids = [f"n{i}" for i in range(nodes)]
    chain = ["__start__", *ids, "__end__"]
    return {
        "name": f"big-{nodes}",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": ids[0],
                "nodes": [
                    {"kind": "builtin", "id": i, "type": "SetVariableNode",
                     "config": {"variables": {"at": i}}}
                    for i in ids
                ],
                "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(chain)],
            },
        },
    }  # fmt: skip


def measure_big(runners: int, nodes: int) -> dict[str, Any]:
    """/api/status while a ``nodes``-node document is stored, then executed (202 only)."""
    root = Path(tempfile.mkdtemp(prefix=f"orcheo-isolation-big-{runners}-"))
    server = start_headless(root, env={"ORCHEO_RUNNERS": str(runners)})
    try:
        wait_ready(server)
        api = httpx.Client(base_url=server.api, headers=server.headers, timeout=300)
        api.post("/workflows", json=chain_document(3)).raise_for_status()  # warm imports
        done = threading.Event()
        busy: list[float] = []
        poller = threading.Thread(target=lambda: busy.extend(poll_status(server, done.is_set)))
        poller.start()
        time.sleep(0.3)
        started = time.monotonic()
        stored = api.post("/workflows", json=chain_document(nodes))
        stored.raise_for_status()
        store_took = time.monotonic() - started
        started = time.monotonic()
        api.post(f"/workflows/{stored.json()['id']}/execute", json={}).raise_for_status()
        execute_took = time.monotonic() - started
        time.sleep(0.3)
        done.set()
        poller.join()
        return {"busy": stats(busy), "store": store_took, "execute": execute_took}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runners", type=int, default=2)
    parser.add_argument(
        "--nodes", default="3000,10000", help="document sizes to store and execute ('' skips)"
    )
    parser.add_argument("--skip-blocking", action="store_true", help="only the big documents")
    args = parser.parse_args()
    if args.nodes:
        big_documents(args.runners, [int(n) for n in args.nodes.split(",")])
    if not args.skip_blocking:
        blocking_runs(args)


def big_documents(runners: int, sizes: list[int]) -> None:
    """Each size with runners=0 (checked on the server's threads) and with the pool."""
    rows = {(mode, n): measure_big(mode, n) for n in sizes for mode in (0, runners)}
    print("\n/api/status latency (ms) while a big document is stored, then executed")
    print(f"{'mode':<12} {'nodes':>6} {'p50':>8} {'p99':>8} {'max':>8} {'samples':>8} "
          f"{'POST took':>10} {'execute took':>13}")  # fmt: skip
    for (mode, nodes), row in rows.items():
        busy = row["busy"]
        print(
            f"{'runners=' + str(mode):<12} {nodes:6d} {busy['p50']:8.1f} {busy['p99']:8.1f} "
            f"{busy['max']:8.1f} {busy['n']:8d} {row['store']:9.2f}s {row['execute']:12.2f}s"
        )
    for n in sizes:
        base, pool = rows[(0, n)]["busy"]["max"], rows[(runners, n)]["busy"]["max"]
        verdict = "met" if pool <= 100 else "MISSED"
        print(f"{n} nodes: max in-process/pool = {base / pool:.1f}x; goal max <= 100 ms {verdict}")


def blocking_runs(args: argparse.Namespace) -> None:
    results = {
        "runners=0 (in-process)": measure(0, args.runs, args.seconds),
        f"runners={args.runners}": measure(args.runners, args.runs, args.seconds),
    }
    print(f"\n/api/status latency (ms) while {args.runs} runs block ~{args.seconds:g} s each")
    print(f"{'mode':<24} {'idle p50':>9} {'idle p99':>9} {'p50':>8} {'p99':>8} {'max':>8} "
          f"{'samples':>8} {'runs took':>10}")  # fmt: skip
    base = None
    for mode, row in results.items():
        idle, busy = row["idle"], row["busy"]
        print(
            f"{mode:<24} {idle['p50']:9.1f} {idle['p99']:9.1f} {busy['p50']:8.1f} "
            f"{busy['p99']:8.1f} {busy['max']:8.1f} {busy['n']:8d} {row['wall']:9.1f}s"
        )
        base = base or busy
    pool = results[f"runners={args.runners}"]["busy"]
    assert base is not None
    print(f"\nmax under load: in-process / pool = {base['max'] / pool['max']:.0f}x")
    met = pool["p99"] <= 50 and pool["max"] <= 100
    print(f"goal p99 <= 50 ms and max <= 100 ms under the pool: {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()
