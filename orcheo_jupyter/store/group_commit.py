"""Group commit: many concurrent small writes, one SQLite transaction.

Each caller awaits the commit of its own item, so a write is durable when the
await returns; items that arrive while a transaction is running go together into
the next one. Under load a batch holds hundreds of items for the price of one
commit; when idle an item is committed at once (no timer, no added latency).
An item whose data cannot be stored fails alone: the batch is retried without
it (see ``isolate``), so one bad caller never fails the callers batched with it.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

from .isolate import isolate
from .sqlite_thread import SqliteThread

T = TypeVar("T")
R = TypeVar("R")

#: ``work(conn, items)`` runs inside the transaction and returns one result per
#: item; a result that is an exception is raised to that item's caller only.
Work = Callable[[sqlite3.Connection, Sequence[T]], Sequence[R | BaseException]]


class GroupCommit(Generic[T, R]):
    def __init__(self, db: SqliteThread, work: Work[T, R], *, max_batch: int = 1000) -> None:
        self._db = db
        self._work = work
        self._max_batch = max_batch
        self._pending: list[tuple[T, asyncio.Future[R]]] = []
        self._task: asyncio.Task[None] | None = None

    async def submit(self, item: T) -> R:
        """Return once ``item`` is committed (with its result), or raise its error."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((item, future))
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._drain(), name="orcheo-group-commit")
        return await future

    async def _drain(self) -> None:
        while self._pending:
            batch = self._pending[: self._max_batch]
            del self._pending[: self._max_batch]
            try:
                results = await isolate([item for item, _ in batch], self._commit)
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

    async def _commit(self, items: Sequence[T]) -> Sequence[R | BaseException]:
        return await self._db.transaction(lambda conn: self._work(conn, items))

    async def drain(self) -> None:
        """Wait until everything submitted so far is committed."""
        while self._task is not None and not self._task.done():
            await asyncio.shield(self._task)
