"""The vault's CredentialStore on Postgres: the same sealed rows, shared by every process.

Only sealed blobs reach this layer (the vault seals before it stores), exactly as
with SQLite. The tables are part of the repository's versioned schema
(``store/postgres_schema.py``), migrated on open.
"""

from __future__ import annotations

from ..store.postgres_pool import open_migrated, postgres_pool
from ..store.sql import PostgresDatabase
from .store import SqlCredentialStore


class PostgresCredentialStore(SqlCredentialStore):
    """CredentialStore on the orcheo Postgres database (``ORCHEO_POSTGRES_DSN``)."""

    def __init__(self, dsn: str, *, max_size: int = 4) -> None:
        self._pool = postgres_pool(dsn, name="orcheo-vault", max_size=max_size)
        self._sql = PostgresDatabase(self._pool)

    async def open(self) -> None:
        await open_migrated(self._pool)

    async def close(self) -> None:
        await self._pool.close()
