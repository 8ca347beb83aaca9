"""The group-commit writer: a flush cancelled mid-write loses nothing."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from orcheo_jupyter.runtime.writer import BatchWriter
from orcheo_jupyter.store.records import EventRecord, RunUpdate

pytestmark = pytest.mark.asyncio


class SlowStore:
    """Writes take a while (like a networked database), so a cancel lands mid-write."""

    def __init__(self) -> None:
        self.events: list[EventRecord] = []

    async def write_batch(self, events: list[EventRecord], updates: list[RunUpdate]) -> None:
        await asyncio.sleep(0.1)
        self.events += events


async def test_a_flush_cancelled_mid_write_still_commits_its_batch() -> None:
    store = SlowStore()
    writer = BatchWriter(store, delay=10)  # type: ignore[arg-type]
    first = EventRecord("r", 1, "run_started", "2026-11-22T00:00:00.000000Z")
    writer.add_event(first)
    flushing = asyncio.ensure_future(writer.flush())
    await asyncio.sleep(0.02)  # the batch is being written
    flushing.cancel()  # e.g. the run's task cancelled at shutdown
    with pytest.raises(asyncio.CancelledError):
        await flushing
    second = EventRecord("r", 2, "run_finished", "2026-11-22T00:00:00.000001Z")
    writer.add_event(second)
    await asyncio.wait_for(writer.flush(), 2)  # neither lost nor stuck
    assert [e.seq for e in store.events] == [1, 2]
    await writer.close()


async def test_flush_returns_at_once_when_everything_is_written() -> None:
    store: Any = SlowStore()
    writer = BatchWriter(store)
    await asyncio.wait_for(writer.flush(), 0.05)
    assert store.events == []
