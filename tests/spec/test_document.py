"""The document models, canonical I/O and the checked-in JSON Schema."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.spec.schema import schema_text
from tests.conftest import conformance_cases, linear_doc

REPO = Path(__file__).resolve().parents[2]


def test_name_and_graph_alone_are_a_valid_document() -> None:
    doc = spec.document_from_data(
        {"name": "tiny", "graph": {"format": "frozen-ir", "ir": {"nodes": []}}}
    )
    assert doc.name == "tiny"
    assert doc.description == "" and doc.tags == [] and doc.triggers == []
    assert doc.canvas.positions == {}
    assert doc.graph.ir.schema_version == 1
    assert doc.graph.ir.state_ref == "orcheo.graph.state.State"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda d: d.update(colour="red"), "colour"),
        (lambda d: d["graph"]["ir"]["nodes"][0].update(extra=1), "graph.ir.nodes[0].extra"),
        (lambda d: d["graph"]["ir"]["edges"][0].update(weight=2), "graph.ir.edges[0].weight"),
        (lambda d: d["graph"].update(zoom=1), "graph.zoom"),
    ],
)
def test_unknown_keys_are_rejected_with_their_path(mutate: Any, field: str) -> None:
    data = linear_doc("a")
    mutate(data)
    with pytest.raises(spec.DocumentError) as info:
        spec.document_from_data(data)
    fields = [p.field for p in info.value.problems]
    assert field in fields
    assert "unknown key" in str(info.value)


def test_wrong_types_name_the_field() -> None:
    data = linear_doc("a")
    data["graph"]["ir"]["schema_version"] = 2
    data["graph"]["ir"]["nodes"][0]["config"] = "nope"
    with pytest.raises(spec.DocumentError) as info:
        spec.document_from_data(data)
    fields = {p.field for p in info.value.problems}
    assert {"graph.ir.schema_version", "graph.ir.nodes[0].config"} <= fields


def test_reserved_node_ids_are_rejected() -> None:
    data = linear_doc("a")
    data["graph"]["ir"]["nodes"][0]["id"] = "__end__"
    with pytest.raises(spec.DocumentError, match="reserved"):
        spec.document_from_data(data)


def test_broken_json_reports_line_and_column() -> None:
    with pytest.raises(spec.DocumentError) as info:
        spec.loads('{"name": "x",\n "graph": }')
    assert "line 2 column 11" in str(info.value)


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(spec.DocumentError, match="no such file"):
        spec.load(tmp_path / "nope.orcheo.json")


def test_script_graph_document() -> None:
    doc = spec.document_from_data(
        {"name": "s", "graph": {"format": "langgraph-script", "source": "x = 1"}}
    )
    assert isinstance(doc.graph, spec.ScriptGraph)
    assert doc.graph.index.nodes == []


@pytest.mark.parametrize("case", conformance_cases())
def test_load_save_is_byte_identical(case: dict[str, Any], tmp_path: Path) -> None:
    first = tmp_path / "a.orcheo.json"
    spec.save(spec.document_from_data(case["document"], name="case"), first)
    text = first.read_text(encoding="utf-8")
    second = tmp_path / "b.orcheo.json"
    spec.save(spec.load(first), second)
    assert second.read_bytes() == first.read_bytes()
    # Canonical form: sorted keys, 2-space indent, final newline.
    data = json.loads(text)
    assert text == json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_non_ascii_text_is_kept_as_utf8(tmp_path: Path) -> None:
    data = linear_doc("a", name="grüße")
    path = spec.save(spec.document_from_data(data), tmp_path / "g.orcheo.json")
    assert "grüße" in path.read_text(encoding="utf-8")


def test_optional_node_fields_only_appear_when_set() -> None:
    data = linear_doc("a")
    text = spec.dumps(spec.document_from_data(data))
    assert '"retry"' not in text and '"timeout"' not in text
    data["graph"]["ir"]["nodes"][0]["timeout"] = 2.5
    assert '"timeout": 2.5' in spec.dumps(spec.document_from_data(data))


def test_checksum_follows_content() -> None:
    a = spec.document_from_data(linear_doc("a"))
    b = spec.document_from_data(linear_doc("a"))
    c = spec.document_from_data(linear_doc("b"))
    assert spec.checksum(a) == spec.checksum(b) != spec.checksum(c)


def test_checked_in_schema_is_current() -> None:
    checked_in = (REPO / "schema" / "workflow.schema.json").read_text(encoding="utf-8")
    assert checked_in == schema_text(), (
        "run `make schema` to regenerate schema/workflow.schema.json"
    )
    edits = (REPO / "schema" / "edits.schema.json").read_text(encoding="utf-8")
    assert edits == schema_text("edits"), "run `make schema` to regenerate schema/edits.schema.json"


def test_schema_describes_the_document() -> None:
    schema = json.loads(schema_text())
    assert schema["required"] == ["name", "graph"]
    assert schema["additionalProperties"] is False
    assert {"BuiltinNode", "CodeNode", "SubgraphNode", "GraphIR"} <= set(schema["$defs"])


def test_nul_characters_in_stored_text_fields_are_refused() -> None:
    data = linear_doc("a", name="bad\u0000name")
    with pytest.raises(spec.DocumentError) as info:
        spec.document_from_data(data)
    assert info.value.problems[0].field == "name"
    assert "NUL" in str(info.value)
