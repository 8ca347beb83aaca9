"""Per-run redaction of resolved secret values.

A run that resolves a ``[[credential]]`` learns its value; from then on every
node output (which becomes state and checkpoints), event, error message and
run-record field is scrubbed of that value before it is emitted or stored. The
common encodings of the value are scrubbed too, since an HTTP response or an error
can echo a secret in those forms: JSON-escaped, URL-quoted, hex, and base64
(standard and URL-safe alphabets, padded or not). A secret inside a longer base64
text (``Basic base64("user:" + secret)``) is encoded differently depending on
where it starts; each of the three alignments leaves a run of characters that
depends on the secret alone, and that run is scrubbed too.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import re
import threading
import weakref
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote, quote_plus

from pydantic import BaseModel

#: Values shorter than this are not scrubbed on their own: replacing every "a"
#: or "1" in an output would destroy it and hide nothing.
MIN_SECRET_LENGTH = 4


#: A base64 run of the secret inside longer text is scrubbed only from this length:
#: shorter runs would match unrelated base64 too often.
MIN_EMBEDDED_BASE64 = 8


def _base64_forms(raw: bytes) -> set[str]:
    """The secret's base64 text on its own, and inside longer base64 text."""
    whole = base64.b64encode(raw).decode("ascii")
    forms = {whole, whole.rstrip("=")}
    for shift in (0, 1, 2):
        # Encoded after ``shift`` other bytes: the first characters mix in those bytes
        # and the last ones the bytes that follow; the run between depends on ``raw`` alone.
        text = base64.b64encode(bytes(shift) + raw).decode("ascii")
        start = -(-8 * shift // 6)  # ceil: characters holding a bit of the prefix
        end = (8 * (shift + len(raw))) // 6  # characters made of known bits only
        core = text[start:end]
        if len(core) >= MIN_EMBEDDED_BASE64:
            forms.add(core)
    return forms | {f.replace("+", "-").replace("/", "_") for f in forms}


def _variants(value: str) -> set[str]:
    raw = value.encode("utf-8")
    forms = {value, json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    forms |= {quote(value, safe=""), quote_plus(value, safe=""), quote(value)}
    forms |= {binascii.hexlify(raw).decode("ascii"), binascii.hexlify(raw).decode().upper()}
    encoded = _base64_forms(raw)
    forms |= encoded | {quote(f, safe="") for f in encoded}  # base64 in a query string
    return {f for f in forms if len(f) >= MIN_SECRET_LENGTH}


#: Every redactor that knows a secret: text no single run owns (what node code prints
#: or logs to the process's stdout and stderr) is scrubbed of all of them.
_live: weakref.WeakSet[Redactor] = weakref.WeakSet()


def scrub_any(text: str) -> str:
    """``text`` without any secret a live run of this process has resolved."""
    for redactor in list(_live):
        text = redactor.text(text)
    return text


class Redactor:
    """Knows a run's resolved secret values and replaces them wherever they appear."""

    def __init__(self) -> None:
        self._names: dict[str, str] = {}  # variant -> replacement text
        self._pattern: re.Pattern[str] | None = None
        self._bytes: re.Pattern[bytes] | None = None
        self._lock = threading.Lock()

    def __bool__(self) -> bool:
        return self._pattern is not None

    def add(self, value: str, name: str) -> None:
        """Remember a resolved value; ``name`` labels it in the redacted text."""
        new = {v: f"[redacted:{name}]" for v in _variants(value) if v not in self._names}
        if not new:
            return
        with self._lock:
            self._names.update(new)
            ordered = sorted(self._names, key=len, reverse=True)  # longest match first
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
            self._bytes = re.compile(b"|".join(re.escape(v.encode("utf-8")) for v in ordered))
        _live.add(self)

    def text(self, text: str) -> str:
        pattern = self._pattern
        if pattern is None:
            return text
        return pattern.sub(lambda m: self._names[m.group(0)], text)

    def scrub(self, value: Any) -> Any:
        """A copy of ``value`` without the secrets; unchanged parts are shared, not copied."""
        if self._pattern is None:
            return value
        return self._scrub(value, 0)

    def _scrub(self, value: Any, depth: int) -> Any:
        if depth > 200:
            return value
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, bool | int | float) or value is None:
            return value
        if isinstance(value, bytes):
            assert self._bytes is not None
            return self._bytes.sub(
                lambda m: self._names[m.group(0).decode("utf-8")].encode("utf-8"), value
            )
        if isinstance(value, Mapping):
            items = {k: self._scrub(v, depth + 1) for k, v in value.items()}
            if all(items[k] is v for k, v in value.items()):
                return value
            return items if isinstance(value, dict) else type(value)(items)  # type: ignore[call-arg]
        if isinstance(value, list | tuple):
            out = [self._scrub(v, depth + 1) for v in value]
            if all(a is b for a, b in zip(out, value, strict=True)):
                return value
            return out if isinstance(value, list) else tuple(out)
        if isinstance(value, BaseModel):
            changed = {}
            for name in type(value).model_fields:
                current = getattr(value, name, None)
                cleaned = self._scrub(current, depth + 1)
                if cleaned is not current:
                    changed[name] = cleaned
            return value.model_copy(update=changed) if changed else value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            changed = {}
            for f in dataclasses.fields(value):
                current = getattr(value, f.name)
                cleaned = self._scrub(current, depth + 1)
                if cleaned is not current:
                    changed[f.name] = cleaned
            if not changed:
                return value
            try:
                return dataclasses.replace(value, **changed)
            except (TypeError, ValueError):
                return self.text(repr(value))
        if isinstance(value, BaseException):
            text = str(value)
            cleaned_text = self.text(text)
            return value if cleaned_text == text else RuntimeError(cleaned_text)
        return value
