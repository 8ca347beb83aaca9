"""Plain records the repository stores and returns (no database types leak out)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class WorkflowRecord:
    id: str
    name: str
    slug: str
    description: str
    tags: list[str]
    latest_version: int
    created_at: str
    updated_at: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class VersionRecord:
    workflow_id: str
    version: int
    checksum: str
    created_at: str
    document: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunRecord:
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

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


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

    def as_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "seq": self.seq,
            "type": self.type,
            "at": self.at,
            "node": self.node,
            "data": self.data,
        }
