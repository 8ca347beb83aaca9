"""The connection options are declared once (``ConnectionOptions``) and reach the transport."""

from __future__ import annotations

import httpx
import pytest

from orcheo_jupyter.client import Backoff, HttpWorkflowExecutor, OrcheoClient
from orcheo_jupyter.client.transport import ConnectionOptions


def test_every_option_reaches_the_transport() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"items": []})

    policy = Backoff(max_retries=1)
    client = OrcheoClient(
        "http://example.invalid/",
        "secret",
        auth_scheme="Bearer",
        timeout=4.5,
        backoff=policy,
        retry_posts=True,
        headers={"X-Trace": "t-1"},
        transport=httpx.MockTransport(handler),
    )
    assert client.nodes() == []
    assert seen[0].headers["Authorization"] == "Bearer secret"
    assert seen[0].headers["X-Trace"] == "t-1"
    assert seen[0].extensions["timeout"]["read"] == 4.5
    assert client.http.backoff is policy
    assert client.http.retry_posts is True
    assert client.base_url == "http://example.invalid"


def test_defaults_when_no_option_is_given() -> None:
    client = OrcheoClient("http://example.invalid", "t")
    assert client.http.auth_scheme == "token"
    assert client.http.headers["Authorization"] == "token t"
    assert client.http.timeout == 30.0
    assert client.http.backoff == Backoff()
    assert client.http.retry_posts is False


def test_the_executor_passes_its_options_on() -> None:
    executor = HttpWorkflowExecutor(
        "http://example.invalid", "t", auth_scheme="Bearer", timeout=2.0, backoff=Backoff(4, 1.0)
    )
    assert executor.client.http.headers["Authorization"] == "Bearer t"
    assert executor.client.http.timeout == 2.0
    assert executor.client.http.backoff == Backoff(4, 1.0)


def test_the_executor_takes_every_connection_option() -> None:
    # Its own client gets all of ConnectionOptions (it had restated three of them).
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"id": "e1", "status": "succeeded"})

    executor = HttpWorkflowExecutor(
        "http://example.invalid",
        "t",
        retry_posts=True,
        headers={"X-Team": "ops"},
        transport=httpx.MockTransport(handler),
    )
    assert executor.client.http.retry_posts is True
    assert executor.cancel("e1")["status"] == "succeeded"
    assert seen[0].headers["X-Team"] == "ops"
    with pytest.raises(TypeError, match=r"connection options \(timeout\) go to the OrcheoClient"):
        HttpWorkflowExecutor(client=executor.client, timeout=3.0)


def test_an_unknown_option_is_refused_by_name() -> None:
    with pytest.raises(TypeError, match=r"unexpected keyword argument 'retry_post' \(the options"):
        OrcheoClient("http://example.invalid", "t", retry_post=True)  # type: ignore[call-arg]
    assert sorted(ConnectionOptions.__optional_keys__) == [
        "auth_scheme",
        "backoff",
        "headers",
        "retry_posts",
        "timeout",
        "transport",
    ]
