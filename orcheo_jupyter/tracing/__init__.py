"""OpenTelemetry spans for runs, nodes, model calls and HTTP calls.

Nothing here imports OpenTelemetry until tracing is on: ``current`` stays None
(the default, ``OTEL_TRACES_EXPORTER=none`` and no ``ORCHEO_TRACE_STORE``), and
every caller checks it before doing anything, so a process that traces nothing
pays one attribute lookup per run and per node.

``configure`` is called by whatever opens an executor (server, runner process,
Celery worker, CLI, kernel); it reads the standard OTEL_* variables once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from .config import TraceSettings, TracingConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from .tracer import Tracing

__all__ = [
    "TraceSettings",
    "TracingConfigError",
    "attach",
    "carrier",
    "configure",
    "continued",
    "current",
    "detach",
    "reset",
]

#: The process's tracing, or None when it traces nothing.
current: Tracing | None = None
_lock = threading.Lock()


def configure(
    *, store: bool | None = None, exporters: Sequence[SpanExporter] | None = None
) -> Tracing | None:
    """Turn tracing on as the environment (or ``exporters``, for tests) says; idempotent.

    ``store`` (default: ORCHEO_TRACE_STORE) keeps each run's spans with the run. A
    later call may add storing; it never turns anything off (see ``reset``).
    """
    global current
    settings = TraceSettings.from_env(store=store)
    with _lock:
        if exporters is not None:
            from .tracer import Tracing

            if current is not None:
                current.shutdown()
            current = Tracing.build(settings, exporters=list(exporters))
        elif current is not None:
            if settings.store:
                current.keep_spans()
        elif settings.enabled:
            from .tracer import Tracing

            current = Tracing.build(settings, install_global=True)
        return current


def reset() -> None:
    """Stop tracing in this process (flushing exporters); tests use it between cases."""
    global current
    with _lock:
        if current is not None:
            current.shutdown()
        current = None


def carrier() -> dict[str, str]:
    """The current trace context as W3C headers (``traceparent``), for another process."""
    tracing = current
    return tracing.inject() if tracing is not None else {}


def attach(headers: Mapping[str, Any] | None) -> object | None:
    """Continue the trace named by ``headers`` (a ``traceparent``) in this context."""
    tracing = current
    if tracing is None or not headers:
        return None
    return tracing.attach(headers)


def detach(token: object | None) -> None:
    if token is not None:
        from opentelemetry import context

        context.detach(token)  # type: ignore[arg-type]


@contextmanager
def continued(headers: Mapping[str, Any] | None) -> Iterator[None]:
    """Work inside continues the trace ``headers`` name (a caller's request, a queued
    job, a server's order to a runner); this context's own trace is back however it ends."""
    token = attach(headers)
    try:
        yield
    finally:
        detach(token)
