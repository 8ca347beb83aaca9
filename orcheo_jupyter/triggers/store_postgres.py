"""The TriggerStore on Postgres: webhook deliveries, jobs, cron state shared by all servers.

The SQLite store relies on a single writer; here several servers write at once,
so the unique constraints decide: a delivery whose idempotency key or signature
another server stored first comes back as that delivery ("duplicate"), and a
cron slot another server recorded first raises ``Conflict`` (the scheduler then
adopts the stored state, so each slot fires once across processes).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from psycopg import AsyncConnection, errors
from psycopg.rows import dict_row
from psycopg.types.json import Json, set_json_loads
from psycopg_pool import AsyncConnectionPool

from ..spec.values import loads_stored
from ..store.base import Conflict, NotFound
from ..store.postgres_schema import migrate
from .records import Accepted, CronFire, CronState, Delivery, Job, PollState, merge_poll
from .store_schema import (
    _DELIVERY_COLUMNS,
    _JOB_COLUMNS,
    _JOB_JSON,
    _JOB_MUTABLE,
    POLL_COLUMNS,
    _dumps,
)

Row = dict[str, Any]
_INSERT_JOB = (
    f"INSERT INTO trigger_jobs ({', '.join(_JOB_COLUMNS)})"
    f" VALUES ({', '.join('%s' for _ in _JOB_COLUMNS)})"
)
_INSERT_DELIVERY = (
    f"INSERT INTO trigger_deliveries ({', '.join(_DELIVERY_COLUMNS)})"
    f" VALUES ({', '.join('%s' for _ in _DELIVERY_COLUMNS)})"
)
_UPDATE_JOB = (
    f"UPDATE trigger_jobs SET {', '.join(f'{c} = %s' for c in _JOB_MUTABLE)} WHERE id = %s"
)
_UPSERT_STATE = (
    "INSERT INTO cron_state (workflow_id, trigger_id, expression, timezone, last_fire_at)"
    " VALUES (%s, %s, %s, %s, %s) ON CONFLICT (workflow_id, trigger_id) DO UPDATE SET"
    " expression = EXCLUDED.expression, timezone = EXCLUDED.timezone,"
    " last_fire_at = EXCLUDED.last_fire_at"
)


def _json(value: Any) -> Json:
    return Json(value, dumps=_dumps)


def _job_values(job: Job, columns: Sequence[str]) -> list[Any]:
    out: list[Any] = []
    for c in columns:
        value = getattr(job, c)
        if c in _JOB_JSON:
            value = _json(value)
        elif c == "serial":
            value = int(value)
        out.append(value)
    return out


def _job(row: Row) -> Job:
    data = {c: row[c] for c in _JOB_COLUMNS}
    data["serial"] = bool(data["serial"])
    return Job(**data)


def _delivery(row: Row) -> Delivery:
    return Delivery(**{c: row[c] for c in _DELIVERY_COLUMNS})


def _delivery_values(d: Delivery) -> tuple[Any, ...]:
    return (
        d.id,
        d.workflow_id,
        d.job_id,
        d.run_id,
        d.idempotency_key,
        d.signature,
        d.method,
        _json(d.headers),
        _json(d.query),
        d.body_sha256,
        d.body_bytes,
        d.received_at,
    )


def _state_values(s: CronState) -> tuple[str, ...]:
    return (s.workflow_id, s.trigger_id, s.expression, s.timezone, s.last_fire_at)


async def _readable_json(conn: AsyncConnection[Any]) -> None:
    """JSON columns decode with ``loads_stored``: any stored row stays readable."""
    set_json_loads(loads_stored, conn)


class PostgresTriggerStore:
    """TriggerStore on the orcheo Postgres database (``ORCHEO_POSTGRES_DSN``)."""

    def __init__(self, dsn: str, *, max_size: int = 4) -> None:
        self.dsn = dsn
        self._pool: AsyncConnectionPool[AsyncConnection[Row]] = AsyncConnectionPool(
            dsn,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True, "row_factory": dict_row},
            name="orcheo-triggers",
            configure=_readable_json,
        )

    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=30)
        async with self._pool.connection() as conn:
            await migrate(conn)

    async def close(self) -> None:
        await self._pool.close()

    async def _one(self, sql: str, params: Sequence[Any]) -> Row | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchone()

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    # --- deliveries and jobs ----------------------------------------------------------
    async def _earlier(self, delivery: Delivery) -> Accepted | None:
        wid = delivery.workflow_id
        if delivery.signature is not None:
            seen = await self._one(
                "SELECT id, run_id, idempotency_key FROM trigger_deliveries"
                " WHERE workflow_id = %s AND signature = %s",
                (wid, delivery.signature),
            )
            if seen is not None:
                same = (
                    delivery.idempotency_key is not None
                    and seen["idempotency_key"] == delivery.idempotency_key
                )
                return Accepted("duplicate" if same else "replayed", seen["id"], seen["run_id"])
        if delivery.idempotency_key is not None:
            seen = await self._one(
                "SELECT id, run_id FROM trigger_deliveries"
                " WHERE workflow_id = %s AND idempotency_key = %s",
                (wid, delivery.idempotency_key),
            )
            if seen is not None:
                return Accepted("duplicate", seen["id"], seen["run_id"])
        return None

    async def accept_delivery(self, delivery: Delivery, job: Job) -> Accepted:
        """Store the delivery and its job, unless an earlier delivery already stands for it."""
        for _ in range(3):
            earlier = await self._earlier(delivery)
            if earlier is not None:
                return earlier
            try:
                async with self._pool.connection() as conn, conn.transaction():
                    await conn.execute(_INSERT_JOB, _job_values(job, _JOB_COLUMNS))
                    await conn.execute(_INSERT_DELIVERY, _delivery_values(delivery))
                return Accepted("accepted", delivery.id, delivery.run_id)
            except errors.UniqueViolation:
                continue  # another server stored the same delivery meanwhile: find it
        raise Conflict(f"delivery {delivery.id} conflicts with a stored one")

    async def add_jobs(self, jobs: list[Job]) -> list[Job]:
        """Store new jobs; a job whose dedupe key is taken comes back as the stored one."""
        out: list[Job] = []
        async with self._pool.connection() as conn, conn.transaction():
            for job in jobs:
                if job.dedupe_key is not None:
                    cur = await conn.execute(
                        _INSERT_JOB + " ON CONFLICT (workflow_id, dedupe_key) DO NOTHING"
                        " RETURNING id",
                        _job_values(job, _JOB_COLUMNS),
                    )
                    if await cur.fetchone() is None:
                        cur = await conn.execute(
                            "SELECT * FROM trigger_jobs WHERE workflow_id = %s AND dedupe_key = %s",
                            (job.workflow_id, job.dedupe_key),
                        )
                        row = await cur.fetchone()
                        assert row is not None
                        out.append(_job(row))
                        continue
                else:
                    await conn.execute(_INSERT_JOB, _job_values(job, _JOB_COLUMNS))
                out.append(job)
        return out

    async def update_job(self, job: Job) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(_UPDATE_JOB, (*_job_values(job, _JOB_MUTABLE), job.id))

    async def get_job(self, job_id: str) -> Job:
        row = await self._one("SELECT * FROM trigger_jobs WHERE id = %s", (job_id,))
        if row is None:
            raise NotFound(f"job {job_id!r} not found")
        return _job(row)

    async def open_jobs(self) -> list[Job]:
        rows = await self._all(
            "SELECT * FROM trigger_jobs WHERE status IN ('queued', 'retrying')"
            " ORDER BY created_at, id"
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
        where: list[str] = []
        params: list[Any] = []
        if workflow_id:
            where.append("workflow_id = %s")
            params.append(workflow_id)
        if status:
            where.append("status = %s")
            params.append(status)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        async with self._pool.connection() as conn:
            cur = await conn.execute(f"SELECT COUNT(*) AS n FROM trigger_jobs{clause}", params)
            total = int((await cur.fetchone() or {"n": 0})["n"])
            cur = await conn.execute(
                f"SELECT * FROM trigger_jobs{clause} ORDER BY updated_at DESC, id"
                " LIMIT %s OFFSET %s",
                (*params, limit, offset),
            )
            rows = await cur.fetchall()
        return [_job(r) for r in rows], total

    async def delete_job(self, job_id: str) -> None:
        async with self._pool.connection() as conn:
            cur = await conn.execute("DELETE FROM trigger_jobs WHERE id = %s", (job_id,))
            if cur.rowcount != 1:
                raise NotFound(f"job {job_id!r} not found")

    async def list_deliveries(
        self, workflow_id: str, *, limit: int = 50, offset: int = 0
    ) -> tuple[list[Delivery], int]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "SELECT COUNT(*) AS n FROM trigger_deliveries WHERE workflow_id = %s",
                (workflow_id,),
            )
            total = int((await cur.fetchone() or {"n": 0})["n"])
            cur = await conn.execute(
                "SELECT * FROM trigger_deliveries WHERE workflow_id = %s"
                " ORDER BY received_at DESC, id LIMIT %s OFFSET %s",
                (workflow_id, limit, offset),
            )
            rows = await cur.fetchall()
        return [_delivery(r) for r in rows], total

    # --- cron ---------------------------------------------------------------------------
    async def cron_states(self) -> list[CronState]:
        rows = await self._all("SELECT * FROM cron_state")
        return [
            CronState(
                r["workflow_id"], r["trigger_id"], r["expression"], r["timezone"], r["last_fire_at"]
            )
            for r in rows
        ]

    async def save_cron_states(self, states: list[CronState], drop: list[tuple[str, str]]) -> None:
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            if states:
                await cur.executemany(_UPSERT_STATE, [_state_values(s) for s in states])
            if drop:
                await cur.executemany(
                    "DELETE FROM cron_state WHERE workflow_id = %s AND trigger_id = %s", drop
                )

    async def record_fires(
        self, fires: list[CronFire], jobs: list[Job], states: list[CronState]
    ) -> None:
        """Fires, the jobs they start and the new last-fire times: all or nothing.

        A slot another process recorded first raises Conflict and stores nothing.
        """
        try:
            async with (
                self._pool.connection() as conn,
                conn.transaction(),
                conn.cursor() as cur,
            ):
                if fires:
                    await cur.executemany(
                        "INSERT INTO cron_fires (workflow_id, trigger_id, scheduled_for,"
                        " status, at, run_id, detail) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                        [
                            (
                                f.workflow_id,
                                f.trigger_id,
                                f.scheduled_for,
                                f.status,
                                f.at,
                                f.run_id,
                                f.detail,
                            )
                            for f in fires
                        ],
                    )
                if jobs:
                    await cur.executemany(_INSERT_JOB, [_job_values(j, _JOB_COLUMNS) for j in jobs])
                if states:
                    await cur.executemany(_UPSERT_STATE, [_state_values(s) for s in states])
        except errors.UniqueViolation as exc:
            raise Conflict(f"cron fires already recorded by another process: {exc}") from None

    async def list_fires(
        self, workflow_id: str, *, trigger_id: str | None = None, limit: int = 20
    ) -> list[CronFire]:
        sql = "SELECT * FROM cron_fires WHERE workflow_id = %s"
        params: list[Any] = [workflow_id]
        if trigger_id is not None:
            sql += " AND trigger_id = %s"
            params.append(trigger_id)
        sql += " ORDER BY scheduled_for DESC LIMIT %s"
        rows = await self._all(sql, (*params, limit))
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

    # --- HTTP polling ------------------------------------------------------------------
    async def poll_states(self) -> list[PollState]:
        rows = await self._all("SELECT * FROM poll_state")
        return [PollState(*(r[c] for c in POLL_COLUMNS)) for r in rows]

    async def record_poll(
        self, state: PollState, job: Job | None, *, expected: str | None
    ) -> PollState:
        """See SqliteTriggerStore.record_poll; the row lock orders servers polling alike."""
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            key = (state.workflow_id, state.trigger_id)
            # Lock the row (or, for a first poll, the key) so two servers merge in turn.
            await cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (":".join(key),))
            await cur.execute(
                "SELECT * FROM poll_state WHERE workflow_id = %s AND trigger_id = %s", key
            )
            row = await cur.fetchone()
            stored = None if row is None else PollState(*(row[c] for c in POLL_COLUMNS))
            merged = merge_poll(stored, state, firing=job is not None, expected=expected)
            await cur.execute(
                f"INSERT INTO poll_state ({', '.join(POLL_COLUMNS)})"
                f" VALUES ({', '.join('%s' for _ in POLL_COLUMNS)})"
                " ON CONFLICT (workflow_id, trigger_id) DO UPDATE SET "
                + ", ".join(f"{c} = EXCLUDED.{c}" for c in POLL_COLUMNS[2:]),
                tuple(getattr(merged, c) for c in POLL_COLUMNS),
            )
            if job is not None:
                await cur.execute(_INSERT_JOB, _job_values(job, _JOB_COLUMNS))
            return merged

    async def drop_poll_states(self, keys: list[tuple[str, str]]) -> None:
        if not keys:
            return
        async with self._pool.connection() as conn, conn.cursor() as cur:
            await cur.executemany(
                "DELETE FROM poll_state WHERE workflow_id = %s AND trigger_id = %s", keys
            )

    # --- dispatch policies --------------------------------------------------------------
    async def policies(self) -> dict[str, dict[str, Any]]:
        rows = await self._all("SELECT * FROM trigger_policies")
        return {r["workflow_id"]: dict(r["data"]) for r in rows}

    async def set_policy(self, workflow_id: str, data: dict[str, Any], at: str) -> None:
        async with self._pool.connection() as conn:
            await conn.execute(
                "INSERT INTO trigger_policies (workflow_id, data, updated_at) VALUES (%s, %s, %s)"
                " ON CONFLICT (workflow_id) DO UPDATE SET data = EXCLUDED.data,"
                " updated_at = EXCLUDED.updated_at",
                (workflow_id, _json(data), at),
            )
