"""A run's event stream: stored events, then live ones, exactly once and in order.

Events of a run this process drives are in its observer's memory (some not yet
committed); events of a run driven elsewhere are only in the store. A follower
switches between the two as the run moves, and never yields a sequence number twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

from ..store.base import Repository
from ..store.records import EventRecord
from .events import TERMINAL, TERMINAL_EVENTS
from .observer import RunObserver
from .waiting import TIMED_OUT, within

ObserverOf = Callable[[str], RunObserver | None]


async def run_events(
    store: Repository,
    observer_of: ObserverOf,
    run_id: str,
    *,
    after: int = 0,
    follow: bool = True,
) -> AsyncIterator[EventRecord]:
    last = after
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
            if first_mem is None or last + 1 < first_mem:
                for event in await store.list_events(run_id, after=last):
                    if first_mem is not None and event.seq >= first_mem:
                        break
                    last = event.seq
                    yield event
                    if event.type in TERMINAL_EVENTS:
                        return
            for event in list(in_memory):
                if event.seq > last:
                    last = event.seq
                    yield event
                    if event.type in TERMINAL_EVENTS:
                        return
            if not follow:
                return
            if observer is None:
                record = await store.get_run(run_id)
                if record.status in TERMINAL and record.last_seq <= last:
                    return
                await asyncio.sleep(0.1)  # driven elsewhere, or idle until resumed here
                continue
            while True:
                got = await within(queue.get(), 0.5)  # wait_for could swallow a cancel
                if got is TIMED_OUT:
                    if observer_of(run_id) is not observer:
                        break
                    continue
                event = got
                if event.seq <= last:
                    continue
                last = event.seq
                yield event
                if event.type in TERMINAL_EVENTS:
                    return
        finally:
            if observer is not None:
                observer.remove_sink(queue.put_nowait)
