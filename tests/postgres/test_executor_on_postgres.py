"""The executor's test suite again, with the repository and checkpoints in PostgreSQL.

Only configuration changes (``repository_backend``/``checkpoint_backend`` =
postgres and a DSN): the very same tests must pass, which is the promise that
workflows move from one Jupyter server to Postgres with no code changes.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from orcheo_jupyter.runtime.checkpoints_postgres import PooledPostgresSaver
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.store.postgres import PostgresRepository
from tests.conftest import code_doc
from tests.runtime import test_executor as suite


def postgres_settings(tmp_path: Path, dsn: str, **kw: object) -> Settings:
    return Settings(
        data_dir=tmp_path / "unused",
        repository_backend="postgres",
        checkpoint_backend="postgres",
        postgres_dsn=dsn,
        **kw,  # type: ignore[arg-type]
    )


@pytest_asyncio.fixture
async def executor(tmp_path: Path, postgres_dsn: str) -> AsyncIterator[Executor]:
    ex = await Executor.open(postgres_settings(tmp_path, postgres_dsn, durability="sync"))
    try:
        assert isinstance(ex.store, PostgresRepository)
        assert isinstance(ex.checkpointer, PooledPostgresSaver)
        yield ex
    finally:
        await ex.aclose()


# Every executor test that takes the ``executor`` fixture runs here on Postgres.
for _name, _test in inspect.getmembers(suite, inspect.isfunction):
    if _name.startswith("test_") and "executor" in inspect.signature(_test).parameters:
        globals()[_name] = _test


@pytest.mark.asyncio
async def test_resume_survives_a_new_executor_on_postgres(
    tmp_path: Path, postgres_dsn: str
) -> None:
    settings = postgres_settings(tmp_path, postgres_dsn)
    first = await Executor.open(settings)
    record = await first.execute(code_doc("return {'got': interrupt('name?')}", node_id="ask"))
    assert record.status == "interrupted"
    await first.aclose()
    second = await Executor.open(settings)
    try:
        await second.resume(record.id, "Ada")
        done = await second.wait(record.id)
        assert done.final_state["results"]["ask"] == {"got": "Ada"}
        seqs = [e.seq for e in await second.store.list_events(record.id)]
        assert seqs == list(range(1, len(seqs) + 1))
        statuses = [t.status for t in await second.store.list_transitions(record.id)]
        assert statuses == ["pending", "running", "interrupted", "running", "succeeded"]
    finally:
        await second.aclose()
    assert not (tmp_path / "unused").exists()  # nothing went to SQLite files


@pytest.mark.asyncio
async def test_missing_dsn_and_unknown_backend_name_the_setting(tmp_path: Path) -> None:
    with pytest.raises(
        ValueError, match="ORCHEO_REPOSITORY_BACKEND=postgres needs ORCHEO_POSTGRES_DSN"
    ):
        await Executor.open(Settings(data_dir=tmp_path, repository_backend="postgres"))
    with pytest.raises(
        ValueError, match="ORCHEO_CHECKPOINT_BACKEND must be one of sqlite, postgres, not 'mysql'"
    ):
        await Executor.open(Settings(data_dir=tmp_path, checkpoint_backend="mysql"))
