"""jsonschema comes without its IRI grammar build, and IRI formats are still checked.

Each check runs in a fresh interpreter: in this one jsonschema may be imported already.
"""

from __future__ import annotations

import json
import subprocess
import sys
from importlib.util import find_spec

import pytest

pytestmark = pytest.mark.skipif(
    find_spec("rfc3987_syntax") is None, reason="rfc3987_syntax is not installed here"
)


def _fresh(code: str) -> object:
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_checking_a_documents_inputs_schema_does_not_build_the_iri_grammar() -> None:
    loaded = _fresh(
        "import json, sys\n"
        "from orcheo_jupyter import spec\n"
        "from orcheo_jupyter.spec.inputs import schema_problems\n"
        "doc = spec.WorkflowDocument.model_validate({'name': 'x', 'inputs_schema': "
        "{'type': 'objekt'}, 'graph': {'format': 'frozen-ir', 'ir': {'nodes': [], "
        "'edges': []}}})\n"
        "print(json.dumps([[p.message for p in schema_problems(doc)], "
        "'rfc3987_syntax' in sys.modules and sys.modules['rfc3987_syntax'] is not None]))"
    )
    messages, grammar_built = loaded  # type: ignore[misc]
    assert grammar_built is False
    assert len(messages) == 1
    assert messages[0].startswith("not a valid JSON Schema: 'objekt' is not valid")


def test_iri_formats_are_still_checked() -> None:
    found = _fresh(
        "import json\n"
        "from orcheo_jupyter.nodes.support.schema_checks import schema_errors\n"
        "schema = {'type': 'object', 'properties': {'home': {'format': 'iri'}, "
        "'link': {'format': 'iri-reference'}}}\n"
        "bad = schema_errors(schema, {'home': 'not an iri', 'link': 'http://[x'}, 'answer')\n"
        "good = schema_errors(schema, {'home': 'https://例え.jp/パス', 'link': '../a?b'}, "
        "'answer')\n"
        "print(json.dumps([bad, good]))"
    )
    assert found == [
        [
            {"path": "answer.home", "message": "'not an iri' is not a 'iri'"},
            {"path": "answer.link", "message": "'http://[x' is not a 'iri-reference'"},
        ],
        [],
    ]
