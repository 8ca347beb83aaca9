"""Credentials vault: AES-256-GCM at rest, scopes, rotation, an audit entry per read."""

from .crypto import Sealer, SealError
from .keys import VaultKeyError, load_key
from .records import AuditEntry, CredentialInfo, Health
from .store import CredentialStore, SqliteCredentialStore
from .vault import CredentialInvalid, OAuthTokens, Vault

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
