"""How far a write-behind queue has committed, awaitable without a lock."""

from __future__ import annotations

import asyncio


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
