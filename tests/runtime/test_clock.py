"""Stored timestamps: one UTC ISO form, correct across second boundaries."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from orcheo_jupyter.common import timestamps as clock


def test_utcnow_is_iso_utc_with_microseconds() -> None:
    before = dt.datetime.now(dt.UTC)
    stamp = clock.utcnow()
    after = dt.datetime.now(dt.UTC)
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", stamp)
    parsed = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert before <= parsed <= after


def test_utcnow_follows_the_clock_across_seconds(monkeypatch: pytest.MonkeyPatch) -> None:
    ticks = iter([1_700_000_000_999_999_000, 1_700_000_001_000_001_000, 1_800_000_000_000_000])
    monkeypatch.setattr(clock.time, "time_ns", lambda: next(ticks))
    assert clock.utcnow() == "2023-11-14T22:13:20.999999Z"
    assert clock.utcnow() == "2023-11-14T22:13:21.000001Z"  # the cached second moved on
    assert clock.utcnow() == "1970-01-21T20:00:00.000000Z"  # and back, e.g. a clock step
