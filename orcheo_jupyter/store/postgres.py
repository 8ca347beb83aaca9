"""Postgres repository: the same Repository protocol for many servers and workers.

psycopg 3 async connections from one ``AsyncConnectionPool`` per process. Reads
run in autocommit; every write is one transaction. Workflow writes (which choose
unique slugs) serialise on an advisory lock, the counterpart of SQLite's single
writer; run and event writes only lock the rows they touch, so workers write in
parallel. Timestamps are the same ISO strings the SQLite backend stores.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, errors
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool

from .base import Conflict
from .encoding import dumps
from .postgres_pool import open_migrated, postgres_pool
from .records import (
    EventRecord,
    RunRecord,
    RunUpdate,
    TransitionRecord,
    resolve_shared,
)
from .run_queries import RunQueries
from .spans import span_columns, span_of
from .sql import PostgresDatabase, Steps, postgres_sql
from .sqlite import _JSON_FIELDS, _RUN_COLUMNS, _UPDATABLE
from .workflow_tables import PUT_DOCUMENT, WorkflowTables

Row = dict[str, Any]


def _json(value: Any, text: str | None = None) -> Json | None:
    """``value`` as a JSON parameter; ``text`` (or an ``Encoded`` value) is not re-encoded."""
    if value is None:
        return None
    if text is not None:
        return Json(value, dumps=lambda _: text)
    return Json(value, dumps=dumps)


def _text(value: Any) -> Any:
    """Run text (errors, owners) with NUL replaced: Postgres text cannot hold it."""
    return value.replace("\x00", "\ufffd") if isinstance(value, str) else value


class PostgresRepository(WorkflowTables, RunQueries):
    """The Repository protocol on a Postgres database (``postgresql://...`` DSN)."""

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.dsn = dsn
        self._pool = postgres_pool(
            dsn, name="orcheo-repository", max_size=max_size, min_size=min_size
        )
        self._sql = PostgresDatabase(self._pool)

    # --- lifecycle -------------------------------------------------------
    async def open(self) -> None:
        await open_migrated(self._pool)

    async def close(self) -> None:
        await self._pool.close()

    @property
    def pool(self) -> AsyncConnectionPool[AsyncConnection[Row]]:
        return self._pool

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchone()

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[Row]:
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchall()

    # --- runs ------------------------------------------------------------
    async def create_run(self, run: RunRecord, document_body: str | None = None) -> None:
        """Store a new run (and, if given, its document) in one transaction."""
        values = tuple(
            _json(getattr(run, c)) if c in _JSON_FIELDS else _text(getattr(run, c))
            for c in _RUN_COLUMNS
        )
        try:
            async with self._pool.connection() as conn, conn.transaction():
                if document_body is not None:
                    await conn.execute(_PUT_DOC, (run.checksum, document_body, run.created_at))
                await conn.execute(_INSERT_RUN, values)
        except errors.UniqueViolation:
            raise Conflict(f"run {run.id} already exists") from None
        except errors.UntranslatableCharacter as exc:
            raise ValueError(f"run {run.id} holds text Postgres cannot store: {exc}") from None

    async def create_runs(self, runs: list[RunRecord]) -> list[bool]:
        """Store many new runs in one transaction; False for each id already stored."""
        stored: list[bool] = []
        async with self._pool.connection() as conn, conn.transaction():
            for run in runs:
                cur = await conn.execute(
                    _INSERT_RUN + " ON CONFLICT (id) DO NOTHING",
                    tuple(
                        _json(getattr(run, c)) if c in _JSON_FIELDS else _text(getattr(run, c))
                        for c in _RUN_COLUMNS
                    ),
                )
                stored.append(cur.rowcount == 1)
        return stored

    def _records(self, found: list[Row]) -> Steps[list[RunRecord]]:
        yield from ()  # one read: the rows hold everything
        return [_run(r) for r in found]

    def write_batch_now(self, events: list[EventRecord], updates: list[RunUpdate]) -> bool:
        """Never at once: every statement is a network round trip."""
        return not events and not updates

    async def write_batch(self, events: list[EventRecord], updates: list[RunUpdate]) -> None:
        """Events and run updates of possibly many runs, in one transaction, in order."""
        if not events and not updates:
            return
        statements = [_update_statement(u) for u in updates]
        rows = [
            (e.run_id, e.seq, _text(e.type), _text(e.node), e.at, _json(e.data, e.text))
            for e in events
        ]
        async with self._pool.connection() as conn, conn.transaction():
            if rows:
                async with conn.cursor() as cur:
                    await cur.executemany(
                        "INSERT INTO run_events (run_id, seq, type, node, at, data)"
                        " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                        rows,
                    )
            for sql, params in statements:
                await conn.execute(sql, params)

    async def list_events(
        self, run_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[EventRecord]:
        sql = "SELECT * FROM run_events WHERE run_id = %s AND seq > %s ORDER BY seq"
        params: tuple[Any, ...] = (run_id, after)
        if limit is not None:
            sql += " LIMIT %s"
            params += (limit,)
        rows = await self._all(sql, params)
        return [
            EventRecord(r["run_id"], r["seq"], r["type"], r["at"], r["node"], r["data"])
            for r in rows
        ]

    async def list_transitions(self, run_id: str) -> list[TransitionRecord]:
        rows = await self._all(
            "SELECT * FROM run_transitions WHERE run_id = %s ORDER BY n", (run_id,)
        )
        return [TransitionRecord(r["run_id"], r["status"], r["at"]) for r in rows]

    # --- traces ----------------------------------------------------------
    async def add_spans(self, run_id: str, spans: list[dict[str, Any]]) -> None:
        """Keep finished spans with the run (a span stored twice is kept once)."""
        rows = [(run_id, *span_columns(span)) for span in spans]
        if not rows:
            return
        async with (
            self._pool.connection() as conn,
            conn.transaction(),
            conn.cursor() as cur,
        ):
            await cur.executemany(
                "INSERT INTO run_spans (run_id, span_id, trace_id, parent_span_id, name,"
                " start_ns, end_ns, data) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
                " ON CONFLICT DO NOTHING",
                rows,
            )

    async def list_spans(self, run_id: str) -> list[dict[str, Any]]:
        """The run's stored spans in start order."""
        rows = await self._all(
            "SELECT run_id, span_id, trace_id, parent_span_id, name, start_ns, end_ns,"
            " data::text AS data FROM run_spans WHERE run_id = %s ORDER BY start_ns, span_id",
            (run_id,),
        )
        return [span_of(r["data"], r) for r in rows]

    # --- leases and leader locks ----------------------------------------------
    async def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        """Take or extend ``name`` for ``ttl`` seconds unless another owner holds it."""
        row = await self._one(
            "INSERT INTO orcheo_locks (name, owner, expires_at)"
            " VALUES (%s, %s, clock_timestamp() + make_interval(secs => %s))"
            " ON CONFLICT (name) DO UPDATE SET owner = EXCLUDED.owner,"
            " expires_at = EXCLUDED.expires_at"
            " WHERE orcheo_locks.owner = EXCLUDED.owner"
            " OR orcheo_locks.expires_at <= clock_timestamp()"
            " RETURNING owner",
            (name, owner, float(ttl)),
        )
        return row is not None

    async def release_lock(self, name: str, owner: str) -> bool:
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "DELETE FROM orcheo_locks WHERE name = %s AND owner = %s", (name, owner)
            )
            return cur.rowcount > 0

    async def renew_locks(self, owner: str, ttl: float) -> int:
        """Extend every unexpired lock ``owner`` holds (a worker's heartbeat)."""
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE orcheo_locks SET expires_at = clock_timestamp() + make_interval(secs => %s)"
                " WHERE owner = %s AND expires_at > clock_timestamp()",
                (float(ttl), owner),
            )
            return cur.rowcount

    async def lock_owner(self, name: str) -> str | None:
        """Who holds ``name`` now (None when free or expired)."""
        row = await self._one(
            "SELECT owner FROM orcheo_locks WHERE name = %s AND expires_at > clock_timestamp()",
            (name,),
        )
        return None if row is None else str(row["owner"])


def _run(row: Row) -> RunRecord:
    data = {c: row[c] for c in _RUN_COLUMNS}
    data["config"] = data["config"] or {}
    data["node_states"] = data["node_states"] or {}
    data["final_state"] = resolve_shared(data["final_state"], data["inputs"])
    return RunRecord(**data)


def _update_statement(update: RunUpdate) -> tuple[str, tuple[Any, ...]]:
    unknown = set(update.fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"cannot update run fields {sorted(unknown)}")
    fields = dict(update.fields)
    fields["updated_at"] = update.at
    assignments = ", ".join(f"{k} = %s" for k in fields)
    values = [_json(v) if k in _JSON_FIELDS else _text(v) for k, v in fields.items()]
    return f"UPDATE runs SET {assignments} WHERE id = %s", (*values, update.run_id)


_PUT_DOC = postgres_sql(PUT_DOCUMENT)
_INSERT_RUN = (
    f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('%s' for _ in _RUN_COLUMNS)})"
)
