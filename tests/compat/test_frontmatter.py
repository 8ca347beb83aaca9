"""Upstream's ``# /// orcheo`` block and explicit entrypoints for scripts.

The block names the workflow and its entrypoint (upstream's uploader reads it);
the command line takes ``--entrypoint`` as upstream's ``workflow upload`` does.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orcheo_jupyter.ingest.script import import_script
from orcheo_jupyter.spec.problems import DocumentError
from orcheo_jupyter.workflow import Workflow
from tests.compat.scripts import FRONTMATTER, GRAPH_CONFIG


def cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "ORCHEO_DATA_DIR": str(tmp_path / "data")},
        timeout=120,
    )


def test_the_block_names_the_workflow_and_its_graph(tmp_path: Path) -> None:
    path = tmp_path / "digest.py"
    path.write_text(FRONTMATTER)
    wf = Workflow.load(path)
    assert wf.name == "Daily digest"
    assert wf.document.graph.entrypoint == "digest_graph"  # type: ignore[union-attr]
    assert wf.document.graph.index.nodes == ["headline"]  # type: ignore[union-attr]
    assert wf.run({"topic": "rust"}).state == {"headline": "Rust"}


def test_the_restricted_import_reads_the_block_too() -> None:
    doc = asyncio.run(import_script(FRONTMATTER, "digest"))
    assert doc.graph.entrypoint == "digest_graph"  # type: ignore[union-attr]
    assert doc.graph.index.nodes == ["headline"]  # type: ignore[union-attr]
    # A stored script without an entrypoint still finds it through the block.
    stored = doc.model_copy(update={"graph": doc.graph.model_copy(update={"entrypoint": None})})
    assert Workflow.from_document(stored).run({"topic": "go"}).state == {"headline": "Go"}


def test_an_explicit_entrypoint_wins_over_the_block() -> None:
    wf = Workflow.from_script(FRONTMATTER, "d", entrypoint="draft_graph")
    assert wf.document.graph.index.nodes == ["draft"]  # type: ignore[union-attr]


CONFIG_LINE = '# config = "./digest.config.json"'
ENTRY_LINE = '# entrypoint = "digest_graph"'


@pytest.mark.parametrize(
    ("line", "block", "message"),
    [
        (CONFIG_LINE, '# owner = "me"', "the '# /// orcheo' block has unknown field(s) owner"),
        (CONFIG_LINE, "# name = ", "the '# /// orcheo' block is not valid TOML"),
        (
            ENTRY_LINE,
            '# entrypoint = ""',
            "the '# /// orcheo' block's entrypoint must be a non-empty string",
        ),
    ],
)
def test_a_bad_block_is_named(line: str, block: str, message: str) -> None:
    source = FRONTMATTER.replace(line, block)
    with pytest.raises(DocumentError) as caught:
        Workflow.from_script(source, "d")
    [problem] = caught.value.problems
    assert (problem.field, problem.message[: len(message)]) == ("graph.source", message)


def test_the_command_line_takes_an_entrypoint(tmp_path: Path) -> None:
    # Upstream's SDK quickstart keeps its config in a function and imports build_graph.
    path = tmp_path / "quickstart.py"
    path.write_text(GRAPH_CONFIG.split("\n\ndef orcheo_workflow")[0] + "\n")
    proc = cli(tmp_path, "validate", str(path))
    assert proc.returncode == 1
    assert "script defines 0 graphs" in proc.stderr
    proc = cli(
        tmp_path, "run", str(path), "--entrypoint", "greeting_config", "--inputs", '{"n": 5}'
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["results"]["big"] == {"size": "big"}


def test_an_entrypoint_for_a_document_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "doc.json"
    path.write_text(json.dumps({"name": "x", "nodes": [], "edges": []}))
    proc = cli(tmp_path, "validate", str(path), "--entrypoint", "build_graph")
    assert (proc.returncode, proc.stderr) == (
        1,
        "error: entrypoint: only a Python script (.py) has an entrypoint; doc.json is a document\n",
    )
