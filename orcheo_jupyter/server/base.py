"""Handler plumbing shared by every route: auth, JSON in and out, errors.

``operation`` declares a handler method's request and response shapes; the
decorator validates the query string and body with those models before the
method runs, and ``openapi.py`` reads the same declaration to write the API
document.
"""

from __future__ import annotations

import asyncio
import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar, cast

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, ValidationError
from tornado.web import HTTPError, RequestHandler

from ..runtime.serialize import jsonable
from ..spec.problems import problems_from_validation
from ..spec.surrogates import lone_surrogate_path
from ..spec.values import value_problems
from .authz import API, guard
from .body_limit import BodyLimitMixin
from .errors import AUTH_REQUIRED, ApiError, describe

if TYPE_CHECKING:
    from ..runtime.executor import Executor
    from .app import OrcheoApp

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Operation:
    """One documented operation: what it reads and what it answers."""

    operation_id: str
    summary: str
    tag: str
    responses: dict[int, type[BaseModel] | None]
    description: str = ""
    body: type[BaseModel] | None = None
    body_code: str = "invalid_request"
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


Method = Callable[..., Awaitable[None]]


def operation(**spec: Any) -> Callable[[Method], Method]:
    """Declare a handler method's contract; validated arguments arrive as ``query``/``body``."""
    op = Operation(**spec)

    def decorate(fn: Method) -> Method:
        @functools.wraps(fn)
        async def wrapper(self: OrcheoHandler, *args: Any, **kwargs: Any) -> None:
            if op.query is not None:
                kwargs["query"] = self.parse_query(op.query)
            if op.body is not None:
                kwargs["body"] = await self.parse_body_off_loop(op.body, code=op.body_code)
            await fn(self, *args, **kwargs)

        wrapper.__orcheo_operation__ = op  # type: ignore[attr-defined]
        return wrapper

    return decorate


def dumps(data: Any) -> str:
    """Strict JSON out: NaN or other non-JSON values are made safe, never sent as-is."""
    try:
        return json.dumps(data, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (ValueError, TypeError):
        return json.dumps(jsonable(data), ensure_ascii=False, separators=(",", ":"))


def allowed_methods(handler: type) -> list[str]:
    """The methods a handler class implements, for the Allow header of a 405."""
    return [
        m.upper()
        for m in ("get", "post", "put", "delete", "patch", "options")
        if getattr(handler, m, None) is not getattr(RequestHandler, m)
    ]


class ErrorsMixin:
    """JSON error bodies for any failure, including auth and routing failures."""

    def send_error(self, status_code: int = 500, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        exc = exc_info[1] if exc_info else None
        described = describe(exc, status_code)
        kwargs["reason"] = None
        super().send_error(described.status, **kwargs)  # type: ignore[misc]

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        described = describe(exc_info[1] if exc_info else None, status_code)
        if described.status == 405:
            self.set_header("Allow", ", ".join(allowed_methods(type(self))))  # type: ignore[attr-defined]
        self.set_header("Content-Type", "application/json")  # type: ignore[attr-defined]
        error = exc_info[1] if exc_info else None
        if isinstance(error, ApiError):
            for name, value in error.headers.items():
                self.set_header(name, value)  # type: ignore[attr-defined]
        self.finish(dumps(described.body()))  # type: ignore[attr-defined]

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if describe(value).status < 500:
            self.log.debug("orcheo: %s %s: %s", self.request.method, self.request.path, value)  # type: ignore[attr-defined]
            return
        super().log_exception(typ, value, tb)  # type: ignore[misc]


#: Request bodies at least this large are parsed and validated off the event loop.
LARGE_BODY_BYTES = 256 * 1024


class OrcheoHandler(BodyLimitMixin, ErrorsMixin, ExtensionHandlerMixin, APIHandler):
    """Base of every REST handler: requires an authenticated Jupyter user."""

    @property
    def orcheo(self) -> OrcheoApp:
        return cast("OrcheoApp", self.extensionapp)

    async def executor(self) -> Executor:
        return await self.orcheo.get_executor()

    def body_limit(self) -> int:
        return self.orcheo.body_limit

    async def prepare(self) -> None:  # type: ignore[override]
        if self.refuse_oversized_body():  # before auth or anything else reads the body
            return
        try:
            await super().prepare()
        except HTTPError as exc:
            # Without any credentials, "authentication required" is the useful answer,
            # not the XSRF complaint Jupyter raises first for unsafe methods.
            if exc.status_code == 403 and self.current_user is None:
                self.fail_after_body(ApiError(403, "forbidden", AUTH_REQUIRED))
                return
            self.fail_after_body(exc)
            return
        # Jupyter only enforces auth where a method opts in; every orcheo route needs it
        # (OPTIONS is the CORS preflight: it carries no credentials and returns no data).
        if self.current_user is None and self.request.method != "OPTIONS":
            self.fail_after_body(ApiError(403, "forbidden", AUTH_REQUIRED))

    # --- input ---------------------------------------------------------------
    def parse_query(self, model: type[M]) -> M:
        values = {
            name: self.get_query_argument(name)
            for name in model.model_fields
            if self.get_query_argument(name, None) is not None
        }
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            problems = problems_from_validation(exc, prefix="query")
            raise ApiError(
                422,
                "invalid_query",
                "; ".join(f"{p.field}: {p.message}" for p in problems),
                [p.as_dict() for p in problems],
            ) from None

    def json_body(self) -> Any:
        """The request body as JSON data; 413/400 with the reason when it is not."""
        raw = self.raw_body()
        limit = self.body_limit()
        if len(raw) > limit:
            raise ApiError(
                413,
                "too_large",
                f"request body is {len(raw):,} bytes; the limit is {limit:,} bytes",
                {"size": len(raw), "limit": limit},
            )
        if not raw.strip():
            return {}
        media = self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()
        if media and media != "application/json" and not media.endswith("+json"):
            raise ApiError(
                415,
                "unsupported_media_type",
                f"request body must be JSON sent as Content-Type: application/json, not {media!r}",
            )
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ApiError(
                400, "invalid_json", f"request body is not UTF-8 (byte {exc.start})"
            ) from None
        try:
            # NaN and Infinity parse here and are refused below with their path, like 1e400.
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ApiError(
                400,
                "invalid_json",
                f"request body is not valid JSON: {exc.msg} at line {exc.lineno} column "
                f"{exc.colno} (character {exc.pos})",
                {"line": exc.lineno, "column": exc.colno, "position": exc.pos},
            ) from None
        except ValueError as exc:
            raise ApiError(400, "invalid_json", f"request body: {exc}") from None
        except RecursionError:
            limit = self.orcheo.body_limits.max_depth
            raise ApiError(
                400,
                "invalid_value",
                f"body: nested deeper than the limit of {limit} levels (max_input_depth, "
                "ORCHEO_MAX_INPUT_DEPTH, plus the request's envelope)",
                [{"field": "body", "code": "too_deep", "limit": limit}],
            ) from None
        # Paths as validation errors name them (``inputs.x``; ``body`` for the whole body).
        problems = value_problems(data, "", self.orcheo.body_limits)
        if problems:  # what no run or store could keep: refused before anything starts
            details = [{**p.as_dict(), "field": p.field or "body"} for p in problems]
            raise ApiError(
                400,
                "invalid_value",
                "; ".join(f"{d['field']}: {d['message']}" for d in details),
                details,
            )
        where = lone_surrogate_path(raw, data)
        if where is not None:
            raise ApiError(
                400,
                "invalid_json",
                f"request {where} holds an unpaired UTF-16 surrogate escape "
                "(\\ud800-\\udfff), which is not Unicode text and cannot be stored",
                {"field": where},
            )
        return data

    async def parse_body_off_loop(self, model: type[M], *, code: str = "invalid_request") -> M:
        """``parse_body``, on a worker thread when the body is large: validating a
        10,000-node document takes seconds, and the loop keeps answering meanwhile."""
        if len(self.raw_body()) < LARGE_BODY_BYTES:
            return self.parse_body(model, code=code)
        return await asyncio.to_thread(self.parse_body, model, code=code)

    def parse_body(self, model: type[M], *, code: str = "invalid_request") -> M:
        data = self.json_body()
        if not isinstance(data, dict):
            raise ApiError(422, code, f"request body must be a JSON object, not {_json_type(data)}")
        try:
            return model.model_validate(data, strict=True)
        except ValidationError as exc:
            problems = problems_from_validation(exc)
            raise ApiError(
                422,
                code,
                "; ".join(f"{p.field or 'body'}: {p.message}" for p in problems),
                [p.as_dict() for p in problems],
            ) from None
        except RecursionError:
            raise ApiError(422, code, "request body is nested too deeply") from None

    # --- output --------------------------------------------------------------
    def reply(self, status: int, data: Any = None, *, location: str | None = None) -> None:
        self.set_status(status)
        if location is not None:
            self.set_header("Location", location)
        if data is None:
            self.finish()
            return
        self.set_header("Content-Type", "application/json")
        self.finish(dumps(data))

    def api_url(self, *parts: str) -> str:
        base = self.base_url.rstrip("/")
        return "/".join([base, "orcheo", "api", *parts])


class NotFoundHandler(OrcheoHandler):
    """JSON 404 for any other path under /orcheo/api (after auth, like every route)."""

    auth_resource = API

    @guard()  # read or write, as the method says
    async def _missing(self, *args: Any, **kwargs: Any) -> None:
        raise ApiError(404, "not_found", f"no such endpoint: {self.request.path}")

    get = post = put = delete = patch = _missing


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
