"""HttpRequestNode against a real local HTTP server, including faults."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from orcheo_jupyter.nodes.base import NodeError
from orcheo_jupyter.nodes.library.http import HttpRequestNode
from orcheo_jupyter.nodes.support.circuit_breakers import CircuitBreakers
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.runtime.services import RuntimeServices
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.spec.problems import DocumentError

from .helpers import chain_doc, node, results, run, run_node
from .http_server import FaultServer


@pytest.fixture
def server() -> Iterator[FaultServer]:
    with FaultServer() as srv:
        yield srv


class Sleeps:
    """Records the waits between attempts instead of sleeping."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def services(
    sleeps: Sleeps | None = None, breakers: CircuitBreakers | None = None
) -> RuntimeServices:
    return RuntimeServices(
        sleep=sleeps or Sleeps(), http_circuit_breakers=breakers or CircuitBreakers()
    )


@pytest.mark.asyncio
async def test_get_json_output(server: FaultServer) -> None:
    out = await run_node(
        "HttpRequestNode",
        {"url": f"{server.base}/json", "params": {"api_key": "s3cret"}},
        services=services(),
    )
    assert out["status_code"] == 200 and out["reason"] == "OK"
    assert out["json"] == {"hello": "world"}
    assert out["text"] == '{"hello": "world"}'
    assert out["headers"]["content-type"] == "application/json"
    assert isinstance(out["elapsed"], float) and out["elapsed"] > 0
    assert out["attempts"] == 1
    assert out["url"] == f"{server.base}/json"  # the query (and its key) is not echoed
    assert server.requests[-1]["query"] == "api_key=s3cret"


@pytest.mark.asyncio
async def test_request_parts_are_sent(server: FaultServer) -> None:
    out = await run_node(
        "HttpRequestNode",
        {
            "method": "POST",
            "url": f"{server.base}/echo",
            "params": {"tag": ["a", "b"], "flag": True, "skip": None},
            "headers": {"Authorization": "Bearer t0k"},
            "json_body": {"x": 1},
        },
        services=services(),
    )
    assert out["json"] == {
        "method": "POST",
        "query": {"tag": ["a", "b"], "flag": ["true"]},
        "auth": "Bearer t0k",
        "content_type": "application/json",
        "body": '{"x":1}',
    }
    form = await run_node(
        "HttpRequestNode",
        {"method": "PUT", "url": f"{server.base}/echo", "data": {"a": "1"}},
        services=services(),
    )
    assert form["json"]["body"] == "a=1"
    assert form["json"]["content_type"] == "application/x-www-form-urlencoded"
    raw = await run_node(
        "HttpRequestNode",
        {"method": "PATCH", "url": f"{server.base}/echo", "content": "plain text"},
        services=services(),
    )
    assert (raw["json"]["method"], raw["json"]["body"]) == ("PATCH", "plain text")


@pytest.mark.asyncio
async def test_5xx_is_retried_with_exponential_backoff(server: FaultServer) -> None:
    sleeps = Sleeps()
    out = await run_node(
        "HttpRequestNode",
        {"url": f"{server.base}/flaky", "retries": 3, "backoff_seconds": 0.5},
        services=services(sleeps),
    )
    assert out["status_code"] == 200 and out["json"] == {"ok": True, "n": 3}
    assert out["attempts"] == 3
    assert sleeps.delays == [0.5, 1.0]
    assert server.hits["/flaky"] == 3


@pytest.mark.asyncio
async def test_429_waits_for_retry_after(server: FaultServer) -> None:
    sleeps = Sleeps()
    events: list[tuple[str, dict[str, Any]]] = []
    out = await run_node(
        "HttpRequestNode",
        {"url": f"{server.base}/limited", "backoff_seconds": 0.1},
        services=services(sleeps),
        events=events,
    )
    assert (out["status_code"], out["attempts"]) == (200, 2)
    assert sleeps.delays == [2.0]  # the server's Retry-After, not the 0.1 s backoff
    assert events == [
        (
            "node_message",
            {
                "level": "warning",
                "message": f"GET {server.base}/limited: HTTP 429; retry 1 of 2 in 2s",
            },
        )
    ]
    dated = Sleeps()
    await run_node(
        "HttpRequestNode", {"url": f"{server.base}/limited-date"}, services=services(dated)
    )
    assert len(dated.delays) == 1 and 27 <= dated.delays[0] <= 30


@pytest.mark.asyncio
async def test_a_retry_after_beyond_the_limit_ends_the_retries(server: FaultServer) -> None:
    sleeps = Sleeps()
    out = await run_node(
        "HttpRequestNode",
        {"url": f"{server.base}/limited", "max_retry_after_seconds": 1},
        services=services(sleeps),
    )
    assert (out["status_code"], out["attempts"], sleeps.delays) == (429, 1, [])


@pytest.mark.asyncio
async def test_exhausted_retries_return_the_last_response_or_fail(server: FaultServer) -> None:
    out = await run_node(
        "HttpRequestNode", {"url": f"{server.base}/down", "retries": 1}, services=services()
    )
    assert (out["status_code"], out["json"], out["attempts"]) == (503, {"down": True}, 2)
    with pytest.raises(NodeError) as err:
        await run_node(
            "HttpRequestNode",
            {"url": f"{server.base}/down?token=abc", "retries": 1, "raise_for_status": True},
            services=services(),
        )
    assert str(err.value) == (
        f"url: GET {server.base}/down returned HTTP 503 Service Unavailable after 2 attempt(s)"
    )
    with pytest.raises(NodeError) as err:
        await run_node(
            "HttpRequestNode",
            {"url": f"{server.base}/missing", "raise_for_status": True},
            services=services(),
        )
    assert (
        str(err.value)
        == f"url: GET {server.base}/missing returned HTTP 404 Not Found after 1 attempt(s)"
    )
    assert server.hits["/missing"] == 1  # 404 is not retried


@pytest.mark.asyncio
async def test_connection_resets_are_retried(server: FaultServer) -> None:
    sleeps = Sleeps()
    out = await run_node(
        "HttpRequestNode", {"url": f"{server.base}/reset-once"}, services=services(sleeps)
    )
    assert (out["status_code"], out["attempts"], sleeps.delays) == (200, 2, [0.5])
    with pytest.raises(NodeError) as err:
        await run_node(
            "HttpRequestNode", {"url": f"{server.base}/reset", "retries": 2}, services=services()
        )
    message = str(err.value)
    assert message.startswith(f"url: GET {server.base}/reset failed after 3 attempt(s): ")
    assert server.hits["/reset"] == 3


@pytest.mark.asyncio
async def test_timeouts(server: FaultServer) -> None:
    with pytest.raises(NodeError) as err:
        await run_node(
            "HttpRequestNode",
            {"url": f"{server.base}/slow", "timeout": 0.2, "retries": 0},
            services=services(),
        )
    assert str(err.value) == (
        f"url: GET {server.base}/slow failed after 1 attempt(s): timed out after 0.2s"
    )


@pytest.mark.asyncio
async def test_circuit_breaker_opens_half_opens_and_closes(server: FaultServer) -> None:
    clock = FakeClock()
    breakers = CircuitBreakers(clock=clock)
    config = {
        "url": f"{server.base}/down",
        "retries": 0,
        "circuit_breaker": {"failure_threshold": 2, "reset_seconds": 30},
    }
    host = f"http://127.0.0.1:{server.base.rsplit(':', 1)[1]}"
    for _ in range(2):
        out = await run_node("HttpRequestNode", config, services=services(breakers=breakers))
        assert out["status_code"] == 503
    assert breakers.state(host) == "open"
    with pytest.raises(NodeError) as err:
        await run_node("HttpRequestNode", config, services=services(breakers=breakers))
    assert str(err.value) == (
        f"url: GET {server.base}/down not sent: circuit open for {host} after 2 consecutive "
        "failures; next try allowed in 30.0s"
    )
    assert server.hits["/down"] == 2  # failed fast, nothing sent
    # Other hosts are not affected.
    other = dict(config, url=f"{server.base.replace('127.0.0.1', 'localhost')}/json")
    assert (await run_node("HttpRequestNode", other, services=services(breakers=breakers)))[
        "status_code"
    ] == 200
    clock.now += 31  # cool-down over: one trial goes through, fails, opens again
    out = await run_node("HttpRequestNode", config, services=services(breakers=breakers))
    assert out["status_code"] == 503 and breakers.state(host) == "open"
    with pytest.raises(NodeError):
        await run_node("HttpRequestNode", config, services=services(breakers=breakers))
    server.down = False
    clock.now += 31
    out = await run_node("HttpRequestNode", config, services=services(breakers=breakers))
    assert out["json"] == {"up": 1} and breakers.state(host) == "closed"
    assert server.hits["/down"] == 4


def test_config_errors_before_running() -> None:
    with pytest.raises(ValidationError) as err:
        HttpRequestNode.model_validate({"url": "ftp://example.org/x"})
    assert err.value.errors()[0]["loc"] == ("url",)
    assert "expected an absolute http:// or https:// URL" in str(err.value)
    with pytest.raises(ValidationError) as err:
        HttpRequestNode.model_validate(
            {"url": "http://example.org", "json_body": {}, "content": "x"}
        )
    assert "set only one body field, not json_body and content" in str(err.value)
    # A templated URL is checked when the run resolves it.
    HttpRequestNode.model_validate({"url": "{{inputs.base}}/x"})


@pytest.mark.asyncio
async def test_in_a_workflow_run(server: FaultServer, tmp_path: Path) -> None:
    executor = await Executor.open(
        Settings(data_dir=tmp_path),
        services=RuntimeServices(http_circuit_breakers=CircuitBreakers()),
    )
    try:
        doc = chain_doc(
            node("fetch", "HttpRequestNode", url="{{inputs.base}}/json"),
            node("pick", "SetVariableNode", variables={"greeting": "{{fetch.json.hello}}"}),
        )
        out = results(await run(executor, doc, {"base": server.base}))
        assert out["pick"] == {"greeting": "world"}
        assert out["fetch"]["status_code"] == 200
        failing = chain_doc(
            node(
                "fetch",
                "HttpRequestNode",
                url="{{inputs.base}}/missing",
                raise_for_status=True,
            )
        )
        record = await run(executor, failing, {"base": server.base})
        assert record.status == "failed"
        assert record.error == (
            f"node 'fetch' failed: HttpRequestError: url: GET {server.base}/missing returned "
            "HTTP 404 Not Found after 1 attempt(s)"
        )
        with pytest.raises(DocumentError) as err:
            await executor.submit(chain_doc(node("fetch", "HttpRequestNode", url="not a url")))
        assert str(err.value) == (
            "error: node 'fetch' config.url: Value error, expected an absolute http:// or "
            "https:// URL"
        )
    finally:
        await executor.aclose()
