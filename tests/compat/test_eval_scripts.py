"""Upstream's evaluation scripts: a pipeline graph given to ConversationalBatchEvalNode
is stored as the node's frozen-ir config and runs per turn."""

from __future__ import annotations

import pytest

from orcheo_jupyter.spec.problems import DocumentError
from orcheo_jupyter.workflow import Workflow

BATCH = """\
from langgraph.graph import END, StateGraph
from orcheo.graph.state import State
from orcheo.nodes.evaluation.analytics import AnalyticsExportNode
from orcheo.nodes.evaluation.batch import ConversationalBatchEvalNode
from orcheo.nodes.evaluation.datasets import QReCCDatasetNode
from orcheo.nodes.evaluation.metrics import TokenF1MetricsNode
from orcheo.nodes.data import SetVariableNode


def pipeline():
    graph = StateGraph(State)
    graph.add_node("echo", {step})
    graph.set_entry_point("echo")
    graph.add_edge("echo", END)
    return graph


def orcheo_workflow():
    graph = StateGraph(State)
    graph.add_node("dataset", QReCCDatasetNode(name="dataset"))
    graph.add_node("batch_eval", ConversationalBatchEvalNode(
        name="batch_eval", prediction_field="query", pipeline=pipeline(),
    ))
    graph.add_node("f1", TokenF1MetricsNode(name="f1"))
    graph.add_node("report", AnalyticsExportNode(
        name="report", dataset_name="qrecc", metric_node_names=["f1"],
    ))
    graph.set_entry_point("dataset")
    graph.add_edge("dataset", "batch_eval")
    graph.add_edge("batch_eval", "f1")
    graph.add_edge("f1", "report")
    graph.add_edge("report", END)
    return graph
"""

NODE_STEP = 'SetVariableNode(name="echo", variables={"query": "{{inputs.message}}"})'


def test_a_pipeline_graph_is_stored_as_frozen_ir_and_scores_each_turn() -> None:
    wf = Workflow.from_script(BATCH.format(step=NODE_STEP), "qrecc")
    batch = next(n for n in wf.ir.nodes if n.id == "batch_eval")
    assert [n["id"] for n in batch.config["pipeline"]["nodes"]] == ["echo"]
    data = [
        {"Conversation_no": 1, "Turn_no": 1, "Question": "what is tea", "Rewrite": "what is tea"},
        {"Conversation_no": 1, "Turn_no": 2, "Question": "where", "Rewrite": "where is tea grown"},
    ]
    result = wf.run({"qrecc_data": data})
    assert result.status == "succeeded", result.error
    report = result.state["results"]["report"]["report"]
    assert report["metrics"] == {"token_f1": 0.7}
    assert report["per_conversation"] == {"1": {"token_f1": 0.7}}


def test_a_pipeline_of_code_is_refused_naming_why() -> None:
    with pytest.raises(DocumentError) as caught:
        Workflow.from_script(BATCH.format(step="lambda state: {}"), "qrecc")
    assert (
        "a graph given to a node must be made of node classes only (here node 'echo' is "
        "code (partial), not a node class)"
    ) in str(caught.value)
