"""Orcheo's own spans: OpenTelemetry SDK spans without the SDK's per-span overhead.

Why they exist: the SDK's ``Tracer.start_span`` and ``Span.end`` cost ~60 µs a span
here (attribute validation against the ``Sequence``/``Mapping`` ABCs, a lock per span
and per attribute write, the mutable span copied into a new ``ReadableSpan`` at its
end). A run of ten nodes makes twelve spans, which made tracing 1.2x the run; the goal
is 1.1x. ``LeanSpan`` does what the SDK's ``Span`` does for a span, minus that
overhead, and takes everything else from the SDK:

- its trace and span ids come from the provider's id generator, and the provider's
  sampler decides whether it records (``OTEL_TRACES_SAMPLER``); a child of one of our
  spans follows its parent's decision when the sampler is parent-based (the
  default), which is what the SDK's ``ParentBased`` would decide;
- it is an ``opentelemetry.trace.Span`` made current in the OpenTelemetry context
  while it runs, so W3C propagation, other tracers' spans (httpx instrumentation, a
  code node's own spans) and ``trace.get_current_span()`` nest under it;
- like the SDK's own ``Span`` it is also an SDK ``ReadableSpan``: the provider's span
  processors get it in ``on_start`` (with its parent context) and, once ended and no
  longer writable, in ``on_end``, so exporters (OTLP, console, in-memory) and the
  run store receive the same type, through the same processors, as for any SDK
  span. ``OTEL_SPAN_*_LIMIT`` apply to what code adds to it.

Processors whose ``on_start`` is known to do nothing for it (the SDK's export
processors; the run store's, which tags other tracers' spans with the run id that
``Pipeline.start`` gives ours) are not called; any other processor's ``on_start`` is.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from contextvars import ContextVar
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits, SpanProcessor
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from .names import RUN_ID
from .scope import scope

log = logging.getLogger(__name__)

#: Attribute values OpenTelemetry accepts (and sequences of one of them).
_PLAIN = (str, bool, int, float)
UNSET = Status(StatusCode.UNSET)
OK = Status(StatusCode.OK)
#: Where the OpenTelemetry API keeps the current span in a context (stable since 1.0;
#: without it, the API's own lookup is used).
_SPAN_KEY: str | None = getattr(trace.propagation, "_SPAN_KEY", None)


def _context_var() -> ContextVar[otel_context.Context] | None:
    """The ContextVar the API's default runtime context keeps the current context in.

    Read and set directly, making a span current is two C calls instead of ten Python
    ones through the API's layers; with another runtime context (OTEL_PYTHON_CONTEXT)
    the API is used.
    """
    runtime = getattr(otel_context, "_RUNTIME_CONTEXT", None)
    if type(runtime).__name__ != "ContextVarsRuntimeContext":
        return None
    var = getattr(runtime, "_current_context", None)
    return var if isinstance(var, ContextVar) and _SPAN_KEY is not None else None


_CURRENT = _context_var()


def current_context() -> otel_context.Context:
    return _CURRENT.get() if _CURRENT is not None else otel_context.get_current()


def enter(span: trace.Span) -> object:
    """Make ``span`` the current span of this context; ``leave(token)`` undoes it."""
    if _CURRENT is not None:
        values: dict[str, object] = {**_CURRENT.get(), _SPAN_KEY: span}  # type: ignore[dict-item]
        return _CURRENT.set(otel_context.Context(values))
    return otel_context.attach(trace.set_span_in_context(span))


def leave(token: object) -> None:
    if _CURRENT is None:
        otel_context.detach(token)  # type: ignore[arg-type]
        return
    try:
        _CURRENT.reset(token)  # type: ignore[arg-type]
    except (ValueError, RuntimeError):  # made in another context, or reset twice
        log.exception("Failed to detach context")  # as the API's detach says it


def follows_local_parent(sampler: Any) -> bool:
    """Whether ``sampler`` samples a child of a local span exactly as its parent is
    (``parentbased_*``, the SDK's default, with their default delegates)."""
    return (
        isinstance(sampler, ParentBased)
        and getattr(sampler, "_local_parent_sampled", None) is ALWAYS_ON
        and getattr(sampler, "_local_parent_not_sampled", None) is ALWAYS_OFF
    )


#: The SDK's ``on_start`` implementations that do nothing. A processor of ours whose
#: ``on_start`` has nothing to do for a lean span says so with ``lean_on_start = False``.
_QUIET_STARTS: frozenset[Any] = frozenset(
    (SpanProcessor.on_start, SimpleSpanProcessor.on_start, BatchSpanProcessor.on_start)
)

StartHook = Callable[..., None]


class Pipeline:
    """What a lean span needs of the SDK tracer that stands for it: the provider's
    id generator, sampler, span processors and resource, and this library's scope."""

    def __init__(self, tracer: Any, scope: Any, limits: SpanLimits | None = None) -> None:
        # The SDK Tracer's public attributes, shared with its provider.
        self.ids = tracer.id_generator
        self.sampler = tracer.sampler
        self.processor = tracer.span_processor
        self.resource = tracer.resource
        self.scope = scope
        self.limits = limits or SpanLimits()
        self._random_flag = int(getattr(TraceFlags, "RANDOM_TRACE_ID", 0))
        random_ids = getattr(self.ids, "is_trace_id_random", None)
        self._random_ids = bool(random_ids()) if random_ids is not None else False
        self._follows_parent = follows_local_parent(self.sampler)
        self._processors: object = None
        self._starts: tuple[StartHook, ...] = ()

    def start_hooks(self) -> tuple[StartHook, ...]:
        """The processors' ``on_start`` to call for a new span (re-read when a processor
        is added: the SDK's multi-processor replaces its tuple then)."""
        processors = getattr(self.processor, "_span_processors", None)
        if not isinstance(processors, tuple):  # another multi-processor: ask it
            return (self.processor.on_start,)
        if processors is not self._processors:
            self._starts = tuple(
                p.on_start
                for p in processors
                if getattr(type(p), "on_start", None) not in _QUIET_STARTS
                and getattr(p, "lean_on_start", True)
            )
            self._processors = processors
        return self._starts

    def start(
        self,
        name: str,
        attributes: dict[str, Any],
        *,
        kind: SpanKind = SpanKind.INTERNAL,
        context: otel_context.Context | None = None,
        links: Sequence[Link] = (),
    ) -> trace.Span:
        """A started span, child of the span current in ``context`` (default: now).

        ``attributes`` becomes the span's own (the caller hands it over); inside a
        run's scope it gets the run id, so the run store keeps it.
        """
        run = scope.get()
        if run is not None and RUN_ID not in attributes:
            attributes[RUN_ID] = run.run_id
        parent_context = context if context is not None else current_context()
        current = parent_context.get(_SPAN_KEY) if _SPAN_KEY is not None else None
        parent: SpanContext | None
        span: LeanSpan
        if type(current) is LeanSpan and self._follows_parent:
            # A span of ours: its sampler's decision holds for its children.
            parent = current._context
            child = SpanContext(
                parent.trace_id,
                self.ids.generate_span_id(),
                False,
                parent.trace_flags,
                parent.trace_state,
            )
            if not parent.trace_flags.sampled:
                return trace.NonRecordingSpan(child)
            span = LeanSpan(self, name, child, parent, kind, attributes, tuple(links))
        else:
            if type(current) is LeanSpan:
                parent = current._context
            else:
                parent = trace.get_current_span(parent_context).get_span_context()
            if parent is not None and parent.is_valid:
                trace_id = parent.trace_id
                random_id = bool(parent.trace_flags & self._random_flag)
            else:
                parent = None
                trace_id = self.ids.generate_trace_id()
                random_id = self._random_ids
            sampled = self.sampler.should_sample(
                parent_context, trace_id, name, kind, attributes, links
            )
            flags = TraceFlags.SAMPLED if sampled.decision.is_sampled() else TraceFlags.DEFAULT
            if random_id:
                flags |= self._random_flag
            span_context = SpanContext(
                trace_id,
                self.ids.generate_span_id(),
                is_remote=False,
                trace_flags=TraceFlags(flags),
                trace_state=sampled.trace_state,
            )
            if not sampled.decision.is_recording():
                return trace.NonRecordingSpan(span_context)
            if sampled.attributes:
                attributes = {**sampled.attributes, **attributes}
            span = LeanSpan(self, name, span_context, parent, kind, attributes, tuple(links))
        for hook in self.start_hooks():
            hook(span, parent_context=parent_context)
        return span


class LeanSpan(trace.Span, ReadableSpan):
    """A recording span; see the module's docstring.

    As with the SDK's ``Span`` (also a ``trace.Span`` and a ``ReadableSpan``), the
    ``ReadableSpan`` fields are its own; once ended it takes no more writes, and it is
    handed to the processors as it is (the SDK copies its mutable span at that point).
    """

    _instrumentation_info = None
    _end_time: int | None = None
    _context: SpanContext
    #: Plain values only: orcheo's own spans write their scrubbed values directly.
    _attributes: dict[str, Any]

    def __init__(
        self,
        pipeline: Pipeline,
        name: str,
        context: SpanContext,
        parent: SpanContext | None,
        kind: SpanKind,
        attributes: dict[str, Any],
        links: tuple[Link, ...],
        start_time: int | None = None,
    ) -> None:
        self._pipeline = pipeline
        self._name = name
        self._context = context
        self._parent = parent
        self._kind = kind
        self._attributes = attributes
        self._links = links
        self._events: list[Event] | Sequence[Event] = ()
        self._dropped_events = 0
        self._status = UNSET
        self._resource = pipeline.resource
        self._instrumentation_scope = pipeline.scope
        self._start_time = start_time if start_time is not None else time.time_ns()

    # --- opentelemetry.trace.Span ------------------------------------------------------
    def get_span_context(self) -> SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return self._end_time is None

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_attribute(self, key: str, value: Any) -> None:
        if self._end_time is not None or not isinstance(key, str) or not key:
            return
        clean = _clean(value, self._pipeline.limits.max_span_attribute_length)
        if clean is None:
            log.debug("span attribute %r: %r is not an OpenTelemetry value", key, type(value))
            return
        limit = self._pipeline.limits.max_span_attributes
        if key in self._attributes or limit is None or len(self._attributes) < limit:
            self._attributes[key] = clean

    def add_event(
        self,
        name: str,
        attributes: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
    ) -> None:
        if self._end_time is not None:
            return
        events = self._events
        if not isinstance(events, list):
            events = self._events = []
        limit = self._pipeline.limits.max_events
        if limit is not None and len(events) >= limit:
            self._dropped_events += 1
            return
        events.append(
            Event(
                name,
                dict(attributes) if attributes else None,
                timestamp if timestamp is not None else time.time_ns(),
            )
        )

    def add_link(self, context: SpanContext, attributes: Mapping[str, Any] | None = None) -> None:
        if self._end_time is None and context.is_valid:
            self._links = (*self._links, Link(context, dict(attributes) if attributes else None))

    def update_name(self, name: str) -> None:
        if self._end_time is None:
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._end_time is not None or self._status.status_code is StatusCode.OK:
            return  # OK is final, as the SDK has it
        if isinstance(status, StatusCode):
            status = Status(status, description)
        if status.status_code is not StatusCode.UNSET:
            self._status = status

    def record_exception(
        self,
        exception: BaseException,
        attributes: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
        escaped: bool = False,
    ) -> None:
        from .tracer import scrubber

        event = {
            "exception.type": type(exception).__name__,
            "exception.message": scrubber()(str(exception)),
            "exception.escaped": str(escaped),
        }
        if attributes:
            event.update(attributes)
        self.add_event("exception", event, timestamp)

    def end(self, end_time: int | None = None) -> None:
        if self._end_time is not None:
            return
        events = self._events
        if events:
            if self._dropped_events:
                bounded: BoundedList = BoundedList(len(events))
                bounded.extend(events)
                bounded.dropped = self._dropped_events
                self._events = bounded
            else:
                self._events = tuple(events)
        self._end_time = end_time if end_time is not None else time.time_ns()
        self._pipeline.processor.on_end(self)

    # --- for orcheo's own spans ------------------------------------------------------
    def set_plain(self, key: str, value: str | bool | int | float) -> None:
        """An attribute orcheo made itself (plain and scrubbed): no checks to pay for."""
        if self._end_time is None:
            self._attributes[key] = value

    def __repr__(self) -> str:
        return f"LeanSpan({self._name!r}, {self._context!r})"


def _clean(value: Any, max_length: int | None) -> Any:
    """``value`` as an attribute value (strings cut to the limit), or None if it is none."""
    kind = type(value)
    if kind is str:
        return _cut(_scrubbed(value), max_length)
    if kind in _PLAIN:
        return value
    if isinstance(value, (list, tuple)):
        items = [v for v in value if v is not None]
        kinds = {type(v) for v in items}
        if len(kinds) > 1 or not kinds <= set(_PLAIN):
            return None
        return tuple(_cut(_scrubbed(v), max_length) if type(v) is str else v for v in value)
    return None


def _scrubbed(text: str) -> str:
    from .tracer import scrubber

    return scrubber()(text)


def _cut(text: str, max_length: int | None) -> str:
    return text[:max_length] if max_length is not None else text
