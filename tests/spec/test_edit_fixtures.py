"""The shared edit fixtures (tests/ts/fixtures/edits): the Python edit engine must give
each case's canonical JSON, or refuse it at the named edit with the named reason and
leave the document byte for byte. src/canvas/doc.ts is held to the same file by
tests/ts/edits.test.ts, so the canvas and the kernel never disagree about an edit."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter import spec
from orcheo_jupyter.spec.edits import EditError, apply_edits

FIXTURES = Path(__file__).resolve().parents[1] / "ts" / "fixtures" / "edits"
CASES: list[dict[str, Any]] = json.loads((FIXTURES / "sequences.json").read_text(encoding="utf-8"))[
    "cases"
]


def _text(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_python_engine_reproduces_the_fixture(case: dict[str, Any]) -> None:
    start = _text(case["start"])
    doc = spec.loads(start)
    if "error" in case:
        with pytest.raises(EditError) as err:
            apply_edits(doc, case["edits"])
        got = {"index": err.value.index, "op": err.value.op, "reason": err.value.reason}
        assert got == case["error"]
        assert spec.dumps(doc) == start
    else:
        apply_edits(doc, case["edits"])
        assert spec.dumps(doc) == _text(case["expected"])


def test_fixture_files_are_canonical_and_every_op_is_covered() -> None:
    from orcheo_jupyter.spec.edits import OPS

    for path in FIXTURES.glob("*.json"):
        if path.name != "sequences.json":
            assert spec.dumps(spec.loads(path.read_text(encoding="utf-8"))) == path.read_text(
                encoding="utf-8"
            ), path.name
    used = {edit["op"] for case in CASES for edit in case["edits"]}
    assert used == set(OPS)
    assert {c["name"] for c in CASES if "error" in c} and {
        c["name"] for c in CASES if "expected" in c
    }
