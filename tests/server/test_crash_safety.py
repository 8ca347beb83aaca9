"""SIGKILL a real ``jupyter orcheo`` while runs and webhook deliveries are in flight.

After the restart every accepted delivery has exactly one run (a retried delivery
gets the same run id back), queued runs start, and every run the kill interrupted
is resumed from its checkpoint (or failed with the cause): nothing lost, nothing
duplicated.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from orcheo_jupyter.triggers import sign

from .headless import Headless, start_headless, wait_healthy

HOOK_SECRET = "crash-hook-secret-1234"
DELIVERIES = 24


def steps_doc(log: Path, name: str, webhook: bool, seconds: float = 1.5) -> dict[str, Any]:
    """a (quick) -> b (sleeps) -> c; each node appends '<run id>:<node>' to ``log``."""

    def node(node_id: str, extra: str = "") -> dict[str, Any]:
        body = (
            "run_id = config['configurable']['thread_id']\n"
            f"with open({str(log)!r}, 'a') as f:\n"
            f"    f.write(run_id + ':{node_id}\\n')\n"
            f"{extra}"
            f"return {node_id!r}"
        )
        return {"kind": "code", "id": node_id, "body": body}

    doc: dict[str, Any] = {
        "name": name,
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": "a",
                "nodes": [
                    node("a"),
                    node("b", f"import asyncio\nawait asyncio.sleep({seconds})\n"),
                    node("c"),
                ],
                "edges": [
                    {"source": "a", "target": "b"},
                    {"source": "b", "target": "c"},
                    {"source": "c", "target": "__end__"},
                ],
            },
        },
    }
    if webhook:
        doc["triggers"] = [{"type": "webhook", "config": {"hmac": {"secret": "[[hook]]"}}}]
    return doc


def deliver(server: Headless, key: str) -> httpx.Response:
    body = json.dumps({"key": key}).encode()
    ts = str(int(time.time()))
    return httpx.post(
        f"{server.url}/orcheo/hooks/hooked",
        content=body,
        headers={
            "Content-Type": "application/json",
            "X-Orcheo-Timestamp": ts,
            "X-Orcheo-Signature": "sha256=" + sign(HOOK_SECRET, ts, body),
            "Idempotency-Key": key,
        },
        timeout=10,
    )


def executions(log: Path) -> Counter[str]:
    return Counter(log.read_text().split()) if log.exists() else Counter()


def test_sigkill_mid_flight_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    root, log = tmp_path / "server", tmp_path / "nodes.log"
    first = start_headless(root)
    wait_healthy(first)  # runs start at once: the kill catches deliveries and runs in flight
    api = httpx.Client(base_url=first.api, headers=first.headers, timeout=10)
    assert api.post("/credentials", json={"name": "hook", "value": HOOK_SECRET}).status_code == 201
    hooked = api.post("/workflows", json=steps_doc(log, "hooked", webhook=True)).json()["id"]
    manual_doc = steps_doc(log, "manual", webhook=False, seconds=6)
    manual = api.post("/workflows", json=manual_doc).json()["id"]
    policy = {"policy": {"max_concurrency": 4, "max_attempts": 1}}
    assert api.put(f"/workflows/{hooked}/triggers", json=policy).status_code == 200
    direct = [
        api.post(f"/workflows/{manual}/execute", json={}).json()["execution_id"] for _ in range(3)
    ]

    accepted: dict[str, str] = {}  # idempotency key -> run id, for deliveries answered 202
    unanswered: list[str] = []

    def sender() -> None:
        for n in range(DELIVERIES):
            key = f"delivery-{n}"
            try:
                reply = deliver(first, key)
            except httpx.TransportError:
                unanswered.append(key)  # the server died under this request
                continue
            assert reply.status_code == 202, reply.text
            accepted[key] = reply.json()["execution_id"]
            time.sleep(0.05)

    thread = threading.Thread(target=sender)
    thread.start()
    deadline = time.monotonic() + 30
    while (
        len(accepted) < DELIVERIES // 2
        or sum(1 for k, v in executions(log).items() if k.endswith(":b")) < 6
    ):
        assert time.monotonic() < deadline, (accepted, executions(log))
        time.sleep(0.02)
    first.proc.kill()  # SIGKILL: no shutdown hooks, no final flush
    first.proc.wait(10)
    thread.join(30)
    api.close()
    in_b = {k.rsplit(":", 1)[0] for k, v in executions(log).items() if k.endswith(":b")}
    finished = {k.rsplit(":", 1)[0] for k in executions(log) if k.endswith(":c")}
    interrupted = in_b - finished
    assert interrupted, "the kill should have caught runs inside node b"
    assert unanswered, "the kill should have cut the deliveries short"
    (root / "server.log").rename(root / "first-server.log")

    second = start_headless(root)
    try:
        api = httpx.Client(base_url=second.api, headers=second.headers, timeout=10)
        # The sender retries every delivery it sent (same keys, signed anew).
        retried: dict[str, str] = {}
        for n in range(DELIVERIES):
            key = f"delivery-{n}"
            reply = deliver(second, key)
            assert reply.status_code in (200, 202), reply.text
            retried[key] = reply.json()["execution_id"]
            if key in accepted:
                assert reply.status_code == 200 and retried[key] == accepted[key], key
        runs = {**{f"direct-{i}": r for i, r in enumerate(direct)}, **retried}
        final: dict[str, dict[str, Any]] = {}
        deadline = time.monotonic() + 90
        while len(final) < len(runs):
            for name, run_id in runs.items():
                if name not in final:
                    run = api.get(f"/executions/{run_id}").json()
                    if run["status"] in ("succeeded", "failed", "cancelled"):
                        final[name] = run
            assert time.monotonic() < deadline, {k: v["status"] for k, v in final.items()}
            time.sleep(0.1)

        listed = api.get("/executions", params={"workflow_id": hooked, "limit": 500}).json()
        assert listed["total"] == DELIVERIES  # exactly one run per delivery
        assert sorted(r["id"] for r in listed["items"]) == sorted(retried.values())
        deliveries = api.get(f"/workflows/{hooked}/deliveries", params={"limit": 500}).json()
        assert deliveries["total"] == DELIVERIES
        assert api.get("/executions", params={"workflow_id": manual}).json()["total"] == 3

        counts = executions(log)
        for name, run in final.items():
            run_id = run["id"]
            assert run["status"] == "succeeded" or (
                run["status"] == "failed" and "could not be resumed" in (run["error"] or "")
            ), run
            events = api.get(f"/executions/{run_id}/events").json()["items"]
            assert [e["seq"] for e in events] == list(range(1, len(events) + 1)), name
            types = [e["type"] for e in events]
            assert types.count("run_finished") + types.count("run_failed") == 1, (name, types)
            if run_id in interrupted and run["status"] == "succeeded":
                assert "resumed" in types, (name, types)
                # Resumed from the checkpoint after a: a ran once, b ran again.
                assert counts[f"{run_id}:a"] == 1 and counts[f"{run_id}:b"] == 2, name
            elif run["status"] == "succeeded":
                assert all(counts[f"{run_id}:{n}"] == 1 for n in "abc"), (name, counts)
        assert any(r["id"] in interrupted for r in final.values())
        assert set(direct) <= interrupted  # runs started with /execute are resumed too
        assert "orcheo: resumed 3 run(s) a stopped process left running" in second.log.read_text()
    finally:
        second.stop()
