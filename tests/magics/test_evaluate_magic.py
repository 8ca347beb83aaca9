"""``%orcheo evaluate NAME DATA``: one stored run per case, a score table in the notebook."""

from __future__ import annotations

import json
from typing import Any

from tests.nodes.test_evaluation import CASES, qa_doc

from .conftest import Shell


def test_evaluate_magic_shows_a_score_table(shell: Shell) -> None:
    doc = qa_doc()
    (shell.folder / "qa.orcheo.json").write_text(json.dumps(doc))
    (shell.folder / "cases.jsonl").write_text("\n".join(json.dumps(c) for c in CASES))
    shell.ok("_r = %orcheo evaluate qa cases.jsonl --limit 2 -o scores")
    result: Any = shell.ns["scores"]
    assert result is shell.ns["_r"]
    assert [c.case for c in result.cases] == ["q1", "q2"]
    assert all(c.status == "succeeded" and c.run_id for c in result.cases)
    assert result.means()["recall_at_k"] == 1.0
    shell.ok("from IPython.display import display; display(scores)")
    shown = shell.display.outputs[-1]["data"]
    assert "<caption>qa</caption>" in shown["text/html"]
    assert "<td>q1</td><td>succeeded</td>" in shown["text/html"]
    assert shown["text/plain"].splitlines()[0].split()[:2] == ["case", "status"]
    error = shell.cell("%orcheo evaluate qa missing.jsonl")
    assert error is not None and "cannot read missing.jsonl" in str(error)
