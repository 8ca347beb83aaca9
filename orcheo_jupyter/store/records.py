"""Plain records the repository stores and returns (no database types leak out)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..common.records import Record
from ..common.span_rows import SpanRow


@dataclass(frozen=True)
class WorkflowRecord(Record):
    id: str
    name: str
    slug: str
    description: str
    tags: list[str]
    latest_version: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class VersionRecord(Record):
    workflow_id: str
    version: int
    checksum: str
    created_at: str
    document: dict[str, Any] | None = None


@dataclass(frozen=True)
class AddedVersion(VersionRecord):
    """What ``add_version`` answers: the version, and whether this call stored it (False:
    the latest already held the very document and keeps its number), which an editor
    cannot tell from the number when someone else may have stored that version."""

    stored: bool = False


@dataclass(frozen=True)
class DeploymentRecord(Record):
    """What a workflow's last bundle deployment stored: the bundle document's checksum and
    the version holding it (stored then, or already the latest)."""

    workflow_id: str
    checksum: str
    version: int
    deployed_at: str


@dataclass
class RunRecord(Record):
    id: str
    checksum: str
    status: str
    inputs: dict[str, Any]
    created_at: str
    updated_at: str
    workflow_id: str | None = None
    version: int | None = None
    config: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    final_state: dict[str, Any] | None = None
    node_states: dict[str, str] = field(default_factory=dict)
    interrupt: list[dict[str, Any]] | None = None
    parent_run_id: str | None = None
    parent_checkpoint_id: str | None = None
    owner: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    last_seq: int = 0
    #: The run's first span as a W3C ``traceparent``, when traced: a part of the run
    #: resumed by another process continues that trace, whether spans are stored or not.
    trace_parent: str | None = None


@dataclass(frozen=True)
class RunUpdate:
    """A change to a run row; ``status`` set means a transition stored with ``at``."""

    run_id: str
    at: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class TransitionRecord:
    run_id: str
    status: str
    at: str


@dataclass(frozen=True)
class EventRecord:
    """One run event; ``seq`` is 1-based and gap-free within a run."""

    run_id: str
    seq: int
    type: str
    at: str
    node: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    #: ``data`` as stored JSON, when the emitter already encoded (and measured) it.
    text: str | None = field(default=None, compare=False, repr=False)

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "seq": self.seq,
            "type": self.type,
            "at": self.at,
            "node": self.node,
            "data": self.data,
        }


@dataclass(frozen=True)
class RunBatch:
    """What one commit of run writes holds, in the order it is written: runs' finished
    spans, their events, then run updates.

    The write-behind (``runtime/writer.py``) builds one per flush; the stores and the
    repositories in front of them (announcing, fencing) pass it on whole.
    """

    events: list[EventRecord] = field(default_factory=list)
    updates: list[RunUpdate] = field(default_factory=list)
    #: (run id, its finished spans) for traced runs: a settling run's spans ride on
    #: the commit that settles it.
    spans: list[tuple[str, Sequence[SpanRow]]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not self.events and not self.updates and not self.spans

    def runs(self) -> set[str]:
        """The ids of the runs the batch writes for."""
        return (
            {e.run_id for e in self.events}
            | {u.run_id for u in self.updates}
            | {run_id for run_id, _ in self.spans}
        )

    def without(self, refused: set[str]) -> RunBatch:
        """The batch without what it holds for the ``refused`` runs (order kept)."""
        if not refused:
            return self
        return RunBatch(
            [e for e in self.events if e.run_id not in refused],
            [u for u in self.updates if u.run_id not in refused],
            [s for s in self.spans if s[0] not in refused],
        )

    def span_rows(self) -> list[tuple[Any, ...]]:
        """The spans as ``run_spans`` rows (``run_queries.ADD_SPAN``)."""
        return [(run_id, *span) for run_id, kept in self.spans for span in kept]


def reference(field: str) -> dict[str, str]:
    """What an event or a final state holds instead of a large value the run row stores."""
    return {"$ref": f"#/{field}"}


#: Where a final state's ``inputs`` would repeat the run's own inputs, it says so instead.
SHARED_INPUTS = reference("inputs")


def share_inputs(final_state: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Any]:
    """The final state to store: its ``inputs`` a reference when they are the run's own.

    Large inputs would otherwise be stored twice in one row (and read back twice).
    """
    if final_state.get("inputs") == inputs and inputs:
        return {**final_state, "inputs": SHARED_INPUTS}
    return final_state


def resolve_shared(final_state: Any, inputs: Any) -> Any:
    """The stored final state with a shared ``inputs`` reference read back."""
    if isinstance(final_state, dict) and final_state.get("inputs") == SHARED_INPUTS:
        return {**final_state, "inputs": inputs}
    return final_state
