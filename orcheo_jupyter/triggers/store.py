"""Durable trigger state; SQLite (its own file) is the embedded default.

``TriggerStore`` holds the queries once for SQLite and Postgres (see
``store/sql.py``); the backends differ only in how deliveries and job updates
reach the database. On SQLite they are group-committed: a webhook answers 202
only after the transaction holding its delivery is committed, and hundreds of
concurrent deliveries share one commit. On Postgres several servers write at
once, so the unique constraints decide: a delivery whose idempotency key or
signature another server stored first comes back as that delivery, and a cron
slot another server recorded first raises ``Conflict`` (each slot fires once).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..store.base import Conflict, NotFound
from ..store.group_commit import GroupCommit
from ..store.sql import (
    Dialect,
    Duplicate,
    Row,
    SqlStore,
    Steps,
    drive,
    fetch_all,
    fetch_one,
    insert,
    many,
    one,
    page,
    run,
    run_many,
    upsert,
    where,
)
from ..store.sqlite_migrate import SqliteStore
from .records import Accepted, CronFire, CronState, Delivery, Job, PollState, merge_poll
from .store_schema import (
    _DELIVERY_COLUMNS,
    _DELIVERY_JSON,
    _JOB_COLUMNS,
    _JOB_JSON,
    _JOB_MUTABLE,
    CRON_STATE_COLUMNS,
    FIRE_COLUMNS,
    MIGRATIONS,
    POLL_COLUMNS,
)

_INSERT_JOB = insert("trigger_jobs", _JOB_COLUMNS)
_INSERT_DELIVERY = insert("trigger_deliveries", _DELIVERY_COLUMNS)
_UPDATE_JOB = f"UPDATE trigger_jobs SET {', '.join(f'{c} = ?' for c in _JOB_MUTABLE)} WHERE id = ?"
_UPSERT_STATE = upsert("cron_state", CRON_STATE_COLUMNS, ("workflow_id", "trigger_id"))
_UPSERT_POLL = upsert("poll_state", POLL_COLUMNS, ("workflow_id", "trigger_id"))
_INSERT_FIRE = insert("cron_fires", FIRE_COLUMNS)
_CRON_STATES = "SELECT * FROM cron_state"
_DROP_POLL = "DELETE FROM poll_state WHERE workflow_id = ? AND trigger_id = ?"


def _job_values(d: Dialect, job: Job, columns: Sequence[str]) -> list[Any]:
    values = []
    for c in columns:
        value = getattr(job, c)
        if c in _JOB_JSON:
            value = d.json(value)
        elif c == "serial":
            value = int(value)
        values.append(value)
    return values


def _job(d: Dialect, row: Row) -> Job:
    data = {c: row[c] for c in _JOB_COLUMNS}
    for c in _JOB_JSON:
        data[c] = d.from_json(data[c])
    data["serial"] = bool(data["serial"])
    return Job(**data)


def _delivery(d: Dialect, row: Row) -> Delivery:
    data = {c: row[c] for c in _DELIVERY_COLUMNS}
    for c in _DELIVERY_JSON:
        data[c] = d.from_json(data[c])
    return Delivery(**data)


def _delivery_values(d: Dialect, delivery: Delivery) -> list[Any]:
    return [
        d.json(getattr(delivery, c)) if c in _DELIVERY_JSON else getattr(delivery, c)
        for c in _DELIVERY_COLUMNS
    ]


#: The workflow's stored delivery with the same signature (a replay) or idempotency key.
_DELIVERY_BY = {
    column: "SELECT id, run_id, idempotency_key FROM trigger_deliveries"
    f" WHERE workflow_id = ? AND {column} = ?"
    for column in ("signature", "idempotency_key")
}


def _accept(d: Dialect, delivery: Delivery, job: Job) -> Steps[Accepted]:
    """Store the delivery and its job, unless an earlier delivery already stands for it."""
    wid = delivery.workflow_id
    if delivery.signature is not None:
        seen = yield one(_DELIVERY_BY["signature"], (wid, delivery.signature))
        if seen is not None:
            same = (
                delivery.idempotency_key is not None
                and seen["idempotency_key"] == delivery.idempotency_key
            )
            return Accepted("duplicate" if same else "replayed", seen["id"], seen["run_id"])
    if delivery.idempotency_key is not None:
        seen = yield one(_DELIVERY_BY["idempotency_key"], (wid, delivery.idempotency_key))
        if seen is not None:
            return Accepted("duplicate", seen["id"], seen["run_id"])
    yield run(_INSERT_JOB, _job_values(d, job, _JOB_COLUMNS))
    yield run(_INSERT_DELIVERY, _delivery_values(d, delivery))
    return Accepted("accepted", delivery.id, delivery.run_id)


def _update_jobs(d: Dialect, jobs: Sequence[Job]) -> Steps[None]:
    yield many(_UPDATE_JOB, [(*_job_values(d, j, _JOB_MUTABLE), j.id) for j in jobs])


def _cron_state(r: Row) -> CronState:
    return CronState(*(r[c] for c in CRON_STATE_COLUMNS))


def _state_values(s: CronState) -> tuple[Any, ...]:
    return tuple(getattr(s, c) for c in CRON_STATE_COLUMNS)


class TriggerStore(SqlStore):
    """Durable trigger state: the queries, once for SQLite and Postgres (``self._sql``)."""

    @property
    def _d(self) -> Dialect:
        return self._sql.dialect

    async def accept_delivery(self, delivery: Delivery, job: Job) -> Accepted:
        return await self._sql.write(lambda: _accept(self._d, delivery, job))

    async def update_job(self, job: Job) -> None:
        await self._sql.write(lambda: _update_jobs(self._d, [job]))

    async def add_jobs(self, jobs: list[Job]) -> list[Job]:
        """Store new jobs; a job whose dedupe key is taken comes back as the stored one."""
        d = self._d

        def steps() -> Steps[list[Job]]:
            out = []
            for job in jobs:
                values = _job_values(d, job, _JOB_COLUMNS)
                if job.dedupe_key is None:
                    yield run(_INSERT_JOB, values)
                elif (
                    yield one(
                        insert(
                            "trigger_jobs",
                            _JOB_COLUMNS,
                            "ON CONFLICT (workflow_id, dedupe_key) DO NOTHING RETURNING id",
                        ),
                        values,
                    )
                ) is None:
                    stored = yield one(
                        "SELECT * FROM trigger_jobs WHERE workflow_id = ? AND dedupe_key = ?",
                        (job.workflow_id, job.dedupe_key),
                    )
                    out.append(_job(d, stored))
                    continue
                out.append(job)
            return out

        return await self._sql.write(steps)

    async def get_job(self, job_id: str) -> Job:
        row = await self._sql.read(
            lambda: fetch_one("SELECT * FROM trigger_jobs WHERE id = ?", (job_id,))
        )
        if row is None:
            raise NotFound(f"job {job_id!r} not found")
        return _job(self._d, row)

    async def open_jobs(self) -> list[Job]:
        found = await self._sql.read(
            lambda: fetch_all(
                "SELECT * FROM trigger_jobs WHERE status IN ('queued', 'retrying')"
                " ORDER BY created_at, id"
            )
        )
        return [_job(self._d, r) for r in found]

    async def list_jobs(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Job], int]:
        clause, params = where(
            [("workflow_id = ?", workflow_id or None), ("status = ?", status or None)]
        )
        found, total = await self._sql.read(
            lambda: page("trigger_jobs", clause, params, "updated_at DESC, id", limit, offset)
        )
        return [_job(self._d, r) for r in found], total

    async def delete_job(self, job_id: str) -> None:
        def steps() -> Steps[None]:
            if (yield run("DELETE FROM trigger_jobs WHERE id = ?", (job_id,))) != 1:
                raise NotFound(f"job {job_id!r} not found")

        await self._sql.write(steps)

    async def list_deliveries(
        self, workflow_id: str, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[Delivery], int]:
        clause, params = where([("workflow_id = ?", workflow_id)])
        found, total = await self._sql.read(
            lambda: page(
                "trigger_deliveries", clause, params, "received_at DESC, id", limit, offset
            )
        )
        return [_delivery(self._d, r) for r in found], total

    async def cron_states(self) -> list[CronState]:
        return [_cron_state(r) for r in await self._sql.read(lambda: fetch_all(_CRON_STATES))]

    async def save_cron_states(self, states: list[CronState], drop: list[tuple[str, str]]) -> None:
        def steps() -> Steps[None]:
            yield many(_UPSERT_STATE, [_state_values(s) for s in states])
            yield many("DELETE FROM cron_state WHERE workflow_id = ? AND trigger_id = ?", drop)

        await self._sql.write(steps)

    async def record_fires(
        self, fires: list[CronFire], jobs: list[Job], states: list[CronState]
    ) -> None:
        """Fires, the jobs they start and the new last-fire times: all or nothing.

        A slot another process recorded first raises Conflict and stores nothing.
        """
        d = self._d

        def steps() -> Steps[None]:
            try:
                yield many(
                    _INSERT_FIRE, [tuple(getattr(f, c) for c in FIRE_COLUMNS) for f in fires]
                )
            except Duplicate as exc:
                raise Conflict(f"cron fires already recorded by another process: {exc}") from None
            yield many(_INSERT_JOB, [_job_values(d, j, _JOB_COLUMNS) for j in jobs])
            yield many(_UPSERT_STATE, [_state_values(s) for s in states])

        await self._sql.write(steps)

    async def list_fires(
        self, workflow_id: str, *, trigger_id: str | None = None, limit: int = 20
    ) -> list[CronFire]:
        clause, params = where([("workflow_id = ?", workflow_id), ("trigger_id = ?", trigger_id)])
        found = await self._sql.read(
            lambda: fetch_all(
                f"SELECT * FROM cron_fires{clause} ORDER BY scheduled_for DESC LIMIT ?",
                (*params, limit),
            )
        )
        return [CronFire(*(r[c] for c in FIRE_COLUMNS)) for r in found]

    async def poll_states(self) -> list[PollState]:
        found = await self._sql.read(lambda: fetch_all("SELECT * FROM poll_state"))
        return [PollState(*(r[c] for c in POLL_COLUMNS)) for r in found]

    async def record_poll(
        self, state: PollState, job: Job | None, *, expected: str | None
    ) -> PollState:
        """Store what a poll saw (see ``merge_poll``), and the job it starts if any.

        PollRaced, storing nothing, when another process recorded the change first;
        the key's lock (Postgres) makes servers polling alike merge in turn.
        """
        d = self._d
        key = (state.workflow_id, state.trigger_id)

        def steps() -> Steps[PollState]:
            lock = d.lock(":".join(key))
            if lock is not None:
                yield lock
            row = yield one(
                "SELECT * FROM poll_state WHERE workflow_id = ? AND trigger_id = ?", key
            )
            stored = None if row is None else PollState(*(row[c] for c in POLL_COLUMNS))
            merged = merge_poll(stored, state, firing=job is not None, expected=expected)
            yield run(_UPSERT_POLL, tuple(getattr(merged, c) for c in POLL_COLUMNS))
            if job is not None:
                yield run(_INSERT_JOB, _job_values(d, job, _JOB_COLUMNS))
            return merged

        return await self._sql.write(steps)

    async def drop_poll_states(self, keys: list[tuple[str, str]]) -> None:
        await self._sql.write(lambda: run_many(_DROP_POLL, keys))

    async def policies(self) -> dict[str, dict[str, Any]]:
        found = await self._sql.read(lambda: fetch_all("SELECT * FROM trigger_policies"))
        return {r["workflow_id"]: dict(self._d.from_json(r["data"])) for r in found}

    async def set_policy(self, workflow_id: str, data: dict[str, Any], at: str) -> None:
        await self._sql.write(
            lambda: run_many(
                upsert("trigger_policies", ("workflow_id", "data", "updated_at"), ("workflow_id",)),
                [(workflow_id, self._d.json(data), at)],
            )
        )


class SqliteTriggerStore(SqliteStore, TriggerStore):
    """TriggerStore on one SQLite file (``<data dir>/triggers.sqlite``)."""

    migrations = MIGRATIONS

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._deliveries: GroupCommit[tuple[Delivery, Job], Accepted] = GroupCommit.sqlite(
            self._db, self._accept_batch
        )
        self._updates: GroupCommit[Job, None] = GroupCommit.sqlite(self._db, self._update_batch)

    async def close(self) -> None:
        await self._deliveries.drain()
        await self._updates.drain()
        await super().close()

    def _accept_batch(
        self, conn: sqlite3.Connection, items: Sequence[tuple[Delivery, Job]]
    ) -> list[Accepted | BaseException]:
        return [drive(conn, _accept(self._d, delivery, job)) for delivery, job in items]

    def _update_batch(self, conn: sqlite3.Connection, jobs: Sequence[Job]) -> list[None]:
        drive(conn, _update_jobs(self._d, jobs))
        return [None] * len(jobs)

    async def accept_delivery(self, delivery: Delivery, job: Job) -> Accepted:
        """Group-committed with the deliveries other requests bring meanwhile."""
        return await self._deliveries.submit((delivery, job))

    async def update_job(self, job: Job) -> None:
        await self._updates.submit(job)
