"""The group-commit writer: a flush cancelled mid-write loses nothing; order holds."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest

from orcheo_jupyter.common.span_rows import SpanRow
from orcheo_jupyter.runtime.writer import BatchWriter
from orcheo_jupyter.store.records import EventRecord, RunBatch

ROW: SpanRow = ("a", "4bf92f3577b34da6a3ce929d0e0e4736", None, "orcheo.run", 1, 2, "{}")

pytestmark = pytest.mark.asyncio


class SlowStore:
    """Writes take a while (like a networked database), so a cancel lands mid-write."""

    def __init__(self) -> None:
        self.events: list[EventRecord] = []

    def write_batch_now(self, batch: RunBatch) -> bool:
        return False

    async def write_batch(self, batch: RunBatch) -> None:
        await asyncio.sleep(0.1)
        self.events += batch.events


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


class FreeStore(SlowStore):
    """A store that can also commit at once (embedded SQLite when nothing holds it)."""

    def __init__(self) -> None:
        super().__init__()
        self.now: list[int] = []

    def write_batch_now(self, batch: RunBatch) -> bool:
        self.now += [e.seq for e in batch.events]
        self.events += batch.events
        return True


def _event(seq: int) -> EventRecord:
    return EventRecord("r", seq, "node_finished", f"2026-11-22T00:00:00.00000{seq}Z")


async def test_a_flush_on_a_free_store_is_done_before_it_could_be_cancelled() -> None:
    store = FreeStore()
    writer = BatchWriter(store, delay=10)  # type: ignore[arg-type]
    writer.add_event(_event(1))
    flushing = writer.flush()
    with pytest.raises(StopIteration):  # finished in its first step: no suspension
        flushing.send(None)
    assert store.now == [1]
    await writer.close()


async def test_a_flush_during_a_slow_write_waits_for_it_and_keeps_order() -> None:
    store = FreeStore()
    writer = BatchWriter(store, delay=0.001)  # type: ignore[arg-type]
    writer.add_event(_event(1))
    await asyncio.sleep(0.03)  # the flusher task is inside its slow write of 1
    writer.add_event(_event(2))
    await asyncio.wait_for(writer.flush(), 2)
    assert [e.seq for e in store.events] == [1, 2]
    assert store.now == []  # 2 waited for the write under way instead of overtaking it
    await writer.close()


class SpanStore:
    """Records which writes a flush makes; the at-once write can be told to fail."""

    def __init__(self, fail_now: bool = False) -> None:
        self.fail_now = fail_now
        self.calls: list[tuple[str, Any]] = []

    def write_batch_now(self, batch: RunBatch) -> bool:
        if self.fail_now:
            raise ValueError("span not storable")
        spans = [r for r, _ in batch.spans]
        self.calls.append(("now", (spans, [e.seq for e in batch.events])))
        return True

    async def write_batch(self, batch: RunBatch) -> None:
        assert not batch.spans  # the drain writes spans on their own, isolated
        self.calls.append(("batch", [e.seq for e in batch.events]))

    async def add_spans(self, run_id: str, spans: Sequence[SpanRow]) -> None:
        self.calls.append(("spans", run_id))


async def test_a_settling_runs_spans_share_the_commit_of_its_events() -> None:
    store = SpanStore()
    writer = BatchWriter(store, delay=10)  # type: ignore[arg-type]
    writer.add_spans("r", [ROW])
    writer.add_event(_event(1))
    await writer.flush()
    assert store.calls == [("now", (["r"], [1]))]  # one transaction, nothing else
    await writer.close()


async def test_spans_that_cannot_be_written_at_once_never_hold_back_events() -> None:
    store = SpanStore(fail_now=True)
    writer = BatchWriter(store, delay=10)  # type: ignore[arg-type]
    writer.add_spans("r", [ROW])
    writer.add_event(_event(1))
    await writer.flush()
    assert store.calls == [("spans", "r"), ("batch", [1])]  # the drain: spans, then events
    await writer.close()
