"""The JSON Schemas of the document and of its edits, generated from the models and
kept in the repo (schema/); the canvas's TypeScript types are generated from them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models import WorkflowDocument

SCHEMA_ID = "https://orcheo-jupyter.dev/schema/workflow.schema.json"
EDITS_SCHEMA_ID = "https://orcheo-jupyter.dev/schema/edits.schema.json"


def document_schema() -> dict[str, Any]:
    schema = WorkflowDocument.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    return schema


def edits_schema() -> dict[str, Any]:
    """One edit of the edit engine (``spec/edits.py``), as the canvas sends it."""
    from .edits import edit_json_schema

    schema = edit_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = EDITS_SCHEMA_ID
    schema["title"] = "Edit"
    schema["description"] = (
        "One edit of a workflow document (a canvas diff); a batch is a list of them, "
        "applied all or nothing."
    )
    return schema


def schema_text(which: str = "document") -> str:
    schema = edits_schema() if which == "edits" else document_schema()
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"


def write_schema(path: str | Path, which: str = "document") -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(schema_text(which), encoding="utf-8")
    return p
