"""The loop cron and polling share: tick, then sleep until the next due time or a change."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from .clock import Clock

log = logging.getLogger(__name__)


class TickLoop:
    """Calls ``tick`` whenever something is due; ``changed`` (a registration) wakes it early.

    Subclasses say what a tick does and how long until the next one is due (at most a
    minute, so a clock that jumps is noticed).
    """

    name = "ticker"

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._changed = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    async def tick(self) -> Any:
        raise NotImplementedError

    def _seconds_to_next(self) -> float:
        raise NotImplementedError

    async def run(self) -> None:
        while True:
            self._changed.clear()
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("orcheo: %s tick failed; retrying in a second", self.name)
                await self.clock.sleep(1.0)
                continue
            waits = [
                asyncio.ensure_future(self.clock.sleep(self._seconds_to_next())),
                asyncio.ensure_future(self._changed.wait()),
            ]
            try:
                await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waits:
                    waiter.cancel()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self.run(), name=f"orcheo-{self.name}")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
