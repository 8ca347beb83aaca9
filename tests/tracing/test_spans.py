"""Span structure: submit -> run -> node -> HTTP / model calls, retries, errors, no secrets."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from langchain_core.messages import AIMessage
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from orcheo_jupyter import tracing
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.services import RuntimeServices
from orcheo_jupyter.vault import Vault
from tests.conftest import vaulted_executor
from tests.nodes.helpers import chain_doc, code, node
from tests.nodes.http_server import FaultServer
from tests.nodes.test_ai import scripted, usage

from .conftest import by_name, hex_id

TOKEN = "tok-5e1f-TRACE-SECRET-77"


@pytest_asyncio.fixture
async def env(
    tmp_path: Path, spans: InMemorySpanExporter
) -> AsyncIterator[tuple[Executor, Vault, dict[str, Any]]]:
    models: dict[str, Any] = {}
    services = RuntimeServices(chat_models=models)
    async with vaulted_executor(tmp_path / "data", services) as (executor, vault):
        yield executor, vault, models


@pytest.mark.asyncio
async def test_run_node_http_and_model_spans_nest(
    env: tuple[Executor, Vault, dict[str, Any]], spans: InMemorySpanExporter
) -> None:
    executor, vault, models = env
    await vault.create("api_token", value=TOKEN)
    models["fake:chat"] = scripted(AIMessage("Bonjour!", usage_metadata=usage(42)))
    with FaultServer() as server:
        doc = chain_doc(
            code("prep", "return {'who': 'Ada'}"),
            node(
                "call",
                "HttpRequestNode",
                url=f"{server.base}/echo?key=[[api_token]]",
                headers={"Authorization": "[[api_token]]"},
                retries=0,
            ),
            node("chat", "ChatModelNode", ai_model="fake:chat", prompt="Hi {{prep.who}}"),
            name="traced",
        )
        record = await executor.execute(doc, {}, workflow_id="traced", version=3)
    assert record.status == "succeeded", record.error
    finished = spans.get_finished_spans()
    assert sorted(s.name for s in finished) == [
        "GET",
        "chat chat",
        "orcheo.node",
        "orcheo.node",
        "orcheo.node",
        "orcheo.run",
        "orcheo.submit",
    ]
    (submit,) = by_name(finished, "orcheo.submit")
    (run,) = by_name(finished, "orcheo.run")
    nodes = {s.attributes["orcheo.node.id"]: s for s in by_name(finished, "orcheo.node")}
    (http,) = by_name(finished, "GET")
    (model,) = by_name(finished, "chat chat")
    # One trace, nested as the run executed.
    assert {s.context.trace_id for s in finished} == {submit.context.trace_id}
    assert submit.parent is None
    assert run.parent.span_id == submit.context.span_id
    assert {s.parent.span_id for s in nodes.values()} == {run.context.span_id}
    assert http.parent.span_id == nodes["call"].context.span_id
    assert model.parent.span_id == nodes["chat"].context.span_id
    assert list(nodes) == ["prep", "call", "chat"]  # in the order they ran
    # Attributes.
    for span in (submit, run, *nodes.values(), http, model):
        assert span.attributes["orcheo.run.id"] == record.id
    assert run.attributes["orcheo.workflow.id"] == "traced"
    assert run.attributes["orcheo.workflow.version"] == 3
    assert run.attributes["orcheo.run.status"] == "succeeded"
    assert run.status.status_code == StatusCode.OK
    assert nodes["call"].attributes["orcheo.node.attempts"] == 1
    assert http.kind == SpanKind.CLIENT
    assert dict(http.attributes) == {
        "http.request.method": "GET",
        "url.full": f"{server.base}/echo",  # no query string: it carries the key
        "server.address": "127.0.0.1",
        "server.port": int(server.base.rsplit(":", 1)[1]),
        "http.response.status_code": 200,
        "orcheo.run.id": record.id,
    }
    assert model.attributes["gen_ai.request.model"] == "chat"
    assert model.attributes["gen_ai.system"] == "fake"
    assert model.attributes["gen_ai.usage.input_tokens"] == 32
    assert model.attributes["gen_ai.usage.output_tokens"] == 10
    assert model.attributes["gen_ai.usage.total_tokens"] == 42
    assert model.attributes["orcheo.usage.estimated"] is False
    assert model.attributes["orcheo.model.latency_ms"] >= 0
    # The called server got the W3C trace context of the HTTP span.
    echoed = record.final_state["results"]["call"]["json"]  # type: ignore[index]
    assert echoed["traceparent"] == (
        f"00-{hex_id(http.context.trace_id, 32)}-{hex_id(http.context.span_id)}"
        f"-{hex_id(http.context.trace_flags, 2)}"
    )
    # The same spans are stored with the run.
    stored = await executor.store.list_spans(record.id)
    assert sorted(s["span_id"] for s in stored) == sorted(
        hex_id(s.context.span_id) for s in finished
    )
    stored_http = next(s for s in stored if s["name"] == "GET")
    assert stored_http["parent_span_id"] == hex_id(nodes["call"].context.span_id)
    assert stored_http["attributes"]["http.response.status_code"] == 200
    assert stored_http["kind"] == "client"
    assert stored_http["end_ns"] >= stored_http["start_ns"] > 0
    assert TOKEN not in json.dumps([dict(s.attributes) for s in finished]) + json.dumps(stored)


@pytest.mark.asyncio
async def test_retries_are_events_of_one_node_span_with_a_span_per_call(
    env: tuple[Executor, Vault, dict[str, Any]], spans: InMemorySpanExporter
) -> None:
    executor, _, _ = env
    with FaultServer() as server:
        flaky = node(
            "flaky", "HttpRequestNode", url=f"{server.base}/flaky", retries=0, raise_for_status=True
        )
        flaky["retry"] = {"max_attempts": 3, "initial_interval": 0}
        record = await executor.execute(chain_doc(flaky), {})
    assert record.status == "succeeded", record.error
    finished = spans.get_finished_spans()
    (span,) = by_name(finished, "orcheo.node")
    assert span.attributes["orcheo.node.attempts"] == 3
    assert span.attributes["orcheo.node.status"] == "succeeded"
    retries = [e for e in span.events if e.name == "orcheo.node.retry"]
    assert [e.attributes["attempt"] for e in retries] == [1, 2]
    assert retries[0].attributes["error"].startswith("HttpRequestError: ")
    calls = by_name(finished, "GET")
    assert [c.attributes["http.response.status_code"] for c in calls] == [503, 503, 200]
    assert [c.status.status_code for c in calls] == [
        StatusCode.ERROR,
        StatusCode.ERROR,
        StatusCode.UNSET,
    ]
    assert {c.parent.span_id for c in calls} == {span.context.span_id}


@pytest.mark.asyncio
async def test_a_failing_node_is_an_error_on_its_span_and_the_run_without_the_secret(
    env: tuple[Executor, Vault, dict[str, Any]], spans: InMemorySpanExporter
) -> None:
    executor, vault, _ = env
    await vault.create("pw", value=TOKEN)
    boom = {
        "kind": "code",
        "id": "boom",
        "body": "raise ValueError('bad token ' + self.password)",
        "config": {"password": "[[pw]]"},
        "injected": ["password"],
    }
    record = await executor.execute(chain_doc(code("ok", "return 1"), boom), {})
    assert record.status == "failed"
    finished = spans.get_finished_spans()
    nodes = {s.attributes["orcheo.node.id"]: s for s in by_name(finished, "orcheo.node")}
    (run,) = by_name(finished, "orcheo.run")
    assert nodes["ok"].status.status_code == StatusCode.OK
    failed = nodes["boom"]
    assert failed.status.status_code == StatusCode.ERROR
    assert failed.attributes["orcheo.node.status"] == "failed"
    message = "node 'boom' failed (line 1 of its code): ValueError: bad token [redacted:pw]"
    assert failed.status.description == message
    (exception,) = [e for e in failed.events if e.name == "exception"]
    assert dict(exception.attributes) == {
        "exception.type": "ValueError",
        "exception.message": message,
    }
    assert run.status.status_code == StatusCode.ERROR
    assert run.attributes["orcheo.run.status"] == "failed"
    stored = json.dumps(await executor.store.list_spans(record.id))
    assert "[redacted:pw]" in stored
    everything = stored + json.dumps(
        [
            [dict(s.attributes), s.status.description, [dict(e.attributes) for e in s.events]]
            for s in finished
        ]
    )
    assert TOKEN not in everything


@pytest.mark.asyncio
async def test_tracing_off_makes_no_spans_and_stores_none(executor: Executor) -> None:
    assert tracing.current is None
    record = await executor.execute(chain_doc(code("a", "return 1")), {})
    assert record.status == "succeeded"
    assert await executor.store.list_spans(record.id) == []
