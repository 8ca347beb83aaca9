"""Cron triggers: croniter schedules in time zones, fired exactly once per slot.

Each trigger's last handled slot is stored. A tick finds the slots due since
then, decides what to do with each (run it; skip it because a run from this
trigger is still going; record it as missed because it was due while the server
was down and the catch-up policy says so) and stores the fires, the jobs they
start and the new last slot in one transaction. After a crash the next start
resumes from the stored slot: a slot whose transaction committed is never fired
again, one whose transaction did not is fired then, and slots that are not run
are recorded as missed, never dropped silently. Fires are also unique per
(trigger, slot) in the store, so two servers on one data dir cannot both fire.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from croniter import croniter

from ..store.base import Conflict
from .config import CronConfig, TriggerSpec
from .dispatcher import iso, parse_iso
from .records import CronFire, CronState, Job
from .ticking import TriggerTable

log = logging.getLogger(__name__)

#: Slots looked at per trigger and tick: a schedule every minute, down for a week,
#: is handled over a few ticks instead of one enormous transaction.
MAX_SLOTS_PER_TICK = 5000


@dataclass
class _Entry:
    spec: TriggerSpec
    config: CronConfig
    version: int | None
    last: dt.datetime  # last handled slot

    def state(self, last: dt.datetime) -> CronState:
        """What the store keeps for this trigger once ``last`` is its last handled slot."""
        spec, config = self.spec, self.config
        return CronState(
            spec.workflow_id, spec.trigger_id, config.expression, config.timezone, iso(last)
        )


def _slots(
    config: CronConfig, after: dt.datetime, until: dt.datetime
) -> tuple[list[dt.datetime], bool]:
    """Slots in (after, until], in UTC, within start_at/end_at; and whether more follow.

    At most MAX_SLOTS_PER_TICK are returned; the rest come in the next tick.
    """
    zone = ZoneInfo(config.timezone)
    start = after
    if config.start_at is not None and config.start_at > start:
        start = config.start_at - dt.timedelta(microseconds=1)
    schedule = croniter(config.expression, start.astimezone(zone))
    found: list[dt.datetime] = []
    while True:
        slot = schedule.get_next(dt.datetime).astimezone(dt.UTC)
        if slot > until or (config.end_at is not None and slot > config.end_at):
            return found, False
        if slot > after:
            if len(found) == MAX_SLOTS_PER_TICK:
                return found, True
            found.append(slot)


def next_slot(config: CronConfig, after: dt.datetime) -> dt.datetime | None:
    zone = ZoneInfo(config.timezone)
    start = after
    if config.start_at is not None and config.start_at > start:
        start = config.start_at - dt.timedelta(microseconds=1)
    slot = croniter(config.expression, start.astimezone(zone)).get_next(dt.datetime)
    slot = slot.astimezone(dt.UTC)
    if config.end_at is not None and slot > config.end_at:
        return None
    return slot


class CronScheduler(TriggerTable[CronState, _Entry]):
    name = "cron"
    kind = "cron"
    config_type = CronConfig

    async def stored_states(self) -> list[CronState]:
        """The stored last-fire times."""
        return await self.store.cron_states()

    def _enter(self, spec: TriggerSpec, version: int | None, now: dt.datetime) -> _Entry:
        assert isinstance(spec.config, CronConfig)
        stored = self._stored.get(spec.key)
        # A trigger seen for the first time starts from now: the past is not owed.
        last = parse_iso(stored.last_fire_at) if stored else now
        return _Entry(spec, spec.config, version, last)

    async def _keep(self, entered: list[str], dropped: list[tuple[str, str]]) -> None:
        """Store each entered trigger's schedule and last slot where they changed."""
        save = []
        for key in entered:
            entry = self._entries[key]
            state = entry.state(entry.last)
            if self._stored.get(key) != state:
                save.append(state)
                self._stored[key] = state
        if save or dropped:
            await self.store.save_cron_states(save, dropped)

    def next_fire(self, key: str) -> dt.datetime | None:
        entry = self._entries.get(key)
        return None if entry is None else next_slot(entry.config, entry.last)

    def last_fire(self, key: str) -> dt.datetime | None:
        entry = self._entries.get(key)
        return None if entry is None else entry.last

    # --- firing --------------------------------------------------------------------------
    async def tick(self) -> list[CronFire]:
        """Handle every slot due now; returns what was recorded."""
        async with self._lock:
            now = self.clock.now()
            fires: list[CronFire] = []
            jobs: list[Job] = []
            states: list[CronState] = []
            updates: list[tuple[_Entry, dt.datetime]] = []
            for entry in self._entries.values():
                slots, more = _slots(entry.config, entry.last, now)
                if not slots:
                    continue
                decided, new_jobs = self._decide(entry, slots, now, more)
                fires += decided
                jobs += new_jobs
                states.append(entry.state(slots[-1]))
                updates.append((entry, slots[-1]))
            if not fires:
                return []
            try:
                await self.store.record_fires(fires, jobs, states)
            except Conflict:
                # Another process fired these slots first: take its state and move on.
                log.warning("orcheo: cron fires already recorded by another process")
                await self.load()
                for entry, _ in updates:
                    stored = self._stored.get(entry.spec.key)
                    if stored is not None:
                        entry.last = parse_iso(stored.last_fire_at)
                return []
            for entry, last in updates:
                entry.last = last
                self._stored[entry.spec.key] = entry.state(last)
            for job in jobs:
                self.dispatcher.add(job)
            return fires

    def _decide(
        self, entry: _Entry, slots: list[dt.datetime], now: dt.datetime, more: bool
    ) -> tuple[list[CronFire], list[Job]]:
        """Fire, skip or record as missed each due slot (``more``: later slots are due too)."""
        config, spec = entry.config, entry.spec
        grace = dt.timedelta(seconds=config.misfire_grace_seconds)
        run: list[dt.datetime]
        if more:
            run = []  # the catch-up policy applies to the most recent slots, in a later tick
        elif config.catch_up == "all":
            run = slots[-config.max_catch_up :]
        elif config.catch_up == "latest":
            run = slots[-1:]
        else:
            run = [s for s in slots if now - s <= grace]
        chosen = set(run)
        at = iso(now)
        fires: list[CronFire] = []
        jobs: list[Job] = []
        open_runs = self.dispatcher.open_count(spec.key)
        for slot in slots:
            when = iso(slot)
            if slot not in chosen:
                fires.append(
                    CronFire(
                        spec.workflow_id,
                        spec.trigger_id,
                        when,
                        "missed",
                        at,
                        detail="due while the scheduler was not running"
                        f" (catch_up={config.catch_up})",
                    )
                )
                continue
            if config.overlap == "skip" and open_runs > 0:
                fires.append(
                    CronFire(
                        spec.workflow_id,
                        spec.trigger_id,
                        when,
                        "skipped",
                        at,
                        detail="a run from this trigger was still queued or running (overlap=skip)",
                    )
                )
                continue
            inputs: dict[str, Any] = {
                **config.inputs,
                "trigger": {"type": "cron", "id": spec.trigger_id, "scheduled_for": when},
            }
            job = self.dispatcher.new_job(
                spec.workflow_id,
                inputs,
                source="cron",
                version=entry.version,
                source_key=spec.key,
                serial=config.overlap == "queue",
            )
            jobs.append(job)
            open_runs += 1
            fires.append(CronFire(spec.workflow_id, spec.trigger_id, when, "fired", at, job.run_id))
        return fires, jobs

    # --- the loop --------------------------------------------------------------------------
    def next_due(self) -> dt.datetime | None:
        upcoming = [s for s in (self.next_fire(k) for k in self._entries) if s is not None]
        return min(upcoming, default=None)
