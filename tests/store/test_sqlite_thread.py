"""The connection thread's inline fast path: never blocks the loop, never reorders."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest
import pytest_asyncio

from orcheo_jupyter.store.sqlite_thread import SqliteThread

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
async def db(tmp_path: Path) -> AsyncIterator[SqliteThread]:
    thread = SqliteThread(tmp_path / "t.sqlite", busy_timeout_ms=5000)
    await thread.open()
    await thread.call(lambda c: c.execute("CREATE TABLE t (n INTEGER)"))
    yield thread
    await thread.close()


def _insert(n: int) -> Callable[[sqlite3.Connection], object]:
    return lambda conn: conn.execute("INSERT INTO t VALUES (?)", (n,))


async def test_inline_work_runs_on_the_callers_thread_when_idle(db: SqliteThread) -> None:
    seen: list[int] = []
    await db.transaction(lambda c: seen.append(threading.get_ident()), inline=True)
    await db.transaction(lambda c: seen.append(threading.get_ident()))
    assert seen[0] == threading.get_ident()  # inline: no hop
    assert seen[1] != threading.get_ident()  # default: the connection's thread


async def test_inline_work_never_overtakes_work_queued_before_it(db: SqliteThread) -> None:
    def slow_first(conn: sqlite3.Connection) -> None:
        time.sleep(0.2)
        conn.execute("INSERT INTO t VALUES (1)")

    first = asyncio.ensure_future(db.transaction(slow_first))
    await asyncio.sleep(0.05)  # the thread is inside slow_first now
    await db.transaction(_insert(2), inline=True)
    await first
    rows = await db.call(lambda c: [r[0] for r in c.execute("SELECT n FROM t ORDER BY rowid")])
    assert rows == [1, 2]


async def test_a_locked_database_sends_inline_work_to_the_thread(
    db: SqliteThread, tmp_path: Path
) -> None:
    """Another process's write lock must not freeze the event loop for busy_timeout."""
    other = sqlite3.connect(tmp_path / "t.sqlite", isolation_level=None, timeout=5)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock
    ticks = 0

    async def ticker() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    tick_task = asyncio.ensure_future(ticker())
    write = asyncio.ensure_future(db.transaction(_insert(7), inline=True))
    await asyncio.sleep(0.3)
    assert not write.done()  # waiting on the thread for the lock...
    assert ticks >= 10  # ...while the loop keeps running
    other.execute("COMMIT")
    await asyncio.wait_for(write, 5)
    tick_task.cancel()
    assert await db.call(lambda c: c.execute("SELECT n FROM t").fetchall()[0][0]) == 7
    # The inline attempt left the connection's normal busy timeout in place.
    assert await db.call(lambda c: c.execute("PRAGMA busy_timeout").fetchone()[0]) == 5000
    other.close()


async def test_transaction_now_commits_only_when_nothing_must_wait(
    db: SqliteThread, tmp_path: Path
) -> None:
    other = sqlite3.connect(tmp_path / "t.sqlite", isolation_level=None, timeout=5)
    other.execute("BEGIN IMMEDIATE")
    assert db.transaction_now(_insert(5)) == (False, None)  # locked: not done, no wait
    other.execute("COMMIT")
    other.close()
    done, result = db.transaction_now(lambda c: c.execute("INSERT INTO t VALUES (6)").rowcount)
    assert (done, result) == (True, 1)
    assert await db.call(lambda c: [r[0] for r in c.execute("SELECT n FROM t")]) == [6]


async def test_a_failing_inline_transaction_rolls_back(db: SqliteThread) -> None:
    def half(conn: sqlite3.Connection) -> None:
        conn.execute("INSERT INTO t VALUES (3)")
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        await db.transaction(half, inline=True)
    assert await db.call(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0]) == 0
    await db.transaction(_insert(4), inline=True)  # the connection is usable again
    assert await db.call(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0]) == 1


async def test_the_wal_is_folded_back_by_the_thread_and_stays_small(
    db: SqliteThread, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Auto-checkpoints are off (they would fsync inside an inline COMMIT on the loop);
    the thread checkpoints every CHECKPOINT_EVERY transactions instead."""
    from orcheo_jupyter.store import sqlite_thread

    monkeypatch.setattr(sqlite_thread, "CHECKPOINT_EVERY", 20)
    assert await db.call(lambda c: c.execute("PRAGMA wal_autocheckpoint").fetchone()[0]) == 0
    blob = b"x" * 4096
    for _ in range(400):  # ~1.6 MB of rows through the WAL
        await db.transaction(lambda c: c.execute("INSERT INTO t VALUES (?)", (blob,)), inline=True)
    await db.call(lambda c: None)  # the last queued checkpoint has run
    await db.transaction(_insert(1), inline=True)  # the next writer restarts the WAL
    wal = tmp_path / "t.sqlite-wal"
    assert wal.stat().st_size < 400 * 1024, wal.stat().st_size
    assert await db.call(lambda c: c.execute("SELECT COUNT(*) FROM t").fetchone()[0]) == 401
