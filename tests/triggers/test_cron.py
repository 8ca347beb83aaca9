"""Cron triggers with a clock the test moves: time zones, overlap, restarts, catch-up."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from typing import Any

import pytest

from orcheo_jupyter.spec.io import document_from_data
from orcheo_jupyter.triggers import CronConfig, CronScheduler, Dispatcher, triggers_of
from orcheo_jupyter.triggers.cron import next_slot
from tests.conftest import code_doc

from .conftest import START, Env, until


def cron_doc(body: str = "return state['inputs']['trigger']", **config: Any) -> dict[str, Any]:
    doc = code_doc(body, name="cron")
    doc["triggers"] = [
        {"type": "cron", "id": "tick", "config": {"expression": "0 * * * *", **config}}
    ]
    return doc


async def scheduler_for(
    env: Env, doc: dict[str, Any], wid: str = "cron"
) -> tuple[CronScheduler, Dispatcher]:
    if not await _exists(env, wid):
        await env.workflow(doc, wid)
    dispatcher = env.dispatcher()
    await dispatcher.start()
    scheduler = CronScheduler(env.store, dispatcher, clock=env.clock)
    await scheduler.load()
    specs, problems = triggers_of(document_from_data(doc), wid)
    assert problems == []
    await scheduler.set_workflow(wid, specs, 1)
    return scheduler, dispatcher


async def _exists(env: Env, wid: str) -> bool:
    try:
        await env.executor.store.get_workflow(wid)
    except LookupError:
        return False
    return True


def at(hours: float) -> dt.datetime:
    return START + dt.timedelta(hours=hours)


@pytest.mark.asyncio
async def test_fires_once_per_slot_and_the_run_gets_the_slot(env: Env) -> None:
    scheduler, dispatcher = await scheduler_for(env, cron_doc())
    try:
        assert scheduler.next_fire("cron:tick") == at(1)
        env.clock.set(at(1) - dt.timedelta(seconds=1))
        assert await scheduler.tick() == []
        env.clock.set(at(1) + dt.timedelta(seconds=3))
        fires = await scheduler.tick()
        assert [(f.scheduled_for, f.status) for f in fires] == [
            ("2030-01-07T01:00:00.000000Z", "fired")
        ]
        assert await scheduler.tick() == []  # the same slot never fires twice
        await until(lambda: dispatcher.settled["succeeded"] == 1)
    finally:
        await dispatcher.stop()
    run = await env.executor.store.get_run(fires[0].run_id or "")
    assert run.final_state["results"]["c"] == {  # type: ignore[index]
        "type": "cron",
        "id": "tick",
        "scheduled_for": "2030-01-07T01:00:00.000000Z",
    }


@pytest.mark.asyncio
async def test_time_zones_follow_daylight_saving(env: Env) -> None:
    doc = cron_doc(expression="0 9 * * MON-FRI", timezone="Europe/Paris")
    scheduler, dispatcher = await scheduler_for(env, doc)
    try:
        # 09:00 in Paris is 08:00 UTC in winter...
        assert scheduler.next_fire("cron:tick") == dt.datetime(2030, 1, 7, 8, tzinfo=dt.UTC)
    finally:
        await dispatcher.stop()
    config = CronConfig(expression="0 9 * * MON-FRI", timezone="Europe/Paris")
    # ... and 07:00 UTC in summer; Saturday 6 July is skipped.
    friday = dt.datetime(2030, 7, 5, 7, 0, tzinfo=dt.UTC)
    assert next_slot(config, friday) == dt.datetime(2030, 7, 8, 7, tzinfo=dt.UTC)


@pytest.mark.asyncio
async def test_a_restart_neither_repeats_nor_drops_fires(env: Env) -> None:
    doc = cron_doc(body="return 1")
    scheduler, dispatcher = await scheduler_for(env, doc)
    env.clock.set(at(1))
    assert len(await scheduler.tick()) == 1
    await until(lambda: dispatcher.settled["succeeded"] == 1)
    await dispatcher.stop()

    # The server is down from 01:00 to 04:30: slots 02:00, 03:00 and 04:00 are due.
    env.clock.set(at(4.5))
    again, dispatcher = await scheduler_for(env, doc)
    try:
        fires = await again.tick()
        assert [(f.scheduled_for[11:16], f.status) for f in fires] == [
            ("02:00", "missed"),
            ("03:00", "missed"),
            ("04:00", "fired"),  # catch_up=latest: the latest missed slot runs once
        ]
        assert await again.tick() == []
        await until(lambda: dispatcher.settled["succeeded"] == 1)
    finally:
        await dispatcher.stop()
    stored = await env.store.list_fires("cron")
    assert [(f.scheduled_for[11:16], f.status) for f in stored] == [
        ("04:00", "fired"),
        ("03:00", "missed"),
        ("02:00", "missed"),
        ("01:00", "fired"),
    ]
    assert "not running" in (stored[1].detail or "")
    assert (await env.executor.store.list_runs(workflow_id="cron"))[1] == 2


@pytest.mark.asyncio
async def test_catch_up_all_runs_every_missed_slot(env: Env) -> None:
    doc = cron_doc(body="return 1", catch_up="all", overlap="allow")
    scheduler, dispatcher = await scheduler_for(env, doc)
    try:
        env.clock.set(at(3.2))
        fires = await scheduler.tick()
        assert [f.status for f in fires] == ["fired", "fired", "fired"]
        await until(lambda: dispatcher.settled["succeeded"] == 3)
    finally:
        await dispatcher.stop()


@pytest.mark.asyncio
async def test_a_fire_whose_commit_failed_fires_after_the_restart(env: Env) -> None:
    doc = cron_doc(body="return 1")
    scheduler, dispatcher = await scheduler_for(env, doc)
    env.clock.set(at(1))

    async def crash(*args: Any) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    real = env.store.record_fires
    env.store.record_fires = crash  # type: ignore[method-assign]
    with pytest.raises(sqlite3.OperationalError):
        await scheduler.tick()
    env.store.record_fires = real  # type: ignore[method-assign]
    await dispatcher.stop()

    restarted, dispatcher = await scheduler_for(env, doc)
    try:
        fires = await restarted.tick()
        assert [(f.scheduled_for[11:16], f.status) for f in fires] == [("01:00", "fired")]
        await until(lambda: dispatcher.settled["succeeded"] == 1)
    finally:
        await dispatcher.stop()


@pytest.mark.asyncio
async def test_overlap_skip_and_queue(env: Env) -> None:
    gate = env.data / "gate"
    slow = (
        f"import os, time\nwhile not os.path.exists({str(gate)!r}):\n    time.sleep(0.02)\nreturn 1"
    )
    scheduler, dispatcher = await scheduler_for(env, cron_doc(body=slow))
    try:
        env.clock.set(at(1))
        assert [f.status for f in await scheduler.tick()] == ["fired"]
        await until(lambda: dispatcher.counts("cron")["running"] == 1)
        env.clock.set(at(2))
        skipped = await scheduler.tick()
        assert [(f.status, f.run_id) for f in skipped] == [("skipped", None)]
        assert "still queued or running" in (skipped[0].detail or "")
        gate.touch()
        await until(lambda: dispatcher.settled["succeeded"] == 1)
        env.clock.set(at(3))
        assert [f.status for f in await scheduler.tick()] == ["fired"]
        await until(lambda: dispatcher.settled["succeeded"] == 2)
    finally:
        await dispatcher.stop()


@pytest.mark.asyncio
async def test_queue_overlap_runs_one_after_another(env: Env) -> None:
    body = "import asyncio\nawait asyncio.sleep(0.1)\nreturn 1"
    doc = cron_doc(body=body, overlap="queue", catch_up="all")
    scheduler, dispatcher = await scheduler_for(env, doc)
    try:
        env.clock.set(at(3))
        assert [f.status for f in await scheduler.tick()] == ["fired"] * 3
        await until(lambda: dispatcher.settled["succeeded"] == 3)
    finally:
        await dispatcher.stop()
    runs, _ = await env.executor.store.list_runs(workflow_id="cron")
    spans = sorted((r.started_at or "", r.finished_at or "") for r in runs)
    assert all(spans[i][1] <= spans[i + 1][0] for i in range(2))  # never two at once


@pytest.mark.asyncio
async def test_the_loop_fires_when_the_clock_reaches_the_slot(env: Env) -> None:
    scheduler, dispatcher = await scheduler_for(env, cron_doc(body="return 1"))
    scheduler.start()
    try:
        await asyncio.sleep(0.05)
        assert await env.store.list_fires("cron") == []
        env.clock.set(at(1) + dt.timedelta(milliseconds=1))
        await until(lambda: dispatcher.settled["succeeded"] == 1)
        assert len(await env.store.list_fires("cron")) == 1
    finally:
        await scheduler.stop()
        await dispatcher.stop()
