"""A large document is compiled in a runner process, never in the server's.

Building and compiling a document of thousands of nodes is seconds of pure-Python
LangGraph work; on a worker thread of the server it still holds the GIL the event
loop needs, so ``/api/status`` stalled (issue 13). With runners, storing such a
document has a runner compile it, and executing it leaves compiling to the runner
that runs it. The server under test lives in this process: its graph builders
are made to refuse here, so any compile left in the server fails the request.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from orcheo_jupyter.runtime import executor as runtime_executor
from orcheo_jupyter.runtime.admission import LARGE_DOCUMENT_NODES
from orcheo_jupyter.server import documents
from tests.conftest import linear_doc

from .conftest import Call

Wait = Callable[..., Awaitable[dict[str, Any]]]


def _refuse(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("the server process built a large document's graph")


async def test_a_large_document_is_compiled_in_a_runner(
    api: Call, wait_run: Wait, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "build_graph", _refuse)
    monkeypatch.setattr(runtime_executor, "build_graph", _refuse)
    names = [f"n{i}" for i in range(LARGE_DOCUMENT_NODES + 50)]
    stored = await api("POST", "workflows", json_body=linear_doc(*names, name="large"))
    assert stored.code == 201, stored.body
    wid = stored.body["id"]

    run_id = (await api("POST", "workflows", wid, "execute", json_body={})).body["execution_id"]
    run = await wait_run(run_id, timeout=120)
    assert run["status"] == "succeeded", run["error"]
    assert run["final_state"]["results"][names[-1]] == {"me": names[-1]}
    # Its checkpoints are read by a runner too (the server holds no compiled graph).
    history = (await api("GET", "executions", run_id, "checkpoints")).body["items"]
    assert history[0]["next"] == [] and history[0]["step"] == len(names)
    assert [c["step"] for c in history] == sorted((c["step"] for c in history), reverse=True)


async def test_a_large_document_that_cannot_compile_is_refused_by_name(
    api: Call, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(documents, "build_graph", _refuse)
    names = [f"n{i}" for i in range(LARGE_DOCUMENT_NODES + 50)]
    doc = linear_doc(*names, name="large-empty-subgraph")
    doc["graph"]["ir"]["nodes"][10] = {
        "kind": "subgraph",
        "id": names[10],
        "graph": {"schema_version": 1, "nodes": [], "edges": []},
    }
    refused = await api("POST", "workflows", json_body=doc)
    assert refused.code == 422, refused.body
    assert "graph" in refused.error["message"], refused.error
