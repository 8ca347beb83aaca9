"""The repository interface: what callers depend on, whatever the database.

Workflows, versions and reading runs are written once for both databases
(``WorkflowTables``, ``RunQueries``); each backend adds what is its own: opening
and closing (its store base), the tuned run writes and the leases below.
"""

from __future__ import annotations

from abc import abstractmethod

from .errors import Conflict, NotFound
from .fencing import Fence
from .records import RunBatch, RunRecord
from .run_queries import RunQueries
from .sql import SqlStore
from .workflow_tables import WorkflowTables

__all__ = ["Conflict", "NotFound", "Repository"]


class Repository(SqlStore, WorkflowTables, RunQueries):
    """Workflows, runs, events and spans; a backend supplies the abstract methods."""

    # Runs, their status transitions and events.
    @abstractmethod
    async def create_run(self, run: RunRecord, document_body: str | None = None) -> None: ...

    @abstractmethod
    async def write_batch(self, batch: RunBatch) -> None:
        """The batch's spans, events and run updates (of possibly many runs), in that
        order, in one transaction."""

    @abstractmethod
    def write_batch_now(self, batch: RunBatch) -> bool:
        """The same, synchronously, when it can be done at once without waiting (else
        False and nothing written): a flush that cannot be cancelled halfway."""

    @abstractmethod
    async def write_fenced(self, batch: RunBatch, fence: Fence) -> set[str]:
        """``write_batch`` of the runs whose lease ``fence.owner`` holds, checked (and
        held against a take-over) in the write's own transaction; the runs refused."""

    # Leases and leader locks shared by processes (cron leadership, run ownership).
    @abstractmethod
    async def try_lock(self, name: str, owner: str, ttl: float) -> bool:
        """Take or extend ``name`` for ``ttl`` seconds; whether ``owner`` holds it now
        (an expired lock may be taken by anyone)."""

    @abstractmethod
    async def release_lock(self, name: str, owner: str) -> bool: ...

    @abstractmethod
    async def renew_locks(self, owner: str, ttl: float) -> int: ...

    @abstractmethod
    async def renew_leases(self, owner: str, names: list[str], ttl: float) -> set[str]:
        """Extend ``names`` that ``owner`` still holds (expired or not, as long as no one
        took them); the names it holds, so a missing one was taken by another owner."""

    @abstractmethod
    async def lock_owner(self, name: str) -> str | None: ...
