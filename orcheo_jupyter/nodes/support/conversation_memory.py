"""Conversation memory for the conversational nodes: turns per session, summaries
with an expiry, cached answers and user feedback.

``sqlite`` (default) keeps them in a file under the data directory, so a conversation
continues across runs, kernels and runner processes; ``memory`` keeps them in the
process running the workflow, as upstream Orcheo's ``InMemoryMemoryStore`` does (one
SQLite database in memory, shared by the process). Capacity limits evict the
least recently updated session, as upstream's store does.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...common.sqlite_files import open_shared
from .plain_values import under_data_dir

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns (
    namespace TEXT NOT NULL, session TEXT NOT NULL, seq INTEGER NOT NULL,
    role TEXT NOT NULL, content TEXT NOT NULL, metadata TEXT NOT NULL,
    PRIMARY KEY (namespace, session, seq)
);
CREATE TABLE IF NOT EXISTS sessions (
    namespace TEXT NOT NULL, session TEXT NOT NULL, updated REAL NOT NULL,
    PRIMARY KEY (namespace, session)
);
CREATE TABLE IF NOT EXISTS summaries (
    namespace TEXT NOT NULL, session TEXT NOT NULL, summary TEXT NOT NULL, expires REAL,
    PRIMARY KEY (namespace, session)
);
CREATE TABLE IF NOT EXISTS feedback (
    namespace TEXT NOT NULL, session TEXT NOT NULL, rating TEXT NOT NULL,
    comment TEXT NOT NULL, entry TEXT NOT NULL,
    PRIMARY KEY (namespace, session, rating, comment)
);
CREATE TABLE IF NOT EXISTS answers (
    namespace TEXT NOT NULL, query TEXT NOT NULL, reply TEXT NOT NULL, expires REAL,
    used REAL NOT NULL, PRIMARY KEY (namespace, query)
);
"""


class MemoryStoreConfig(BaseModel):
    """Where conversations are kept, and how many."""

    model_config = ConfigDict(extra="forbid")

    type: Literal["sqlite", "memory"] = Field("sqlite", title="Type")
    path: str = Field(
        "conversations.sqlite", min_length=1, title="File", description="sqlite only."
    )
    namespace: str = Field("default", min_length=1, max_length=200, title="Namespace")
    max_sessions: int | None = Field(
        None, ge=1, title="Most sessions", description="Then the stalest one is forgotten."
    )
    max_total_turns: int | None = Field(
        None, ge=1, title="Most turns", description="Across sessions; stalest forgotten first."
    )


_memory_lock = threading.Lock()
_memory_db: sqlite3.Connection | None = None


@contextmanager
def _db(cfg: MemoryStoreConfig, services: Any) -> Iterator[sqlite3.Connection]:
    """A connection inside one transaction (the process's own for ``memory``)."""
    global _memory_db
    if cfg.type == "memory":
        with _memory_lock:
            if _memory_db is None:
                _memory_db = sqlite3.connect(":memory:", check_same_thread=False)
                _memory_db.executescript(_SCHEMA)
            with _memory_db:
                yield _memory_db
        return
    conn = open_shared(under_data_dir(cfg.path, services), _SCHEMA)
    try:
        with conn:
            yield conn
    finally:
        conn.close()


def forget_memory() -> None:
    """Drop the process's in-memory store (tests)."""
    global _memory_db
    with _memory_lock:
        if _memory_db is not None:
            _memory_db.close()
        _memory_db = None


def _clear(conn: sqlite3.Connection, ns: str, session: str) -> None:
    for table in ("turns", "sessions", "summaries"):
        conn.execute(f"DELETE FROM {table} WHERE namespace = ? AND session = ?", (ns, session))


def _evict_stalest(conn: sqlite3.Connection, ns: str) -> bool:
    row = conn.execute(
        "SELECT session FROM sessions WHERE namespace = ? ORDER BY updated, session LIMIT 1",
        (ns,),
    ).fetchone()
    if row is None:
        return False
    _clear(conn, ns, row[0])
    return True


def _history(conn: sqlite3.Connection, ns: str, session: str, limit: int | None) -> list[Any]:
    rows = conn.execute(
        "SELECT role, content, metadata FROM turns WHERE namespace = ? AND session = ? "
        "ORDER BY seq DESC" + (" LIMIT ?" if limit is not None else ""),
        (ns, session, limit) if limit is not None else (ns, session),
    ).fetchall()
    return [{"role": r, "content": c, "metadata": json.loads(m)} for r, c, m in reversed(rows)]


def record_turns(
    cfg: MemoryStoreConfig,
    services: Any,
    session: str,
    turns: Sequence[Mapping[str, Any]],
    max_turns: int | None,
) -> tuple[list[dict[str, Any]], str | None]:
    """Append ``turns``, keep the last ``max_turns``; (history, live summary)."""
    ns = cfg.namespace
    now = time.time()
    with _db(cfg, services) as conn:
        if turns:
            known = conn.execute(
                "SELECT 1 FROM sessions WHERE namespace = ? AND session = ?", (ns, session)
            ).fetchone()
            if cfg.max_sessions is not None and known is None:
                count = conn.execute(
                    "SELECT count(*) FROM sessions WHERE namespace = ?", (ns,)
                ).fetchone()[0]
                if count >= cfg.max_sessions:
                    _evict_stalest(conn, ns)
            if cfg.max_total_turns is not None:
                while conn.execute(
                    "SELECT count(*) FROM turns WHERE namespace = ?", (ns,)
                ).fetchone()[0] + len(turns) > cfg.max_total_turns and _evict_stalest(conn, ns):
                    pass
            last = conn.execute(
                "SELECT coalesce(max(seq), 0) FROM turns WHERE namespace = ? AND session = ?",
                (ns, session),
            ).fetchone()[0]
            conn.executemany(
                "INSERT INTO turns VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (
                        ns,
                        session,
                        last + i + 1,
                        t["role"],
                        t["content"],
                        json.dumps(t.get("metadata") or {}, default=str),
                    )
                    for i, t in enumerate(turns)
                ],
            )
            conn.execute("INSERT OR REPLACE INTO sessions VALUES (?, ?, ?)", (ns, session, now))
        if max_turns is not None:
            conn.execute(
                "DELETE FROM turns WHERE namespace = ? AND session = ? AND seq NOT IN "
                "(SELECT seq FROM turns WHERE namespace = ? AND session = ? "
                "ORDER BY seq DESC LIMIT ?)",
                (ns, session, ns, session, max_turns),
            )
        history = _history(conn, ns, session, max_turns)
        row = conn.execute(
            "SELECT summary, expires FROM summaries WHERE namespace = ? AND session = ?",
            (ns, session),
        ).fetchone()
    summary = row[0] if row and (row[1] is None or row[1] >= now) else None
    return history, summary


def write_summary(
    cfg: MemoryStoreConfig, services: Any, session: str, summary: str, ttl: int | None
) -> None:
    expires = time.time() + ttl if ttl else None
    with _db(cfg, services) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO summaries VALUES (?, ?, ?, ?)",
            (cfg.namespace, session, summary, expires),
        )


def cached_answer(cfg: MemoryStoreConfig, services: Any, cache: str, query: str) -> str | None:
    """The cached reply to ``query`` (normalised by the caller) unless it expired."""
    ns = f"{cfg.namespace}/{cache}"
    now = time.time()
    with _db(cfg, services) as conn:
        row = conn.execute(
            "SELECT reply, expires FROM answers WHERE namespace = ? AND query = ?", (ns, query)
        ).fetchone()
        if row is None:
            return None
        if row[1] is not None and row[1] < now:
            conn.execute("DELETE FROM answers WHERE namespace = ? AND query = ?", (ns, query))
            return None
        conn.execute(
            "UPDATE answers SET used = ? WHERE namespace = ? AND query = ?", (now, ns, query)
        )
        return str(row[0])


def cache_answer(
    cfg: MemoryStoreConfig,
    services: Any,
    cache: str,
    query: str,
    reply: str,
    ttl: int | None,
    max_entries: int,
) -> None:
    """Remember ``reply``; beyond ``max_entries`` the least recently used goes."""
    ns = f"{cfg.namespace}/{cache}"
    now = time.time()
    with _db(cfg, services) as conn:
        conn.execute(
            "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?)",
            (ns, query, reply, now + ttl if ttl else None, now),
        )
        conn.execute(
            "DELETE FROM answers WHERE namespace = ? AND query NOT IN (SELECT query FROM "
            "answers WHERE namespace = ? ORDER BY used DESC, rowid DESC LIMIT ?)",
            (ns, ns, max_entries),
        )


def add_feedback(
    cfg: MemoryStoreConfig, services: Any, entries: Sequence[Mapping[str, Any]]
) -> tuple[int, int]:
    """Store feedback entries not stored yet (same session, rating and comment);
    (how many were new, how many the store holds)."""
    ns = cfg.namespace
    added = 0
    with _db(cfg, services) as conn:
        for entry in entries:
            key = [
                json.dumps(entry.get(k), default=str) for k in ("session_id", "rating", "comment")
            ]
            cur = conn.execute(
                "INSERT OR IGNORE INTO feedback VALUES (?, ?, ?, ?, ?)",
                (ns, *key, json.dumps(dict(entry), default=str)),
            )
            added += cur.rowcount
        size = conn.execute("SELECT count(*) FROM feedback WHERE namespace = ?", (ns,)).fetchone()[
            0
        ]
    return added, int(size)
