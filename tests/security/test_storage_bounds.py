"""Storage stays bounded: one large input is stored once, and the WAL is truncated.

The attack: one 10 MB input became ~111 MB on disk (the inputs copied into the
run_started event, the final state, the run_finished event...), and the ``-wal``
file grew past a gigabyte under load and was never truncated.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from tests.conftest import linear_doc

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
