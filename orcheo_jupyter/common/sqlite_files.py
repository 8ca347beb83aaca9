"""SQLite files several processes share (the stores, nodes' own files): WAL, opened alike.

Changing a file's journal mode needs the file to itself, and SQLite answers "database is
locked" at once, without its busy handler, while another connection is mid-transaction
(two processes opening a new data dir together): ``wal_mode`` waits that out.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Literal


def wal_mode(conn: sqlite3.Connection, timeout_s: float) -> None:
    """Switch ``conn``'s file to WAL, retrying for up to ``timeout_s`` while it is locked."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def open_shared(
    path: Path,
    schema: str,
    *,
    timeout_s: float = 30.0,
    isolation_level: Literal["DEFERRED", "IMMEDIATE", "EXCLUSIVE"] | None = "DEFERRED",
) -> sqlite3.Connection:
    """A connection to ``path`` (made with its directory if new) in WAL mode, waiting up
    to ``timeout_s`` for other writers, with ``schema`` (idempotent DDL) applied."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path, timeout=timeout_s, isolation_level=isolation_level)
    try:
        conn.execute(f"PRAGMA busy_timeout={int(timeout_s * 1000)}")
        wal_mode(conn, timeout_s)
        conn.executescript(schema)
    except BaseException:
        conn.close()
        raise
    return conn
