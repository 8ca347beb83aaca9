"""HumanInputNode: pause the run until a person answers, and check the answer.

The node calls LangGraph's ``interrupt`` with its prompt and the JSON Schema the
answer must match; the run is then ``interrupted`` until ``Executor.resume``.
An answer that does not match asks again, with the problem in the new
interrupt's ``error``; after ``max_attempts`` invalid answers the node fails,
naming the field that was wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from langgraph.types import interrupt
from pydantic import AliasChoices, Field, field_validator

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.schema_checks import check_schema, describe, schema_errors


@register(
    category="human",
    icon="user-round-pen",
    output="{answer, attempts}; interrupts with {type: 'human_input', node, prompt, schema, "
    "attempt, error}",
)
class HumanInputNode(BaseNode):
    """Ask a person for input; the answer is validated against a JSON Schema on resume."""

    prompt: str = Field(
        min_length=1,
        title="Prompt",
        description="What to ask; may use {{templates}}.",
        json_schema_extra={"format": "textarea"},
    )
    answer_schema: dict[str, Any] = Field(
        default_factory=dict,
        validation_alias=AliasChoices("answer_schema", "expected"),
        title="Answer schema",
        description="JSON Schema the answer must match (empty: anything). Also drives the "
        "answer form.",
    )
    max_attempts: int = Field(
        3, ge=1, le=20, title="Attempts", description="Invalid answers allowed before failing."
    )

    @field_validator("answer_schema")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_schema(value)

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        error: str | None = None
        problems: list[dict[str, str]] = []
        for attempt in range(1, self.max_attempts + 1):
            # On resume LangGraph re-runs the node; each interrupt() call returns the
            # answer given to it, so earlier invalid answers replay in order.
            answer = interrupt(
                {
                    "type": "human_input",
                    "node": ctx.node_id,
                    "prompt": self.prompt,
                    "schema": self.answer_schema,
                    "attempt": attempt,
                    "error": error,
                    "problems": problems,
                }
            )
            problems = schema_errors(self.answer_schema, answer, "answer")
            if not problems:
                return {"answer": answer, "attempts": attempt}
            error = describe(problems)
        raise NodeError("answer", f"no valid answer after {self.max_attempts} attempt(s): {error}")
