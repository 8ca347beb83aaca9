"""The vault: named, scoped, sealed credentials, and an audit entry for every read.

Values are sealed with AES-256-GCM before they reach storage and leave the vault
only through ``read``/``resolve``, into a run (or into a webhook check). The
vault implements the runtime's ``SecretResolver`` protocol, so the executor can
refuse a run whose credentials are missing, unhealthy or out of scope before it
starts, and nodes get values just before they run.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import re
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypedDict, Unpack

from ..common.options import check_options
from ..common.timestamps import utcnow
from ..runtime.secrets import NAME_PATTERN, SecretRef, SecretUnavailable
from ..settings import Settings
from ..store.base import NotFound
from .crypto import Sealer, SealError
from .keys import load_key
from .records import KINDS, AuditEntry, CredentialInfo, CredentialRow, Health, Kind
from .store import CredentialStore, SqliteCredentialStore

MAX_VALUE_CHARS = 64 * 1024
_NAME = re.compile(rf"^{NAME_PATTERN}$")
_UNSET: Any = object()


class CredentialInvalid(ValueError):
    """A create/rotate/update request the vault refuses; names the field and the reason."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        self.message = message
        super().__init__(f"{field}: {message}")


class _ReaderWorkflow(TypedDict):
    #: The workflow the value is for: the credential's scope decides (None: no workflow).
    #: Required, so declared in a total TypedDict of its own: ``Required[...]`` is not
    #: seen at run time under postponed annotations, and ``check_options`` checks it then.
    workflow_id: str | None


class Reader(_ReaderWorkflow, total=False):
    """Who reads a credential, as its audit entry records it: the keyword options of
    ``Vault.read`` and ``Vault.read_audited``, declared once for both."""

    #: The run that reads it.
    run_id: str | None
    #: The node of that run.
    node: str | None
    #: Who else reads it ("webhook", "http_polling") [``run`` when a run_id is given].
    actor: str | None


@dataclass(frozen=True)
class OAuthTokens:
    access_token: str
    refresh_token: str | None = None
    token_type: str | None = None
    expires_at: str | None = None  # ISO 8601; stored as UTC


def _utc(text: str, field: str) -> str:
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CredentialInvalid(field, f"expected an ISO 8601 date-time, not {text!r}") from None
    if when.tzinfo is None:
        raise CredentialInvalid(field, "needs a time zone (e.g. 2030-01-01T00:00:00Z)")
    return when.astimezone(dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _check_text(value: Any, field: str) -> str:
    if not isinstance(value, str) or not value:
        raise CredentialInvalid(field, "expected a non-empty string")
    if len(value) > MAX_VALUE_CHARS:
        raise CredentialInvalid(field, f"longer than {MAX_VALUE_CHARS} characters")
    return value


def _payload(kind: Kind, value: str | None, oauth: OAuthTokens | None) -> tuple[bytes, str | None]:
    """The plaintext to seal and the expiry to keep in clear."""
    if kind == "secret":
        if oauth is not None:
            raise CredentialInvalid("oauth", "only for credentials of kind 'oauth'")
        return json.dumps({"value": _check_text(value, "value")}).encode(), None
    if value is not None:
        raise CredentialInvalid("value", "an oauth credential takes 'oauth' tokens, not 'value'")
    if oauth is None:
        raise CredentialInvalid("oauth", "required for credentials of kind 'oauth'")
    data: dict[str, Any] = {"access_token": _check_text(oauth.access_token, "oauth.access_token")}
    if oauth.refresh_token is not None:
        data["refresh_token"] = _check_text(oauth.refresh_token, "oauth.refresh_token")
    if oauth.token_type is not None:
        data["token_type"] = oauth.token_type
    expires = _utc(oauth.expires_at, "oauth.expires_at") if oauth.expires_at else None
    data["expires_at"] = expires
    return json.dumps(data).encode(), expires


def _check_scope(scope: list[str] | None) -> list[str] | None:
    if scope is None:
        return None
    cleaned = []
    for i, item in enumerate(scope):
        if not isinstance(item, str) or not item.strip():
            raise CredentialInvalid(f"scope.{i}", "expected a workflow id")
        cleaned.append(item.strip())
    return sorted(set(cleaned))


class Vault:
    """Credentials sealed at rest; implements ``runtime.secrets.SecretResolver``."""

    def __init__(
        self,
        store: CredentialStore,
        sealer: Sealer,
        *,
        now: Callable[[], dt.datetime] | None = None,
        cache_seconds: float = 1.0,
    ) -> None:
        self.store = store
        self._sealer = sealer
        self._now = now or (lambda: dt.datetime.now(dt.UTC))
        self._cache_seconds = cache_seconds
        self._rows: dict[str, tuple[float, CredentialRow | None]] = {}
        self._opened: dict[tuple[str, int], dict[str, Any] | SealError] = {}

    @classmethod
    async def open(
        cls,
        settings: Settings | None = None,
        *,
        key: str | None = None,
        key_file: str | Path | None = None,
        **kwargs: Any,
    ) -> Vault:
        """The embedded vault: ``vault.sqlite`` and (by default) ``vault.key`` in the data dir."""
        settings = settings or Settings.from_env()
        sealer = Sealer(load_key(settings.data_dir, key=key, key_file=key_file))
        store: CredentialStore
        if settings.repository_backend == "postgres":  # beside the repository's tables
            from ..store.factory import postgres_dsn
            from .store_postgres import PostgresCredentialStore

            store = PostgresCredentialStore(postgres_dsn(settings, "ORCHEO_REPOSITORY_BACKEND"))
        else:
            store = SqliteCredentialStore(settings.data_dir / "vault.sqlite")
        await store.open()
        return cls(store, sealer, **kwargs)

    async def close(self) -> None:
        await self.store.close()

    # --- rows, plaintexts and health ------------------------------------------------
    async def _row(self, name: str) -> CredentialRow | None:
        cached = self._rows.get(name)
        if cached is not None and time.monotonic() - cached[0] < self._cache_seconds:
            return cached[1]
        try:
            row: CredentialRow | None = await self.store.get(name)
        except NotFound:
            row = None
        self._rows[name] = (time.monotonic(), row)
        return row

    def _forget(self, name: str) -> None:
        self._rows.pop(name, None)

    def _open_row(self, row: CredentialRow) -> dict[str, Any] | SealError:
        key = (row.id, row.version)
        opened = self._opened.get(key)
        if opened is None:
            try:
                if row.key_id != self._sealer.key_id:
                    raise SealError(
                        "cannot be decrypted: it was sealed with another vault key "
                        f"(key id {row.key_id}, this vault uses {self._sealer.key_id})"
                    )
                opened = json.loads(self._sealer.open(row.sealed, row.context()))
            except SealError as exc:
                opened = exc
            if len(self._opened) > 1024:
                self._opened.clear()
            self._opened[key] = opened
        return opened

    def _health(self, row: CredentialRow) -> Health:
        opened = self._open_row(row)
        if isinstance(opened, SealError):
            return Health("undecryptable", str(opened))
        if row.expires_at is not None:
            expires = dt.datetime.fromisoformat(row.expires_at.replace("Z", "+00:00"))
            if expires <= self._now():
                return Health("expired", f"its access token expired at {row.expires_at}")
        return Health("healthy")

    def _info(self, row: CredentialRow) -> CredentialInfo:
        return CredentialInfo(
            id=row.id,
            name=row.name,
            kind=row.kind,
            scope=row.scope,
            description=row.description,
            expires_at=row.expires_at,
            created_at=row.created_at,
            rotated_at=row.rotated_at,
            version=row.version,
            health=self._health(row),
        )

    def _problem(self, row: CredentialRow | None, ref: SecretRef, workflow_id: str | None) -> str:
        """Why ``ref`` cannot be resolved for this workflow ("" when it can)."""
        if row is None:
            return "does not exist"
        if row.scope is not None and workflow_id not in row.scope:
            allowed = ", ".join(repr(w) for w in row.scope) or "no workflow"
            if workflow_id is None:
                return f"is limited to workflows {allowed}; this run belongs to no stored workflow"
            return f"is not available to workflow {workflow_id!r} (its scope: {allowed})"
        health = self._health(row)
        if not health.healthy:
            return f"is unhealthy: {health.reason}"
        if ref.field is not None and row.kind != "oauth":
            return (
                f"is a {row.kind} credential: reference it as [[{row.name}]] (without #{ref.field})"
            )
        if ref.field == "oauth.refresh_token":
            opened = self._open_row(row)
            if isinstance(opened, dict) and not opened.get("refresh_token"):
                return "has no refresh token"
        return ""

    def _value(self, row: CredentialRow, ref: SecretRef) -> str:
        opened = self._open_row(row)
        assert isinstance(opened, dict)
        if row.kind == "secret":
            return str(opened["value"])
        if ref.field == "oauth.refresh_token":
            return str(opened["refresh_token"])
        return str(opened["access_token"])

    # --- reads (audited) -----------------------------------------------------------
    async def read(self, ref: SecretRef | str, **reader: Unpack[Reader]) -> str:
        """The value for this workflow, after an audit entry of the read is durable.

        ``reader``: who reads, see ``Reader``."""
        value, audited = await self.read_audited(ref, **reader)
        await audited
        return value

    async def read_audited(
        self, ref: SecretRef | str, **reader: Unpack[Reader]
    ) -> tuple[str, asyncio.Future[None]]:
        """The value, and the commit of its audit entry, which the caller must await.

        For callers that can overlap that commit with their own durable write (a
        webhook check awaits it together with the delivery, before answering).
        """
        check_options(reader, Reader)
        if isinstance(ref, str):
            ref = SecretRef(ref)
        workflow_id, run_id = reader["workflow_id"], reader.get("run_id")
        row = await self._row(ref.name)
        problem = self._problem(row, ref, workflow_id)
        entry = AuditEntry(
            credential_id=row.id if row else "",
            name=ref.name,
            action="denied" if problem else "read",
            at=utcnow(),
            actor=reader.get("actor") or ("run" if run_id else None),
            workflow_id=workflow_id,
            run_id=run_id,
            node=reader.get("node"),
            detail=problem or ref.field,
        )
        audited = asyncio.ensure_future(self.store.audit(entry))
        if problem:
            await audited
            raise SecretUnavailable(ref, problem)
        assert row is not None
        return self._value(row, ref), audited

    async def resolve(
        self, ref: SecretRef, *, workflow_id: str | None, run_id: str | None, node: str | None
    ) -> str:
        return await self.read(ref, workflow_id=workflow_id, run_id=run_id, node=node)

    async def unavailable(
        self, refs: Sequence[SecretRef], *, workflow_id: str | None
    ) -> dict[SecretRef, str]:
        found = {}
        for ref in refs:
            problem = self._problem(await self._row(ref.name), ref, workflow_id)
            if problem:
                found[ref] = problem
        return found

    # --- management ------------------------------------------------------------------
    async def create(
        self,
        name: str,
        *,
        kind: Kind = "secret",
        value: str | None = None,
        oauth: OAuthTokens | None = None,
        scope: list[str] | None = None,
        description: str = "",
        actor: str | None = None,
    ) -> CredentialInfo:
        if not isinstance(name, str) or not _NAME.match(name):
            raise CredentialInvalid(
                "name", "1-128 letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        if kind not in KINDS:
            raise CredentialInvalid("kind", f"expected one of {', '.join(KINDS)}, not {kind!r}")
        plaintext, expires = _payload(kind, value, oauth)
        now = utcnow()
        row = CredentialRow(
            id=uuid.uuid4().hex,
            name=name,
            kind=kind,
            scope=_check_scope(scope),
            description=description,
            sealed=b"",
            key_id=self._sealer.key_id,
            expires_at=expires,
            created_at=now,
            rotated_at=None,
            version=1,
        )
        row = replace(row, sealed=self._sealer.seal(plaintext, row.context()))
        await self.store.insert(row, AuditEntry(row.id, name, "created", now, actor=actor))
        self._forget(name)
        return self._info(row)

    async def rotate(
        self,
        name: str,
        *,
        value: str | None = None,
        oauth: OAuthTokens | None = None,
        actor: str | None = None,
    ) -> CredentialInfo:
        """A new value (or new tokens); the old one is gone, the history stays in the audit."""
        current = await self.store.get(name)
        plaintext, expires = _payload(current.kind, value, oauth)
        now = utcnow()
        row = replace(
            current,
            sealed=self._sealer.seal(plaintext, current.context()),
            key_id=self._sealer.key_id,
            expires_at=expires,
            rotated_at=now,
            version=current.version + 1,
        )
        await self.store.replace(
            row, current.version, AuditEntry(row.id, name, "rotated", now, actor=actor)
        )
        self._forget(name)
        return self._info(row)

    async def update(
        self,
        name: str,
        *,
        scope: list[str] | None = _UNSET,
        description: str | None = None,
        actor: str | None = None,
    ) -> CredentialInfo:
        """Change who may use it or its description; the value is untouched."""
        current = await self.store.get(name)
        changes: dict[str, Any] = {"version": current.version + 1}
        what = []
        if scope is not _UNSET:
            changes["scope"] = _check_scope(scope)
            what.append("scope=" + ("all" if scope is None else ",".join(changes["scope"])))
        if description is not None:
            changes["description"] = description
            what.append("description")
        row = replace(current, **changes)
        entry = AuditEntry(row.id, name, "updated", utcnow(), actor=actor, detail="; ".join(what))
        await self.store.replace(row, current.version, entry)
        self._forget(name)
        return self._info(row)

    async def delete(self, name: str, *, actor: str | None = None) -> None:
        current = await self.store.get(name)
        await self.store.delete(
            name, AuditEntry(current.id, name, "deleted", utcnow(), actor=actor)
        )
        self._forget(name)

    async def info(self, name: str) -> CredentialInfo:
        return self._info(await self.store.get(name))

    async def list_credentials(self) -> list[CredentialInfo]:
        return [self._info(row) for row in await self.store.list_all()]

    async def audit_log(
        self, name: str | None = None, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[AuditEntry], int]:
        return await self.store.list_audit(name, limit=limit, offset=offset)
