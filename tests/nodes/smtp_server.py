"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives.

Modes: plain, STARTTLS (a self-signed certificate made here, its PEM given to
clients as the CA) and implicit TLS; optional login.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.services import free_port


def self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class Inbox:
    def __init__(self) -> None:
        self.messages: list[dict[str, Any]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            {
                "mail_from": envelope.mail_from,
                "rcpt_tos": list(envelope.rcpt_tos),
                "message": message_from_bytes(envelope.content, policy=policy.default),
                "tls": session.ssl is not None
                or server.transport.get_extra_info("sslcontext") is not None,
                "login": getattr(session.auth_data, "login", None),
            }
        )
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("nobody@"):
            return "550 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    def last(self) -> EmailMessage:
        return self.messages[-1]["message"]  # type: ignore[no-any-return]


class SmtpServer:
    """``with SmtpServer(tmp, mode="starttls", users={"ada": "pw"}) as s: s.port``."""

    def __init__(
        self, directory: Path, mode: str = "plain", users: dict[str, str] | None = None
    ) -> None:
        self.inbox = Inbox()
        self.port = free_port()
        self.cert, key = self_signed(directory)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, key)
        users = users or {}

        def authenticate(
            server: Any, session: Any, envelope: Any, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and users.get(data.login.decode()) == (
                data.password.decode()
            )
            return AuthResult(success=ok, handled=False, auth_data=data)

        kwargs: dict[str, Any] = {
            "hostname": "127.0.0.1",
            "port": self.port,
            "auth_require_tls": mode != "plain",
            "authenticator": authenticate if users else None,
        }
        if mode == "starttls":
            kwargs.update(tls_context=context, require_starttls=True)
        elif mode == "ssl":
            kwargs.update(ssl_context=context)
        self.controller = Controller(self.inbox, **kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()
