"""``tracing.continued``: work continues a caller's trace, and the context is back after."""

from __future__ import annotations

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from orcheo_jupyter import tracing

CALLER = "0af7651916cd43dd8448eb211c80319c"
PARENT = "b7ad6b7169203331"


def _trace_id() -> str:
    return format(trace.get_current_span().get_span_context().trace_id, "032x")


def test_work_inside_continues_the_caller_s_trace_and_the_context_comes_back(
    spans: InMemorySpanExporter,
) -> None:
    before = _trace_id()
    with tracing.continued({"traceparent": f"00-{CALLER}-{PARENT}-01"}):
        assert _trace_id() == CALLER
    assert _trace_id() == before
    with pytest.raises(ValueError), tracing.continued({"traceparent": f"00-{CALLER}-{PARENT}-01"}):
        raise ValueError("the work failed")
    assert _trace_id() == before  # restored on the way out of a failure too


def test_nothing_to_continue_without_tracing_or_headers(spans: InMemorySpanExporter) -> None:
    before = _trace_id()
    with tracing.continued(None), tracing.continued({}):
        assert _trace_id() == before
    tracing.reset()
    with tracing.continued({"traceparent": f"00-{CALLER}-{PARENT}-01"}):
        assert _trace_id() == before  # tracing off: headers are not read
