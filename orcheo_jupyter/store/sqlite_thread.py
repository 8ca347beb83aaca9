"""One SQLite connection on one thread; each call runs a whole unit of work in one hop.

A per-statement async bridge costs a thread round trip for every BEGIN, INSERT,
cursor close and COMMIT (about thirty per run here); handing the thread a function
that does the whole transaction costs one.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")
_Job = tuple[Callable[[Any], Any], asyncio.Future[Any], asyncio.AbstractEventLoop] | None


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.cancelled():
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


class SqliteThread:
    """A daemon thread that owns one connection and runs submitted functions in order.

    Its own thread (not a ThreadPoolExecutor) so that closing at interpreter exit still
    works: executors refuse new work once shutdown has begun.
    """

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        conn.execute("PRAGMA journal_mode=WAL")
        # NORMAL in WAL mode survives process crashes (only power loss can drop the
        # last commits) and saves an fsync per transaction.
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, future, loop = job
            try:
                result, error = fn(self._conn), None
            except BaseException as exc:
                result, error = None, exc
            # A closed caller loop means nobody is waiting for this result.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(_settle, future, result, error)

    async def open(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._serve, name="orcheo-sqlite", daemon=True)
            self._thread.start()
            self._conn = await self._submit(lambda _: self._connect())

    def _submit(self, fn: Callable[[Any], T]) -> asyncio.Future[T]:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._jobs.put((fn, future, loop))
        return future

    async def call(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` on the connection's thread."""
        if self._thread is None or self._conn is None:
            raise RuntimeError(f"SQLite database {self.path} is not open")
        return await self._submit(fn)

    async def transaction(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT``; roll back on any error."""

        def work(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
            return result

        return await self.call(work)

    async def close(self) -> None:
        if self._thread is None:
            return
        if self._conn is not None:
            await self.call(lambda conn: conn.close())
        self._conn = None
        self._jobs.put(None)
        self._thread = None  # the daemon thread ends after the sentinel
