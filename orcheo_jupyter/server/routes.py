"""The route table: tornado's URL patterns and the OpenAPI paths both come from here."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .models import MAX_INT

API = "/orcheo/api"
WS = "/orcheo/ws"
HOOKS = "/orcheo/hooks"  # webhook ingress: its own checks, no Jupyter auth


@dataclass(frozen=True)
class Route:
    """A URL template such as ``/orcheo/api/workflows/{workflow_id}`` and its handler."""

    path: str
    handler: type
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    documented: bool = True

    def pattern(self) -> str:
        return re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.path)

    def path_params(self) -> list[str]:
        return re.findall(r"\{(\w+)\}", self.path)

    def param_schema(self, name: str) -> dict[str, Any]:
        return self.params.get(name, {"type": "string", "minLength": 1})


def routes() -> list[Route]:
    """Every route, most specific first (tornado takes the first match)."""
    from .base import NotFoundHandler
    from .credentials import (
        CredentialAuditHandler,
        CredentialHandler,
        CredentialHealthHandler,
        CredentialRotateHandler,
        CredentialsHandler,
        CredentialsHealthHandler,
    )
    from .diffs import VersionDiffHandler
    from .executions import (
        CheckpointHandler,
        CheckpointsHandler,
        EventsHandler,
        ExecutionHandler,
        ExecutionsHandler,
        RerunHandler,
        ResumeHandler,
        TraceHandler,
    )
    from .hooks import WebhookHandler
    from .node_tests import NodeTestHandler, TemplatePreviewHandler
    from .nodes import NodesHandler
    from .openapi import OpenAPIHandler
    from .ops import HealthHandler, MetricsHandler
    from .templates import TemplateHandler, TemplatesHandler
    from .triggers import (
        DeadLetterHandler,
        DeadLetterRetryHandler,
        DeadLettersHandler,
        DeliveriesHandler,
        DispatchHandler,
        WorkflowTriggersHandler,
    )
    from .workflows import (
        ExecuteHandler,
        ImportPythonHandler,
        RestoreVersionHandler,
        ValidateHandler,
        VersionHandler,
        VersionsHandler,
        WorkflowHandler,
        WorkflowsHandler,
    )
    from .ws import ExecutionSocket

    version = {"type": "integer", "minimum": 1, "maximum": MAX_INT}
    return [
        Route(f"{API}/workflows", WorkflowsHandler),
        Route(f"{API}/workflows/import-python", ImportPythonHandler),
        Route(f"{API}/workflows/validate", ValidateHandler),
        Route(f"{API}/workflows/{{workflow_id}}", WorkflowHandler),
        Route(f"{API}/workflows/{{workflow_id}}/versions", VersionsHandler),
        Route(
            f"{API}/workflows/{{workflow_id}}/versions/{{version}}",
            VersionHandler,
            params={"version": version},
        ),
        Route(
            f"{API}/workflows/{{workflow_id}}/versions/{{version}}/diff/{{other}}",
            VersionDiffHandler,
            params={"version": version, "other": version},
        ),
        Route(
            f"{API}/workflows/{{workflow_id}}/versions/{{version}}/restore",
            RestoreVersionHandler,
            params={"version": version},
        ),
        Route(f"{API}/workflows/{{workflow_id}}/execute", ExecuteHandler),
        Route(f"{API}/workflows/{{workflow_id}}/nodes/{{node}}/test", NodeTestHandler),
        Route(f"{API}/workflows/{{workflow_id}}/nodes/{{node}}/preview", TemplatePreviewHandler),
        Route(f"{API}/executions", ExecutionsHandler),
        Route(f"{API}/executions/{{execution_id}}", ExecutionHandler),
        Route(f"{API}/executions/{{execution_id}}/events", EventsHandler),
        Route(f"{API}/executions/{{execution_id}}/resume", ResumeHandler),
        Route(f"{API}/executions/{{execution_id}}/checkpoints", CheckpointsHandler),
        Route(
            f"{API}/executions/{{execution_id}}/checkpoints/{{checkpoint_id}}",
            CheckpointHandler,
            params={"checkpoint_id": {"type": "string", "minLength": 1, "maxLength": 200}},
        ),
        Route(f"{API}/executions/{{execution_id}}/rerun", RerunHandler),
        Route(f"{API}/executions/{{execution_id}}/trace", TraceHandler),
        Route(f"{API}/workflows/{{workflow_id}}/triggers", WorkflowTriggersHandler),
        Route(f"{API}/workflows/{{workflow_id}}/dispatch", DispatchHandler),
        Route(f"{API}/workflows/{{workflow_id}}/deliveries", DeliveriesHandler),
        Route(f"{API}/dead-letters", DeadLettersHandler),
        Route(f"{API}/dead-letters/{{job_id}}", DeadLetterHandler),
        Route(f"{API}/dead-letters/{{job_id}}/retry", DeadLetterRetryHandler),
        Route(f"{API}/credentials", CredentialsHandler),
        Route(f"{API}/credentials/health", CredentialsHealthHandler),
        Route(f"{API}/credentials/{{name}}", CredentialHandler),
        Route(f"{API}/credentials/{{name}}/rotate", CredentialRotateHandler),
        Route(f"{API}/credentials/{{name}}/health", CredentialHealthHandler),
        Route(f"{API}/credentials/{{name}}/audit", CredentialAuditHandler),
        Route(f"{API}/nodes", NodesHandler),
        Route(f"{API}/templates", TemplatesHandler),
        Route(f"{API}/templates/{{name}}", TemplateHandler),
        Route(f"{API}/openapi.json", OpenAPIHandler),
        Route(f"{API}/health", HealthHandler),
        Route(f"{API}/metrics", MetricsHandler),
        Route(f"{HOOKS}/{{ref}}", WebhookHandler),
        Route(f"{WS}/executions/{{execution_id}}", ExecutionSocket, documented=False),
        Route(f"{API}/{{rest}}", NotFoundHandler, documented=False),
    ]


def tornado_handlers() -> list[tuple[str, type]]:
    handlers = [(r.pattern(), r.handler) for r in routes()]
    # The catch-all also covers deeper unknown paths.
    handlers[-1] = (f"{API}/(?P<rest>.*)", handlers[-1][1])
    return handlers
