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
