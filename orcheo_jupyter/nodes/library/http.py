"""HttpRequestNode: one HTTP call with timeouts, retries and a per-host circuit breaker.

Retries cover connection errors, timeouts and the statuses in ``retry_on_status``
(429 and 5xx by default), waiting with exponential backoff or, when the server
sends one, its ``Retry-After``. The request's query string and headers never
appear in outputs, events or errors, since they often carry credentials.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ...common.retry import backoff_delay, retry_after_seconds
from ...tracing.http import traced
from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.circuit_breakers import CircuitBreakers, CircuitOpen, default_breakers
from ..support.dotted_paths import absolute_http_url

Method = Literal["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
Sleep = Callable[[float], Awaitable[Any]]


class HttpRequestError(NodeError):
    """The request could not be completed (or failed with raise_for_status)."""


class CircuitBreakerConfig(BaseModel):
    """When to stop calling a failing host for a while."""

    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(True, title="Enabled")
    failure_threshold: int = Field(
        5, ge=1, le=1000, title="Failures to open", description="Consecutive failures per host."
    )
    reset_seconds: float = Field(
        30.0, gt=0, le=86400, title="Open for (s)", description="Before one trial request."
    )


def safe_url(url: httpx.URL) -> str:
    """The URL without credentials, query or fragment: fit for outputs and errors."""
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


def _host_key(url: httpx.URL) -> str:
    port = url.port if url.port is not None else (443 if url.scheme == "https" else 80)
    return f"{url.scheme}://{url.host}:{port}"


def _query_value(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return [_query_value(v) for v in value]
    return value


def _describe(exc: BaseException, timeout: float) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {timeout:g}s"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


@register(
    category="http",
    icon="globe",
    output="{status_code, reason, headers, json, text, elapsed, url, attempts}",
)
class HttpRequestNode(BaseNode):
    """Call an HTTP API with retries (backoff, Retry-After) and a per-host circuit breaker."""

    method: Method = Field("GET", title="Method")
    url: str = Field(min_length=1, title="URL", description="Absolute http(s) URL.")
    params: dict[str, Any] = Field(default_factory=dict, title="Query parameters")
    headers: dict[str, Any] = Field(
        default_factory=dict, title="Headers", description="Values may be [[secrets]]."
    )
    json_body: Any = Field(None, title="JSON body", description="Sent as application/json.")
    content: str | None = Field(None, title="Raw body", description="Sent as is.")
    data: dict[str, Any] | None = Field(None, title="Form body", description="Form-encoded.")
    timeout: float = Field(30.0, gt=0, le=3600, title="Timeout (s)", description="Per attempt.")
    follow_redirects: bool = Field(True, title="Follow redirects")
    raise_for_status: bool = Field(
        False, title="Fail on HTTP errors", description="Fail the node on a final 4xx/5xx."
    )
    retries: int = Field(2, ge=0, le=20, title="Retries", description="Extra attempts.")
    backoff_seconds: float = Field(0.5, ge=0, le=600, title="First backoff (s)")
    backoff_factor: float = Field(2.0, ge=1, le=10, title="Backoff factor")
    max_backoff_seconds: float = Field(30.0, ge=0, le=3600, title="Longest backoff (s)")
    max_retry_after_seconds: float = Field(
        120.0,
        ge=0,
        title="Longest Retry-After (s)",
        description="A longer Retry-After ends the retries.",
    )
    retry_on_status: list[int] = Field(
        default_factory=lambda: [429, 500, 502, 503, 504], title="Retry on status"
    )
    circuit_breaker: CircuitBreakerConfig = Field(
        default_factory=CircuitBreakerConfig, title="Circuit breaker"
    )

    @field_validator("url")
    @classmethod
    def _absolute(cls, value: str) -> str:
        return absolute_http_url(value)

    @model_validator(mode="after")
    def _one_body(self) -> HttpRequestNode:
        given = [
            name
            for name, value in (
                ("json_body", self.json_body),
                ("content", self.content),
                ("data", self.data),
            )
            if value is not None
        ]
        if len(given) > 1:
            raise ValueError(f"set only one body field, not {' and '.join(given)}")
        return self

    def _request_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "params": {k: _query_value(v) for k, v in self.params.items() if v is not None},
            "headers": {k: str(v) for k, v in self.headers.items() if v is not None},
        }
        if self.json_body is not None:
            kwargs["json"] = self.json_body
        elif self.content is not None:
            kwargs["content"] = self.content
        elif self.data is not None:
            kwargs["data"] = self.data
        return kwargs

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        try:
            url = httpx.URL(self.url)
        except httpx.InvalidURL as exc:
            raise HttpRequestError("url", f"not a valid URL: {exc}") from None
        if url.scheme not in ("http", "https") or not url.host:
            raise HttpRequestError("url", "expected an absolute http:// or https:// URL")
        where = f"{self.method} {safe_url(url)}"
        host = _host_key(url)
        breakers: CircuitBreakers = ctx.services.http_circuit_breakers or default_breakers
        sleep: Sleep = ctx.services.sleep or asyncio.sleep
        cb = self.circuit_breaker
        attempts = self.retries + 1
        kwargs = self._request_kwargs()

        async def wait(attempt: int, delay: float, why: str) -> None:
            ctx.emit(
                "node_message",
                {
                    "level": "warning",
                    "message": f"{where}: {why}; retry {attempt} of {self.retries} in {delay:g}s",
                },
            )
            await sleep(delay)

        async with traced(
            httpx.AsyncClient(timeout=self.timeout, follow_redirects=self.follow_redirects)
        ) as client:
            attempt = 0
            while True:
                attempt += 1
                if cb.enabled:
                    try:
                        breakers.before(host, cb.failure_threshold, cb.reset_seconds)
                    except CircuitOpen as exc:
                        raise HttpRequestError("url", f"{where} not sent: {exc}") from None
                started = time.perf_counter()
                try:
                    response = await client.request(self.method, url, **kwargs)
                except httpx.TransportError as exc:
                    if cb.enabled:
                        breakers.failure(host, cb.failure_threshold)
                    why = _describe(exc, self.timeout)
                    if attempt < attempts:
                        await wait(attempt, self._backoff(attempt), why)
                        continue
                    raise HttpRequestError(
                        "url", f"{where} failed after {attempt} attempt(s): {why}"
                    ) from None
                elapsed = time.perf_counter() - started
                status = response.status_code
                if cb.enabled:
                    if status >= 500:
                        breakers.failure(host, cb.failure_threshold)
                    elif status != 429:
                        breakers.success(host)
                if status in self.retry_on_status and attempt < attempts:
                    delay = self._backoff(attempt)
                    told = retry_after_seconds(response.headers.get("retry-after"))
                    if told is None or told <= self.max_retry_after_seconds:
                        delay = told if told is not None else delay
                        await wait(attempt, delay, f"HTTP {status}")
                        continue
                break

        if self.raise_for_status and status >= 400:
            raise HttpRequestError(
                "url",
                f"{where} returned HTTP {status} {response.reason_phrase} "
                f"after {attempt} attempt(s)",
            )
        return self._output(response, elapsed, attempt)

    def _backoff(self, attempt: int) -> float:
        return backoff_delay(
            attempt, self.backoff_seconds, self.backoff_factor, self.max_backoff_seconds
        )

    def _output(self, response: httpx.Response, elapsed: float, attempts: int) -> dict[str, Any]:
        body: Any = None
        if "json" in response.headers.get("content-type", "") and response.content:
            try:
                body = response.json()
            except ValueError:
                body = None
        return {
            "status_code": response.status_code,
            "reason": response.reason_phrase,
            "headers": {k.lower(): v for k, v in response.headers.items()},
            "json": body,
            "text": response.text,
            "elapsed": round(elapsed, 6),
            "url": safe_url(response.url),
            "attempts": attempts,
        }
