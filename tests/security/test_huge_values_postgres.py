"""The same size caps and shared values with the repository and checkpoints in PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.store.postgres import PostgresRepository
from tests.conftest import code_doc, linear_doc
from tests.postgres.test_executor_on_postgres import postgres_settings

from .test_huge_values import LIMIT_HINT, MIB, _assert_stored_failure


@pytest_asyncio.fixture
async def executor(tmp_path: Path, postgres_dsn: str) -> AsyncIterator[Executor]:
    ex = await Executor.open(
        postgres_settings(tmp_path, postgres_dsn, durability="sync", max_value_bytes=MIB)
    )
    try:
        assert isinstance(ex.store, PostgresRepository)
        yield ex
    finally:
        await ex.aclose()


@pytest.mark.asyncio
async def test_oversized_output_fails_only_its_run_on_postgres(executor: Executor) -> None:
    bomb = await executor.submit(code_doc("return 'a' * 2_000_000", node_id="big"))
    neighbours = [await executor.submit(linear_doc("a", "b"), {"n": i}) for i in range(5)]
    for run_id in neighbours:
        assert (await executor.wait(run_id, timeout=30)).status == "succeeded"
        assert (await executor.store.get_run(run_id)).status == "succeeded"
    await executor.wait(bomb, timeout=30)
    await _assert_stored_failure(executor, bomb, "big", "1 MiB")


@pytest.mark.asyncio
async def test_state_that_outgrows_the_limit_fails_on_postgres(executor: Executor) -> None:
    doc = linear_doc("a", "b", "c")
    for node in doc["graph"]["ir"]["nodes"]:
        node.update(kind="code", body="return 'x' * 400_000", config={})
        node.pop("type")
    record = await asyncio.wait_for(executor.execute(doc), 30)
    assert record.status == "failed"
    assert record.error is not None and LIMIT_HINT in record.error
    assert "the run's state (a checkpoint) is 1.1 MiB when stored" in record.error
    assert (await executor.store.get_run(record.id)).status == "failed"


@pytest.mark.asyncio
async def test_large_inputs_are_stored_once_on_postgres(executor: Executor) -> None:
    inputs = {"blob": "p" * 300_000}
    record = await asyncio.wait_for(executor.execute(linear_doc("a"), inputs), 30)
    assert record.status == "succeeded"
    stored = await executor.store.get_run(record.id)
    assert stored.inputs == inputs
    assert stored.final_state["inputs"] == inputs  # type: ignore[index]
    events = await executor.store.list_events(record.id)
    assert events[0].data == {"inputs": {"$ref": "#/inputs"}}
    assert events[-1].data == {"state": {"$ref": "#/final_state"}}
