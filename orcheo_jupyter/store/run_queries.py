"""Reading runs: one implementation of ``get_run`` and ``list_runs`` for both databases.

Mixed into the repositories, which supply ``_sql`` and ``_records`` (how stored
rows become ``RunRecord``: SQLite reads large inputs kept beside the row and
decodes JSON text; Postgres gets JSON decoded by its connection).
"""

from __future__ import annotations

from .base import NotFound
from .records import RunRecord
from .sql import Database, Row, Steps, page, rows, where


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
