"""SQLite repository (WAL, one connection thread): the embedded default.

A kernel and the Jupyter server may open the same file: WAL lets readers run
beside one writer, ``busy_timeout`` waits out the other process's short write
transactions, and every write is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..spec.values import loads_stored
from .base import Conflict
from .encoding import dumps
from .records import (
    EventRecord,
    RunRecord,
    RunUpdate,
    TransitionRecord,
    reference,
    resolve_shared,
)
from .run_queries import RunQueries
from .spans import span_columns, span_of
from .sql import Row, SqliteDatabase, Steps, placeholders, rows
from .sqlite_locks import SqliteLocks
from .sqlite_migrate import migrate
from .sqlite_schema import MIGRATIONS
from .sqlite_thread import DEFAULT_WAL_LIMIT_BYTES, SqliteThread
from .workflow_tables import PUT_DOCUMENT, WorkflowTables

_JSON_FIELDS = {"inputs", "config", "final_state", "node_states", "interrupt"}
_RUN_COLUMNS = (
    "id",
    "workflow_id",
    "version",
    "checksum",
    "status",
    "inputs",
    "config",
    "error",
    "final_state",
    "node_states",
    "interrupt",
    "parent_run_id",
    "parent_checkpoint_id",
    "owner",
    "created_at",
    "started_at",
    "finished_at",
    "updated_at",
    "last_seq",
)
_UPDATABLE = set(_RUN_COLUMNS) - {"id", "created_at"}


_dumps = dumps  # an ``Encoded`` value (events, final states) is written as it is


def _loads(text: str | None) -> Any:
    return None if text is None else loads_stored(text)


class SqliteRepository(WorkflowTables, RunQueries, SqliteLocks):
    """The Repository protocol on one SQLite file."""

    def __init__(
        self,
        path: str | Path,
        *,
        busy_timeout_ms: int = 10_000,
        wal_limit_bytes: int = DEFAULT_WAL_LIMIT_BYTES,
    ) -> None:
        self.path = Path(path)
        self._db = SqliteThread(
            self.path, busy_timeout_ms=busy_timeout_ms, wal_limit_bytes=wal_limit_bytes
        )
        self._sql = SqliteDatabase(self._db)

    # --- lifecycle -------------------------------------------------------
    async def open(self) -> None:
        await self._db.open()
        await self._db.call(lambda conn: migrate(conn, MIGRATIONS))

    async def close(self) -> None:
        await self._db.close()

    async def _all(self, sql: str, params: tuple[Any, ...] = ()) -> list[sqlite3.Row]:
        return await self._db.call(lambda c: c.execute(sql, params).fetchall())

    # --- runs ------------------------------------------------------------
    async def create_run(self, run: RunRecord, document_body: str | None = None) -> None:
        """Store a new run (and, if given, its document) in one transaction."""
        values, inputs = _run_values(run)

        def work(conn: sqlite3.Connection) -> None:
            if document_body is not None:
                conn.execute(PUT_DOCUMENT, (run.checksum, document_body, run.created_at))
            try:
                conn.execute(_INSERT_RUN, values)
            except sqlite3.IntegrityError:
                raise Conflict(f"run {run.id} already exists") from None
            if inputs is not None:
                conn.execute(_PUT_INPUTS, (run.id, inputs))

        await self._db.transaction(work, inline=True)

    async def create_runs(self, runs: list[RunRecord]) -> list[bool]:
        """Store many new runs in one transaction; False for each id already stored.

        For callers that queue runs in bursts (webhook deliveries): one commit, not one each.
        """
        rows = [_run_values(run) for run in runs]

        def work(conn: sqlite3.Connection) -> list[bool]:
            stored = []
            for (values, inputs), run in zip(rows, runs, strict=True):
                new = conn.execute(_INSERT_RUN_IF_NEW, values).rowcount == 1
                if new and inputs is not None:
                    conn.execute(_PUT_INPUTS, (run.id, inputs))
                stored.append(new)
            return stored

        return await self._db.transaction(work, inline=True)

    def _records(self, found: list[Row]) -> Steps[list[RunRecord]]:
        """Records of ``found``, with the inputs stored beside them read back."""
        beside = [row["id"] for row in found if row["inputs"] == _INPUTS_BESIDE]
        inputs: dict[str, str] = {}
        if beside:
            marks = placeholders(len(beside))
            kept = yield rows(
                f"SELECT run_id, inputs FROM run_inputs WHERE run_id IN ({marks})", beside
            )
            inputs = {r["run_id"]: r["inputs"] for r in kept}
        return [_run(row, inputs.get(row["id"])) for row in found]

    async def write_batch(self, events: list[EventRecord], updates: list[RunUpdate]) -> None:
        """Events and run updates of possibly many runs, in one transaction, in order."""
        if events or updates:
            await self._db.transaction(_batch_work(events, updates), inline=True)

    def write_batch_now(self, events: list[EventRecord], updates: list[RunUpdate]) -> bool:
        """``write_batch`` on this thread if the database is free at once, else False."""
        if not events and not updates:
            return True
        done, _ = self._db.transaction_now(_batch_work(events, updates))
        return done

    def write_all_now(
        self,
        spans: list[tuple[str, list[dict[str, Any]]]],
        events: list[EventRecord],
        updates: list[RunUpdate],
    ) -> bool:
        """Runs' finished spans, then events and updates, in one transaction on this
        thread if the database is free at once, else False (nothing written).

        A settling run's spans ride on the commit that settles it: no second
        transaction per run.
        """
        rows = [(run_id, *span_columns(span)) for run_id, kept in spans for span in kept]
        batch = _batch_work(events, updates)

        def work(conn: sqlite3.Connection) -> None:
            if rows:
                conn.executemany(_ADD_SPAN, rows)
            batch(conn)

        done, _ = self._db.transaction_now(work)
        return done

    async def list_events(
        self, run_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[EventRecord]:
        sql = "SELECT * FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq"
        params: tuple[Any, ...] = (run_id, after)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        rows = await self._all(sql, params)
        return [
            EventRecord(
                r["run_id"],
                r["seq"],
                r["type"],
                r["at"],
                r["node"],
                loads_stored(r["data"]),
                r["data"],
            )
            for r in rows
        ]

    async def list_transitions(self, run_id: str) -> list[TransitionRecord]:
        rows = await self._all(
            "SELECT * FROM run_transitions WHERE run_id = ? ORDER BY n", (run_id,)
        )
        return [TransitionRecord(r["run_id"], r["status"], r["at"]) for r in rows]

    # --- traces ----------------------------------------------------------
    async def add_spans(self, run_id: str, spans: list[dict[str, Any]]) -> None:
        """Keep finished spans with the run (a span stored twice is kept once)."""
        rows = [(run_id, *span_columns(span)) for span in spans]
        if rows:

            def work(conn: sqlite3.Connection) -> None:
                conn.executemany(_ADD_SPAN, rows)

            await self._db.transaction(work)

    def add_spans_now(self, run_id: str, spans: list[dict[str, Any]]) -> bool:
        """``add_spans`` on this thread if the database is free at once, else False."""
        rows = [(run_id, *span_columns(span)) for span in spans]

        def work(conn: sqlite3.Connection) -> None:
            conn.executemany(_ADD_SPAN, rows)

        done, _ = self._db.transaction_now(work)
        return done

    async def list_spans(self, run_id: str) -> list[dict[str, Any]]:
        """The run's stored spans in start order."""
        found: list[sqlite3.Row] = await self._db.call(
            lambda c: c.execute(
                "SELECT * FROM run_spans WHERE run_id = ? ORDER BY start_ns, span_id", (run_id,)
            ).fetchall()
        )
        return [span_of(r["data"], dict(r)) for r in found]


_ADD_SPAN = (
    "INSERT OR IGNORE INTO run_spans"
    " (run_id, span_id, trace_id, parent_span_id, name, start_ns, end_ns, data)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


def _run_values(run: RunRecord) -> tuple[tuple[Any, ...], str | None]:
    """The run's row, and its inputs' text when they are stored beside it (large ones).

    A run row is rewritten at every status change: large inputs inside it would be
    copied into the WAL each time and leave as many freed pages in the file.
    """
    values = [
        _dumps(getattr(run, c))
        if c in _JSON_FIELDS and getattr(run, c) is not None
        else getattr(run, c)
        for c in _RUN_COLUMNS
    ]
    inputs = values[_INPUTS_AT]
    if len(inputs) <= _INLINE_INPUTS:
        return tuple(values), None
    values[_INPUTS_AT] = _INPUTS_BESIDE
    return tuple(values), inputs


def _run(row: sqlite3.Row, inputs: str | None = None) -> RunRecord:
    data = {c: row[c] for c in _RUN_COLUMNS}
    if inputs is not None:
        data["inputs"] = inputs
    for c in _JSON_FIELDS:
        data[c] = _loads(data[c])
    data["config"] = data["config"] or {}
    data["node_states"] = data["node_states"] or {}
    data["final_state"] = resolve_shared(data["final_state"], data["inputs"])
    return RunRecord(**data)


def _batch_work(
    events: list[EventRecord], updates: list[RunUpdate]
) -> Callable[[sqlite3.Connection], None]:
    rows = [
        (e.run_id, e.seq, e.type, e.node, e.at, e.text if e.text is not None else _dumps(e.data))
        for e in events
    ]
    statements = [_update_statement(u) for u in updates]

    def work(conn: sqlite3.Connection) -> None:
        if rows:
            conn.executemany(
                "INSERT OR IGNORE INTO run_events (run_id, seq, type, node, at, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                rows,
            )
        for sql, params in statements:
            conn.execute(sql, params)

    return work


def _update_statement(update: RunUpdate) -> tuple[str, tuple[Any, ...]]:
    unknown = set(update.fields) - _UPDATABLE
    if unknown:
        raise ValueError(f"cannot update run fields {sorted(unknown)}")
    fields = dict(update.fields)
    fields["updated_at"] = update.at
    assignments = ", ".join(f"{k} = ?" for k in fields)
    values = [_dumps(v) if k in _JSON_FIELDS and v is not None else v for k, v in fields.items()]
    return f"UPDATE runs SET {assignments} WHERE id = ?", (*values, update.run_id)


_PUT_INPUTS = "INSERT OR REPLACE INTO run_inputs (run_id, inputs) VALUES (?, ?)"
#: Inputs whose JSON is longer than this live in ``run_inputs``; the row says so.
_INLINE_INPUTS = 64 * 1024
_INPUTS_BESIDE = dumps(reference("run_inputs"))
_INPUTS_AT = _RUN_COLUMNS.index("inputs")
_INSERT_RUN = (
    f"INSERT INTO runs ({', '.join(_RUN_COLUMNS)}) VALUES ({', '.join('?' for _ in _RUN_COLUMNS)})"
)
_INSERT_RUN_IF_NEW = _INSERT_RUN.replace("INSERT INTO", "INSERT OR IGNORE INTO", 1)
