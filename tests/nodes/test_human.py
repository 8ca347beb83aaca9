"""HumanInputNode: interrupt, resume, validation of the answer on resume."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from orcheo_jupyter.nodes.library.human import HumanInputNode
from orcheo_jupyter.runtime.executor import Executor

from .helpers import chain_doc, node, results, run

SCHEMA = {
    "type": "object",
    "properties": {"approved": {"type": "boolean"}, "amount": {"type": "integer", "minimum": 1}},
    "required": ["approved"],
}


def _doc(**config: Any) -> dict[str, Any]:
    return chain_doc(
        node(
            "ask",
            "HumanInputNode",
            prompt="Approve order {{inputs.order}}?",
            answer_schema=SCHEMA,
            **config,
        ),
        node("after", "SetVariableNode", variables={"approved": "{{ask.answer.approved}}"}),
    )


async def _resume(executor: Executor, run_id: str, value: Any) -> Any:
    await executor.resume(run_id, value)
    return await executor.wait(run_id)


@pytest.mark.asyncio
async def test_interrupt_then_valid_answer_continues(executor: Executor) -> None:
    record = await run(executor, _doc(), {"order": 17})
    assert record.status == "interrupted"
    assert record.interrupt is not None and len(record.interrupt) == 1
    assert record.interrupt[0]["value"] == {
        "type": "human_input",
        "node": "ask",
        "prompt": "Approve order 17?",
        "schema": SCHEMA,
        "attempt": 1,
        "error": None,
        "problems": [],
    }
    done = await _resume(executor, record.id, {"approved": True, "amount": 3})
    out = results(done)
    assert out["ask"] == {"answer": {"approved": True, "amount": 3}, "attempts": 1}
    assert out["after"] == {"approved": True}


@pytest.mark.asyncio
async def test_invalid_answer_asks_again_naming_the_field(executor: Executor) -> None:
    record = await run(executor, _doc(), {"order": 17})
    again = await _resume(executor, record.id, {"approved": "yes", "amount": 0})
    assert again.status == "interrupted"
    payload = again.interrupt[0]["value"]
    assert payload["attempt"] == 2
    assert payload["error"] == (
        "answer.amount: 0 is less than the minimum of 1; "
        "answer.approved: 'yes' is not of type 'boolean'"
    )
    assert payload["problems"] == [
        {"path": "answer.amount", "message": "0 is less than the minimum of 1"},
        {"path": "answer.approved", "message": "'yes' is not of type 'boolean'"},
    ]
    done = await _resume(executor, record.id, {"approved": False})
    assert results(done)["ask"] == {"answer": {"approved": False}, "attempts": 2}


@pytest.mark.asyncio
async def test_too_many_invalid_answers_fail_the_run(executor: Executor) -> None:
    record = await run(executor, _doc(max_attempts=2), {"order": 1})
    second = await _resume(executor, record.id, {"amount": 5})
    assert second.status == "interrupted"
    failed = await _resume(executor, record.id, {"approved": 1})
    assert failed.status == "failed"
    assert failed.error == (
        "node 'ask' failed: NodeError: answer: no valid answer after 2 attempt(s): "
        "answer.approved: 1 is not of type 'boolean'"
    )


@pytest.mark.asyncio
async def test_without_schema_any_answer_is_taken(executor: Executor) -> None:
    doc = chain_doc(node("ask", "HumanInputNode", prompt="Anything?"))
    record = await run(executor, doc)
    done = await _resume(executor, record.id, "whatever")
    assert results(done)["ask"] == {"answer": "whatever", "attempts": 1}


def test_answer_schema_is_checked_before_running() -> None:
    with pytest.raises(ValidationError) as err:
        HumanInputNode.model_validate({"prompt": "x", "answer_schema": {"type": "bool"}})
    assert err.value.errors()[0]["loc"] == ("answer_schema",)
    assert "not a valid JSON Schema" in str(err.value)
    # Orcheo's name for the schema is accepted too.
    legacy = HumanInputNode.model_validate({"prompt": "x", "expected": {"type": "string"}})
    assert legacy.answer_schema == {"type": "string"}
