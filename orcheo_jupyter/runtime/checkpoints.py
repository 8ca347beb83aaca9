"""Checkpoint savers for the embedded default: LangGraph's SQLite format, group-committed.

``BufferedSqliteSaver`` is LangGraph's own ``SqliteSaver`` (same tables, same rows,
readable by LangGraph's tools) whose async writes are queued and committed in
batches on a dedicated connection thread, instead of one thread hop and one commit
per checkpoint. A checkpoint reaches the file a few milliseconds after LangGraph
hands it over; a process killed in that window resumes from the checkpoint
before, which LangGraph replays correctly (the same promise as its ``async``
durability).
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import (
    BaseCheckpointSaver,
    ChannelVersions,
    Checkpoint,
    CheckpointMetadata,
    CheckpointTuple,
)
from langgraph.checkpoint.sqlite import SqliteSaver

from ..store.sqlite_thread import SqliteThread

log = logging.getLogger(__name__)
Statement = tuple[str, Any, bool]  # sql, params, executemany?


class _Recorder:
    """A cursor stand-in that records the saver's writes instead of running them."""

    def __init__(self, sink: list[Statement]) -> None:
        self._sink = sink

    def execute(self, sql: str, params: Any = ()) -> None:
        self._sink.append((sql, params, False))

    def executemany(self, sql: str, seq: Any) -> None:
        self._sink.append((sql, list(seq), True))


class BufferedSqliteSaver(SqliteSaver):
    def __init__(self, db: SqliteThread, conn: sqlite3.Connection) -> None:
        super().__init__(conn)
        self._db = db
        self._local = threading.local()
        self._pending: list[Statement] = []
        self._pending_threads: dict[str, int] = {}
        self._fresh: set[str] = set()
        self._queued = 0
        self._written = 0
        self._wake = asyncio.Event()
        self._progress = asyncio.Condition()
        self._task: asyncio.Task[None] | None = None

    # --- recording the sync saver's writes -------------------------------------
    @contextmanager
    def cursor(self, transaction: bool = True) -> Iterator[sqlite3.Cursor]:
        sink = getattr(self._local, "sink", None)
        if sink is not None:
            yield _Recorder(sink)  # type: ignore[misc]
            return
        with super().cursor(transaction) as cur:
            yield cur

    def _record(self, thread_id: str, fn: Any, *args: Any) -> Any:
        sink: list[Statement] = []
        self._local.sink = sink
        try:
            result = fn(*args)
        finally:
            self._local.sink = None
        self._fresh.discard(thread_id)
        self._pending.extend(sink)
        self._pending_threads[thread_id] = self._pending_threads.get(thread_id, 0) + 1
        self._queued += 1
        self._wake.set()
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(
                self._flusher(), name="orcheo-checkpoints"
            )
        return result

    async def _flusher(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._pending:
                batch, self._pending = self._pending, []
                threads, self._pending_threads = self._pending_threads, {}
                mark = self._queued

                def work(conn: sqlite3.Connection, batch: list[Statement] = batch) -> None:
                    for sql, params, many in batch:
                        if many:
                            conn.executemany(sql, params)
                        else:
                            conn.execute(sql, params)

                try:
                    await self._db.transaction(work)
                except Exception:
                    log.exception("orcheo: writing %d checkpoint rows failed; retrying", len(batch))
                    self._pending = batch + self._pending
                    for t, n in threads.items():
                        self._pending_threads[t] = self._pending_threads.get(t, 0) + n
                    await asyncio.sleep(0.05)
                    continue
                async with self._progress:
                    self._written = mark
                    self._progress.notify_all()

    async def flush(self) -> None:
        """Return once every checkpoint handed over before the call is committed."""
        target = self._queued
        if self._written >= target:
            return
        async with self._progress:
            await self._progress.wait_for(lambda: self._written >= target)

    def mark_fresh(self, thread_id: str) -> None:
        """A brand-new thread (run): its first read can skip the database."""
        self._fresh.add(thread_id)

    # --- async API used by LangGraph ----------------------------------------------
    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        thread_id = str(config["configurable"]["thread_id"])
        return self._record(thread_id, self.put, config, checkpoint, metadata, new_versions)

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        thread_id = str(config["configurable"]["thread_id"])
        self._record(thread_id, self.put_writes, config, writes, task_id, task_path)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id = str(config["configurable"]["thread_id"])
        if thread_id in self._fresh:
            return None
        if thread_id in self._pending_threads or self._written < self._queued:
            await self.flush()
        return await self._db.call(lambda _: self.get_tuple(config))

    async def alist(
        self,
        config: RunnableConfig | None,
        *,
        filter: dict[str, Any] | None = None,
        before: RunnableConfig | None = None,
        limit: int | None = None,
    ) -> AsyncIterator[CheckpointTuple]:
        await self.flush()
        items = await self._db.call(
            lambda _: list(self.list(config, filter=filter, before=before, limit=limit))
        )
        for item in items:
            yield item

    async def adelete_thread(self, thread_id: str) -> None:
        await self.flush()
        await self._db.call(lambda _: self.delete_thread(thread_id))

    async def aclose(self) -> None:
        await self.flush()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self._db.close()


async def open_sqlite_saver(path: str | Path) -> BufferedSqliteSaver:
    """The embedded checkpointer on a WAL file another process may share."""
    db = SqliteThread(path)
    await db.open()
    conn = await db.call(lambda c: c)
    saver = BufferedSqliteSaver(db, conn)
    await db.call(lambda _: saver.setup())
    return saver


async def close_saver(saver: BaseCheckpointSaver | None) -> None:
    if isinstance(saver, BufferedSqliteSaver):
        await saver.aclose()
        return
    conn = getattr(saver, "conn", None)
    if conn is not None and hasattr(conn, "close"):
        result = conn.close()
        if asyncio.iscoroutine(result):
            await result
