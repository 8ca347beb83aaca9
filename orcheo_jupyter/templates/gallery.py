"""The templates themselves, as plain workflow documents."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Template:
    name: str
    title: str
    description: str
    tags: tuple[str, ...]
    build: Callable[[], dict[str, Any]]


def _node(node_id: str, type_: str, **config: Any) -> dict[str, Any]:
    return {"kind": "builtin", "id": node_id, "type": type_, "config": config}


def _doc(
    nodes: list[dict[str, Any]],
    inputs: dict[str, Any],
    edges: list[tuple[str, str]] | None = None,
    conditional: list[dict[str, Any]] | None = None,
    required: list[str] | None = None,
) -> dict[str, Any]:
    if edges is None:
        chain = ["__start__", *(n["id"] for n in nodes), "__end__"]
        edges = list(itertools.pairwise(chain))
    schema: dict[str, Any] = {"type": "object", "properties": inputs}
    if required:
        schema["required"] = required
    return {
        "name": "template",
        "inputs_schema": schema,
        "graph": {
            "format": "frozen-ir",
            "ir": {
                "entrypoint": nodes[0]["id"],
                "nodes": nodes,
                "edges": [{"source": a, "target": b} for a, b in edges],
                "conditional_edges": conditional or [],
            },
        },
    }


def _if_else(source: str, if_true: str, if_false: str) -> dict[str, Any]:
    """The conditional edge after IfElseNode ``source``: it routes on the node's ``condition``."""
    mapping = {"true": if_true, "false": if_false}
    return {"source": source, "path": f"results.{source}.condition", "mapping": mapping}


def _text(default: str, title: str) -> dict[str, Any]:
    return {"type": "string", "default": default, "title": title}


def webhook_transform_http() -> dict[str, Any]:
    return _doc(
        [
            _node("webhook", "WebhookTriggerNode", allowed_methods=["POST"]),
            _node(
                "transform",
                "DataTransformNode",
                input_data="{{inputs.body}}",
                transforms=[
                    {"source": "customer.email", "target": "email", "transform": "lower"},
                    {"source": "customer.name", "target": "name", "transform": "title"},
                    {"source": "items", "target": "item_count", "transform": "length"},
                ],
            ),
            _node(
                "forward",
                "HttpRequestNode",
                method="POST",
                url="{{inputs.target_url}}",
                json_body="{{transform.result}}",
                raise_for_status=True,
                retries=2,
            ),
        ],
        {
            "target_url": _text("http://127.0.0.1:8000/orders", "Where to send it"),
            "body": {"type": "object", "title": "Webhook body", "default": {}},
        },
    )


def rss_email_digest() -> dict[str, Any]:
    return _doc(
        [
            _node("schedule", "CronTriggerNode", expression="0 7 * * *", timezone="UTC"),
            _node("feed", "RSSNode", sources="{{inputs.feeds}}", max_items=10),
            _node(
                "digest",
                "TemplateNode",
                template=(
                    "{% for d in feed.documents %}- {{ d.title }} ({{ d.link }})\n{% endfor %}"
                    "{% if not feed.documents %}No new entries today.\n{% endif %}"
                ),
                variables={"feed": "{{feed}}"},
            ),
            _node(
                "mail",
                "EmailNode",
                smtp_host="{{inputs.smtp_host}}",
                smtp_port="{{inputs.smtp_port}}",
                use_tls="{{inputs.starttls}}",
                from_address="{{inputs.from_address}}",
                to_addresses="{{inputs.to}}",
                subject="Daily digest: {{feed.fetched_count}} entries",
                body="{{digest.text}}",
            ),
        ],
        {
            "feeds": {
                "type": "array",
                "items": {"type": "string"},
                "title": "Feed URLs",
                "default": ["http://127.0.0.1:8000/feed.xml"],
            },
            "smtp_host": _text("localhost", "SMTP host"),
            "smtp_port": {"type": "integer", "default": 25, "title": "SMTP port"},
            "starttls": {"type": "boolean", "default": False, "title": "STARTTLS"},
            "from_address": _text("digest@example.org", "From"),
            "to": _text("me@example.org", "To"),
        },
    )


def _index_nodes(collection: str) -> list[dict[str, Any]]:
    return [
        _node(
            "document_loader",
            "DocumentLoaderNode",
            root="{{inputs.docs_root}}",
            extensions=["md", "txt", "html"],
        ),
        _node(
            "chunking_strategy",
            "ChunkingStrategyNode",
            strategy="markdown",
            chunk_size=600,
            chunk_overlap=60,
        ),
        _node("chunk_embedding", "ChunkEmbeddingNode"),
        _node(
            "index",
            "VectorStoreUpsertNode",
            vector_store={"collection": collection},
            replace_collection=True,
        ),
    ]


def _answer_nodes(collection: str) -> list[dict[str, Any]]:
    store = {"collection": collection}
    return [
        _node("dense", "DenseSearchNode", vector_store=store, top_k=6),
        _node("sparse", "SparseSearchNode", vector_store=store, top_k=6),
        _node(
            "retriever",
            "HybridFusionNode",
            result_sets={"dense": "{{dense}}", "sparse": "{{sparse}}"},
            top_k=5,
        ),
        _node("grounded_generator", "GroundedGeneratorNode", max_sentences=3),
        _node("citations", "CitationsFormatterNode"),
    ]


def rag_folder() -> dict[str, Any]:
    return _doc(
        _index_nodes("docs") + _answer_nodes("docs"),
        {
            "docs_root": _text("docs", "Folder of documents"),
            "message": _text("How do I run a workflow?", "Question"),
        },
    )


def rag_evaluation() -> dict[str, Any]:
    doc = _doc(
        [
            *_answer_nodes("docs"),
            _node(
                "answer_f1",
                "TokenF1MetricsNode",
                predictions="{{grounded_generator.reply}}",
                references="{{inputs.answer}}",
            ),
            _node(
                "answer_rouge",
                "RougeMetricsNode",
                predictions="{{grounded_generator.reply}}",
                references="{{inputs.answer}}",
                variant="rougeL",
            ),
            _node(
                "retrieval",
                "RetrievalEvaluationNode",
                results="{{retriever.results}}",
                relevant_ids="{{inputs.relevant_ids}}",
                id_field="metadata.document_id",
                k=5,
            ),
        ],
        {
            "message": _text("", "Question"),
            "answer": _text("", "Reference answer"),
            "relevant_ids": {
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "title": "Relevant documents",
            },
        },
    )
    doc["description"] = (
        "Scores the rag-folder template's answers (token F1, ROUGE-L) and retrieval "
        "(recall@k, MRR, nDCG) per case: run it with `evaluate` over a JSONL dataset "
        "after indexing with rag-folder."
    )
    return doc


def agent_mcp() -> dict[str, Any]:
    return _doc(
        [
            _node(
                "agent",
                "AgentNode",
                ai_model="{{inputs.model}}",
                system_prompt="Use the tools to answer precisely.",
                prompt="{{inputs.message}}",
                mcp_servers={
                    "tools": {
                        "transport": "stdio",
                        "command": "{{inputs.mcp_command}}",
                        "args": "{{inputs.mcp_args}}",
                    }
                },
                max_iterations=8,
            )
        ],
        {
            "model": _text("openai:gpt-4o-mini", "Chat model"),
            "message": _text("What tools do you have?", "Message"),
            "mcp_command": _text("python", "MCP server command"),
            "mcp_args": {
                "type": "array",
                "items": {"type": "string"},
                "default": ["my_mcp_server.py"],
                "title": "MCP server arguments",
            },
        },
    )


def approval() -> dict[str, Any]:
    return _doc(
        [
            _node("request", "ManualTriggerNode", label="request"),
            _node(
                "approval",
                "HumanInputNode",
                prompt="Approve {{inputs.request}} for {{inputs.amount}}?",
                answer_schema={
                    "type": "object",
                    "properties": {"approved": {"type": "boolean"}, "comment": {"type": "string"}},
                    "required": ["approved"],
                },
            ),
            _node(
                "decide",
                "IfElseNode",
                conditions=[{"left": "{{approval.answer.approved}}", "operator": "is_truthy"}],
            ),
            _node(
                "approved",
                "SetVariableNode",
                variables={"status": "approved", "comment": "{{approval.answer.comment}}"},
            ),
            _node(
                "rejected",
                "SetVariableNode",
                variables={"status": "rejected", "comment": "{{approval.answer.comment}}"},
            ),
        ],
        {
            "request": _text("a new laptop", "Request"),
            "amount": {"type": "number", "default": 1200, "title": "Amount"},
        },
        edges=[
            ("__start__", "request"),
            ("request", "approval"),
            ("approval", "decide"),
            ("approved", "__end__"),
            ("rejected", "__end__"),
        ],
        conditional=[_if_else("decide", "approved", "rejected")],
    )


def sql_report() -> dict[str, Any]:
    return _doc(
        [
            _node(
                "sales",
                "SQLiteNode",
                database="{{inputs.database}}",
                query=(
                    "SELECT region, count(*) AS orders, round(sum(total), 2) AS revenue "
                    "FROM orders WHERE placed >= :since GROUP BY region ORDER BY revenue DESC"
                ),
                parameters={"since": "{{inputs.since}}"},
                max_rows=100,
            ),
            _node(
                "report",
                "TemplateNode",
                template=(
                    "Sales since {{ since }}\n"
                    "{% for r in rows %}{{ r.region }}: {{ r.orders }} orders, "
                    "{{ r.revenue }}\n{% endfor %}"
                ),
                variables={"rows": "{{sales.rows}}", "since": "{{inputs.since}}"},
            ),
        ],
        {
            "database": _text("shop.sqlite", "Database (relative: the data dir)"),
            "since": _text("2026-01-01", "Since (ISO date)"),
        },
    )


_ITEMS_URL = "http://127.0.0.1:8000/items"


def poll_dedupe_webhook() -> dict[str, Any]:
    # The trigger polls a fixed URL (the services read it before any run); a run started
    # by hand fetches inputs.source_url, by default the same list.
    return _doc(
        [
            _node("poll", "HttpPollingTriggerNode", url=_ITEMS_URL, interval_seconds=300),
            _node("fetch", "HttpRequestNode", url="{{inputs.source_url}}", raise_for_status=True),
            _node(
                "setup",
                "SQLiteNode",
                database="{{inputs.database}}",
                # batch: NULL until the id is posted, then the number of the post that sent it.
                query="CREATE TABLE IF NOT EXISTS seen (id TEXT PRIMARY KEY, batch INTEGER)",
                fetch="none",
            ),
            _node(
                "remember",
                "ForEachNode",
                items="{{fetch.json}}",
                # One at a time, so new ids are stored (and later posted) in the list's order.
                max_concurrency=1,
                body={
                    "type": "SQLiteNode",
                    "config": {
                        "database": "{{inputs.database}}",
                        "query": "INSERT OR IGNORE INTO seen (id) VALUES (?)",
                        "parameters": ["{{item.id}}"],
                        "fetch": "none",
                    },
                },
            ),
            _node(
                "claim",
                "SQLiteNode",
                database="{{inputs.database}}",
                # One transaction: number the unposted ids as a new batch, then read that
                # batch in stored order (RETURNING would give them in no set order);
                # changes() is 0 when nothing was new, so an old batch is never re-read.
                statements=[
                    {
                        "query": "UPDATE seen SET batch = "
                        "(SELECT coalesce(max(batch), 0) + 1 FROM seen) WHERE batch IS NULL"
                    },
                    {
                        "query": "SELECT id FROM seen WHERE changes() > 0 AND "
                        "batch = (SELECT max(batch) FROM seen) ORDER BY rowid"
                    },
                ],
            ),
            _node(
                "any_new",
                "IfElseNode",
                conditions=[{"left": "{{claim.rowcount}}", "operator": "greater_than", "right": 0}],
            ),
            _node(
                "notify",
                "HttpRequestNode",
                method="POST",
                url="{{inputs.webhook_url}}",
                json_body={"new": "{{claim.rows}}"},
                raise_for_status=True,
            ),
            _node("nothing_new", "NoOpTaskNode"),
        ],
        {
            "source_url": _text(_ITEMS_URL, "Fetch this URL (a JSON list)"),
            "webhook_url": _text("http://127.0.0.1:8000/hook", "Call this webhook"),
            "database": _text("dedupe.sqlite", "Seen-ids database"),
        },
        edges=[
            ("__start__", "poll"),
            ("poll", "fetch"),
            ("fetch", "setup"),
            ("setup", "remember"),
            ("remember", "claim"),
            ("claim", "any_new"),
            ("notify", "__end__"),
            ("nothing_new", "__end__"),
        ],
        conditional=[_if_else("any_new", "notify", "nothing_new")],
    )


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in [
        Template(
            "webhook-transform-http",
            "Webhook → transform → HTTP call",
            "Receive a webhook, reshape its body, forward it to an API.",
            ("webhook", "http"),
            webhook_transform_http,
        ),
        Template(
            "rss-email-digest",
            "Cron → RSS → email digest",
            "Every morning, read feeds and mail a digest of their entries.",
            ("cron", "rss", "email"),
            rss_email_digest,
        ),
        Template(
            "rag-folder",
            "RAG over a folder of documents",
            "Index a folder (offline embeddings, vector store in the data dir) and "
            "answer a question with numbered citations.",
            ("rag",),
            rag_folder,
        ),
        Template(
            "rag-evaluation",
            "Evaluate the RAG template",
            "Answer and score each case of a dataset: token F1, ROUGE-L, recall@k, "
            "MRR, nDCG (use with evaluate).",
            ("rag", "evaluation"),
            rag_evaluation,
        ),
        Template(
            "agent-mcp",
            "Agent with an MCP tool",
            "A chat model that calls the tools of an MCP server (stdio).",
            ("ai", "mcp"),
            agent_mcp,
        ),
        Template(
            "approval",
            "Approval step",
            "Ask a person to approve (a human-input interrupt), then branch.",
            ("human", "logic"),
            approval,
        ),
        Template(
            "sql-report",
            "SQL report",
            "Aggregate a SQLite table with bound parameters and render a text report.",
            ("sql",),
            sql_report,
        ),
        Template(
            "poll-dedupe-webhook",
            "Polling → dedupe → webhook call",
            "Poll a JSON list (set the URL in the poll node), remember seen ids in SQLite, "
            "post only new ones.",
            ("polling", "sql", "http"),
            poll_dedupe_webhook,
        ),
    ]
}
