"""One transaction on a node's own SQLite connection (SQL nodes, the vector store).

The connections are opened in autocommit mode (``isolation_level=None``) so the
transaction is exactly what the node begins: a write that fails halfway, a
statement interrupted at its deadline or a cancelled call leaves nothing behind.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def transaction(conn: sqlite3.Connection, begin: str = "BEGIN") -> Iterator[None]:
    """``begin`` ... ``COMMIT``; rolled back on any exception, which is raised again."""
    try:
        conn.execute(begin)
        yield
        conn.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
