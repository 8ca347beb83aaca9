"""What the trigger services store: jobs (runs to start), deliveries, cron and poll state."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Literal

from ..common.records import Record

JobStatus = Literal["queued", "retrying", "succeeded", "cancelled", "interrupted", "dead"]
OPEN_STATUSES = ("queued", "retrying")
Source = Literal["webhook", "cron", "manual", "http_polling"]


@dataclass
class Job(Record):
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


@dataclass(frozen=True)
class Delivery(Record):
    """A webhook request that was accepted (stored before the 202 answer)."""

    private = ("signature",)

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
class CronFire(Record):
    workflow_id: str
    trigger_id: str
    scheduled_for: str
    status: FireStatus
    at: str
    run_id: str | None = None
    detail: str | None = None


PollStatus = Literal["baseline", "unchanged", "fired", "error"]


@dataclass(frozen=True)
class PollState(Record):
    """What an HTTP polling trigger last saw.

    ``target`` is a digest of what is polled (URL, method, query, the deduplication
    path): polling something else starts from a new baseline. ``seen`` is a digest of
    the last value (None until a first good answer); a run starts when it changes.
    """

    private = ("target", "seen")

    workflow_id: str
    trigger_id: str
    target: str
    seen: str | None
    polled_at: str
    status: PollStatus
    detail: str | None = None
    run_id: str | None = None  # the last run this trigger started


class PollRaced(Exception):
    """Another process recorded a change of this trigger's value first."""


def merge_poll(
    stored: PollState | None, new: PollState, *, firing: bool, expected: str | None
) -> PollState:
    """The state to store after a poll, given what is stored now (in one transaction).

    A poll that fires replaces the stored value only if it is still the one the
    poller compared against (else PollRaced: two servers saw the same change, one
    fires). Other polls record when and how it went, keeping the stored value: it
    may be newer than the poller's.
    """
    same_target = stored is not None and stored.target == new.target
    if firing:
        if not same_target or stored is None or stored.seen != expected:
            raise PollRaced(f"{new.workflow_id}:{new.trigger_id}")
        return new
    if stored is None or not same_target:
        return new
    return replace(new, seen=stored.seen or new.seen, run_id=stored.run_id)
