"""Errors the SDK raises: one base class, the server's JSON error, transport and timeouts."""

from __future__ import annotations

from typing import Any


class OrcheoError(Exception):
    """Base of every error the client raises."""


class OrcheoAPIError(OrcheoError):
    """The server answered with an error: ``{"error": {"code", "message", "details"}}``."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        *,
        method: str = "",
        url: str = "",
    ) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.details = details
        self.method = method
        self.url = url
        where = f" ({method} {url})" if method else ""
        super().__init__(f"{status} {code}: {message}{where}")


class OrcheoConnectionError(OrcheoError):
    """The server could not be reached (after the retries the policy allows)."""


class RunTimeout(OrcheoError, TimeoutError):
    """A run did not settle within the time the caller gave it."""
