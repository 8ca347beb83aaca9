"""Text nodes: render a Jinja template, and everyday string operations."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Mapping
from typing import Any, Literal

import jinja2
from jinja2 import meta as jinja2meta
from jinja2.sandbox import SandboxedEnvironment
from pydantic import Field, ValidationError, field_validator, model_validator

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.dotted_paths import is_template


def _json_filter(value: Any, indent: int | None = None) -> str:
    return json.dumps(value, ensure_ascii=False, indent=indent, default=str)


class _DataEnvironment(SandboxedEnvironment):
    """Sandboxed (documents may come from anyone), and ``a.b`` on JSON data means the
    key ``b`` first, so ``inputs.items`` is the input named items, not ``dict.items``."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if isinstance(obj, Mapping) and attribute in obj:
            return obj[attribute]
        return super().getattr(obj, attribute)


def _environment(strict: bool) -> SandboxedEnvironment:
    env = _DataEnvironment(
        autoescape=False,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined if strict else jinja2.ChainableUndefined,
    )
    env.filters["json"] = _json_filter
    return env


_ENVS = {True: _environment(True), False: _environment(False)}


@register(category="data", icon="file-text", output="{text}: the rendered text")
class TemplateNode(BaseNode):
    """Render text with Jinja: loops, conditions and filters over the run's state.

    Names available: ``inputs``, ``results``, every other state key, each node's
    result by its id (``{{ fetch.json.title }}``), and ``variables``' keys.
    """

    deferred_fields = frozenset({"template"})

    template: str = Field(
        title="Template",
        description="Jinja text, e.g. 'Hi {{ inputs.name }}{% for t in tags %}{{ t }}{% endfor %}'",
        json_schema_extra={"format": "textarea"},
    )
    variables: dict[str, Any] = Field(
        default_factory=dict,
        title="Variables",
        description="Extra names for the template; values may be {{templates}}.",
    )
    strict: bool = Field(
        False, title="Strict", description="Fail on undefined names instead of rendering ''."
    )

    @field_validator("template")
    @classmethod
    def _parses(cls, value: str) -> str:
        try:
            _ENVS[False].parse(value)
        except jinja2.TemplateSyntaxError as exc:
            raise ValueError(f"template syntax error on line {exc.lineno}: {exc.message}") from None
        return value

    def _names(self, state: Mapping[str, Any]) -> dict[str, Any]:
        results = state.get("results") or {}
        return {**results, **state, **self.variables}

    def render(self, state: Mapping[str, Any]) -> str:
        """The text the node outputs on ``state`` (its run and the template preview)."""
        try:
            return _ENVS[self.strict].from_string(self.template).render(self._names(state))
        except jinja2.UndefinedError as exc:
            raise NodeError("template", f"undefined name: {exc.message}") from None
        except jinja2.TemplateError as exc:
            raise NodeError("template", f"{type(exc).__name__}: {exc}") from None
        except (TypeError, ValueError, ArithmeticError, LookupError) as exc:
            raise NodeError("template", f"{type(exc).__name__}: {exc}") from None

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        return {"text": self.render(state)}

    @classmethod
    def preview_deferred(
        cls, field: str, config: Mapping[str, Any], state: Mapping[str, Any]
    ) -> tuple[Any, list[str]]:
        if field != "template":
            return super().preview_deferred(field, config, state)
        try:
            node = cls.model_validate(config)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or None
            raise NodeError(where, str(first["msg"]).removeprefix("Value error, ")) from None
        text = node.render(state)
        # Names the template reads that the state does not have render as '' (or fail,
        # strict): said beside the text, as the plain {{path}} preview says its misses.
        used = jinja2meta.find_undeclared_variables(_ENVS[False].parse(node.template))
        names = node._names(state)
        return text, sorted(n for n in used if n not in names and n not in _ENVS[False].globals)


TextOperation = Literal[
    "upper",
    "lower",
    "title",
    "strip",
    "replace",
    "regex_replace",
    "regex_extract",
    "split",
    "join",
    "truncate",
    "slugify",
]


def _slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


@register(category="data", icon="type", output="{result}: text, or a list for split/regex_extract")
class TextProcessingNode(BaseNode):
    """Change text: case, trim, replace (plain or regex), extract, split, join, truncate."""

    operation: TextOperation = Field("strip", title="Operation")
    text: Any = Field(
        None, title="Text", description="Input text (join: a list of values to join)."
    )
    pattern: str | None = Field(
        None,
        title="Pattern",
        description="Text to find (replace) or regular expression (regex_*).",
    )
    replacement: str = Field(
        "", title="Replacement", description="Replacement text; regex_replace may use \\1."
    )
    separator: str | None = Field(
        None, title="Separator", description="split/join separator (split default: whitespace)."
    )
    max_length: int | None = Field(None, ge=1, title="Max length", description="For truncate.")
    suffix: str = Field("…", title="Suffix", description="Appended by truncate when it cuts.")
    ignore_case: bool = Field(False, title="Ignore case", description="For regex operations.")

    @model_validator(mode="after")
    def _check(self) -> TextProcessingNode:
        needs_pattern = ("replace", "regex_replace", "regex_extract")
        if self.operation in needs_pattern and not self.pattern:
            raise ValueError(f"pattern is required for {self.operation}")
        if self.operation == "truncate" and self.max_length is None:
            raise ValueError("max_length is required for truncate")
        if self.operation.startswith("regex") and self.pattern and not is_template(self.pattern):
            try:
                re.compile(self.pattern)
            except re.error as exc:
                raise ValueError(f"pattern is not a valid regular expression: {exc}") from None
        return self

    def _text(self) -> str:
        if isinstance(self.text, str):
            return self.text
        if self.text is None:
            return ""
        if isinstance(self.text, int | float | bool):
            return str(self.text)
        raise NodeError("text", f"expected text, got {type(self.text).__name__}")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        op = self.operation
        if op == "join":
            if not isinstance(self.text, list | tuple):
                raise NodeError("text", f"join needs a list, got {type(self.text).__name__}")
            sep = self.separator if self.separator is not None else ""
            return {"result": sep.join("" if v is None else str(v) for v in self.text)}
        text = self._text()
        if op in ("upper", "lower", "title", "strip"):
            return {"result": getattr(text, op)()}
        if op == "slugify":
            return {"result": _slugify(text)}
        if op == "replace":
            return {"result": text.replace(self.pattern or "", self.replacement)}
        if op == "split":
            return {"result": text.split(self.separator) if self.separator else text.split()}
        if op == "truncate":
            limit = self.max_length or 0
            if len(text) <= limit:
                return {"result": text}
            return {"result": text[: max(limit - len(self.suffix), 0)] + self.suffix}
        flags = re.IGNORECASE if self.ignore_case else 0
        try:
            regex = re.compile(self.pattern or "", flags)
        except re.error as exc:
            raise NodeError("pattern", f"not a valid regular expression: {exc}") from None
        if op == "regex_replace":
            try:
                return {"result": regex.sub(self.replacement, text)}
            except re.error as exc:
                raise NodeError("replacement", str(exc)) from None
        matches = [m.group(1) if regex.groups else m.group(0) for m in regex.finditer(text)]
        return {"result": matches}
