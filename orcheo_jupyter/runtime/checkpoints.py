"""Checkpoint savers: AsyncSqliteSaver on a WAL file for the embedded default."""

from __future__ import annotations

from pathlib import Path

import aiosqlite
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver


async def open_sqlite_saver(path: str | Path) -> AsyncSqliteSaver:
    """A saver whose file can be shared with another process (WAL, busy timeout)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    conn = await aiosqlite.connect(p)
    await conn.execute("PRAGMA busy_timeout=10000")
    await conn.execute("PRAGMA journal_mode=WAL")
    # NORMAL in WAL mode is durable across process crashes (only power loss can
    # drop the last commits) and avoids an fsync per checkpoint.
    await conn.execute("PRAGMA synchronous=NORMAL")
    saver = AsyncSqliteSaver(conn)
    await saver.setup()
    return saver


async def close_saver(saver: BaseCheckpointSaver | None) -> None:
    conn = getattr(saver, "conn", None)
    if conn is not None:
        await conn.close()
