"""Request bodies in, checked values out: the same steps wherever they run.

A small body is checked on the server's loop. A big one is checked in the document
worker process (``document_worker.py``): JSON decoding and pydantic validation are
single C calls that hold the GIL for their whole duration, so even on a server
thread they stall the event loop. Both paths call these functions, so a body is
refused with the same status, code, message and field paths either way.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from ..spec.json_text import UnreadableJson, read_json
from ..spec.models import WorkflowDocument
from ..spec.problems import problems_from_validation
from ..spec.values import ValueLimits, value_problems
from .errors import ApiError

M = TypeVar("M", bound=BaseModel)


def decode_json(raw: bytes, media: str, *, body_limit: int, limits: ValueLimits) -> Any:
    """The body as JSON data; 413/415/400 with the reason when it is not storable JSON.

    ``media`` is the request's Content-Type without parameters, lower case.
    """
    if len(raw) > body_limit:
        raise ApiError(
            413,
            "too_large",
            f"request body is {len(raw):,} bytes; the limit is {body_limit:,} bytes",
            {"size": len(raw), "limit": body_limit},
        )
    if not raw.strip():
        return {}
    if media and media != "application/json" and not media.endswith("+json"):
        raise ApiError(
            415,
            "unsupported_media_type",
            f"request body must be JSON sent as Content-Type: application/json, not {media!r}",
        )
    try:
        data = read_json(raw, subject="request body")
    except UnreadableJson as exc:
        raise ApiError(400, "invalid_json", exc.message, exc.details) from None
    except RecursionError:
        raise ApiError(
            400,
            "invalid_value",
            f"body: nested deeper than the limit of {limits.max_depth} levels (max_input_depth, "
            "ORCHEO_MAX_INPUT_DEPTH, plus the request's envelope)",
            [{"field": "body", "code": "too_deep", "limit": limits.max_depth}],
        ) from None
    # Paths as validation errors name them (``inputs.x``; ``body`` for the whole body).
    problems = value_problems(data, "", limits)
    if problems:  # what no run or store could keep: refused before anything starts
        whole = [replace(p, field=p.field or "body") for p in problems]
        raise ApiError.listing(400, "invalid_value", whole)
    return data


def validate_body(data: Any, model: type[M], code: str) -> M:
    """``data`` as ``model`` (strict); 422 naming each field that does not fit."""
    if not isinstance(data, dict):
        raise ApiError(422, code, f"request body must be a JSON object, not {_json_type(data)}")
    try:
        return model.model_validate(data, strict=True)
    except ValidationError as exc:
        raise ApiError.listing(422, code, problems_from_validation(exc)) from None
    except RecursionError:
        raise ApiError(422, code, "request body is nested too deeply") from None


#: Paths under /workflows/ that name routes, not workflows.
RESERVED_IDS = frozenset({"import-python", "validate"})


def matching_id(doc: WorkflowDocument, workflow_id: str | None) -> None:
    """422 if the document names another workflow than the URL (an update)."""
    if workflow_id is not None and doc.id not in (None, workflow_id):
        raise ApiError(
            422,
            "invalid_document",
            f"document id {doc.id!r} does not match the workflow id {workflow_id!r} in the URL",
            [
                {
                    "severity": "error",
                    "code": "id_mismatch",
                    "message": "does not match the URL",
                    "node": None,
                    "field": "id",
                }
            ],
        )


def with_final_id(doc: WorkflowDocument, workflow_id: str) -> WorkflowDocument:
    """The document under the id it is stored as (422 for a reserved id)."""
    if workflow_id in RESERVED_IDS:
        raise ApiError(422, "invalid_document", f"workflow id {workflow_id!r} is reserved")
    return doc.model_copy(update={"id": workflow_id})


def _json_type(value: Any) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"
