"""SQLite repository (WAL, one connection thread): the embedded default.

A kernel and the Jupyter server may open the same file: WAL lets readers run
beside one writer, ``busy_timeout`` waits out the other process's short write
transactions, and every write is one ``BEGIN IMMEDIATE`` transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from ..spec.values import loads_stored
from .base import Repository
from .encoding import dumps
from .errors import Conflict
from .fencing import Fence
from .records import RunBatch, RunRecord, RunUpdate, reference
from .run_queries import ADD_SPAN
from .run_rows import INSERT_RUN, JSON_FIELDS, RUN_COLUMNS, run_record, update_statement
from .sql import Row, Steps, placeholders, rows
from .sqlite_locks import SqliteLocks
from .sqlite_migrate import SqliteStore
from .sqlite_schema import MIGRATIONS
from .workflow_tables import PUT_DOCUMENT

_dumps = dumps  # an ``Encoded`` value (events, final states) is written as it is


def _loads(text: str | None) -> Any:
    return None if text is None else loads_stored(text)


class SqliteRepository(SqliteStore, SqliteLocks, Repository):
    """The Repository on one SQLite file."""

    migrations = MIGRATIONS

    # ``SqliteRepository(path, busy_timeout_ms=..., wal_limit_bytes=...)``: see SqliteThread.

    # --- runs ------------------------------------------------------------
    async def create_run(self, run: RunRecord, document_body: str | None = None) -> None:
        """Store a new run (and, if given, its document) in one transaction."""
        values, inputs = _run_values(run)

        def work(conn: sqlite3.Connection) -> None:
            if document_body is not None:
                conn.execute(PUT_DOCUMENT, (run.checksum, document_body, run.created_at))
            try:
                conn.execute(INSERT_RUN, values)
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

    async def write_batch(self, batch: RunBatch) -> None:
        """Spans, events and run updates of possibly many runs, in one transaction, in order."""
        if not batch.empty:
            await self._db.transaction(_batch_work(batch), inline=True)

    async def write_fenced(self, batch: RunBatch, fence: Fence) -> set[str]:
        """One immediate transaction: no other process can take a lease before it commits."""
        runs = batch.runs()
        if not runs:
            return set()
        await self._lock_table()
        names = {fence.lease(run_id): run_id for run_id in runs}

        def work(conn: sqlite3.Connection) -> set[str]:
            found = conn.execute(
                f"SELECT name FROM orcheo_locks WHERE owner = ? AND name IN"
                f" ({placeholders(len(names))})",
                (fence.owner, *names),
            ).fetchall()
            refused = runs - {names[row[0]] for row in found}
            _batch_work(batch.without(refused))(conn)
            return refused

        return await self._db.transaction(work, inline=True)

    def write_batch_now(self, batch: RunBatch) -> bool:
        """``write_batch`` on this thread if the database is free at once, else False.

        A settling run's spans ride on the commit that settles it: no second
        transaction per run.
        """
        if batch.empty:
            return True
        done, _ = self._db.transaction_now(_batch_work(batch))
        return done


def _run_values(run: RunRecord) -> tuple[tuple[Any, ...], str | None]:
    """The run's row, and its inputs' text when they are stored beside it (large ones).

    A run row is rewritten at every status change: large inputs inside it would be
    copied into the WAL each time and leave as many freed pages in the file.
    """
    values = [
        _dumps(getattr(run, c))
        if c in JSON_FIELDS and getattr(run, c) is not None
        else getattr(run, c)
        for c in RUN_COLUMNS
    ]
    inputs = values[_INPUTS_AT]
    if len(inputs) <= _INLINE_INPUTS:
        return tuple(values), None
    values[_INPUTS_AT] = _INPUTS_BESIDE
    return tuple(values), inputs


def _run(row: sqlite3.Row, inputs: str | None = None) -> RunRecord:
    data = {c: row[c] for c in RUN_COLUMNS}
    if inputs is not None:
        data["inputs"] = inputs
    for c in JSON_FIELDS:
        data[c] = _loads(data[c])
    return run_record(data)


def _batch_work(batch: RunBatch) -> Callable[[sqlite3.Connection], None]:
    spans = batch.span_rows()
    events = [
        (e.run_id, e.seq, e.type, e.node, e.at, e.text if e.text is not None else _dumps(e.data))
        for e in batch.events
    ]
    statements = [_update_statement(u) for u in batch.updates]

    def work(conn: sqlite3.Connection) -> None:
        if spans:
            conn.executemany(ADD_SPAN, spans)
        if events:
            conn.executemany(
                "INSERT OR IGNORE INTO run_events (run_id, seq, type, node, at, data)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                events,
            )
        for sql, params in statements:
            conn.execute(sql, params)

    return work


def _column_value(column: str, value: Any) -> Any:
    return _dumps(value) if column in JSON_FIELDS and value is not None else value


def _update_statement(update: RunUpdate) -> tuple[str, tuple[Any, ...]]:
    return update_statement(update, _column_value)


_PUT_INPUTS = "INSERT OR REPLACE INTO run_inputs (run_id, inputs) VALUES (?, ?)"
#: Inputs whose JSON is longer than this live in ``run_inputs``; the row says so.
_INLINE_INPUTS = 64 * 1024
_INPUTS_BESIDE = dumps(reference("run_inputs"))
_INPUTS_AT = RUN_COLUMNS.index("inputs")
_INSERT_RUN_IF_NEW = INSERT_RUN.replace("INSERT INTO", "INSERT OR IGNORE INTO", 1)
