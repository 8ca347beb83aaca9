"""Every template in the gallery runs offline, against local servers, as created."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from langchain_core.messages import AIMessage

from orcheo_jupyter import templates
from orcheo_jupyter.evaluate import evaluate
from orcheo_jupyter.nodes.registry import check_node
from orcheo_jupyter.runtime.executor import Executor
from orcheo_jupyter.settings import Settings
from orcheo_jupyter.spec import document_from_data, validate_document
from tests.nodes.helpers import results
from tests.nodes.http_server import FaultServer
from tests.nodes.pages_server import PagesServer
from tests.nodes.smtp_server import SmtpServer
from tests.nodes.test_ai import scripted
from tests.nodes.test_web import RSS

MCP_SERVER = str(Path(__file__).parents[1] / "nodes" / "mcp_server.py")


@pytest_asyncio.fixture
async def env(tmp_path: Path) -> AsyncIterator[tuple[Executor, Path]]:
    data = tmp_path / "data"
    executor = await Executor.open(Settings(data_dir=data, durability="sync"))
    try:
        yield executor, data
    finally:
        await executor.aclose()


def test_gallery_lists_at_least_eight_valid_templates() -> None:
    names = templates.names()
    assert len(names) >= 8
    for name in names:
        doc = document_from_data(templates.document(name, f"my-{name}"))
        assert doc.name == f"my-{name}" and doc.description
        errors = [p for p in validate_document(doc, check_node) if p.severity == "error"]
        assert errors == [], (name, errors)
    with pytest.raises(templates.UnknownTemplate, match="unknown template 'nope'; known: "):
        templates.document("nope")


async def _run(executor: Executor, name: str, inputs: dict[str, Any]) -> Any:
    return await executor.execute(templates.document(name), inputs)


@pytest.mark.asyncio
async def test_webhook_transform_http(env: tuple[Executor, Path]) -> None:
    executor, _ = env
    with FaultServer() as server:
        body = {
            "customer": {"email": "ADA@Example.org", "name": "ada lovelace"},
            "items": [1, 2, 3],
        }
        record = await _run(
            executor, "webhook-transform-http", {"target_url": server.base + "/echo", "body": body}
        )
        out = results(record)
        assert out["transform"]["result"] == {
            "email": "ada@example.org",
            "name": "Ada Lovelace",
            "item_count": 3,
        }
        sent = json.loads(out["forward"]["json"]["body"])
        assert sent == out["transform"]["result"]


@pytest.mark.asyncio
async def test_rss_email_digest(env: tuple[Executor, Path], tmp_path: Path) -> None:
    executor, _ = env
    with (
        PagesServer({"/feed.xml": ("application/rss+xml", RSS)}) as site,
        SmtpServer(tmp_path) as smtp,
    ):
        record = await _run(
            executor,
            "rss-email-digest",
            {
                "feeds": [site.url("/feed.xml")],
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp.port,
                "to": "ada@example.org",
            },
        )
        results(record)
        msg = smtp.inbox.last()
        assert msg["Subject"] == "Daily digest: 2 entries"
        assert msg["To"] == "ada@example.org"
        assert msg.get_content().replace("\r\n", "\n") == (
            "- Newer & better (https://example.org/newer)\n- Older (https://example.org/older)\n"
        )


def _docs(root: Path) -> Path:
    root.mkdir()
    (root / "install.md").write_text(
        "# Install\n\nInstall the package with pip install orcheo-jupyter. "
        "Then start JupyterLab with jupyter lab.\n"
    )
    (root / "runs.md").write_text(
        "# Runs\n\nA run is started with the magic %orcheo run NAME. "
        "Every run is stored with its events and checkpoints.\n"
    )
    (root / "vault.txt").write_text("Credentials live in the vault, encrypted at rest.")
    return root


@pytest.mark.asyncio
async def test_rag_folder_and_its_evaluation(env: tuple[Executor, Path], tmp_path: Path) -> None:
    executor, _ = env
    root = _docs(tmp_path / "docs")
    record = await _run(
        executor, "rag-folder", {"docs_root": str(root), "message": "How is a run started?"}
    )
    out = results(record)
    assert out["index"]["count"] >= 3
    reply = out["grounded_generator"]["reply"]
    assert "%orcheo run NAME [1]" in reply
    assert out["grounded_generator"]["citations"][0]["source"] == "runs.md"
    assert out["citations"]["formatted"].endswith(out["citations"]["references"][-1]["snippet"])

    cases = [
        {
            "id": "start",
            "message": "How is a run started?",
            "answer": "A run is started with the magic %orcheo run NAME.",
            "relevant_ids": ["runs.md"],
        },
        {
            "id": "secrets",
            "message": "Where do credentials live?",
            "answer": "Credentials live in the vault, encrypted at rest.",
            "relevant_ids": ["vault.txt"],
        },
    ]
    report = await evaluate(executor, templates.document("rag-evaluation"), cases)
    assert [c.status for c in report.cases] == ["succeeded", "succeeded"]
    means = report.means()
    assert means["recall_at_k"] == 1.0 and means["mrr"] == 1.0
    assert means["token_f1"] > 0.6 and means["rougeL_fmeasure"] > 0.6


@pytest.mark.asyncio
async def test_agent_mcp(env: tuple[Executor, Path]) -> None:
    executor, _ = env
    model = scripted(
        AIMessage("", tool_calls=[{"name": "add", "args": {"a": 1, "b": 2}, "id": "t1"}]),
        AIMessage("1 + 2 = 3"),
    )
    executor.services = executor.services.replace(chat_models={"fake:agent": model})
    record = await _run(
        executor,
        "agent-mcp",
        {
            "model": "fake:agent",
            "message": "1+2?",
            "mcp_command": sys.executable,
            "mcp_args": [MCP_SERVER],
        },
    )
    out = results(record)
    assert out["agent"]["content"] == "1 + 2 = 3"
    assert out["agent"]["tool_calls"] == [{"name": "add", "args": {"a": 1, "b": 2}, "ok": True}]


@pytest.mark.asyncio
async def test_approval(env: tuple[Executor, Path]) -> None:
    executor, _ = env
    record = await _run(executor, "approval", {"request": "a desk"})
    assert record.status == "interrupted"
    assert record.interrupt[0]["value"]["prompt"] == "Approve a desk for 1200?"
    await executor.resume(record.id, {"approved": True, "comment": "fine"})
    done = await executor.wait(record.id)
    assert results(done)["approved"] == {"status": "approved", "comment": "fine"}
    record = await _run(executor, "approval", {})
    await executor.resume(record.id, {"approved": False})
    out = results(await executor.wait(record.id))
    assert out["rejected"]["status"] == "rejected" and "approved" not in out


@pytest.mark.asyncio
async def test_sql_report(env: tuple[Executor, Path]) -> None:
    executor, data = env
    data.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(data / "shop.sqlite") as conn:
        conn.execute("CREATE TABLE orders (region TEXT, total REAL, placed TEXT)")
        conn.executemany(
            "INSERT INTO orders VALUES (?, ?, ?)",
            [
                ("north", 10, "2026-02-01"),
                ("north", 5.5, "2026-03-01"),
                ("south", 30, "2026-02-02"),
                ("south", 99, "2025-12-31"),
            ],
        )
    out = results(await _run(executor, "sql-report", {"since": "2026-01-01"}))
    assert out["report"]["text"] == (
        "Sales since 2026-01-01\nsouth: 1 orders, 30.0\nnorth: 2 orders, 15.5\n"
    )


@pytest.mark.asyncio
async def test_poll_dedupe_webhook(env: tuple[Executor, Path]) -> None:
    executor, _ = env
    # New ids are posted in the list's order (not sorted, not in the order parallel
    # inserts happened to commit).
    items = [{"id": i} for i in ("k", "c", "x", "a", "q", "b", "m", "e")]
    with (
        PagesServer({"/items": ("application/json", json.dumps(items))}) as source,
        FaultServer() as hook,
    ):
        inputs = {"source_url": source.url("/items"), "webhook_url": hook.base + "/echo"}
        first = results(await _run(executor, "poll-dedupe-webhook", inputs))
        assert json.loads(first["notify"]["json"]["body"]) == {"new": items}
        more = [{"id": "z"}, {"id": "d"}]
        source.pages["/items"] = ("application/json", json.dumps([*more[:1], *items, *more[1:]]))
        second = results(await _run(executor, "poll-dedupe-webhook", inputs))
        assert json.loads(second["notify"]["json"]["body"]) == {"new": more}
        third = results(await _run(executor, "poll-dedupe-webhook", inputs))
        assert "notify" not in third and third["nothing_new"] == {}
        assert [r["method"] for r in hook.requests] == ["POST", "POST"]


def test_cli_templates_and_new(tmp_path: Path) -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "orcheo_jupyter", "templates", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert [t["name"] for t in json.loads(listed.stdout)] == templates.names()
    target = tmp_path / "report.orcheo.json"
    made = subprocess.run(
        [
            sys.executable,
            "-m",
            "orcheo_jupyter",
            "new",
            "report",
            "--template",
            "sql-report",
            "-o",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    assert json.loads(target.read_text())["name"] == "report"
    again = subprocess.run(
        [
            sys.executable,
            "-m",
            "orcheo_jupyter",
            "new",
            "report",
            "--template",
            "sql-report",
            "-o",
            str(target),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert again.returncode == 2 and "exists; pick another name or add --force" in again.stderr
