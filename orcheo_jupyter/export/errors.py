"""Why an export was refused: one problem per line, each naming the notebook cell.

A notebook is read as cells, so that is what a reader looks for: "cell 4
(%%orcheo greet), line 3: ..." points at the text to fix, the way the magic
itself reports a bad cell.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..common.problem_list import ProblemListError


@dataclass(frozen=True)
class ExportProblem:
    """One problem, located by notebook cell (1-based, as the notebook shows them)."""

    message: str
    cell: int | None = None
    what: str | None = None  # "%%orcheo greet", "parameters", "greet.orcheo.json"
    line: int | None = None  # line within the cell

    def where(self) -> str:
        parts = []
        if self.cell is not None:
            parts.append(f"cell {self.cell}" + (f" ({self.what})" if self.what else ""))
        elif self.what:
            parts.append(self.what)
        if self.line is not None:
            parts.append(f"line {self.line}")
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.message}" if where else self.message


class ExportError(ProblemListError[ExportProblem]):
    """The notebook cannot be exported; ``problems`` says where and why, one per line."""

    @classmethod
    def problem(cls, message: str) -> ExportProblem:
        return ExportProblem(message)
