"""EmailNode against a real local SMTP server (aiosmtpd): plain, STARTTLS, SSL, login."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from orcheo_jupyter.runtime.executor import Executor
from tests.conftest import vaulted_executor

from .helpers import chain_doc, node, results, run
from .smtp_server import SmtpServer

PASSWORD = "smtp-Pa55-word-XYZ"


@pytest.mark.asyncio
async def test_email_node_sends_text_html_and_attachments(
    executor: Executor, tmp_path: Path
) -> None:
    with SmtpServer(tmp_path) as smtp:
        doc = chain_doc(
            node("report", "SetVariableNode", variables={"csv": "id,total\n1,12.5\n"}),
            node(
                "mail",
                "EmailNode",
                smtp_host="127.0.0.1",
                smtp_port=smtp.port,
                use_tls=False,
                from_address="Orcheo <bot@example.org>",
                to_addresses="{{inputs.to}}",
                cc_addresses=["boss@example.org"],
                bcc_addresses=["audit@example.org"],
                subject="Daily report for {{inputs.name}}",
                body="Hello {{inputs.name}}, the report is attached.",
                html_body="<p>Hello <b>{{inputs.name}}</b></p>",
                attachments=[
                    {
                        "filename": "report.csv",
                        "content": "{{report.csv}}",
                        "content_type": "text/csv",
                    },
                    {
                        "filename": "logo.bin",
                        "content_base64": base64.b64encode(b"\x00\x01\xff").decode(),
                    },
                ],
            ),
        )
        out = results(
            await run(executor, doc, {"to": "ada@example.org, bob@example.org", "name": "Ada"})
        )["mail"]
        assert out["sent"] is True
        assert out["recipients"] == [
            "ada@example.org",
            "bob@example.org",
            "boss@example.org",
            "audit@example.org",
        ]
        assert out["refused"] == {}
        got = smtp.inbox.messages[-1]
        assert got["mail_from"] == "bot@example.org" and got["tls"] is False
        assert got["rcpt_tos"] == out["recipients"]
        msg = smtp.inbox.last()
        assert msg["Subject"] == "Daily report for Ada"
        assert msg["To"] == "ada@example.org, bob@example.org"
        assert msg["Bcc"] is None  # Bcc recipients get it without being shown
        assert msg["Message-ID"] == out["message_id"]
        body = msg.get_body(("plain",))
        html = msg.get_body(("html",))
        assert body is not None and body.get_content().strip() == (
            "Hello Ada, the report is attached."
        )
        assert html is not None and "<b>Ada</b>" in html.get_content()
        files = {a.get_filename(): a for a in msg.iter_attachments()}
        assert files["report.csv"].get_content_type() == "text/csv"
        assert files["report.csv"].get_content().replace("\r\n", "\n") == "id,total\n1,12.5\n"
        assert files["logo.bin"].get_content() == b"\x00\x01\xff"


@pytest.mark.asyncio
async def test_email_node_starttls_login_with_a_secret_password(tmp_path: Path) -> None:
    async with vaulted_executor(tmp_path / "data") as (executor, vault):
        await vault.create("smtp_pw", value=PASSWORD, scope=["mailer"])
        with SmtpServer(tmp_path, mode="starttls", users={"ada": PASSWORD}) as smtp:
            config = {
                "smtp_host": "localhost",
                "smtp_port": smtp.port,
                "ca_file": str(smtp.cert),
                "username": "ada",
                "password": "[[smtp_pw]]",
                "from_address": "ada@example.org",
                "to_addresses": ["bob@example.org", "nobody@example.org"],
                "subject": "over TLS",
                "body": "secret stuff",
            }
            doc = chain_doc(node("mail", "EmailNode", **config), name="mailer", id="mailer")
            record = await run(executor, doc)
            out = results(record)["mail"]
            assert out["refused"] == {"nobody@example.org": "550 no such user here"}
            got = smtp.inbox.messages[-1]
            assert got["tls"] is True and got["login"] == b"ada"
            assert got["rcpt_tos"] == ["bob@example.org"]
            stored = json.dumps(
                [
                    (await executor.store.get_run(record.id)).as_dict(),
                    [e.as_dict() for e in await executor.store.list_events(record.id)],
                    await executor.checkpoints(record.id),
                ],
                default=str,
            )
            assert PASSWORD not in stored

            # A wrong password is a clear failure naming the login, not the password.
            await vault.create("smtp_bad", value="wrong-password-1", scope=["mailer"])
            bad = chain_doc(
                node("mail", "EmailNode", **{**config, "password": "[[smtp_bad]]"}),
                name="mailer",
                id="mailer",
            )
            record = await run(executor, bad)
            assert record.status == "failed"
            assert "username: localhost:" in (record.error or "")
            assert "refused the login: 535" in (record.error or "")
            assert "wrong-password-1" not in (record.error or "")

            # Without the CA the self-signed certificate is rejected.
            unverified = chain_doc(
                node("mail", "EmailNode", **{**config, "ca_file": None}),
                name="mailer",
                id="mailer",
            )
            record = await run(executor, unverified)
            assert record.status == "failed"
            assert "verify_tls: TLS with localhost:" in (record.error or "")


@pytest.mark.asyncio
async def test_email_node_implicit_tls(executor: Executor, tmp_path: Path) -> None:
    with SmtpServer(tmp_path, mode="ssl") as smtp:
        doc = chain_doc(
            node(
                "mail",
                "EmailNode",
                smtp_host="localhost",
                smtp_port=smtp.port,
                use_tls=False,
                use_ssl=True,
                ca_file=str(smtp.cert),
                from_address="a@example.org",
                to_addresses=["b@example.org"],
                subject="hi",
                body="<h1>hi</h1>",
                subtype="html",
            )
        )
        results(await run(executor, doc))
        assert smtp.inbox.messages[-1]["tls"] is True
        assert smtp.inbox.last().get_content_type() == "text/html"


@pytest.mark.asyncio
async def test_email_node_rejects_bad_input(executor: Executor, tmp_path: Path) -> None:
    def mail(**config: object) -> dict[str, object]:
        base = {
            "from_address": "a@example.org",
            "to_addresses": ["b@example.org"],
            "use_tls": False,
            "smtp_port": 1,
        }
        return chain_doc(node("mail", "EmailNode", **{**base, **config}))

    record = await run(executor, mail(subject="{{inputs.s}}"), {"s": "x\nBcc: victim@example.org"})
    assert record.status == "failed"
    assert "config.subject: Value error, the subject must be one line" in (record.error or "")
    record = await run(executor, mail(to_addresses="{{inputs.to}}"), {"to": "not-an-address"})
    assert "config.to_addresses: Value error, not an email address: 'not-an-address'" in (
        record.error or ""
    )
    record = await run(executor, mail())
    assert record.status == "failed"
    assert "smtp_host: cannot send through localhost:1" in (record.error or "")
