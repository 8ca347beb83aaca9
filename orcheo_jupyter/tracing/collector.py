"""Keeps each run's finished spans until the executor stores them with the run.

A span started while a run's scope is current is tagged with the run id (also
spans that third-party instrumentation makes inside a node), so the run's trace
can be read back from the store without any collector.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor

from ..common.span_rows import SpanRow, record_of
from .names import RUN_ID
from .rows import span_rows
from .scope import scope

log = logging.getLogger(__name__)

#: A run (a loop over thousands of items) keeps at most this many spans; the rest are
#: still exported, and the stored trace says how many it left out.
MAX_STORED_SPANS = 10_000


class RunSpanCollector(SpanProcessor):
    """Holds finished spans as the SDK hands them over; they become JSON records only
    when the run's spans are taken (once per run, not once per span on the run's path).
    """

    def __init__(self) -> None:
        self._pending: dict[str, list[ReadableSpan]] = {}
        self._dropped: dict[str, int] = {}
        self._lock = threading.Lock()

    #: Orcheo's own spans get the run id when they start (lean.py need not call on_start).
    lean_on_start = False

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

    def take(self, run_id: str) -> list[SpanRow]:
        """The run's finished spans not yet taken, as rows to store (and forgets them)."""
        with self._lock:
            spans = self._pending.pop(run_id, [])
            dropped = self._dropped.pop(run_id, 0)
        if dropped:
            log.warning(
                "orcheo: run %s: %d spans beyond %d not stored", run_id, dropped, MAX_STORED_SPANS
            )
        return span_rows(spans)

    def peek(self, run_id: str) -> list[dict[str, Any]]:
        """The run's finished spans not yet stored (a run still executing here)."""
        with self._lock:
            spans = list(self._pending.get(run_id, ()))
        return [record_of(row) for row in span_rows(spans)]

    def shutdown(self) -> None:
        with self._lock:
            self._pending.clear()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return True
