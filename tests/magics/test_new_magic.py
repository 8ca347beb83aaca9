"""``%orcheo new NAME --template T``: a workflow from the gallery, saved and shown."""

from __future__ import annotations

import json
from typing import Any

from .conftest import Shell


def test_new_from_template_saves_and_runs(shell: Shell, capsys: Any) -> None:
    shell.ok("%orcheo templates")
    assert "approval" in capsys.readouterr().out
    shell.ok("%orcheo new desk --template approval --no-show")
    path = shell.folder / "desk.orcheo.json"
    doc = json.loads(path.read_text())
    assert doc["name"] == "desk" and doc["id"]
    assert "saved desk.orcheo.json from template approval" in capsys.readouterr().out
    assert shell.ns["desk"].document.name == "desk"
    error = shell.cell("%orcheo new desk --template approval")
    assert error is not None and "desk.orcheo.json exists" in str(error)
    error = shell.cell("%orcheo new other --template nope")
    assert error is not None and "unknown template 'nope'" in str(error)
