"""The SQLite repository specifically: two processes sharing one file."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from orcheo_jupyter.store import SqliteRepository

WRITER = textwrap.dedent(
    """
    import asyncio, sys
    from orcheo_jupyter.store import SqliteRepository, RunRecord, EventRecord, RunUpdate, RunBatch

    async def main(path, tag):
        repo = SqliteRepository(path)
        await repo.open()
        for i in range(100):
            rid = f"{tag}-{i}"
            await repo.create_run(RunRecord(id=rid, checksum="c", status="pending", inputs={},
                                            created_at="t", updated_at="t"))
            await repo.write_batch(RunBatch(
                [EventRecord(rid, s, "e", "t", None, {"s": s}) for s in range(1, 6)],
                [RunUpdate(rid, "t", {"status": "succeeded", "last_seq": 5})],
            ))
        await repo.close()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.mark.asyncio
async def test_two_processes_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "shared.sqlite"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), tag], stderr=subprocess.PIPE, text=True
        )
        for tag in ("kernel", "server")
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    repo = SqliteRepository(path)
    await repo.open()
    try:
        runs, total = await repo.list_runs(limit=1000)
        assert total == 200
        assert {r.status for r in runs} == {"succeeded"}
        for tag in ("kernel", "server"):
            assert [e.seq for e in await repo.list_events(f"{tag}-42")] == [1, 2, 3, 4, 5]
    finally:
        await repo.close()
