"""Postgres schema migrations and several processes sharing one database."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import psycopg
import pytest

from orcheo_jupyter.store.postgres import PostgresRepository
from orcheo_jupyter.store.postgres_schema import MIGRATIONS, SchemaTooNew, migrate


def applied(dsn: str) -> list[tuple[int, str]]:
    with psycopg.connect(dsn) as conn:
        rows = conn.execute(
            "SELECT version, description FROM orcheo_schema_migrations ORDER BY version"
        ).fetchall()
    return [(int(v), str(d)) for v, d in rows]


@pytest.mark.asyncio
async def test_migrations_apply_once_in_order(postgres_dsn: str) -> None:
    repo = PostgresRepository(postgres_dsn)
    await repo.open()
    try:
        assert applied(postgres_dsn) == [(m.version, m.description) for m in MIGRATIONS]
        async with repo.pool.connection() as conn:
            assert await migrate(conn) == []  # nothing left to apply
    finally:
        await repo.close()
    again = PostgresRepository(postgres_dsn)
    await again.open()  # a restart applies nothing and keeps the data
    await again.close()
    assert [v for v, _ in applied(postgres_dsn)] == [m.version for m in MIGRATIONS]


@pytest.mark.asyncio
async def test_a_newer_schema_is_refused(postgres_dsn: str) -> None:
    repo = PostgresRepository(postgres_dsn)
    await repo.open()
    await repo.close()
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute("INSERT INTO orcheo_schema_migrations (version, description) VALUES (99, 'x')")
    newer = PostgresRepository(postgres_dsn)
    with pytest.raises(SchemaTooNew, match="schema version 99, newer than this orcheo-jupyter"):
        await newer.open()
    await newer.close()


STARTER = textwrap.dedent(
    """
    import asyncio, sys
    from orcheo_jupyter.settings import Settings
    from orcheo_jupyter.runtime.executor import Executor
    from orcheo_jupyter.store import RunRecord, EventRecord, RunUpdate, RunBatch

    async def main(dsn, tag):
        settings = Settings(repository_backend="postgres", checkpoint_backend="postgres",
                            postgres_dsn=dsn)
        ex = await Executor.open(settings)  # migrates the repository and checkpoint tables
        repo = ex.store
        for i in range(100):
            rid = f"{tag}-{i}"
            await repo.create_run(RunRecord(id=rid, checksum="c", status="pending", inputs={},
                                            created_at="t", updated_at="t"))
            await repo.write_batch(RunBatch(
                [EventRecord(rid, s, "e", "t", None, {"s": s}) for s in range(1, 6)],
                [RunUpdate(rid, "t", {"status": "running"}),
                 RunUpdate(rid, "t", {"status": "succeeded", "last_seq": 5})],
            ))
        await ex.aclose()

    asyncio.run(main(sys.argv[1], sys.argv[2]))
    """
)


@pytest.mark.asyncio
async def test_processes_starting_together_migrate_once_and_write_in_parallel(
    postgres_dsn: str,
) -> None:
    tags = ("server-a", "server-b", "worker-a", "worker-b")
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", STARTER, postgres_dsn, tag], stderr=subprocess.PIPE, text=True
        )
        for tag in tags
    ]
    for p in procs:
        _, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
    assert [v for v, _ in applied(postgres_dsn)] == [m.version for m in MIGRATIONS]
    repo = PostgresRepository(postgres_dsn)
    await repo.open()
    try:
        runs, total = await repo.list_runs(limit=1000)
        assert total == 400 and {r.status for r in runs} == {"succeeded"}
        for tag in tags:
            assert [e.seq for e in await repo.list_events(f"{tag}-42")] == [1, 2, 3, 4, 5]
            assert [t.status for t in await repo.list_transitions(f"{tag}-7")] == [
                "pending",
                "running",
                "succeeded",
            ]
    finally:
        await repo.close()
