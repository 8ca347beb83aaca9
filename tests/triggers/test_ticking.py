"""The tick loop both cron and polling run on: how long it sleeps between ticks."""

from __future__ import annotations

import datetime as dt

import pytest

from orcheo_jupyter.triggers import ManualClock
from orcheo_jupyter.triggers.polling import HttpPoller
from orcheo_jupyter.triggers.ticking import MAX_SLEEP_SECONDS, TickLoop

from .conftest import START, Env
from .test_cron import cron_doc, scheduler_for

pytestmark = pytest.mark.asyncio


class Due(TickLoop):
    def __init__(self, clock: ManualClock, due: dt.datetime | None) -> None:
        super().__init__(clock)
        self.due = due

    def next_due(self) -> dt.datetime | None:
        return self.due


async def test_the_loop_sleeps_until_the_next_due_time_and_never_over_a_minute() -> None:
    clock = ManualClock(START)
    assert MAX_SLEEP_SECONDS == 60.0
    assert Due(clock, START + dt.timedelta(seconds=30)).seconds_to_next() == 30.0
    assert Due(clock, START + dt.timedelta(hours=1)).seconds_to_next() == 60.0  # a clock may jump
    assert Due(clock, START - dt.timedelta(seconds=5)).seconds_to_next() == 0.0  # overdue
    assert Due(clock, None).seconds_to_next() == 60.0  # nothing registered


async def test_cron_is_due_at_its_next_slot_and_polling_with_nothing_registered_never(
    env: Env,
) -> None:
    scheduler, dispatcher = await scheduler_for(env, cron_doc())  # hourly, on the hour
    try:
        assert scheduler.next_due() == START + dt.timedelta(hours=1)
        env.clock.set(START + dt.timedelta(minutes=59, seconds=45))
        assert scheduler.seconds_to_next() == 15.0
    finally:
        await dispatcher.stop()
    poller = HttpPoller(env.store, dispatcher, clock=env.clock)
    assert poller.next_due() is None
    assert poller.seconds_to_next() == 60.0
