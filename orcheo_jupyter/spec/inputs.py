"""Default run inputs, where JSON Schema keeps them: ``inputs_schema.properties.<name>.default``.

Every way of starting a run (REST, webhooks, cron, the CLI, the Python API, an
exported bundle) fills in what its caller left out from here, so a document means
the same thing whoever runs it.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from .models import WorkflowDocument


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
