"""One place for timestamps, so every stored time has the same UTC ISO form."""

from __future__ import annotations

import datetime as dt


def utcnow() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
