"""Credential storage behind a small protocol; SQLite (its own file) is the embedded default.

The vault only ever hands this layer sealed blobs, so a Postgres implementation
(or any other) never sees a plaintext value. Every SQLite call is one hop on the
connection thread; audit entries are group-committed.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from ..store.base import Conflict, NotFound
from ..store.group_commit import GroupCommit
from ..store.sqlite_migrate import migrate
from ..store.sqlite_thread import SqliteThread
from .records import AuditEntry, CredentialRow

SCHEMA_VERSION = 1
_SCHEMA = """
CREATE TABLE IF NOT EXISTS credentials (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    scope TEXT,
    description TEXT NOT NULL DEFAULT '',
    sealed BLOB NOT NULL,
    key_id TEXT NOT NULL,
    expires_at TEXT,
    created_at TEXT NOT NULL,
    rotated_at TEXT,
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS credential_audit (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    credential_id TEXT NOT NULL,
    name TEXT NOT NULL,
    action TEXT NOT NULL,
    at TEXT NOT NULL,
    actor TEXT,
    workflow_id TEXT,
    run_id TEXT,
    node TEXT,
    detail TEXT
);
CREATE INDEX IF NOT EXISTS credential_audit_by_name ON credential_audit(name, id);
"""


class CredentialStore(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def insert(self, row: CredentialRow, audit: AuditEntry) -> None: ...
    async def get(self, name: str) -> CredentialRow: ...
    async def list_all(self) -> list[CredentialRow]: ...
    async def replace(self, row: CredentialRow, expected_version: int, audit: AuditEntry) -> None:
        """Store a new version of the row (rotation or metadata change); Conflict if raced."""
        ...

    async def delete(self, name: str, audit: AuditEntry) -> None: ...
    async def audit(self, entry: AuditEntry) -> None:
        """Append one entry; durable when the call returns."""
        ...

    async def list_audit(
        self, name: str | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[AuditEntry], int]: ...


_ROW_COLUMNS = (
    "id",
    "name",
    "kind",
    "scope",
    "description",
    "sealed",
    "key_id",
    "expires_at",
    "created_at",
    "rotated_at",
    "version",
)
_AUDIT_COLUMNS = (
    "credential_id",
    "name",
    "action",
    "at",
    "actor",
    "workflow_id",
    "run_id",
    "node",
    "detail",
)


def _row_values(row: CredentialRow) -> tuple[Any, ...]:
    values = [getattr(row, c) for c in _ROW_COLUMNS]
    values[3] = None if row.scope is None else json.dumps(row.scope)
    return tuple(values)


def _from_row(r: sqlite3.Row) -> CredentialRow:
    scope = None if r["scope"] is None else list(json.loads(r["scope"]))
    return CredentialRow(
        id=r["id"],
        name=r["name"],
        kind=r["kind"],
        scope=scope,
        description=r["description"],
        sealed=bytes(r["sealed"]),
        key_id=r["key_id"],
        expires_at=r["expires_at"],
        created_at=r["created_at"],
        rotated_at=r["rotated_at"],
        version=r["version"],
    )


def _insert_audit(conn: sqlite3.Connection, entries: Sequence[AuditEntry]) -> None:
    conn.executemany(
        f"INSERT INTO credential_audit ({', '.join(_AUDIT_COLUMNS)})"
        f" VALUES ({', '.join('?' for _ in _AUDIT_COLUMNS)})",
        [tuple(getattr(e, c) for c in _AUDIT_COLUMNS) for e in entries],
    )


def _audit_batch(conn: sqlite3.Connection, entries: Sequence[AuditEntry]) -> list[None]:
    _insert_audit(conn, entries)
    return [None] * len(entries)


class SqliteCredentialStore:
    """CredentialStore on one SQLite file (``<data dir>/vault.sqlite``)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._db = SqliteThread(self.path)
        self._audit: GroupCommit[AuditEntry, None] = GroupCommit.sqlite(self._db, _audit_batch)

    async def open(self) -> None:
        await self._db.open()
        await self._db.call(lambda conn: migrate(conn, {SCHEMA_VERSION: _SCHEMA}))

    async def close(self) -> None:
        await self._audit.drain()
        await self._db.close()

    async def insert(self, row: CredentialRow, audit: AuditEntry) -> None:
        def work(conn: sqlite3.Connection) -> None:
            try:
                conn.execute(
                    f"INSERT INTO credentials ({', '.join(_ROW_COLUMNS)})"
                    f" VALUES ({', '.join('?' for _ in _ROW_COLUMNS)})",
                    _row_values(row),
                )
            except sqlite3.IntegrityError:
                raise Conflict(f"credential {row.name!r} already exists") from None
            _insert_audit(conn, [audit])

        await self._db.transaction(work)

    async def get(self, name: str) -> CredentialRow:
        row = await self._db.call(
            lambda c: c.execute("SELECT * FROM credentials WHERE name = ?", (name,)).fetchone()
        )
        if row is None:
            raise NotFound(f"credential {name!r} not found")
        return _from_row(row)

    async def list_all(self) -> list[CredentialRow]:
        rows = await self._db.call(
            lambda c: c.execute("SELECT * FROM credentials ORDER BY name").fetchall()
        )
        return [_from_row(r) for r in rows]

    async def replace(self, row: CredentialRow, expected_version: int, audit: AuditEntry) -> None:
        assignments = ", ".join(f"{c} = ?" for c in _ROW_COLUMNS if c not in ("id", "name"))
        values = [
            v
            for c, v in zip(_ROW_COLUMNS, _row_values(row), strict=True)
            if c not in ("id", "name")
        ]

        def work(conn: sqlite3.Connection) -> None:
            cur = conn.execute(
                f"UPDATE credentials SET {assignments} WHERE name = ? AND version = ?",
                (*values, row.name, expected_version),
            )
            if cur.rowcount != 1:
                exists = conn.execute(
                    "SELECT 1 FROM credentials WHERE name = ?", (row.name,)
                ).fetchone()
                if exists is None:
                    raise NotFound(f"credential {row.name!r} not found")
                raise Conflict(f"credential {row.name!r} changed meanwhile; try again")
            _insert_audit(conn, [audit])

        await self._db.transaction(work)

    async def delete(self, name: str, audit: AuditEntry) -> None:
        def work(conn: sqlite3.Connection) -> None:
            cur = conn.execute("DELETE FROM credentials WHERE name = ?", (name,))
            if cur.rowcount != 1:
                raise NotFound(f"credential {name!r} not found")
            _insert_audit(conn, [audit])

        await self._db.transaction(work)

    async def audit(self, entry: AuditEntry) -> None:
        await self._audit.submit(entry)

    async def list_audit(
        self, name: str | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[AuditEntry], int]:
        where, params = ("WHERE name = ?", (name,)) if name is not None else ("", ())

        def work(conn: sqlite3.Connection) -> tuple[list[sqlite3.Row], int]:
            total = conn.execute(f"SELECT COUNT(*) FROM credential_audit {where}", params)
            rows = conn.execute(
                f"SELECT * FROM credential_audit {where} ORDER BY id DESC LIMIT ? OFFSET ?",
                (*params, limit, offset),
            ).fetchall()
            return rows, int(total.fetchone()[0])

        rows, total = await self._db.call(work)
        entries = [AuditEntry(**{c: r[c] for c in _AUDIT_COLUMNS}, id=r["id"]) for r in rows]
        return entries, total
