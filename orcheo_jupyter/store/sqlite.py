"""SQLite repository (aiosqlite, WAL): the embedded default.

A kernel and the Jupyter server may open the same file: WAL lets readers run
beside one writer, ``busy_timeout`` waits out the other process's short write
transactions, and every write is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import aiosqlite

from ..clock import utcnow
from .base import Conflict, NotFound
from .records import (
    EventRecord,
    RunRecord,
    RunUpdate,
    TransitionRecord,
    VersionRecord,
    WorkflowRecord,
)

SCHEMA_VERSION = 1

_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE IF NOT EXISTS documents (
        checksum TEXT PRIMARY KEY,
        body TEXT NOT NULL,
        created_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS workflows (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        slug TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL DEFAULT '',
        tags TEXT NOT NULL DEFAULT '[]',
        latest_version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE IF NOT EXISTS workflow_versions (
        workflow_id TEXT NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
        version INTEGER NOT NULL,
        checksum TEXT NOT NULL REFERENCES documents(checksum),
        created_at TEXT NOT NULL,
        PRIMARY KEY (workflow_id, version)
    );
    CREATE TABLE IF NOT EXISTS runs (
        id TEXT PRIMARY KEY,
        workflow_id TEXT,
        version INTEGER,
        checksum TEXT NOT NULL,
        status TEXT NOT NULL,
        inputs TEXT NOT NULL,
        config TEXT NOT NULL DEFAULT '{}',
        error TEXT,
        final_state TEXT,
        node_states TEXT NOT NULL DEFAULT '{}',
        interrupt TEXT,
        parent_run_id TEXT,
        parent_checkpoint_id TEXT,
        owner TEXT,
        created_at TEXT NOT NULL,
        started_at TEXT,
        finished_at TEXT,
        updated_at TEXT NOT NULL,
        last_seq INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX IF NOT EXISTS runs_by_workflow ON runs(workflow_id, created_at);
    CREATE INDEX IF NOT EXISTS runs_by_status ON runs(status);
    CREATE TABLE IF NOT EXISTS run_transitions (
        run_id TEXT NOT NULL,
        n INTEGER NOT NULL,
        status TEXT NOT NULL,
        at TEXT NOT NULL,
        PRIMARY KEY (run_id, n)
    ) WITHOUT ROWID;
    CREATE TABLE IF NOT EXISTS run_events (
        run_id TEXT NOT NULL,
        seq INTEGER NOT NULL,
        type TEXT NOT NULL,
        node TEXT,
        at TEXT NOT NULL,
        data TEXT NOT NULL,
        PRIMARY KEY (run_id, seq)
    ) WITHOUT ROWID;
    """,
}

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


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _loads(text: str | None) -> Any:
    return None if text is None else json.loads(text)


class SqliteRepository:
    """The Repository protocol on one SQLite file."""

    def __init__(self, path: str | Path, *, busy_timeout_ms: int = 10_000) -> None:
        self.path = Path(path)
        self._busy_timeout_ms = busy_timeout_ms
        self._db: aiosqlite.Connection | None = None

    # --- lifecycle -------------------------------------------------------
    async def open(self) -> None:
        if self._db is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        db = await aiosqlite.connect(self.path, isolation_level=None)
        db.row_factory = sqlite3.Row
        await db.execute(f"PRAGMA busy_timeout={self._busy_timeout_ms}")
        await db.execute("PRAGMA journal_mode=WAL")
        await db.execute("PRAGMA synchronous=NORMAL")
        await db.execute("PRAGMA foreign_keys=ON")
        self._db = db
        await self._migrate()

    async def close(self) -> None:
        if self._db is not None:
            await self._db.close()
            self._db = None

    @property
    def db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise RuntimeError("repository is not open")
        return self._db

    async def _migrate(self) -> None:
        async with self.db.execute("PRAGMA user_version") as cur:
            row = await cur.fetchone()
        current = int(row[0]) if row else 0
        for version in range(current + 1, SCHEMA_VERSION + 1):
            await self.db.execute("BEGIN IMMEDIATE")
            try:
                # Re-check inside the lock: another process may have migrated meanwhile.
                async with self.db.execute("PRAGMA user_version") as cur:
                    row = await cur.fetchone()
                if row and int(row[0]) >= version:
                    await self.db.execute("COMMIT")
                    continue
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        await self.db.execute(statement)
                await self.db.execute(f"PRAGMA user_version={version}")
                await self.db.execute("COMMIT")
            except BaseException:
                await self.db.execute("ROLLBACK")
                raise

    async def _write(self, statements: list[tuple[str, tuple[Any, ...]]]) -> None:
        """Run statements in one immediate transaction; all or nothing."""
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in statements:
                await self.db.execute(sql, params)
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

    async def _one(self, sql: str, params: tuple[Any, ...] = ()) -> sqlite3.Row | None:
        async with self.db.execute(sql, params) as cur:
            return await cur.fetchone()

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        async with self.db.execute(sql, params) as cur:
            return list(await cur.fetchall())

    # --- documents -------------------------------------------------------
    async def put_document(self, checksum: str, body: str) -> None:
        await self._write([(_PUT_DOC, (checksum, body, utcnow()))])

    async def get_document(self, checksum: str) -> str:
        row = await self._one("SELECT body FROM documents WHERE checksum = ?", (checksum,))
        if row is None:
            raise NotFound(f"document {checksum} not found")
        return str(row["body"])

    # --- workflows -------------------------------------------------------
    async def _free_slug(self, name: str, workflow_id: str | None = None) -> str:
        base = slugify(name)
        rows = await self._all(
            "SELECT slug, id FROM workflows WHERE slug = ? OR slug LIKE ?", (base, f"{base}-%")
        )
        taken = {r["slug"] for r in rows if r["id"] != workflow_id}
        if base not in taken:
            return base
        n = 2
        while f"{base}-{n}" in taken:
            n += 1
        return f"{base}-{n}"

    async def create_workflow(
        self,
        workflow_id: str,
        name: str,
        description: str,
        tags: list[str],
        checksum: str,
        body: str,
    ) -> WorkflowRecord:
        if await self._one("SELECT 1 FROM workflows WHERE id = ?", (workflow_id,)):
            raise Conflict(f"workflow {workflow_id} already exists")
        now = utcnow()
        slug = await self._free_slug(name)
        try:
            await self._write(
                [
                    (_PUT_DOC, (checksum, body, now)),
                    (
                        "INSERT INTO workflows (id, name, slug, description, tags, latest_version,"
                        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, ?)",
                        (workflow_id, name, slug, description, _dumps(tags), now, now),
                    ),
                    (
                        "INSERT INTO workflow_versions (workflow_id, version, checksum, created_at)"
                        " VALUES (?, 1, ?, ?)",
                        (workflow_id, checksum, now),
                    ),
                ]
            )
        except sqlite3.IntegrityError as exc:
            raise Conflict(f"workflow {workflow_id} could not be stored: {exc}") from None
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
        current = await self.get_workflow(workflow_id)
        latest = await self.get_version(workflow_id, current.latest_version)
        if latest.checksum == checksum:
            return latest
        now = utcnow()
        version = current.latest_version + 1
        slug = current.slug if name == current.name else await self._free_slug(name, workflow_id)
        await self._write(
            [
                (_PUT_DOC, (checksum, body, now)),
                (
                    "INSERT INTO workflow_versions (workflow_id, version, checksum, created_at)"
                    " VALUES (?, ?, ?, ?)",
                    (workflow_id, version, checksum, now),
                ),
                (
                    "UPDATE workflows SET name = ?, slug = ?, description = ?, tags = ?,"
                    " latest_version = ?, updated_at = ? WHERE id = ? AND latest_version = ?",
                    (
                        name,
                        slug,
                        description,
                        _dumps(tags),
                        version,
                        now,
                        workflow_id,
                        current.latest_version,
                    ),
                ),
            ]
        )
        return await self.get_version(workflow_id, version)

    @staticmethod
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

    async def get_workflow(self, id_or_slug: str) -> WorkflowRecord:
        row = await self._one(
            "SELECT * FROM workflows WHERE id = ? OR slug = ? ORDER BY id = ? DESC LIMIT 1",
            (id_or_slug, id_or_slug, id_or_slug),
        )
        if row is None:
            raise NotFound(f"workflow {id_or_slug!r} not found")
        return self._workflow(row)

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
        total_row = await self._one(f"SELECT COUNT(*) FROM workflows{clause}", tuple(params))
        rows = await self._all(
            f"SELECT * FROM workflows{clause} ORDER BY updated_at DESC, id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [self._workflow(r) for r in rows], int(total_row[0]) if total_row else 0

    async def delete_workflow(self, workflow_id: str) -> None:
        workflow = await self.get_workflow(workflow_id)
        await self._write(
            [
                ("DELETE FROM workflow_versions WHERE workflow_id = ?", (workflow.id,)),
                ("DELETE FROM workflows WHERE id = ?", (workflow.id,)),
            ]
        )

    async def list_versions(self, workflow_id: str) -> list[VersionRecord]:
        workflow = await self.get_workflow(workflow_id)
        rows = await self._all(
            "SELECT * FROM workflow_versions WHERE workflow_id = ? ORDER BY version",
            (workflow.id,),
        )
        return [
            VersionRecord(r["workflow_id"], r["version"], r["checksum"], r["created_at"])
            for r in rows
        ]

    async def get_version(self, workflow_id: str, version: int | None = None) -> VersionRecord:
        workflow = await self.get_workflow(workflow_id)
        number = workflow.latest_version if version is None else version
        row = await self._one(
            "SELECT v.*, d.body FROM workflow_versions v"
            " JOIN documents d ON d.checksum = v.checksum"
            " WHERE v.workflow_id = ? AND v.version = ?",
            (workflow.id, number),
        )
        if row is None:
            raise NotFound(f"workflow {workflow_id!r} has no version {number}")
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
            _dumps(getattr(run, c))
            if c in _JSON_FIELDS and getattr(run, c) is not None
            else getattr(run, c)
            for c in _RUN_COLUMNS
        )
        placeholders = ", ".join("?" for _ in _RUN_COLUMNS)
        try:
            await self._write(
                [
                    *(
                        [(_PUT_DOC, (run.checksum, document_body, run.created_at))]
                        if document_body
                        else []
                    ),
                    (
                        f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({placeholders})",
                        values,
                    ),
                    (_TRANSITION, (run.id, run.id, run.status, run.created_at)),
                ]
            )
        except sqlite3.IntegrityError:
            raise Conflict(f"run {run.id} already exists") from None

    @staticmethod
    def _run(row: sqlite3.Row) -> RunRecord:
        data = {c: row[c] for c in _RUN_COLUMNS}
        for c in _JSON_FIELDS:
            data[c] = _loads(data[c])
        data["config"] = data["config"] or {}
        data["node_states"] = data["node_states"] or {}
        return RunRecord(**data)

    async def get_run(self, run_id: str) -> RunRecord:
        row = await self._one("SELECT * FROM runs WHERE id = ?", (run_id,))
        if row is None:
            raise NotFound(f"run {run_id!r} not found")
        return self._run(row)

    async def list_runs(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[RunRecord], int]:
        where, params = [], []
        if workflow_id:
            where.append("workflow_id = ?")
            params.append(workflow_id)
        if status:
            where.append("status = ?")
            params.append(status)
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        total_row = await self._one(f"SELECT COUNT(*) FROM runs{clause}", tuple(params))
        rows = await self._all(
            f"SELECT * FROM runs{clause} ORDER BY created_at DESC, id LIMIT ? OFFSET ?",
            (*params, limit, offset),
        )
        return [self._run(r) for r in rows], int(total_row[0]) if total_row else 0

    async def write_batch(self, events: list[EventRecord], updates: list[RunUpdate]) -> None:
        """Events and run updates of possibly many runs, in one transaction, in order."""
        if not events and not updates:
            return
        await self.db.execute("BEGIN IMMEDIATE")
        try:
            if events:
                await self.db.executemany(
                    "INSERT OR IGNORE INTO run_events (run_id, seq, type, node, at, data)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    [(e.run_id, e.seq, e.type, e.node, e.at, _dumps(e.data)) for e in events],
                )
            for update in updates:
                await self._apply_update(update)
            await self.db.execute("COMMIT")
        except BaseException:
            await self.db.execute("ROLLBACK")
            raise

    async def _apply_update(self, update: RunUpdate) -> None:
        unknown = set(update.fields) - _UPDATABLE
        if unknown:
            raise ValueError(f"cannot update run fields {sorted(unknown)}")
        fields = dict(update.fields)
        fields["updated_at"] = update.at
        assignments = ", ".join(f"{k} = ?" for k in fields)
        values = [
            _dumps(v) if k in _JSON_FIELDS and v is not None else v for k, v in fields.items()
        ]
        await self.db.execute(
            f"UPDATE runs SET {assignments} WHERE id = ?", (*values, update.run_id)
        )
        if "status" in fields:
            await self.db.execute(
                _TRANSITION, (update.run_id, update.run_id, fields["status"], update.at)
            )

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
            EventRecord(r["run_id"], r["seq"], r["type"], r["at"], r["node"], json.loads(r["data"]))
            for r in rows
        ]

    async def list_transitions(self, run_id: str) -> list[TransitionRecord]:
        rows = await self._all(
            "SELECT * FROM run_transitions WHERE run_id = ? ORDER BY n", (run_id,)
        )
        return [TransitionRecord(r["run_id"], r["status"], r["at"]) for r in rows]


_PUT_DOC = "INSERT OR IGNORE INTO documents (checksum, body, created_at) VALUES (?, ?, ?)"
_TRANSITION = (
    "INSERT INTO run_transitions (run_id, n, status, at) VALUES "
    "(?, (SELECT COALESCE(MAX(n), 0) + 1 FROM run_transitions WHERE run_id = ?), ?, ?)"
)
