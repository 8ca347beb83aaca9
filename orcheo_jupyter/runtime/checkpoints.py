"""Checkpoint savers for the embedded default: LangGraph's SQLite format, group-committed.

``BufferedSqliteSaver`` is LangGraph's own ``SqliteSaver`` (same tables, same rows,
readable by LangGraph's tools) with two changes to its async write path:

- rows are queued and committed in batches on a dedicated connection thread, instead
  of one thread hop and one commit per checkpoint;
- with a ``min_interval`` (the ``async`` default policy), a checkpoint that is
  superseded within that interval is never serialized: each run persists at most one
  checkpoint per interval plus its last one. Slow nodes (where a crash costs real
  work) are checkpointed after every step; a burst of fast steps costs one write.

A process killed before a checkpoint reaches the file resumes from the checkpoint
before it (at most ``min_interval`` of work earlier), which LangGraph replays
correctly. ``min_interval=0`` (the ``sync`` policy) persists every checkpoint, for
step-by-step time travel.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import threading
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
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

from ..store.encoding import DEFAULT_MAX_VALUE_BYTES, check_size
from ..store.sqlite_thread import DEFAULT_WAL_LIMIT_BYTES, SqliteThread
from .serialize import Unstorable, check_storable
from .write_behind import WriteBehind

log = logging.getLogger(__name__)
Statement = tuple[str, Any, bool]  # sql, params, executemany?

#: Attempts at committing one batch of checkpoint rows before its runs are told it failed.
WRITE_ATTEMPTS = 5
#: Under a coalescing policy, the checkpoint bytes one run may write per second: a run
#: whose state is large (a 10 MB input) is checkpointed less often, since LangGraph's
#: SQLite format stores the whole state in every checkpoint.
CHECKPOINT_BYTES_PER_SECOND = 50_000_000


def check_rows(rows: Any, limit: int | None, many: bool = True) -> int:
    """The bytes of text and blobs about to be stored; ValueTooLarge when one exceeds ``limit``.

    Measured before the rows join a batch, so only the run that made them fails (one
    SQLite or Postgres error would refuse the whole transaction). Cheap: a blob's
    length is known without encoding anything.
    """
    total = 0
    for row in rows if many else (rows,):
        for value in row:
            if isinstance(value, bytes | str):
                total += len(value)
                if limit is not None:
                    check_size("the run's state (a checkpoint)", value, limit)
    return total


class _Recorder:
    """A cursor stand-in that records the saver's writes instead of running them."""

    def __init__(self, sink: list[Statement]) -> None:
        self._sink = sink

    def execute(self, sql: str, params: Any = ()) -> None:
        self._sink.append((sql, params, False))

    def executemany(self, sql: str, seq: Any) -> None:
        self._sink.append((sql, list(seq), True))


class CheckpointError(RuntimeError):
    """A run's state could not be stored as a checkpoint (so it could not resume)."""


def _node_of(task_path: str) -> str | None:
    """The node of a LangGraph task path (``~__pregel_pull, make``), when it says."""
    prefix = "~__pregel_pull, "
    if not task_path.startswith(prefix):
        return None
    return task_path[len(prefix) :].split(",")[0].strip() or None


def unstorable_writes(writes: Sequence[tuple[str, Any]], task_path: str) -> CheckpointError | None:
    """The first value of a node's writes the checkpoint cannot store, naming the node
    (a node of a subgraph a script compiled: its outputs are not checked when it
    returns, as other nodes' are)."""
    for channel, value in writes:
        try:
            check_storable(value, channel)
        except Unstorable as found:
            node = _node_of(task_path)
            who = f"node {node!r} failed" if node else "a node failed"
            return CheckpointError(f"{who}: {found}")
        except RecursionError:
            return None
    return None


class WritesSince:
    """Each thread's task writes since its last stored checkpoint.

    A script's compiled subgraphs run their nodes unchecked, so when a checkpoint cannot
    be stored these writes name the node whose output the state came from. A thread's
    writes go when its checkpoint is stored; those of runs that failed first stay until
    ``threads`` newer threads push them out.
    """

    def __init__(self, threads: int = 256) -> None:
        self._threads = threads
        self._by_thread: dict[str, list[tuple[Sequence[tuple[str, Any]], str]]] = {}

    def add(self, thread_id: str, writes: Sequence[tuple[str, Any]], task_path: str) -> None:
        self._by_thread.setdefault(thread_id, []).append((writes, task_path))
        while len(self._by_thread) > self._threads:
            self._by_thread.pop(next(iter(self._by_thread)))

    def stored(self, thread_id: str) -> None:
        """The thread's checkpoint was stored (or the thread ended): forget its writes."""
        self._by_thread.pop(thread_id, None)

    def culprit(self, thread_id: str) -> CheckpointError | None:
        """The error naming the first node among the thread's writes whose value cannot be
        stored; None when they all can (then the state's own path is all there is)."""
        for writes, task_path in self._by_thread.pop(thread_id, ()):
            named = unstorable_writes(writes, task_path)
            if named is not None:
                return named
        return None


def unstorable_state(values: Any) -> CheckpointError | None:
    """The first value of a state the checkpoint cannot store, with its path."""
    try:
        check_storable(dict(values))
    except Unstorable as found:
        return CheckpointError(
            f"the run's state cannot be checkpointed: it holds {found.what} at {found.path};"
            " nodes must return JSON-like data (dicts, lists, strings, numbers, booleans, None)"
        )
    except (RecursionError, TypeError, ValueError):
        return None
    return None


@dataclass
class _Held:
    """The latest checkpoint of a thread, not yet serialized, with its writes."""

    config: RunnableConfig
    checkpoint: Checkpoint
    metadata: CheckpointMetadata
    versions: ChannelVersions
    writes: list[tuple[RunnableConfig, Sequence[tuple[str, Any]], str, str]] = field(
        default_factory=list
    )
    timer: asyncio.TimerHandle | None = None


def _replay(batch: list[Statement]) -> Callable[[sqlite3.Connection], None]:
    def work(conn: sqlite3.Connection) -> None:
        for sql, params, many in batch:
            if many:
                conn.executemany(sql, params)
            else:
                conn.execute(sql, params)

    return work


class BufferedSqliteSaver(SqliteSaver):
    def __init__(
        self,
        db: SqliteThread,
        conn: sqlite3.Connection,
        *,
        min_interval: float = 0.0,
        max_value_bytes: int | None = DEFAULT_MAX_VALUE_BYTES,
    ) -> None:
        super().__init__(conn)
        self._db = db
        self.min_interval = min_interval
        self.max_value_bytes = max_value_bytes
        self._held: dict[str, _Held] = {}
        self._last_persist: dict[str, float] = {}
        self._local = threading.local()
        self._pending: list[Statement] = []
        self._pending_threads: dict[str, int] = {}
        self._fresh: set[str] = set()
        self._writes_since = WritesSince()
        #: Seconds between two persisted checkpoints of a thread, beyond min_interval,
        #: from the size of its last one (CHECKPOINT_BYTES_PER_SECOND).
        self._spacing: dict[str, float] = {}
        #: Threads (runs) that persist every checkpoint whatever ``min_interval`` says.
        self._every_step: set[str] = set()
        self._recorded = 0
        #: Threads whose deferred checkpoint could not be serialized, until flushed.
        self._unsaved: dict[str, BaseException] = {}
        self._behind = WriteBehind(
            "orcheo-checkpoints", drain=self._drain, write_now=self._write_now
        )

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
        except (TypeError, ValueError) as exc:  # a value msgpack cannot hold: say which
            named = None
            if fn == self.put_writes:
                named = unstorable_writes(args[1], args[3])
            elif fn == self.put:
                named = unstorable_state(args[1]["channel_values"])
            if named is not None:
                raise named from exc
            raise
        finally:
            self._local.sink = None
        size = 0
        for _, params, many in sink:
            size += check_rows(params, self.max_value_bytes, many)
        self._recorded = size
        self._fresh.discard(thread_id)
        self._pending.extend(sink)
        self._pending_threads[thread_id] = self._pending_threads.get(thread_id, 0) + 1
        self._behind.queue()
        self._behind.wake.set()
        return result

    async def _drain(self) -> None:
        """Commit the queue, batch by batch (under WriteBehind's drain lock)."""
        while self._pending:
            batch, self._pending = self._pending, []
            threads, self._pending_threads = self._pending_threads, {}
            mark = self._behind.queued
            await self._commit(batch, threads)
            self._behind.written.advance(mark)

    async def _commit(self, batch: list[Statement], threads: dict[str, int]) -> None:
        """Commit ``batch``, retrying a few times (a busy file, a full disk).

        Bounded: after WRITE_ATTEMPTS the rows are dropped and each of their runs is
        told at its next flush (CheckpointError), instead of every later checkpoint
        of every run waiting behind a batch that can never be written.
        """
        for attempt in range(1, WRITE_ATTEMPTS + 1):
            try:
                await self._db.transaction(_replay(batch), inline=True)
                return
            except Exception as exc:
                if attempt == WRITE_ATTEMPTS:
                    log.error(
                        "orcheo: %d checkpoint rows of %d run(s) could not be written "
                        "after %d attempts: %s",
                        len(batch),
                        len(threads),
                        attempt,
                        exc,
                    )
                    for thread_id in threads:
                        self._unsaved[thread_id] = CheckpointError(
                            f"the run's state could not be checkpointed: writing it failed "
                            f"{attempt} times: {type(exc).__name__}: {exc}"
                        )
                    return
                log.warning(
                    "orcheo: writing %d checkpoint rows failed (attempt %d): %s",
                    len(batch),
                    attempt,
                    exc,
                )
                await asyncio.sleep(0.05 * 2 ** (attempt - 1))

    def _write_now(self) -> bool:
        """Commit the queue here and now if SQLite is free at once (see write_behind)."""
        try:
            done, _ = self._db.transaction_now(_replay(self._pending))
        except Exception:  # the drain retries it, and logs why
            return False
        if done:
            self._pending, self._pending_threads = [], {}
            self._behind.written.advance(self._behind.queued)
        return done

    async def flush(self, thread_id: str | None = None) -> None:
        """Return once the thread's (default: every) held checkpoint is committed.

        Drains the queue at once when the flusher is not writing (see ``BatchWriter``).
        CheckpointError when that thread's state could not be serialized, now or when
        a deferred write came due (a flush of every thread only logs such failures).
        """
        failures: list[BaseException] = []
        threads = list(self._held) if thread_id is None else [thread_id]
        for held_thread in threads:
            try:
                self._persist_held(held_thread)
            except Exception as exc:  # e.g. an integer msgpack cannot hold
                failures.append(exc)
        if thread_id is None:
            self._last_persist.clear()
            self._spacing.clear()
            self._unsaved.clear()
        else:
            self._last_persist.pop(thread_id, None)
            self._spacing.pop(thread_id, None)
            self._every_step.discard(thread_id)
            self._writes_since.stored(thread_id)
            late = self._unsaved.pop(thread_id, None)
            if late is not None:
                failures.append(late)
        await self._behind.flush()
        if thread_id is None:
            self._unsaved.clear()
        elif thread_id in self._unsaved:  # its rows could not be written just now
            failures.append(self._unsaved.pop(thread_id))
        if failures and thread_id is None:  # reads flush everything: not theirs to fail
            for failure in failures:
                log.warning("orcheo: a checkpoint cannot be stored: %s", failure)
        elif failures:
            first = failures[0]
            if isinstance(first, CheckpointError):
                raise first
            raise CheckpointError(
                f"the run's state cannot be checkpointed: {type(first).__name__}: {first}"
            )

    def keep_every_step(self, thread_id: str) -> None:
        """Persist each checkpoint of this run until its next ``flush(thread_id)``.

        For runs a person starts (and their forks): each step is one to fork from or
        inspect, and such runs are too few for the coalescing to matter.
        """
        self._every_step.add(thread_id)
        self._last_persist.pop(thread_id, None)
        self._spacing.pop(thread_id, None)

    def mark_fresh(self, thread_id: str, size_hint: int = 0) -> None:
        """A brand-new thread (run): its first read can skip the database.

        Its start also counts as a persist for the coalescing interval: the first
        checkpoints hold only the inputs, which the run row already stores (recovery
        without a checkpoint starts from them), so a run that ends within the
        interval writes one checkpoint, its last; a longer one still gets its first
        write when the interval is up. ``size_hint`` (the inputs' size) stretches
        that interval as a checkpoint of that size would.
        """
        self._fresh.add(thread_id)
        if self.min_interval > 0 and thread_id not in self._every_step:
            self._last_persist[thread_id] = asyncio.get_running_loop().time()
            if size_hint:
                self._spacing[thread_id] = size_hint / CHECKPOINT_BYTES_PER_SECOND

    # --- coalescing ------------------------------------------------------------------
    def _persist(self, thread_id: str, held: _Held) -> None:
        try:
            self._record(
                thread_id, self.put, held.config, held.checkpoint, held.metadata, held.versions
            )
        except CheckpointError as exc:
            # The nodes' writes that made this state name the one that returned it.
            named = self._writes_since.culprit(thread_id)
            if named is not None:
                raise named from exc
            raise
        self._writes_since.stored(thread_id)
        size = self._recorded
        for config, writes, task_id, task_path in held.writes:
            self._record(thread_id, self.put_writes, config, writes, task_id, task_path)
            size += self._recorded
        self._last_persist[thread_id] = asyncio.get_running_loop().time()
        if self.min_interval > 0:
            self._spacing[thread_id] = size / CHECKPOINT_BYTES_PER_SECOND

    def _persist_held(self, thread_id: str) -> None:
        held = self._held.pop(thread_id, None)
        if held is not None:
            if held.timer is not None:
                held.timer.cancel()
            self._persist(thread_id, held)

    def _persist_due(self, thread_id: str) -> None:
        """Timer callback: a failure is kept for the thread's next flush to report."""
        try:
            self._persist_held(thread_id)
        except Exception as exc:
            log.warning("orcheo: a checkpoint of %s cannot be stored: %s", thread_id, exc)
            self._unsaved[thread_id] = exc

    # --- async API used by LangGraph ----------------------------------------------
    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        thread_id = str(config["configurable"]["thread_id"])
        self._fresh.discard(thread_id)
        superseded = self._held.pop(thread_id, None)
        if superseded is not None and superseded.timer is not None:
            superseded.timer.cancel()  # never serialized: a newer checkpoint replaces it
        held = _Held(config, checkpoint, metadata, new_versions)
        loop = asyncio.get_running_loop()
        waited = loop.time() - self._last_persist.get(thread_id, float("-inf"))
        interval = max(self.min_interval, self._spacing.get(thread_id, 0.0))
        if waited >= interval or thread_id in self._every_step:
            self._persist(thread_id, held)
        else:
            held.timer = loop.call_later(interval - waited, self._persist_due, thread_id)
            self._held[thread_id] = held
        return {
            "configurable": {
                "thread_id": thread_id,
                "checkpoint_ns": config["configurable"]["checkpoint_ns"],
                "checkpoint_id": checkpoint["id"],
            }
        }

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        thread_id = str(config["configurable"]["thread_id"])
        self._writes_since.add(thread_id, writes, task_path)
        held = self._held.get(thread_id)
        if held is not None and held.checkpoint["id"] == config["configurable"].get(
            "checkpoint_id"
        ):
            held.writes.append((config, list(writes), task_id, task_path))
            return
        self._record(thread_id, self.put_writes, config, writes, task_id, task_path)

    async def aget_tuple(self, config: RunnableConfig) -> CheckpointTuple | None:
        thread_id = str(config["configurable"]["thread_id"])
        if thread_id in self._fresh:
            return None
        if (
            thread_id in self._held
            or thread_id in self._pending_threads
            or self._behind.uncommitted
        ):
            await self.flush()
        return await self._db.call(lambda _: self.get_tuple(config), inline=True)

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
        await self._behind.close()
        await self._db.close()


async def open_sqlite_saver(
    path: str | Path,
    *,
    min_interval: float = 0.0,
    max_value_bytes: int | None = DEFAULT_MAX_VALUE_BYTES,
    wal_limit_bytes: int = DEFAULT_WAL_LIMIT_BYTES,
) -> BufferedSqliteSaver:
    """The embedded checkpointer on a WAL file another process may share."""
    db = SqliteThread(path, wal_limit_bytes=wal_limit_bytes)
    await db.open()
    conn = await db.call(lambda c: c)
    saver = BufferedSqliteSaver(
        db, conn, min_interval=min_interval, max_value_bytes=max_value_bytes
    )
    await db.call(lambda _: saver.setup())
    return saver


async def close_saver(saver: BaseCheckpointSaver[Any] | None) -> None:
    if isinstance(saver, BufferedSqliteSaver):
        await saver.aclose()
        return
    conn = getattr(saver, "conn", None)
    if conn is not None and hasattr(conn, "close"):
        result = conn.close()
        if asyncio.iscoroutine(result):
            await result
