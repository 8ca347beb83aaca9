"""Credential storage; SQLite (its own file) is the embedded default.

The vault only ever hands this layer sealed blobs, so a Postgres implementation
(or any other) never sees a plaintext value. ``CredentialStore`` holds the
queries once for both databases (``store/sql.py``); on SQLite every call is one
hop on the connection thread and audit entries are group-committed.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..store import sql
from ..store.base import Conflict, NotFound
from ..store.ddl import create_all
from ..store.group_commit import GroupCommit
from ..store.sqlite_migrate import SqliteStore
from ..store.tables import CREDENTIAL_AUDIT, CREDENTIALS
from .records import AuditEntry, CredentialRow

SCHEMA_VERSION = 1
_SCHEMA = create_all("sqlite", CREDENTIALS, CREDENTIAL_AUDIT)
_ROW_COLUMNS = CREDENTIALS.names
#: What an audit entry gives (the database numbers it).
_AUDIT_COLUMNS = CREDENTIAL_AUDIT.written


_INSERT_ROW = sql.insert("credentials", _ROW_COLUMNS)
_INSERT_AUDIT = sql.insert("credential_audit", _AUDIT_COLUMNS)
_BY_NAME = "SELECT * FROM credentials WHERE name = ?"
_ALL_BY_NAME = "SELECT * FROM credentials ORDER BY name"
_CHANGING = tuple(c for c in _ROW_COLUMNS if c not in ("id", "name"))
_REPLACE_ROW = (
    f"UPDATE credentials SET {', '.join(f'{c} = ?' for c in _CHANGING)}"
    " WHERE name = ? AND version = ?"
)


def _row_values(d: sql.Dialect, row: CredentialRow) -> dict[str, Any]:
    values = {c: getattr(row, c) for c in _ROW_COLUMNS}
    values["scope"] = None if row.scope is None else d.json(list(row.scope))
    return values


def _from_row(d: sql.Dialect, r: sql.Row) -> CredentialRow:
    return CredentialRow(
        id=r["id"],
        name=r["name"],
        kind=r["kind"],
        scope=None if r["scope"] is None else list(d.from_json(r["scope"])),
        description=r["description"],
        sealed=bytes(r["sealed"]),
        key_id=r["key_id"],
        expires_at=r["expires_at"],
        created_at=r["created_at"],
        rotated_at=r["rotated_at"],
        version=r["version"],
    )


def _audit_rows(entries: Sequence[AuditEntry]) -> list[tuple[Any, ...]]:
    return [tuple(getattr(e, c) for c in _AUDIT_COLUMNS) for e in entries]


def _audit_batch(conn: sqlite3.Connection, entries: Sequence[AuditEntry]) -> list[None]:
    sql.drive(conn, _audited(entries))
    return [None] * len(entries)


def _audited(entries: Sequence[AuditEntry]) -> sql.Steps[None]:
    yield sql.many(_INSERT_AUDIT, _audit_rows(entries))


class CredentialStore(sql.SqlStore):
    """Sealed credential rows and their audit: the queries, once for SQLite and Postgres."""

    async def insert(self, row: CredentialRow, audit: AuditEntry) -> None:
        values = _row_values(self._sql.dialect, row)

        def steps() -> sql.Steps[None]:
            try:
                yield sql.run(_INSERT_ROW, tuple(values.values()))
            except sql.Duplicate:
                raise Conflict(f"credential {row.name!r} already exists") from None
            yield from _audited([audit])

        await self._sql.write(steps)

    async def get(self, name: str) -> CredentialRow:
        row = await self._sql.read(lambda: sql.fetch_one(_BY_NAME, (name,)))
        if row is None:
            raise NotFound(f"credential {name!r} not found")
        return _from_row(self._sql.dialect, row)

    async def list_all(self) -> list[CredentialRow]:
        found = await self._sql.read(lambda: sql.fetch_all(_ALL_BY_NAME))
        return [_from_row(self._sql.dialect, r) for r in found]

    async def replace(self, row: CredentialRow, expected_version: int, audit: AuditEntry) -> None:
        """Store a new version of the row (rotation or metadata change); Conflict if raced."""
        values = _row_values(self._sql.dialect, row)
        params = (*(values[c] for c in _CHANGING), row.name, expected_version)

        def steps() -> sql.Steps[None]:
            if (yield sql.run(_REPLACE_ROW, params)) != 1:
                if (yield sql.one("SELECT 1 FROM credentials WHERE name = ?", (row.name,))) is None:
                    raise NotFound(f"credential {row.name!r} not found")
                raise Conflict(f"credential {row.name!r} changed meanwhile; try again")
            yield from _audited([audit])

        await self._sql.write(steps)

    async def delete(self, name: str, audit: AuditEntry) -> None:
        def steps() -> sql.Steps[None]:
            if (yield sql.run("DELETE FROM credentials WHERE name = ?", (name,))) != 1:
                raise NotFound(f"credential {name!r} not found")
            yield from _audited([audit])

        await self._sql.write(steps)

    async def audit(self, entry: AuditEntry) -> None:
        """Append one entry; durable when the call returns."""
        await self._sql.write(lambda: _audited([entry]))

    async def list_audit(
        self, name: str | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[AuditEntry], int]:
        clause, params = sql.where([("name = ?", name)])
        found, total = await self._sql.read(
            lambda: sql.page("credential_audit", clause, params, "id DESC", limit, offset)
        )
        entries = [AuditEntry(**{c: r[c] for c in _AUDIT_COLUMNS}, id=r["id"]) for r in found]
        return entries, total


class SqliteCredentialStore(SqliteStore, CredentialStore):
    """CredentialStore on one SQLite file (``<data dir>/vault.sqlite``)."""

    migrations = {SCHEMA_VERSION: _SCHEMA}

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self._audit: GroupCommit[AuditEntry, None] = GroupCommit.sqlite(self._db, _audit_batch)

    async def close(self) -> None:
        await self._audit.drain()
        await super().close()

    async def audit(self, entry: AuditEntry) -> None:
        """Group-committed with the entries other tasks append meanwhile."""
        await self._audit.submit(entry)
