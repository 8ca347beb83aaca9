"""Leases and leader locks on the SQLite repository (same API as the Postgres one).

A lock is a row naming its owner and when it lapses; taking it is one immediate
transaction, so processes sharing the file agree on a single holder. Expiry uses
this machine's clock: every process sharing a SQLite file runs on one machine.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from .sqlite_thread import SqliteThread

_TABLE = """
CREATE TABLE IF NOT EXISTS orcheo_locks (
    name TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL
)
"""


class SqliteLocks:
    """Mixed into SqliteRepository; uses its connection thread ``self._db``."""

    _db: SqliteThread
    _locks_ready: bool = False

    async def _lock_table(self) -> None:
        if not self._locks_ready:
            await self._db.call(lambda c: c.execute(_TABLE))
            self._locks_ready = True

    async def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        """Take or extend ``name`` for ``ttl`` seconds unless another owner holds it."""
        await self._lock_table()

        def work(conn: sqlite3.Connection) -> bool:
            now = time.time()
            row = conn.execute(
                "SELECT owner, expires_at FROM orcheo_locks WHERE name = ?", (name,)
            ).fetchone()
            if row is not None and row[0] != owner and row[1] > now:
                return False
            conn.execute(
                "INSERT INTO orcheo_locks (name, owner, expires_at) VALUES (?, ?, ?)"
                " ON CONFLICT(name) DO UPDATE SET owner = excluded.owner,"
                " expires_at = excluded.expires_at",
                (name, owner, now + float(ttl)),
            )
            return True

        return bool(await self._db.transaction(work))

    async def release_lock(self, name: str, owner: str) -> bool:
        await self._lock_table()

        def work(conn: sqlite3.Connection) -> int:
            cur = conn.execute(
                "DELETE FROM orcheo_locks WHERE name = ? AND owner = ?", (name, owner)
            )
            return cur.rowcount

        return bool(await self._db.transaction(work))

    async def renew_locks(self, owner: str, ttl: float) -> int:
        """Extend every unexpired lock ``owner`` holds (a worker's heartbeat)."""
        await self._lock_table()

        def work(conn: sqlite3.Connection) -> int:
            now = time.time()
            cur = conn.execute(
                "UPDATE orcheo_locks SET expires_at = ? WHERE owner = ? AND expires_at > ?",
                (now + float(ttl), owner, now),
            )
            return int(cur.rowcount)

        return int(await self._db.transaction(work))

    async def renew_leases(self, owner: str, names: list[str], ttl: float) -> set[str]:
        """Extend ``names`` ``owner`` still holds (expired or not, unless taken); those held."""
        await self._lock_table()
        if not names:
            return set()

        def work(conn: sqlite3.Connection) -> set[str]:
            marks = ", ".join("?" * len(names))
            held = conn.execute(
                f"SELECT name FROM orcheo_locks WHERE owner = ? AND name IN ({marks})",
                (owner, *names),
            ).fetchall()
            conn.execute(
                f"UPDATE orcheo_locks SET expires_at = ? WHERE owner = ? AND name IN ({marks})",
                (time.time() + float(ttl), owner, *names),
            )
            return {str(row[0]) for row in held}

        return set(await self._db.transaction(work))

    async def lock_owner(self, name: str) -> str | None:
        """Who holds ``name`` now (None when free or expired)."""
        await self._lock_table()
        row: Any = await self._db.call(
            lambda c: c.execute(
                "SELECT owner FROM orcheo_locks WHERE name = ? AND expires_at > ?",
                (name, time.time()),
            ).fetchone()
        )
        return None if row is None else str(row[0])
