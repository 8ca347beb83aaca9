"""A cancelled waiter stops, even when its result arrives in the same loop step."""

from __future__ import annotations

import asyncio

import pytest

from orcheo_jupyter.runtime.waiting import TIMED_OUT, within

pytestmark = pytest.mark.asyncio


async def test_result_timeout_and_cleanup() -> None:
    assert await within(asyncio.sleep(0, result=7), 1) == 7
    queue: asyncio.Queue[int] = asyncio.Queue()
    assert await within(queue.get(), 0.01) is TIMED_OUT
    queue.put_nowait(1)  # the timed-out getter was cancelled: it did not take this
    assert queue.get_nowait() == 1


async def test_a_cancel_that_races_the_result_is_not_lost() -> None:
    """The race asyncio.wait_for (3.11) loses: the item arrives, then the cancel, same step."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    rounds = 0

    async def follower() -> None:
        nonlocal rounds
        while True:  # like an event follower of an interrupted run: only a cancel ends it
            await within(queue.get(), 0.05)
            rounds += 1

    task = asyncio.ensure_future(follower())
    await asyncio.sleep(0.01)  # the follower is waiting on the queue
    queue.put_nowait(1)
    task.cancel()  # same loop step as the hand-over
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 2)
    assert rounds == 0
