"""List nodes: keep the items that match conditions, and sort items."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.dotted_paths import MISSING, dig
from .conditions import ConditionLogic, Operator, compare, operator_name

_ORDERING = frozenset({"greater_than", "greater_than_or_equal", "less_than", "less_than_or_equal"})


class ItemCondition(BaseModel):
    """A test on each item: ``item[field] <operator> value``."""

    model_config = ConfigDict(extra="forbid")

    field: str | None = Field(
        None, title="Field", description="Dotted path in the item; empty tests the item itself."
    )
    operator: Operator = Field("equals", title="Operator")
    value: Any = Field(None, title="Value", description="Value to compare against.")
    case_sensitive: bool = Field(True, title="Case sensitive")

    @field_validator("operator", mode="before")
    @classmethod
    def _symbols(cls, value: Any) -> Any:
        return operator_name(value)


@register(category="data", icon="filter", output="{result: [...kept items], count, removed}")
class FilterNode(BaseNode):
    """Keep the items of a list that match the conditions, in their order."""

    items: list[Any] = Field(default_factory=list, title="Items", description="List to filter.")
    conditions: list[ItemCondition] = Field(min_length=1, title="Conditions")
    condition_logic: ConditionLogic = Field("and", title="Combine with")

    def _keep(self, item: Any, index: int) -> bool:
        flags = []
        for i, cond in enumerate(self.conditions):
            left = item if not cond.field else dig(item, cond.field)
            if (left is MISSING or left is None) and cond.operator in _ORDERING:
                flags.append(False)  # an item without the field is not "greater" than 18
                continue
            flags.append(
                compare(
                    None if left is MISSING else left,
                    cond.operator,
                    cond.value,
                    case_sensitive=cond.case_sensitive,
                    where=f"conditions[{i}] (item {index})",
                )
            )
        return all(flags) if self.condition_logic == "and" else any(flags)

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        kept = [item for i, item in enumerate(self.items) if self._keep(item, i)]
        return {"result": kept, "count": len(kept), "removed": len(self.items) - len(kept)}


@register(category="data", icon="arrow-down-up", output="{result: [...sorted items]}")
class SortNode(BaseNode):
    """Sort a list, by the items themselves or by a field of each item."""

    items: list[Any] = Field(default_factory=list, title="Items", description="List to sort.")
    key: str | None = Field(
        None, title="Sort by", description="Dotted path in each item; empty sorts by the item."
    )
    descending: bool = Field(False, title="Descending")
    missing: Literal["first", "last"] = Field(
        "last", title="Missing values", description="Where items without the key go."
    )

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        present: list[tuple[Any, Any]] = []
        absent: list[Any] = []
        for item in self.items:
            value = item if not self.key else dig(item, self.key)
            if value is MISSING or value is None:
                absent.append(item)
            else:
                present.append((value, item))
        try:
            present.sort(key=lambda pair: pair[0], reverse=self.descending)
        except TypeError:
            kinds = sorted({type(v).__name__ for v, _ in present})
            raise NodeError(
                "key" if self.key else "items", f"cannot order values of types {', '.join(kinds)}"
            ) from None
        ordered = [item for _, item in present]
        return {"result": absent + ordered if self.missing == "first" else ordered + absent}
