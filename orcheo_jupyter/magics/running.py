"""Drive a run from a cell and show its progress while it runs.

The run and its event stream (``Executor.events``) live on the background loop;
events cross to the cell's thread through a queue, and the cell's thread updates
the output (a display handle). Output therefore comes from the thread that owns
the cell, which every kernel routes correctly, and the view changes node by node
while the run goes. Ctrl-C (interrupt the kernel) cancels the run.
"""

from __future__ import annotations

import queue
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from ..runtime import background
from ..store.records import EventRecord, RunRecord
from .display import RunView

if TYPE_CHECKING:
    from ..runtime.executor import Executor  # LangGraph: loaded when a run starts

Start = Callable[["Executor"], Awaitable[str]]
Publish = Callable[[RunView], None]
OnEvent = Callable[[dict[str, Any]], None]

#: Shortest time between two redraws; a burst of events is drawn once.
REDRAW_INTERVAL = 0.05


async def _drive(
    start: Start, out: queue.SimpleQueue[tuple[str, Any]], on_event: OnEvent | None
) -> RunRecord:
    from .. import local

    executor = await local.executor()
    run_id = await start(executor)
    out.put(("started", run_id))

    def deliver(event: EventRecord) -> None:
        data = event.as_dict()
        if on_event is not None:
            on_event(data)
        out.put(("event", data))

    record = await executor.follow(run_id, deliver)
    return record


def _cancel(run_id: str) -> None:
    from .. import local

    async def go() -> None:
        executor = await local.executor()
        await executor.cancel(run_id)

    background.run(go(), timeout=30)


def follow(
    start: Start, view: RunView, publish: Publish, on_event: OnEvent | None = None
) -> RunRecord:
    """Start a run (or resume one), redraw ``view`` as events arrive, return the record."""
    events: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
    future = background.submit(_drive(start, events, on_event))
    future.add_done_callback(lambda _f: events.put(("done", None)))
    state = {"drawn": 0.0, "pending": False}

    def step() -> bool:
        """Wait for events, apply them, redraw (at most every REDRAW_INTERVAL); True at the end."""
        elapsed = time.monotonic() - state["drawn"]
        wait = max(0.0, REDRAW_INTERVAL - elapsed) if state["pending"] else 0.25
        try:
            batch = [events.get(timeout=wait)]
        except queue.Empty:
            if state["pending"]:  # the last change waited for the redraw interval
                publish(view)
                state.update(drawn=time.monotonic(), pending=False)
            return False
        while True:
            try:
                batch.append(events.get_nowait())
            except queue.Empty:
                break
        finished = False
        for kind, payload in batch:
            if kind == "started":
                view.run_id = payload
            elif kind == "event":
                view.apply(payload)
            else:
                finished = True
        state["pending"] = not finished
        if not finished and time.monotonic() - state["drawn"] >= REDRAW_INTERVAL:
            publish(view)
            state.update(drawn=time.monotonic(), pending=False)
        return finished

    cancelled = False
    while True:
        try:
            while not step():
                pass
            break
        except KeyboardInterrupt:  # may arrive anywhere in the loop
            if cancelled or view.run_id is None:
                raise
            cancelled = True
            _cancel(view.run_id)
    record = future.result()
    view.finish(record)
    publish(view)
    return record
