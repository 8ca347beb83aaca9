"""Conversation nodes with upstream Orcheo's names: session history and summaries in
a memory store (a SQLite file across runs, or the process), an answer cache, and the
heuristic query helpers. Offline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter.nodes.base import NodeError
from orcheo_jupyter.nodes.support import conversation_memory
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run, run_node


@pytest.fixture(autouse=True)
def fresh_memory() -> Iterator[None]:
    conversation_memory.forget_memory()
    yield
    conversation_memory.forget_memory()


def turn(role: str, content: str) -> dict[str, Any]:
    return {"role": role, "content": content, "metadata": {}}


@pytest.mark.asyncio
async def test_a_conversation_continues_across_runs_in_the_data_dir(
    executor: Executor, tmp_path: Path
) -> None:
    doc = chain_doc(
        node("conversation_state", "ConversationStateNode", max_turns=3),
        node("summary", "MemorySummarizerNode", max_summary_tokens=4),
    )
    first = results(
        await run(
            executor,
            doc,
            {"session_id": "s1", "user_message": " hi there ", "assistant_message": "Hello!"},
        )
    )
    assert first["conversation_state"] == {
        "session_id": "s1",
        "conversation_history": [turn("user", "hi there"), turn("assistant", "Hello!")],
        "turn_count": 2,
        "summary": None,
        "truncated": False,
    }
    assert first["summary"] == {
        "summary": "user: hi there | assistant: Hello!",
        "turns_summarized": 2,
        "ttl_seconds": 3600,
    }
    assert (tmp_path / "data" / "conversations.sqlite").exists()
    second = results(await run(executor, doc, {"session_id": "s1", "user_message": "tea?"}))
    state = second["conversation_state"]
    assert (
        state["conversation_history"]
        == [
            turn("user", "hi there"),
            turn("assistant", "Hello!"),
            turn("user", "tea?"),
        ][-3:]
    )
    assert state["truncated"] is True
    assert state["summary"] == "user: hi there | assistant: Hello!"
    other = results(await run(executor, doc, {"session_id": "s2", "user_message": "yo"}))
    assert other["conversation_state"]["conversation_history"] == [turn("user", "yo")]
    record = await run(executor, doc, {"user_message": "no session"})
    assert "session_id_key: inputs.session_id should be a non-empty session id" in (
        record.error or ""
    )


@pytest.mark.asyncio
async def test_memory_store_limits_evict_the_stalest_session() -> None:
    store = {"type": "memory", "max_sessions": 2}
    for session in ("a", "b", "c"):
        await run_node(
            "ConversationStateNode",
            {"memory_store": store},
            {"inputs": {"session_id": session, "user_message": f"from {session}"}},
        )
    gone = await run_node(
        "ConversationStateNode", {"memory_store": store}, {"inputs": {"session_id": "a"}}
    )
    kept = await run_node(
        "ConversationStateNode", {"memory_store": store}, {"inputs": {"session_id": "c"}}
    )
    assert (gone["turn_count"], kept["conversation_history"]) == (0, [turn("user", "from c")])
    out = await run_node(
        "SessionManagementNode",
        {"memory_store": {"type": "memory"}, "max_turns": 2},
        {
            "inputs": {
                "session_id": "x",
                "turns": [turn("user", "1"), turn("assistant", "2"), turn("user", "3")],
            }
        },
    )
    assert out == {"history": [turn("assistant", "2"), turn("user", "3")], "turn_count": 2}
    with pytest.raises(NodeError, match=r"inputs\.turns\[0\]: a turn is \{role"):
        await run_node(
            "SessionManagementNode",
            {"memory_store": {"type": "memory"}},
            {"inputs": {"session_id": "x", "turns": [{"role": "bot", "content": "?"}]}},
        )


@pytest.mark.asyncio
async def test_answers_are_cached_by_normalised_query(executor: Executor) -> None:
    doc = chain_doc(
        node("check", "AnswerCachingNode", source_result_key="nothing"),
        node("answer", "SetVariableNode", variables={"reply": "Green tea, 80 degrees."}),
        node("store", "AnswerCachingNode", source_result_key="answer"),
    )
    first = results(await run(executor, doc, {"message": "How hot for tea?"}))
    assert first["check"] == {"cached": False, "reply": None}
    assert first["store"] == {"cached": False, "reply": "Green tea, 80 degrees."}
    again = results(await run(executor, doc, {"message": "  how HOT for tea?"}))
    assert again["check"] == {"cached": True, "reply": "Green tea, 80 degrees."}
    other_cache = chain_doc(node("check", "AnswerCachingNode", cache="other"))
    out = results(await run(executor, other_cache, {"message": "How hot for tea?"}))
    assert out["check"] == {"cached": False, "reply": None}


@pytest.mark.asyncio
async def test_query_helpers_classify_resolve_and_clarify() -> None:
    classify = [
        (await run_node("QueryClassifierNode", {}, {"inputs": {"message": m}}))["classification"]
        for m in ("What is tea?", "Can you clarify that?", "Thanks, bye")
    ]
    assert classify == ["search", "clarification", "finalization"]
    resolved = await run_node(
        "CoreferenceResolverNode",
        {},
        {
            "inputs": {
                "message": "Where is it grown?",
                "history": ["green tea", {"content": "oolong"}],
            }
        },
    )
    assert resolved == {"query": "Where is oolong grown?", "resolved": True, "antecedent": "oolong"}
    clarify = await run_node(
        "QueryClarificationNode", {}, {"inputs": {"message": "Is that tea or coffee?"}}
    )
    assert clarify == {
        "clarifications": [
            "What specific item are you referring to?",
            "Which option should I focus on first?",
        ],
        "needs_clarification": True,
        "context_hint": None,
    }
    history = {
        "conversation_history": [turn("user", "green tea brewing"), turn("assistant", "80 degrees")]
    }
    same = await run_node(
        "TopicShiftDetectorNode",
        {},
        {
            "inputs": {"message": "green tea brewing time"},
            "results": {"conversation_state": history},
        },
    )
    assert same == {"is_shift": False, "similarity": 0.5, "route": "continue", "reason": "aligned"}
    shift = await run_node(
        "TopicShiftDetectorNode",
        {},
        {"inputs": {"message": "car insurance"}, "results": {"conversation_state": history}},
    )
    assert (shift["is_shift"], shift["route"], shift["similarity"]) == (True, "clarify", 0.0)
