"""Default run inputs: the notebook's ``parameters`` cell, carried by the documents.

The defaults live where JSON Schema keeps them, ``inputs_schema.properties.<name>.default``,
so every run form shows them and the bundle stays plain documents; every run then
gets them for what its caller left out (``spec/inputs.py``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from ..spec.inputs import input_defaults, with_defaults
from ..spec.models import WorkflowDocument

__all__ = ["apply_parameters", "input_defaults", "with_defaults"]


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
