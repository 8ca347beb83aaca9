"""Where the vault key comes from: configuration, the environment, or a key file.

Order: an explicit key (the ``OrcheoApp.vault_key`` traitlet, overridden by
``ORCHEO_VAULT_KEY``), else the key file (``vault_key_file`` /
``ORCHEO_VAULT_KEY_FILE``, default ``<data dir>/vault.key``), generated on first
use with mode 0600. A key file that other users can read is refused, as ssh
refuses such a private key.
"""

from __future__ import annotations

import base64
import binascii
import os
import stat
from pathlib import Path

from .crypto import KEY_BYTES

KEY_ENV = "ORCHEO_VAULT_KEY"
KEY_FILE_ENV = "ORCHEO_VAULT_KEY_FILE"
DEFAULT_KEY_FILE = "vault.key"


class VaultKeyError(ValueError):
    """The configured key is unusable; the message says how to fix it."""


def decode_key(text: str, source: str) -> bytes:
    """32 bytes from base64 (standard or URL-safe) or 64 hex digits."""
    text = text.strip()
    if len(text) == 2 * KEY_BYTES:
        try:
            return bytes.fromhex(text)
        except ValueError:
            pass
    try:
        padded = text + "=" * (-len(text) % 4)
        key = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != KEY_BYTES:
        raise VaultKeyError(
            f"{source}: expected a {KEY_BYTES}-byte key as base64 or 64 hex digits "
            '(generate one with: python -c "import os,base64;'
            'print(base64.b64encode(os.urandom(32)).decode())")'
        )
    return key


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode("ascii")


def read_key_file(path: Path) -> bytes:
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise VaultKeyError(
            f"vault key file {path} has mode {mode:04o}: other users could read it; "
            f"run chmod 600 {path}"
        )
    return decode_key(path.read_text(encoding="ascii", errors="replace"), f"vault key file {path}")


def create_key_file(path: Path) -> bytes:
    """Write a new random key with mode 0600; if another process won the race, read its key."""
    path.parent.mkdir(parents=True, exist_ok=True)
    key = os.urandom(KEY_BYTES)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return read_key_file(path)
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, (encode_key(key) + "\n").encode("ascii"))
        os.fsync(fd)
    finally:
        os.close(fd)
    return key


def load_key(
    data_dir: Path, *, key: str | None = None, key_file: str | Path | None = None
) -> bytes:
    """The vault key; environment variables override the arguments (as traitlets)."""
    explicit = os.environ.get(KEY_ENV) or key
    if explicit:
        source = KEY_ENV if os.environ.get(KEY_ENV) else "OrcheoApp.vault_key"
        return decode_key(explicit, source)
    file_setting = os.environ.get(KEY_FILE_ENV) or key_file
    path = Path(file_setting).expanduser() if file_setting else data_dir / DEFAULT_KEY_FILE
    if path.exists():
        return read_key_file(path)
    return create_key_file(path)
