"""Short errors for notebook cells: what went wrong and on which line, no traceback wall.

IPython renders an exception through ``_render_traceback_`` when it has one, so a
magic can fail the cell (``Run all`` stops, nbclient sees an error) while showing
only the lines a reader needs.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..common.problem_list import ProblemListError

_RED = "\x1b[0;31m"
_DIM = "\x1b[2m"
_RESET = "\x1b[0m"


@dataclass(frozen=True)
class CellProblem:
    """One problem, with the cell line it comes from when known."""

    message: str
    line: int | None = None
    source: str | None = None  # the text of that line, shown under the message

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}" if self.line is not None else self.message


class OrcheoCellError(ProblemListError[CellProblem]):
    """A cell or magic that could not do its job; rendered as one short line per problem."""

    separator = "; "
    title_separator = ": "

    @classmethod
    def problem(cls, message: str) -> CellProblem:
        return CellProblem(message)

    @property
    def lines(self) -> list[int]:
        return [p.line for p in self.problems if p.line is not None]

    def _render_traceback_(self) -> list[str]:
        out = []
        if self.title:
            out.append(f"{_RED}{type(self).__name__}{_RESET}: {self.title}")
        for i, problem in enumerate(self.problems):
            if self.title or i:
                out.append(f"  {problem}")
            else:
                out.append(f"{_RED}{type(self).__name__}{_RESET}: {problem}")
            if problem.source and problem.source.strip():
                out.append(f"{_DIM}    {problem.source.strip()}{_RESET}")
        return out


def source_line(source: str, line: int | None) -> str | None:
    """The text of a 1-based line of ``source`` (None when out of range)."""
    if line is None:
        return None
    lines = source.split("\n")
    return lines[line - 1] if 1 <= line <= len(lines) else None
