"""Keep one bad item of a batch from failing the others.

Group commit puts many callers' items into one transaction, so an error raised
by a single item (a string SQLite cannot encode, a value too big) rolls back all
of them. ``isolate`` retries such a batch in halves, recursively, until only the
items that fail on their own carry the error: k bad items out of n cost about
2·k·log2(n) extra transactions, and nothing extra when nothing fails.

Errors of the database itself (locked, disk full, connection lost) say nothing
about any one item: splitting would only repeat them, so the items of that
(sub-)batch all get the error, uncommitted, and the caller decides what to do.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


def is_database_error(exc: BaseException) -> bool:
    """True for errors of the database or connection rather than of an item's data."""
    if isinstance(exc, (OSError, TimeoutError)):
        return True
    # sqlite3, psycopg and asyncpg all name these so; no driver import needed here.
    return any(cls.__name__ == "OperationalError" for cls in type(exc).__mro__)


async def isolate(
    items: Sequence[T],
    attempt: Callable[[Sequence[T]], Awaitable[Sequence[R | BaseException]]],
) -> list[R | BaseException]:
    """``attempt(items)``'s per-item results; if it raises, each item's own outcome.

    ``attempt`` is all or nothing (one transaction) and returns one result per item
    (an exception in that list belongs to its item only). When it raises an item
    error, the halves are attempted separately, in order, so the items that can be
    committed are, and an item that fails alone gets its error as its result.
    Cancellation is never caught.
    """
    try:
        return list(await attempt(items))
    except Exception as exc:
        if len(items) == 1 or is_database_error(exc):
            return [exc] * len(items)
    mid = len(items) // 2
    first = await isolate(items[:mid], attempt)
    return [*first, *await isolate(items[mid:], attempt)]
