"""The API's OpenAPI 3.1 document, generated from the route table and the models.

``schema/openapi.json`` is this module's output, checked in so clients and
reviewers can read the API without running a server; a test fails when it is
stale. Regenerate with ``python -m orcheo_jupyter.server.openapi --write``.
"""

from __future__ import annotations

import argparse
import json
from dataclasses import replace
from http.client import responses
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from .authz import API, READ
from .base import Operation, OrcheoHandler, operation
from .models import ErrorBody, OpenAPIDocument
from .routes import Route, routes

CHECKED_IN = Path(__file__).resolve().parents[2] / "schema" / "openapi.json"
REF = "#/components/schemas/{model}"
METHODS = ("get", "post", "put", "patch", "delete")

DESCRIPTION = """\
REST API of the orcheo Jupyter server extension, under the Jupyter server's base URL.
Every route needs Jupyter authentication: a token (`Authorization: token <t>` or
`?token=<t>`) or the login cookie plus the `_xsrf` token for unsafe methods.
The one exception is webhook ingress, `/orcheo/hooks/{ref}`: each workflow's webhook
trigger sets its own checks (shared secret or HMAC-SHA256 signature, idempotency keys).

Errors are JSON `{"error": {"code", "message", "details"}}`; a 422 for an invalid
document lists every problem in `details` (`severity`, `code`, `message`, `node`, `field`).

Live events: WebSocket `/orcheo/ws/executions/{execution_id}?after=N` sends the run's
stored events with `seq > N`, then live ones, as JSON messages with `seq` and `type`,
and closes after the terminal event (`run_finished`, `run_failed`, `run_cancelled`).
Reconnecting with the last `seq` seen delivers every event exactly once, in order.
Clients may send `{"type": "cancel"}` or `{"type": "resume", "value": ...}`; a refused
command is answered with `{"type": "error", "seq": null, "error": {...}}`.
"""


_WORKFLOW_LINKS = {
    "getWorkflow": {"workflow_id": "$response.body#/id"},
    "updateWorkflow": {"workflow_id": "$response.body#/id"},
    "listVersions": {"workflow_id": "$response.body#/id"},
    "getVersion": {"workflow_id": "$response.body#/id", "version": "$response.body#/version"},
    "executeWorkflow": {"workflow_id": "$response.body#/id"},
    "deleteWorkflow": {"workflow_id": "$response.body#/id"},
}
_EXECUTION_LINKS = {
    name: {"execution_id": "$response.body#/execution_id"}
    for name in (
        "getExecution",
        "listExecutionEvents",
        "listCheckpoints",
        "resumeExecution",
        "rerunExecution",
        "cancelExecution",
    )
}
#: OpenAPI links: which ids a response hands to which operations (clients and fuzzers follow them).
LINKS: dict[str, dict[str, dict[str, str]]] = {
    "createWorkflow": _WORKFLOW_LINKS,
    "importPython": _WORKFLOW_LINKS,
    "updateWorkflow": _WORKFLOW_LINKS,
    "executeWorkflow": _EXECUTION_LINKS,
    "rerunExecution": _EXECUTION_LINKS,
    "resumeExecution": _EXECUTION_LINKS,
    "receiveWebhook": _EXECUTION_LINKS,
    "retryDeadLetter": _EXECUTION_LINKS,
}


def _require_discriminators(node: Any, schemas: dict[str, Any]) -> None:
    """A tagged union needs its tag even where the model gives it a default."""
    if isinstance(node, dict):
        mapping = node.get("discriminator", {}).get("mapping", {})
        prop = node.get("discriminator", {}).get("propertyName")
        for target in mapping.values():
            target_schema = schemas.get(target.rsplit("/", 1)[-1])
            if prop and target_schema is not None:
                required = target_schema.setdefault("required", [])
                if prop not in required:
                    required.insert(0, prop)
        for value in node.values():
            _require_discriminators(value, schemas)
    elif isinstance(node, list):
        for value in node:
            _require_discriminators(value, schemas)


def _operations(route: Route) -> list[tuple[str, Operation]]:
    """Documented (method, operation) pairs, in METHODS order. A method that is another
    one's function (``get = post``) is documented again as ``<operationId><Method>``."""
    found = []
    for method in METHODS:
        fn = getattr(route.handler, method, None)
        op = getattr(fn, "__orcheo_operation__", None)
        if op is None:
            continue
        if getattr(fn, "__name__", method) != method:
            op = replace(op, operation_id=f"{op.operation_id}{method.capitalize()}")
        found.append((method, op))
    return found


def _models() -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {
        (ErrorBody, "serialization"): None
    }
    for route in routes():
        if not route.documented:
            continue
        for _method, op in _operations(route):
            if op.body is not None:
                wanted[(op.body, "validation")] = None
            for model in op.responses.values():
                if model is not None:
                    wanted[(model, "serialization")] = None
    return list(wanted)


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    params = []
    for name, prop in schema.get("properties", {}).items():
        prop = dict(prop)
        # A query string has no null: an optional parameter is simply left out.
        if "anyOf" in prop:
            branches = [b for b in prop.pop("anyOf") if b.get("type") != "null"]
            if len(branches) == 1:
                prop = {**branches[0], **prop}
            else:
                prop["anyOf"] = branches
        if prop.get("default") is None:
            prop.pop("default", None)
        description = prop.pop("description", None)
        prop.pop("title", None)
        param: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": prop,
        }
        if description:
            param["description"] = description
        params.append(param)
    return params


def _error_statuses(route: Route, op: Operation) -> list[int]:
    family: Any = route.handler
    statuses = {403, *family.api_errors, *op.errors}
    if route.path_params():
        statuses.add(404)
    if route.params or op.query is not None:
        statuses.add(422)
    if op.body is not None:
        statuses.update({400, 413, 415, 422})
    return sorted(statuses)


def build_openapi(base_url: str = "/") -> dict[str, Any]:
    """The OpenAPI document; ``base_url`` is the Jupyter server's base URL."""
    from .. import __version__

    refs, defs = models_json_schema(_models(), ref_template=REF)
    schemas = dict(defs.get("$defs", {}))
    _require_discriminators(schemas, schemas)

    def ref(model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return refs[(model, mode)]

    error_ref = ref(ErrorBody, "serialization")
    paths: dict[str, Any] = {}
    for route in routes():
        if not route.documented:
            continue
        item: dict[str, Any] = {}
        path_params = [
            {"name": name, "in": "path", "required": True, "schema": route.param_schema(name)}
            for name in route.path_params()
        ]
        if path_params:
            item["parameters"] = path_params
        family: Any = route.handler  # its class names the tag of all its operations
        for method, op in _operations(route):
            entry: dict[str, Any] = {
                "operationId": op.operation_id,
                "summary": op.summary,
                "tags": [family.api_tag],
            }
            if op.description:
                entry["description"] = op.description
            if "security" in op.extra:  # webhook ingress: no Jupyter auth
                entry["security"] = op.extra["security"]
            if op.query is not None:
                entry["parameters"] = _query_parameters(op.query)
            if op.body is not None:
                entry["requestBody"] = {
                    # An empty body is read as {}: optional when no field is required.
                    "required": bool(op.body.model_json_schema().get("required")),
                    "content": {"application/json": {"schema": ref(op.body, "validation")}},
                }
            answers: dict[str, Any] = {}
            for status, model in op.responses.items():
                answer: dict[str, Any] = {"description": responses.get(status, "")}
                if model is not None:
                    answer["content"] = {
                        "application/json": {"schema": ref(model, "serialization")}
                    }
                elif status in op.extra.get("content", {}):  # not JSON (e.g. metrics text)
                    answer["content"] = op.extra["content"][status]
                if status in (201, 202):
                    answer["headers"] = {
                        "Location": {
                            "description": "URL of the created resource",
                            "schema": {"type": "string"},
                        }
                    }
                if status < 300 and op.operation_id in LINKS:
                    answer["links"] = {
                        target: {"operationId": target, "parameters": params}
                        for target, params in LINKS[op.operation_id].items()
                    }
                answers[str(status)] = answer
            for status in _error_statuses(route, op):
                answers[str(status)] = {
                    "description": responses.get(status, "error"),
                    "content": {"application/json": {"schema": error_ref}},
                }
            entry["responses"] = answers
            item[method] = entry
        paths[route.path] = item
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "orcheo-jupyter",
            "version": __version__,
            "description": DESCRIPTION,
        },
        "servers": [{"url": base_url}],
        "security": [{"jupyterToken": []}, {"jupyterTokenQuery": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "jupyterToken": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "The Jupyter server token: "
                    "`Authorization: token <t>` (or `Bearer <t>`).",
                },
                "jupyterTokenQuery": {"type": "apiKey", "in": "query", "name": "token"},
            },
        },
    }


def openapi_text(base_url: str = "/") -> str:
    return json.dumps(build_openapi(base_url), indent=2, sort_keys=True) + "\n"


def write_openapi(path: str | Path = CHECKED_IN) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(openapi_text(), encoding="utf-8")
    return p


class OpenAPIHandler(OrcheoHandler):
    auth_resource = API
    api_tag = "meta"
    _cache: dict[str, str] = {}

    @operation(
        READ,
        operation_id="getOpenAPI",
        summary="This API's OpenAPI document",
        responses={200: OpenAPIDocument},
    )
    async def get(self) -> None:
        text = self._cache.get(self.base_url)
        if text is None:
            text = json.dumps(build_openapi(self.base_url), sort_keys=True)
            self._cache[self.base_url] = text
        self.set_header("Content-Type", "application/json")
        self.finish(text)


def main() -> None:
    parser = argparse.ArgumentParser(description="Write or check the API's OpenAPI document.")
    parser.add_argument("--write", nargs="?", const=str(CHECKED_IN), help="write it to PATH")
    args = parser.parse_args()
    if args.write:
        print(write_openapi(args.write))
    else:
        print(openapi_text(), end="")


if __name__ == "__main__":
    main()
