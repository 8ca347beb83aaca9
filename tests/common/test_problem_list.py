"""ProblemListError: the problems, the title, and the text both error kinds show."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from orcheo_jupyter.common.problem_list import ProblemListError
from orcheo_jupyter.export.errors import ExportError, ExportProblem
from orcheo_jupyter.magics.errors import CellProblem, OrcheoCellError


@dataclass(frozen=True)
class Spot:
    message: str
    line: int = 0

    def __str__(self) -> str:
        return f"{self.line}: {self.message}"


class Refused(ProblemListError[Spot]):
    @classmethod
    def problem(cls, message: str) -> Spot:
        return Spot(message)


def test_problems_and_title_are_kept_and_joined() -> None:
    error = Refused([Spot("a", 1), Spot("b", 2)], title="2 problems")
    assert error.problems == [Spot("a", 1), Spot("b", 2)]
    assert error.title == "2 problems"
    assert str(error) == "2 problems\n1: a\n2: b"
    assert str(Refused([Spot("a", 1)])) == "1: a"


def test_a_bare_message_is_one_problem() -> None:
    error = Refused("broken")
    assert error.problems == [Spot("broken")]
    assert str(error) == "0: broken"


def test_a_title_without_problems_is_the_whole_text() -> None:
    assert str(Refused([], title="nothing to export")) == "nothing to export"


def test_an_error_that_says_no_problem_kind_refuses_a_bare_message() -> None:
    with pytest.raises(NotImplementedError):
        ProblemListError("x")


def test_export_error_prints_one_problem_per_line() -> None:
    error = ExportError(
        [ExportProblem("bad option", cell=4, what="%%orcheo greet", line=1), ExportProblem("x")],
        title="cannot export n.ipynb",
    )
    assert str(error) == "cannot export n.ipynb\ncell 4 (%%orcheo greet), line 1: bad option\nx"
    assert ExportError("no notebook").problems == [ExportProblem("no notebook")]


def test_cell_error_is_one_line() -> None:
    error = OrcheoCellError([CellProblem("bad", line=3), CellProblem("worse")], title="cell")
    assert str(error) == "cell: line 3: bad; worse"
    assert str(OrcheoCellError("just this")) == "just this"
    assert OrcheoCellError("just this").problems == [CellProblem("just this")]
    assert error.lines == [3]
