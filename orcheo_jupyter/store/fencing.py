"""Fenced run writes: a process stores a run's events only while it holds the run's lease.

A Celery worker executes a run under a lease it renews; a worker that stalls past
its lease (a loaded machine, a long pause) is still alive, and another worker may
take the run meanwhile. Without a fence the stalled worker's buffered events and
results land beside the new holder's (two ``run_started``, a final state written
twice). ``FencedRepository`` writes each batch through ``write_fenced``: the lease
of every run in the batch is checked, and locked against a take-over, in the same
transaction as the write, so a stale process can never write after losing a run.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from .records import RunBatch


class LeaseLost(RuntimeError):
    """This process no longer holds the lease of the run it was writing for."""


@dataclass(frozen=True)
class Fence:
    """Whose writes are stored: ``owner``'s, for runs whose lease (``lease(run_id)``,
    a lock name) it holds."""

    owner: str
    lease: Callable[[str], str]


#: The lease (lock name, owner) the current run's task writes under, for stores that
#: fence writes made deep inside a graph (LangGraph's checkpoint saver).
current_lease: ContextVar[tuple[str, str] | None] = ContextVar("orcheo_lease", default=None)


class FencedRepository:
    """Forwards every call to ``inner``; run events and updates are written fenced.

    ``on_lost`` hears of the runs whose writes were refused (their lease is another
    owner's now): their owner must stop executing them. Nothing is written at once
    (the fence is a read inside the write's transaction; the awaited path does it).
    """

    def __init__(self, inner: Any, fence: Fence, on_lost: Callable[[set[str]], None]) -> None:
        self._inner = inner
        self.fence = fence
        self._on_lost = on_lost

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def write_batch(self, batch: RunBatch) -> None:
        refused = await self._inner.write_fenced(batch, self.fence)
        if refused:
            self._on_lost(refused)

    def write_batch_now(self, batch: RunBatch) -> bool:
        return batch.empty
