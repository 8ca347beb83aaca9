"""Logic nodes: decide a route (if/else, switch, while, for loop), merge, fail.

Decision nodes only compute; a conditional edge routes on their output
(``results.<id>.condition`` for IfElseNode, ``results.<id>.branch`` for the
others), which is also how Orcheo's legacy edge nodes are imported.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ...common.dotted import route_key
from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from .conditions import Condition, ConditionLogic, evaluate

_CONDITIONS = Field(
    min_length=1,
    title="Conditions",
    description="Comparisons of {left, operator, right, case_sensitive}.",
)
_LOGIC_HELP = "'and': all conditions hold; 'or': any one."


@register(
    category="logic",
    icon="git-branch",
    output="{condition: bool, branch: 'true'|'false', evaluations: [{left, operator, right, "
    "result}]}; route on results.<id>.condition",
)
class IfElseNode(BaseNode):
    """Test conditions and report true or false, for a conditional edge to route on."""

    conditions: list[Condition] = _CONDITIONS
    condition_logic: ConditionLogic = Field("and", title="Combine with", description=_LOGIC_HELP)

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        ok, outcomes = evaluate(self.conditions, self.condition_logic)
        return {"condition": ok, "branch": "true" if ok else "false", "evaluations": outcomes}


class SwitchCase(BaseModel):
    """One case: when the value matches ``match``, route to ``branch_key``."""

    model_config = ConfigDict(extra="forbid")

    match: Any = Field(
        None, title="Match", description="Value to match; a list matches any of its items."
    )
    label: str | None = Field(None, title="Label", description="Name shown for this case.")
    branch_key: str | None = Field(
        None, title="Branch key", description="Route key when matched (default case_<n>)."
    )
    case_sensitive: bool | None = Field(
        None, title="Case sensitive", description="Overrides the node's setting for this case."
    )


def _switch_key(value: Any, case_sensitive: bool) -> Any:
    """A scalar as a conditional edge names it (``common.dotted.route_key``: True is
    "true", None "null", 5 "5"), folded when matching ignores case; others as they are."""
    if value is None or isinstance(value, int | float | str):  # bool is an int
        text = route_key(value)
        return text if case_sensitive else text.casefold()
    return value


def _matches(value: Any, match: Any, case_sensitive: bool) -> bool:
    if value == match and type(value) is type(match):
        return True
    if isinstance(match, list):
        return any(_matches(value, m, case_sensitive) for m in match)
    return bool(_switch_key(value, case_sensitive) == _switch_key(match, case_sensitive))


@register(
    category="logic",
    icon="split",
    output="{value, branch, matched: bool, case, case_index}; route on results.<id>.branch",
)
class SwitchNode(BaseNode):
    """Match a value against cases; the first match names the branch, else the default."""

    value: Any = Field(None, title="Value", description="Value to match, usually a {{template}}.")
    case_sensitive: bool = Field(True, title="Case sensitive")
    default_branch_key: str = Field(
        "default", min_length=1, title="Default branch", description="Route when nothing matches."
    )
    cases: list[SwitchCase] = Field(default_factory=list, title="Cases")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        for i, case in enumerate(self.cases):
            sensitive = self.case_sensitive if case.case_sensitive is None else case.case_sensitive
            if _matches(self.value, case.match, sensitive):
                key = case.branch_key or f"case_{i + 1}"
                return {
                    "value": self.value,
                    "branch": key,
                    "matched": True,
                    "case": case.label or key,
                    "case_index": i,
                }
        return {
            "value": self.value,
            "branch": self.default_branch_key,
            "matched": False,
            "case": None,
            "case_index": None,
        }


def _previous(state: Mapping[str, Any], ctx: NodeContext) -> Mapping[str, Any] | None:
    prev = state.get("results", {}).get(ctx.result_key)
    return prev if isinstance(prev, Mapping) else None


@register(
    category="logic",
    icon="repeat",
    output="{should_continue, iteration, limit_reached, branch: 'continue'|'exit'}; "
    "route on results.<id>.branch",
)
class WhileNode(BaseNode):
    """Loop while conditions hold: route 'continue' back into the body, 'exit' out.

    A condition without ``left`` tests the number of iterations so far, so
    ``{"operator": "less_than", "right": 3}`` runs the body three times. After an
    exit, reaching the node again starts a new loop from zero.
    """

    conditions: list[Condition] = _CONDITIONS
    condition_logic: ConditionLogic = Field("and", title="Combine with", description=_LOGIC_HELP)
    max_iterations: int | None = Field(
        None, ge=1, title="Max iterations", description="Exit after this many iterations."
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        prev = _previous(state, ctx)
        iteration = 0
        if prev is not None and prev.get("branch") == "continue":
            count = prev.get("iteration")
            iteration = count if isinstance(count, int) and not isinstance(count, bool) else 0
        limit_reached = self.max_iterations is not None and iteration >= self.max_iterations
        should_continue = False
        if not limit_reached:
            should_continue, _ = evaluate(
                self.conditions,
                self.condition_logic,
                default_left=iteration,
                use_default_left=True,
            )
        return {
            "should_continue": should_continue,
            "iteration": iteration + 1 if should_continue else iteration,
            "limit_reached": limit_reached,
            "branch": "continue" if should_continue else "exit",
        }


@register(
    category="logic",
    icon="list-ordered",
    output="{done, index, iteration, total, current_item, branch: 'continue'|'exit'}; "
    "route on results.<id>.branch",
)
class ForLoopNode(BaseNode):
    """Step through a list one item per visit: the body reads ``current_item`` and
    routes back here until ``done``. For parallel work over a list use ForEachNode."""

    items: list[Any] = Field(
        default_factory=list, title="Items", description="The list to step through."
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        prev = _previous(state, ctx)
        index = 0
        if prev is not None and prev.get("branch") == "continue":
            last = prev.get("index")
            index = last + 1 if isinstance(last, int) and not isinstance(last, bool) else 0
        total = len(self.items)
        done = index >= total
        return {
            "done": done,
            "index": index,
            "iteration": total if done else index + 1,
            "total": total,
            "current_item": None if done else self.items[index],
            "branch": "exit" if done else "continue",
        }


def _deep_merge(base: dict[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in extra.items():
        current = out.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            out[key] = _deep_merge(current, value)
        else:
            out[key] = value
    return out


def _dedupe(values: list[Any]) -> list[Any]:
    seen: set[str] = set()
    out = []
    for value in values:
        key = json.dumps(value, sort_keys=True, default=repr)
        if key not in seen:
            seen.add(key)
            out.append(value)
    return out


@register(category="logic", icon="merge", output="{result}: the merged object or list")
class MergeNode(BaseNode):
    """Merge objects (later keys win, nested objects merged when deep) or join lists."""

    items: list[Any] = Field(
        default_factory=list, title="Items", description="Values to merge, e.g. {{templates}}."
    )
    mode: Literal["auto", "dict", "list"] = Field(
        "auto",
        title="Mode",
        description="'dict' merges objects, 'list' concatenates; 'auto' picks 'dict' when "
        "every item is an object.",
    )
    deep: bool = Field(True, title="Deep", description="Merge nested objects key by key.")
    deduplicate: bool = Field(False, title="Deduplicate", description="Drop repeated list items.")

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        present = [(i, v) for i, v in enumerate(self.items) if v is not None]
        mode = self.mode
        if mode == "auto":
            mode = "dict" if present and all(isinstance(v, Mapping) for _, v in present) else "list"
        if mode == "dict":
            merged: dict[str, Any] = {}
            for i, value in present:
                if not isinstance(value, Mapping):
                    raise NodeError(
                        f"items[{i}]",
                        f"expected an object in dict mode, got {type(value).__name__}",
                    )
                merged = _deep_merge(merged, value) if self.deep else {**merged, **value}
            return {"result": merged}
        joined: list[Any] = []
        for _, value in present:
            if isinstance(value, list | tuple):
                joined.extend(value)
            else:
                joined.append(value)
        return {"result": _dedupe(joined) if self.deduplicate else joined}


class WorkflowStopped(NodeError):
    """Raised by FailNode: the workflow itself decided to stop."""


@register(category="logic", icon="octagon-x", output="never returns: the run fails")
class FailNode(BaseNode):
    """Stop the run with an error message (e.g. on the 'false' branch of a check)."""

    message: str = Field(
        min_length=1, title="Message", description="Why the run stops; may use {{templates}}."
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        raise WorkflowStopped(None, self.message)
