"""Reading runs, their events, transitions and spans: one implementation for both databases.

Mixed into the repositories, which supply ``_sql`` and ``_records`` (how stored
rows become ``RunRecord``: SQLite reads large inputs kept beside the row and
decodes JSON text; Postgres gets JSON decoded by its connection). Writing runs,
events and updates stays in each repository: that is the tuned hot path.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ..common.span_rows import SPAN_COLUMNS, SpanRow, span_of
from .errors import NotFound
from .records import EventRecord, RunRecord, TransitionRecord
from .sql import Database, Row, Steps, fetch_all, insert, page, rows, run_many, where

#: A span stored twice (a retried flush) is kept once.
ADD_SPAN = insert("run_spans", ("run_id", *SPAN_COLUMNS, "data"), "ON CONFLICT DO NOTHING")


class RunQueries:
    """The run-reading half of the Repository protocol on ``self._sql``."""

    _sql: Database

    def _records(self, found: list[Row]) -> Steps[list[RunRecord]]:
        raise NotImplementedError

    async def get_run(self, run_id: str) -> RunRecord:
        def steps() -> Steps[list[RunRecord]]:
            found = yield rows("SELECT * FROM runs WHERE id = ?", (run_id,))
            return (yield from self._records(found))

        runs = await self._sql.read(steps, inline=True)
        if not runs:
            raise NotFound(f"run {run_id!r} not found")
        return runs[0]

    async def list_runs(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        id_prefix: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[RunRecord], int]:
        clause, params = where(
            [
                ("workflow_id = ?", workflow_id or None),
                ("status = ?", status or None),
                ("substr(id, 1, ?) = ?", (len(id_prefix), id_prefix) if id_prefix else None),
            ]
        )

        def steps() -> Steps[tuple[list[RunRecord], int]]:
            found, total = yield from page(
                "runs", clause, params, "created_at DESC, id", limit, offset
            )
            return (yield from self._records(found)), total

        return await self._sql.read(steps)

    async def unsettled_owned(self, owner_prefix: str) -> list[tuple[str, str]]:
        """(run id, owner) of the pending and running runs whose owner starts with
        ``owner_prefix``: a sweep's cheap look, not whole runs."""
        found = await self._sql.read(
            lambda: fetch_all(
                "SELECT id, owner FROM runs WHERE status IN ('pending', 'running')"
                " AND substr(owner, 1, ?) = ?",
                (len(owner_prefix), owner_prefix),
            )
        )
        return [(str(r["id"]), str(r["owner"])) for r in found]

    async def list_events(
        self, run_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[EventRecord]:
        sql = "SELECT * FROM run_events WHERE run_id = ? AND seq > ? ORDER BY seq"
        params: tuple[Any, ...] = (run_id, after)
        if limit is not None:
            sql += " LIMIT ?"
            params += (limit,)
        found = await self._sql.read(lambda: fetch_all(sql, params))
        stored_json = self._sql.dialect.stored_json
        return [
            EventRecord(
                r["run_id"], r["seq"], r["type"], r["at"], r["node"], *stored_json(r["data"])
            )
            for r in found
        ]

    async def list_transitions(self, run_id: str) -> list[TransitionRecord]:
        found = await self._sql.read(
            lambda: fetch_all(
                "SELECT * FROM run_transitions WHERE run_id = ? ORDER BY n", (run_id,)
            )
        )
        return [TransitionRecord(r["run_id"], r["status"], r["at"]) for r in found]

    async def add_spans(self, run_id: str, spans: Sequence[SpanRow]) -> None:
        """Keep finished spans with the run (a span stored twice is kept once)."""
        found = [(run_id, *span) for span in spans]
        if found:
            await self._sql.write(lambda: run_many(ADD_SPAN, found))

    async def list_spans(self, run_id: str) -> list[dict[str, Any]]:
        """The run's stored spans in start order."""
        columns = ", ".join(SPAN_COLUMNS)
        data = self._sql.dialect.as_text("data")
        found = await self._sql.read(
            lambda: fetch_all(
                f"SELECT run_id, {columns}, {data} AS data FROM run_spans"
                " WHERE run_id = ? ORDER BY start_ns, span_id",
                (run_id,),
            )
        )
        return [span_of(r["data"], r) for r in found]
