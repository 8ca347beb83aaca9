"""HTTP client spans for nodes' httpx calls, with W3C trace context on each request.

``traced(client)`` returns the client unchanged when tracing is off; when it is on,
the client's transports (its own and any mounted for proxies) are wrapped, so one
span covers each request, ``traceparent`` goes out with it, and the URL recorded
carries no query string or user info (where credentials usually travel).
"""

from __future__ import annotations

from typing import Any

import httpx

from . import names as n


def traced(client: httpx.AsyncClient) -> httpx.AsyncClient:
    """``client``, with a span per request while this process traces."""
    from . import current

    if current is None:
        return client
    transport = getattr(client, "_transport", None)
    if isinstance(transport, httpx.AsyncBaseTransport) and not isinstance(
        transport, TracingTransport
    ):
        client._transport = TracingTransport(transport)
    mounts = getattr(client, "_mounts", None)
    if isinstance(mounts, dict):
        for pattern, mounted in list(mounts.items()):
            if mounted is not None and not isinstance(mounted, TracingTransport):
                mounts[pattern] = TracingTransport(mounted)
    return client


def safe_url(url: httpx.URL) -> str:
    port = f":{url.port}" if url.port is not None else ""
    return f"{url.scheme}://{url.host}{port}{url.path}"


class TracingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        from . import current

        if current is None:
            return await self.inner.handle_async_request(request)
        from opentelemetry import context as otel_context
        from opentelemetry import propagate, trace
        from opentelemetry.trace import SpanKind

        from .tracer import record_error, scrubber

        scrub = scrubber()
        url = request.url
        attributes: dict[str, Any] = {
            n.HTTP_METHOD: request.method,
            n.URL_FULL: scrub(safe_url(url)),
            n.SERVER_ADDRESS: scrub(url.host),
        }
        if url.port is not None:
            attributes[n.SERVER_PORT] = url.port
        span = current.spans.start(request.method, attributes, kind=SpanKind.CLIENT)
        token = otel_context.attach(trace.set_span_in_context(span))
        try:
            headers: dict[str, str] = {}
            propagate.inject(headers)
            for name, value in headers.items():
                request.headers[name] = value
            try:
                response = await self.inner.handle_async_request(request)
            except BaseException as exc:
                span.set_attribute(n.ERROR_TYPE, type(exc).__name__)
                record_error(span, f"{type(exc).__name__}: {exc}", type(exc).__name__, scrub)
                raise
            span.set_attribute(n.HTTP_STATUS, response.status_code)
            if response.status_code >= 400:
                span.set_attribute(n.ERROR_TYPE, str(response.status_code))
                from opentelemetry.trace import Status, StatusCode

                span.set_status(Status(StatusCode.ERROR, f"HTTP {response.status_code}"))
            return response
        finally:
            otel_context.detach(token)
            span.end()

    async def aclose(self) -> None:
        await self.inner.aclose()
