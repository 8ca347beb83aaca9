"""Group commit of run events and status changes.

Events arrive far faster than SQLite can commit them one by one. The writer keeps
one flusher task per executor and commits at most every ``delay`` seconds (or at
once when someone calls ``flush``): everything that accumulated goes into one
transaction, so cost grows with commits, not events, and order is kept. Live
clients in this process never wait for this: they get events from memory (a
runner's server streams what the runner commits: there, a node whose code may block
the loop flushes its start before that code runs, see ``nodes_wrap.instrument``).
An event or update that cannot be stored fails alone; the rest of its batch (other
runs) is committed.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

from ..common.span_rows import SpanRow
from ..store.base import Repository
from ..store.isolate import is_database_error, isolate
from ..store.records import EventRecord, RunBatch, RunUpdate
from .write_behind import WriteBehind

log = logging.getLogger(__name__)


class BatchWriter:
    def __init__(self, store: Repository, *, delay: float = 0.02) -> None:
        self._store = store
        self._delay = delay
        self._timer: asyncio.TimerHandle | None = None
        self._events: list[EventRecord] = []
        self._updates: list[RunUpdate] = []
        #: Runs' finished spans (tracing), written before the events queued with them.
        self._spans: list[tuple[str, Sequence[SpanRow]]] = []
        self._behind = WriteBehind("orcheo-writer", drain=self._drain, write_now=self._write_now)

    def _kick(self) -> None:
        behind = self._behind
        behind.queue()
        if self._timer is None and not behind.wake.is_set():
            self._timer = asyncio.get_running_loop().call_later(self._delay, behind.wake.set)

    def add_event(self, event: EventRecord) -> None:
        self._events.append(event)
        self._kick()

    def add_update(self, update: RunUpdate) -> None:
        self._updates.append(update)
        self._kick()

    def add_spans(self, run_id: str, spans: Sequence[SpanRow]) -> None:
        self._spans.append((run_id, spans))
        self._kick()

    async def flush(self) -> None:
        """Return once everything queued before the call is committed (``write_behind``)."""
        await self._behind.flush()

    def _write_now(self) -> bool:
        # Spans first, in the same commit as the events and updates.
        try:
            if not self._store.write_batch_now(RunBatch(self._events, self._updates, self._spans)):
                return False
        except Exception:  # the drain retries it (spans on their own), and logs why
            return False
        self._events, self._updates, self._spans = [], [], []
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._behind.written.advance(self._behind.queued)
        return True

    async def _drain(self) -> None:
        """Commit the queue, batch by batch (under WriteBehind's drain lock)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._events or self._updates or self._spans:
            batch = RunBatch(self._events, self._updates, self._spans)
            self._events, self._updates, self._spans = [], [], []
            mark = self._behind.queued
            for run_id, finished in batch.spans:
                await self._write_spans(run_id, finished)
            if batch.events or batch.updates:
                await self._write(batch.events, batch.updates)
            self._behind.written.advance(mark)

    async def _write(self, events: list[EventRecord], updates: list[RunUpdate]) -> None:
        """Commit a batch; an item that cannot be stored is logged and left out alone.

        Database errors (locked, I/O) are retried a bounded number of times for the
        items they held back; an item's own error is final at once.
        """
        pending: list[EventRecord | RunUpdate] = [*events, *updates]  # events first, as ever
        for attempt in range(5):
            results = await isolate(pending, self._write_part)
            retry = []
            for item, result in zip(pending, results, strict=True):
                if result is None:
                    continue
                if is_database_error(result):
                    retry.append(item)
                else:
                    log.error("orcheo: run %s: %s not stored: %r", item.run_id, _what(item), result)
            if not retry:
                return
            log.warning(
                "orcheo: writing %d events/updates failed (attempt %d): %s",
                len(retry),
                attempt + 1,
                next(r for r in results if r is not None),
            )
            pending = retry
            await asyncio.sleep(0.05 * 2**attempt)
        log.error("orcheo: gave up writing %d events/updates", len(pending))

    async def _write_spans(self, run_id: str, spans: Sequence[SpanRow]) -> None:
        """A run's spans; a trace that cannot be stored never holds back its events."""
        try:
            await self._store.add_spans(run_id, spans)
        except Exception as exc:
            log.warning("orcheo: run %s: %d spans not stored: %r", run_id, len(spans), exc)

    async def _write_part(self, part: Sequence[EventRecord | RunUpdate]) -> list[None]:
        events = [item for item in part if isinstance(item, EventRecord)]
        updates = [item for item in part if isinstance(item, RunUpdate)]
        await self._store.write_batch(RunBatch(events, updates))
        return [None] * len(part)

    async def close(self) -> None:
        await self.flush()
        await self._behind.close()


def _what(item: EventRecord | RunUpdate) -> str:
    return f"event {item.seq} ({item.type})" if isinstance(item, EventRecord) else "status update"
