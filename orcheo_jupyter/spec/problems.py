"""Problems found in a document, shaped so every surface can print one line each."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..common.records import Record
from .refs import NAME_PATTERN, NAME_RULE

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem(Record):
    """One finding: which node and field, and what is wrong; ``as_dict`` is every field."""

    severity: Severity
    code: str
    message: str
    node: str | None = None
    field: str | None = None

    def __str__(self) -> str:
        return f"{self.severity}: {self.describe()}"

    def describe(self) -> str:
        """``node 'a' config.url: message`` (where it is, then what), without the severity."""
        where = []
        if self.node is not None:
            where.append(f"node {self.node!r}")
        if self.field:
            where.append(self.field)
        return f"{' '.join(where)}: {self.message}" if where else self.message


class DocumentError(ValueError):
    """A document that cannot be used; carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems) or "invalid document")

    @classmethod
    def single(
        cls, code: str, message: str, *, node: str | None = None, field: str | None = None
    ) -> DocumentError:
        """The error of one problem: most refusals name exactly one thing."""
        return cls([Problem("error", code, message, node=node, field=field)])


def format_loc(loc: tuple[Any, ...]) -> str:
    """Turn a pydantic error location into ``graph.ir.nodes[1].config`` form."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def problems_from_validation(
    exc: ValidationError, prefix: str = "", node: str | None = None
) -> list[Problem]:
    """Convert pydantic errors into one Problem per error, naming the field path."""
    return problems_from_errors(exc.errors(include_url=False), prefix, node)


def problems_from_errors(
    errors: Iterable[ErrorDetails], prefix: str = "", node: str | None = None
) -> list[Problem]:
    """``problems_from_validation`` for a chosen part of a ValidationError's errors."""
    found = []
    for err in errors:
        # Discriminated unions add the tag name ("builtin", "frozen-ir") to the
        # location; it is noise for a reader who wants the field path.
        loc = tuple(p for p in err["loc"] if p not in _TAGS)
        field = format_loc(loc)
        if prefix:
            field = f"{prefix}.{field}" if field else prefix
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown key (not part of the document format)"
        elif err["type"] == "missing":
            message = "required field is missing"
        elif err["type"] == "string_pattern_mismatch":
            message = _pattern_in_words(err) or message
        found.append(Problem("error", err["type"], message, node=node, field=field or None))
    return found


#: Patterns fields must match, in words: the regular expression tells a person little.
_PATTERN_WORDS = {NAME_PATTERN: NAME_RULE}


def _pattern_in_words(err: ErrorDetails) -> str | None:
    pattern = str((err.get("ctx") or {}).get("pattern", ""))
    words = _PATTERN_WORDS.get(pattern.removeprefix("^").removesuffix("$"))
    return None if words is None else f"expected {words}"


_TAGS = frozenset({"builtin", "code", "subgraph", "frozen-ir", "langgraph-script"})
