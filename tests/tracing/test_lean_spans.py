"""Orcheo's own spans skip the SDK's per-span machinery (tracing/lean.py) but stay
OpenTelemetry spans: exporters get the SDK's ReadableSpan, code in a node sees the
node's span as the current span, and the configured sampler decides."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orcheo_jupyter import tracing
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.vault import Vault
from tests.conftest import vaulted_executor
from tests.nodes.helpers import chain_doc, code

from .conftest import by_name

SECRET = "sk-LEAN-4f1d-NEVER-IN-A-SPAN"


@pytest_asyncio.fixture
async def opened(tmp_path: Path) -> AsyncIterator[tuple[Executor, Vault]]:
    async with vaulted_executor(tmp_path / "data") as opened:
        yield opened


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
