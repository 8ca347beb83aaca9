"""Refuse an oversized request body before reading it, on every orcheo route.

Tornado buffers a whole body before a handler runs, up to the HTTP server's
``max_body_size`` (Jupyter's default: 512 MiB), so a few concurrent 400 MB POSTs
to any URL, even one that will answer 404 or 403, cost gigabytes of memory.
Handlers with this mixin stream the body instead: ``prepare`` runs as soon as the
headers arrive and answers 413 for a ``Content-Length`` over the limit, and the
connection is closed after that answer, so the body is never read (a body at most
``DRAIN_BYTES`` over the limit is read and dropped first, so that a client sending
it whole before reading gets the 413 rather than a reset). A body sent
without a length (chunked) is counted as it arrives and refused the same way once
it passes the limit (a client that sends on without reading may then see the
connection reset rather than the 413, as with any server that stops reading).
Accepted bodies are collected in memory as before.
"""

from __future__ import annotations

import json
import os
from typing import Any

from tornado.web import HTTPError, RequestHandler

from ..common.api_errors import ErrorEnvelope

#: Default of ``OrcheoApp.max_body_bytes`` (and of ``jupyter orcheo``'s max_body_size).
DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
MAX_BODY_ENV = "ORCHEO_MAX_BODY_BYTES"
#: What tornado may read on a streamed route; ``data_received`` enforces the real limit
#: (and a refused request's connection closes as soon as the 413 is sent).
_UNLIMITED = 1 << 62
#: A body announced at most this far over the limit is read and dropped before the 413:
#: clients that send the whole body before reading (most HTTP libraries, for small
#: bodies) would otherwise race the close and often see a reset instead of the answer.
DRAIN_BYTES = 1 << 20


def max_body_bytes(configured: int) -> int:
    """The limit in force: ``ORCHEO_MAX_BODY_BYTES`` if set, else the traitlet's value."""
    raw = os.environ.get(MAX_BODY_ENV, "").strip()
    if not raw:
        return configured
    try:
        value = int(raw)
    except ValueError:
        raise ValueError(f"{MAX_BODY_ENV} must be a number of bytes, not {raw!r}") from None
    if value < 1:
        raise ValueError(f"{MAX_BODY_ENV} must be at least 1 byte, not {value}")
    return value


def _too_large(size: int, limit: int, *, announced: bool) -> dict[str, Any]:
    said = "Content-Length says" if announced else "more than"
    message = (
        f"request body: {said} {size:,} bytes; the limit is {limit:,} bytes "
        f"(OrcheoApp.max_body_bytes / {MAX_BODY_ENV})"
    )
    details = {"field": "body", "size": size, "limit": limit}
    return ErrorEnvelope(413, "too_large", message, details).body()


class BodyLimitMixin(RequestHandler):
    """Stream the body with a size limit; ``raw_body()`` is the whole of it once read."""

    _stream_request_body = True  # what tornado's @stream_request_body sets, inherited
    _chunks: list[bytes]
    _received: int
    _refused: bool

    def body_limit(self) -> int:
        """The largest body this route reads, in bytes."""
        raise NotImplementedError

    def refuse_oversized_body(self) -> bool:
        """Answer 413 if ``Content-Length`` is over the limit (call first in ``prepare``).

        True when refused: ``prepare`` must return without doing anything else. A body
        just over the limit is refused once read (``fail_after_body``), and this is False.
        """
        self._chunks, self._received, self._refused = [], 0, False
        limit = self.body_limit()
        length = self.request.headers.get("Content-Length", "")
        try:
            announced = int(length) if length else 0
        except ValueError:
            announced = 0  # tornado answers 400 for a malformed length itself
        # This mixin, not the HTTP server's max_body_size, decides what is read: tornado's
        # own refusal is a bare 400 (written after our 413, when we answered first).
        connection = self.request.connection
        if connection is not None and hasattr(connection, "set_max_body_size"):
            connection.set_max_body_size(_UNLIMITED)
        if announced <= limit:
            return False
        refusal = _too_large(announced, limit, announced=True)
        if announced - limit <= DRAIN_BYTES and self.request.method != "OPTIONS":
            from .errors import ApiError  # (the errors module reaches the runtime's types)

            error = refusal["error"]
            self.fail_after_body(ApiError(413, error["code"], error["message"], error["details"]))
            return False  # answered once the body is in; prepare goes on (auth still decides)
        self._refuse(refusal)
        return True

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        """A path argument that is not UTF-8 (``/workflows/%ff``) is refused once the body
        is read, like any refusal ``prepare`` makes: tornado decodes path arguments before
        ``prepare`` and its 400 then went out with the body unread (the client often saw
        a reset instead). Query arguments keep tornado's own 400, raised when read."""
        try:
            return super().decode_argument(value, name)
        except HTTPError:
            if getattr(self, "path_kwargs", None) is not None:  # after prepare: a query
                raise
            from .errors import ApiError

            field = name or "path"
            self.fail_after_body(
                ApiError(
                    400,
                    "invalid_path",
                    f"{field}: the URL path holds bytes that are not UTF-8 text "
                    f"({value[:40]!r}); expected a percent-encoded UTF-8 name",
                    {"field": field},
                )
            )
            return value.decode("utf-8", "replace")

    def fail_after_body(self, error: Exception) -> None:
        """Raise ``error`` once the body is read (and dropped), when the method would run.

        Tornado closes the connection of any request answered before its body was
        read, even an empty one: keep-alive clients then race the close (a reused
        connection fails), and with a body unread the kernel's reset can destroy the
        answer itself (a client sending without auth saw a network error, not a 403).
        """
        if self.request.method == "OPTIONS":  # no guarded method runs for it
            raise error
        self._deferred_error = error

    def raise_deferred_error(self) -> None:
        """Called before every method (see ``authz.guard``): the error ``prepare`` deferred."""
        error = getattr(self, "_deferred_error", None)
        if error is not None:
            raise error

    def _refuse(self, body: dict[str, Any]) -> None:
        self._refused = True
        self.clear()
        self.set_status(413)
        self.set_header("Content-Type", "application/json")
        self.set_header("Connection", "close")
        self.finish(json.dumps(body, separators=(",", ":")))

    def data_received(self, chunk: bytes) -> None:
        if self._refused or self._finished or getattr(self, "_deferred_error", None):
            return  # (a deferred error's body is read only to be dropped)
        self._received += len(chunk)
        limit = self.body_limit()
        if self._received > limit:
            self._chunks = []
            self._refuse(_too_large(limit, limit, announced=False))
            return
        self._chunks.append(chunk)

    def raw_body(self) -> bytes:
        """The request body (read in full, within the limit, before the method runs)."""
        if not hasattr(self, "_chunks"):  # a subclass's prepare skipped the check
            return self.request.body
        if len(self._chunks) != 1:
            self._chunks = [b"".join(self._chunks)]
        return self._chunks[0]
