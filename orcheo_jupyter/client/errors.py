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


class VersionConflictError(OrcheoAPIError):
    """409 ``version_conflict``: someone stored the workflow since the version this edit
    was made from, and nothing was stored (their version stays the latest).

    ``base_version`` is the version the edit was made from (0: none, a create),
    ``latest`` the server's. To proceed: load theirs (``get_workflow``) and apply the
    edit again, or store yours on top with ``update_workflow(..., overwrite=True)``.
    """

    def __init__(
        self,
        workflow_id: str,
        base_version: int,
        latest: int,
        cause: OrcheoAPIError,
        *,
        method: str = "update_workflow",
    ) -> None:
        self.workflow_id, self.base_version, self.latest = workflow_id, base_version, latest
        since = "none (a new workflow)" if base_version == 0 else f"version {base_version}"
        message = (
            f"workflow {workflow_id} was stored by someone else since this edit began: this "
            f"edit was made from {since}, the server has version {latest}; nothing was "
            f"stored. get_workflow({workflow_id!r}) loads theirs (then apply the edit "
            f"again), {method}(..., overwrite=True) stores yours on top"
        )
        super().__init__(
            cause.status, cause.code, message, cause.details, method=cause.method, url=cause.url
        )


class OrcheoConnectionError(OrcheoError):
    """The server could not be reached (after the retries the policy allows)."""


class RunTimeout(OrcheoError, TimeoutError):
    """A run did not settle within the time the caller gave it."""
