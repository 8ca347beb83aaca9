"""Bounded HTTP GETs for the nodes that read feeds and pages.

A page larger than its node's ``max_bytes`` is refused before it is read into
memory, and errors show the URL without query or credentials.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from ..library.http import safe_url

USER_AGENT = "orcheo-jupyter (+https://github.com/AI-Colleagues/orcheo)"


@dataclass
class Fetched:
    url: str
    status: int
    content_type: str
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode(_charset(self.content_type) or "utf-8", errors="replace")


def _charset(content_type: str) -> str | None:
    for part in content_type.split(";")[1:]:
        key, _, value = part.strip().partition("=")
        if key.lower() == "charset" and value:
            return value.strip('"')
    return None


class FetchError(Exception):
    """A fetch failed; the message is safe to show (no query string, no secrets)."""


def check_url(url: str) -> httpx.URL:
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL as exc:
        raise FetchError(f"not a valid URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError(f"expected an absolute http:// or https:// URL, got {url[:100]!r}")
    return parsed


async def fetch(client: httpx.AsyncClient, url: str, max_bytes: int) -> Fetched:
    """GET ``url``; FetchError on transport errors, HTTP errors and oversized bodies."""
    parsed = check_url(url)
    where = safe_url(parsed)
    try:
        async with client.stream("GET", parsed) as response:
            if response.status_code >= 400:
                raise FetchError(f"{where} returned HTTP {response.status_code}")
            declared = response.headers.get("content-length")
            if declared and declared.isdigit() and int(declared) > max_bytes:
                raise FetchError(f"{where} is {declared} bytes, over max_bytes={max_bytes}")
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > max_bytes:
                    raise FetchError(f"{where} is over max_bytes={max_bytes}")
                chunks.append(chunk)
            return Fetched(
                safe_url(response.url),
                response.status_code,
                response.headers.get("content-type", ""),
                b"".join(chunks),
            )
    except httpx.TimeoutException:
        raise FetchError(f"{where} timed out") from None
    except httpx.HTTPError as exc:
        raise FetchError(f"{where} failed: {type(exc).__name__}: {exc}") from None
