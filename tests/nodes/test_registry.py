"""The catalog: every node type with metadata and a form-ready JSON Schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest

from orcheo_jupyter.nodes import registry
from orcheo_jupyter.nodes.docs import builtin_specs, main, render_markdown
from orcheo_jupyter.spec.models import BuiltinNode

DOCS = Path(__file__).parents[2] / "docs" / "nodes.md"

EXPECTED = {
    "AgentNode", "ChatModelNode", "CronTriggerNode", "DataTransformNode", "DateTimeNode",
    "DebugNode", "DelayNode", "FailNode", "FilterNode", "ForEachNode", "ForLoopNode",
    "HttpPollingTriggerNode", "HttpRequestNode", "HumanInputNode", "IfElseNode",
    "JsonProcessingNode", "ManualTriggerNode", "MergeNode", "SchemaValidationNode",
    "SetVariableNode", "SortNode", "SubWorkflowNode", "SwitchNode", "TemplateNode",
    "TextProcessingNode", "WebhookTriggerNode", "WhileNode",
    # storage and utility
    "NoOpTaskNode", "PostgresNode", "SQLiteNode",
    # web and communication
    "EmailNode", "RSSNode", "WebDocumentLoaderNode",
    # retrieval
    "ChunkEmbeddingNode", "ChunkingStrategyNode", "CitationsFormatterNode",
    "ContextCompressorNode", "DenseSearchNode", "DocumentLoaderNode", "GroundedGeneratorNode",
    "HallucinationGuardNode", "HybridFusionNode", "MetadataExtractorNode", "QueryRewriteNode",
    "ReRankerNode", "SearchResultFormatterNode", "SparseSearchNode", "TextEmbeddingNode",
    "VectorStoreUpsertNode", "IncrementalIndexerNode", "WebSearchNode", "PineconeRerankNode",
    # evaluation
    "AnswerQualityEvaluationNode", "BleuMetricsNode", "DatasetNode", "LLMJudgeNode",
    "RetrievalEvaluationNode", "RougeMetricsNode", "SemanticSimilarityMetricsNode",
    "TokenF1MetricsNode", "QReCCDatasetNode", "MultiDoc2DialDatasetNode",
    "MultiDoc2DialCorpusLoaderNode", "ConversationalBatchEvalNode", "AnalyticsExportNode",
    # communication
    "DiscordWebhookNode",
    # conversation
    "ConversationStateNode", "SessionManagementNode", "MemorySummarizerNode",
    "AnswerCachingNode", "TopicShiftDetectorNode", "QueryClarificationNode",
    "CoreferenceResolverNode", "QueryClassifierNode", "PolicyComplianceNode",
    "MemoryPrivacyNode", "TurnAnnotationNode", "MultiHopPlannerNode", "SourceRouterNode",
    "StreamingGeneratorNode", "UserFeedbackCollectionNode", "FeedbackIngestionNode",
    "DataAugmentationNode", "FailureAnalysisNode", "ABTestingNode", "SearchResultAdapterNode",
}  # fmt: skip


def test_catalog_has_every_builtin_node_with_metadata() -> None:
    builtin = {s.type for s in builtin_specs()}
    assert builtin == EXPECTED
    assert len(builtin) >= 25
    for entry in registry.catalog():
        assert entry["category"] and entry["description"] and entry["icon"]
        assert isinstance(entry["trigger"], bool)
        schema = entry["config_schema"]
        jsonschema.Draft202012Validator.check_schema(schema)
        assert schema["type"] == "object" and schema["title"]
        for name, prop in schema.get("properties", {}).items():
            assert prop.get("title"), (entry["type"], name)


def test_schemas_carry_what_a_form_needs() -> None:
    http = registry.get("HttpRequestNode").config_schema()
    method = http["properties"]["method"]
    assert method["enum"] == ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]
    assert method["default"] == "GET" and method["title"] == "Method"
    assert http["required"] == ["url"]
    assert http["properties"]["url"]["description"] == "Absolute http(s) URL."
    ifelse = registry.get("IfElseNode").config_schema()
    condition = ifelse["$defs"]["Condition"]
    assert "is_truthy" in condition["properties"]["operator"]["enum"]
    assert condition["properties"]["case_sensitive"]["default"] is True
    assert registry.get("TemplateNode").config_schema()["properties"]["template"]["format"] == (
        "textarea"
    )


def _problems(type_: str, config: dict[str, object]) -> list[str]:
    node = BuiltinNode(id="n", type=type_, config=config)
    return [f"{p.field}: {p.message}" for p in registry.check_node(node)]


def test_config_errors_are_found_at_validation_time() -> None:
    assert _problems("HttpRequestNode", {"url": "http://x.org", "timeout": 0}) == [
        "config.timeout: Input should be greater than 0"
    ]
    assert _problems("SwitchNode", {"cases": [{"match": 1, "colour": "red"}]}) == [
        "config.cases[0].colour: unknown key (not part of the document format)"
    ]
    # Templates are only known at run time...
    assert _problems("DelayNode", {"duration_seconds": "{{inputs.wait}}"}) == []
    # ...except in deferred fields, which the runtime hands to the node verbatim.
    assert _problems("TemplateNode", {"template": "{{ unclosed"}) == [
        "config.template: Value error, template syntax error on line 1: unexpected end of "
        "template, expected 'end of print statement'."
    ]
    assert _problems("NoSuchNode", {}) == ["type: unknown node type 'NoSuchNode'"]


@pytest.mark.asyncio
async def test_runtime_config_errors_name_node_and_field(executor: object) -> None:
    from orcheo_jupyter.runtime.executor import Executor

    from .helpers import chain_doc, node, run

    assert isinstance(executor, Executor)
    doc = chain_doc(node("wait", "DelayNode", duration_seconds="{{inputs.wait}}"))
    record = await run(executor, doc, {"wait": "soon"})
    assert record.status == "failed"
    assert record.error == (
        "node 'wait' failed: config.duration_seconds: Input should be a valid number, "
        "unable to parse string as a number"
    )


def test_cli_prints_the_catalog(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "nodes", "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "ORCHEO_DATA_DIR": str(tmp_path)},
        check=True,
    )
    entries = json.loads(proc.stdout)
    assert {e["type"] for e in entries} >= EXPECTED
    assert all(
        set(e) == {"type", "category", "description", "trigger", "config_schema"} for e in entries
    )
    cron = next(e for e in entries if e["type"] == "CronTriggerNode")
    assert cron["trigger"] is True and cron["category"] == "triggers"


def test_docs_are_generated_from_the_catalog() -> None:
    text = render_markdown()
    assert DOCS.read_text(encoding="utf-8") == text, (
        "docs/nodes.md is stale: run python -m orcheo_jupyter.nodes.docs --write docs/nodes.md"
    )
    for type_ in EXPECTED:
        assert f"### {type_}\n" in text
    assert "| `url` | string | **required** | Absolute http(s) URL. |" in text
    assert main(["--check", str(DOCS)]) == 0


def test_docs_check_detects_staleness(tmp_path: Path) -> None:
    stale = tmp_path / "nodes.md"
    stale.write_text("# old\n")
    assert main(["--check", str(stale)]) == 1
    assert main(["--write", str(stale)]) == 0
    assert main(["--check", str(stale)]) == 0
