"""Every TriggerStore operation, one implementation, on SQLite and a real PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from orcheo_jupyter.store.base import Conflict, NotFound
from orcheo_jupyter.store.sqlite_migrate import migrate
from orcheo_jupyter.triggers.records import CronFire, CronState, Delivery, Job, PollState
from orcheo_jupyter.triggers.store import SqliteTriggerStore, TriggerStore
from orcheo_jupyter.triggers.store_schema import MIGRATIONS

pytestmark = pytest.mark.asyncio
AT = "2026-12-06T00:00:00.000000Z"


@pytest_asyncio.fixture(params=["sqlite", "postgres"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[TriggerStore]:
    s: TriggerStore
    if request.param == "postgres":
        from orcheo_jupyter.triggers.store_postgres import PostgresTriggerStore

        s = PostgresTriggerStore(request.getfixturevalue("postgres_dsn"))
    else:
        s = SqliteTriggerStore(tmp_path / "triggers.sqlite")
    await s.open()
    yield s
    await s.close()


def job(n: int, wid: str = "wf", **kw: Any) -> Job:
    return Job(
        f"job-{n}", wid, None, {"n": n, "text": "é\u2028"}, "manual", f"run-{n}", 3, AT, AT, **kw
    )


async def test_jobs_round_trip_filter_page_and_delete(store: TriggerStore) -> None:
    stored = await store.add_jobs([job(1), job(2, "other"), job(3, config={"k": [1]})])
    assert [j.id for j in stored] == ["job-1", "job-2", "job-3"]
    got = await store.get_job("job-3")
    assert got.inputs == {"n": 3, "text": "é\u2028"} and got.config == {"k": [1]}
    jobs, total = await store.list_jobs(workflow_id="wf", limit=1)
    assert total == 2 and len(jobs) == 1
    running = job(1, status="running", attempt=2, attempts=[{"error": "x"}])
    running.updated_at = "2026-12-06T00:00:01.000000Z"
    await store.update_job(running)
    again = await store.get_job("job-1")
    assert (again.status, again.attempt, again.attempts) == ("running", 2, [{"error": "x"}])
    assert [j.id for j in await store.open_jobs()] == ["job-2", "job-3"]
    assert (await store.list_jobs(status="running"))[1] == 1
    await store.delete_job("job-2")
    with pytest.raises(NotFound, match="job 'job-2' not found"):
        await store.get_job("job-2")
    with pytest.raises(NotFound, match="job 'job-2' not found"):
        await store.delete_job("job-2")


async def test_a_taken_dedupe_key_returns_the_stored_job(store: TriggerStore) -> None:
    [stored] = await store.add_jobs([job(1, dedupe_key="k")])
    assert stored.id == "job-1"
    [again] = await store.add_jobs([job(2, dedupe_key="k")])
    assert again.id == "job-1" and again.run_id == "run-1"
    assert (await store.list_jobs())[1] == 1


async def test_deliveries_are_accepted_once(store: TriggerStore) -> None:
    def delivery(n: int, key: str | None, sig: str | None) -> Delivery:
        return Delivery(
            f"d{n}", "wf", f"job-{n}", f"run-{n}", AT, "POST", key, sig, {"h": "v"}, {"q": 1}
        )

    first = await store.accept_delivery(delivery(1, "key", "sig"), job(1))
    same = await store.accept_delivery(delivery(2, "key", None), job(2))
    replay = await store.accept_delivery(delivery(3, "other", "sig"), job(3))
    assert (first.outcome, same.outcome, replay.outcome) == ("accepted", "duplicate", "replayed")
    assert same.run_id == replay.run_id == "run-1"
    stored, total = await store.list_deliveries("wf")
    assert total == 1 and stored[0].headers == {"h": "v"} and stored[0].query == {"q": 1}


async def test_cron_fires_state_and_conflicts(store: TriggerStore) -> None:
    state = CronState("wf", "t", "*/5 * * * *", "UTC", AT)
    fire = CronFire("wf", "t", AT, "fired", AT, "run-1")
    await store.record_fires([fire], [job(1)], [state])
    assert await store.cron_states() == [state]
    assert await store.list_fires("wf") == [fire]
    assert await store.list_fires("wf", trigger_id="nope") == []
    with pytest.raises(Conflict, match="cron fires already recorded"):
        await store.record_fires([fire], [job(2)], [])
    assert (await store.list_jobs())[1] == 1  # the refused fire started nothing
    moved = CronState("wf", "t", "0 * * * *", "Europe/Paris", "2026-12-06T01:00:00.000000Z")
    await store.save_cron_states([moved], [])
    assert await store.cron_states() == [moved]
    await store.save_cron_states([], [("wf", "t")])
    assert await store.cron_states() == []


async def test_polls_and_policies(store: TriggerStore) -> None:
    first = PollState("wf", "p", "https://x", "abc", AT, "baseline")
    assert await store.record_poll(first, None, expected=None) == first
    changed = PollState("wf", "p", "https://x", "def", AT, "fired", run_id="run-9")
    assert await store.record_poll(changed, job(9), expected="abc") == changed
    assert await store.poll_states() == [changed]
    assert (await store.get_job("job-9")).run_id == "run-9"
    await store.drop_poll_states([("wf", "p")])
    assert await store.poll_states() == []
    await store.set_policy("wf", {"max_concurrency": 2}, AT)
    await store.set_policy("wf", {"max_concurrency": 3}, AT)
    assert await store.policies() == {"wf": {"max_concurrency": 3}}


async def test_concurrent_deliveries_share_commits_and_stay_unique(
    store: TriggerStore,
) -> None:
    deliveries = [
        Delivery(f"d{n}", "wf", f"job-{n}", f"run-{n}", AT, "POST", f"k{n % 10}") for n in range(50)
    ]
    results = await asyncio.gather(
        *(store.accept_delivery(d, job(n)) for n, d in enumerate(deliveries))
    )
    assert sum(r.outcome == "accepted" for r in results) == 10
    assert (await store.list_jobs(limit=100))[1] == 10


async def test_an_old_sqlite_file_keeps_its_rows_under_the_shared_names(tmp_path: Path) -> None:
    path = tmp_path / "triggers.sqlite"
    conn = sqlite3.connect(path, isolation_level=None)
    migrate(conn, {v: MIGRATIONS[v] for v in (1, 2)})  # a file from before the rename
    conn.execute(
        "INSERT INTO policies (workflow_id, data, updated_at) VALUES ('wf', '{\"a\": 1}', ?)", (AT,)
    )
    conn.close()
    store = SqliteTriggerStore(path)
    await store.open()
    try:
        assert await store.policies() == {"wf": {"a": 1}}
    finally:
        await store.close()
