"""Upstream Orcheo's production helpers: redaction, annotation, hop plans, routing by
source, and the streaming generator (LangChain's fake streaming chat model)."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from orcheo_jupyter.nodes.base import NodeError
from orcheo_jupyter.runtime.services import RuntimeServices

from .helpers import run_node


def turn(role: str, content: str) -> dict[str, Any]:
    return {"role": role, "content": content, "metadata": {}}


@pytest.mark.asyncio
async def test_policy_compliance_flags_and_redacts() -> None:
    text = "My Password is x, SSN 123-45-6789, mail ada@example.org"
    out = await run_node("PolicyComplianceNode", {}, {"inputs": {"content": text}})
    assert out["compliant"] is False
    assert out["violations"] == [
        "blocked_term:password",
        "blocked_term:ssn",
        "pii:ssn_pattern",
        "pii:email",
    ]
    assert out["sanitized"] == (
        "My [REDACTED_TERM] is x, [REDACTED_TERM] [REDACTED_SSN], mail [REDACTED_EMAIL]"
    )
    [audit] = out["audit_log"]
    assert (audit["original_length"], audit["sanitized_length"]) == (len(text), 78)
    clean = await run_node(
        "PolicyComplianceNode", {"blocked_terms": []}, {"inputs": {"content": "hi"}}
    )
    assert (clean["compliant"], clean["sanitized"]) == (True, "hi")


@pytest.mark.asyncio
async def test_memory_privacy_redacts_and_keeps_the_last_turns() -> None:
    history = [turn("user", "call 0612345678"), turn("assistant", "ok"), turn("user", "a@b.io")]
    out = await run_node(
        "MemoryPrivacyNode", {"retention_count": 2}, {"inputs": {"conversation_history": history}}
    )
    assert out == {
        "sanitized_history": [turn("assistant", "ok"), turn("user", "[REDACTED_EMAIL]")],
        "redaction_count": 2,
        "truncated": True,
    }
    notes = await run_node(
        "TurnAnnotationNode", {}, {"inputs": {"conversation_history": history[:2]}}
    )
    assert notes["annotations"][0] == {
        "role": "user",
        "content": "call 0612345678",
        "is_question": False,
        "sentiment": "neutral",
    }


@pytest.mark.asyncio
async def test_hops_and_source_routing() -> None:
    plan = await run_node(
        "MultiHopPlannerNode",
        {"max_hops": 2},
        {"inputs": {"message": "who wrote Dune and when and where"}},
    )
    assert plan == {
        "plan": [
            {"id": "hop-1", "query": "who wrote Dune", "depends_on": None},
            {"id": "hop-2", "query": "when", "depends_on": "hop-1"},
        ],
        "hop_count": 2,
    }
    found = {
        "results": [
            {"id": "a", "score": 0.9, "source": "docs"},
            {"id": "b", "score": 0.1, "source": "docs"},
            {"id": "c", "score": 0.5},
        ]
    }
    routed = await run_node(
        "SourceRouterNode",
        {"source_result_key": "search", "min_score": 0.2},
        {"results": {"search": found}},
    )
    assert routed == {
        "routed": {
            "docs": [{"id": "a", "score": 0.9, "source": "docs"}],
            "unknown": [{"id": "c", "score": 0.5}],
        }
    }
    with pytest.raises(NodeError, match=r"source_result_key: results\.nope holds no list"):
        await run_node("SourceRouterNode", {"source_result_key": "nope"})


@pytest.mark.asyncio
async def test_streaming_generator_frames_the_answer_and_emits_each_frame() -> None:
    answer = "Green tea is steeped at eighty degrees for two minutes only"
    model = GenericFakeChatModel(messages=iter([AIMessage(answer)]))
    events: list[tuple[str, dict[str, Any]]] = []
    out = await run_node(
        "StreamingGeneratorNode",
        {"ai_model": "fake:stream", "chunk_size": 4, "buffer_limit": 10},
        {"inputs": {"prompt": "How to steep tea?", "history": [turn("user", "hi")]}},
        services=RuntimeServices(chat_models={"fake:stream": model}),
        events=events,
    )
    assert out["reply"] == answer
    assert out["frames"] == [
        {"index": 0, "chunk": "Green tea is steeped", "size": 4},
        {"index": 1, "chunk": "at eighty degrees for", "size": 4},
        {"index": 2, "chunk": "two minutes", "size": 2},
    ]
    assert (out["token_count"], out["truncated"]) == (10, True)
    assert out["stream"][9] == {"index": 9, "token": "minutes"}
    assert [e[1]["message"] for e in events] == [f["chunk"] for f in out["frames"]]
    with pytest.raises(NodeError, match="ai_model: not set: a streaming generator needs"):
        await run_node("StreamingGeneratorNode", {}, {"inputs": {"prompt": "x"}})


@pytest.mark.asyncio
async def test_search_result_adapter_reads_each_field_at_its_path() -> None:
    rows = {
        "results": [
            {"id": 7, "score": "0.5", "raw": {"reason": "cosy", "city": "Oslo"}},
            None,
            {"id": "b", "score": "high", "raw": "not a mapping", "sources": "db"},
        ]
    }
    out = await run_node(
        "SearchResultAdapterNode",
        {
            "source_result_key": "hybrid_search",
            "text_field": "raw.reason",
            "metadata_field": "raw",
            "source_name": "mongodb",
            "default_score": 0.1,
        },
        {"results": {"hybrid_search": rows}},
    )
    assert out == {
        "results": [
            {
                "id": "7",
                "score": 0.5,
                "text": "cosy",
                "metadata": {"reason": "cosy", "city": "Oslo"},
                "source": "mongodb",
                "sources": ["mongodb"],
            },
            {
                "id": "b",
                "score": 0.1,
                "text": "",
                "metadata": {},
                "source": "mongodb",
                "sources": ["db"],
            },
        ]
    }
    empty = await run_node("SearchResultAdapterNode", {}, {"results": {}})
    assert empty == {"results": []}
