"""What the vault stores and shows: credential rows (sealed), public views, audit entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from ..common.records import Record

Kind = Literal["secret", "oauth"]
KINDS: tuple[Kind, ...] = ("secret", "oauth")


@dataclass(frozen=True)
class CredentialRow:
    """One stored credential; ``sealed`` is the AES-GCM blob of its value."""

    id: str
    name: str
    kind: Kind
    scope: list[str] | None  # None: every workflow; else these workflow ids
    description: str
    sealed: bytes
    key_id: str
    expires_at: str | None  # OAuth access-token expiry (UTC ISO), kept in clear for health
    created_at: str
    rotated_at: str | None
    version: int

    def context(self) -> bytes:
        """Associated data of the seal: the blob opens only on this credential."""
        return f"orcheo-vault:v1:{self.id}:{self.name}:{self.kind}".encode()


@dataclass(frozen=True)
class Health:
    status: Literal["healthy", "expired", "undecryptable"]
    reason: str | None = None

    @property
    def healthy(self) -> bool:
        return self.status == "healthy"


@dataclass(frozen=True)
class CredentialInfo(Record):
    """A credential as the API shows it: everything except the value."""

    id: str
    name: str
    kind: Kind
    scope: list[str] | None
    description: str
    expires_at: str | None
    created_at: str
    rotated_at: str | None
    version: int
    health: Health

    def as_dict(self) -> dict[str, Any]:
        data = super().as_dict()
        data["scope"] = "all" if self.scope is None else list(self.scope)
        data["health"] = {
            "status": self.health.status,
            "healthy": self.health.healthy,
            "reason": self.health.reason,
        }
        return data


Action = Literal["created", "rotated", "updated", "deleted", "read", "denied"]


@dataclass(frozen=True)
class AuditEntry(Record):
    """One thing done to or with a credential; every read of a value has one."""

    credential_id: str
    name: str
    action: Action
    at: str
    actor: str | None = None  # who did it (a Jupyter user, "webhook", a run)
    workflow_id: str | None = None
    run_id: str | None = None
    node: str | None = None
    detail: str | None = None
    id: int | None = None
