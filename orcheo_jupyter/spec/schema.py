"""The document's JSON Schema, generated from the models and kept in the repo."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .models import WorkflowDocument

SCHEMA_ID = "https://orcheo-jupyter.dev/schema/workflow.schema.json"


def document_schema() -> dict[str, Any]:
    schema = WorkflowDocument.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = SCHEMA_ID
    return schema


def schema_text() -> str:
    return json.dumps(document_schema(), indent=2, sort_keys=True) + "\n"


def write_schema(path: str | Path) -> Path:
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(schema_text(), encoding="utf-8")
    return p
