"""An error that lists every problem found (not just the first), under an optional title.

The notebook export and the ``%%orcheo`` magics both refuse with such a list: one
problem per place to fix. This base keeps the list, the title and how a bare message
becomes one problem; each error says only how its problems are joined into text
and what a problem is.
"""

from __future__ import annotations

from typing import ClassVar, Generic, TypeVar

P = TypeVar("P")


class ProblemListError(Exception, Generic[P]):
    """``problems`` (each printable on its own) and ``title``; ``str()`` joins them."""

    #: Between two problems, and between the title and the problems, in ``str(error)``.
    separator: ClassVar[str] = "\n"
    title_separator: ClassVar[str] = "\n"

    def __init__(self, problems: list[P] | str, *, title: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [self.problem(problems)]
        self.problems = problems
        self.title = title
        text = self.separator.join(str(p) for p in problems)
        super().__init__(self.title_separator.join(t for t in (title, text) if t))

    @classmethod
    def problem(cls, message: str) -> P:
        """The problem a bare message stands for (it names no place)."""
        raise NotImplementedError
