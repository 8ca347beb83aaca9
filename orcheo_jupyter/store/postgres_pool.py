"""The psycopg pool every Postgres store opens: autocommit, dict rows, readable JSON.

One place for how a store connects, so the repository, the trigger store and the
vault cannot drift apart (their pools differ only in name and size).
"""

from __future__ import annotations

from typing import Any

from psycopg import AsyncConnection
from psycopg.rows import dict_row
from psycopg.types.json import set_json_loads
from psycopg_pool import AsyncConnectionPool

from ..spec.values import loads_stored
from .postgres_schema import migrate
from .sql import Database, PostgresDatabase

Row = dict[str, Any]
Pool = AsyncConnectionPool[AsyncConnection[Row]]


async def _readable_json(conn: AsyncConnection[Any]) -> None:
    """JSON columns decode with ``loads_stored``: any stored row stays readable."""
    set_json_loads(loads_stored, conn)


def postgres_pool(dsn: str, *, name: str, max_size: int, min_size: int = 1) -> Pool:
    """A pool, not yet open; reads run in autocommit, writes open a transaction."""
    return AsyncConnectionPool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        open=False,
        kwargs={"autocommit": True, "row_factory": dict_row},
        name=name,
        configure=_readable_json,
    )


async def open_migrated(pool: Pool) -> None:
    """Open ``pool`` and bring the database's schema up to date."""
    await pool.open(wait=True, timeout=30)
    async with pool.connection() as conn:
        await migrate(conn)


class PostgresStore:
    """A store on its own pool of the orcheo database, its schema migrated on open.

    The base of the repository, the trigger store and the vault's store on
    Postgres: each runs its ``store/sql.py`` steps on ``_sql``.
    """

    def __init__(self, dsn: str, *, name: str, max_size: int, min_size: int = 1) -> None:
        self.dsn = dsn
        self._pool = postgres_pool(dsn, name=name, max_size=max_size, min_size=min_size)
        self._sql: Database = PostgresDatabase(self._pool)

    @property
    def pool(self) -> Pool:
        return self._pool

    async def open(self) -> None:
        await open_migrated(self._pool)

    async def close(self) -> None:
        await self._pool.close()
