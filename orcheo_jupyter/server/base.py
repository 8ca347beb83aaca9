"""Handler plumbing shared by every route: auth, JSON in and out, errors.

``operation`` guards a handler method (the Jupyter user must be allowed its action)
and declares its request and response shapes; the decorator validates the query
string and body with those models before the method runs, and ``openapi.py`` reads
the same declaration to write the API document. What every operation of a resource
shares (its OpenAPI tag, the errors the whole family can answer) is declared once,
on the family's handler class (``api_tag``, ``api_errors``).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import BaseModel, ValidationError
from tornado.web import HTTPError, RequestHandler

from ..runtime.serialize import jsonable
from ..spec.problems import problems_from_validation
from .authz import API, guard
from .body_limit import BodyLimitMixin
from .document_worker import Upload
from .errors import AUTH_REQUIRED, ApiError, describe
from .intake import decode_json, validate_body

if TYPE_CHECKING:
    from ..runtime.executor import Executor
    from .app import OrcheoApp

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class Operation:
    """One documented operation: what it reads and what it answers."""

    operation_id: str
    summary: str
    responses: dict[int, type[BaseModel] | None]
    description: str = ""
    body: type[BaseModel] | None = None
    body_code: str = "invalid_request"
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)
    #: A large body reaches the method unparsed, as an ``Upload``: the method checks it
    #: in the document worker together with what it does next (one trip, not two).
    defer_large_body: bool = False


Method = Callable[..., Awaitable[None]]


def operation(action: str, **spec: Any) -> Callable[[Method], Method]:
    """Guard a handler method with ``action`` (``authz.guard``) and ``document`` it.

    Every route behind Jupyter auth is declared this way, so no documented operation
    lacks its authorization; only routes with their own rule (ops' monitoring, webhook
    ingress) put ``document`` under another guard.
    """
    documented = document(**spec)
    guarded = guard(action)

    def decorate(fn: Method) -> Method:
        return guarded(documented(fn))

    return decorate


def document(**spec: Any) -> Callable[[Method], Method]:
    """Declare a handler method's contract; validated arguments arrive as ``query``/``body``."""
    op = Operation(**spec)

    def decorate(fn: Method) -> Method:
        @functools.wraps(fn)
        async def wrapper(self: OrcheoHandler, *args: Any, **kwargs: Any) -> None:
            if op.query is not None:
                kwargs["query"] = self.parse_query(op.query)
            if op.body is not None and op.defer_large_body and self.body_is_large():
                kwargs["body"] = self.upload(op.body_code)
            elif op.body is not None:
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


class Replies(RequestHandler):
    """JSON answers, for the API's handlers and the webhook ingress alike."""

    def reply(self, status: int, data: Any = None, *, location: str | None = None) -> None:
        self.set_status(status)
        if location is not None:
            self.set_header("Location", location)
        if data is None:
            self.finish()
            return
        self.set_header("Content-Type", "application/json")
        self.finish(dumps(data))

    def reply_started(self, run_id: str, *, status: int = 202, **extra: Any) -> None:
        """A run was started (execute, resume, re-run, retry, webhook): its id, and a
        Location to follow it at (``/executions/{id}``, the OpenAPI link's target)."""
        self.reply(
            status,
            {"execution_id": run_id, **extra},
            location=self.api_url("executions", run_id),
        )

    def api_url(self, *parts: str) -> str:
        base = str(self.settings.get("base_url", "/")).rstrip("/")  # Jupyter's base_url
        return "/".join([base, "orcheo", "api", *parts])


#: Request bodies at least this large are parsed and validated in the document worker
#: process (see ``document_worker.py`` for the measured crossover).
LARGE_BODY_BYTES = 64 * 1024


class OrcheoHandler(BodyLimitMixin, ErrorsMixin, Replies, ExtensionHandlerMixin, APIHandler):
    """Base of every REST handler: requires an authenticated Jupyter user.

    A resource's handlers share a base class naming, once for all their operations,
    the ``auth_resource`` the Authorizer is asked about, the OpenAPI ``api_tag`` and
    the ``api_errors`` statuses any of them may answer (a 503 while the vault is down).
    """

    api_tag: ClassVar[str]
    api_errors: ClassVar[tuple[int, ...]] = ()

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
            raise ApiError.listing(422, "invalid_query", problems) from None

    def media_type(self) -> str:
        """The request's Content-Type without parameters, lower case."""
        return self.request.headers.get("Content-Type", "").split(";")[0].strip().lower()

    def json_body(self) -> Any:
        """The request body as JSON data; 413/400 with the reason when it is not."""
        return decode_json(
            self.raw_body(),
            self.media_type(),
            body_limit=self.body_limit(),
            limits=self.orcheo.body_limits,
        )

    def body_is_large(self) -> bool:
        """Whether this body is checked in the document worker rather than on the loop."""
        return len(self.raw_body()) >= LARGE_BODY_BYTES

    async def parse_body_off_loop(self, model: type[M], *, code: str = "invalid_request") -> M:
        """``parse_body``, in the document worker when the body is large: decoding and
        validating a 10,000-node document holds the GIL for seconds, and the loop keeps
        answering meanwhile."""
        if not self.body_is_large():
            return self.parse_body(model, code=code)
        return await self.orcheo.document_worker.parse(self.upload(code), model)

    def upload(self, code: str) -> Upload:
        """The body and the limits it is checked against, for the document worker."""
        return Upload(
            self.raw_body(),
            self.media_type(),
            self.body_limit(),
            self.orcheo.body_limits.max_depth,
            code,
        )

    def parse_body(self, model: type[M], *, code: str = "invalid_request") -> M:
        return validate_body(self.json_body(), model, code)

    # --- output --------------------------------------------------------------
    def reply_page(self, items: list[Any], total: int, query: Any) -> None:
        """200 with one page of a list (``Page``): the items, the total, and the page asked."""
        self.reply(
            200, {"items": items, "total": total, "limit": query.limit, "offset": query.offset}
        )


class NotFoundHandler(OrcheoHandler):
    """JSON 404 for any other path under /orcheo/api (after auth, like every route)."""

    auth_resource = API

    @guard()  # read or write, as the method says
    async def _missing(self, *args: Any, **kwargs: Any) -> None:
        raise ApiError(404, "not_found", f"no such endpoint: {self.request.path}")

    get = post = put = delete = patch = _missing
