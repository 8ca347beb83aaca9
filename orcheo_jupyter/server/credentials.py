"""Credential routes: create, list (never values), rotate, update scope, delete, health, audit.

Values go in (create, rotate) and never come out: every response shows the
credential's metadata and health only. Runs get values from the vault directly.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..runtime.secrets import NAME_PATTERN
from ..vault import OAuthTokens, Vault
from ..vault.vault import MAX_VALUE_CHARS
from .authz import CREDENTIALS, READ, WRITE
from .base import OrcheoHandler, operation
from .models import Page, PageQuery, RequestBody

Scope = Literal["all"] | list[str]


class OAuthInput(RequestBody):
    access_token: str = Field(min_length=1, max_length=MAX_VALUE_CHARS)
    refresh_token: str | None = Field(None, min_length=1, max_length=MAX_VALUE_CHARS)
    token_type: str | None = Field(None, max_length=100)
    expires_at: str | None = Field(
        None, description="When the access token expires (ISO 8601 with a time zone)."
    )


class CredentialCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"name": "github_token", "value": "ghp_...", "scope": ["deploy"]}]
        },
    )

    name: str = Field(
        pattern=f"^{NAME_PATTERN}$", description="Referenced in node config as [[name]]."
    )
    kind: Literal["secret", "oauth"] = "secret"
    value: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_VALUE_CHARS,
        description="The secret (kind secret). Write-only: never returned.",
        json_schema_extra={"writeOnly": True},
    )
    oauth: OAuthInput | None = Field(None, description="Tokens (kind oauth). Write-only.")
    scope: Scope = Field(
        "all", description='"all" workflows, or the ids of the workflows that may use it.'
    )
    description: str = Field("", max_length=2000)


class CredentialRotate(RequestBody):
    value: str | None = Field(
        None, min_length=1, max_length=MAX_VALUE_CHARS, json_schema_extra={"writeOnly": True}
    )
    oauth: OAuthInput | None = None


class CredentialUpdate(RequestBody):
    scope: Scope | None = None
    description: str | None = Field(None, max_length=2000)


class HealthOut(BaseModel):
    status: Literal["healthy", "expired", "undecryptable"]
    healthy: bool
    reason: str | None


class CredentialOut(BaseModel):
    id: str
    name: str
    kind: Literal["secret", "oauth"]
    scope: Scope
    description: str
    expires_at: str | None
    created_at: str
    rotated_at: str | None
    version: int
    health: HealthOut


class CredentialList(BaseModel):
    items: list[CredentialOut]


class HealthItem(HealthOut):
    name: str


class HealthReport(BaseModel):
    healthy: bool = Field(description="True when every credential is healthy.")
    items: list[HealthItem]


class AuditOut(BaseModel):
    id: int
    credential_id: str
    name: str
    action: Literal["created", "rotated", "updated", "deleted", "read", "denied"]
    at: str
    actor: str | None
    workflow_id: str | None
    run_id: str | None
    node: str | None
    detail: str | None


class AuditPage(Page[AuditOut]):
    pass


class AuditQuery(PageQuery):
    limit: int = Field(100, ge=1, le=1000)


def _scope(scope: Scope | None) -> list[str] | None:
    return None if scope in (None, "all") else list(scope)


def _tokens(body: OAuthInput | None) -> OAuthTokens | None:
    if body is None:
        return None
    return OAuthTokens(body.access_token, body.refresh_token, body.token_type, body.expires_at)


class _CredentialBase(OrcheoHandler):
    auth_resource = CREDENTIALS
    api_tag = "credentials"
    api_errors = (503,)  # the vault cannot open (no key)

    async def vault(self) -> Vault:
        await self.executor()
        return self.orcheo.services.require_vault()

    @property
    def actor(self) -> str | None:
        user = self.current_user
        return getattr(user, "username", None) or (str(user) if user else None)


class CredentialsHandler(_CredentialBase):
    @operation(
        READ,
        operation_id="listCredentials",
        summary="Credentials with their scope and health (never their values)",
        responses={200: CredentialList},
    )
    async def get(self) -> None:
        items = await (await self.vault()).list_credentials()
        self.reply(200, {"items": [c.as_dict() for c in items]})

    @operation(
        WRITE,
        operation_id="createCredential",
        summary="Store a credential, sealed with AES-256-GCM",
        description="Nodes use it as [[name]] (or [[name#oauth.access_token]] for OAuth "
        "tokens) in their config; it is resolved when the node runs.",
        body=CredentialCreate,
        body_code="invalid_credential",
        responses={201: CredentialOut},
        errors=(409,),
    )
    async def post(self, *, body: CredentialCreate) -> None:
        vault = await self.vault()
        info = await vault.create(
            body.name,
            kind=body.kind,
            value=body.value,
            oauth=_tokens(body.oauth),
            scope=_scope(body.scope),
            description=body.description,
            actor=self.actor,
        )
        self.reply(201, info.as_dict(), location=self.api_url("credentials", info.name))


class CredentialsHealthHandler(_CredentialBase):
    @operation(
        READ,
        operation_id="credentialsHealth",
        summary="Health of every credential (decryptable, not expired)",
        responses={200: HealthReport},
    )
    async def get(self) -> None:
        items = await (await self.vault()).list_credentials()
        report = [{"name": c.name, **c.as_dict()["health"]} for c in items]
        self.reply(200, {"healthy": all(c.health.healthy for c in items), "items": report})


class CredentialHandler(_CredentialBase):
    @operation(
        READ,
        operation_id="getCredential",
        summary="One credential's metadata and health",
        responses={200: CredentialOut},
    )
    async def get(self, name: str) -> None:
        self.reply(200, (await (await self.vault()).info(name)).as_dict())

    @operation(
        WRITE,
        operation_id="updateCredential",
        summary="Change a credential's scope or description (not its value: rotate it)",
        body=CredentialUpdate,
        body_code="invalid_credential",
        responses={200: CredentialOut},
        errors=(409,),
    )
    async def put(self, name: str, *, body: CredentialUpdate) -> None:
        vault = await self.vault()
        kwargs: dict[str, Any] = {"actor": self.actor}
        if "scope" in body.model_fields_set:
            kwargs["scope"] = _scope(body.scope)
        if body.description is not None:
            kwargs["description"] = body.description
        info = await vault.update(name, **kwargs)
        self.reply(200, info.as_dict())

    @operation(
        WRITE,
        operation_id="deleteCredential",
        summary="Delete a credential (its audit history stays)",
        responses={204: None},
    )
    async def delete(self, name: str) -> None:
        await (await self.vault()).delete(name, actor=self.actor)
        self.reply(204)


class CredentialRotateHandler(_CredentialBase):
    @operation(
        WRITE,
        operation_id="rotateCredential",
        summary="Replace a credential's value (or OAuth tokens); runs use the new one at once",
        body=CredentialRotate,
        body_code="invalid_credential",
        responses={200: CredentialOut},
        errors=(409,),
    )
    async def post(self, name: str, *, body: CredentialRotate) -> None:
        vault = await self.vault()
        info = await vault.rotate(
            name, value=body.value, oauth=_tokens(body.oauth), actor=self.actor
        )
        self.reply(200, info.as_dict())


class CredentialHealthHandler(_CredentialBase):
    @operation(
        READ,
        operation_id="credentialHealth",
        summary="Whether the credential can be used: decryptable and not expired",
        responses={200: HealthItem},
    )
    async def get(self, name: str) -> None:
        info = await (await self.vault()).info(name)
        self.reply(200, {"name": info.name, **info.as_dict()["health"]})


class CredentialAuditHandler(_CredentialBase):
    @operation(
        READ,
        operation_id="credentialAudit",
        summary="What was done with the credential, newest first: every read of its value",
        query=AuditQuery,
        responses={200: AuditPage},
    )
    async def get(self, name: str, *, query: AuditQuery) -> None:
        entries, total = await (await self.vault()).audit_log(
            name, limit=query.limit, offset=query.offset
        )
        self.reply_page([e.as_dict() for e in entries], total, query)
