"""Prometheus metrics of one process: runs, node durations, queue depth, webhooks.

Every process that executes runs (a server in ``local`` mode, each Celery worker)
counts what it executes in its own registry; Prometheus scrapes each process and
sums, as usual. The numbers come from the run events themselves, so they agree
with what the event stream and the store say.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)

from ..store.records import EventRecord

REGISTRY = CollectorRegistry(auto_describe=True)

RUNS_STARTED = Counter(
    "orcheo_runs_started",
    "Runs started (their run_started event).",
    registry=REGISTRY,
)
RUNS_FINISHED = Counter(
    "orcheo_runs_finished",
    "Runs that ended, by final status (succeeded, failed, cancelled).",
    ["status"],
    registry=REGISTRY,
)
RUNS_INTERRUPTED = Counter(
    "orcheo_runs_interrupted",
    "Times a run stopped to wait for an answer (human input).",
    registry=REGISTRY,
)
RUNS_RESUMED = Counter(
    "orcheo_runs_resumed",
    "Runs continued after an interrupt, a crash or a re-delivery.",
    registry=REGISTRY,
)
NODE_DURATION = Histogram(
    "orcheo_node_duration_seconds",
    "Wall-clock time of node executions, by outcome (succeeded, failed).",
    ["status"],
    buckets=(0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300),
    registry=REGISTRY,
)
RUNS_IN_PROGRESS = Gauge(
    "orcheo_runs_in_progress",
    "Runs this process is executing now.",
    registry=REGISTRY,
)
QUEUE_DEPTH = Gauge(
    "orcheo_queue_depth",
    "Runs waiting in the broker queue for a worker (0 when runs execute in-process).",
    registry=REGISTRY,
)
WEBHOOK_DELIVERIES = Counter(
    "orcheo_webhook_deliveries",
    "Webhook requests received, by outcome (accepted, duplicate, rejected, error).",
    ["outcome"],
    registry=REGISTRY,
)

_FINAL = {"run_finished": "succeeded", "run_failed": "failed", "run_cancelled": "cancelled"}
for _status in _FINAL.values():
    RUNS_FINISHED.labels(_status)  # exported as 0 before the first run ends
for _status in ("succeeded", "failed"):
    NODE_DURATION.labels(_status)
for _outcome in ("accepted", "duplicate", "rejected", "error"):
    WEBHOOK_DELIVERIES.labels(_outcome)


def observe_event(event: EventRecord) -> None:
    """An executor event sink: called on the event loop for every run event."""
    kind = event.type
    if kind == "run_started":
        RUNS_STARTED.inc()
    elif kind in _FINAL:
        RUNS_FINISHED.labels(_FINAL[kind]).inc()
    elif kind == "interrupted":
        RUNS_INTERRUPTED.inc()
    elif kind == "resumed":
        RUNS_RESUMED.inc()
    elif kind in ("node_finished", "node_failed"):
        duration = event.data.get("duration_ms")
        if isinstance(duration, int | float):
            status = "succeeded" if kind == "node_finished" else "failed"
            NODE_DURATION.labels(status).observe(max(0.0, duration / 1000))


def record_webhook(outcome: str) -> None:
    """Count one webhook delivery (the triggers service calls this)."""
    WEBHOOK_DELIVERIES.labels(outcome).inc()


def render(*, in_progress: int, queue_depth: int = 0) -> tuple[bytes, str]:
    """The exposition text and its content type, with the gauges read at scrape time."""
    RUNS_IN_PROGRESS.set(in_progress)
    QUEUE_DEPTH.set(queue_depth)
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
