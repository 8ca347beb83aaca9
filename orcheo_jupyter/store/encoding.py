"""Stored JSON text, encoded once, and the cap on how big one stored value may be.

A single node output of a gigabyte used to reach SQLite (``string or blob too
big``) inside a transaction shared with other runs. Values are now measured where
they are encoded, before they join any batch: the run that produced an oversized
value fails with a message naming it and the limit, and nobody else notices.
"""

from __future__ import annotations

import json
from typing import Any

#: One stored value (an event, a run's inputs or final state, a checkpoint row) at most.
DEFAULT_MAX_VALUE_BYTES = 64 * 1024 * 1024
MAX_VALUE_SETTING = "max_value_bytes (c.OrcheoApp.max_value_bytes, ORCHEO_MAX_VALUE_BYTES)"

#: Built once: ``json.dumps`` with options builds a new encoder per call.
encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


class Encoded:
    """JSON text already encoded (and measured): stores write it as it is."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text


def dumps(value: Any) -> str:
    """The stored JSON text of ``value`` (its own text when it is already ``Encoded``)."""
    return value.text if type(value) is Encoded else encode_json(value)


def size_over(text: str | bytes, limit: int) -> int | None:
    """The UTF-8 size of ``text`` when it exceeds ``limit``, else None.

    Cheap: ``isascii`` reads a flag CPython keeps, and a text of ``n`` characters
    takes at most ``4n`` bytes, so only a non-ASCII text near the limit is encoded.
    """
    n = len(text)
    if n <= limit and (isinstance(text, bytes) or n * 4 <= limit or text.isascii()):
        return None
    if isinstance(text, bytes) or text.isascii() or n > limit:
        return n
    size = len(text.encode("utf-8", "surrogatepass"))
    return size if size > limit else None


def human(size: int) -> str:
    for unit, scale in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".0 ", " ")
    return f"{size} bytes"


class ValueTooLarge(ValueError):
    """A value is too big to store; only the run (or request) that made it fails."""

    def __init__(self, what: str, size: int, limit: int, field: str | None = None) -> None:
        self.what, self.size, self.limit, self.field = what, size, limit, field
        super().__init__(
            f"{what} is {human(size)} when stored, over the {human(limit)} limit "
            f"of one stored value; raise {MAX_VALUE_SETTING} to allow it"
        )


class NotUnicode(ValueError):
    """A value holds a lone UTF-16 surrogate: no UTF-8 store can hold it (only its run fails)."""

    def __init__(self, what: str, where: str) -> None:
        self.what, self.where = what, where
        super().__init__(
            f"{what} holds an unpaired UTF-16 surrogate at {where} (\\ud800-\\udfff), "
            "which is not Unicode text and cannot be stored"
        )


def check_size(what: str, text: str | bytes, limit: int | None, field: str | None = None) -> None:
    """ValueTooLarge naming ``what`` (and the request ``field``) when ``text`` exceeds ``limit``."""
    if limit is not None:
        size = size_over(text, limit)
        if size is not None:
            raise ValueTooLarge(what, size, limit, field)
