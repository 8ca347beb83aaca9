"""The one backoff formula and the one Retry-After reader every retrying surface uses."""

from __future__ import annotations

import email.utils

import pytest

from orcheo_jupyter.client import retry_after
from orcheo_jupyter.client.transport import Backoff
from orcheo_jupyter.common.retry import backoff_delay, retry_after_seconds
from orcheo_jupyter.triggers.config import DispatchPolicy

NOW = 1_704_110_400.0  # 2024-01-01 12:00:00 UTC


def test_backoff_grows_by_the_factor_and_stops_at_the_cap() -> None:
    assert [backoff_delay(n, 0.5, 2.0, 3.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]
    assert [backoff_delay(n, 1.0, 1.0, 9.0) for n in (1, 5, 50)] == [1.0, 1.0, 1.0]
    assert backoff_delay(1, 60.0, 2.0, 30.0) == 30.0  # a first wait above the cap is capped


def test_backoff_never_overflows() -> None:
    assert backoff_delay(10_000, 1.0, 100.0, 300.0) == 300.0
    assert backoff_delay(1_000_000, 0.5, 2.0, 30.0) == 30.0


def test_backoff_refuses_attempt_zero() -> None:
    with pytest.raises(ValueError, match="attempt must be 1 or more, not 0"):
        backoff_delay(0, 1.0, 2.0, 10.0)


def test_every_policy_uses_the_same_formula() -> None:
    """The client's full jitter and the dispatcher's +/- jitter scale one base delay."""
    client = Backoff(initial=0.5, factor=3.0, max_delay=10.0, jitter=False)
    dispatch = DispatchPolicy(
        backoff_seconds=0.5, backoff_factor=3.0, max_backoff_seconds=10.0, jitter=0.0
    )
    for n in range(1, 8):
        base = backoff_delay(n, 0.5, 3.0, 10.0)
        assert client.delay(n) == base
        assert dispatch.delay(n) == base


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 120 ", 120.0),
        ("0", 0.0),
        ("1.5", 1.5),
        ("Mon, 01 Jan 2024 12:00:45 GMT", 45.0),
        ("Mon, 01 Jan 2024 11:00:00 GMT", 0.0),  # in the past: now
    ],
)
def test_retry_after_reads_seconds_and_http_dates(header: str, seconds: float) -> None:
    assert retry_after_seconds(header, NOW) == seconds


@pytest.mark.parametrize("header", [None, "", "  ", "soon", "-5", "inf", "nan", "Mon, 99 Foo"])
def test_unreadable_retry_after_is_none(header: str | None) -> None:
    assert retry_after_seconds(header, NOW) is None


def test_retry_after_defaults_to_the_current_time() -> None:
    import time

    date = email.utils.formatdate(time.time() + 30, usegmt=True)
    assert 28 <= (retry_after_seconds(date) or 0) <= 31


def test_the_sdk_exports_the_same_reader() -> None:
    assert retry_after is retry_after_seconds
