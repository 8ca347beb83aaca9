"""Upstream's ``# /// orcheo`` block: a workflow script's own name and entrypoint.

A PEP 723-style comment block of TOML at the top of a ``workflow.py``::

    # /// orcheo
    # name = "Daily digest"
    # entrypoint = "build_digest"
    # ///

Upstream's uploader takes the name and entrypoint from it unless given
explicitly; so do our script importers. ``id``/``handle`` and ``config`` (the
upload target and a companion run config) are accepted and not used here.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass

from ..spec.problems import DocumentError

_BLOCK = re.compile(r"^# /// orcheo[ \t]*$\n(?P<body>(?:^#(?:| .*)$\n)*?)^# ///[ \t]*$", re.M)
_FIELDS = frozenset({"name", "id", "handle", "config", "entrypoint"})


@dataclass(frozen=True)
class Frontmatter:
    name: str | None = None
    entrypoint: str | None = None


def read_frontmatter(source: str) -> Frontmatter:
    """The block's name and entrypoint (empty when the script has no block)."""
    found = _BLOCK.search(source)
    if found is None:
        return Frontmatter()
    text = "".join(line[2:] + "\n" for line in found["body"].splitlines())
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise _problem(f"the '# /// orcheo' block is not valid TOML: {exc}") from None
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise _problem(
            f"the '# /// orcheo' block has unknown field(s) {', '.join(unknown)} "
            f"(expected: {', '.join(sorted(_FIELDS))})"
        )
    for key in ("name", "entrypoint"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            raise _problem(f"the '# /// orcheo' block's {key} must be a non-empty string")
    return Frontmatter(name=data.get("name"), entrypoint=data.get("entrypoint"))


def _problem(message: str) -> DocumentError:
    return DocumentError.single("script", message, field="graph.source")
