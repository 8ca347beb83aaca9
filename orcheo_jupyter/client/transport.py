"""HTTP with retries: exponential backoff with jitter, Retry-After, auth and timeouts.

What is retried: responses 429/500/502/503/504 and transport errors (refused,
reset, timed out) for requests that are safe to repeat (GET, PUT, DELETE, HEAD).
A POST starts something (a run, a workflow), so it is retried only when the server
certainly did not act on it: the connection was never made, or the answer was 429
or 503 (overloaded, "try later"). ``retry_posts=True`` retries POSTs like the rest.
A ``Retry-After`` header (seconds or an HTTP date) sets the wait; one longer than
``max_retry_after`` ends the retries at once instead of blocking the caller.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Self, TypedDict, Unpack

import httpx

from .. import __version__
from ..common.api_errors import ErrorEnvelope
from ..common.options import check_options
from ..common.retry import backoff_delay, retry_after_seconds
from .errors import OrcheoAPIError, OrcheoConnectionError

IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
#: Transport errors after which the request certainly never reached the server.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)


@dataclass(frozen=True)
class Backoff:
    """When and how long to wait before trying a request again."""

    max_retries: int = 4
    initial: float = 0.5
    factor: float = 2.0
    max_delay: float = 30.0
    jitter: bool = True
    max_retry_after: float = 120.0
    statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 500, 502, 503, 504}))
    safe_post_statuses: frozenset[int] = field(default_factory=lambda: frozenset({429, 503}))

    def delay(self, attempt: int, rand: Callable[[], float] = random.random) -> float:
        """Wait before retry number ``attempt`` (1-based): "full jitter" over the backoff."""
        ceiling = backoff_delay(attempt, self.initial, self.factor, self.max_delay)
        return ceiling * rand() if self.jitter else ceiling


#: The SDK's public name for the one ``Retry-After`` reader.
retry_after = retry_after_seconds


def _api_error(response: httpx.Response) -> OrcheoAPIError:
    reason = response.reason_phrase or "error"
    found = ErrorEnvelope.read(response.status_code, response.content, reason, quote_other=True)
    request = response.request
    return OrcheoAPIError(
        found.status,
        found.code,
        found.message,
        found.details,
        method=request.method,
        url=str(request.url),
    )


class Closing:
    """``with`` closes it: the client objects each own an HTTP connection pool."""

    def close(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class ConnectionOptions(TypedDict, total=False):
    """How a client talks to its server: the keyword options ``OrcheoClient`` takes.

    Declared once here so the public client and the transport it hands them to
    cannot drift apart; the defaults (in brackets) are applied by ``Transport``.
    """

    #: ``token`` (the Jupyter server token) or ``Bearer`` ["token"]
    auth_scheme: str
    #: per attempt [30 s]
    timeout: float | httpx.Timeout
    #: the retry policy [``Backoff()``]
    backoff: Backoff | None
    #: retry POSTs like the idempotent methods [False]
    retry_posts: bool
    #: extra headers sent with every request
    headers: Mapping[str, str] | None
    #: the httpx transport (``httpx.MockTransport`` in tests) [a real connection pool]
    transport: httpx.BaseTransport | None


class Transport(Closing):
    """One ``httpx.Client`` to one orcheo server, with auth and the retry policy."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
        rand: Callable[[], float] = random.random,
        **options: Unpack[ConnectionOptions],
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must start with http:// or https://, not {base_url!r}")
        check_options(options, ConnectionOptions)
        auth_scheme = options.get("auth_scheme", "token")
        timeout = options.get("timeout", 30.0)
        headers = options.get("headers") or {}
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.auth_scheme = auth_scheme
        self.backoff = options.get("backoff") or Backoff()
        self.retry_posts = options.get("retry_posts", False)
        self._sleep = sleep
        self._rand = rand
        all_headers = {"User-Agent": f"orcheo-jupyter-client/{__version__}", **headers}
        if token:
            all_headers["Authorization"] = f"{auth_scheme} {token}"
        self.headers = all_headers
        self.timeout = timeout
        self._http = httpx.Client(
            headers=all_headers, timeout=timeout, transport=options.get("transport")
        )
        #: (attempt, wait in seconds, reason) of every retry, for logs and tests.
        self.retries: list[tuple[int, float, str]] = []

    def url(self, path: str) -> str:
        return f"{self.base_url}/orcheo/api/{path.lstrip('/')}"

    def close(self) -> None:
        self._http.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> Any:
        """The JSON answer (None for 204); OrcheoAPIError for an error status."""
        method = method.upper()
        url = self.url(path)
        query = {k: v for k, v in (params or {}).items() if v is not None}
        repeatable = method in IDEMPOTENT or self.retry_posts
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self._http.request(method, url, json=json, params=query or None)
            except httpx.TransportError as exc:
                safe = repeatable or isinstance(exc, _NOT_SENT)
                if not safe or attempt > self.backoff.max_retries:
                    raise OrcheoConnectionError(
                        f"{method} {url}: {type(exc).__name__}: {exc or 'no answer'}"
                        + (f" (after {attempt} attempts)" if attempt > 1 else "")
                    ) from exc
                self._wait(attempt, None, type(exc).__name__)
                continue
            if response.is_success:
                if response.status_code == 204 or not response.content:
                    return None
                return response.json()
            status = response.status_code
            retryable = status in (
                self.backoff.statuses if repeatable else self.backoff.safe_post_statuses
            )
            if not retryable or attempt > self.backoff.max_retries:
                raise _api_error(response)
            hinted = retry_after(response.headers.get("Retry-After"))
            if hinted is not None and hinted > self.backoff.max_retry_after:
                raise _api_error(response)
            self._wait(attempt, hinted, f"HTTP {status}")

    def _wait(self, attempt: int, hinted: float | None, reason: str) -> None:
        wait = hinted if hinted is not None else self.backoff.delay(attempt, self._rand)
        self.retries.append((attempt, wait, reason))
        self._sleep(wait)
