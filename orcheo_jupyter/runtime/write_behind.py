"""How a write-behind queue is flushed: run events (``writer.BatchWriter``) and
checkpoints (``checkpoints.BufferedSqliteSaver``) follow the one protocol here.

Writes are counted as they are queued; one flusher task commits the queue when woken;
one drain runs at a time, so order holds; ``flush`` returns once everything queued
before it is committed. A flush commits here and now when nobody else is writing and
the store is free at once (no task, no trip around the loop, nothing a cancel can
interrupt); else it drains in a task of its own, shielded, so that a caller cancelled
mid-write (a run stopped at shutdown) cannot cut a batch in half and lose it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class Progress:
    """A count of committed units; ``reached(n)`` returns once it is at least ``n``.

    Moving it never suspends (an event is set and replaced, no lock to take), so a
    writer cannot be cancelled between committing a batch and saying so.
    """

    def __init__(self) -> None:
        self.done = 0
        self._moved = asyncio.Event()

    def advance(self, mark: int) -> None:
        self.done = mark
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()

    async def reached(self, target: int) -> None:
        while self.done < target:
            await self._moved.wait()


class WriteBehind:
    """The flushing of one queue, which its owner keeps.

    ``drain()`` commits the whole queue (its owner's ``drain`` is called under the
    drain lock and advances ``written`` to the ``queued`` mark of each batch it
    commits); ``write_now()`` commits it at once if the store can without waiting,
    else returns False having written nothing.
    """

    def __init__(
        self, name: str, *, drain: Callable[[], Awaitable[None]], write_now: Callable[[], bool]
    ) -> None:
        self.queued = 0
        self.written = Progress()
        #: Set to have the flusher task drain the queue.
        self.wake = asyncio.Event()
        self._name = name
        self._drain = drain
        self._write_now = write_now
        self._draining = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._closed = False

    def queue(self) -> None:
        """One more unit queued (the flusher task starts with the first)."""
        self.queued += 1
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._flusher(), name=self._name)

    @property
    def busy(self) -> bool:
        """Whether a drain is under way (a write now would overtake it)."""
        return self._draining.locked()

    @property
    def uncommitted(self) -> bool:
        """Whether something queued is not committed yet."""
        return self.written.done < self.queued

    async def drain(self) -> None:
        async with self._draining:
            await self._drain()

    async def flush(self) -> None:
        """Return once everything queued before the call is committed."""
        target = self.queued
        if self.written.done >= target or (not self.busy and self._write_now()):
            return
        if not self.busy:
            await asyncio.shield(self.drain())
            if self.written.done >= target:
                return
        self.wake.set()
        await self.written.reached(target)

    async def _flusher(self) -> None:
        while True:
            await self.wake.wait()
            self.wake.clear()
            await self.drain()
            if self._closed:
                return

    async def close(self, timeout: float = 5.0) -> None:
        """Stop the flusher task once its drain is done (cancelled after ``timeout``)."""
        self._closed = True
        if self._task is not None:
            self.wake.set()
            try:
                await asyncio.wait_for(self._task, timeout)
            except (TimeoutError, asyncio.CancelledError):
                self._task.cancel()
            self._task = None
