"""Indenting Python source under a new ``def`` without changing its multi-line strings.

Code nodes compile their body inside ``def run`` and the ``%%orcheo`` code generator
wraps bodies in functions; both must leave the inside of a triple-quoted string as
written, or the string's value changes.
"""

from __future__ import annotations

import io
import tokenize


def inside_strings(source: str) -> set[int]:
    """1-based rows that start inside a multi-line string (never re-indent those)."""
    rows: set[int] = set()
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.end[0] > tok.start[0] and tok.type not in (tokenize.NEWLINE, tokenize.NL):
                rows.update(range(tok.start[0] + 1, tok.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):
        pass  # compiling the source reports the problem with its line
    return rows


def indent(body: str) -> str:
    """``body`` one level (four spaces) deeper; blank lines and string insides stay as they are."""
    inside = inside_strings(body)
    return "\n".join(
        line if row in inside or not line.strip() else f"    {line}"
        for row, line in enumerate(body.split("\n"), 1)
    )
