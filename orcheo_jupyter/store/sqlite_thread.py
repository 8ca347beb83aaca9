"""One SQLite connection on one thread; each call runs a whole unit of work in one hop.

A per-statement async bridge costs a thread round trip for every BEGIN, INSERT,
cursor close and COMMIT (about thirty per run here); handing the thread a function
that does the whole transaction costs one.

Even one hop (queue, wake the thread, hand the GIL over, wake the loop) costs about
five times a small WAL commit on this machine (~115 µs against ~25 µs). So small,
hot units of work may ask to run ``inline``: on the caller's thread, when the
connection is idle and the database lock is free at once. Anything that would wait
(a queued job, another process holding the write lock) still goes to the thread, so
the event loop never blocks on a lock.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import queue
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from ..common.sqlite_files import wal_mode

T = TypeVar("T")
log = logging.getLogger(__name__)
_Job = tuple[Callable[[Any], Any], asyncio.Future[Any], asyncio.AbstractEventLoop] | None


#: Committed transactions between two WAL checkpoints run on the thread.
CHECKPOINT_EVERY = 200
#: The most a ``-wal`` file may keep between checkpoints (``journal_size_limit`` too).
DEFAULT_WAL_LIMIT_BYTES = 64 * 1024 * 1024
#: After a write, the WAL's size is looked at this much later (at most this often).
WAL_CHECK_DELAY = 0.5


def _checkpoint(conn: sqlite3.Connection) -> list[Any]:
    # fetchall: an unfinished statement would make the next COMMIT fail.
    return conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()


def _log_checkpoint_failure(done: asyncio.Future[Any]) -> None:
    if not done.cancelled() and done.exception() is not None:
        log.warning("orcheo: WAL checkpoint failed: %s", done.exception())


class _Busy(Exception):
    """The inline attempt would have had to wait: hand the work to the thread."""


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

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_ms: int = 10_000,
        wal_limit_bytes: int = DEFAULT_WAL_LIMIT_BYTES,
    ) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self.wal_limit_bytes = wal_limit_bytes
        self._wal_check: asyncio.TimerHandle | None = None
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._conn: sqlite3.Connection | None = None
        self._since_checkpoint = 0
        #: Held while the connection is in use (by the thread or inline).
        self._using = threading.Lock()
        #: Jobs queued or running on the thread; inline work only when there are none,
        #: so it never overtakes work submitted before it.
        self._inflight = 0
        self._count = threading.Lock()

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        wal_mode(conn, self._busy_timeout_ms / 1000)
        # NORMAL in WAL mode survives process crashes (only power loss can drop the
        # last commits) and saves an fsync per transaction.
        conn.execute("PRAGMA synchronous=NORMAL")
        # SQLite folds the WAL back into the database inside whichever COMMIT crosses
        # 1000 pages, fsync included: 10-25 ms on this machine, on the event loop when
        # that commit ran inline. The thread does it instead, every CHECKPOINT_EVERY
        # transactions, without blocking writers or readers (PASSIVE).
        conn.execute("PRAGMA wal_autocheckpoint=0")
        # A checkpoint that resets the WAL also shrinks the file to this size.
        conn.execute(f"PRAGMA journal_size_limit={self.wal_limit_bytes}")
        conn.execute("PRAGMA foreign_keys=ON")
        return conn

    def _bound_wal(self, conn: sqlite3.Connection) -> None:
        """Truncate the WAL when it outgrew its limit (a large write, a burst of them).

        Without waiting: a reader in another process that still needs the old frames
        makes this a partial checkpoint, and the next look tries again.
        """
        try:
            size = os.stat(f"{self.path}-wal").st_size
        except FileNotFoundError:
            return
        if size <= self.wal_limit_bytes:
            return
        conn.execute("PRAGMA busy_timeout=0")
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        finally:
            conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")

    def _serve(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            fn, future, loop = job
            with self._using:
                try:
                    result, error = fn(self._conn), None
                except BaseException as exc:
                    result, error = None, exc
            with self._count:
                self._inflight -= 1
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
        with self._count:
            self._inflight += 1
        self._jobs.put((fn, future, loop))
        return future

    def _inline(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """``fn(connection)`` here and now; _Busy if that would mean waiting."""
        conn = self._conn
        if conn is None or self._inflight or not self._using.acquire(blocking=False):
            raise _Busy
        try:
            if self._inflight:  # submitted while we took the lock: it goes first
                raise _Busy
            return fn(conn)
        finally:
            self._using.release()

    async def call(self, fn: Callable[[sqlite3.Connection], T], *, inline: bool = False) -> T:
        """Run ``fn(connection)`` on the connection's thread.

        ``inline=True`` (for short reads that are safe to run twice) may run it here
        instead when the connection is idle; a busy database sends it to the thread.
        """
        if self._thread is None or self._conn is None:
            raise RuntimeError(f"SQLite database {self.path} is not open")
        if inline:
            try:
                return self._inline(lambda conn: self._without_waiting(conn, fn))
            except _Busy:
                pass
        result = await self._submit(fn)
        self._counted()  # it may have written (autocommit): the WAL grew
        return result

    def _without_waiting(
        self, conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]
    ) -> T:
        """``fn(conn)`` with no busy wait: _Busy if another connection holds a lock."""
        conn.execute("PRAGMA busy_timeout=0")
        try:
            return fn(conn)
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise _Busy from None
            raise
        finally:
            conn.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")

    async def transaction(
        self, fn: Callable[[sqlite3.Connection], T], *, inline: bool = False
    ) -> T:
        """Run ``fn`` inside ``BEGIN IMMEDIATE`` ... ``COMMIT``; roll back on any error.

        ``inline=True`` (for small writes) runs it on the caller's thread when the
        connection is idle and the write lock is free at once; otherwise on the thread.
        """

        def work(conn: sqlite3.Connection) -> T:
            conn.execute("BEGIN IMMEDIATE")
            return self._finish(conn, fn)

        if inline:
            done, result = self.transaction_now(fn)
            if done:
                return result  # type: ignore[return-value]
        return await self.call(work)

    def transaction_now(self, fn: Callable[[sqlite3.Connection], T]) -> tuple[bool, T | None]:
        """``fn`` in a transaction here and now, if that needs no waiting at all.

        ``(True, result)`` when it committed (an error in ``fn`` rolls back and
        propagates), ``(False, None)`` when the connection is busy or the write lock is
        taken. Synchronous, so a caller cannot be cancelled halfway through it.
        """

        def work_now(conn: sqlite3.Connection) -> T:
            # Only taking the write lock must not wait; the work itself runs as usual.
            self._without_waiting(conn, lambda c: c.execute("BEGIN IMMEDIATE"))
            return self._finish(conn, fn)

        if self._conn is None:
            return False, None
        try:
            result = self._inline(work_now)
        except _Busy:
            return False, None
        self._counted()
        return True, result

    def _counted(self) -> None:
        """One more unit of work; every CHECKPOINT_EVERY, queue a WAL checkpoint.

        And, at most every WAL_CHECK_DELAY, a look at the WAL's size: one large write
        (or the end of a burst) is folded back and the file truncated soon after.
        """
        self._since_checkpoint += 1
        if self._since_checkpoint >= CHECKPOINT_EVERY and self._conn is not None:
            self._since_checkpoint = 0
            self._submit(_checkpoint).add_done_callback(_log_checkpoint_failure)
        if self._wal_check is None and self._conn is not None:
            with contextlib.suppress(RuntimeError):  # no loop: the next write arms it
                self._wal_check = asyncio.get_running_loop().call_later(
                    WAL_CHECK_DELAY, self._check_wal
                )

    def _check_wal(self) -> None:
        self._wal_check = None
        if self._conn is not None:
            self._submit(self._bound_wal).add_done_callback(_log_checkpoint_failure)

    @staticmethod
    def _finish(conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T]) -> T:
        try:
            result = fn(conn)
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return result

    async def close(self) -> None:
        if self._thread is None:
            return
        if self._wal_check is not None:
            self._wal_check.cancel()
            self._wal_check = None
        if self._conn is not None:
            await self._submit(lambda conn: conn.close())
        self._conn = None
        self._jobs.put(None)
        self._thread = None  # the daemon thread ends after the sentinel
