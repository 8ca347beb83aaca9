"""Postgres checkpoints: LangGraph's ``AsyncPostgresSaver`` on a connection pool.

The stock saver serialises every call on one asyncio lock, which a single shared
connection needs but a pool does not: with many runs in one worker that lock,
not Postgres, would set the pace. ``PooledPostgresSaver`` takes a pooled
connection per call instead, so concurrent runs checkpoint in parallel. Tables
and rows are LangGraph's own, readable by any LangGraph tool.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from langchain_core.runnables import RunnableConfig
from langgraph.checkpoint.base import ChannelVersions, Checkpoint, CheckpointMetadata
from langgraph.checkpoint.postgres.aio import AsyncPostgresSaver
from psycopg import AsyncConnection, AsyncCursor
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from ..store.encoding import DEFAULT_MAX_VALUE_BYTES
from ..store.fencing import LeaseLost, current_lease
from .checkpoints import WritesSince, check_rows, unstorable_state, unstorable_writes

#: Serialises ``setup()`` across processes starting together (LangGraph's own
#: migrations are not safe to run concurrently).
_SETUP_LOCK = 0x6F72636863  # "orchc"


class PooledPostgresSaver(AsyncPostgresSaver):
    """AsyncPostgresSaver without the per-saver lock when it draws from a pool.

    Every blob it is about to store is measured against ``max_value_bytes`` first, so
    a run whose state grew too big fails alone, with the limit in its error.
    """

    max_value_bytes: int | None = DEFAULT_MAX_VALUE_BYTES
    #: Checkpoint writes of a run executed under a lease (``current_lease``) check it in
    #: their own transaction; set when the repository's ``orcheo_locks`` share this database.
    fenced: bool = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._writes_since = WritesSince()

    async def aput_writes(
        self,
        config: RunnableConfig,
        writes: Sequence[tuple[str, Any]],
        task_id: str,
        task_path: str = "",
    ) -> None:
        self._writes_since.add(str(config["configurable"]["thread_id"]), writes, task_path)
        await super().aput_writes(config, writes, task_id, task_path)

    async def aput(
        self,
        config: RunnableConfig,
        checkpoint: Checkpoint,
        metadata: CheckpointMetadata,
        new_versions: ChannelVersions,
    ) -> RunnableConfig:
        stored = await super().aput(config, checkpoint, metadata, new_versions)
        self._writes_since.stored(str(config["configurable"]["thread_id"]))
        return stored

    def _dump_blobs(self, *args: Any, **kwargs: Any) -> Any:
        thread_id = str(args[0]) if args else ""
        try:
            rows = super()._dump_blobs(*args, **kwargs)
        except (TypeError, ValueError) as exc:  # a value msgpack cannot hold: say which
            named = self._writes_since.culprit(thread_id)
            if named is None and len(args) > 2:
                named = unstorable_state(args[2])
            if named is not None:
                raise named from exc
            raise
        self._writes_since.stored(thread_id)
        if self.max_value_bytes is not None:
            check_rows(rows, self.max_value_bytes)
        return rows

    def _dump_writes(self, *args: Any, **kwargs: Any) -> Any:
        try:
            rows = super()._dump_writes(*args, **kwargs)
        except (TypeError, ValueError) as exc:  # name the node and the value
            named = unstorable_writes(args[5], args[4]) if len(args) > 5 else None
            if named is not None:
                raise named from exc
            raise
        if self.max_value_bytes is not None:
            check_rows(rows, self.max_value_bytes)
        return rows

    @asynccontextmanager
    async def _cursor(self, *, pipeline: bool = False) -> AsyncIterator[AsyncCursor[DictRow]]:
        if not isinstance(self.conn, AsyncConnectionPool) or self.pipe is not None:
            async with super()._cursor(pipeline=pipeline) as cur:
                yield cur
            return
        lease = current_lease.get() if self.fenced and pipeline else None
        if lease is not None:
            async with self.conn.connection() as conn, conn.transaction():
                cur = await conn.execute(
                    "SELECT 1 FROM orcheo_locks WHERE name = %s AND owner = %s FOR SHARE", lease
                )
                if await cur.fetchone() is None:
                    raise LeaseLost(f"{lease[0]} is no longer held by {lease[1]}")
                async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            return
        async with self.conn.connection() as conn:
            if pipeline and self.supports_pipeline:
                async with conn.pipeline(), conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur
            elif pipeline:
                async with (
                    conn.transaction(),
                    conn.cursor(binary=True, row_factory=dict_row) as cur,
                ):
                    yield cur
            else:
                async with conn.cursor(binary=True, row_factory=dict_row) as cur:
                    yield cur


async def open_postgres_saver(
    dsn: str, *, pool_size: int = 10, max_value_bytes: int | None = DEFAULT_MAX_VALUE_BYTES
) -> PooledPostgresSaver:
    """A ready saver: tables migrated (once, even with many processes starting)."""
    async with await AsyncConnection.connect(dsn, autocommit=True) as conn:
        # Poll rather than block: LangGraph's migrations build indexes CONCURRENTLY,
        # which waits for every open transaction, including a blocked lock request.
        while not (
            await (await conn.execute("SELECT pg_try_advisory_lock(%s)", (_SETUP_LOCK,))).fetchone()
            or (False,)
        )[0]:
            await asyncio.sleep(0.05)
        try:
            await AsyncPostgresSaver(conn).setup()  # type: ignore[arg-type]
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (_SETUP_LOCK,))
    pool: AsyncConnectionPool[AsyncConnection[DictRow]] = AsyncConnectionPool(
        dsn,
        min_size=1,
        max_size=pool_size,
        open=False,
        kwargs={"autocommit": True, "prepare_threshold": 0, "row_factory": dict_row},
        name="orcheo-checkpoints",
    )
    await pool.open(wait=True, timeout=30)
    saver = PooledPostgresSaver(pool)
    saver.max_value_bytes = max_value_bytes
    return saver
