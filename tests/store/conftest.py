"""Every store test runs against both backends: SQLite files and a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from orcheo_jupyter.store import Repository, SqliteRepository


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def repo(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Repository]:
    r: Repository
    if request.param == "postgres":
        from orcheo_jupyter.store.postgres import PostgresRepository

        r = PostgresRepository(request.getfixturevalue("postgres_dsn"), max_size=4)
    else:
        r = SqliteRepository(tmp_path / "orcheo.sqlite")
    await r.open()
    yield r
    await r.close()
