"""``[[name]]`` and ``[[name#oauth.access_token]]``: how a document names a credential.

The syntax belongs to the document (spec), so every layer can recognise a
reference; resolving one is the runtime's job (``runtime/secrets.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

NAME_PATTERN = r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}"
#: ``NAME_PATTERN`` in words, for error messages (also the rule for workflow ids).
NAME_RULE = "1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit"
#: What may follow ``#``: parts of an OAuth credential.
FIELDS = frozenset({"oauth.access_token", "oauth.refresh_token"})
_REF = re.compile(rf"^\[\[\s*({NAME_PATTERN})\s*(?:#\s*([A-Za-z0-9_.]+)\s*)?\]\]$")


@dataclass(frozen=True)
class SecretRef:
    """A parsed reference: the credential's name and, optionally, which part of it."""

    name: str
    field: str | None = None

    def __str__(self) -> str:
        return f"[[{self.name}#{self.field}]]" if self.field else f"[[{self.name}]]"


def parse_ref(value: Any) -> SecretRef | None:
    """The reference if ``value`` is exactly ``[[name]]`` or ``[[name#field]]``."""
    if not isinstance(value, str) or not value.startswith("[["):
        return None
    match = _REF.match(value)
    if match is None:
        return None
    return SecretRef(match.group(1), match.group(2))
