"""Retries, backoff with jitter, Retry-After and timeouts, through a fault-injecting proxy."""

from __future__ import annotations

import email.utils
import time
import uuid
from typing import Any

import httpx
import pytest

from orcheo_jupyter.client import (
    Backoff,
    HttpWorkflowExecutor,
    OrcheoAPIError,
    OrcheoClient,
    OrcheoConnectionError,
    retry_after,
)
from orcheo_jupyter.client.transport import Transport
from tests.conftest import code_doc, linear_doc

from .live_server import Fault, FaultProxy, Server, TcpProxy, free_port


class Sleeps:
    """Stands in for time.sleep: records the waits instead of taking them."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def sdk(url: str, token: str, sleeps: Sleeps, *, rand: float = 0.5, **options: Any) -> OrcheoClient:
    client = OrcheoClient(url, token)
    client.http = Transport(url, token, sleep=sleeps, rand=lambda: rand, **options)
    return client


def named(prefix: str) -> dict[str, Any]:
    return linear_doc("a", name=f"{prefix}-{uuid.uuid4().hex[:8]}")


def test_backoff_is_exponential_with_full_jitter() -> None:
    policy = Backoff(initial=0.5, factor=2.0, max_delay=3.0)
    assert [policy.delay(n, lambda: 1.0) for n in (1, 2, 3, 4, 5)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [policy.delay(n, lambda: 0.25) for n in (1, 2, 3)] == [0.125, 0.25, 0.5]
    assert Backoff(jitter=False).delay(2, lambda: 0.0) == 1.0
    delays = [Backoff().delay(3) for _ in range(200)]
    assert all(0 <= d <= 2.0 for d in delays) and len(set(delays)) > 100  # spread out


def test_retry_after_parsing() -> None:
    assert retry_after("7") == 7.0
    now = time.time()
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (retry_after(date, now) or 0) <= 31
    assert retry_after("soon") is None and retry_after(None) is None


def test_get_retries_5xx_and_429_then_succeeds(server: Server, proxy: FaultProxy) -> None:
    sleeps = Sleeps()
    client = sdk(proxy.url, server.token, sleeps)
    proxy.faults += [
        Fault("status", "/nodes", 503),
        Fault("status", "/nodes", 502),
        Fault("status", "/nodes", 429, {"Retry-After": "2"}),
    ]
    assert any(n["type"] == "IfElseNode" for n in client.nodes())
    assert len(proxy.requests_to("/nodes")) == 4
    # backoff with jitter (rand 0.5) for the 5xx, Retry-After exactly for the 429
    assert sleeps.waits == [0.25, 0.5, 2.0]
    assert [r[2] for r in client.http.retries] == ["HTTP 503", "HTTP 502", "HTTP 429"]


def test_retry_after_http_date_and_too_long(server: Server, proxy: FaultProxy) -> None:
    sleeps = Sleeps()
    client = sdk(proxy.url, server.token, sleeps, backoff=Backoff(max_retry_after=60))
    soon = email.utils.formatdate(time.time() + 5, usegmt=True)
    proxy.faults.append(Fault("status", "/nodes", 429, {"Retry-After": soon}))
    client.nodes()
    assert 3 <= sleeps.waits[0] <= 6
    proxy.faults.append(Fault("status", "/nodes", 429, {"Retry-After": "3600"}))
    with pytest.raises(OrcheoAPIError) as info:
        client.nodes()
    assert info.value.status == 429 and len(sleeps.waits) == 1  # no hour-long block


def test_retries_run_out(server: Server, proxy: FaultProxy) -> None:
    sleeps = Sleeps()
    client = sdk(proxy.url, server.token, sleeps, backoff=Backoff(max_retries=2))
    proxy.faults += [Fault("status", "/nodes", 503) for _ in range(3)]
    with pytest.raises(OrcheoAPIError) as info:
        client.nodes()
    assert (info.value.status, info.value.code) == (503, "injected")
    assert len(proxy.requests_to("/nodes")) == 3 and len(sleeps.waits) == 2
    proxy.faults.append(Fault("status", "/nodes", 404))
    with pytest.raises(OrcheoAPIError):
        client.nodes()  # a 404 is an answer, never retried
    assert len(sleeps.waits) == 2


def test_connection_reset_is_retried_for_gets_only(server: Server, proxy: FaultProxy) -> None:
    sleeps = Sleeps()
    client = sdk(proxy.url, server.token, sleeps)
    proxy.faults.append(Fault("reset", "/nodes"))
    assert client.nodes()
    assert len(proxy.requests_to("/nodes")) == 2

    wid = OrcheoClient(server.url, server.token).create_workflow(named("post"))["id"]
    proxy.faults.append(Fault("reset", "/execute"))
    with pytest.raises(OrcheoConnectionError):
        client.execute(wid)  # the server may have started it: never sent twice
    assert len(proxy.requests_to("/execute", "POST")) == 1


def test_post_retried_on_503_starts_exactly_one_run(server: Server, proxy: FaultProxy) -> None:
    sleeps = Sleeps()
    client = sdk(proxy.url, server.token, sleeps)
    wid = client.create_workflow(named("once"))["id"]
    proxy.faults.append(Fault("status", "/execute", 503))
    run_id = client.execute(wid, {"x": 1})
    assert len(proxy.requests_to("/execute", "POST")) == 2
    runs = client.list_executions(workflow_id=wid)
    assert [r["id"] for r in runs["items"]] == [run_id]

    proxy.faults.append(Fault("status", "/execute", 500))
    with pytest.raises(OrcheoAPIError) as info:
        client.execute(wid)  # a 500 on a POST: the run may exist, so no retry
    assert info.value.status == 500
    eager = sdk(proxy.url, server.token, sleeps, retry_posts=True)
    proxy.faults.append(Fault("status", "/execute", 500))
    eager.execute(wid)
    assert client.list_executions(workflow_id=wid)["total"] == 2


def test_read_timeout_is_retried(server: Server, proxy: FaultProxy) -> None:
    sleeps = Sleeps()
    client = sdk(proxy.url, server.token, sleeps, timeout=0.5)
    proxy.faults.append(Fault("delay", "/nodes", seconds=1.5))
    assert client.nodes()
    assert client.http.retries[0][2] == "ReadTimeout"


def test_nobody_listening(server: Server) -> None:
    sleeps = Sleeps()
    client = sdk(f"http://127.0.0.1:{free_port()}", server.token, sleeps, rand=1.0)
    with pytest.raises(OrcheoConnectionError, match="after 5 attempts"):
        client.nodes()
    assert sleeps.waits == [0.5, 1.0, 2.0, 4.0]
    with pytest.raises(OrcheoConnectionError):
        client.execute("wf")  # nothing was sent: safe to retry a POST too
    assert len(sleeps.waits) == 8


def test_token_and_custom_headers_reach_the_server(server: Server, proxy: FaultProxy) -> None:
    client = OrcheoClient(proxy.url, server.token, auth_scheme="Bearer", headers={"X-Trace": "t-1"})
    client.nodes()
    sent = proxy.requests_to("/nodes")[-1]["headers"]
    assert sent["Authorization"] == f"Bearer {server.token}"
    assert sent["X-Trace"] == "t-1"
    assert sent["User-Agent"].startswith("orcheo-jupyter-client/")


def test_dropped_websocket_reconnects_without_losing_or_repeating_events(
    server: Server,
) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    tcp = TcpProxy(port)
    try:
        setup = OrcheoClient(server.url, server.token)
        body = "import asyncio\nawait asyncio.sleep(0.3)\nreturn self.node_id"
        doc = code_doc(body, node_id="one", name=f"ws-{uuid.uuid4().hex[:8]}")
        ir = doc["graph"]["ir"]
        ir["nodes"] += [{"kind": "code", "id": n, "body": body} for n in ("two", "three")]
        ir["edges"] = [
            {"source": "one", "target": "two"},
            {"source": "two", "target": "three"},
            {"source": "three", "target": "__end__"},
        ]
        wid = setup.create_workflow(doc)["id"]
        executor = HttpWorkflowExecutor(
            tcp.url, server.token, backoff=Backoff(initial=0.05, max_retries=6)
        )
        seen: list[dict[str, Any]] = []

        def on_event(event: dict[str, Any]) -> None:
            seen.append(event)
            if event["type"] == "node_finished" and event["node"] in ("one", "two"):
                tcp.cut()

        execution = executor.run(wid, on_event=on_event, timeout=30)
        assert execution["status"] == "succeeded"
        assert [e["seq"] for e in seen] == list(range(1, execution["last_seq"] + 1))
        assert executor.reconnects >= 2 and executor.transport_used == "websocket"
    finally:
        tcp.close()


def test_polling_takes_over_where_websockets_are_blocked(server: Server, proxy: FaultProxy) -> None:
    # The HTTP proxy cannot upgrade connections, like many corporate proxies.
    wid = OrcheoClient(server.url, server.token).create_workflow(named("poll"))["id"]
    executor = HttpWorkflowExecutor(
        proxy.url, server.token, backoff=Backoff(initial=0.01, max_retries=2), poll_interval=0.05
    )
    seen: list[dict[str, Any]] = []
    execution = executor.run(wid, on_event=seen.append, timeout=30)
    assert execution["status"] == "succeeded"
    assert executor.transport_used == "polling"
    assert [e["seq"] for e in seen] == list(range(1, execution["last_seq"] + 1))
    assert proxy.requests_to("/events", "GET")


def test_mocked_transport_is_accepted() -> None:
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(200, json={"items": []})

    client = OrcheoClient("http://example.invalid", "t", transport=httpx.MockTransport(handler))
    assert client.nodes() == []
    assert calls[0].headers["Authorization"] == "token t"
