"""Run inputs and ``inputs_schema``: the schema's own validity, its defaults, the check.

Every way of starting a run (REST, webhooks, cron, the CLI, the Python API, an
exported bundle) fills in what its caller left out from here and checks the result
against the same schema, so a document means the same thing whoever runs it.
Defaults live where JSON Schema keeps them: ``inputs_schema.properties.<name>.default``.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from ..common.jsonschema_import import jsonschema, validator_for
from ..common.lru import LRU
from .models import WorkflowDocument
from .problems import DocumentError, Problem

#: Validators kept, by the schema's canonical text (documents share few schemas).
_CACHE_SIZE = 256
_validators: LRU[str, tuple[Any, list[Problem]]] = LRU(_CACHE_SIZE)
#: The same, by the identity of a schema object (held, so its id stays its own).
_by_object: LRU[int, tuple[Any, tuple[Any, list[Problem]]]] = LRU(_CACHE_SIZE)
#: Input problems reported per run: enough to fix a payload, not a flood.
_MAX_PROBLEMS = 50


def input_defaults(doc: WorkflowDocument) -> dict[str, Any]:
    """``{name: default}`` for every top-level input whose schema declares a default."""
    properties = doc.inputs_schema.get("properties")
    if not isinstance(properties, Mapping):
        return {}
    return {
        name: copy.deepcopy(prop["default"])
        for name, prop in properties.items()
        if isinstance(prop, Mapping) and "default" in prop
    }


def with_defaults(doc: WorkflowDocument, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The run inputs: the caller's, over the document's defaults."""
    return {**input_defaults(doc), **dict(inputs or {})}


def _schema_check(schema: Mapping[str, Any]) -> list[Problem]:
    try:
        validator_for(schema).check_schema(schema)
    except jsonschema.SchemaError as exc:
        path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in exc.path)
        return [
            Problem(
                "error",
                "inputs_schema",
                f"not a valid JSON Schema: {exc.message}",
                field="inputs_schema" + path,
            )
        ]
    except Exception as exc:  # a schema that breaks the meta-validator itself
        return [
            Problem(
                "error", "inputs_schema", f"not a valid JSON Schema: {exc}", field="inputs_schema"
            )
        ]
    return []


def _prepared(schema: Mapping[str, Any]) -> tuple[Any, list[Problem]]:
    """(validator, []) for a valid schema, (None, problems) otherwise; cached per schema."""
    # A parsed document keeps its schema object: recognise it without re-serialising.
    seen = _by_object.get(id(schema))
    if seen is not None and seen[0] is schema:
        return seen[1]
    key = json.dumps(schema, sort_keys=True, default=str)

    def make() -> tuple[Any, list[Problem]]:
        problems = _schema_check(schema)
        return (None if problems else validator_for(schema)(schema), problems)

    found = _validators.get_or_make(key, make)
    _by_object.put(id(schema), (schema, found))
    return found


def schema_problems(doc: WorkflowDocument) -> list[Problem]:
    """Why ``inputs_schema`` is not a usable JSON Schema (empty when it is, or is absent)."""
    if not doc.inputs_schema:
        return []
    return list(_prepared(doc.inputs_schema)[1])


def _path(parts: Any) -> str:
    return "inputs" + "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts)


def input_problems(doc: WorkflowDocument, inputs: Mapping[str, Any]) -> list[Problem]:
    """Each input that does not match ``inputs_schema``; ``inputs`` already has its defaults."""
    if not doc.inputs_schema:
        return []
    validator, problems = _prepared(doc.inputs_schema)
    if validator is None:
        return list(problems)
    try:
        errors = sorted(validator.iter_errors(dict(inputs)), key=lambda e: [str(p) for p in e.path])
    except Exception as exc:  # unresolvable $ref, bad regex...
        return [
            Problem(
                "error",
                "inputs_schema",
                f"inputs_schema cannot be applied: {exc}",
                field="inputs_schema",
            )
        ]
    return [
        Problem("error", "inputs", e.message, field=_path(e.path)) for e in errors[:_MAX_PROBLEMS]
    ]


def checked_inputs(doc: WorkflowDocument, inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The run inputs with their defaults, or DocumentError naming each that does not fit."""
    filled = with_defaults(doc, inputs)
    problems = input_problems(doc, filled)
    if problems:
        raise DocumentError(problems)
    return filled
