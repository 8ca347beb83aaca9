"""EmailNode: send a message over SMTP (STARTTLS or implicit TLS), text and/or HTML,
with attachments taken from the run's state.

The password is meant to be a ``[[secret]]``; SMTP errors are reported with the
server's reply code and text, never the credentials.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import smtplib
import ssl
from collections.abc import Mapping
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..base import BaseNode, NodeContext, NodeError
from ..registry import register


class EmailError(NodeError):
    """The message could not be built or the SMTP server refused it."""


class Attachment(BaseModel):
    """A file to attach: text ``content`` or binary ``content_base64``."""

    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255, title="File name")
    content: str | None = Field(None, title="Text content", description="e.g. {{results.csv}}")
    content_base64: str | None = Field(None, title="Base64 content")
    content_type: str = Field(
        "application/octet-stream", pattern=r"^[\w.+-]+/[\w.+-]+$", title="Content type"
    )

    @model_validator(mode="after")
    def _one_content(self) -> Attachment:
        if (self.content is None) == (self.content_base64 is None):
            raise ValueError("set exactly one of content or content_base64")
        return self


def _address(value: str) -> str:
    _, addr = parseaddr(value)
    if "@" not in addr or any(c in value for c in "\r\n"):
        raise ValueError(f"not an email address: {value!r}")
    return value


@register(
    category="communication",
    icon="mail",
    output="{sent: true, message_id, recipients, refused: {address: reason}}",
)
class EmailNode(BaseNode):
    """Send an email through an SMTP server (STARTTLS/SSL, text + HTML, attachments)."""

    smtp_host: str = Field("localhost", min_length=1, title="SMTP host")
    smtp_port: int = Field(587, ge=1, le=65535, title="SMTP port", description="587, 465, 25.")
    use_tls: bool = Field(True, title="STARTTLS", description="Upgrade the connection.")
    use_ssl: bool = Field(
        False, title="SSL/TLS", description="Implicit TLS from the start (usually port 465)."
    )
    verify_tls: bool = Field(True, title="Verify certificate")
    ca_file: str | None = Field(
        None, title="CA file", description="PEM bundle that signs the server's certificate."
    )
    username: str | None = Field(None, title="Username")
    password: str | None = Field(None, title="Password", description="Use a [[secret]].")
    from_address: str = Field(title="From")
    to_addresses: list[str] | str = Field(default_factory=list, title="To")
    cc_addresses: list[str] | str | None = Field(None, title="Cc")
    bcc_addresses: list[str] | str | None = Field(None, title="Bcc")
    reply_to: str | None = Field(None, title="Reply-To")
    subject: str = Field("", max_length=998, title="Subject")
    body: str = Field(
        "", title="Body", description="Text body.", json_schema_extra={"format": "textarea"}
    )
    subtype: str = Field(
        "plain", pattern="^(plain|html)$", title="Body type", description="plain or html."
    )
    html_body: str | None = Field(
        None,
        title="HTML body",
        description="Sent as the HTML alternative of the text body.",
        json_schema_extra={"format": "textarea"},
    )
    attachments: list[Attachment] = Field(default_factory=list, title="Attachments")
    timeout: float | None = Field(30.0, gt=0, le=600, title="Timeout (s)")

    @field_validator("to_addresses", "cc_addresses", "bcc_addresses", mode="after")
    @classmethod
    def _addresses(cls, value: list[str] | str | None) -> list[str] | None:
        if value is None:
            return None
        items = value.replace(";", ",").split(",") if isinstance(value, str) else value
        return [_address(v.strip()) for v in items if v and v.strip()]

    @field_validator("from_address", "reply_to")
    @classmethod
    def _one_address(cls, value: str | None) -> str | None:
        return None if value is None else _address(value)

    @field_validator("subject")
    @classmethod
    def _one_line(cls, value: str) -> str:
        if "\n" in value or "\r" in value:
            raise ValueError("the subject must be one line")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> EmailNode:
        if self.use_tls and self.use_ssl:
            raise ValueError("set use_tls (STARTTLS) or use_ssl (implicit TLS), not both")
        if self.password is not None and not self.username:
            raise ValueError("password needs a username")
        return self

    def _recipients(self) -> list[str]:
        out: list[str] = []
        for group in (self.to_addresses, self.cc_addresses, self.bcc_addresses):
            out += [parseaddr(a)[1] for a in group or []]
        if not out:
            raise EmailError("to_addresses", "no recipients")
        return list(dict.fromkeys(out))

    def _message(self) -> EmailMessage:
        msg = EmailMessage()
        msg["From"] = self.from_address
        if self.to_addresses:
            msg["To"] = ", ".join(self.to_addresses)
        if self.cc_addresses:
            msg["Cc"] = ", ".join(self.cc_addresses)
        if self.reply_to:
            msg["Reply-To"] = self.reply_to
        msg["Subject"] = self.subject
        msg["Date"] = formatdate(localtime=False, usegmt=True)
        domain = parseaddr(self.from_address)[1].rpartition("@")[2] or None
        msg["Message-ID"] = make_msgid(domain=domain)
        msg.set_content(self.body, subtype=self.subtype)
        if self.html_body is not None:
            msg.add_alternative(self.html_body, subtype="html")
        for i, att in enumerate(self.attachments):
            maintype, subtype = att.content_type.split("/", 1)
            if att.content is not None:
                if maintype == "text":
                    msg.add_attachment(att.content, subtype=subtype, filename=att.filename)
                    continue
                data = att.content.encode()
            else:
                try:
                    data = base64.b64decode(att.content_base64 or "", validate=True)
                except (binascii.Error, ValueError):
                    raise EmailError(
                        f"attachments[{i}].content_base64", "not valid base64"
                    ) from None
            msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=att.filename)
        return msg

    def _tls(self) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=self.ca_file)
        if not self.verify_tls:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def _send(self, msg: EmailMessage, recipients: list[str]) -> dict[str, Any]:
        timeout = self.timeout or 30.0
        where = f"{self.smtp_host}:{self.smtp_port}"
        try:
            smtp: smtplib.SMTP
            if self.use_ssl:
                smtp = smtplib.SMTP_SSL(
                    self.smtp_host, self.smtp_port, timeout=timeout, context=self._tls()
                )
            else:
                smtp = smtplib.SMTP(self.smtp_host, self.smtp_port, timeout=timeout)
            with smtp:
                smtp.ehlo()
                if self.use_tls:
                    if not smtp.has_extn("starttls"):
                        raise EmailError("use_tls", f"{where} does not offer STARTTLS")
                    smtp.starttls(context=self._tls())
                    smtp.ehlo()
                if self.username:
                    smtp.login(self.username, self.password or "")
                refused = smtp.send_message(msg, to_addrs=recipients)
        except smtplib.SMTPAuthenticationError as exc:
            raise EmailError("username", f"{where} refused the login: {_reply(exc)}") from None
        except smtplib.SMTPRecipientsRefused as exc:
            detail = "; ".join(f"{a}: {_reply_of(r)}" for a, r in exc.recipients.items())
            raise EmailError("to_addresses", f"{where} refused every recipient: {detail}") from None
        except smtplib.SMTPSenderRefused as exc:
            raise EmailError("from_address", f"{where} refused the sender: {_reply(exc)}") from None
        except smtplib.SMTPResponseException as exc:
            raise EmailError(None, f"{where} answered {_reply(exc)}") from None
        except ssl.SSLError as exc:
            raise EmailError("verify_tls", f"TLS with {where} failed: {exc.reason}") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise EmailError("smtp_host", f"cannot send through {where}: {exc}") from None
        return {
            "sent": True,
            "message_id": msg["Message-ID"],
            "recipients": recipients,
            "refused": {a: _reply_of(r) for a, r in refused.items()},
        }

    async def run(self, state: Mapping[str, Any], ctx: NodeContext) -> Any:
        recipients = self._recipients()
        try:
            msg = self._message()
        except ValueError as exc:
            raise EmailError(None, f"cannot build the message: {exc}") from None
        return await asyncio.to_thread(self._send, msg, recipients)


def _reply_of(pair: Any) -> str:
    code, text = pair
    text = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {text}"


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return _reply_of((exc.smtp_code, exc.smtp_error))
