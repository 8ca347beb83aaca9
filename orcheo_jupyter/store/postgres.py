"""Postgres repository: the same Repository protocol for many servers and workers.

psycopg 3 async connections from one ``AsyncConnectionPool`` per process. Reads
run in autocommit; every write is one transaction. Workflow writes (which choose
unique slugs) serialise on an advisory lock, the counterpart of SQLite's single
writer; run and event writes only lock the rows they touch, so workers write in
parallel. Timestamps are the same ISO strings the SQLite backend stores.
"""

from __future__ import annotations

import json
from typing import Any

from psycopg import AsyncConnection, errors
from psycopg.rows import dict_row
from psycopg.types.json import Json, Jsonb, set_json_loads
from psycopg_pool import AsyncConnectionPool

from ..clock import utcnow
from ..spec.values import loads_stored
from .base import Conflict, NotFound
from .encoding import dumps
from .postgres_schema import migrate
from .records import (
    EventRecord,
    RunRecord,
    RunUpdate,
    TransitionRecord,
    VersionRecord,
    WorkflowRecord,
    resolve_shared,
)
from .sqlite import _JSON_FIELDS, _RUN_COLUMNS, _UPDATABLE, slugify

Row = dict[str, Any]
_WORKFLOW_WRITE_LOCK = 0x6F72636877  # one key shared by every process


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


def _check_text(field: str, value: str) -> None:
    """Postgres text cannot hold NUL; refuse it by name instead of failing deep inside."""
    if "\x00" in value:
        raise ValueError(f"{field} must not contain the NUL character (\\u0000)")


async def _readable_json(conn: AsyncConnection[Any]) -> None:
    """JSON columns decode with ``loads_stored``: any stored row stays readable."""
    set_json_loads(loads_stored, conn)


class PostgresRepository:
    """The Repository protocol on a Postgres database (``postgresql://...`` DSN)."""

    def __init__(self, dsn: str, *, min_size: int = 1, max_size: int = 10) -> None:
        self.dsn = dsn
        self._pool: AsyncConnectionPool[AsyncConnection[Row]] = AsyncConnectionPool(
            dsn,
            min_size=min_size,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True, "row_factory": dict_row},
            name="orcheo-repository",
            configure=_readable_json,
        )

    # --- lifecycle -------------------------------------------------------
    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=30)
        async with self._pool.connection() as conn:
            await migrate(conn)

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

    # --- documents -------------------------------------------------------
    async def put_document(self, checksum: str, body: str) -> None:
        _check_text("document", body)
        async with self._pool.connection() as conn:
            await conn.execute(_PUT_DOC, (checksum, body, utcnow()))

    async def get_document(self, checksum: str) -> str:
        row = await self._one("SELECT body FROM documents WHERE checksum = %s", (checksum,))
        if row is None:
            raise NotFound(f"document {checksum} not found")
        return str(row["body"])

    # --- workflows -------------------------------------------------------
    async def create_workflow(
        self,
        workflow_id: str,
        name: str,
        description: str,
        tags: list[str],
        checksum: str,
        body: str,
    ) -> WorkflowRecord:
        for field, value in (("id", workflow_id), ("name", name), ("description", description)):
            _check_text(field, value)
        now = utcnow()
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WORKFLOW_WRITE_LOCK,))
            cur = await conn.execute("SELECT 1 FROM workflows WHERE id = %s", (workflow_id,))
            if await cur.fetchone():
                raise Conflict(f"workflow {workflow_id} already exists")
            slug = await _free_slug(conn, name)
            await conn.execute(_PUT_DOC, (checksum, body, now))
            await conn.execute(
                "INSERT INTO workflows (id, name, slug, description, tags, latest_version,"
                " created_at, updated_at) VALUES (%s, %s, %s, %s, %s, 1, %s, %s)",
                (workflow_id, name, slug, description, Jsonb(tags), now, now),
            )
            await conn.execute(
                "INSERT INTO workflow_versions (workflow_id, version, checksum, created_at)"
                " VALUES (%s, 1, %s, %s)",
                (workflow_id, checksum, now),
            )
        return await self.get_workflow(workflow_id)

    async def add_version(
        self,
        workflow_id: str,
        name: str,
        description: str,
        tags: list[str],
        checksum: str,
        body: str,
    ) -> VersionRecord:
        for field, value in (("name", name), ("description", description)):
            _check_text(field, value)
        now = utcnow()
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WORKFLOW_WRITE_LOCK,))
            current = await _workflow_row(conn, workflow_id)
            wid, latest_version = current["id"], current["latest_version"]
            cur = await conn.execute(
                "SELECT checksum FROM workflow_versions WHERE workflow_id = %s AND version = %s",
                (wid, latest_version),
            )
            latest = await cur.fetchone()
            if latest is not None and latest["checksum"] == checksum:
                version = latest_version
            else:
                version = latest_version + 1
                slug = (
                    current["slug"]
                    if name == current["name"]
                    else await _free_slug(conn, name, wid)
                )
                await conn.execute(_PUT_DOC, (checksum, body, now))
                await conn.execute(
                    "INSERT INTO workflow_versions (workflow_id, version, checksum, created_at)"
                    " VALUES (%s, %s, %s, %s)",
                    (wid, version, checksum, now),
                )
                await conn.execute(
                    "UPDATE workflows SET name = %s, slug = %s, description = %s, tags = %s,"
                    " latest_version = %s, updated_at = %s WHERE id = %s",
                    (name, slug, description, Jsonb(tags), version, now, wid),
                )
        return await self.get_version(wid, version)

    async def get_workflow(self, id_or_slug: str) -> WorkflowRecord:
        async with self._pool.connection() as conn:
            return _workflow(await _workflow_row(conn, id_or_slug))

    async def list_workflows(
        self, *, query: str | None = None, tag: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[WorkflowRecord], int]:
        where: list[str] = []
        params: list[Any] = []
        if query:
            where.append("(name ILIKE %s OR description ILIKE %s OR slug ILIKE %s)")
            like = f"%{query}%"
            params += [like, like, like]
        if tag:
            where.append("tags @> %s")
            params.append(Jsonb([tag]))
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        async with self._pool.connection() as conn:
            cur = await conn.execute(f"SELECT COUNT(*) AS n FROM workflows{clause}", params)
            total = int((await cur.fetchone() or {"n": 0})["n"])
            cur = await conn.execute(
                f"SELECT * FROM workflows{clause} ORDER BY updated_at DESC, id LIMIT %s OFFSET %s",
                (*params, limit, offset),
            )
            rows = await cur.fetchall()
        return [_workflow(r) for r in rows], total

    async def delete_workflow(self, workflow_id: str) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(%s)", (_WORKFLOW_WRITE_LOCK,))
            row = await _workflow_row(conn, workflow_id)
            await conn.execute("DELETE FROM workflow_versions WHERE workflow_id = %s", (row["id"],))
            await conn.execute("DELETE FROM workflows WHERE id = %s", (row["id"],))

    async def list_versions(self, workflow_id: str) -> list[VersionRecord]:
        async with self._pool.connection() as conn:
            row = await _workflow_row(conn, workflow_id)
            cur = await conn.execute(
                "SELECT * FROM workflow_versions WHERE workflow_id = %s ORDER BY version",
                (row["id"],),
            )
            rows = await cur.fetchall()
        return [
            VersionRecord(r["workflow_id"], r["version"], r["checksum"], r["created_at"])
            for r in rows
        ]

    async def get_version(self, workflow_id: str, version: int | None = None) -> VersionRecord:
        async with self._pool.connection() as conn:
            wf = await _workflow_row(conn, workflow_id)
            number = wf["latest_version"] if version is None else version
            cur = await conn.execute(
                "SELECT v.*, d.body FROM workflow_versions v"
                " JOIN documents d ON d.checksum = v.checksum"
                " WHERE v.workflow_id = %s AND v.version = %s",
                (wf["id"], number),
            )
            row = await cur.fetchone()
        if row is None:
            raise NotFound(f"workflow {workflow_id!r} has no version {version}")
        return VersionRecord(
            row["workflow_id"],
            row["version"],
            row["checksum"],
            row["created_at"],
            json.loads(row["body"]),
        )

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

    async def get_run(self, run_id: str) -> RunRecord:
        row = await self._one("SELECT * FROM runs WHERE id = %s", (run_id,))
        if row is None:
            raise NotFound(f"run {run_id!r} not found")
        return _run(row)

    async def list_runs(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        id_prefix: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[RunRecord], int]:
        where: list[str] = []
        params: list[Any] = []
        if workflow_id:
            where.append("workflow_id = %s")
            params.append(workflow_id)
        if status:
            where.append("status = %s")
            params.append(status)
        if id_prefix:
            where.append("substr(id, 1, %s) = %s")
            params.extend([len(id_prefix), id_prefix])
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        async with self._pool.connection() as conn:
            cur = await conn.execute(f"SELECT COUNT(*) AS n FROM runs{clause}", params)
            total = int((await cur.fetchone() or {"n": 0})["n"])
            cur = await conn.execute(
                f"SELECT * FROM runs{clause} ORDER BY created_at DESC, id LIMIT %s OFFSET %s",
                (*params, limit, offset),
            )
            rows = await cur.fetchall()
        return [_run(r) for r in rows], total

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


async def _free_slug(conn: AsyncConnection[Row], name: str, workflow_id: str | None = None) -> str:
    base = slugify(name)
    cur = await conn.execute(
        "SELECT slug, id FROM workflows WHERE slug = %s OR slug LIKE %s",
        (base, f"{base}-%"),
    )
    taken = {r["slug"] for r in await cur.fetchall() if r["id"] != workflow_id}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


async def _workflow_row(conn: AsyncConnection[Row], id_or_slug: str) -> Row:
    cur = await conn.execute(
        "SELECT * FROM workflows WHERE id = %s OR slug = %s ORDER BY (id = %s) DESC LIMIT 1",
        (id_or_slug, id_or_slug, id_or_slug),
    )
    row = await cur.fetchone()
    if row is None:
        raise NotFound(f"workflow {id_or_slug!r} not found")
    return row


def _workflow(row: Row) -> WorkflowRecord:
    return WorkflowRecord(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        description=row["description"],
        tags=list(row["tags"]),
        latest_version=row["latest_version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


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


_PUT_DOC = (
    "INSERT INTO documents (checksum, body, created_at) VALUES (%s, %s, %s)"
    " ON CONFLICT (checksum) DO NOTHING"
)
_INSERT_RUN = (
    f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('%s' for _ in _RUN_COLUMNS)})"
)
