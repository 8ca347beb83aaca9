"""AES-256-GCM sealing of credential values.

Each value gets a fresh 96-bit nonce; the associated data binds the ciphertext to
its credential (id, name, kind), so a sealed value copied onto another row does
not open. A one-byte format version leads the blob, for future key rotation.
"""

from __future__ import annotations

import hashlib
import hmac
import os

KEY_BYTES = 32
NONCE_BYTES = 12
FORMAT = b"\x01"


class SealError(ValueError):
    """A sealed value cannot be opened: another key sealed it, or it was altered."""


def key_id(key: bytes) -> str:
    """A public fingerprint of the key (an HMAC, so it reveals nothing about the key)."""
    return hmac.new(key, b"orcheo-vault key id", hashlib.sha256).hexdigest()[:16]


class Sealer:
    """Encrypts and authenticates values with one 256-bit key."""

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_BYTES:
            raise ValueError(f"the vault key must be {KEY_BYTES} bytes, not {len(key)}")
        # Loaded with the vault, not with the server's routes (start-up cost, ~6 MB).
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        self._aead = AESGCM(key)
        self.key_id = key_id(key)

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = os.urandom(NONCE_BYTES)
        return FORMAT + nonce + self._aead.encrypt(nonce, plaintext, context)

    def open(self, blob: bytes, context: bytes) -> bytes:
        if len(blob) < 1 + NONCE_BYTES + 16 or blob[:1] != FORMAT:
            raise SealError("not a sealed value of a known format")
        nonce, body = blob[1 : 1 + NONCE_BYTES], blob[1 + NONCE_BYTES :]
        from cryptography.exceptions import InvalidTag

        try:
            return self._aead.decrypt(nonce, body, context)
        except InvalidTag:
            raise SealError(
                "cannot be decrypted: it was sealed with another vault key or altered"
            ) from None
