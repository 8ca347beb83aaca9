"""SQLite repository (WAL, one connection thread): the embedded default.

A kernel and the Jupyter server may open the same file: WAL lets readers run
beside one writer, ``busy_timeout`` waits out the other process's short write
transactions, and every write is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..clock import utcnow
from ..spec.values import loads_stored
from .base import Conflict, NotFound
from .encoding import dumps
from .records import (
    EventRecord,
    RunRecord,
    RunUpdate,
    TransitionRecord,
    VersionRecord,
    WorkflowRecord,
    reference,
    resolve_shared,
)
from .sqlite_locks import SqliteLocks
from .sqlite_migrate import migrate
from .sqlite_schema import MIGRATIONS
from .sqlite_thread import DEFAULT_WAL_LIMIT_BYTES, SqliteThread

_JSON_FIELDS = {"inputs", "config", "final_state", "node_states", "interrupt"}
_RUN_COLUMNS = (
    "id",
    "workflow_id",
    "version",
    "checksum",
    "status",
    "inputs",
    "config",
    "error",
    "final_state",
    "node_states",
    "interrupt",
    "parent_run_id",
    "parent_checkpoint_id",
    "owner",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
    "last_seq",
)
_UPDATABLE = set(_RUN_COLUMNS) - {"id", "created_at"}


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug or "workflow"


_dumps = dumps  # an ``Encoded`` value (events, final states) is written as it is


def _loads(text: str | None) -> Any:
    return None if text is None else loads_stored(text)


class SqliteRepository(SqliteLocks):
    """The Repository protocol on one SQLite file."""

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_ms: int = 10_000,
        wal_limit_bytes: int = DEFAULT_WAL_LIMIT_BYTES,
    ) -> None:
        self.path = Path(path)
        self._db = SqliteThread(
            self.path, busy_timeout_ms=busy_timeout_ms, wal_limit_bytes=wal_limit_bytes
        )

    # --- lifecycle -------------------------------------------------------
    async def open(self) -> None:
        await self._db.open()
        await self._db.call(lambda conn: migrate(conn, MIGRATIONS))

    async def close(self) -> None:
        await self._db.close()

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        return await self._db.call(lambda c: c.execute(sql, params).fetchone(), inline=True)

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        return await self._db.call(lambda c: c.execute(sql, params).fetchall())

    async def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Run statements in one immediate transaction; all or nothing."""

        def work(conn: sqlite3.Connection) -> None:
            for sql, params in statements:
                conn.execute(sql, params)

        await self._db.transaction(work)

    # --- documents -------------------------------------------------------
    async def put_document(self, checksum: str, body: str) -> None:
        await self._write([(_PUT_DOC, (checksum, body, utcnow()))])

    async def get_document(self, checksum: str) -> str:
        row = await self._one("SELECT body FROM documents WHERE checksum = ?", (checksum,))
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
        now = utcnow()

        def work(conn: sqlite3.Connection) -> None:
            if conn.execute("SELECT 1 FROM workflows WHERE id = ?", (workflow_id,)).fetchone():
                raise Conflict(f"workflow {workflow_id} already exists")
            slug = _free_slug(conn, name)
            conn.execute(_PUT_DOC, (checksum, body, now))
            conn.execute(
                "INSERT INTO workflows (id, name, slug, description, tags, latest_version,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                (workflow_id, name, slug, description, _dumps(tags), now, now),
            )
            conn.execute(
                "INSERT INTO workflow_versions (workflow_id, version, checksum, created_at)"
                " VALUES (?, 1, ?, ?)",
                (workflow_id, checksum, now),
            )

        await self._db.transaction(work)
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
        now = utcnow()

        def work(conn: sqlite3.Connection) -> tuple[str, int]:
            current = _workflow_row(conn, workflow_id)
            latest = conn.execute(
                "SELECT checksum FROM workflow_versions WHERE workflow_id = ? AND version = ?",
                (current["id"], current["latest_version"]),
            ).fetchone()
            if latest is not None and latest["checksum"] == checksum:
                return current["id"], current["latest_version"]
            version = current["latest_version"] + 1
            slug = (
                current["slug"]
                if name == current["name"]
                else _free_slug(conn, name, current["id"])
            )
            conn.execute(_PUT_DOC, (checksum, body, now))
            conn.execute(
                "INSERT INTO workflow_versions (workflow_id, version, checksum, created_at)"
                " VALUES (?, ?, ?, ?)",
                (current["id"], version, checksum, now),
            )
            conn.execute(
                "UPDATE workflows SET name = ?, slug = ?, description = ?, tags = ?,"
                " latest_version = ?, updated_at = ? WHERE id = ?",
                (name, slug, description, _dumps(tags), version, now, current["id"]),
            )
            return current["id"], version

        wid, version = await self._db.transaction(work)
        return await self.get_version(wid, version)

    async def get_workflow(self, id_or_slug: str) -> WorkflowRecord:
        return _workflow(await self._db.call(lambda c: _workflow_row(c, id_or_slug)))

    async def list_workflows(
        self, *, query: str | None = None, tag: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[WorkflowRecord], int]:
        where, params = [], []
        if query:
            where.append("(name LIKE ? OR description LIKE ? OR slug LIKE ?)")
            like = f"%{query}%"
            params += [like, like, like]
        if tag:
            where.append("EXISTS (SELECT 1 FROM json_each(workflows.tags) WHERE value = ?)")
            params.append(tag)
        clause = f" WHERE {' AND '.join(where)}" if where else ""

        def work(conn: sqlite3.Connection) -> tuple[list[sqlite3.Row], int]:
            total = conn.execute(f"SELECT COUNT(*) FROM workflows{clause}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT * FROM workflows{clause} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
            return rows, int(total)

        rows, total = await self._db.call(work)
        return [_workflow(r) for r in rows], total

    async def delete_workflow(self, workflow_id: str) -> None:
        def work(conn: sqlite3.Connection) -> None:
            row = _workflow_row(conn, workflow_id)
            conn.execute("DELETE FROM workflow_versions WHERE workflow_id = ?", (row["id"],))
            conn.execute("DELETE FROM workflows WHERE id = ?", (row["id"],))

        await self._db.transaction(work)

    async def list_versions(self, workflow_id: str) -> list[VersionRecord]:
        def work(conn: sqlite3.Connection) -> list[sqlite3.Row]:
            row = _workflow_row(conn, workflow_id)
            return conn.execute(
                "SELECT * FROM workflow_versions WHERE workflow_id = ? ORDER BY version",
                (row["id"],),
            ).fetchall()

        rows = await self._db.call(work)
        return [
            VersionRecord(r["workflow_id"], r["version"], r["checksum"], r["created_at"])
            for r in rows
        ]

    async def get_version(self, workflow_id: str, version: int | None = None) -> VersionRecord:
        def work(conn: sqlite3.Connection) -> sqlite3.Row | None:
            wf = _workflow_row(conn, workflow_id)
            number = wf["latest_version"] if version is None else version
            return conn.execute(
                "SELECT v.*, d.body FROM workflow_versions v"
                " JOIN documents d ON d.checksum = v.checksum"
                " WHERE v.workflow_id = ? AND v.version = ?",
                (wf["id"], number),
            ).fetchone()

        row = await self._db.call(work, inline=True)
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
        values, inputs = _run_values(run)

        def work(conn: sqlite3.Connection) -> None:
            if document_body is not None:
                conn.execute(_PUT_DOC, (run.checksum, document_body, run.created_at))
            try:
                conn.execute(_INSERT_RUN, values)
            except sqlite3.IntegrityError:
                raise Conflict(f"run {run.id} already exists") from None
            if inputs is not None:
                conn.execute(_PUT_INPUTS, (run.id, inputs))

        await self._db.transaction(work, inline=True)

    async def create_runs(self, runs: list[RunRecord]) -> list[bool]:
        """Store many new runs in one transaction; False for each id already stored.

        For callers that queue runs in bursts (webhook deliveries): one commit, not one each.
        """
        rows = [_run_values(run) for run in runs]

        def work(conn: sqlite3.Connection) -> list[bool]:
            stored = []
            for (values, inputs), run in zip(rows, runs, strict=True):
                new = conn.execute(_INSERT_RUN_IF_NEW, values).rowcount == 1
                if new and inputs is not None:
                    conn.execute(_PUT_INPUTS, (run.id, inputs))
                stored.append(new)
            return stored

        return await self._db.transaction(work, inline=True)

    async def get_run(self, run_id: str) -> RunRecord:
        runs = await self._db.call(
            lambda c: _runs(c, c.execute("SELECT * FROM runs WHERE id = ?", (run_id,)).fetchall()),
            inline=True,
        )
        if not runs:
            raise NotFound(f"run {run_id!r} not found")
        return runs[0]

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
        params: list[str | int] = []
        if workflow_id:
            where.append("workflow_id = ?")
            params.append(workflow_id)
        if status:
            where.append("status = ?")
            params.append(status)
        if id_prefix:
            where.append("substr(id, 1, ?) = ?")
            params.extend([len(id_prefix), id_prefix])
        clause = f" WHERE {' AND '.join(where)}" if where else ""

        def work(conn: sqlite3.Connection) -> tuple[list[RunRecord], int]:
            total = conn.execute(f"SELECT COUNT(*) FROM runs{clause}", params).fetchone()[0]
            rows = conn.execute(
                f"SELECT * FROM runs{clause} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
            return _runs(conn, rows), int(total)

        return await self._db.call(work)

    async def write_batch(self, events: list[EventRecord], updates: list[RunUpdate]) -> None:
        """Events and run updates of possibly many runs, in one transaction, in order."""
        if events or updates:
            await self._db.transaction(_batch_work(events, updates), inline=True)

    def write_batch_now(self, events: list[EventRecord], updates: list[RunUpdate]) -> bool:
        """``write_batch`` on this thread if the database is free at once, else False."""
        if not events and not updates:
            return True
        done, _ = self._db.transaction_now(_batch_work(events, updates))
        return done

    async def list_events(
        self, run_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[EventRecord]:
        sql = "SELECT * FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq"
        params: tuple[Any, ...] = (run_id, after)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        rows = await self._all(sql, params)
        return [
            EventRecord(
                r["run_id"],
                r["seq"],
                r["type"],
                r["at"],
                r["node"],
                loads_stored(r["data"]),
                r["data"],
            )
            for r in rows
        ]

    async def list_transitions(self, run_id: str) -> list[TransitionRecord]:
        rows = await self._all(
            "SELECT * FROM run_transitions WHERE run_id = ? ORDER BY n", (run_id,)
        )
        return [TransitionRecord(r["run_id"], r["status"], r["at"]) for r in rows]


def _free_slug(conn: sqlite3.Connection, name: str, workflow_id: str | None = None) -> str:
    base = slugify(name)
    rows = conn.execute(
        "SELECT slug, id FROM workflows WHERE slug = ? OR slug LIKE ?", (base, f"{base}-%")
    ).fetchall()
    taken = {r["slug"] for r in rows if r["id"] != workflow_id}
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def _workflow_row(conn: sqlite3.Connection, id_or_slug: str) -> sqlite3.Row:
    row = conn.execute(
        "SELECT * FROM workflows WHERE id = ? OR slug = ? ORDER BY id = ? DESC LIMIT 1",
        (id_or_slug, id_or_slug, id_or_slug),
    ).fetchone()
    if row is None:
        raise NotFound(f"workflow {id_or_slug!r} not found")
    return row


def _workflow(row: sqlite3.Row) -> WorkflowRecord:
    return WorkflowRecord(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        description=row["description"],
        tags=json.loads(row["tags"]),
        latest_version=row["latest_version"],
        created_at=row["created_at"],
        updated_at=row["updated_at"],
    )


def _run_values(run: RunRecord) -> tuple[tuple[Any, ...], str | None]:
    """The run's row, and its inputs' text when they are stored beside it (large ones).

    A run row is rewritten at every status change: large inputs inside it would be
    copied into the WAL each time and leave as many freed pages in the file.
    """
    values = [
        _dumps(getattr(run, c))
        if c in _JSON_FIELDS and getattr(run, c) is not None
        else getattr(run, c)
        for c in _RUN_COLUMNS
    ]
    inputs = values[_INPUTS_AT]
    if len(inputs) <= _INLINE_INPUTS:
        return tuple(values), None
    values[_INPUTS_AT] = _INPUTS_BESIDE
    return tuple(values), inputs


def _runs(conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[RunRecord]:
    """Records of ``rows``, with the inputs stored beside them read back."""
    beside = [row["id"] for row in rows if row["inputs"] == _INPUTS_BESIDE]
    inputs: dict[str, str] = {}
    if beside:
        marks = ", ".join("?" for _ in beside)
        inputs = dict(
            conn.execute(
                f"SELECT run_id, inputs FROM run_inputs WHERE run_id IN ({marks})", beside
            ).fetchall()
        )
    return [_run(row, inputs.get(row["id"])) for row in rows]


def _run(row: sqlite3.Row, inputs: str | None = None) -> RunRecord:
    data = {c: row[c] for c in _RUN_COLUMNS}
    if inputs is not None:
        data["inputs"] = inputs
    for c in _JSON_FIELDS:
        data[c] = _loads(data[c])
    data["config"] = data["config"] or {}
    data["node_states"] = data["node_states"] or {}
    data["final_state"] = resolve_shared(data["final_state"], data["inputs"])
    return RunRecord(**data)


def _batch_work(
    events: list[EventRecord], updates: list[RunUpdate]
) -> Callable[[sqlite3.Connection], None]:
    rows = [
        (e.run_id, e.seq, e.type, e.node, e.at, e.text if e.text is not None else _dumps(e.data))
        for e in events
    ]
    statements = [_update_statement(u) for u in updates]

    def work(conn: sqlite3.Connection) -> None:
        if rows:
            conn.executemany(
                "INSERT OR IGNORE INTO run_events (run_id, seq, type, node, at, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        for sql, params in statements:
            conn.execute(sql, params)

    return work


def _update_statement(update: RunUpdate) -> tuple[str, tuple[Any, ...]]:
    unknown = set(update.fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"cannot update run fields {sorted(unknown)}")
    fields = dict(update.fields)
    fields["updated_at"] = update.at
    assignments = ", ".join(f"{k} = ?" for k in fields)
    values = [_dumps(v) if k in _JSON_FIELDS and v is not None else v for k, v in fields.items()]
    return f"UPDATE runs SET {assignments} WHERE id = ?", (*values, update.run_id)


_PUT_DOC = "INSERT OR IGNORE INTO documents (checksum, body, created_at) VALUES (?, ?, ?)"
_PUT_INPUTS = "INSERT OR REPLACE INTO run_inputs (run_id, inputs) VALUES (?, ?)"
#: Inputs whose JSON is longer than this live in ``run_inputs``; the row says so.
_INLINE_INPUTS = 64 * 1024
_INPUTS_BESIDE = dumps(reference("run_inputs"))
_INPUTS_AT = _RUN_COLUMNS.index("inputs")
_INSERT_RUN = (
    f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' for _ in _RUN_COLUMNS)})"
)
_INSERT_RUN_IF_NEW = _INSERT_RUN.replace("INSERT INTO", "INSERT OR IGNORE INTO", 1)
