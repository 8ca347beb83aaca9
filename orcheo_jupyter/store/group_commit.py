"""Group commit: many concurrent single-item calls, one batched call.

Each caller awaits the outcome of its own item, so a write is durable when the
await returns; items that arrive while a batch is in flight go together into
the next one. Under load a batch holds hundreds of items for the price of one
commit; when idle an item goes out at once (no timer, no added latency). An
item the batched call cannot take fails alone: the batch is retried without it
(see ``isolate``), so one bad caller never fails the callers batched with it.

The batched call is anything async (a Postgres ``executemany``, the runs insert
of the dispatcher); ``GroupCommit.sqlite`` makes it one transaction on the
store's SQLite thread.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from .isolate import isolate
from .sqlite_thread import SqliteThread

T = TypeVar("T")
R = TypeVar("R")

#: ``call(items)`` is all or nothing and returns one result per item; a result
#: that is an exception is raised to that item's caller only.
BatchCall = Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]]
#: ``work(conn, items)``: the same, inside one SQLite transaction.
Work = Callable[[sqlite3.Connection, Sequence[T]], Sequence[R | BaseException]]


class GroupCommit(Generic[T, R]):
    """``await submit(item)`` from many tasks; ``call`` sees them in batches."""

    def __init__(
        self, call: BatchCall[T, R], *, max_batch: int = 1000, name: str = "orcheo-group-commit"
    ) -> None:
        self._call = call
        self._max_batch = max_batch
        self._name = name
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    @classmethod
    def sqlite(
        cls, db: SqliteThread, work: Work[T, R], *, max_batch: int = 1000
    ) -> GroupCommit[T, R]:
        """Batches committed as one transaction each on ``db``'s thread."""

        async def call(items: Sequence[T]) -> Sequence[R | BaseException]:
            return await db.transaction(lambda conn: work(conn, items))

        return cls(call, max_batch=max_batch)

    async def submit(self, item: T) -> R:
        """Return once ``item`` is committed (with its result), or raise its error."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name=self._name)
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                results = await isolate([item for item, _ in batch], self._call)
            except BaseException as exc:  # cancelled: nothing more is committed here
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                raise
            for (_, future), result in zip(batch, results, strict=True):
                if future.done():
                    continue
                if isinstance(result, BaseException):
                    future.set_exception(result)
                else:
                    future.set_result(result)

    async def drain(self) -> None:
        """Wait until everything submitted so far is committed."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
