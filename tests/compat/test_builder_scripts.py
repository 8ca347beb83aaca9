"""``orcheo.graph.builder.build_graph`` in scripts: upstream's JSON config as a graph.

The config means what the same JSON file means (the legacy importer), and a script
whose graph is such a config imports as that typed frozen-ir document.
"""

from __future__ import annotations

import asyncio
import json

import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.ingest.script import import_script
from orcheo_jupyter.spec.problems import DocumentError
from orcheo_jupyter.workflow import Workflow
from tests.compat.scripts import GRAPH_CONFIG

CONFIG_ONLY = GRAPH_CONFIG.split("\n\ndef orcheo_workflow")[0] + "\n"

CHANGED_AFTER = (
    GRAPH_CONFIG
    + """

def build_more():
    graph = build_graph(greeting_config())
    graph.add_node("extra", lambda state: {"results": {"extra": {"seen": True}}})
    graph.add_edge("greet", "extra")
    return graph
"""
)


def legacy_ir() -> dict:
    namespace: dict = {}
    exec(CONFIG_ONLY.replace("from orcheo.graph.builder import build_graph\n", ""), namespace)
    return spec.document_from_data(namespace["greeting_config"]()).graph.ir.model_dump()


def test_a_built_config_imports_as_the_document_of_the_same_json() -> None:
    wf = Workflow.from_script(GRAPH_CONFIG, "greeting")
    assert wf.document.graph.format == "frozen-ir"
    assert wf.ir.model_dump() == legacy_ir()
    big = wf.run({"name": "Grace", "n": 5})
    assert big.status == "succeeded", big.error
    assert big.results["greet"] == {"text": "hi Grace"} and big.results["big"] == {"size": "big"}
    small = wf.run({"name": "Al", "n": 1})
    assert "big" not in small.results


def test_the_restricted_import_gives_the_same_document() -> None:
    doc = asyncio.run(import_script(GRAPH_CONFIG, "greeting"))
    assert doc.graph.format == "frozen-ir"
    assert doc.graph.ir.model_dump() == legacy_ir()  # type: ignore[union-attr]


def test_an_entrypoint_returning_the_config_is_built() -> None:
    wf = Workflow.from_script(CONFIG_ONLY, "greeting", entrypoint="greeting_config")
    assert wf.ir.model_dump() == legacy_ir()


def test_an_imported_builder_is_not_taken_for_the_scripts_build_graph() -> None:
    # Upstream's quickstart imports build_graph and defines no graph of its own.
    with pytest.raises(DocumentError) as caught:
        Workflow.from_script(CONFIG_ONLY, "greeting")
    assert [p.message for p in caught.value.problems] == [
        "script defines 0 graphs; define orcheo_workflow() or name an entrypoint"
    ]


def test_a_built_graph_changed_afterwards_stays_a_script_and_runs() -> None:
    wf = Workflow.from_script(CHANGED_AFTER, "more", entrypoint="build_more")
    doc = wf.document
    assert doc.graph.format == "langgraph-script"
    assert "extra" in doc.graph.index.nodes  # type: ignore[union-attr]
    result = wf.run({"name": "Ada", "n": 9})
    assert result.status == "succeeded", result.error
    assert result.results["extra"] == {"seen": True}
    assert result.results["big"] == {"size": "big"}


def test_a_bad_config_names_the_problem() -> None:
    bad = GRAPH_CONFIG.replace(
        '"type": "SetVariableNode",\n                "variables"',
        ('"type": "SetVariableNode",\n                "variabels"'),
        1,
    )
    with pytest.raises(DocumentError) as caught:
        Workflow.from_script(bad, "bad")
    assert json.dumps([str(p) for p in caught.value.problems]).count("variabels") == 1
