"""Version diffs: items matched by identity, changed fields by dotted path."""

from __future__ import annotations

from typing import Any

from orcheo_jupyter.spec.diff import diff_documents, format_diff
from orcheo_jupyter.spec.io import document_from_data
from tests.nodes.helpers import chain_doc, code, node


def _doc(**changes: Any) -> Any:
    data = chain_doc(
        node("a", "SetVariableNode", variables={"x": 1, "greeting": "hi"}),
        code("b", "return 1\n"),
        triggers=[{"type": "cron", "id": "nightly", "config": {"expression": "0 0 * * *"}}],
        **changes,
    )
    return data


def test_identical_documents_have_no_changes() -> None:
    doc = document_from_data(_doc())
    diff = diff_documents(doc, doc)
    assert diff["summary"] == "no changes"
    assert format_diff(diff) == "no changes"


def test_nodes_edges_config_and_triggers() -> None:
    before = document_from_data(_doc())
    data = _doc(description="now with a c")
    ir = data["graph"]["ir"]
    ir["nodes"][0]["config"]["variables"]["x"] = 2
    del ir["nodes"][0]["config"]["variables"]["greeting"]
    ir["nodes"][1]["body"] = "y = 2\nreturn y\n"
    ir["nodes"].append(node("c", "DebugNode"))
    ir["edges"] = [e for e in ir["edges"] if e["target"] != "__end__"]
    ir["edges"] += [{"source": "b", "target": "c"}, {"source": "c", "target": "__end__"}]
    data["triggers"][0]["config"]["expression"] = "0 6 * * *"
    data["triggers"].append({"type": "manual", "id": "by-hand"})
    data["canvas"] = {"positions": {"a": {"x": 1, "y": 2}}}
    after = document_from_data(data)

    diff = diff_documents(before, after)
    assert [n["id"] for n in diff["nodes"]["added"]] == ["c"]
    assert diff["nodes"]["removed"] == []
    changed = {n["id"]: n["changes"] for n in diff["nodes"]["changed"]}
    assert changed["a"] == [
        {"field": "config.variables.greeting", "before": "hi"},
        {"field": "config.variables.x", "before": 1, "after": 2},
    ]
    (body,) = changed["b"]
    assert body["field"] == "body" and body["after"] == "y = 2\nreturn y\n"
    assert "-return 1\n+y = 2\n+return y\n" in body["text_diff"]
    assert diff["edges"] == {
        "added": [{"source": "b", "target": "c"}, {"source": "c", "target": "__end__"}],
        "removed": [{"source": "b", "target": "__end__"}],
    }
    assert [t["id"] for t in diff["triggers"]["added"]] == ["by-hand"]
    assert diff["triggers"]["changed"] == [
        {
            "id": "nightly",
            "changes": [
                {"field": "config.expression", "before": "0 0 * * *", "after": "0 6 * * *"}
            ],
        }
    ]
    assert diff["document"] == [{"field": "description", "before": "", "after": "now with a c"}]
    assert diff["layout_changed"] is True
    assert diff["summary"] == (
        "1 node added, 2 nodes changed, 2 edges added, 1 edge removed, "
        "1 trigger added, 1 trigger changed, description changed"
    )
    text = format_diff(diff, "v1 → v2")
    assert text.splitlines()[:6] == [
        f"v1 → v2: {diff['summary']}",
        "+ node c (DebugNode)",
        "~ node a",
        "    config.variables.greeting: - 'hi'",
        "    config.variables.x: 1 → 2",
        "~ node b",
    ]
    assert "+ edge b → c" in text and "- edge b → __end__" in text
    assert "~ trigger nightly" in text and "+ trigger by-hand (manual)" in text


def test_layout_only() -> None:
    before = document_from_data(_doc())
    after = document_from_data(_doc(canvas={"positions": {"a": {"x": 5, "y": 5}}}))
    assert diff_documents(before, after)["summary"] == "layout changed only"
