"""Data nodes: set variables, reshape objects, and process JSON."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.dotted_paths import MISSING, dig, put


def nest_dotted(flat: Mapping[str, Any]) -> dict[str, Any]:
    """``{"user.name": "Ada"}`` -> ``{"user": {"name": "Ada"}}``; later keys win."""
    out: dict[str, Any] = {}
    for key, value in flat.items():
        put(out, key.split("."), value)  # every dot splits: "a..b" keeps its empty key
    return out


@register(category="data", icon="variable", output="the variables, dotted names nested")
class SetVariableNode(BaseNode):
    """Set named values; dotted names become nested objects. Output: the variables."""

    variables: dict[str, Any] = Field(
        default_factory=dict,
        title="Variables",
        description="Name -> value. Values may be {{templates}}; 'a.b' nests as {'a': {'b': ...}}.",
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        return nest_dotted(self.variables)


def _apply(kind: str, value: Any, where: str) -> Any:
    """One value transform; a value that cannot be converted is an error naming it."""
    if kind == "identity":
        return value
    if kind == "string":
        if isinstance(value, str):
            return value
        if value is None:
            return ""
        return json.dumps(value) if isinstance(value, dict | list) else str(value)
    if kind in ("int", "float"):
        try:
            if kind == "float":
                return float(value.strip() if isinstance(value, str) else value)
            if isinstance(value, str):
                text = value.strip()
                return int(text) if text.lstrip("+-").isdigit() else int(float(text))
            return int(value)
        except (TypeError, ValueError, OverflowError):
            raise NodeError(where, f"cannot convert {value!r} to {kind}") from None
    if kind == "bool":
        if isinstance(value, str):
            lowered = value.strip().lower()
            if lowered in ("true", "yes", "1", "on"):
                return True
            if lowered in ("false", "no", "0", "off", ""):
                return False
            raise NodeError(where, f"cannot convert {value!r} to bool")
        return bool(value)
    if kind in ("lower", "upper", "title"):
        if not isinstance(value, str):
            raise NodeError(where, f"{kind} needs a string, got {type(value).__name__}")
        return getattr(value, kind)()
    if kind == "length":
        try:
            return len(value)
        except TypeError:
            raise NodeError(where, f"{type(value).__name__} has no length") from None
    raise NodeError(where, f"unknown transform {kind!r}")


class Transform(BaseModel):
    """Copy the value at ``source`` (in the input) to ``target`` (in the result)."""

    model_config = ConfigDict(extra="forbid")

    source: str = Field(
        min_length=1, title="Source", description="Dotted path in the input, e.g. user.tags.0."
    )
    target: str = Field(min_length=1, title="Target", description="Dotted path in the result.")
    default: Any = Field(None, title="Default", description="Used when the source is missing.")
    when_missing: Literal["default", "skip"] = Field(
        "default", title="When missing", description="Write the default, or leave target unset."
    )
    transform: Literal[
        "identity", "string", "int", "float", "bool", "lower", "upper", "title", "length"
    ] = Field("identity", title="Transform", description="Conversion applied to the value.")


@register(
    category="data", icon="shuffle", output="{result: {...}}: the object built by the transforms"
)
class DataTransformNode(BaseNode):
    """Build a new object from paths in the input, converting values on the way."""

    input_data: Any = Field(
        None, title="Input", description="The data to read from, usually a {{template}}."
    )
    transforms: list[Transform] = Field(default_factory=list, title="Transforms")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        result: dict[str, Any] = {}
        for i, step in enumerate(self.transforms):
            value = dig(self.input_data, step.source)
            if value is MISSING:
                if step.when_missing == "skip":
                    continue
                value = step.default
            else:
                value = _apply(step.transform, value, f"transforms[{i}]")
            put(result, step.target, value)
        return {"result": result}


@register(
    category="data",
    icon="braces",
    output="{result} (+ found: bool for extract)",
)
class JsonProcessingNode(BaseNode):
    """Parse JSON text, turn a value into JSON text, or extract a value by path."""

    operation: Literal["parse", "stringify", "extract"] = Field(
        "parse", title="Operation", description="parse text, stringify a value, or extract a path."
    )
    input_data: Any = Field(None, title="Input", description="Text (parse) or any value.")
    path: str | None = Field(
        None, title="Path", description="Dotted path for extract, e.g. items.0.id."
    )
    default: Any = Field(
        None, title="Default", description="Extract result when the path is missing."
    )
    indent: int | None = Field(2, ge=0, le=16, title="Indent", description="Stringify indent.")
    ensure_ascii: bool = Field(False, title="Escape non-ASCII", description="Stringify option.")
    sort_keys: bool = Field(False, title="Sort keys", description="Stringify option.")

    @model_validator(mode="after")
    def _needs_path(self) -> JsonProcessingNode:
        if self.operation == "extract" and not self.path:
            raise ValueError("path is required for the extract operation")
        return self

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        if self.operation == "parse":
            if not isinstance(self.input_data, str | bytes):
                return {"result": self.input_data}  # already parsed data passes through
            try:
                return {"result": json.loads(self.input_data)}
            except json.JSONDecodeError as exc:
                raise NodeError(
                    "input_data",
                    f"not valid JSON (line {exc.lineno} column {exc.colno}: {exc.msg})",
                ) from None
        if self.operation == "stringify":
            try:
                text = json.dumps(
                    self.input_data,
                    indent=self.indent,
                    ensure_ascii=self.ensure_ascii,
                    sort_keys=self.sort_keys,
                )
            except (TypeError, ValueError) as exc:
                raise NodeError("input_data", f"cannot be written as JSON: {exc}") from None
            return {"result": text}
        data = self.input_data
        if isinstance(data, str):
            with contextlib.suppress(json.JSONDecodeError):
                data = json.loads(data)  # a plain string stays one: paths find nothing
        found = dig(data, self.path or "")
        if found is MISSING:
            return {"result": self.default, "found": False}
        return {"result": found, "found": True}
