"""SIGKILL of a runner mid-run: its runs resume on another runner; followers see no gap."""

from __future__ import annotations

import itertools
import os
import re
import signal
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from .helpers import client, execute, follow, runner_processes, start

NODES = "abcdef"


def steps_doc(log: Path) -> dict[str, Any]:
    """Six nodes; each logs '<run id>:<node>' then sleeps 0.4 s (asynchronously)."""

    def node(node_id: str) -> dict[str, Any]:
        body = (
            "import asyncio\n"
            "run_id = config['configurable']['thread_id']\n"
            f"with open({str(log)!r}, 'a') as f:\n"
            f"    f.write(run_id + ':{node_id}\\n')\n"
            "await asyncio.sleep(0.4)\n"
            f"return {node_id!r}"
        )
        return {"kind": "code", "id": node_id, "body": body}

    chain = ["__start__", *NODES, "__end__"]
    return {
        "name": "steps",
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "a",
                "nodes": [node(n) for n in NODES],
                "edges": [{"source": a, "target": b} for a, b in itertools.pairwise(chain[1:])],
            },
        },
    }


def test_sigkill_of_a_runner_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    log = tmp_path / "nodes.log"
    server = start(tmp_path / "server", runners=2)
    try:
        api = client(server)
        workflow = api.post("/workflows", json=steps_doc(log)).json()["id"]
        runs = [execute(api, workflow) for _ in range(6)]
        with ThreadPoolExecutor(len(runs)) as pool:
            streams = [pool.submit(follow, server, run_id) for run_id in runs]
            deadline = time.monotonic() + 30
            while (log.read_text().count("\n") if log.exists() else 0) < 8:
                assert time.monotonic() < deadline
                time.sleep(0.02)
            # Every runner: which one the pool gave the runs to is its choice (all six may
            # sit on the first one ready), and each killed one must hand its runs on.
            victims = {p.pid for p in runner_processes(server.proc.pid)}
            for pid in victims:
                os.kill(pid, signal.SIGKILL)
            received = {
                run_id: s.result(timeout=120) for run_id, s in zip(runs, streams, strict=True)
            }

        counts = Counter(log.read_text().split())
        resumed = 0
        for run_id in runs:
            run = api.get(f"/executions/{run_id}").json()
            assert run["status"] == "succeeded", run
            assert run["final_state"]["results"] == {n: n for n in NODES}
            stream = received[run_id]
            assert [e["seq"] for e in stream] == list(range(1, len(stream) + 1)), stream
            types = [e["type"] for e in stream]
            assert types.count("run_started") == 1 and types.count("run_finished") == 1
            assert types[-1] == "run_finished"
            stored = api.get(f"/executions/{run_id}/events").json()["items"]
            assert [(e["seq"], e["type"], e["node"]) for e in stored] == [
                (e["seq"], e["type"], e["node"]) for e in stream
            ]
            # Each node ran once, except those after the last checkpoint that reached the
            # file (the one in flight, and under the default ``async`` durability the one
            # whose checkpoint was still being written): one run of consecutive nodes.
            ran = "".join(str(counts[f"{run_id}:{n}"]) for n in NODES)
            assert re.fullmatch("1*2*1*", ran), ran
            if "resumed" in types:
                resumed += 1
                note = next(e for e in stream if e["type"] == "resumed")
                assert any(f"pid {pid}" in note["data"]["reason"] for pid in victims), note
                assert "died" in note["data"]["reason"]
        assert resumed >= 1  # the killed runners hosted runs, and they continued elsewhere
        assert not victims & {p.pid for p in runner_processes(server.proc.pid)}
    finally:
        server.stop()
