"""Every shared conformance case, through the Python API and through the CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from orcheo_jupyter import DocumentError, Workflow
from tests.conformance.check import assert_absent, assert_subset
from tests.conftest import conformance_cases


@pytest.mark.parametrize("case", conformance_cases())
def test_python_api(case: dict[str, Any]) -> None:
    if "expect_error" in case:
        with pytest.raises(DocumentError) as info:
            Workflow.from_document(case["document"]).run(case["inputs"])
        for fragment in case["expect_error"]:
            assert fragment in str(info.value)
        return
    result = Workflow.from_document(case["document"]).run(case["inputs"])
    assert result.status == "succeeded", result.error
    assert_subset(case["expect"], result.state)
    assert_absent(case["absent"], result.state)


@pytest.mark.parametrize("case", conformance_cases())
def test_cli(case: dict[str, Any], tmp_path: Path) -> None:
    doc = tmp_path / "case.json"
    doc.write_text(json.dumps(case["document"]))
    env = {**os.environ, "ORCHEO_DATA_DIR": str(tmp_path / "data")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "orcheo_jupyter",
            "run",
            str(doc),
            "--inputs",
            json.dumps(case["inputs"]),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr
    if "expect_error" in case:
        assert proc.returncode != 0
        for fragment in case["expect_error"]:
            assert fragment in proc.stderr
        return
    assert proc.returncode == 0, proc.stderr
    state = json.loads(proc.stdout)
    assert_subset(case["expect"], state)
    assert_absent(case["absent"], state)
