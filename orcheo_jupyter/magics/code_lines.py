"""Code node errors cite the notebook line the user wrote, not the stored body's line.

A function in a cell becomes a code node body with generated lines first (imports,
constants, parameter mapping), so the runtime's "line 4 of its code" is line 5 of
the cell that defines it. The builder remembers where each body came from; runs
started from the notebook translate the runtime's line back to that cell's line.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

#: How the runtime names the failing line (``runtime.nodes_wrap.NodeFailed``).
_CODE_LINE = re.compile(r"node '(?P<node>[^']+)' failed \(line (?P<line>\d+) of its code\)")


@dataclass(frozen=True)
class CodeOrigin:
    """Where a code node's body was written."""

    body: str  # the body as built; once edited elsewhere, its lines mean something else
    filename: str  # the file (cell) that holds the function
    def_line: int  # generated lines point at the ``def``
    first_line: int  # the line of the first written body line
    prologue: int  # generated lines before the written body

    def line(self, body_line: int) -> int:
        """The line in ``filename`` of line ``body_line`` (1-based) of the body."""
        if body_line <= self.prologue:
            return self.def_line
        return self.first_line + body_line - self.prologue - 1


def cite_cells(
    text: str | None,
    origins: Mapping[str, CodeOrigin],
    bodies: Mapping[str, str],
    where: Callable[[CodeOrigin], str],
) -> str | None:
    """``text`` with each "node 'x' failed (line N of its code)" naming the cell line.

    Only nodes whose body is still the one built from the cell (``bodies``: the
    run's document) are translated; ``where`` names the cell ("the %%orcheo x cell").
    """
    if not text or not origins:
        return text

    def swap(match: re.Match[str]) -> str:
        node = match["node"]
        origin = origins.get(node)
        if origin is None or bodies.get(node) != origin.body:
            return match[0]
        return f"node {node!r} failed at line {origin.line(int(match['line']))} of {where(origin)}"

    return _CODE_LINE.sub(swap, text)
