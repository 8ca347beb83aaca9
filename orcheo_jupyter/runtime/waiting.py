"""Waiting with a timeout without losing a cancellation.

``asyncio.wait_for`` on Python 3.11 swallows a cancellation that arrives in the same
loop step as the awaited result: the caller then carries on as if never cancelled.
A follower loop (events, status) cancelled at that moment would never stop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any, Final

#: What ``within`` returns when the timeout passed first.
TIMED_OUT: Final = object()


async def within(awaitable: Awaitable[Any], timeout: float) -> Any:
    """The awaitable's result, or TIMED_OUT after ``timeout`` seconds (it is then cancelled).

    A cancellation of the caller always propagates.
    """
    task = asyncio.ensure_future(awaitable)
    try:
        done, _ = await asyncio.wait({task}, timeout=timeout)
    finally:
        if not task.done():
            task.cancel()
    return task.result() if done else TIMED_OUT
