"""Validation node: check data against a JSON Schema and report each problem."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import Field, field_validator

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.schema_checks import check_schema, describe, schema_errors


@register(
    category="data",
    icon="shield-check",
    output="{valid: bool, errors: [{path, message}], data}",
)
class SchemaValidationNode(BaseNode):
    """Check data against a JSON Schema; report the problems or stop the run."""

    data: Any = Field(None, title="Data", description="Value to check, usually a {{template}}.")
    json_schema: dict[str, Any] = Field(
        title="JSON Schema", description="The schema the data must match."
    )
    fail_on_invalid: bool = Field(
        False, title="Fail when invalid", description="Stop the run instead of reporting."
    )

    @field_validator("json_schema")
    @classmethod
    def _valid_schema(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_schema(value)

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        errors = schema_errors(self.json_schema, self.data, "data")
        if errors and self.fail_on_invalid:
            raise NodeError("data", f"does not match the schema: {describe(errors)}")
        return {"valid": not errors, "errors": errors, "data": self.data}
