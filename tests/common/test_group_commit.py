"""The one batching class: concurrent submits share a call; a bad item fails alone."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from pathlib import Path

import pytest

from orcheo_jupyter.store.group_commit import GroupCommit
from orcheo_jupyter.store.sqlite_thread import SqliteThread

pytestmark = pytest.mark.asyncio


async def test_items_arriving_during_a_call_go_together_into_the_next() -> None:
    batches: list[list[int]] = []
    release = asyncio.Event()

    async def call(items: Sequence[int]) -> list[int | BaseException]:
        batches.append(list(items))
        if len(batches) == 1:
            await release.wait()
        return [i * 10 for i in items]

    group: GroupCommit[int, int] = GroupCommit(call)
    first = asyncio.create_task(group.submit(1))
    await asyncio.sleep(0)  # the first call is in flight
    rest = [asyncio.create_task(group.submit(i)) for i in (2, 3, 4)]
    await asyncio.sleep(0)
    release.set()
    assert await first == 10 and await asyncio.gather(*rest) == [20, 30, 40]
    assert batches == [[1], [2, 3, 4]]


async def test_max_batch_splits_a_queue() -> None:
    batches: list[list[int]] = []

    async def call(items: Sequence[int]) -> list[int | BaseException]:
        batches.append(list(items))
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(call, max_batch=2)
    assert await asyncio.gather(*(group.submit(i) for i in range(5))) == [0, 1, 2, 3, 4]
    assert batches == [[0, 1], [2, 3], [4]]


async def test_an_item_the_call_refuses_fails_alone() -> None:
    async def call(items: Sequence[int]) -> list[int | BaseException]:
        if 13 in items:
            raise ValueError("13 is unlucky")
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(call)
    results = await asyncio.gather(*(group.submit(i) for i in range(20)), return_exceptions=True)
    assert [r for r in results if not isinstance(r, BaseException)] == [
        i for i in range(20) if i != 13
    ]
    assert str(results[13]) == "13 is unlucky"


async def test_sqlite_batches_are_one_transaction_each(tmp_path: Path) -> None:
    db = SqliteThread(tmp_path / "g.sqlite")
    await db.open()
    try:
        await db.call(lambda conn: conn.execute("CREATE TABLE t (v TEXT NOT NULL)"))

        def work(conn: sqlite3.Connection, items: Sequence[str | None]) -> list[None]:
            conn.executemany("INSERT INTO t (v) VALUES (?)", [(v,) for v in items])
            return [None] * len(items)

        group: GroupCommit[str | None, None] = GroupCommit.sqlite(db, work)
        values: list[str | None] = [f"v{i}" for i in range(50)]
        values[7] = None  # NOT NULL: this one item fails, the others commit
        results = await asyncio.gather(*(group.submit(v) for v in values), return_exceptions=True)
        assert isinstance(results[7], sqlite3.IntegrityError)
        rows = await db.call(lambda conn: conn.execute("SELECT v FROM t ORDER BY rowid").fetchall())
        assert [r[0] for r in rows] == [v for v in values if v is not None]
    finally:
        await db.close()


async def test_cancelling_the_drain_fails_the_batch_in_flight() -> None:
    started = asyncio.Event()

    async def call(items: Sequence[int]) -> list[int | BaseException]:
        started.set()
        await asyncio.sleep(3600)
        return list(items)

    group: GroupCommit[int, int] = GroupCommit(call)
    waiter = asyncio.create_task(group.submit(1))
    await started.wait()
    assert group._task is not None
    group._task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
