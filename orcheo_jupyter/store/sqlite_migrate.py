"""Numbered SQLite migrations, applied once even when several processes open the file."""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping


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
