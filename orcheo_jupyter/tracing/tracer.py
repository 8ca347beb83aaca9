"""The spans orcheo makes: runs, submissions, node executions and model calls.

Every text that goes into an attribute, a status or an event passes the run's
scrubber first (the same redaction events get), so a resolved ``[[secret]]``
never reaches an exporter or the stored trace.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    SimpleSpanProcessor,
    SpanExporter,
)
from opentelemetry.sdk.util.instrumentation import InstrumentationScope
from opentelemetry.trace import Link, Span, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from .. import __version__
from . import names as n
from .collector import RunSpanCollector
from .config import TraceSettings
from .lean import OK, LeanSpan, Pipeline, enter, leave
from .scope import RunScope, scope

Scrub = Callable[[str], str]


def _same(text: str) -> str:
    return text


def scrubber() -> Scrub:
    current = scope.get()
    return current.scrub if current is not None else _same


def record_error(span: Span, message: str, kind: str, scrub: Scrub | None = None) -> None:
    """Mark ``span`` failed with a scrubbed message (never the exception's own text)."""
    clean = (scrub or scrubber())(message)
    span.set_status(Status(StatusCode.ERROR, clean))
    span.add_event("exception", {"exception.type": kind, "exception.message": clean})


def _exporter(name: str) -> SpanExporter:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    # OTEL_EXPORTER_OTLP_(TRACES_)ENDPOINT, _HEADERS, _TIMEOUT, _COMPRESSION are read here.
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


class Tracing:
    """One process's tracer provider, with the optional store of each run's spans."""

    def __init__(self, provider: TracerProvider, collector: RunSpanCollector | None) -> None:
        self.provider = provider
        self.collector = collector
        self.tracer = provider.get_tracer("orcheo_jupyter", __version__)
        #: Where orcheo's own spans start (see lean.py: the SDK's spans cost 60 µs each).
        self.spans = Pipeline(self.tracer, InstrumentationScope("orcheo_jupyter", __version__))
        self._paused = Paused()

    @classmethod
    def build(
        cls,
        settings: TraceSettings,
        *,
        exporters: list[SpanExporter] | None = None,
        install_global: bool = False,
    ) -> Tracing:
        # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are read by Resource.create;
        # without a service name of theirs, spans say "orcheo-jupyter".
        resource = Resource.create()
        if str(resource.attributes.get("service.name", "")).startswith("unknown_service"):
            resource = resource.merge(Resource({"service.name": "orcheo-jupyter"}))
        provider = TracerProvider(resource=resource)  # OTEL_TRACES_SAMPLER applies
        if exporters is not None:
            for exporter in exporters:
                provider.add_span_processor(SimpleSpanProcessor(exporter))
        else:
            for name in settings.exporters:
                # OTEL_BSP_* tune the batches; nothing is exported on the run's own path.
                provider.add_span_processor(BatchSpanProcessor(_exporter(name)))
        collector = RunSpanCollector() if settings.store else None
        if collector is not None:
            provider.add_span_processor(collector)
        # Code nodes' own OpenTelemetry spans join ours, unless the user set a provider.
        proxy = isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider)
        if install_global and settings.exporters and proxy:
            trace.set_tracer_provider(provider)
        return cls(provider, collector)

    def keep_spans(self) -> None:
        if self.collector is None:
            self.collector = RunSpanCollector()
            self.provider.add_span_processor(self.collector)

    def shutdown(self) -> None:
        self.provider.shutdown()

    def force_flush(self) -> None:
        self.provider.force_flush()

    # --- context across processes ------------------------------------------------------
    def inject(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        propagate.inject(headers)
        return headers

    def attach(self, headers: Mapping[str, Any]) -> object:
        carrier: dict[str, str] = {}
        for name in ("traceparent", "tracestate"):  # W3C trace context (and baggage)
            value = headers.get(name)
            if isinstance(value, str):
                carrier[name] = value
        return otel_context.attach(propagate.extract(carrier))

    # --- runs ------------------------------------------------------------------------
    def start_run(
        self,
        run_id: str,
        *,
        workflow_id: str | None,
        version: int | None,
        opening: str,
        scrub: Scrub,
        continues: SpanContext | None = None,
    ) -> RunSpan:
        """The span of one part of a run: its start, or a resume after an interrupt.

        ``continues`` (see ``run_parent``) is the run's first span: a resumed part is
        its child, in the same trace. A resume is caused by that run (the OpenTracing
        "follows from", which OpenTelemetry models as the parent when it is in the
        same trace) and answered by whoever resumed it: their trace, when the resume
        request carried one, is a link.
        """
        attributes: dict[str, Any] = {n.RUN_ID: run_id, n.RUN_OPENING: opening}
        if workflow_id:
            attributes[n.WORKFLOW_ID] = workflow_id
        if version is not None:
            attributes[n.WORKFLOW_VERSION] = version
        if continues is None:
            span = self.spans.start(n.RUN, attributes)
        else:
            links = []
            caller = trace.get_current_span().get_span_context()
            if caller.is_valid and caller.trace_id != continues.trace_id:
                links.append(Link(caller, {n.LINK_KIND: "resumed_by"}))
            parent = trace.set_span_in_context(trace.NonRecordingSpan(continues))
            span = self.spans.start(n.RUN, attributes, context=parent, links=links)
        first = continues or span.get_span_context()
        return RunSpan(span, RunScope(run_id, scrub), self._paused, first)

    async def run_parent(
        self, store: Any, run_id: str, trace_parent: str | None = None
    ) -> SpanContext | None:
        """The first span of ``run_id``, which a resumed part of it continues.

        Held here while the run waits (this process ran it), else the run row's
        ``trace_parent`` (another process ran it, or this one restarted), else, for a
        run stored before runs kept it, read from the run's stored spans: its first
        ``orcheo.run`` span, or its ``orcheo.submit`` span when the process that ran it
        died before that span ended. None when none is known.
        """
        held = self._paused.get(run_id)
        if held is not None:
            return held
        if trace_parent:
            parsed = parse_traceparent(trace_parent)
            if parsed is not None:
                return parsed
        stored = [s for s in await store.list_spans(run_id) if s["name"] in (n.RUN, n.SUBMIT)]
        if not stored:
            return None
        first = min(stored, key=lambda s: (s["name"] != n.RUN, s["start_ns"], s["span_id"]))
        return SpanContext(
            int(first["trace_id"], 16),
            int(first["span_id"], 16),
            is_remote=True,
            trace_flags=TraceFlags(TraceFlags.SAMPLED),  # stored, so it was recorded
        )

    def start_submit(self, workflow_id: str | None, version: int | None) -> SubmitSpan:
        attributes: dict[str, Any] = {}
        if workflow_id:
            attributes[n.WORKFLOW_ID] = workflow_id
        if version is not None:
            attributes[n.WORKFLOW_VERSION] = version
        span = self.spans.start(n.SUBMIT, attributes, kind=SpanKind.PRODUCER)
        return SubmitSpan(span)

    def start_node_test(
        self, test_id: str, node_id: str, workflow_id: str | None, scrub: Scrub
    ) -> NodeTestSpan:
        """The root of a node run alone: its node span (and the node's calls) nest here,
        tagged and stored as the run ``test_id`` would be."""
        attributes: dict[str, Any] = {n.RUN_ID: test_id, n.TEST_ID: test_id, n.NODE_ID: node_id}
        if workflow_id:
            attributes[n.WORKFLOW_ID] = workflow_id
        span = self.spans.start(n.NODE_TEST, attributes)
        return NodeTestSpan(span, RunScope(test_id, scrub))

    async def store_spans(self, store: Any, run_id: str) -> None:
        """Write the run's finished spans to ``store`` (when spans are kept)."""
        if self.collector is None:
            return
        spans = self.collector.take(run_id)
        if spans:
            await store.add_spans(run_id, spans)

    # --- nodes and calls ---------------------------------------------------------------
    def start_node(self, node_id: str) -> NodeSpan:
        return NodeSpan(self.spans.start(n.NODE, {n.NODE_ID: node_id}))

    def model_call(self, model: str) -> ModelCall:
        return ModelCall(self.spans, model)


def traceparent(context: SpanContext) -> str:
    """``context`` as a W3C ``traceparent`` header value."""
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"


def parse_traceparent(value: str) -> SpanContext | None:
    """The span a W3C ``traceparent`` names (remote), or None if it names none."""
    parts = value.split("-")
    if len(parts) != 4 or parts[0] != "00" or len(parts[1]) != 32 or len(parts[2]) != 16:
        return None
    try:
        context = SpanContext(
            int(parts[1], 16),
            int(parts[2], 16),
            is_remote=True,
            trace_flags=TraceFlags(int(parts[3], 16) & 0xFF),
        )
    except ValueError:
        return None
    return context if context.is_valid else None


class Paused:
    """The first span of each run that waits on an interrupt here (most recent last)."""

    def __init__(self, limit: int = 10_000) -> None:
        self._held: OrderedDict[str, SpanContext] = OrderedDict()
        self._limit = limit

    def hold(self, run_id: str, first: SpanContext) -> None:
        self._held[run_id] = first
        self._held.move_to_end(run_id)
        while len(self._held) > self._limit:  # the oldest are still found in the store
            self._held.popitem(last=False)

    def get(self, run_id: str) -> SpanContext | None:
        return self._held.get(run_id)

    def pop(self, run_id: str) -> None:
        self._held.pop(run_id, None)


class _Current:
    """A span made current in this context until ``end``."""

    def __init__(self, span: Span) -> None:
        self.span = span
        self._token: object | None = enter(span)

    def _detach(self) -> None:
        if self._token is not None:
            leave(self._token)
            self._token = None


class RunSpan(_Current):
    def __init__(
        self, span: Span, run: RunScope, paused: Paused, first: SpanContext | None = None
    ) -> None:
        super().__init__(span)
        self.run = run
        self._scope_token = scope.set(run)
        self._paused = paused
        self._first = first

    @property
    def first(self) -> str | None:
        """The run's first span as a W3C ``traceparent`` (None: not recorded)."""
        first = self._first
        return traceparent(first) if first is not None and first.is_valid else None

    def end(self, status: str, error: str | None = None) -> None:
        if status == "interrupted":
            if self._first is not None and self._first.is_valid:
                self._paused.hold(self.run.run_id, self._first)
        else:
            self._paused.pop(self.run.run_id)
        self.span.set_attribute(n.RUN_STATUS, status)
        if error is not None and status == "failed":
            record_error(self.span, error, "RunFailed", self.run.scrub)
        elif status == "cancelled":
            self.span.set_status(Status(StatusCode.ERROR, "cancelled"))
        elif status == "succeeded":
            self.span.set_status(OK)
        self._detach()
        scope.reset(self._scope_token)
        self.span.end()


class NodeTestSpan(_Current):
    def __init__(self, span: Span, run: RunScope) -> None:
        super().__init__(span)
        self.run = run
        self._scope_token = scope.set(run)

    @property
    def trace_id(self) -> str | None:
        context = self.span.get_span_context()
        return f"{context.trace_id:032x}" if context.is_valid else None

    def end(self, error: str | None) -> None:
        """``error``: the node's failure as the test reports it (already scrubbed)."""
        self.span.set_attribute(n.TEST_STATUS, "failed" if error is not None else "succeeded")
        if error is not None:
            record_error(self.span, error, "NodeTestFailed", self.run.scrub)
        else:
            self.span.set_status(OK)
        self._detach()
        scope.reset(self._scope_token)
        self.span.end()


class SubmitSpan(_Current):
    _ended = False

    def admitted(self, run_id: str) -> None:
        self.span.set_attribute(n.RUN_ID, run_id)

    def finish(self) -> None:
        """End the span; it stays the current context (the hand-off is its child)."""
        if not self._ended:
            self._ended = True
            self.span.end()

    def end(self, error: BaseException | None = None) -> None:
        if error is not None and not self._ended:
            record_error(self.span, str(error), type(error).__name__)
        self._detach()
        self.finish()


class NodeSpan(_Current):
    #: The attempt under way (the node wrapper counts them).
    attempts = 1

    def retrying(self, attempt: int, error: str, delay: float) -> None:
        self.span.add_event(
            n.NODE_RETRY,
            {"attempt": attempt, "error": scrubber()(error), "delay_s": float(delay)},
        )

    def end(self, status: str, attempts: int, error: str | None = None, kind: str = "") -> None:
        span = self.span
        if type(span) is LeanSpan:  # our own plain values: no checks needed
            span.set_plain(n.NODE_ATTEMPTS, attempts)
            span.set_plain(n.NODE_STATUS, status)
        else:
            span.set_attributes({n.NODE_ATTEMPTS: attempts, n.NODE_STATUS: status})
        if error is not None:
            record_error(span, error, kind or "NodeFailed")
        elif status == "succeeded":
            span.set_status(OK)
        self._detach()
        span.end()


class ModelCall:
    """``with tracing.model_call(model) as call: ...; call.usage(...)``: one chat call."""

    def __init__(self, spans: Pipeline, model: str) -> None:
        self._spans = spans
        self.model = model
        self.span: Span | None = None
        self._started = 0.0

    def __enter__(self) -> ModelCall:
        system, _, name = self.model.partition(":")
        attributes: dict[str, Any] = {
            n.GENAI_OPERATION: "chat",
            n.GENAI_REQUEST_MODEL: name if name else self.model,
        }
        if name:
            attributes[n.GENAI_SYSTEM] = system
        self.span = self._spans.start(
            f"chat {attributes[n.GENAI_REQUEST_MODEL]}", attributes, kind=SpanKind.CLIENT
        )
        self._token = enter(self.span)
        self._started = time.perf_counter()
        return self

    def usage(
        self,
        input_tokens: int,
        output_tokens: int,
        *,
        estimated: bool = False,
        response_model: str | None = None,
    ) -> None:
        assert self.span is not None
        self.span.set_attributes(
            {
                n.GENAI_INPUT_TOKENS: input_tokens,
                n.GENAI_OUTPUT_TOKENS: output_tokens,
                n.GENAI_TOTAL_TOKENS: input_tokens + output_tokens,
                n.TOKENS_ESTIMATED: estimated,
            }
        )
        if response_model:
            self.span.set_attribute(n.GENAI_RESPONSE_MODEL, scrubber()(response_model))

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        assert self.span is not None
        latency = (time.perf_counter() - self._started) * 1000
        self.span.set_attribute(n.MODEL_LATENCY_MS, round(latency, 3))
        if exc is not None:
            self.span.set_attribute(n.ERROR_TYPE, type(exc).__name__)
            record_error(self.span, str(exc) or type(exc).__name__, type(exc).__name__)
        leave(self._token)
        self.span.end()
