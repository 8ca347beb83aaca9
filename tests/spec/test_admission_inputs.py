"""``inputs_schema`` is checked wherever a document is validated, and run inputs against it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter import Workflow
from orcheo_jupyter.nodes.registry import check_node
from orcheo_jupyter.spec import DocumentError, document_from_data, validate_document
from orcheo_jupyter.spec.inputs import checked_inputs
from tests.conftest import linear_doc

STRICT = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "days": {"type": "integer", "default": 7}},
    "required": ["name"],
    "additionalProperties": False,
}


def _doc(schema: dict[str, Any]) -> Any:
    data = linear_doc("a")
    data["inputs_schema"] = schema
    return document_from_data(data)


def test_validate_reports_a_schema_that_is_not_json_schema() -> None:
    problems = validate_document(_doc({"type": "objekt"}), check_node)
    assert [(p.severity, p.code, p.field) for p in problems] == [
        ("error", "inputs_schema", "inputs_schema.type")
    ]
    assert "not a valid JSON Schema: 'objekt' is not valid" in problems[0].message
    nested = validate_document(_doc({"properties": {"n": {"minimum": "zero"}}}), check_node)
    assert [p.field for p in nested] == ["inputs_schema.properties.n.minimum"]


def test_the_cli_validate_command_refuses_it(tmp_path: Path) -> None:
    path = tmp_path / "bad.orcheo.json"
    data = linear_doc("a")
    data["inputs_schema"] = {"type": "objekt"}
    path.write_text(json.dumps(data), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1, done.stdout
    assert "ok" not in done.stdout
    assert "error: inputs_schema.type: not a valid JSON Schema" in done.stdout


def test_inputs_get_defaults_and_every_mismatch_is_named() -> None:
    doc = _doc(STRICT)
    assert checked_inputs(doc, {"name": "Ada"}) == {"name": "Ada", "days": 7}
    with pytest.raises(DocumentError) as refused:
        checked_inputs(doc, {"name": 5, "extra": 1})
    fields = sorted((p.field, p.message) for p in refused.value.problems)
    assert fields == [
        ("inputs", "Additional properties are not allowed ('extra' was unexpected)"),
        ("inputs.name", "5 is not of type 'string'"),
    ]


def test_workflow_run_checks_inputs_against_the_schema(tmp_path: Path) -> None:
    wf = Workflow.from_document(_doc(STRICT))
    with pytest.raises(DocumentError) as refused:
        wf.run({"name": 5, "extra": 1})
    assert {p.field for p in refused.value.problems} == {"inputs", "inputs.name"}
    result = wf.run({"name": "Ada"})
    assert result.status == "succeeded"
    assert result.state["inputs"] == {"name": "Ada", "days": 7}
