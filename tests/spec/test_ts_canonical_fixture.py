"""The canonical-JSON fixture the TypeScript unit tests compare against (tests/ts/).

The canvas writes documents with ``src/canvas/canonical.ts``; its vitest suite checks
that parsing ``canonical_expected.json`` and writing it again gives the same bytes. This
test pins that fixture to what Python's ``spec.dumps`` produces today, so the two writers
cannot drift apart unnoticed.
"""

import json
from pathlib import Path

from orcheo_jupyter.spec import io

FIXTURES = Path(__file__).resolve().parents[1] / "ts" / "fixtures"


def test_fixture_is_pythons_canonical_text() -> None:
    source = json.loads((FIXTURES / "canonical_input.json").read_text(encoding="utf-8"))
    expected = (FIXTURES / "canonical_expected.json").read_text(encoding="utf-8")
    assert io.dumps(io.document_from_data(source)) == expected
