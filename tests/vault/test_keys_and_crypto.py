"""The vault key (config, environment, 0600 key file) and AES-256-GCM sealing."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest

from orcheo_jupyter.vault.crypto import Sealer, SealError, key_id
from orcheo_jupyter.vault.keys import KEY_ENV, KEY_FILE_ENV, VaultKeyError, load_key


@pytest.fixture(autouse=True)
def _no_key_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    monkeypatch.delenv(KEY_FILE_ENV, raising=False)


def test_sealed_values_open_only_with_the_same_key_and_context() -> None:
    key = os.urandom(32)
    sealer = Sealer(key)
    blob = sealer.seal(b"hunter2-hunter2", b"cred-1")
    assert b"hunter2" not in blob
    assert sealer.open(blob, b"cred-1") == b"hunter2-hunter2"
    assert sealer.seal(b"hunter2-hunter2", b"cred-1") != blob  # a fresh nonce every time
    with pytest.raises(SealError, match="another vault key or altered"):
        sealer.open(blob, b"cred-2")  # moved onto another credential
    with pytest.raises(SealError, match="another vault key or altered"):
        Sealer(os.urandom(32)).open(blob, b"cred-1")
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(SealError):
        sealer.open(tampered, b"cred-1")
    with pytest.raises(ValueError, match="32 bytes"):
        Sealer(b"short")
    assert key_id(key) == sealer.key_id and len(sealer.key_id) == 16
    assert key_id(key) not in key.hex()


def test_a_key_file_is_generated_with_mode_0600_and_reused(tmp_path: Path) -> None:
    key = load_key(tmp_path / "data")
    path = tmp_path / "data" / "vault.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(key) == 32
    assert load_key(tmp_path / "data") == key  # the same key next time


def test_a_key_file_others_can_read_is_refused(tmp_path: Path) -> None:
    load_key(tmp_path)
    path = tmp_path / "vault.key"
    path.chmod(0o644)
    with pytest.raises(VaultKeyError, match=r"mode 0644.*chmod 600"):
        load_key(tmp_path)


def test_configured_keys_and_the_environment_override(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    raw = os.urandom(32)
    assert load_key(tmp_path, key=base64.b64encode(raw).decode()) == raw
    assert load_key(tmp_path, key=raw.hex()) == raw
    assert load_key(tmp_path, key=base64.urlsafe_b64encode(raw).decode().rstrip("=")) == raw
    assert not (tmp_path / "vault.key").exists()  # no file when a key is given

    other = os.urandom(32)
    monkeypatch.setenv(KEY_ENV, base64.b64encode(other).decode())
    assert load_key(tmp_path, key=raw.hex()) == other  # the environment wins

    monkeypatch.setenv(KEY_ENV, "not a key")
    with pytest.raises(VaultKeyError, match=r"ORCHEO_VAULT_KEY: expected a 32-byte key"):
        load_key(tmp_path)

    monkeypatch.delenv(KEY_ENV)
    elsewhere = tmp_path / "keys" / "orcheo.key"
    monkeypatch.setenv(KEY_FILE_ENV, str(elsewhere))
    key = load_key(tmp_path)
    assert elsewhere.exists() and load_key(tmp_path / "other") == key
