"""Which graph a script defines, found as upstream Orcheo finds it.

Besides ``orcheo_workflow`` and ``build_graph``: a graph value, or a function of the
script annotated to return a StateGraph and callable without arguments, sync or
async. Both the local and the restricted import find the same one.
"""

from __future__ import annotations

import asyncio

import pytest

from orcheo_jupyter.ingest.script import import_script
from orcheo_jupyter.spec.problems import DocumentError
from orcheo_jupyter.workflow import Workflow
from tests.compat.scripts import ANNOTATED, PLAIN_DICT

TWO_BUILDERS = (
    ANNOTATED
    + """

def other_pipeline() -> StateGraph:
    return make_counter(2)
"""
)

GRAPH_VALUES = (
    (
        PLAIN_DICT.split('\n\nif __name__ == "__main__":')[0]
        + """

orcheo_workflow = build_graph()
spare = build_graph()
"""
    )
    .replace("def build_graph():", "def make_graph():")
    .replace("= build_graph()", "= make_graph()")
)


def test_an_annotated_async_builder_is_the_workflow() -> None:
    wf = Workflow.from_script(ANNOTATED, "counter")
    assert wf.document.graph.index.nodes == ["count"]  # type: ignore[union-attr]
    assert wf.run({"items": [1, 2, 3]}).state == {"count": 3}


def test_the_restricted_import_finds_the_same_builder() -> None:
    doc = asyncio.run(import_script(ANNOTATED, "counter"))
    assert doc.graph.index.nodes == ["count"]  # type: ignore[union-attr]
    assert Workflow.from_document(doc).run({"items": [7]}).state == {"count": 1}


def test_two_builders_are_named_in_the_refusal() -> None:
    with pytest.raises(DocumentError) as caught:
        Workflow.from_script(TWO_BUILDERS, "counter")
    assert [p.message for p in caught.value.problems] == [
        "script defines 2 graphs (counting_pipeline, other_pipeline); "
        "define orcheo_workflow() or name an entrypoint"
    ]


def test_orcheo_workflow_may_be_the_graph_itself() -> None:
    wf = Workflow.from_script(GRAPH_VALUES, "greet")
    assert wf.document.graph.index.nodes == ["say_hello", "make_loud"]  # type: ignore[union-attr]
    assert wf.run({"name": "Ada"}).state == {"shout": "HELLO ADA!"}
