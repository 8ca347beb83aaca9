"""The trigger services' tests again, with runs, checkpoints and trigger state in PostgreSQL."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.triggers import ManualClock
from orcheo_jupyter.triggers.records import Delivery, Job
from orcheo_jupyter.triggers.store_postgres import PostgresTriggerStore
from tests.postgres.test_executor_on_postgres import postgres_settings
from tests.triggers import test_cron, test_dispatcher, test_polling, test_recovery
from tests.triggers.conftest import START, Env, until


@pytest_asyncio.fixture
async def env(tmp_path: Path, postgres_dsn: str) -> AsyncIterator[Env]:
    data = tmp_path / "data"  # tests keep files here (gates, logs); no SQLite goes there
    data.mkdir()
    executor = await Executor.open(postgres_settings(tmp_path, postgres_dsn, durability="sync"))
    store = PostgresTriggerStore(postgres_dsn)
    await store.open()
    try:
        yield Env(executor, store, ManualClock(START), data)  # type: ignore[arg-type]
    finally:
        await executor.aclose()
        await store.close()


feed = test_polling.feed  # the polled HTTP server, for the polling tests
vault = test_polling.vault

for _module in (test_cron, test_dispatcher, test_polling, test_recovery):
    for _name, _test in inspect.getmembers(_module, inspect.isfunction):
        if _name.startswith("test_") and "env" in inspect.signature(_test).parameters:
            globals()[_name] = _test


@pytest.mark.asyncio
async def test_two_servers_fire_each_cron_slot_once(env: Env, postgres_dsn: str) -> None:
    """Two schedulers (as in two server processes) on one database, ticking together."""
    doc = test_cron.cron_doc(body="return 1")
    first, first_dispatch = await test_cron.scheduler_for(env, doc)
    other_store = PostgresTriggerStore(postgres_dsn)
    await other_store.open()
    other = Env(env.executor, other_store, env.clock, env.data)  # type: ignore[arg-type]
    second, second_dispatch = await test_cron.scheduler_for(other, doc)
    try:
        for hour in (1, 2, 3):
            env.clock.set(test_cron.at(hour))
            a, b = await asyncio.gather(first.tick(), second.tick())
            assert sorted(len(x) for x in (a, b)) == [0, 1]  # one of them fired the slot
            await until(
                lambda h=hour: (
                    first_dispatch.settled["succeeded"] + second_dispatch.settled["succeeded"] == h
                )
            )
        fires = await env.store.list_fires("cron")
        assert [(f.scheduled_for[11:16], f.status) for f in fires] == [
            ("03:00", "fired"),
            ("02:00", "fired"),
            ("01:00", "fired"),
        ]
        await until(
            lambda: first_dispatch.settled["succeeded"] + second_dispatch.settled["succeeded"] == 3
        )
        runs, total = await env.executor.store.list_runs(workflow_id="cron")
        assert total == 3 and {r.status for r in runs} == {"succeeded"}
    finally:
        await first_dispatch.stop()
        await second_dispatch.stop()
        await other_store.close()


@pytest.mark.asyncio
async def test_one_delivery_per_idempotency_key_across_servers(env: Env, postgres_dsn: str) -> None:
    stores = [PostgresTriggerStore(postgres_dsn) for _ in range(3)]
    for store in stores:
        await store.open()
    try:

        def delivery(i: int) -> tuple[Delivery, Job]:
            job = Job(
                id=f"job{i}",
                workflow_id="wf",
                version=1,
                inputs={},
                source="webhook",
                run_id=f"run{i}",
                max_attempts=1,
                created_at="t",
                updated_at="t",
            )
            return Delivery(f"d{i}", "wf", job.id, job.run_id, "t", "POST", "key-1"), job

        results = await asyncio.gather(
            *(store.accept_delivery(*delivery(i)) for i, store in enumerate(stores))
        )
        assert sorted(r.outcome for r in results) == ["accepted", "duplicate", "duplicate"]
        assert len({r.run_id for r in results}) == 1
        assert (await stores[0].list_jobs())[1] == 1
    finally:
        for store in stores:
            await store.close()
