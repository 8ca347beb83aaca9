"""Storage stays bounded: one large input is stored once, and the WAL is truncated.

The attack: one 10 MB input became ~111 MB on disk (the inputs copied into the
run_started event, the final state, the run_finished event...), and the ``-wal``
file grew past a gigabyte under load and was never truncated.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from tests.conftest import linear_doc
from tests.server.conftest import Call

Create = Callable[..., Awaitable[dict[str, Any]]]
Wait = Callable[..., Awaitable[dict[str, Any]]]

MB = 1_000_000
WAL_LIMIT = 4 * 1024 * 1024


def _on_disk(data: Path) -> dict[str, int]:
    return {p.name: p.stat().st_size for p in data.iterdir() if ".sqlite" in p.name}


async def _wal_settled(data: Path) -> dict[str, int]:
    """File sizes once every WAL is back under its limit (the check runs when idle)."""
    for _ in range(50):
        sizes = _on_disk(data)
        if all(size <= WAL_LIMIT for name, size in sizes.items() if name.endswith("-wal")):
            return sizes
        await asyncio.sleep(0.1)
    return _on_disk(data)


@pytest.mark.asyncio
async def test_a_10_mb_input_takes_at_most_3x_on_disk_and_the_wal_is_truncated(
    tmp_path: Path,
) -> None:
    data = tmp_path / "data"
    executor = await Executor.open(Settings(data_dir=data, wal_limit_bytes=WAL_LIMIT))
    try:
        inputs = {"payload": "x" * (10 * MB)}
        record = await asyncio.wait_for(executor.execute(linear_doc("a", "b"), inputs), 60)
        assert record.status == "succeeded"
        sizes = await _wal_settled(data)
        wals = {name: size for name, size in sizes.items() if name.endswith("-wal")}
        assert wals and all(size <= WAL_LIMIT for size in wals.values()), sizes
        # Every file: the inputs once beside the run row, once in the run's last
        # checkpoint (whose state holds them), WALs truncated. Was ~8x, plus the WAL.
        assert sum(sizes.values()) <= 3 * 10 * MB, sizes
        assert sizes["orcheo.sqlite"] <= 1.1 * 10 * MB, sizes

        # Stored once, read back whole: the events point at the run's own fields.
        stored = await executor.store.get_run(record.id)
        assert stored.inputs == inputs
        assert stored.final_state["inputs"] == inputs  # type: ignore[index]
        assert stored.final_state["results"] == {"a": {"me": "a"}, "b": {"me": "b"}}  # type: ignore[index]
        events = await executor.store.list_events(record.id)
        assert events[0].data == {"inputs": {"$ref": "#/inputs"}}
        assert events[-1].data == {"state": {"$ref": "#/final_state"}}
        assert all(len(str(e.data)) < 1000 for e in events)
    finally:
        await executor.aclose()


@pytest.mark.asyncio
async def test_small_runs_keep_their_values_inline(tmp_path: Path) -> None:
    executor = await Executor.open(Settings(data_dir=tmp_path / "data"))
    try:
        record = await executor.execute(linear_doc("a"), {"who": "me"})
        events = await executor.store.list_events(record.id)
        assert events[0].data == {"inputs": {"who": "me"}}
        assert events[-1].data["state"]["inputs"] == {"who": "me"}
        assert (await executor.store.get_run(record.id)).final_state["inputs"] == {"who": "me"}  # type: ignore[index]
    finally:
        await executor.aclose()


@pytest.mark.asyncio
async def test_the_wal_stays_under_its_limit_after_a_burst_of_large_runs(tmp_path: Path) -> None:
    data = tmp_path / "data"
    executor = await Executor.open(Settings(data_dir=data, wal_limit_bytes=WAL_LIMIT))
    try:
        runs = [
            await executor.submit(linear_doc("a"), {"blob": str(i) * (2 * MB)}) for i in range(10)
        ]
        for run_id in runs:
            assert (await executor.wait(run_id, timeout=60)).status == "succeeded"
        sizes = await _wal_settled(data)
        assert all(size <= WAL_LIMIT for name, size in sizes.items() if name.endswith("-wal"))
        # The runs database holds each input once (checkpoints, one per interval of each
        # run's progress, are LangGraph's format: see the 10 MB case for a single run).
        assert sizes["orcheo.sqlite"] <= 1.1 * 10 * 2 * MB, sizes
    finally:
        await executor.aclose()


def _big_output_doc() -> dict[str, Any]:
    doc = linear_doc("a", "b")
    doc["graph"]["ir"]["nodes"][0].update(kind="code", body="return 'y' * 300_000", config={})
    doc["graph"]["ir"]["nodes"][0].pop("type")
    return doc


async def test_large_execution_responses_are_paged(
    api: Call, create_workflow: Create, wait_run: Wait
) -> None:
    wid = (await create_workflow(_big_output_doc()))["id"]
    inputs = {"blob": "z" * MB}
    reply = await api("POST", "workflows", wid, "execute", json_body={"inputs": inputs})
    assert reply.code == 202
    run_id = reply.body["execution_id"]
    run = await wait_run(run_id, timeout=60)
    assert run["status"] == "succeeded"

    # The inputs once: the final state points at them instead of repeating them.
    assert run["inputs"] == inputs
    assert run["final_state"]["inputs"] == {"$ref": "#/inputs"}
    assert run["final_state"]["results"]["a"] == "y" * 300_000
    brief = await api("GET", "executions", run_id, params={"values": "false"})
    assert brief.code == 200
    assert "inputs" not in brief.body and "final_state" not in brief.body
    assert brief.body["status"] == "succeeded"
    assert brief.body["node_states"] == {"a": "succeeded", "b": "succeeded"}

    # Events in pages of at most ~100 KB: the 300 KB output is a page of its own.
    pages: list[list[dict[str, Any]]] = []
    after, done = 0, False
    while not done:
        page = await api(
            "GET", "executions", run_id, "events", params={"after": after, "max_bytes": 100_000}
        )
        assert page.code == 200
        assert page.body["items"], page.body
        pages.append(page.body["items"])
        after, done = page.body["next_after"], page.body["done"]
        assert len(pages) < 20
    events = [e for p in pages for e in p]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["data"] == {"inputs": {"$ref": "#/inputs"}}
    assert events[-1]["data"] == {"state": {"$ref": "#/final_state"}}
    big = [p for p in pages if any(e["type"] == "node_finished" and e["node"] == "a" for e in p)]
    assert len(big) == 1 and len(big[0]) == 1  # alone: it exceeds the page budget by itself
    assert len(pages) >= 3
    refused = await api("GET", "executions", run_id, "events", params={"max_bytes": 10})
    assert refused.code == 422
    assert refused.error["details"][0]["field"] == "query.max_bytes"
