"""A runner's answer to a call from the server, as both ends read it.

``{"result": ...}``, or why there is none: ``not_found`` (what the call names does not
exist), ``problems`` (the document's, as ``DocumentError`` lists them) or ``error``
(anything else, logged by the runner). The server adds ``stopped`` itself when the
runner died before answering. The runner encodes with ``failure``; the server raises
the refusals again with ``raise_refusal``, so a test, a check or a checkpoint read
fails with the exception it would have raised in process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Any

from ..spec.problems import DocumentError, Problem

log = logging.getLogger(__name__)


def failure(
    exc: Exception, not_found: type[Exception] | None = None, what: str = ""
) -> dict[str, Any]:
    """The answer saying why a call has no result; an unexpected error is logged (call
    it inside the ``except``) as ``orcheo runner: <what>``."""
    if not_found is not None and isinstance(exc, not_found):
        return {"not_found": str(exc)}
    if isinstance(exc, DocumentError):
        return {"problems": [p.as_dict() for p in exc.problems]}
    log.exception("orcheo runner: %s", what or "a call failed")
    return {"error": f"{type(exc).__name__}: {exc}"}


def raise_refusal(
    reply: Mapping[str, Any], not_found: Callable[[str], Exception] | None = None
) -> None:
    """Raise what the answer says was refused (``not_found``, the document's problems)."""
    if not_found is not None and "not_found" in reply:
        raise not_found(str(reply["not_found"]))
    if "problems" in reply:
        raise DocumentError([Problem(**p) for p in reply["problems"]])
