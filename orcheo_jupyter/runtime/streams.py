"""A run's event stream: stored events, then live ones, exactly once and in order.

Events of a run this process drives are in its observer's memory (some not yet
committed); events of a run driven elsewhere are only in the store. A follower
switches between the two as the run moves, and never yields a sequence number twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterable, Iterator

from ..store.base import Repository
from ..store.records import EventRecord, RunRecord
from .events import TERMINAL, TERMINAL_EVENTS
from .observer import RunObserver
from .waiting import TIMED_OUT, within

ObserverOf = Callable[[str], RunObserver | None]


class Cursor:
    """How far one follower has read a run's events.

    The one rule of every backend's stream for what is yielded next: each sequence
    number once, in order, and nothing after the run's terminal event. Backends differ
    only in how they learn that there is more (an observer's queue, a runner's batches,
    a Redis note).
    """

    __slots__ = ("ended", "last")

    def __init__(self, after: int) -> None:
        #: The sequence number of the last event yielded.
        self.last = after
        #: Whether that event was the run's terminal one: the stream is over.
        self.ended = False

    def take(self, event: EventRecord) -> bool:
        """Whether ``event`` comes next (then it counts as yielded)."""
        if self.ended or event.seq <= self.last:
            return False
        self.last = event.seq
        self.ended = event.type in TERMINAL_EVENTS
        return True

    def fresh(self, events: Iterable[EventRecord]) -> Iterator[EventRecord]:
        """The events of ``events`` that come next, up to and including a terminal one."""
        for event in events:
            if self.take(event):
                yield event
                if self.ended:
                    return

    def caught_up(self, record: RunRecord) -> bool:
        """Whether ``record``'s run is over and every event it stored was yielded."""
        return record.status in TERMINAL and record.last_seq <= self.last


async def run_events(
    store: Repository,
    observer_of: ObserverOf,
    run_id: str,
    *,
    after: int = 0,
    follow: bool = True,
) -> AsyncIterator[EventRecord]:
    cursor = Cursor(after)
    if observer_of(run_id) is None:
        await store.get_run(run_id)  # NotFound before anything is yielded
    while True:
        observer = observer_of(run_id)
        queue: asyncio.Queue[EventRecord] = asyncio.Queue()
        if observer is not None:
            observer.add_sink(queue.put_nowait)
        try:
            in_memory = observer.events if observer is not None else []
            first_mem = in_memory[0].seq if in_memory else None
            if first_mem is None or cursor.last + 1 < first_mem:
                stored = await store.list_events(run_id, after=cursor.last)
                if first_mem is not None:  # the rest is in memory
                    stored = [event for event in stored if event.seq < first_mem]
                for event in cursor.fresh(stored):
                    yield event
            for event in cursor.fresh(list(in_memory)):
                yield event
            if cursor.ended or not follow:
                return
            if observer is None:
                if cursor.caught_up(await store.get_run(run_id)):
                    return
                await asyncio.sleep(0.1)  # driven elsewhere, or idle until resumed here
                continue
            while True:
                got = await within(queue.get(), 0.5)  # wait_for could swallow a cancel
                if got is TIMED_OUT:
                    if observer_of(run_id) is not observer:
                        break
                    continue
                if cursor.take(got):
                    yield got
                    if cursor.ended:
                        return
        finally:
            if observer is not None:
                observer.remove_sink(queue.put_nowait)
