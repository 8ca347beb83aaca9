"""The base of the records stores return (and of ``spec.problems.Problem``): one
``as_dict`` for all of them."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, ClassVar, cast


class Record:
    """A dataclass a store returns, or a document problem; ``as_dict`` is its JSON shape
    (every field but those named in ``private``, which stay inside the server)."""

    private: ClassVar[tuple[str, ...]] = ()

    def as_dict(self) -> dict[str, Any]:
        data = asdict(cast(Any, self))
        for name in self.private:
            del data[name]
        return data
