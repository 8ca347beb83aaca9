"""Throughput and latency of runs started through the REST API, against raw LangGraph.

Everything is measured in this one run, on this machine:

- floor:    raw LangGraph invoking the same 3-node graph in-process (no HTTP, no
            store, no checkpointer), with 1, 8 and 32 concurrent invocations.
- wrk:      ``POST /orcheo/api/workflows/{id}/execute`` driven by wrk with 1, 8 and
            32 connections for a fixed time; runs/s counts runs *finished*
            (acknowledged runs / time until the last one finished), not requests.
- clients:  1, 8 and 32 Python clients in a closed loop: execute, then follow the
            run's WebSocket to its terminal event. Gives end-to-end latency
            (POST sent -> run_finished received) and the WebSocket event latency
            (node_finished emitted -> message received by the client).

After every phase the store is checked: every acknowledged run exists exactly once,
succeeded, has exactly one terminal event and the right final state.

Goals (issue 4): >= 220 runs/s (n8n's published single-instance figure) with zero
lost or duplicated runs, >= 0.5x the in-process floor, event latency p99 <= 10 ms.
Each server mode is measured in turn: ``--runners 0,1,2`` (default) compares runs
executed inside the server process (0) with a pool of 1 and 2 runner processes.
Usage: python benchmarks/api.py [--seconds 10] [--durability async] [--runners 0,1,2]
[--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import itertools
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
from langgraph.graph import END, START, StateGraph
from tornado.httpclient import HTTPRequest
from tornado.websocket import websocket_connect

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from orcheo_jupyter.runtime.state import State, initial_state  # noqa: E402
from tests.server.headless import Headless, start_headless  # noqa: E402

NODES = ("n0", "n1", "n2")
CLIENTS = (1, 8, 32)


def document() -> dict[str, Any]:
    chain = ["__start__", *NODES, "__end__"]
    return {
        "name": "bench3",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "nodes": [
                    {
                        "kind": "builtin",
                        "id": n,
                        "type": "SetVariableNode",
                        "config": {"variables": {"v": n}},
                    }
                    for n in NODES
                ],
                "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(chain)],
            },
        },
    }


EXPECTED_RESULTS = {n: {"v": n} for n in NODES}


# --- floor: raw LangGraph in-process ------------------------------------------------
def raw_graph() -> Any:
    builder: StateGraph = StateGraph(State)
    prev = START
    for node_id in NODES:

        async def node(state: dict[str, Any], _id: str = node_id) -> dict[str, Any]:
            return {"results": {_id: {"v": _id}}}

        builder.add_node(node_id, node)
        builder.add_edge(prev, node_id)
        prev = node_id
    builder.add_edge(prev, END)
    return builder.compile()


async def floor(concurrency: int, seconds: float) -> float:
    graph = raw_graph()
    payload = initial_state({"n": 1})
    for _ in range(20):
        await graph.ainvoke(dict(payload))
    done = 0
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal done
        while time.perf_counter() < deadline:
            out = await graph.ainvoke(dict(payload))
            assert out["results"] == EXPECTED_RESULTS
            done += 1

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


async def in_process(concurrency: int, seconds: float, data_dir: Path, durability: str) -> float:
    """Our executor with its store and checkpointer, called directly: no HTTP."""
    from orcheo_jupyter.runtime.executor import Executor
    from orcheo_jupyter.settings import Settings

    executor = await Executor.open(Settings(data_dir=data_dir, durability=durability))  # type: ignore[arg-type]
    try:
        doc = document()
        for _ in range(20):
            await executor.execute(doc, {"n": 1})
        done = 0
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal done
            while time.perf_counter() < deadline:
                record = await executor.execute(doc, {"n": 1})
                assert record.status == "succeeded"
                done += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return done / (time.perf_counter() - started)
    finally:
        await executor.aclose()


# --- accounting: nothing lost, nothing duplicated ------------------------------------
def audit(server: Headless, workflow_id: str, acked: list[str]) -> dict[str, Any]:
    """Compare acknowledged run ids with what the store holds."""
    db = sqlite3.connect(server.data_dir / "orcheo.sqlite")
    try:
        db.execute("PRAGMA busy_timeout=10000")
        rows = db.execute(
            "SELECT id, status, final_state FROM runs WHERE workflow_id = ?", (workflow_id,)
        ).fetchall()
        terminal = Counter(
            run_id
            for (run_id,) in db.execute(
                "SELECT e.run_id FROM run_events e JOIN runs r ON r.id = e.run_id"
                " WHERE r.workflow_id = ? AND e.type IN"
                " ('run_finished', 'run_failed', 'run_cancelled')",
                (workflow_id,),
            )
        )
    finally:
        db.close()
    stored = {r[0]: r for r in rows}
    bad = [
        r[0]
        for r in rows
        if r[1] != "succeeded" or json.loads(r[2] or "{}").get("results") != EXPECTED_RESULTS
    ]
    return {
        "acked": len(acked),
        "acked_unique": len(set(acked)),
        "stored": len(stored),
        "lost": len(set(acked) - set(stored)),
        "not_succeeded": len(bad),
        "terminal_not_once": sum(1 for run_id in stored if terminal[run_id] != 1),
    }


async def wait_all_finished(server: Headless, workflow_id: str, timeout: float = 600) -> float:
    """When (perf_counter) the last run of the workflow finished.

    Requests wrk abandoned at its deadline may still be creating runs, so "done"
    means: nothing pending or running, and no new run for 0.3 s.
    """
    db = sqlite3.connect(server.data_dir / "orcheo.sqlite")
    deadline = time.perf_counter() + timeout
    seen, finished, stable_since = -1, time.perf_counter(), time.perf_counter()
    try:
        while True:
            total, left = db.execute(
                "SELECT COUNT(*), COUNT(*) FILTER (WHERE status IN ('pending', 'running'))"
                " FROM runs WHERE workflow_id = ?",
                (workflow_id,),
            ).fetchone()
            now = time.perf_counter()
            if total != seen or left:
                seen, stable_since = total, now
                if not left:
                    finished = now
            elif now - stable_since >= 0.3:
                return finished
            if now > deadline:
                raise TimeoutError(f"{left} runs still unfinished")
            await asyncio.sleep(0.005)
    finally:
        db.close()


# --- wrk: throughput -----------------------------------------------------------------
WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = '{"inputs": {"n": 1}}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "token TOKEN"
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  out = io.open("OUT." .. tid, "w")
end
function response(status, headers, body)
  if status == 202 then
    local id = string.match(body, '"execution_id":"(%w+)"')
    if id then
      out:write(id, "\\n")
      out:flush()
    end
  end
end
"""


async def wrk_phase(
    server: Headless, workflow_id: str, clients: int, seconds: float, work: Path
) -> dict[str, Any]:
    out = work / f"wrk-{clients}-{workflow_id}.ids"
    script = work / f"wrk-{clients}.lua"
    script.write_text(WRK_SCRIPT.replace("TOKEN", server.token).replace("OUT", str(out)))
    url = f"{server.api}/workflows/{workflow_id}/execute"
    started = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(
        "wrk",
        "-t1",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        url,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    stdout, _ = await proc.communicate()
    finished = await wait_all_finished(server, workflow_id)
    acked = [
        line for part in work.glob(f"{out.name}.*") for line in part.read_text().split() if line
    ]
    report = audit(server, workflow_id, acked)
    text = stdout.decode()
    requests = next((line for line in text.splitlines() if "requests in" in line), "")
    report.update(
        clients=clients,
        runs_per_s=report["stored"] / (finished - started),
        wrk=requests.strip(),
        non_2xx=next((line.strip() for line in text.splitlines() if "Non-2xx" in line), ""),
    )
    return report


# --- Python clients: end-to-end and event latency -------------------------------------
def _now() -> float:
    return time.time()


def _parse_at(text: str) -> float:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


async def client_phase(
    server: Headless, workflow_id: str, clients: int, seconds: float
) -> dict[str, Any]:
    host = server.url.removeprefix("http://")
    end_to_end: list[float] = []
    event_latency: list[float] = []
    acked: list[str] = []
    deadline = time.perf_counter() + seconds
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)

    async with httpx.AsyncClient(headers=server.headers, limits=limits, timeout=60) as http:

        async def client() -> None:
            while time.perf_counter() < deadline:
                sent = time.perf_counter()
                reply = await http.post(
                    f"{server.api}/workflows/{workflow_id}/execute", json={"inputs": {"n": 1}}
                )
                assert reply.status_code == 202, reply.text
                run_id = reply.json()["execution_id"]
                acked.append(run_id)
                ws = await websocket_connect(
                    HTTPRequest(
                        f"ws://{host}/orcheo/ws/executions/{run_id}", headers=server.headers
                    )
                )
                seqs = []
                while (message := await ws.read_message()) is not None:
                    received = _now()
                    event = json.loads(message)
                    seqs.append(event["seq"])
                    if event["type"] == "node_finished":
                        event_latency.append(received - _parse_at(event["at"]))
                    if event["type"] == "run_finished":
                        end_to_end.append(time.perf_counter() - sent)
                assert seqs == list(range(1, len(seqs) + 1)), seqs

        started = time.perf_counter()
        await asyncio.gather(*(client() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    await wait_all_finished(server, workflow_id)
    report = audit(server, workflow_id, acked)
    report.update(
        clients=clients,
        runs_per_s=len(end_to_end) / elapsed,
        e2e=_percentiles(end_to_end),
        event=_percentiles(event_latency),
    )
    return report


def _percentiles(values: list[float]) -> dict[str, float]:
    if not values:
        return {"p50": float("nan"), "p90": float("nan"), "p99": float("nan")}
    q = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": q[49] * 1000, "p90": q[89] * 1000, "p99": q[98] * 1000}


# --- profile ---------------------------------------------------------------------
async def profile_phase(server: Headless, workflow_id: str, seconds: float, work: Path) -> str:
    """Where the server's time goes under wrk load (py-spy, aggregated by function)."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    raw = work / "profile.txt"
    spy = await asyncio.create_subprocess_exec(
        py_spy,
        "record",
        "--pid",
        str(server.proc.pid),
        "--duration",
        str(round(seconds)),
        "--format",
        "raw",
        "--output",
        str(raw),
        "--nonblocking",
        "--rate",
        "200",
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    await asyncio.sleep(0.5)
    await wrk_phase(server, workflow_id, 8, seconds - 1, work)
    await spy.wait()
    if not raw.exists():
        return "(py-spy produced no profile; it may need ptrace permission)"
    return summarize_profile(raw.read_text(), seconds)


_AREAS = (  # first match scanning from the leaf towards the root wins
    ("idle (waiting for I/O)", ("EpollSelector.select", "selectors.py")),
    ("checkpointer", ("runtime/checkpoints.py", "checkpoint/")),
    ("store (SQLite)", ("orcheo_jupyter/store/",)),
    ("LangGraph (pregel)", ("(pregel/", "(channels/", "(_internal/", "langgraph/")),
    ("executor, events, node wrappers", ("orcheo_jupyter/runtime/", "orcheo_jupyter/nodes/")),
    ("orcheo handlers", ("orcheo_jupyter/server/",)),
    ("Jupyter handler plumbing (auth, logging)", ("jupyter_server/",)),
    ("tornado HTTP", ("tornado/",)),
    ("asyncio scheduling", ("asyncio/",)),
)


def summarize_profile(text: str, seconds: float, rate: int = 200, top: int = 15) -> str:
    """Share of wall time per area, main thread vs helper threads (py-spy raw stacks)."""
    main: Counter[str] = Counter()
    helpers: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    for line in text.splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        area = "other"
        for frame in reversed(frames):
            match = next(
                (name for name, needles in _AREAS if any(n in frame for n in needles)), None
            )
            if match:
                area = match
                break
        bucket = helpers if frames[0].startswith("Thread._bootstrap") else main
        bucket[area] += count
        if area != "idle (waiting for I/O)":
            leaves[frames[-1]] += count
    ticks = seconds * rate
    lines = ["main thread (the event loop), share of wall time:"]
    for name, count in main.most_common():
        lines.append(f"  {100 * count / ticks:5.1f}%  {name}")
    lines.append("helper threads (SQLite writers, checkpoint flusher), share of one core:")
    for name, count in helpers.most_common():
        lines.append(f"  {100 * count / ticks:5.1f}%  {name}")
    lines.append("hottest busy leaf frames (share of wall time):")
    for frame, count in leaves.most_common(top):
        lines.append(f"  {100 * count / ticks:5.1f}%  {frame[:100]}")
    return "\n".join(lines)


# --- main ------------------------------------------------------------------------
async def create_workflow(server: Headless) -> str:
    async with httpx.AsyncClient(headers=server.headers) as http:
        reply = await http.post(f"{server.api}/workflows", json=document())
        reply.raise_for_status()
        return str(reply.json()["id"])


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--durability", default=os.environ.get("ORCHEO_DURABILITY", "async"))
    parser.add_argument("--profile", action="store_true", help="py-spy the server under wrk")
    parser.add_argument(
        "--runners",
        type=lambda text: [int(n) for n in text.split(",")],
        default=[0, 1, 2],
        help="server modes to measure: runner pool sizes, 0 = in-process (default 0,1,2)",
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed for the throughput phase: apt-get install -y wrk")

    work = Path(tempfile.mkdtemp(prefix="orcheo-bench-"))
    floors = {c: await floor(c, args.seconds / 2) for c in CLIENTS}
    direct = {
        c: await in_process(c, args.seconds / 2, work / f"direct-{c}", args.durability)
        for c in CLIENTS
    }
    modes: list[dict[str, Any]] = []
    for runners in args.runners:
        server = start_headless(
            work / f"server-{runners}",
            "--ServerApp.log_level=WARN",
            env={"ORCHEO_DURABILITY": args.durability, "ORCHEO_RUNNERS": str(runners)},
        )
        try:
            wait_ready(server)
            wrk_rows = []
            for c in CLIENTS:
                wid = await create_workflow(server)  # a fresh workflow per phase: clean audit
                wrk_rows.append(await wrk_phase(server, wid, c, args.seconds, work))
            client_rows = []
            for c in CLIENTS:
                wid = await create_workflow(server)
                client_rows.append(await client_phase(server, wid, c, args.seconds))
            profile = (
                await profile_phase(server, await create_workflow(server), args.seconds, work)
                if args.profile and runners == args.runners[0]
                else ""
            )
        finally:
            code = server.stop()
        modes.append(
            {"runners": runners, "wrk": wrk_rows, "clients": client_rows, "profile": profile,
             "exit": code}
        )  # fmt: skip
    print(
        f"\n3-node workflow via REST, durability={args.durability}, {os.cpu_count()} CPUs, "
        f"{args.seconds:g} s per phase"
    )
    for mode in modes:
        where = "in-process" if mode["runners"] == 0 else f"{mode['runners']} runner process(es)"
        print(f"\n=== runners={mode['runners']} (runs execute {where}) ===")
        report(floors, direct, mode["wrk"], mode["clients"], mode["profile"], mode["exit"])


def wait_ready(server: Headless) -> None:
    """Until /health is ok: with runners, one is ready (they start in the background)."""
    deadline = time.monotonic() + 120
    while httpx.get(f"{server.api}/health", headers=server.headers).status_code != 200:
        if time.monotonic() > deadline:
            raise RuntimeError("the server never became healthy")
        time.sleep(0.1)


def report(
    floors: dict[int, float],
    direct: dict[int, float],
    wrk_rows: list[dict[str, Any]],
    client_rows: list[dict[str, Any]],
    profile: str,
    exit_code: int,
) -> None:
    print("throughput (wrk POST .../execute; runs/s = runs finished / time to last finish)")
    print("floor = raw LangGraph in-process; direct = our executor + store in-process, no HTTP")
    print(
        f"{'clients':>7} {'runs/s':>8} {'floor/s':>8} {'ratio':>6} {'direct/s':>8}  "
        f"{'acked':>6} {'stored':>6} {'lost':>4} {'dup':>3} {'failed':>6} {'terminal!=1':>11}"
    )
    for row in wrk_rows:
        c = row["clients"]
        print(
            f"{c:>7} {row['runs_per_s']:8.1f} {floors[c]:8.1f} "
            f"{row['runs_per_s'] / floors[c]:6.2f} {direct[c]:8.1f}  "
            f"{row['acked']:>6} {row['stored']:>6} "
            f"{row['lost']:>4} {row['acked'] - row['acked_unique']:>3} "
            f"{row['not_succeeded']:>6} {row['terminal_not_once']:>11}"
        )
        print(f"{'':>7} wrk: {row['wrk']} {row['non_2xx']}")
    print("\nclosed loop (Python clients: execute, then follow the WebSocket to run_finished)")
    print(
        f"{'clients':>7} {'runs/s':>8} {'e2e p50':>8} {'p90':>7} {'p99':>7} "
        f"{'event p50':>9} {'p99':>6}  {'lost':>4} {'dup':>3} {'failed':>6}"
    )
    for row in client_rows:
        e2e, ev = row["e2e"], row["event"]
        print(
            f"{row['clients']:>7} {row['runs_per_s']:8.1f} {e2e['p50']:8.2f} {e2e['p90']:7.2f} "
            f"{e2e['p99']:7.2f} {ev['p50']:9.2f} {ev['p99']:6.2f}  {row['lost']:>4} "
            f"{row['acked'] - row['acked_unique']:>3} {row['not_succeeded']:>6}"
        )
    print("(latencies in ms; event = node_finished emitted -> WebSocket message received)")

    best = max(wrk_rows, key=lambda r: r["runs_per_s"])
    clean = all(
        r["lost"] == 0
        and r["acked"] == r["acked_unique"]
        and r["not_succeeded"] == 0
        and r["terminal_not_once"] == 0
        for r in wrk_rows + client_rows
    )
    ratio = best["runs_per_s"] / floors[best["clients"]]
    event_p99 = next(r["event"]["p99"] for r in client_rows if r["clients"] == 1)
    print("\ngoals")
    print(
        f"  >= 220 runs/s, nothing lost or duplicated: {best['runs_per_s']:.0f} runs/s "
        f"({best['clients']} clients), clean={clean} -> "
        f"{'met' if best['runs_per_s'] >= 220 and clean else 'MISSED'}"
    )
    print(f"  >= 0.5x in-process floor: {ratio:.2f}x -> {'met' if ratio >= 0.5 else 'MISSED'}")
    print(
        f"  event latency p99 <= 10 ms (1 client): {event_p99:.2f} ms -> "
        f"{'met' if event_p99 <= 10 else 'MISSED'}"
    )
    print(f"  server exited {exit_code} after SIGTERM")
    if profile:
        print("\nserver profile under wrk (8 connections)\n" + profile)


if __name__ == "__main__":
    asyncio.run(main())
