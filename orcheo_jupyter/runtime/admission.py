"""What a run is when it is admitted: the pending record every executor backend stores.

``Executor.admit`` is the one place a run is checked (document, graph, credentials,
inputs defaults); the in-process executor, the runner pool and Celery all store
the record it returns and differ only in where the run then executes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..clock import utcnow
from ..store.records import RunRecord
from .events import RunStatus

if TYPE_CHECKING:
    from langgraph.graph.state import CompiledStateGraph


@dataclass
class Admission:
    """A run that passed admission: its pending record, stored document text and graph."""

    record: RunRecord
    body: str
    graph: CompiledStateGraph


def pending_run(
    run_id: str,
    checksum: str,
    *,
    inputs: dict[str, Any],
    workflow_id: str | None,
    version: int | None,
    config: dict[str, Any],
    owner: str,
    parent_run_id: str | None = None,
    parent_checkpoint_id: str | None = None,
) -> RunRecord:
    now = utcnow()
    return RunRecord(
        id=run_id,
        checksum=checksum,
        status=RunStatus.PENDING,
        inputs=inputs,
        created_at=now,
        updated_at=now,
        workflow_id=workflow_id,
        version=version,
        config=config,
        parent_run_id=parent_run_id,
        parent_checkpoint_id=parent_checkpoint_id,
        owner=owner,
    )
