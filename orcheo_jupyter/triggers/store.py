"""Durable trigger state behind a small protocol; SQLite (its own file) is the embedded default.

Deliveries and their jobs are group-committed: a webhook answers 202 only after
the transaction holding its delivery is committed, and hundreds of concurrent
deliveries share one commit. Uniqueness does the safety work: a delivery's
idempotency key and signature are unique per workflow, a cron fire is unique per
(trigger, scheduled time), a job's run id is unique.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..spec.values import loads_stored
from ..store.base import Conflict, NotFound
from ..store.group_commit import GroupCommit
from ..store.sqlite_migrate import migrate
from ..store.sqlite_thread import SqliteThread
from .records import Accepted, CronFire, CronState, Delivery, Job, PollState, merge_poll
from .store_schema import (
    _DELIVERY_COLUMNS,
    _JOB_COLUMNS,
    _JOB_JSON,
    _JOB_MUTABLE,
    MIGRATIONS,
    POLL_COLUMNS,
    _dumps,
)

_INSERT_JOB = (
    f"INSERT INTO jobs ({', '.join(_JOB_COLUMNS)}) VALUES ({', '.join('?' for _ in _JOB_COLUMNS)})"
)
_INSERT_DELIVERY = (
    f"INSERT INTO deliveries ({', '.join(_DELIVERY_COLUMNS)})"
    f" VALUES ({', '.join('?' for _ in _DELIVERY_COLUMNS)})"
)
_UPDATE_JOB = f"UPDATE jobs SET {', '.join(f'{c} = ?' for c in _JOB_MUTABLE)} WHERE id = ?"


def _job_values(job: Job, columns: Sequence[str]) -> list[Any]:
    values = []
    for c in columns:
        value = getattr(job, c)
        if c in _JOB_JSON:
            value = _dumps(value)
        elif c == "serial":
            value = int(value)
        values.append(value)
    return values


def _job(row: sqlite3.Row) -> Job:
    data = {c: row[c] for c in _JOB_COLUMNS}
    for c in _JOB_JSON:
        data[c] = loads_stored(data[c])
    data["serial"] = bool(data["serial"])
    return Job(**data)


def _delivery(row: sqlite3.Row) -> Delivery:
    data = {c: row[c] for c in _DELIVERY_COLUMNS}
    data["headers"] = loads_stored(data["headers"])
    data["query"] = loads_stored(data["query"])
    return Delivery(**data)


def _accept(
    conn: sqlite3.Connection, items: Sequence[tuple[Delivery, Job]]
) -> list[Accepted | BaseException]:
    """Store each delivery and its job, unless an earlier delivery already stands for it."""
    out: list[Accepted | BaseException] = []
    for delivery, job in items:
        wid = delivery.workflow_id
        if delivery.signature is not None:
            seen = conn.execute(
                "SELECT id, run_id, idempotency_key FROM deliveries"
                " WHERE workflow_id = ? AND signature = ?",
                (wid, delivery.signature),
            ).fetchone()
            if seen is not None:
                same = (
                    delivery.idempotency_key is not None
                    and seen["idempotency_key"] == delivery.idempotency_key
                )
                out.append(
                    Accepted("duplicate" if same else "replayed", seen["id"], seen["run_id"])
                )
                continue
        if delivery.idempotency_key is not None:
            seen = conn.execute(
                "SELECT id, run_id FROM deliveries WHERE workflow_id = ? AND idempotency_key = ?",
                (wid, delivery.idempotency_key),
            ).fetchone()
            if seen is not None:
                out.append(Accepted("duplicate", seen["id"], seen["run_id"]))
                continue
        conn.execute(_INSERT_JOB, _job_values(job, _JOB_COLUMNS))
        conn.execute(
            _INSERT_DELIVERY,
            (
                delivery.id,
                wid,
                delivery.job_id,
                delivery.run_id,
                delivery.idempotency_key,
                delivery.signature,
                delivery.method,
                _dumps(delivery.headers),
                _dumps(delivery.query),
                delivery.body_sha256,
                delivery.body_bytes,
                delivery.received_at,
            ),
        )
        out.append(Accepted("accepted", delivery.id, delivery.run_id))
    return out


def _update_jobs(conn: sqlite3.Connection, jobs: Sequence[Job]) -> list[None]:
    conn.executemany(_UPDATE_JOB, [(*_job_values(j, _JOB_MUTABLE), j.id) for j in jobs])
    return [None] * len(jobs)


class TriggerStore(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def accept_delivery(self, delivery: Delivery, job: Job) -> Accepted: ...
    async def add_jobs(self, jobs: list[Job]) -> list[Job]:
        """Store new jobs; a job whose dedupe key is taken comes back as the stored one."""
        ...

    async def update_job(self, job: Job) -> None: ...
    async def get_job(self, job_id: str) -> Job: ...
    async def open_jobs(self) -> list[Job]: ...
    async def list_jobs(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Job], int]: ...
    async def delete_job(self, job_id: str) -> None: ...
    async def list_deliveries(
        self, workflow_id: str, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[Delivery], int]: ...
    async def cron_states(self) -> list[CronState]: ...
    async def save_cron_states(
        self, states: list[CronState], drop: list[tuple[str, str]]
    ) -> None: ...

    async def record_fires(
        self, fires: list[CronFire], jobs: list[Job], states: list[CronState]
    ) -> None:
        """Fires, the jobs they start and the triggers' new last-fire times: all or nothing.

        Conflict when a fire is already recorded (another process fired that slot).
        """
        ...

    async def list_fires(
        self, workflow_id: str, *, trigger_id: str | None = None, limit: int = 20
    ) -> list[CronFire]: ...
    async def poll_states(self) -> list[PollState]: ...
    async def record_poll(
        self, state: PollState, job: Job | None, *, expected: str | None
    ) -> PollState: ...
    async def drop_poll_states(self, keys: list[tuple[str, str]]) -> None: ...
    async def policies(self) -> dict[str, dict[str, Any]]: ...
    async def set_policy(self, workflow_id: str, data: dict[str, Any], at: str) -> None: ...


class SqliteTriggerStore:
    """TriggerStore on one SQLite file (``<data dir>/triggers.sqlite``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = SqliteThread(self.path)
        self._deliveries: GroupCommit[tuple[Delivery, Job], Accepted] = GroupCommit.sqlite(
            self._db, _accept
        )
        self._updates: GroupCommit[Job, None] = GroupCommit.sqlite(self._db, _update_jobs)

    async def open(self) -> None:
        await self._db.open()
        await self._db.call(lambda conn: migrate(conn, MIGRATIONS))

    async def close(self) -> None:
        await self._deliveries.drain()
        await self._updates.drain()
        await self._db.close()

    async def accept_delivery(self, delivery: Delivery, job: Job) -> Accepted:
        return await self._deliveries.submit((delivery, job))

    async def add_jobs(self, jobs: list[Job]) -> list[Job]:
        def work(conn: sqlite3.Connection) -> list[Job]:
            out = []
            for job in jobs:
                if job.dedupe_key is not None:
                    row = conn.execute(
                        "SELECT * FROM jobs WHERE workflow_id = ? AND dedupe_key = ?",
                        (job.workflow_id, job.dedupe_key),
                    ).fetchone()
                    if row is not None:
                        out.append(_job(row))
                        continue
                conn.execute(_INSERT_JOB, _job_values(job, _JOB_COLUMNS))
                out.append(job)
            return out

        return await self._db.transaction(work)

    async def update_job(self, job: Job) -> None:
        await self._updates.submit(job)

    async def get_job(self, job_id: str) -> Job:
        row = await self._db.call(
            lambda c: c.execute("SELECT * FROM jobs WHERE id = ?", (job_id,)).fetchone()
        )
        if row is None:
            raise NotFound(f"job {job_id!r} not found")
        return _job(row)

    async def open_jobs(self) -> list[Job]:
        rows = await self._db.call(
            lambda c: c.execute(
                "SELECT * FROM jobs WHERE status IN ('queued', 'retrying') ORDER BY created_at, id"
            ).fetchall()
        )
        return [_job(r) for r in rows]

    async def list_jobs(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[Job], int]:
        where, params = [], []
        if workflow_id:
            where.append("workflow_id = ?")
            params.append(workflow_id)
        if status:
            where.append("status = ?")
            params.append(status)
        clause = f" WHERE {' AND '.join(where)}" if where else ""

        def work(conn: sqlite3.Connection) -> tuple[list[sqlite3.Row], int]:
            total = conn.execute(f"SELECT COUNT(*) FROM jobs{clause}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT * FROM jobs{clause} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
            return rows, int(total)

        rows, total = await self._db.call(work)
        return [_job(r) for r in rows], total

    async def delete_job(self, job_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            if conn.execute("DELETE FROM jobs WHERE id = ?", (job_id,)).rowcount != 1:
                raise NotFound(f"job {job_id!r} not found")

        await self._db.transaction(work)

    async def list_deliveries(
        self, workflow_id: str, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[Delivery], int]:
        def work(conn: sqlite3.Connection) -> tuple[list[sqlite3.Row], int]:
            total = conn.execute(
                "SELECT COUNT(*) FROM deliveries WHERE workflow_id = ?", (workflow_id,)
            ).fetchone()[0]
            rows = conn.execute(
                "SELECT * FROM deliveries WHERE workflow_id = ?"
                " ORDER BY received_at DESC, id LIMIT ? OFFSET ?",
                (workflow_id, limit, offset),
            ).fetchall()
            return rows, int(total)

        rows, total = await self._db.call(work)
        return [_delivery(r) for r in rows], total

    async def cron_states(self) -> list[CronState]:
        rows = await self._db.call(lambda c: c.execute("SELECT * FROM cron_state").fetchall())
        return [
            CronState(
                r["workflow_id"], r["trigger_id"], r["expression"], r["timezone"], r["last_fire_at"]
            )
            for r in rows
        ]

    async def save_cron_states(self, states: list[CronState], drop: list[tuple[str, str]]) -> None:
        def work(conn: sqlite3.Connection) -> None:
            _upsert_states(conn, states)
            conn.executemany(
                "DELETE FROM cron_state WHERE workflow_id = ? AND trigger_id = ?", drop
            )

        await self._db.transaction(work)

    async def record_fires(
        self, fires: list[CronFire], jobs: list[Job], states: list[CronState]
    ) -> None:
        def work(conn: sqlite3.Connection) -> None:
            try:
                _insert_fires(conn, fires)
            except sqlite3.IntegrityError:
                raise Conflict("these cron fires are already recorded") from None
            conn.executemany(_INSERT_JOB, [_job_values(j, _JOB_COLUMNS) for j in jobs])
            _upsert_states(conn, states)

        await self._db.transaction(work)

    async def list_fires(
        self, workflow_id: str, *, trigger_id: str | None = None, limit: int = 20
    ) -> list[CronFire]:
        sql = "SELECT * FROM cron_fires WHERE workflow_id = ?"
        params: tuple[Any, ...] = (workflow_id,)
        if trigger_id is not None:
            sql += " AND trigger_id = ?"
            params += (trigger_id,)
        sql += " ORDER BY scheduled_for DESC LIMIT ?"
        rows = await self._db.call(lambda c: c.execute(sql, (*params, limit)).fetchall())
        return [
            CronFire(
                r["workflow_id"],
                r["trigger_id"],
                r["scheduled_for"],
                r["status"],
                r["at"],
                r["run_id"],
                r["detail"],
            )
            for r in rows
        ]

    async def poll_states(self) -> list[PollState]:
        rows = await self._db.call(lambda c: c.execute("SELECT * FROM poll_state").fetchall())
        return [PollState(*(r[c] for c in POLL_COLUMNS)) for r in rows]

    async def record_poll(
        self, state: PollState, job: Job | None, *, expected: str | None
    ) -> PollState:
        """Store what a poll saw (see ``merge_poll``), and the job it starts if any.

        PollRaced, storing nothing, when another process recorded the change first.
        """

        def work(conn: sqlite3.Connection) -> PollState:
            row = conn.execute(
                "SELECT * FROM poll_state WHERE workflow_id = ? AND trigger_id = ?",
                (state.workflow_id, state.trigger_id),
            ).fetchone()
            stored = None if row is None else PollState(*(row[c] for c in POLL_COLUMNS))
            merged = merge_poll(stored, state, firing=job is not None, expected=expected)
            conn.execute(
                f"INSERT OR REPLACE INTO poll_state ({', '.join(POLL_COLUMNS)})"
                f" VALUES ({', '.join('?' for _ in POLL_COLUMNS)})",
                tuple(getattr(merged, c) for c in POLL_COLUMNS),
            )
            if job is not None:
                conn.execute(_INSERT_JOB, _job_values(job, _JOB_COLUMNS))
            return merged

        return await self._db.transaction(work)

    async def drop_poll_states(self, keys: list[tuple[str, str]]) -> None:
        await self._db.transaction(
            lambda c: c.executemany(
                "DELETE FROM poll_state WHERE workflow_id = ? AND trigger_id = ?", keys
            )
        )

    async def policies(self) -> dict[str, dict[str, Any]]:
        rows = await self._db.call(lambda c: c.execute("SELECT * FROM policies").fetchall())
        return {r["workflow_id"]: json.loads(r["data"]) for r in rows}

    async def set_policy(self, workflow_id: str, data: dict[str, Any], at: str) -> None:
        await self._db.transaction(
            lambda c: c.execute(
                "INSERT INTO policies (workflow_id, data, updated_at) VALUES (?, ?, ?)"
                " ON CONFLICT (workflow_id) DO UPDATE SET data = excluded.data,"
                " updated_at = excluded.updated_at",
                (workflow_id, _dumps(data), at),
            )
        )


def _insert_fires(conn: sqlite3.Connection, fires: list[CronFire]) -> None:
    conn.executemany(
        "INSERT INTO cron_fires (workflow_id, trigger_id, scheduled_for, status, at,"
        " run_id, detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            (f.workflow_id, f.trigger_id, f.scheduled_for, f.status, f.at, f.run_id, f.detail)
            for f in fires
        ],
    )


def _upsert_states(conn: sqlite3.Connection, states: list[CronState]) -> None:
    conn.executemany(
        "INSERT INTO cron_state (workflow_id, trigger_id, expression, timezone, last_fire_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (workflow_id, trigger_id) DO UPDATE SET"
        " expression = excluded.expression, timezone = excluded.timezone,"
        " last_fire_at = excluded.last_fire_at",
        [(s.workflow_id, s.trigger_id, s.expression, s.timezone, s.last_fire_at) for s in states],
    )
