"""Default run inputs: the notebook's ``parameters`` cell, carried by the documents.

The defaults live where JSON Schema keeps them, ``inputs_schema.properties.<name>.default``,
so every run form shows them and the bundle stays plain documents. Runners that
start a run without a caller (``orcheo-jupyter run`` with no ``--inputs``, cron
triggers, the LangGraph graphs) fill in what the caller left out.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..spec.models import WorkflowDocument


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


def apply_parameters(doc: WorkflowDocument, values: Mapping[str, Any]) -> WorkflowDocument:
    """A copy of ``doc`` whose inputs schema defaults, and cron triggers' inputs, are ``values``.

    Inputs a cron trigger sets itself keep its value: the trigger is more specific.
    """
    if not values:
        return doc
    out = doc.model_copy(deep=True)
    schema = out.inputs_schema or {"type": "object"}
    properties = schema.setdefault("properties", {})
    for name, value in values.items():
        prop = properties.get(name)
        prop = dict(prop) if isinstance(prop, Mapping) else {}
        prop["default"] = copy.deepcopy(value)
        properties[name] = prop
    out.inputs_schema = schema
    for trigger in out.triggers:
        if trigger.type == "cron":
            given = trigger.config.get("inputs")
            given = dict(given) if isinstance(given, Mapping) else {}
            trigger.config["inputs"] = {**copy.deepcopy(dict(values)), **given}
    return out
