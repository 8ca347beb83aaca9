"""Retry timing: exponential backoff and the ``Retry-After`` header.

Node retries, outbound HTTP, the client SDK and trigger dispatch all wait
``initial * factor ** (attempt - 1)`` seconds, capped, before retry number
``attempt``; each adds its own jitter on top (or none). A server's
``Retry-After`` (delta seconds or an HTTP date) replaces the computed wait.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import math
import time


def backoff_delay(attempt: int, initial: float, factor: float, cap: float) -> float:
    """Seconds before retry number ``attempt`` (1 = the first retry), at most ``cap``.

    A huge attempt number cannot overflow: past the cap the answer is the cap.
    """
    if attempt < 1:
        raise ValueError(f"attempt must be 1 or more, not {attempt}")
    try:
        delay = initial * factor ** (attempt - 1)
    except OverflowError:
        return cap
    return min(delay, cap)


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header; None when absent or unreadable.

    Delta seconds (``"7"``; a decimal is accepted) or an HTTP date, compared with
    ``now`` (seconds since the epoch, the current time by default); a date in the
    past means "now" (0). Negative, infinite or non-numeric deltas are unreadable.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        pass
    else:
        return seconds if math.isfinite(seconds) and seconds >= 0 else None
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:  # RFC 9110 dates are GMT
        when = when.replace(tzinfo=dt.UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)
