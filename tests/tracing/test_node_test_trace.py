"""A node run alone ("test node") is traced like a run: an orcheo.node_test root, the
node's span under it, the node's calls under that, stored under the test's id."""

from __future__ import annotations

import json

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from orcheo_jupyter.magics.debugging import report
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.single_node import NodeTest
from orcheo_jupyter.vault import Vault
from tests.nodes.helpers import chain_doc, code, node
from tests.nodes.http_server import FaultServer

from .conftest import by_name, hex_id

SECRET = "tok-NODE-TEST-91c2-SECRET"


@pytest.mark.asyncio
async def test_a_node_test_is_one_trace_stored_under_its_id(
    opened: tuple[Executor, Vault], spans: InMemorySpanExporter
) -> None:
    executor, vault = opened
    await vault.create("api_token", value=SECRET)
    with FaultServer() as server:
        doc = chain_doc(
            code("prep", "return 1"),
            node(
                "call",
                "HttpRequestNode",
                url=f"{server.base}/echo?key=[[api_token]]",
                headers={"Authorization": "[[api_token]]"},
                retries=0,
            ),
        )
        tested = await executor.test_node(doc, "call", {"results": {}}, workflow_id="wf-7")
    assert tested.error is None, tested.error
    finished = spans.get_finished_spans()
    assert sorted(s.name for s in finished) == ["GET", "orcheo.node", "orcheo.node_test"]
    (root,) = by_name(finished, "orcheo.node_test")
    (node_span,) = by_name(finished, "orcheo.node")
    (http,) = by_name(finished, "GET")
    assert root.parent is None
    assert node_span.parent.span_id == root.context.span_id
    assert http.parent.span_id == node_span.context.span_id
    assert {s.context.trace_id for s in finished} == {root.context.trace_id}
    assert tested.test_id is not None and tested.test_id.startswith("test-")
    assert tested.trace_id == hex_id(root.context.trace_id, 32)
    assert dict(root.attributes) == {
        "orcheo.run.id": tested.test_id,
        "orcheo.test.id": tested.test_id,
        "orcheo.node.id": "call",
        "orcheo.workflow.id": "wf-7",
        "orcheo.test.status": "succeeded",
    }
    assert root.status.status_code == StatusCode.OK
    assert node_span.attributes["orcheo.node.status"] == "succeeded"
    # Stored under the test's id, as a run's spans are under the run's.
    stored = await executor.store.list_spans(tested.test_id)
    assert sorted(s["span_id"] for s in stored) == sorted(
        hex_id(s.context.span_id) for s in finished
    )
    # The called server got the HTTP span's trace context; no secret in any span.
    echoed = tested.output["json"]
    assert echoed["traceparent"].split("-")[1] == tested.trace_id
    everything = json.dumps(stored) + json.dumps(
        [[dict(s.attributes), [dict(e.attributes) for e in s.events]] for s in finished]
    )
    assert SECRET not in everything
    assert report(tested).startswith(f"✓ call · {tested.duration_ms:.1f} ms · trace ")


@pytest.mark.asyncio
async def test_a_failing_node_test_is_an_error_on_its_root_without_the_secret(
    opened: tuple[Executor, Vault], spans: InMemorySpanExporter
) -> None:
    executor, vault = opened
    await vault.create("pw", value=SECRET)
    boom = {
        "kind": "code",
        "id": "boom",
        "body": "raise ValueError('bad ' + self.password)",
        "config": {"password": "[[pw]]"},
        "injected": ["password"],
    }
    tested = await executor.test_node(chain_doc(boom), "boom", {})
    assert tested.error is not None and "[redacted:pw]" in tested.error
    finished = spans.get_finished_spans()
    (root,) = by_name(finished, "orcheo.node_test")
    (node_span,) = by_name(finished, "orcheo.node")
    assert root.attributes["orcheo.test.status"] == "failed"
    assert root.status.status_code == StatusCode.ERROR
    assert root.status.description == tested.error
    assert node_span.status.status_code == StatusCode.ERROR
    stored = json.dumps(await executor.store.list_spans(tested.test_id or ""))
    assert "[redacted:pw]" in stored and SECRET not in stored


@pytest.mark.asyncio
async def test_untraced_node_tests_make_no_spans(opened: tuple[Executor, Vault]) -> None:
    executor, _ = opened
    tested = await executor.test_node(chain_doc(code("a", "return 5")), "a", {})
    assert (tested.output, tested.trace_id) == (5, None)
    assert await executor.store.list_spans(tested.test_id or "") == []
    assert report(tested).startswith("✓ a · ") and "trace" not in report(tested)


def test_report_names_the_trace() -> None:
    traced = NodeTest("n", {"x": 1}, None, 2.0, False, "test-1", "ab" * 16)
    assert report(traced).splitlines()[0] == f"✓ n · 2.0 ms · trace {'ab' * 16}"
