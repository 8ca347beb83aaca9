"""SQL nodes: SQLiteNode (a database file) and PostgresNode (a server, psycopg).

Values reach the database only as bound parameters: the SQL text is never run
through ``{{templates}}`` (a template in it is an error that says to use
``parameters``), so nothing from a run's inputs can be spliced into a statement.
Several ``statements`` run in one transaction: all of them or none.
Rows come back as a list of dicts, capped at ``max_rows``.
"""

from __future__ import annotations

import asyncio
import re
import sqlite3
import time
from collections.abc import Mapping
from contextlib import closing
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..base import BaseNode, NodeContext, NodeError, NotPreviewable
from ..registry import register
from ..support.inline_nodes import render
from ..support.plain_values import jsonable, missing_extra, under_data_dir
from ..support.sqlite_transaction import transaction

Params = dict[str, Any] | list[Any] | None
Fetch = Literal["none", "one", "all"]
_TEMPLATE_IN_SQL = re.compile(r"\{\{.*?\}\}", re.DOTALL)


class SqlError(NodeError):
    """The database refused a statement or could not be reached."""


def _no_templates(sql: str) -> str:
    if _TEMPLATE_IN_SQL.search(sql):
        raise ValueError(
            "SQL text may not contain {{templates}} (values would be spliced into the "
            "statement); use placeholders and pass the values in parameters"
        )
    return sql


class SqlStatement(BaseModel):
    """One statement of a transaction and its bound parameters."""

    model_config = ConfigDict(extra="forbid")

    query: str = Field(min_length=1, title="SQL", json_schema_extra={"format": "textarea"})
    parameters: Params = Field(
        None, title="Parameters", description="Bound values; may use {{templates}}."
    )

    @field_validator("query")
    @classmethod
    def _plain_sql(cls, value: str) -> str:
        return _no_templates(value)


class _SqlNode(BaseNode):
    # SQL text is stored as written: the runtime never renders templates into it.
    deferred_fields = frozenset({"query", "statements"})

    @classmethod
    def preview_deferred(
        cls, field: str, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> tuple[Any, list[str]]:
        if isinstance(config.get(field), str):
            try:
                _no_templates(config[field])
            except ValueError as exc:
                raise NodeError(None, str(exc)) from None
        raise NotPreviewable(f"{field} is sent as written; the values come from parameters")

    query: str | None = Field(
        None, title="SQL", description="One statement.", json_schema_extra={"format": "textarea"}
    )
    parameters: Params = Field(
        None,
        title="Parameters",
        description="Bound values (a list for positional placeholders, an object for named "
        "ones); may use {{templates}}.",
    )
    statements: list[SqlStatement] = Field(
        default_factory=list,
        title="Statements",
        description="Instead of query: statements run in one transaction (all or none); "
        "rows come from the last one.",
    )
    fetch: Fetch = Field("all", title="Fetch", description="Rows to return: none, one or all.")
    max_rows: int = Field(
        1000, ge=1, le=1_000_000, title="Row limit", description="More rows are cut off."
    )
    timeout: float = Field(30.0, gt=0, le=3600, title="Timeout (s)")

    @field_validator("query")
    @classmethod
    def _plain_sql(cls, value: str | None) -> str | None:
        return None if value is None else _no_templates(value)

    @model_validator(mode="after")
    def _one_source(self) -> _SqlNode:
        if (self.query is None) == (not self.statements):
            raise ValueError("set exactly one of query or statements")
        return self

    def _plan(self, state: Mapping[str, Any], ctx: NodeContext) -> list[tuple[str, Params]]:
        if self.query is not None:
            return [(self.query, self.parameters)]
        return [(s.query, render(s.parameters, state, ctx)) for s in self.statements]

    def _output(self, columns: list[str], rows: list[Any], more: bool, rowcount: int) -> Any:
        mapped = [jsonable(dict(zip(columns, row, strict=False))) for row in rows]
        out: dict[str, Any] = {
            "rows": mapped,
            "rowcount": rowcount,
            "columns": columns,
            "truncated": more,
        }
        if self.fetch == "one":
            out["row"] = mapped[0] if mapped else None
        return out

    def _limit(self) -> int:
        return {"none": 0, "one": 1, "all": self.max_rows}[self.fetch]


def _check_params(params: Params, index: int | None) -> Any:
    field = "parameters" if index is None else f"statements[{index}].parameters"
    if params is None:
        return ()
    if not isinstance(params, dict | list):
        raise SqlError(field, f"expected a list or an object, got {type(params).__name__}")
    return params


@register(
    category="storage",
    icon="database",
    output="{rows: [{column: value}], rowcount, columns, truncated[, row]}",
)
class SQLiteNode(_SqlNode):
    """Run parameterised SQL on a SQLite database file (relative paths: the data dir)."""

    database: str = Field(
        ":memory:",
        min_length=1,
        title="Database",
        description="File path; relative paths are under the Orcheo data directory.",
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        plan = self._plan(state, ctx)
        path = (
            self.database
            if self.database == ":memory:"
            else str(under_data_dir(self.database, ctx.services))
        )
        return await asyncio.to_thread(self._execute, path, plan)

    def _execute(self, path: str, plan: list[tuple[str, Params]]) -> Any:
        try:
            conn = sqlite3.connect(path, timeout=self.timeout, isolation_level=None)
        except sqlite3.Error as exc:
            raise SqlError("database", f"cannot open {self.database!r}: {exc}") from None
        multi = self.query is None
        deadline = time.monotonic() + self.timeout
        # A statement still running at the deadline is interrupted (checked every 10k steps).
        conn.set_progress_handler(lambda: int(time.monotonic() > deadline), 10_000)
        with closing(conn), transaction(conn):
            cursor: sqlite3.Cursor | None = None
            for i, (sql, params) in enumerate(plan):
                where = "query" if not multi else f"statements[{i}].query"
                try:
                    cursor = conn.execute(sql, _check_params(params, i if multi else None))
                except sqlite3.ProgrammingError as exc:
                    if "binding" in str(exc):
                        where = where.replace("query", "parameters")
                    raise SqlError(where, str(exc)) from None
                except (sqlite3.Error, ValueError) as exc:
                    if isinstance(exc, sqlite3.OperationalError) and str(exc) == "interrupted":
                        raise SqlError("timeout", f"timed out after {self.timeout:g}s") from None
                    raise SqlError(where, f"{type(exc).__name__}: {exc}") from None
            assert cursor is not None
            limit = self._limit()
            fetched = cursor.fetchmany(limit + 1) if limit else []
            columns = [d[0] for d in cursor.description or []]
            rowcount = cursor.rowcount
        more = len(fetched) > limit
        rows = fetched[:limit]
        return self._output(columns, rows, more, rowcount if rowcount >= 0 else len(rows))


@register(
    category="storage",
    icon="database",
    output="{rows: [{column: value}], rowcount, columns, truncated[, row]}",
)
class PostgresNode(_SqlNode):
    """Run parameterised SQL on PostgreSQL (psycopg placeholders %s / %(name)s)."""

    dsn: str = Field(
        min_length=1,
        title="DSN",
        description="postgresql://user@host:port/db; use a [[secret]] when it holds a password.",
    )
    autocommit: bool = Field(
        True,
        title="Autocommit",
        description="Off: a single query runs in a transaction too (statements always do).",
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        try:
            import psycopg
        except ImportError:
            raise missing_extra("psycopg", "postgres", "dsn") from None
        plan = self._plan(state, ctx)
        multi = self.query is None
        try:
            conn = await psycopg.AsyncConnection.connect(
                self.dsn,
                autocommit=True,
                connect_timeout=max(1, int(self.timeout)),
                options=f"-c statement_timeout={int(self.timeout * 1000)}",
            )
        except psycopg.Error as exc:
            raise SqlError("dsn", f"cannot connect: {_pg_message(exc)}") from None
        try:
            async with conn:
                if multi or not self.autocommit:
                    async with conn.transaction():
                        return await self._execute(conn, plan, multi)
                return await self._execute(conn, plan, multi)
        except psycopg.Error as exc:
            raise SqlError("query", _pg_message(exc)) from None

    async def _execute(self, conn: Any, plan: list[tuple[str, Params]], multi: bool) -> Any:
        import psycopg

        cursor = conn.cursor()
        for i, (sql, params) in enumerate(plan):
            where = "query" if not multi else f"statements[{i}].query"
            args = _check_params(params, i if multi else None)
            try:
                await cursor.execute(sql, args or None)
            except psycopg.ProgrammingError as exc:
                raise SqlError(where, _pg_message(exc)) from None
            except psycopg.Error as exc:
                raise SqlError(where, _pg_message(exc)) from None
        limit = self._limit()
        fetched: list[Any] = []
        columns = [d.name for d in cursor.description or []]
        if limit and cursor.description is not None:
            fetched = await cursor.fetchmany(limit + 1)
        more = len(fetched) > limit
        rows = fetched[:limit]
        rowcount = cursor.rowcount
        return self._output(columns, rows, more, rowcount if rowcount >= 0 else len(rows))


def _pg_message(exc: Exception) -> str:
    """The server's message without the DSN (psycopg may echo connection parameters)."""
    diag = getattr(exc, "diag", None)
    primary = getattr(diag, "message_primary", None) if diag is not None else None
    lines = str(exc).strip().splitlines()
    text = primary or (lines[0] if lines else "")
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
