"""A repository in front of another that announces each batch of run events it commits.

A runner process tells its server over its socket; a Celery worker (and a server
handing runs to workers) announces on Redis. Followers elsewhere learn of new
events only from these announcements, so every write that commits events comes
through here: the awaited ``write_batch`` and the at-once ``write_batch_now`` a
flush takes (whose batch also carries a settling run's spans).
Everything else is the inner repository's own.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .records import RunBatch


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

    async def announce(self, batch: RunBatch) -> None:
        """Tell the listeners that the batch's events and updates are committed."""
        raise NotImplementedError

    def announce_now(self, batch: RunBatch) -> None:
        """``announce`` on the caller's thread, without waiting (``announces_at_once``)."""
        raise NotImplementedError

    async def write_batch(self, batch: RunBatch) -> None:
        await self._inner.write_batch(batch)
        await self.announce(batch)

    def write_batch_now(self, batch: RunBatch) -> bool:
        """The inner store's at-once write (spans included), announced; False (nothing
        written) when the announcement would wait and there is something to write."""
        if not self.announces_at_once:
            return batch.empty
        if not self._inner.write_batch_now(batch):
            return False
        self.announce_now(batch)
        return True
