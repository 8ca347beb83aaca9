"""A repository in front of another that announces each batch of run events it commits.

A runner process tells its server over its socket; a Celery worker (and a server
handing runs to workers) announces on Redis. Followers elsewhere learn of new
events only from these announcements, so every write that commits events comes
through here: the awaited ``write_batch`` and the at-once paths a flush takes
(``write_batch_now``, and ``write_all_now``, which a settling run's spans ride on).
Everything else is the inner repository's own.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from ..common.span_rows import SpanRow
from .records import EventRecord, RunUpdate


class AnnouncingRepository:
    """Forwards every call to ``inner``; a subclass says how a committed batch is announced.

    A subclass whose announcement is a plain call on the caller's thread (a socket
    send) sets ``announces_at_once`` and gives ``announce_now``: batches may then be
    committed at once. Otherwise a batch that holds anything to announce is refused
    at once and goes through ``write_batch``, which awaits ``announce``.
    """

    announces_at_once: ClassVar[bool] = False

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def announce(self, events: list[EventRecord], updates: list[RunUpdate]) -> None:
        """Tell the listeners that ``events`` and ``updates`` are committed."""
        raise NotImplementedError

    def announce_now(self, events: list[EventRecord], updates: list[RunUpdate]) -> None:
        """``announce`` on the caller's thread, without waiting (``announces_at_once``)."""
        raise NotImplementedError

    async def write_batch(self, events: list[EventRecord], updates: list[RunUpdate]) -> None:
        await self._inner.write_batch(events, updates)
        await self.announce(events, updates)

    def write_batch_now(self, events: list[EventRecord], updates: list[RunUpdate]) -> bool:
        if not self.announces_at_once:
            return not events and not updates  # nothing to write, nothing to announce
        if not self._inner.write_batch_now(events, updates):
            return False
        self.announce_now(events, updates)
        return True

    def write_all_now(
        self,
        spans: list[tuple[str, Sequence[SpanRow]]],
        events: list[EventRecord],
        updates: list[RunUpdate],
    ) -> bool:
        """The inner store's one-transaction write of spans, events and updates, announced;
        False (nothing written) when it has none or the announcement would wait."""
        write = getattr(self._inner, "write_all_now", None)
        if write is None or not self.announces_at_once or not write(spans, events, updates):
            return False
        self.announce_now(events, updates)
        return True
