"""How the trigger loops (dispatcher, cron and polling ticks, resync) wait and stop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from typing import Any


async def first_of(*waits: Awaitable[Any]) -> None:
    """Wait until one of ``waits`` is done (a sleep ended, a wake-up came), then cancel the
    rest, so a loop that waits again next round leaves no stale sleeper behind."""
    tasks = [asyncio.ensure_future(w) for w in waits]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for task in tasks:
            task.cancel()


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel a loop's task and return once it has ended (its cancellation is not raised)."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
