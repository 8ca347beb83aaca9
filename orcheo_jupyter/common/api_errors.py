"""An API error as it crosses the wire: its HTTP status and the body
``{"error": {"code", "message", "details"}}``.

The server writes it (``server.errors``) and the SDK reads it (``client.errors``):
both sides use this one definition, which lives below them because the client must
not import the server.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ErrorEnvelope:
    status: int
    #: Stable and machine-readable: ``not_found``, ``invalid_document``...
    code: str
    message: str
    #: What the code needs besides the message: a list of problems, a size and its limit.
    details: Any = None

    def body(self) -> dict[str, Any]:
        """The JSON body the server answers with."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}

    @classmethod
    def read(
        cls, status: int, body: bytes, reason: str, *, quote_other: bool = False
    ) -> ErrorEnvelope:
        """The error an answer's ``body`` states, read the same for HTTP answers and
        refused WebSocket handshakes.

        ``reason`` is the message when the body states none; with ``quote_other`` a body
        that is not such an envelope (a proxy's page) is quoted instead, up to 300
        characters. Anything but an envelope is code ``http_error``.
        """
        try:
            data = json.loads(body)
        except ValueError:  # also a body that is not UTF-8
            data = None
        error = data.get("error") if isinstance(data, dict) else None
        if isinstance(error, dict):
            return cls(
                status,
                str(error.get("code", "http_error")),
                str(error.get("message", reason)),
                error.get("details"),
            )
        text = body.decode("utf-8", "replace") if quote_other else ""
        return cls(status, "http_error", text[:300] or reason)
