"""The vault's CredentialStore on Postgres: the same sealed rows, shared by every process.

Only sealed blobs reach this layer (the vault seals before it stores), exactly as
with SQLite. The tables are part of the repository's versioned schema
(``store/postgres_schema.py``), migrated on open.
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection, errors
from psycopg.rows import dict_row
from psycopg.types.json import Json
from psycopg_pool import AsyncConnectionPool

from ..store.base import Conflict, NotFound
from ..store.postgres_schema import migrate
from .records import AuditEntry, CredentialRow
from .store import _AUDIT_COLUMNS, _ROW_COLUMNS

Row = dict[str, Any]


def _row_values(row: CredentialRow) -> tuple[Any, ...]:
    values: list[Any] = [getattr(row, c) for c in _ROW_COLUMNS]
    values[_ROW_COLUMNS.index("scope")] = None if row.scope is None else Json(list(row.scope))
    return tuple(values)


def _from_row(r: Row) -> CredentialRow:
    return CredentialRow(
        id=r["id"],
        name=r["name"],
        kind=r["kind"],
        scope=None if r["scope"] is None else list(r["scope"]),
        description=r["description"],
        sealed=bytes(r["sealed"]),
        key_id=r["key_id"],
        expires_at=r["expires_at"],
        created_at=r["created_at"],
        rotated_at=r["rotated_at"],
        version=r["version"],
    )


_INSERT_AUDIT = (
    f"INSERT INTO credential_audit ({', '.join(_AUDIT_COLUMNS)})"
    f" VALUES ({', '.join('%s' for _ in _AUDIT_COLUMNS)})"
)


def _audit_values(entry: AuditEntry) -> tuple[Any, ...]:
    return tuple(getattr(entry, c) for c in _AUDIT_COLUMNS)


class PostgresCredentialStore:
    """CredentialStore on the orcheo Postgres database (``ORCHEO_POSTGRES_DSN``)."""

    def __init__(self, dsn: str, *, max_size: int = 4) -> None:
        self._pool: AsyncConnectionPool[AsyncConnection[Row]] = AsyncConnectionPool(
            dsn,
            min_size=1,
            max_size=max_size,
            open=False,
            kwargs={"autocommit": True, "row_factory": dict_row},
            name="orcheo-vault",
        )

    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=30)
        async with self._pool.connection() as conn:
            await migrate(conn)

    async def close(self) -> None:
        await self._pool.close()

    async def insert(self, row: CredentialRow, audit: AuditEntry) -> None:
        try:
            async with self._pool.connection() as conn, conn.transaction():
                await conn.execute(
                    f"INSERT INTO credentials ({', '.join(_ROW_COLUMNS)})"
                    f" VALUES ({', '.join('%s' for _ in _ROW_COLUMNS)})",
                    _row_values(row),
                )
                await conn.execute(_INSERT_AUDIT, _audit_values(audit))
        except errors.UniqueViolation:
            raise Conflict(f"credential {row.name!r} already exists") from None

    async def get(self, name: str) -> CredentialRow:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT * FROM credentials WHERE name = %s", (name,))
            row = await cur.fetchone()
        if row is None:
            raise NotFound(f"credential {name!r} not found")
        return _from_row(row)

    async def list_all(self) -> list[CredentialRow]:
        async with self._pool.connection() as conn:
            cur = await conn.execute("SELECT * FROM credentials ORDER BY name")
            return [_from_row(r) for r in await cur.fetchall()]

    async def replace(self, row: CredentialRow, expected_version: int, audit: AuditEntry) -> None:
        """Store a new version of the row (rotation or metadata change); Conflict if raced."""
        kept = [(c, v) for c, v in zip(_ROW_COLUMNS, _row_values(row), strict=True)]
        changes = [(c, v) for c, v in kept if c not in ("id", "name")]
        assignments = ", ".join(f"{c} = %s" for c, _ in changes)
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute(
                f"UPDATE credentials SET {assignments} WHERE name = %s AND version = %s",
                (*(v for _, v in changes), row.name, expected_version),
            )
            if cur.rowcount != 1:
                cur = await conn.execute("SELECT 1 FROM credentials WHERE name = %s", (row.name,))
                if await cur.fetchone() is None:
                    raise NotFound(f"credential {row.name!r} not found")
                raise Conflict(f"credential {row.name!r} changed meanwhile; try again")
            await conn.execute(_INSERT_AUDIT, _audit_values(audit))

    async def delete(self, name: str, audit: AuditEntry) -> None:
        async with self._pool.connection() as conn, conn.transaction():
            cur = await conn.execute("DELETE FROM credentials WHERE name = %s", (name,))
            if cur.rowcount != 1:
                raise NotFound(f"credential {name!r} not found")
            await conn.execute(_INSERT_AUDIT, _audit_values(audit))

    async def audit(self, entry: AuditEntry) -> None:
        """Append one entry; durable when the call returns."""
        async with self._pool.connection() as conn:
            await conn.execute(_INSERT_AUDIT, _audit_values(entry))

    async def list_audit(
        self, name: str | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[AuditEntry], int]:
        where, params = ("WHERE name = %s", (name,)) if name is not None else ("", ())
        async with self._pool.connection() as conn:
            cur = await conn.execute(f"SELECT COUNT(*) AS n FROM credential_audit {where}", params)
            total = int((await cur.fetchone() or {"n": 0})["n"])
            cur = await conn.execute(
                f"SELECT * FROM credential_audit {where} ORDER BY id DESC LIMIT %s OFFSET %s",
                (*params, limit, offset),
            )
            rows = await cur.fetchall()
        entries = [AuditEntry(**{c: r[c] for c in _AUDIT_COLUMNS}, id=r["id"]) for r in rows]
        return entries, total
