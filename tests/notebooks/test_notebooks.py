"""Every demo notebook runs headless, top to bottom, without an error."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "nb"
    work.mkdir()
    shutil.copy(path, work / path.name)
    monkeypatch.setenv("ORCHEO_DATA_DIR", str(tmp_path / "data"))
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    nb = nbformat.read(work / path.name, as_version=4)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    client.execute()
    errors = [
        o
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
        if o.output_type == "error"
    ]
    assert errors == []
    assert os.path.exists(tmp_path / "data" / "orcheo.sqlite")


def test_rag_offline_notebook_needs_no_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The RAG demo answers with citations and scores itself with every proxy dead."""
    path = next(p for p in NOTEBOOKS if p.stem == "rag_offline")
    work = tmp_path / "repo" / "notebooks"
    work.mkdir(parents=True)
    shutil.copytree(path.parents[1] / "docs", tmp_path / "repo" / "docs")
    shutil.copy(path, work / path.name)
    monkeypatch.setenv("ORCHEO_DATA_DIR", str(tmp_path / "data"))
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")  # any attempt to go out fails
    monkeypatch.setenv("NO_PROXY", "")
    for var in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR"):
        monkeypatch.setenv(var, str(tmp_path / var.lower()))
    nb = nbformat.read(work / path.name, as_version=4)
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    ).execute()
    texts = [
        o.get("text", "") + json.dumps(o.get("data", {}))
        for c in nb.cells
        if c.cell_type == "code"
        for o in c.get("outputs", [])
    ]
    joined = "\n".join(texts)
    assert "Sources:\n[1] deploy.md" in joined
    assert "<caption>docs_rag_eval</caption>" in joined
    assert (tmp_path / "data" / "vectors.sqlite").exists()


def test_readme_names_every_demo_notebook() -> None:
    """The README's list of demo notebooks (the Binder paragraph) misses none of them."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    listed = " ".join(readme.split("(`notebooks/`:", 1)[1].split(")", 1)[0].split()).lower()
    missing = [p.stem for p in NOTEBOOKS if p.stem.replace("_", " ") not in listed]
    assert missing == []


def test_demo_texts_name_canvas_buttons_as_the_toolbar_shows_them() -> None:
    """The toolbar draws SVG icons beside its labels: a glyph the canvas never shows
    ("▶ Run", "💾 Save", "⊞ Layout", "⤢ Fit", "🔑") sends a reader looking for it."""
    glyphs = "▶💾⊞⤢🔑"
    found = [
        (path.stem, glyph)
        for path in NOTEBOOKS
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "markdown"
        for glyph in glyphs
        if glyph in cell.source
    ]
    assert found == []
