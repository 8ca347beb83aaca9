"""Dialect-neutral SQL: each query and each transaction written once for SQLite and Postgres.

A transaction is a generator of ``Step`` objects (the SQL to run, with ``?``
placeholders) that receives each step's result. It does no I/O itself, so the
SQLite store drives it synchronously on its connection thread (``drive``, inside
``BEGIN IMMEDIATE``) and the Postgres store drives it with ``await`` inside a
pooled transaction (``drive_async``). What differs between the two databases is
in ``Dialect``: placeholders, how JSON goes in and comes out, case-insensitive
LIKE, JSON array membership, advisory locks and the NUL character.

Chosen over SQLAlchemy Core + Alembic: both drivers are already here (the
SQLite thread with its group commit and WAL bounds, psycopg's pool), the tuned
hot path (run events and updates) stays on them, and the whole layer is this
file, with no query builder to import on every server start. The SQL is the
common subset both databases speak (``ON CONFLICT ... DO UPDATE``, ``RETURNING``,
``excluded``), so most statements need no dialect at all.
"""

from __future__ import annotations

import functools
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

from ..spec.values import loads_stored
from .encoding import dumps
from .sqlite_thread import SqliteThread

if TYPE_CHECKING:
    from psycopg import AsyncConnection
    from psycopg_pool import AsyncConnectionPool

T = TypeVar("T")
Row = Any  # sqlite3.Row or a psycopg dict row: both are read as row["column"]


@dataclass(frozen=True, slots=True)
class Step:
    """One statement of a transaction and what its generator gets back."""

    kind: Literal["one", "all", "run", "many"]
    sql: str
    params: Sequence[Any] = ()


def one(sql: str, params: Sequence[Any] = ()) -> Step:
    """The first row (or None)."""
    return Step("one", sql, params)


def rows(sql: str, params: Sequence[Any] = ()) -> Step:
    """Every row."""
    return Step("all", sql, params)


def run(sql: str, params: Sequence[Any] = ()) -> Step:
    """The number of rows changed."""
    return Step("run", sql, params)


def many(sql: str, param_rows: Sequence[Sequence[Any]]) -> Step:
    """The statement once per parameter row (nothing is run for no rows)."""
    return Step("many", sql, param_rows)


#: A transaction: yields steps, is sent their results, returns its own result.
Steps = Generator[Step, Any, T]


class Duplicate(Exception):
    """A unique constraint refused a row; thrown into the steps at the failing step."""


def placeholders(n: int) -> str:
    return ", ".join("?" for _ in range(n))


def insert(table: str, columns: Sequence[str], suffix: str = "") -> str:
    """``INSERT INTO table (columns) VALUES (?, ...)`` plus ``suffix``."""
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(len(columns))})"
    return f"{sql} {suffix}" if suffix else sql


def upsert(table: str, columns: Sequence[str], keys: Sequence[str]) -> str:
    """Insert, or update every non-key column of the row with the same ``keys``."""
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in keys)
    return insert(table, columns, f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET {updates}")


def where(conditions: Sequence[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """`` WHERE a AND b`` (or nothing) and its parameters, from (clause, value) pairs.

    A pair whose value is None is left out (an unused filter); a clause with
    several placeholders takes a tuple of values.
    """
    clauses: list[str] = []
    params: list[Any] = []
    for clause, value in conditions:
        if value is None:
            continue
        clauses.append(clause)
        params.extend(value if isinstance(value, tuple) else (value,))
    return (f" WHERE {' AND '.join(clauses)}" if clauses else ""), params


def page(
    table: str, clause: str, params: Sequence[Any], order: str, limit: int, offset: int
) -> Steps[tuple[list[Row], int]]:
    """(rows of one page, total count) of ``table`` filtered by ``clause``."""
    total = yield one(f"SELECT COUNT(*) AS n FROM {table}{clause}", params)
    found = yield rows(
        f"SELECT * FROM {table}{clause} ORDER BY {order} LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return found, int(total["n"])


#: After a LIKE pattern made by ``like_pattern``: its backslash escapes ``%``, ``_``, ``\``.
LIKE_ESCAPE = "ESCAPE '\\'"


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its ``%`` and ``_`` taken literally
    (a search for "100%" or "my_flow" used to match every name, or "myXflow")."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class Dialect:
    """What differs between the databases; the base class is SQLite."""

    name = "sqlite"
    like = "LIKE"  # case-insensitive for ASCII in SQLite

    def json(self, value: Any) -> Any:
        """A JSON column's parameter (None stays NULL)."""
        return None if value is None else dumps(value)

    def jsonb(self, value: Any) -> Any:
        """A parameter for a column Postgres stores as JSONB (indexed, compared)."""
        return self.json(value)

    def from_json(self, value: Any) -> Any:
        """A JSON column's stored value as Python data."""
        return None if value is None else loads_stored(value)

    def stored_json(self, value: Any) -> tuple[Any, str | None]:
        """A JSON column as (Python data, its stored text when the driver gives text)."""
        return (None, None) if value is None else (loads_stored(value), value)

    def as_text(self, column: str) -> str:
        """``column`` (JSON) selected as its stored text."""
        return column

    def contains(self, column: str) -> str:
        """SQL true when the JSON array ``column`` holds the parameter's value."""
        return f"EXISTS (SELECT 1 FROM json_each({column}) WHERE value = ?)"

    def lock(self, key: str) -> Step | None:
        """A step that serialises writers on ``key``; SQLite's one writer needs none."""
        return None

    def check_text(self, field: str, value: str) -> None:
        """Refuse text the database cannot store, naming the field."""


class PostgresDialect(Dialect):
    name = "postgres"
    like = "ILIKE"

    def json(self, value: Any) -> Any:
        from psycopg.types.json import Json

        return None if value is None else Json(value, dumps=dumps)

    def jsonb(self, value: Any) -> Any:
        from psycopg.types.json import Jsonb

        return None if value is None else Jsonb(value, dumps=dumps)

    def from_json(self, value: Any) -> Any:
        return value  # decoded by the connection (``loads_stored``)

    def stored_json(self, value: Any) -> tuple[Any, str | None]:
        return value, None

    def as_text(self, column: str) -> str:
        return f"{column}::text"

    def contains(self, column: str) -> str:
        return f"{column} @> to_jsonb(?::text)"

    def lock(self, key: str) -> Step | None:
        return one("SELECT pg_advisory_xact_lock(hashtext(?))", (key,))

    def check_text(self, field: str, value: str) -> None:
        if "\x00" in value:
            raise ValueError(f"{field} must not contain the NUL character (\\u0000)")


SQLITE = Dialect()
POSTGRES = PostgresDialect()


def _is_unique_violation(exc: BaseException) -> bool:
    if isinstance(exc, sqlite3.IntegrityError):
        return str(exc).startswith("UNIQUE constraint failed")
    return type(exc).__name__ == "UniqueViolation"  # psycopg.errors, without importing it


class _Driver:
    """Feeds a transaction's steps their results (or a ``Duplicate``) until it returns."""

    def __init__(self, steps: Steps[Any]) -> None:
        self.steps = steps
        self.result: Any = None
        self.error: BaseException | None = None
        self.value: Any = None

    def next(self) -> Step | None:
        """The next step to run, or None once the transaction has returned (``value``)."""
        try:
            if self.error is None:
                step = self.steps.send(self.result)
            else:
                step = self.steps.throw(self.error)
        except StopIteration as stop:
            self.value = stop.value
            return None
        self.result, self.error = None, None
        return step

    def failed(self, exc: Exception) -> None:
        """A unique violation goes back into the steps; any other error propagates."""
        if not _is_unique_violation(exc):
            raise exc
        self.error = Duplicate(str(exc))


def drive(conn: sqlite3.Connection, steps: Steps[T]) -> T:
    """Run ``steps`` on a SQLite connection (the caller owns the transaction)."""
    driver = _Driver(steps)
    while (step := driver.next()) is not None:
        try:
            if step.kind == "many":
                if step.params:
                    conn.executemany(step.sql, step.params)
                continue
            cur = conn.execute(step.sql, step.params)
            driver.result = (
                cur.fetchone()
                if step.kind == "one"
                else cur.fetchall()
                if step.kind == "all"
                else cur.rowcount
            )
        except sqlite3.IntegrityError as exc:
            driver.failed(exc)
    return cast(T, driver.value)


@functools.lru_cache(maxsize=1024)
def postgres_sql(sql: str) -> str:
    """``?`` placeholders as psycopg's ``%s`` (a literal ``%`` doubled)."""
    return sql.replace("%", "%%").replace("?", "%s")


async def drive_async(conn: AsyncConnection[Any], steps: Steps[T]) -> T:
    """Run ``steps`` on a psycopg connection (the caller owns the transaction)."""
    driver = _Driver(steps)
    while (step := driver.next()) is not None:
        sql = postgres_sql(step.sql)
        try:
            if step.kind == "many":
                if step.params:
                    async with conn.cursor() as many_cur:
                        await many_cur.executemany(sql, step.params)
                continue
            cur = await conn.execute(sql, step.params)
            driver.result = (
                await cur.fetchone()
                if step.kind == "one"
                else await cur.fetchall()
                if step.kind == "all"
                else cur.rowcount
            )
        except Exception as exc:
            driver.failed(exc)
    return cast(T, driver.value)


def fetch_one(sql: str, params: Sequence[Any] = ()) -> Steps[Row | None]:
    """A one-statement transaction: the first row (or None)."""
    found: Row | None = yield one(sql, params)
    return found


def fetch_all(sql: str, params: Sequence[Any] = ()) -> Steps[list[Row]]:
    """A one-statement transaction: every row."""
    found: list[Row] = yield rows(sql, params)
    return found


def run_many(sql: str, param_rows: Sequence[Sequence[Any]]) -> Steps[None]:
    """A one-statement transaction: ``sql`` once per parameter row."""
    yield many(sql, param_rows)


#: Makes a transaction's steps afresh: a store may run it again (a busy inline try).
Make = Callable[[], Steps[T]]


class SqliteDatabase:
    """Steps on the store's SQLite thread: writes in ``BEGIN IMMEDIATE`` transactions."""

    dialect: Dialect = SQLITE

    def __init__(self, db: SqliteThread) -> None:
        self.db = db

    async def read(self, make: Make[T], *, inline: bool = False) -> T:
        return await self.db.call(lambda conn: drive(conn, make()), inline=inline)

    async def write(self, make: Make[T], *, inline: bool = False) -> T:
        return await self.db.transaction(lambda conn: drive(conn, make()), inline=inline)


class PostgresDatabase:
    """Steps on a pooled psycopg connection: reads in autocommit, writes in a transaction."""

    dialect: Dialect = POSTGRES

    def __init__(self, pool: AsyncConnectionPool[Any]) -> None:
        self.pool = pool

    async def read(self, make: Make[T], *, inline: bool = False) -> T:
        async with self.pool.connection() as conn:
            return await drive_async(conn, make())

    async def write(self, make: Make[T], *, inline: bool = False) -> T:
        async with self.pool.connection() as conn, conn.transaction():
            return await drive_async(conn, make())


Database = SqliteDatabase | PostgresDatabase


class SqlStore(ABC):
    """The type callers hold for a store whose queries are written once on ``_sql``.

    The repository, the trigger store and the credential store each derive their
    queries from this; a backend's base (``SqliteStore``, ``PostgresStore``), listed
    first among a concrete store's bases, supplies ``_sql``, ``open`` and ``close``.
    """

    _sql: Database

    @abstractmethod
    async def open(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...
