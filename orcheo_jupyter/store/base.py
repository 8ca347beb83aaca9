"""The repository interface: narrow, async, and backend-neutral.

Callers depend on this protocol only, so a Postgres implementation can be added
without touching them.
"""

from __future__ import annotations

from typing import Any, Protocol

from .records import (
    EventRecord,
    RunRecord,
    RunUpdate,
    TransitionRecord,
    VersionRecord,
    WorkflowRecord,
)


class NotFound(LookupError):
    """The named workflow, version or run does not exist."""


class Conflict(ValueError):
    """The write clashes with what is stored (e.g. an id that already exists)."""


class Repository(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...

    # Documents are stored once per content checksum.
    async def put_document(self, checksum: str, body: str) -> None: ...
    async def get_document(self, checksum: str) -> str: ...

    # Workflows and their immutable versions.
    async def create_workflow(
        self,
        workflow_id: str,
        name: str,
        description: str,
        tags: list[str],
        checksum: str,
        body: str,
    ) -> WorkflowRecord: ...
    async def add_version(
        self,
        workflow_id: str,
        name: str,
        description: str,
        tags: list[str],
        checksum: str,
        body: str,
        *,
        with_document: bool = True,
    ) -> VersionRecord: ...
    async def get_workflow(self, id_or_slug: str) -> WorkflowRecord: ...
    async def list_workflows(
        self, *, query: str | None = None, tag: str | None = None, limit: int = 50, offset: int = 0
    ) -> tuple[list[WorkflowRecord], int]: ...
    async def delete_workflow(self, workflow_id: str) -> None: ...
    async def list_versions(self, workflow_id: str) -> list[VersionRecord]: ...
    async def get_version(
        self, workflow_id: str, version: int | None = None, *, with_document: bool = True
    ) -> VersionRecord: ...

    # Runs, their status transitions and events.
    async def create_run(self, run: RunRecord, document_body: str | None = None) -> None: ...
    async def get_run(self, run_id: str) -> RunRecord: ...
    async def list_runs(
        self,
        *,
        workflow_id: str | None = None,
        status: str | None = None,
        id_prefix: str | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> tuple[list[RunRecord], int]: ...
    async def write_batch(self, events: list[EventRecord], updates: list[RunUpdate]) -> None: ...
    # The same, synchronously, when it can be done at once without waiting (else
    # False and nothing written): a flush that cannot be cancelled halfway.
    def write_batch_now(self, events: list[EventRecord], updates: list[RunUpdate]) -> bool: ...
    async def list_events(
        self, run_id: str, *, after: int = 0, limit: int | None = None
    ) -> list[EventRecord]: ...
    async def list_transitions(self, run_id: str) -> list[TransitionRecord]: ...

    # A run's OpenTelemetry spans (dicts shaped as tracing.collector.span_record makes).
    async def add_spans(self, run_id: str, spans: list[dict[str, Any]]) -> None: ...
    async def list_spans(self, run_id: str) -> list[dict[str, Any]]: ...

    # Leases and leader locks shared by processes (cron leadership, run ownership):
    # ``try_lock`` takes or extends ``name`` for ``ttl`` seconds and says whether
    # ``owner`` holds it now; an expired lock may be taken by anyone.
    async def try_lock(self, name: str, owner: str, ttl: float) -> bool: ...
    async def release_lock(self, name: str, owner: str) -> bool: ...
    async def renew_locks(self, owner: str, ttl: float) -> int: ...
    async def lock_owner(self, name: str) -> str | None: ...
