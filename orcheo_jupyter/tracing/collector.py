"""Keeps each run's finished spans until the executor stores them with the run.

A span started while a run's scope is current is tagged with the run id (also
spans that third-party instrumentation makes inside a node), so the run's trace
can be read back from the store without any collector.
"""

from __future__ import annotations

import logging
import os
import threading
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from .names import RUN_ID

log = logging.getLogger(__name__)

#: A run (a loop over thousands of items) keeps at most this many spans; the rest are
#: still exported, and the stored trace says how many it left out.
MAX_STORED_SPANS = 10_000


@dataclass(frozen=True)
class RunScope:
    """The run the current code works for, and how to scrub its secrets from text."""

    run_id: str
    scrub: Any  # Callable[[str], str]


scope: ContextVar[RunScope | None] = ContextVar("orcheo_trace_run", default=None)


class RunSpanCollector(SpanProcessor):
    """Holds finished spans as the SDK hands them over; they become JSON records only
    when the run's spans are taken (once per run, not once per span on the run's path).
    """

    def __init__(self) -> None:
        self._pending: dict[str, list[ReadableSpan]] = {}
        self._dropped: dict[str, int] = {}
        self._lock = threading.Lock()

    def on_start(self, span: Span, parent_context: Context | None = None) -> None:
        current = scope.get()
        if current is not None and RUN_ID not in (span.attributes or ()):
            span.set_attribute(RUN_ID, current.run_id)

    def on_end(self, span: ReadableSpan) -> None:
        run_id = (span.attributes or {}).get(RUN_ID)
        if not isinstance(run_id, str):
            return
        with self._lock:
            spans = self._pending.get(run_id)
            if spans is None:
                self._pending[run_id] = [span]
            elif len(spans) < MAX_STORED_SPANS:
                spans.append(span)
            else:
                self._dropped[run_id] = self._dropped.get(run_id, 0) + 1

    def take(self, run_id: str) -> list[dict[str, Any]]:
        """The run's finished spans not yet taken (and forgets them)."""
        with self._lock:
            spans = self._pending.pop(run_id, [])
            dropped = self._dropped.pop(run_id, 0)
        if dropped:
            log.warning(
                "orcheo: run %s: %d spans beyond %d not stored", run_id, dropped, MAX_STORED_SPANS
            )
        return span_records(spans)

    def peek(self, run_id: str) -> list[dict[str, Any]]:
        """The run's finished spans not yet stored (a run still executing here)."""
        with self._lock:
            spans = list(self._pending.get(run_id, ()))
        return span_records(spans)

    def shutdown(self) -> None:
        with self._lock:
            self._pending.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True


#: Enum names, read once (``Enum.name`` is a descriptor call per read).
_KINDS = {kind: kind.name.lower() for kind in SpanKind}
_CODES = {code: code.name.lower() for code in StatusCode}


def _plain_attributes(attributes: Any) -> dict[str, Any]:
    plain = dict(attributes) if attributes else {}
    for key, value in plain.items():
        if type(value) is tuple:  # sequences of str/int/... as JSON lists
            plain[key] = list(value)
    return plain


def span_records(spans: list[ReadableSpan]) -> list[dict[str, Any]]:
    """Finished spans as JSON records; a resource's service and a trace id's hex form
    are worked out once (a run's spans share both)."""
    pid = os.getpid()
    services: dict[int, dict[str, Any]] = {}
    traces: dict[int, str] = {}
    records = []
    for span in spans:
        key = id(span.resource)
        service = services.get(key)
        if service is None:
            service = services[key] = _service(span, pid)
        records.append(span_record(span, service, traces))
    return records


def _service(span: ReadableSpan, pid: int) -> dict[str, Any]:
    resource = span.resource.attributes if span.resource is not None else {}
    return {"name": str(resource.get("service.name", "")), "pid": pid}


def span_record(
    span: ReadableSpan,
    service: dict[str, Any] | None = None,
    traces: dict[int, str] | None = None,
) -> dict[str, Any]:
    """A finished span as the JSON the store keeps and the API returns."""
    context = span.get_span_context()
    assert context is not None
    parent = span.parent
    status = span.status
    start = int(span.start_time or 0)
    trace_id = traces.get(context.trace_id) if traces is not None else None
    if trace_id is None:
        trace_id = f"{context.trace_id:032x}"
        if traces is not None:
            traces[context.trace_id] = trace_id
    events = span.events
    record = {
        "trace_id": trace_id,
        "span_id": f"{context.span_id:016x}",
        "parent_span_id": f"{parent.span_id:016x}" if parent is not None else None,
        "name": span.name,
        "kind": _KINDS.get(span.kind) or span.kind.name.lower(),
        "start_ns": start,
        "end_ns": int(span.end_time or start),
        "status": {
            "code": _CODES.get(status.status_code) or status.status_code.name.lower(),
            "message": status.description,
        },
        "attributes": _plain_attributes(span.attributes),
        "events": [
            {
                "name": event.name,
                "time_ns": int(event.timestamp or 0),
                "attributes": _plain_attributes(event.attributes),
            }
            for event in events
        ]
        if events
        else [],
        # Shared by the spans of one batch: records are written or sent, never changed.
        "service": service if service is not None else _service(span, os.getpid()),
    }
    if span.links:  # e.g. a resumed part of a run: the request that resumed it
        record["links"] = [
            {
                "trace_id": f"{link.context.trace_id:032x}",
                "span_id": f"{link.context.span_id:016x}",
                "attributes": _plain_attributes(link.attributes),
            }
            for link in span.links
        ]
    return record
