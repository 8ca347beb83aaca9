"""Credentials vault: AES-256-GCM at rest, scopes, rotation, an audit entry per read."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .crypto import Sealer, SealError
    from .keys import VaultKeyError, load_key
    from .records import AuditEntry, CredentialInfo, Health
    from .store import CredentialStore, SqliteCredentialStore
    from .vault import CredentialInvalid, OAuthTokens, Vault

__getattr__ = lazy_exports(
    __name__,
    globals(),
    {
        "Sealer": ".crypto",
        "SealError": ".crypto",
        "VaultKeyError": ".keys",
        "load_key": ".keys",
        "AuditEntry": ".records",
        "CredentialInfo": ".records",
        "Health": ".records",
        "CredentialStore": ".store",
        "SqliteCredentialStore": ".store",
        "CredentialInvalid": ".vault",
        "OAuthTokens": ".vault",
        "Vault": ".vault",
    },
)

__all__ = [
    "AuditEntry",
    "CredentialInfo",
    "CredentialInvalid",
    "CredentialStore",
    "Health",
    "OAuthTokens",
    "SealError",
    "Sealer",
    "SqliteCredentialStore",
    "Vault",
    "VaultKeyError",
    "load_key",
]
