"""What the trigger services store: jobs (runs to start), deliveries, cron state and fires."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

JobStatus = Literal["queued", "retrying", "succeeded", "cancelled", "interrupted", "dead"]
OPEN_STATUSES = ("queued", "retrying")
Source = Literal["webhook", "cron", "manual"]


@dataclass
class Job:
    """A run the dispatcher owes: started once, retried with backoff, or dead-lettered.

    ``run_id`` is the id of the current attempt's run, chosen before the run
    exists: starting a job twice (after a crash, or from two processes) hits the
    run's primary key instead of starting a second run.
    """

    id: str
    workflow_id: str
    version: int | None
    inputs: dict[str, Any]
    source: Source
    run_id: str
    max_attempts: int
    created_at: str
    updated_at: str
    status: JobStatus = "queued"
    attempt: int = 1
    config: dict[str, Any] = field(default_factory=dict)
    source_key: str | None = None  # the trigger (cron overlap rules)
    serial: bool = False  # wait for other jobs of the same source_key
    dedupe_key: str | None = None  # caller's idempotency key (manual dispatch)
    not_before: str | None = None  # a retry waits until then
    attempts: list[dict[str, Any]] = field(default_factory=list)  # earlier attempts
    error: str | None = None
    finished_at: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Delivery:
    """A webhook request that was accepted (stored before the 202 answer)."""

    id: str
    workflow_id: str
    job_id: str
    run_id: str
    received_at: str
    method: str
    idempotency_key: str | None = None
    signature: str | None = None  # digest of the signature, for replay protection
    headers: dict[str, str] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body_sha256: str = ""
    body_bytes: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("signature")
        return data


@dataclass(frozen=True)
class Accepted:
    """What storing a delivery did: a new job, or the job an earlier delivery made."""

    outcome: Literal["accepted", "duplicate", "replayed"]
    delivery_id: str
    run_id: str


@dataclass(frozen=True)
class CronState:
    workflow_id: str
    trigger_id: str
    expression: str
    timezone: str
    last_fire_at: str  # the last slot handled (fired, skipped or missed), UTC ISO


FireStatus = Literal["fired", "skipped", "missed"]


@dataclass(frozen=True)
class CronFire:
    workflow_id: str
    trigger_id: str
    scheduled_for: str
    status: FireStatus
    at: str
    run_id: str | None = None
    detail: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
