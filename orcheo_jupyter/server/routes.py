"""The route table: tornado's URL patterns and the OpenAPI paths both come from here.

Handlers are named, not imported: tornado gets a stand-in class per route that
imports its module on the route's first request, so starting JupyterLab does not
pay for the API's models and the runtime they reach (the start-up issue).
"""

from __future__ import annotations

import functools
import importlib
import re
from dataclasses import dataclass, field
from typing import Any

from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado.web import RequestHandler

from .limits import MAX_INT

API = "/orcheo/api"
WS = "/orcheo/ws"
HOOKS = "/orcheo/hooks"  # webhook ingress: its own checks, no Jupyter auth


@functools.cache
def _load(target: str) -> type[RequestHandler]:
    module, name = target.rsplit(".", 1)
    handler: type[RequestHandler] = getattr(
        importlib.import_module(f"{__package__}.{module}"), name
    )
    return handler


@dataclass(frozen=True)
class Route:
    """A URL template such as ``/orcheo/api/workflows/{workflow_id}`` and its handler.

    ``target`` is ``"module.Class"`` inside this package; ``handler`` imports it.
    """

    path: str
    target: str
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    documented: bool = True
    websocket: bool = False

    @property
    def handler(self) -> type[RequestHandler]:
        return _load(self.target)

    def pattern(self) -> str:
        return re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path)

    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    def param_schema(self, name: str) -> dict[str, Any]:
        return self.params.get(name, {"type": "string", "minLength": 1})


def _deferred(route: Route) -> type[RequestHandler]:
    """A class tornado can register whose instances are the route's real handler.

    Tornado reads two things from the registered class before a request is handled:
    whether it streams the body (every orcheo HTTP handler does, to refuse oversized
    bodies before reading them; a WebSocket does not) and, through Jupyter, whether it
    is an extension handler (it gets the extension's name). Everything else happens on
    the instance, which ``__new__`` makes from the real class.
    """

    class Deferred(ExtensionHandlerMixin, RequestHandler):
        _stream_request_body = not route.websocket

        def __new__(cls, application: Any, request: Any, **kwargs: Any) -> Any:
            return route.handler(application, request, **kwargs)

    Deferred.__name__ = Deferred.__qualname__ = f"Deferred{route.target.rsplit('.', 1)[1]}"
    return Deferred


def routes() -> list[Route]:
    """Every route, most specific first (tornado takes the first match)."""
    version = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
    return [
        Route(f"{API}/workflows", "workflows.WorkflowsHandler"),
        Route(f"{API}/workflows/import-python", "workflows.ImportPythonHandler"),
        Route(f"{API}/workflows/validate", "workflows.ValidateHandler"),
        Route(f"{API}/workflows/{{workflow_id}}", "workflows.WorkflowHandler"),
        Route(f"{API}/workflows/{{workflow_id}}/versions", "workflows.VersionsHandler"),
        Route(
            f"{API}/workflows/{{workflow_id}}/versions/{{version}}",
            "workflows.VersionHandler",
            params={"version": version},
        ),
        Route(
            f"{API}/workflows/{{workflow_id}}/versions/{{version}}/diff/{{other}}",
            "diffs.VersionDiffHandler",
            params={"version": version, "other": version},
        ),
        Route(
            f"{API}/workflows/{{workflow_id}}/versions/{{version}}/restore",
            "workflows.RestoreVersionHandler",
            params={"version": version},
        ),
        Route(f"{API}/workflows/{{workflow_id}}/execute", "workflows.ExecuteHandler"),
        Route(f"{API}/workflows/{{workflow_id}}/nodes/{{node}}/test", "node_tests.NodeTestHandler"),
        Route(
            f"{API}/workflows/{{workflow_id}}/nodes/{{node}}/preview",
            "node_tests.TemplatePreviewHandler",
        ),
        Route(f"{API}/executions", "executions.ExecutionsHandler"),
        Route(f"{API}/executions/{{execution_id}}", "executions.ExecutionHandler"),
        Route(f"{API}/executions/{{execution_id}}/events", "executions.EventsHandler"),
        Route(f"{API}/executions/{{execution_id}}/resume", "executions.ResumeHandler"),
        Route(f"{API}/executions/{{execution_id}}/checkpoints", "executions.CheckpointsHandler"),
        Route(
            f"{API}/executions/{{execution_id}}/checkpoints/{{checkpoint_id}}",
            "executions.CheckpointHandler",
            params={"checkpoint_id": {"type": "string", "minLength": 1, "maxLength": 200}},
        ),
        Route(f"{API}/executions/{{execution_id}}/rerun", "executions.RerunHandler"),
        Route(f"{API}/executions/{{execution_id}}/trace", "executions.TraceHandler"),
        Route(f"{API}/workflows/{{workflow_id}}/triggers", "triggers.WorkflowTriggersHandler"),
        Route(f"{API}/workflows/{{workflow_id}}/dispatch", "triggers.DispatchHandler"),
        Route(f"{API}/workflows/{{workflow_id}}/deliveries", "triggers.DeliveriesHandler"),
        Route(f"{API}/dead-letters", "triggers.DeadLettersHandler"),
        Route(f"{API}/dead-letters/{{job_id}}", "triggers.DeadLetterHandler"),
        Route(f"{API}/dead-letters/{{job_id}}/retry", "triggers.DeadLetterRetryHandler"),
        Route(f"{API}/credentials", "credentials.CredentialsHandler"),
        Route(f"{API}/credentials/health", "credentials.CredentialsHealthHandler"),
        Route(f"{API}/credentials/{{name}}", "credentials.CredentialHandler"),
        Route(f"{API}/credentials/{{name}}/rotate", "credentials.CredentialRotateHandler"),
        Route(f"{API}/credentials/{{name}}/health", "credentials.CredentialHealthHandler"),
        Route(f"{API}/credentials/{{name}}/audit", "credentials.CredentialAuditHandler"),
        Route(f"{API}/nodes", "nodes.NodesHandler"),
        Route(f"{API}/templates", "templates.TemplatesHandler"),
        Route(f"{API}/templates/{{name}}", "templates.TemplateHandler"),
        Route(f"{API}/openapi.json", "openapi.OpenAPIHandler"),
        Route(f"{API}/health", "ops.HealthHandler"),
        Route(f"{API}/metrics", "ops.MetricsHandler"),
        Route(f"{HOOKS}/{{ref}}", "hooks.WebhookHandler"),
        Route(
            f"{WS}/executions/{{execution_id}}",
            "ws.ExecutionSocket",
            documented=False,
            websocket=True,
        ),
        Route(f"{API}/{{rest}}", "base.NotFoundHandler", documented=False),
    ]


def tornado_handlers() -> list[tuple[str, type]]:
    """(pattern, class) for tornado; each class imports its handler when first used."""
    handlers: list[tuple[str, type]] = [(r.pattern(), _deferred(r)) for r in routes()]
    # The catch-all also covers deeper unknown paths.
    handlers[-1] = (f"{API}/(?P<rest>.*)", handlers[-1][1])
    return handlers
