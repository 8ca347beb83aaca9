"""The spans orcheo makes on a run's path, without the SDK's per-span machinery.

The SDK's ``Tracer.start_span`` and ``Span.end`` cost ~60 µs a span here (attribute
validation against the ``Sequence``/``Mapping`` ABCs, a lock per span and per
attribute write, a mutable span copied into a ``ReadableSpan`` at its end). A run
of ten nodes makes twelve spans, which made tracing 1.2x the run. ``LeanSpan`` keeps
what OpenTelemetry asks of a span and nothing more:

- its identity and sampling come from the provider's own id generator and sampler
  (``OTEL_TRACES_SAMPLER`` applies to it as to any span);
- while it runs it is an ``opentelemetry.trace.Span`` in the current context, so W3C
  propagation, child spans of other tracers and ``trace.get_current_span()`` in a
  code node see it;
- when it ends it becomes the SDK's ``ReadableSpan``, handed to the provider's span
  processors: exporters (OTLP, console, in-memory) and the run store receive the
  same objects the SDK would give them. ``OTEL_SPAN_*_LIMIT`` apply.

Processors' ``on_start`` is not called for these spans: the ones orcheo installs
do nothing there for spans of ours (the run store's tags other tracers' spans with
the run id, which ``Pipeline.start`` gives ours itself).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits
from opentelemetry.sdk.trace.sampling import ALWAYS_OFF, ALWAYS_ON, ParentBased
from opentelemetry.sdk.util import BoundedList
from opentelemetry.trace import Link, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from .collector import scope
from .names import RUN_ID

log = logging.getLogger(__name__)

#: Attribute values OpenTelemetry accepts (and sequences of one of them).
_PLAIN = (str, bool, int, float)
UNSET = Status(StatusCode.UNSET)
OK = Status(StatusCode.OK)
#: Where the OpenTelemetry API keeps the current span in a context (stable since 1.0;
#: without it, the API's own lookup is used).
_SPAN_KEY: str | None = getattr(trace.propagation, "_SPAN_KEY", None)


def follows_local_parent(sampler: Any) -> bool:
    """Whether ``sampler`` samples a child of a local span exactly as its parent is
    (``parentbased_*``, the SDK's default, with their default delegates)."""
    return (
        isinstance(sampler, ParentBased)
        and getattr(sampler, "_local_parent_sampled", None) is ALWAYS_ON
        and getattr(sampler, "_local_parent_not_sampled", None) is ALWAYS_OFF
    )


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
        parent_context = context if context is not None else otel_context.get_current()
        current = parent_context.get(_SPAN_KEY) if _SPAN_KEY is not None else None
        parent: SpanContext | None
        if type(current) is LeanSpan:
            # A span of ours: its sampler's decision holds for its children.
            parent = current._context
            if self._follows_parent:
                child = SpanContext(
                    parent.trace_id,
                    self.ids.generate_span_id(),
                    False,
                    parent.trace_flags,
                    parent.trace_state,
                )
                if not parent.trace_flags.sampled:
                    return trace.NonRecordingSpan(child)
                return LeanSpan(self, name, child, parent, kind, attributes, tuple(links))
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
        return LeanSpan(self, name, span_context, parent, kind, attributes, tuple(links))


class LeanSpan(trace.Span):
    """A recording span; see the module's docstring."""

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
        #: Written directly by orcheo's own spans (their values are plain and scrubbed).
        self.attributes = attributes
        self._links = links
        self._events: list[Event] | None = None
        self._dropped_events = 0
        self._status = UNSET
        self._start = start_time if start_time is not None else time.time_ns()
        self._ended = False

    # --- opentelemetry.trace.Span ------------------------------------------------------
    def get_span_context(self) -> SpanContext:
        return self._context

    def is_recording(self) -> bool:
        return not self._ended

    def set_attributes(self, attributes: Mapping[str, Any]) -> None:
        for key, value in attributes.items():
            self.set_attribute(key, value)

    def set_attribute(self, key: str, value: Any) -> None:
        if self._ended or not isinstance(key, str) or not key:
            return
        clean = _clean(value, self._pipeline.limits.max_span_attribute_length)
        if clean is None:
            log.debug("span attribute %r: %r is not an OpenTelemetry value", key, type(value))
            return
        limit = self._pipeline.limits.max_span_attributes
        if key in self.attributes or limit is None or len(self.attributes) < limit:
            self.attributes[key] = clean

    def add_event(
        self,
        name: str,
        attributes: Mapping[str, Any] | None = None,
        timestamp: int | None = None,
    ) -> None:
        if self._ended:
            return
        events = self._events
        if events is None:
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
        if not self._ended and context.is_valid:
            self._links = (*self._links, Link(context, dict(attributes) if attributes else None))

    def update_name(self, name: str) -> None:
        if not self._ended:
            self._name = name

    def set_status(self, status: Status | StatusCode, description: str | None = None) -> None:
        if self._ended or self._status.status_code is StatusCode.OK:
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
        if self._ended:
            return
        self._ended = True
        events: Sequence[Event] = ()
        if self._events:
            if self._dropped_events:
                bounded: BoundedList = BoundedList(len(self._events))
                bounded.extend(self._events)
                bounded.dropped = self._dropped_events
                events = bounded
            else:
                events = tuple(self._events)
        pipeline = self._pipeline
        pipeline.processor.on_end(
            ReadableSpan(
                name=self._name,
                context=self._context,
                parent=self._parent,
                resource=pipeline.resource,
                attributes=self.attributes,
                events=events,
                links=self._links,
                kind=self._kind,
                status=self._status,
                start_time=self._start,
                end_time=end_time if end_time is not None else time.time_ns(),
                instrumentation_scope=pipeline.scope,
            )
        )

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
