"""Date and time node: now, parse, format and shift timestamps in a time zone."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register
from ..support.dotted_paths import is_template


def zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``; ValueError names what was wrong."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {name!r} (expected an IANA name like Europe/Paris)"
        ) from None


def check_zone(value: str) -> str:
    if not is_template(value):
        zone(value)
    return value


@register(
    category="utility",
    icon="calendar-clock",
    output="{iso, timestamp, date, time, weekday, timezone[, formatted]}",
)
class DateTimeNode(BaseNode):
    """Get the current time, or parse a value, then shift it and format it."""

    operation: Literal["now", "parse"] = Field(
        "now", title="Operation", description="'now', or 'parse' the value."
    )
    value: Any = Field(
        None,
        title="Value",
        description="ISO 8601 text or a Unix timestamp (parse); with input_format, any text.",
    )
    input_format: str | None = Field(
        None, title="Input format", description="strptime format for parse, e.g. %d/%m/%Y."
    )
    timezone: str = Field(
        "UTC", title="Time zone", description="Zone for the result (and naive inputs)."
    )
    add_seconds: float = Field(
        0, title="Add seconds", description="Shift the time (negative goes back)."
    )
    add_days: float = Field(0, title="Add days", description="Shift the time by days.")
    output_format: str | None = Field(
        None, title="Output format", description="strftime format for 'formatted'."
    )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        return check_zone(value)

    def _parse(self, tz: ZoneInfo) -> dt.datetime:
        value = self.value
        if value is None:
            raise NodeError("value", "parse needs a value")
        try:
            if isinstance(value, int | float) and not isinstance(value, bool):
                return dt.datetime.fromtimestamp(value, tz)
            if not isinstance(value, str):
                raise TypeError(f"expected text or a number, got {type(value).__name__}")
            if self.input_format:
                parsed = dt.datetime.strptime(value, self.input_format)
            else:
                parsed = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except (TypeError, ValueError, OverflowError, OSError) as exc:
            raise NodeError("value", f"cannot read {value!r} as a time: {exc}") from None
        return parsed.replace(tzinfo=tz) if parsed.tzinfo is None else parsed

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        try:
            tz = zone(self.timezone)
        except ValueError as exc:
            raise NodeError("timezone", str(exc)) from None
        moment = dt.datetime.now(tz) if self.operation == "now" else self._parse(tz)
        moment = (moment + dt.timedelta(days=self.add_days, seconds=self.add_seconds)).astimezone(
            tz
        )
        out: dict[str, Any] = {
            "iso": moment.isoformat(),
            "timestamp": moment.timestamp(),
            "date": moment.date().isoformat(),
            "time": moment.time().isoformat(),
            "weekday": moment.strftime("%A"),
            "timezone": self.timezone,
        }
        if self.output_format:
            out["formatted"] = moment.strftime(self.output_format)
        return out
