"""Every failure becomes ``{"error": {"code", "message", "details"}}`` with the right status.

Handlers raise domain exceptions (``DocumentError``, ``NotFound``...) and this
module decides what the client sees; nothing else in the server formats errors.
Unexpected exceptions answer 500 with a fixed message: their text could carry
secrets or internals, so it only goes to the server log.
"""

from __future__ import annotations

from http.client import responses
from typing import Any

from tornado import web

from ..common.api_errors import ErrorEnvelope
from ..ingest.limits import ScriptTooLarge
from ..runtime.outcomes import RunStateError
from ..runtime.secrets import CredentialError
from ..spec.problems import DocumentError, Problem
from ..spec.values import UnstorableValue
from ..store.base import Conflict, NotFound
from ..store.encoding import ValueTooLarge
from ..store.errors import VersionConflict
from ..vault.vault import CredentialInvalid

AUTH_REQUIRED = (
    "authentication required: send a Jupyter token (Authorization: token ...), "
    "?token=..., or the login cookie with the _xsrf token for unsafe methods"
)


class ApiError(web.HTTPError):
    """An error the API answers on purpose, with a stable machine-readable code."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        details: Any = None,
        *,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(status, reason=responses.get(status))
        self.code = code
        self.message = message
        self.details = details
        #: Sent with the error body (e.g. Retry-After on 429).
        self.headers = headers or {}

    def __str__(self) -> str:
        return f"HTTP {self.status_code} {self.code}: {self.message}"

    @classmethod
    def listing(cls, status: int, code: str, problems: list[Problem]) -> ApiError:
        """A refusal naming every field that does not fit (``a: ...; b: ...``; a problem
        of no field is the whole ``body``), each problem in the details."""
        return cls(
            status,
            code,
            "; ".join(f"{p.field or 'body'}: {p.message}" for p in problems),
            [p.as_dict() for p in problems],
        )


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_request",
    429: "too_many_requests",
}


def describe(exc: BaseException | None, status: int = 500) -> ErrorEnvelope:
    """What the client is told about ``exc`` (or about a bare status code)."""
    if isinstance(exc, ApiError):
        return ErrorEnvelope(exc.status_code, exc.code, exc.message, exc.details)
    if isinstance(exc, CredentialError):  # before DocumentError, its base class
        problems = [p.as_dict() for p in exc.problems]
        return ErrorEnvelope(422, "credential_unavailable", str(exc), problems)
    if isinstance(exc, CredentialInvalid):  # a create, rotate or update the vault refuses
        problem = {
            "severity": "error",
            "code": "invalid_credential",
            "message": exc.message,
            "node": None,
            "field": exc.field,
        }
        return ErrorEnvelope(422, "invalid_credential", str(exc), [problem])
    if isinstance(exc, UnstorableValue):  # the request's own values: a 400, before DocumentError
        problems = [p.as_dict() for p in exc.problems]
        return ErrorEnvelope(400, "invalid_value", exc.refusal, problems)
    if isinstance(exc, DocumentError):
        return ErrorEnvelope(422, "invalid_document", str(exc), [p.as_dict() for p in exc.problems])
    if isinstance(exc, ScriptTooLarge):
        return ErrorEnvelope(413, "too_large", str(exc), {"size": exc.size, "limit": exc.limit})
    if isinstance(exc, ValueTooLarge):
        details = {"field": exc.field or exc.what, "size": exc.size, "limit": exc.limit}
        return ErrorEnvelope(413, "too_large", str(exc), details)
    if isinstance(exc, NotFound):
        return ErrorEnvelope(404, "not_found", _text(exc, "not found"))
    if isinstance(exc, RunStateError):
        return ErrorEnvelope(409, "invalid_state", _text(exc, "the run cannot do that now"))
    if isinstance(exc, VersionConflict):
        details = {"field": "base_version", "base_version": exc.base, "latest": exc.current}
        return ErrorEnvelope(409, "version_conflict", str(exc), details)
    if isinstance(exc, Conflict):
        return ErrorEnvelope(409, "conflict", _text(exc, "conflicts with what is stored"))
    if isinstance(exc, web.HTTPError):
        code = exc.status_code
        message = exc.log_message % exc.args if exc.log_message and exc.args else exc.log_message
        if code == 403 and not message:
            message = AUTH_REQUIRED
        return ErrorEnvelope(
            code,
            _HTTP_CODES.get(code, "http_error"),
            message or exc.reason or responses.get(code, "error"),
        )
    if exc is None and status < 500:
        return ErrorEnvelope(
            status, _HTTP_CODES.get(status, "http_error"), responses.get(status, "")
        )
    return ErrorEnvelope(500, "internal_error", "internal server error; the server log has details")


def _text(exc: BaseException, fallback: str) -> str:
    text = str(exc)
    # LookupError subclasses repr their argument ("'run x not found'"); unwrap it.
    if isinstance(exc, LookupError) and exc.args and isinstance(exc.args[0], str):
        text = exc.args[0]
    return text or fallback
