"""Postgres repository: the same Repository protocol for many servers and workers.

psycopg 3 async connections from one ``AsyncConnectionPool`` per process. Reads
run in autocommit; every write is one transaction. Workflow writes (which choose
unique slugs) serialise on an advisory lock, the counterpart of SQLite's single
writer; run and event writes only lock the rows they touch, so workers write in
parallel. Timestamps are the same ISO strings the SQLite backend stores.
"""

from __future__ import annotations

from typing import Any

from psycopg import errors
from psycopg.types.json import Json

from .base import Repository
from .encoding import dumps
from .errors import Conflict
from .fencing import Fence
from .postgres_pool import PostgresStore
from .records import RunBatch, RunRecord, RunUpdate
from .run_queries import ADD_SPAN
from .run_rows import INSERT_RUN, JSON_FIELDS, RUN_COLUMNS, run_record, update_statement
from .sql import Steps, postgres_sql
from .workflow_tables import PUT_DOCUMENT

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


class PostgresRepository(PostgresStore, Repository):
    """The Repository on a Postgres database (``postgresql://...`` DSN)."""

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10) -> None:
        super().__init__(dsn, name="orcheo-repository", max_size=max_size, min_size=min_size)

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> Row | None:
        async with self._pool.connection() as conn:
            cur = await conn.execute(sql, params)
            return await cur.fetchone()

    # --- runs ------------------------------------------------------------
    async def create_run(self, run: RunRecord, document_body: str | None = None) -> None:
        """Store a new run (and, if given, its document) in one transaction."""
        values = _run_values(run)
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
                    _run_values(run),
                )
                stored.append(cur.rowcount == 1)
        return stored

    def _records(self, found: list[Row]) -> Steps[list[RunRecord]]:
        yield from ()  # one read: the rows hold everything
        return [_run(r) for r in found]

    def write_batch_now(self, batch: RunBatch) -> bool:
        """Never at once: every statement is a network round trip."""
        return batch.empty

    async def write_batch(self, batch: RunBatch) -> None:
        """Spans, events and run updates of possibly many runs, in one transaction, in order."""
        if batch.empty:
            return
        async with self._pool.connection() as conn, conn.transaction():
            await _write_runs(conn, batch)

    async def write_fenced(self, batch: RunBatch, fence: Fence) -> set[str]:
        """The lease rows are read FOR SHARE: a take-over (``try_lock``) waits for this
        commit, then finds these events stored."""
        runs = batch.runs()
        if not runs:
            return set()
        names = {fence.lease(run_id): run_id for run_id in runs}
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                "SELECT name FROM orcheo_locks WHERE name = ANY(%s) AND owner = %s FOR SHARE",
                (list(names), fence.owner),
            )
            held = {names[row["name"]] for row in await cur.fetchall()}
            refused = runs - held
            await _write_runs(conn, batch.without(refused))
        return refused

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

    async def renew_leases(self, owner: str, names: list[str], ttl: float) -> set[str]:
        if not names:
            return set()
        async with self._pool.connection() as conn:
            cur = await conn.execute(
                "UPDATE orcheo_locks SET expires_at = clock_timestamp() + make_interval(secs => %s)"
                " WHERE owner = %s AND name = ANY(%s) RETURNING name",
                (float(ttl), owner, list(names)),
            )
            return {str(row["name"]) for row in await cur.fetchall()}

    async def lock_owner(self, name: str) -> str | None:
        """Who holds ``name`` now (None when free or expired)."""
        row = await self._one(
            "SELECT owner FROM orcheo_locks WHERE name = %s AND expires_at > clock_timestamp()",
            (name,),
        )
        return None if row is None else str(row["owner"])


async def _write_runs(conn: Any, batch: RunBatch) -> None:
    """Spans, events and run updates, in order, inside the caller's transaction."""
    spans = batch.span_rows()
    events = [
        (e.run_id, e.seq, _text(e.type), _text(e.node), e.at, _json(e.data, e.text))
        for e in batch.events
    ]
    if spans or events:
        async with conn.cursor() as cur:
            if spans:
                await cur.executemany(_ADD_SPAN, spans)
            if events:
                await cur.executemany(
                    "INSERT INTO run_events (run_id, seq, type, node, at, data)"
                    " VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                    events,
                )
    for sql, params in (_update_statement(u) for u in batch.updates):
        await conn.execute(sql, params)


def _run_values(run: RunRecord) -> tuple[Any, ...]:
    return tuple(
        _json(getattr(run, c)) if c in JSON_FIELDS else _text(getattr(run, c)) for c in RUN_COLUMNS
    )


def _run(row: Row) -> RunRecord:
    return run_record({c: row[c] for c in RUN_COLUMNS})


def _column_value(column: str, value: Any) -> Any:
    return _json(value) if column in JSON_FIELDS else _text(value)


def _update_statement(update: RunUpdate) -> tuple[str, tuple[Any, ...]]:
    return update_statement(update, _column_value, mark="%s")


_PUT_DOC = postgres_sql(PUT_DOCUMENT)
_ADD_SPAN = postgres_sql(ADD_SPAN)
_INSERT_RUN = postgres_sql(INSERT_RUN)
