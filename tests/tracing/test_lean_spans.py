"""Orcheo's own spans skip the SDK's per-span machinery (tracing/lean.py) but stay
OpenTelemetry spans: exporters get the SDK's ReadableSpan, code in a node sees the
node's span as the current span, and the configured sampler decides."""

from __future__ import annotations

import json
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import ReadableSpan, SpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orcheo_jupyter import tracing
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.vault import Vault
from tests.nodes.helpers import chain_doc, code

from .conftest import by_name

SECRET = "sk-LEAN-4f1d-NEVER-IN-A-SPAN"


@pytest.mark.asyncio
async def test_code_in_a_node_writes_to_the_node_span_and_secrets_are_scrubbed(
    opened: tuple[Executor, Vault], spans: InMemorySpanExporter
) -> None:
    executor, vault = opened
    await vault.create("key", value=SECRET)
    body = (
        "from opentelemetry import trace\n"
        "span = trace.get_current_span()\n"
        "span.set_attribute('shop.items', 3)\n"
        "span.set_attribute('shop.tags', ['a', 'b'])\n"
        "span.set_attribute('shop.auth', 'Bearer ' + self.key)\n"
        "span.set_attribute('shop.bad', {'not': 'a value'})\n"
        "span.add_event('shop.checked', {'who': 'Ada'})\n"
        "return span.get_span_context().span_id"
    )
    doc = chain_doc(
        {
            "kind": "code",
            "id": "shop",
            "body": body,
            "config": {"key": "[[key]]"},
            "injected": ["key"],
        }
    )
    record = await executor.execute(doc, {})
    assert record.status == "succeeded", record.error
    finished = spans.get_finished_spans()
    assert all(isinstance(s, ReadableSpan) for s in finished)
    (node,) = by_name(finished, "orcheo.node")
    # The span the code saw is the node's span, exported with what the code wrote.
    assert record.final_state["results"]["shop"] == node.context.span_id  # type: ignore[index]
    assert node.attributes["shop.items"] == 3
    assert node.attributes["shop.tags"] == ("a", "b")
    assert node.attributes["shop.auth"] == "Bearer [redacted:key]"
    assert "shop.bad" not in node.attributes  # not an OpenTelemetry value: dropped
    (event,) = [e for e in node.events if e.name == "shop.checked"]
    assert dict(event.attributes) == {"who": "Ada"}
    assert node.instrumentation_scope.name == "orcheo_jupyter"
    assert node.resource.attributes["service.name"] == "orcheo-jupyter"
    stored = await executor.store.list_spans(record.id)
    (stored_node,) = [s for s in stored if s["name"] == "orcheo.node"]
    assert stored_node["attributes"]["shop.tags"] == ["a", "b"]
    assert stored_node["events"][0]["name"] == "shop.checked"
    assert SECRET not in json.dumps(stored)


@pytest.mark.asyncio
@pytest.mark.parametrize("sampler", ["always_off", "parentbased_always_off", "traceidratio"])
async def test_the_configured_sampler_decides_for_orcheo_spans(
    opened: tuple[Executor, Vault], monkeypatch: pytest.MonkeyPatch, sampler: str
) -> None:
    executor, _ = opened
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", sampler)
    monkeypatch.setenv("OTEL_TRACES_SAMPLER_ARG", "0")
    exporter = InMemorySpanExporter()
    tracing.configure(exporters=[exporter], store=True)
    try:
        record = await executor.execute(chain_doc(code("a", "return 1"), code("b", "return 2")))
    finally:
        tracing.reset()
    assert record.status == "succeeded", record.error
    assert exporter.get_finished_spans() == ()
    assert await executor.store.list_spans(record.id) == []


@pytest.mark.asyncio
async def test_always_on_sampler_records_every_span(
    opened: tuple[Executor, Vault], monkeypatch: pytest.MonkeyPatch
) -> None:
    executor, _ = opened
    monkeypatch.setenv("OTEL_TRACES_SAMPLER", "always_on")  # not parent-based: asked each span
    exporter = InMemorySpanExporter()
    tracing.configure(exporters=[exporter], store=True)
    try:
        record = await executor.execute(chain_doc(code("a", "return 1"), code("b", "return 2")))
    finally:
        tracing.reset()
    finished = exporter.get_finished_spans()
    assert sorted(s.name for s in finished) == [
        "orcheo.node",
        "orcheo.node",
        "orcheo.run",
        "orcheo.submit",
    ]
    assert len({s.context.trace_id for s in finished}) == 1
    assert len(await executor.store.list_spans(record.id)) == 4


class Recording(SpanProcessor):
    """A processor a user adds: notes every span it is told of, and stamps a tenant on
    each span as it starts (as baggage-to-attribute processors do)."""

    def __init__(self) -> None:
        self.started: list[tuple[Any, Any]] = []
        self.ended: list[ReadableSpan] = []

    def on_start(self, span: Any, parent_context: Context | None = None) -> None:
        span.set_attribute("tenant", "acme")
        self.started.append((span, parent_context))

    def on_end(self, span: ReadableSpan) -> None:
        self.ended.append(span)


@pytest.mark.asyncio
async def test_a_user_processor_sees_every_orcheo_span_start_and_end(
    opened: tuple[Executor, Vault], spans: InMemorySpanExporter
) -> None:
    executor, _ = opened
    tracing_now = tracing.current
    assert tracing_now is not None
    recording = Recording()
    tracing_now.provider.add_span_processor(recording)
    record = await executor.execute(chain_doc(code("a", "return 1"), code("b", "return 2")))
    assert record.status == "succeeded", record.error
    names = sorted(span.name for span, _ in recording.started)
    assert names == ["orcheo.node", "orcheo.node", "orcheo.run", "orcheo.submit"]
    # The same spans, started then ended: each is an SDK ReadableSpan when it ends.
    assert len(recording.ended) == 4
    assert {id(s) for s, _ in recording.started} == {id(s) for s in recording.ended}
    assert all(isinstance(s, ReadableSpan) for s in recording.ended)
    # on_start saw each span's parent in the context it was started in.
    by_id = {s.context.span_id: s for s in recording.ended}
    for span, parent_context in recording.started:
        assert span.attributes["orcheo.run.id"] == record.id
        parent = trace.get_current_span(parent_context).get_span_context()
        if span.name == "orcheo.submit":
            assert not parent.is_valid
        else:
            assert by_id[parent.span_id] is by_id[span.parent.span_id]
    # What on_start wrote is exported and stored with the run.
    assert {s.attributes["tenant"] for s in spans.get_finished_spans()} == {"acme"}
    stored = await executor.store.list_spans(record.id)
    assert len(stored) == 4
    assert {s["attributes"]["tenant"] for s in stored} == {"acme"}
