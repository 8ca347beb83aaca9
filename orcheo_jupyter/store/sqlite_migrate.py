"""Numbered SQLite migrations, applied once even when several processes open the file,
and the store base that applies them on open."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from pathlib import Path
from typing import Any, ClassVar

from .sql import Database, SqliteDatabase
from .sqlite_thread import SqliteThread


def migrate(conn: sqlite3.Connection, migrations: Mapping[int, str]) -> None:
    """Apply every migration numbered above the file's ``user_version``, in order."""
    current = int(conn.execute("PRAGMA user_version").fetchone()[0])
    for version in sorted(v for v in migrations if v > current):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check inside the lock: another process may have migrated meanwhile.
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) >= version:
                conn.execute("COMMIT")
                continue
            for statement in split_statements(migrations[version]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version={version}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def split_statements(script: str) -> list[str]:
    """Statements of a script; executescript would commit early, and triggers hold ';'."""
    out, buf = [], ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            if buf.strip():
                out.append(buf.strip())
            buf = ""
    return out


class SqliteStore:
    """A store on one SQLite file with its own connection thread, migrated on open.

    The base of the repository, the trigger store and the vault's store on SQLite
    (each file has its own ``migrations``): each runs its ``store/sql.py`` steps on
    ``_sql`` and its hot writes on ``_db``.
    """

    migrations: ClassVar[Mapping[int, str]]

    def __init__(self, path: str | Path, **thread_options: Any) -> None:
        self.path = Path(path)
        self._db = SqliteThread(self.path, **thread_options)
        self._sql: Database = SqliteDatabase(self._db)

    async def open(self) -> None:
        await self._db.open()
        await self._db.call(lambda conn: migrate(conn, self.migrations))

    async def close(self) -> None:
        await self._db.close()
