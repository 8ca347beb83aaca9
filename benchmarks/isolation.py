"""How responsive the server stays while runs block: in-process against runner processes.

For each mode (``runners=0``: runs execute inside the server process; ``runners=N``:
the runner pool) a real ``jupyter orcheo`` is started and N blocking runs execute
at once (an async node in ``time.sleep``, a sync node in one long C call, a busy
loop, an async busy loop, repeated): meanwhile Jupyter's ``/api/status`` is polled
every 50 ms until they have all finished. The table gives its latency p50 / p99 /
max in ms, idle and under load, and the load/idle ratio of p99, all from this run.

Goal (issue 13): under the pool, p99 <= 50 ms and max <= 100 ms.

Big documents: a real ``jupyter orcheo`` creates (``POST /workflows``), updates
(``PUT``), executes (the 202) and imports (legacy JSON through ``POST /workflows``) a
3,000- and a 10,000-node document while ``/api/status`` is polled; the table gives
its latency per phase and how long each request took. Goal: max <= 100 ms.

Usage: python benchmarks/isolation.py [--runs 4] [--seconds 3] [--runners 2]
       [--nodes 3000,10000] [--modes 0,2] [--skip-blocking]
"""

from __future__ import annotations

import argparse
import itertools
import shutil
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


def legacy_document(nodes: int) -> dict[str, Any]:
    """The same chain in Orcheo's legacy JSON (``nodes``/``edges`` pairs): an import."""
    ids = [f"n{i}" for i in range(nodes)]
    chain = ["START", *ids, "END"]
    return {
        "name": f"legacy-{nodes}",
        "nodes": [
            {"name": "START", "type": "START"},
            *({"name": i, "type": "SetVariableNode", "variables": {"at": i}} for i in ids),
            {"name": "END", "type": "END"},
        ],
        "edges": [[a, b] for a, b in itertools.pairwise(chain)],
    }


PHASES = ("create", "update", "execute", "import")


def measure_big(runners: int, nodes: int) -> dict[str, Any]:
    """/api/status while a ``nodes``-node document is created, updated, executed (the
    202) and imported from legacy JSON; each phase polled on its own."""
    root = Path(tempfile.mkdtemp(prefix=f"orcheo-isolation-big-{runners}-"))
    server = start_headless(root, env={"ORCHEO_RUNNERS": str(runners)})
    try:
        wait_ready(server)
        api = httpx.Client(base_url=server.api, headers=server.headers, timeout=600)
        api.post("/workflows", json=chain_document(3)).raise_for_status()  # warm imports
        api.post("/workflows", json=legacy_document(3)).raise_for_status()
        big = chain_document(nodes)
        changed = {**big, "name": f"big-{nodes} v2"}
        workflow: dict[str, str] = {}

        def create() -> None:
            workflow["id"] = api.post("/workflows", json=big).raise_for_status().json()["id"]

        def update() -> None:
            api.put(f"/workflows/{workflow['id']}", json=changed).raise_for_status()

        def execute() -> None:
            api.post(f"/workflows/{workflow['id']}/execute", json={}).raise_for_status()

        def import_legacy() -> None:
            api.post("/workflows", json=legacy_document(nodes)).raise_for_status()

        rows: dict[str, Any] = {}
        for phase, request in zip(PHASES, (create, update, execute, import_legacy), strict=True):
            done = threading.Event()
            busy: list[float] = []
            poller = threading.Thread(
                target=lambda busy=busy, done=done: busy.extend(poll_status(server, done.is_set))
            )
            poller.start()
            time.sleep(0.3)
            started = time.monotonic()
            request()
            took = time.monotonic() - started
            time.sleep(0.3)
            done.set()
            poller.join()
            rows[phase] = {"busy": stats(busy), "took": took}
        return rows
    finally:
        server.stop()


def crossover(sizes: list[int], repeats: int = 5) -> None:
    """Where checking a body in the document worker starts to pay (in this process).

    For each size: the loop time of the small-body path (decode, validate, canonical
    form; compiling aside), against the worker's round trip for the same steps and the
    longest the loop went without running meanwhile (a 1 ms ticker's worst lateness).
    Medians of ``repeats``.
    """
    import asyncio
    import json

    from orcheo_jupyter.server import document_worker as dw
    from orcheo_jupyter.server.models import WorkflowInput
    from orcheo_jupyter.spec.io import stored_form
    from orcheo_jupyter.spec.models import WorkflowDocument

    def here(upload: dw.Upload) -> None:
        body = dw.raise_failure(dw.parse_upload(upload, WorkflowInput))
        stored_form(WorkflowDocument.model_validate(body.model_dump(mode="python")))

    async def measure_sizes() -> None:
        worker = dw.DocumentWorker(1)
        await worker.call(dw.warm)
        print("\nchecking a body: on the loop against in the document worker (ms, medians)")
        print(f"{'nodes':>6} {'bytes':>9} {'on loop':>8} {'worker':>8} {'loop gap':>9}")
        try:
            for nodes in sizes:
                raw = json.dumps(chain_document(nodes)).encode()
                upload = dw.Upload(raw, "application/json", 10**10, 128, "invalid_document")
                local, remote, gaps = [], [], []
                for _ in range(repeats):
                    started = time.perf_counter()
                    here(upload)
                    local.append((time.perf_counter() - started) * 1000)
                    done = asyncio.Event()
                    worst = [0.0]

                    async def tick(done: asyncio.Event = done, worst: list[float] = worst) -> None:
                        while not done.is_set():
                            before = time.perf_counter()
                            await asyncio.sleep(0.001)
                            late = (time.perf_counter() - before) * 1000 - 1
                            worst[0] = max(worst[0], late)

                    ticker = asyncio.create_task(tick())
                    await asyncio.sleep(0.01)
                    started = time.perf_counter()
                    dw.raise_failure(await worker.call(dw.parse_upload, upload, WorkflowInput))
                    remote.append((time.perf_counter() - started) * 1000)
                    done.set()
                    await ticker
                    gaps.append(worst[0])
                print(
                    f"{nodes:6d} {len(raw):9,d} {statistics.median(local):8.1f} "
                    f"{statistics.median(remote):8.1f} {statistics.median(gaps):9.1f}"
                )
        finally:
            await worker.aclose()

    asyncio.run(measure_sizes())


def first_run(starts: int) -> None:
    """Seconds from a server's readiness (``/api/status`` 200) until its first run ends.

    ``stored``: the data directory already holds a workflow (the runtime opens as the
    server starts), the run is started as soon as the server answers. ``fresh``: an
    empty data directory; the first request stores a workflow, then runs it. The run
    is one ``return 42`` code node; medians of ``starts`` alternating starts.
    """
    root = Path(tempfile.mkdtemp(prefix="orcheo-first-run-"))
    seeded = start_headless(root / "seed")
    try:
        api = httpx.Client(base_url=seeded.api, headers=seeded.headers, timeout=120)
        stored_id = api.post("/workflows", json=document("first", "return 42")).json()["id"]
    finally:
        seeded.stop()
    rows: dict[str, list[tuple[float, float]]] = {"stored": [], "fresh": []}
    for n in range(starts):
        for kind in rows:
            home = root / f"{kind}-{n}"
            if kind == "stored":
                shutil.copytree(seeded.data_dir, home / "orcheo-data")
            server = start_headless(home)  # returns once /api/status answers
            ready = time.monotonic()
            try:
                api = httpx.Client(base_url=server.api, headers=server.headers, timeout=300)
                wid = stored_id
                if kind == "fresh":
                    wid = api.post("/workflows", json=document("first", "return 42")).json()["id"]
                run = api.post(f"/workflows/{wid}/execute", json={}).json()["execution_id"]
                while api.get(f"/executions/{run}").json()["status"] in ("pending", "running"):
                    time.sleep(0.02)
                first = time.monotonic() - ready
                started = time.monotonic()
                run = api.post(f"/workflows/{wid}/execute", json={}).json()["execution_id"]
                while api.get(f"/executions/{run}").json()["status"] in ("pending", "running"):
                    time.sleep(0.02)
                rows[kind].append((first, time.monotonic() - started))
            finally:
                server.stop()
    print(f"\nfirst run after the server is ready (s, median of {starts} starts)")
    print(f"{'store':<8} {'first run':>10} {'second run':>11}")
    for kind, times in rows.items():
        firsts, seconds = zip(*times, strict=True)
        print(f"{kind:<8} {statistics.median(firsts):10.2f} {statistics.median(seconds):11.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--runners", type=int, default=2)
    parser.add_argument(
        "--nodes", default="3000,10000", help="document sizes to store and execute ('' skips)"
    )
    parser.add_argument(
        "--modes", default="", help="runner counts for the big documents (default 0,RUNNERS)"
    )
    parser.add_argument("--skip-blocking", action="store_true", help="only the big documents")
    parser.add_argument(
        "--crossover",
        default="",
        help="node counts: time checking a body on the loop against the document worker, only",
    )
    parser.add_argument(
        "--first-run", type=int, default=0, help="starts: time each server's first run, only"
    )
    args = parser.parse_args()
    if args.first_run:
        first_run(args.first_run)
        return
    if args.crossover:
        crossover([int(n) for n in args.crossover.split(",")])
        return
    if args.nodes:
        modes = [int(m) for m in (args.modes or f"0,{args.runners}").split(",")]
        big_documents(modes, [int(n) for n in args.nodes.split(",")])
    if not args.skip_blocking:
        blocking_runs(args)


def big_documents(modes: list[int], sizes: list[int]) -> None:
    """Each size in each mode (``0``: checked on the server's threads; else the pool)."""
    rows = {(mode, n): measure_big(mode, n) for n in sizes for mode in modes}
    print(
        "\n/api/status latency (ms) while a big document is created, updated, executed "
        "(the 202) and imported (legacy JSON)"
    )
    print(f"{'mode':<11} {'nodes':>6} {'phase':<8} {'p50':>7} {'p99':>7} {'max':>7} "
          f"{'samples':>7} {'took':>8}")  # fmt: skip
    for (mode, nodes), phases in rows.items():
        for phase, row in phases.items():
            busy = row["busy"]
            print(
                f"{'runners=' + str(mode):<11} {nodes:6d} {phase:<8} {busy['p50']:7.1f} "
                f"{busy['p99']:7.1f} {busy['max']:7.1f} {busy['n']:7d} {row['took']:7.2f}s"
            )
    for (mode, nodes), phases in rows.items():
        worst = max(row["busy"]["max"] for row in phases.values())
        verdict = "met" if worst <= 100 else "MISSED"
        print(f"runners={mode}, {nodes} nodes: worst max {worst:.1f} ms; goal <= 100 ms {verdict}")


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
